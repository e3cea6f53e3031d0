import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../src/observability/logger.js';
import { closeRedisConnection, createRedisConnection } from './redis-connection.js';
import type { Redis } from 'ioredis';

let redis: Redis | undefined;
afterEach(async () => {
  if (redis) await closeRedisConnection(redis);
  redis = undefined;
});

it('logs a connection error once, with the connection named beside the logger\'s own component, never a second `component` (QA)', async () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } }).child({ component: 'worker' });
  // A port nothing listens on (the discard port, closed here): refused at once.
  redis = createRedisConnection('redis://127.0.0.1:9/0', 'producer', { logger });
  await new Promise<void>((resolve) => {
    const wait = setInterval(() => {
      if (lines.length > 0) {
        clearInterval(wait);
        resolve();
      }
    }, 20);
  });
  expect(lines[0]!.match(/"component"/g)).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ component: 'worker', connection: 'redis', role: 'producer', msg: 'redis connection error' });
});
