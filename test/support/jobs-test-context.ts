import type { Logger } from 'pino';
import { createAppContext, type AppContext } from '../../src/app/app-context.js';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { testClock } from './clock.js';
import type { TestEnv } from './test-env.js';

/** An AppContext on a test file's own database and queue prefix, with a silent logger unless given one, building children at TEST_NOW (./clock.ts) (integration tests). */
export async function createTestAppContext(env: TestEnv, overrides: Record<string, string> = {}, logger?: Logger): Promise<AppContext> {
  const config = parseConfig({
    ...process.env,
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    QUEUE_PREFIX: env.queuePrefix,
    NODE_ENV: 'test',
    DB_POOL_SIZE: '6',
    WORKER_CONCURRENCY: '4',
    OUTBOX_POLL_MS: '100',
    CONNECTOR_SCHEDULES: 'false',
    ...overrides,
  });
  return createAppContext({
    config,
    logger: logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    databaseUrl: env.databaseUrl,
    redisUrl: env.redisUrl,
    clock: testClock,
  });
}

/** Polls `check` until it returns true; throws after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
