import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The Redis settings the job queues need, as the README asks of a Redis of one's own, and what each protects. Read
 * with `INFO` (which managed services allow, unlike `CONFIG`), so a deployment learns of a wrong one from the hub's
 * own log and metrics (QA: a Redis without AOF went unnoticed); BullMQ's own console line for the eviction policy is
 * dropped ({@link quietBullmqEvictionLine}).
 */
export const REDIS_SETTINGS = {
  appendonly: {
    wanted: 'yes',
    risk: 'a Redis restart loses every queued and scheduled job (syncs, golden-record rebuilds, identity checks and issuance polls), which the outbox does not send again',
    fix: 'set `appendonly yes` and `appendfsync everysec`',
  },
  'maxmemory-policy': {
    wanted: 'noeviction',
    risk: 'under memory pressure Redis deletes queued jobs and their locks, so work is lost or runs twice',
    fix: 'set `maxmemory-policy noeviction`',
  },
} as const;
export type RedisSetting = keyof typeof REDIS_SETTINGS;

/** What a Redis runs with, for each setting the queues need; null when `INFO` does not say. */
export type RedisSettingsReading = Record<RedisSetting, string | null>;

/** Reads the settings from `INFO persistence` and `INFO memory`. */
export async function readRedisSettings(redis: Pick<Redis, 'info'>): Promise<RedisSettingsReading> {
  const [persistence, memory] = await Promise.all([redis.info('persistence'), redis.info('memory')]);
  const field = (text: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim() ?? null;
  const aof = field(persistence, 'aof_enabled');
  return {
    appendonly: aof === null ? null : aof === '1' ? 'yes' : 'no',
    'maxmemory-policy': field(memory, 'maxmemory_policy'),
  };
}

/** The settings this process has warned of, with what was found. */
const warned = new Set<string>();

/** Whether a reading is what the queues need: 1, 0 when it is not, null when Redis does not say. */
export function settingOk(reading: RedisSettingsReading, setting: RedisSetting): 1 | 0 | null {
  const found = reading[setting];
  return found === null ? null : found === REDIS_SETTINGS[setting].wanted ? 1 : 0;
}

/**
 * Warns, once for each, of the settings of `redis` that put the queues at risk, naming the setting, what was found,
 * what it risks and the fix. Never fails the caller: a Redis that cannot be read now is logged at debug and left to
 * the metrics (`childhub_redis_setting_ok`).
 */
export async function warnOfRedisSettings(redis: Pick<Redis, 'info'>, logger: Logger): Promise<RedisSettingsReading | null> {
  let reading: RedisSettingsReading;
  try {
    reading = await readRedisSettings(redis);
  } catch (err) {
    logger.debug({ errorMessage: (err as Error).message }, 'could not read the Redis settings the job queues need');
    return null;
  }
  for (const setting of Object.keys(REDIS_SETTINGS) as RedisSetting[]) {
    if (settingOk(reading, setting) !== 0) continue;
    // Once a process (the demo's gateway and worker share one).
    const key = `${setting}=${reading[setting]}`;
    if (warned.has(key)) continue;
    warned.add(key);
    const { wanted, risk, fix } = REDIS_SETTINGS[setting];
    logger.warn(
      { redisSetting: setting, found: reading[setting], wanted },
      `Redis runs with ${setting} ${reading[setting]}: ${risk}; ${fix} (README: "Your own PostgreSQL and Redis")`,
    );
  }
  return reading;
}

/** BullMQ's own line for an eviction policy, which it prints with `console.warn` as each of its connections starts. */
const BULLMQ_EVICTION_LINE = /^IMPORTANT! Eviction policy is \S+\. It should be "noeviction"$/;
const QUIETED = Symbol.for('childhub.bullmqEvictionLineQuieted');

/**
 * Drops BullMQ's `IMPORTANT! Eviction policy is … It should be "noeviction"` console line, and only it: BullMQ prints
 * it for every queue and worker connection (a dozen a process), as plain text outside the JSON log, while
 * {@link warnOfRedisSettings} says the same once a process, structured, with the risk and the fix (QA). Installed
 * once a process, by whatever creates the queues.
 */
export function quietBullmqEvictionLine(): void {
  const current = console.warn as typeof console.warn & { [QUIETED]?: true };
  if (current[QUIETED]) return;
  const quiet = Object.assign(function warn(this: Console, ...args: unknown[]): void {
    if (args.length === 1 && typeof args[0] === 'string' && BULLMQ_EVICTION_LINE.test(args[0])) return;
    current.apply(this, args);
  }, { [QUIETED]: true as const });
  console.warn = quiet;
}
