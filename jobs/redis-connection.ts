import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { admitRepeated } from '../src/observability/log-throttle.js';

/**
 * What a connection is for. `worker` connections run BullMQ's blocking commands and must wait out a
 * Redis restart; `producer` connections (queues, counts, the outbox relay) should fail fast so the caller
 * can record the failure and retry later instead of hanging.
 */
export type RedisRole = 'worker' | 'producer';

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`, e.g. `childhub:worker`. @defaultValue childhub:<role> */
  connectionName?: string;
  /** Connection errors are logged here (message only; reconnection is automatic). */
  logger?: Logger;
}

/** Longest pause between reconnection attempts, in ms. */
const MAX_RECONNECT_DELAY_MS = 20_000;

/**
 * Creates an ioredis connection configured for BullMQ. Connections reconnect forever with a capped
 * exponential delay: Redis holds job state only, and the outbox relay re-sends anything not yet relayed,
 * so waiting for Redis to come back is always the right thing to do.
 */
export function createRedisConnection(url: string, role: RedisRole, opts: RedisConnectionOptions = {}): Redis {
  const common: RedisOptions = {
    connectionName: opts.connectionName ?? `childhub:${role}`,
    retryStrategy: (times) => Math.min(2 ** times * 100, MAX_RECONNECT_DELAY_MS),
  };
  const options: RedisOptions =
    role === 'worker'
      ? // BullMQ requires this for blocking connections: a command must wait for the reconnect, not fail.
        { ...common, maxRetriesPerRequest: null }
      : // Producers fail fast while Redis is away; BullMQ itself waits for "ready" before the first command.
        { ...common, maxRetriesPerRequest: 3, enableOfflineQueue: false };
  const redis = new Redis(url, options);
  // Without a listener ioredis prints every reconnection error to stderr; each kind is logged at most once per
  // 10 s by the process, however many connections meet it.
  redis.on('error', (err: Error) => {
    const heldBack = admitRepeated(`redis connection error ${role} ${err.name}`, err.message);
    if (heldBack === null) return;
    // `connection`, not `component`: the logger names its component already (QA: a second `component` key).
    opts.logger?.warn({ connection: 'redis', role, errorType: err.name, errorMessage: err.message, ...(heldBack ? { heldBack } : {}) }, 'redis connection error');
  });
  return redis;
}

/**
 * Closes a connection politely (`QUIT`, so pending replies arrive) and falls back to dropping it when
 * Redis does not answer within `timeoutMs` (e.g. it is down and we are shutting down anyway).
 */
export async function closeRedisConnection(redis: Redis, timeoutMs = 2_000): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.quit().then(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          redis.disconnect();
          resolve();
        }, timeoutMs);
      }),
    ]);
  } catch {
    redis.disconnect();
  } finally {
    if (timer) clearTimeout(timer);
  }
}
