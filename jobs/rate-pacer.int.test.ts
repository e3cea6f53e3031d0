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
    // 20 ms apart, so that the reservations stay ahead of the clock even on a loaded machine (a schedule that
    // falls behind restarts from now, and the difference would no longer be whole intervals).
    const pacer = new RatePacer(redis, { prefix: env.queuePrefix, name: 'exact', perSecond: 50, utilisation: 1 });
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

  it('admits sends while the last second has room, refuses the one over the limit and during a 429 penalty', async () => {
    const pacer = new RatePacer(redis, { prefix: env.queuePrefix, name: 'admit', perSecond: 5, utilisation: 1 });
    expect(pacer.perSecondLimit).toBe(5);
    const admitted = [];
    for (let i = 0; i < 6; i++) admitted.push(await pacer.admit());
    expect(admitted.slice(0, 5).every((t) => t > 0)).toBe(true);
    expect(admitted[5]).toBe(0);
    const other = new RatePacer(redis, { prefix: env.queuePrefix, name: 'penalised', perSecond: 5, utilisation: 1 });
    await other.penalize(300);
    expect(await other.admit()).toBe(0);
    // The limit rounds down: 500 × 0.97 is 485 sends, not 484 (floating point) nor 486.
    expect(new RatePacer(redis, { prefix: env.queuePrefix, name: 'x', perSecond: 500, utilisation: 0.97 }).perSecondLimit).toBe(485);
  });

  it('never lets a 1-second window hold more than the limit, and uses the slots callers stalled on', async () => {
    // Three "processes" share one rate of 50/s. The event loop stalls 40 ms in every 100 ms, so two slots
    // in five come while their caller cannot run: under the old rule (a caller more than 10 ms late gives its
    // slot up) 150 calls took 4.6 s here; admitted late, they take about 3 s.
    const connections = [new Redis(env.redisUrl), new Redis(env.redisUrl), new Redis(env.redisUrl)];
    const pacers = connections.map((c) => new RatePacer(c, { prefix: env.queuePrefix, name: 'stalled', perSecond: 50, utilisation: 1 }));
    const stall = setInterval(() => {
      const until = performance.now() + 40;
      while (performance.now() < until) {
        // busy: the process is starved
      }
    }, 100);
    const started = performance.now();
    let sends: number[];
    try {
      sends = await Promise.all(Array.from({ length: 150 }, (_, i) => pacers[i % 3]!.acquire()));
    } finally {
      clearInterval(stall);
      for (const c of connections) c.disconnect();
    }
    const elapsedMs = performance.now() - started;
    sends.sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < sends.length; i++) {
      while (sends[i]! - sends[j]! >= 1_000_000) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(50);
    expect(elapsedMs).toBeLessThan(4_300);
  });
});

