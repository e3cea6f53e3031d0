import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../test/support/test-env.js';
import { RatePacer } from './rate-pacer.js';

describe('RatePacer', () => {
  let env: TestEnv;
  let redis: Redis;
  beforeAll(async () => {
    env = await createTestEnv();
    redis = new Redis(env.redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await env?.cleanup();
  });

  it('advances the shared schedule by exactly one interval per reservation, stored as an integer', async () => {
    const pacer = new RatePacer(redis, { prefix: env.queuePrefix, name: 'exact', perSecond: 500, utilisation: 1 });
    await pacer.reserve();
    const key = `${env.queuePrefix}:rate:exact:tat`;
    const before = await redis.get(key);
    for (let i = 0; i < 200; i++) await pacer.reserve();
    const after = await redis.get(key);
    // Microsecond times are ~1.8e15: written in scientific notation they would lose digits and the
    // schedule would drift faster than the quota.
    expect(before).toMatch(/^\d+$/);
    expect(after).toMatch(/^\d+$/);
    expect(Number(after) - Number(before)).toBe(200 * pacer.interval);
  });

  it('keeps two independent pacers (two processes) on one schedule and backs everyone off after a 429', async () => {
    const a = new RatePacer(redis, { prefix: env.queuePrefix, name: 'shared', perSecond: 100, utilisation: 1 });
    const b = new RatePacer(new Redis(env.redisUrl), { prefix: env.queuePrefix, name: 'shared', perSecond: 100, utilisation: 1 });
    const waits = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).reserve()));
    const sorted = [...waits].sort((x, y) => x - y);
    // 20 slots 10 ms apart: the last waits about 190 ms whichever pacer reserved it.
    expect(sorted[19]! - sorted[0]!).toBeGreaterThanOrEqual(18 * 10_000);
    await a.penalize(500);
    expect(await b.reserve()).toBeGreaterThanOrEqual(400_000);
  });
});
