import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ensureDatabase, startEmbeddedPostgres } from './embedded-postgres.js';
import { startLocalRedis } from './local-redis.js';

export interface Infrastructure {
  databaseUrl: string;
  redisUrl: string;
  /** True for the servers under CHILDHUB_HOME (no DATABASE_URL / REDIS_URL), whichever process started them. */
  embedded: { postgres: boolean; redis: boolean };
  /**
   * True when this process started the server, and stops it on `stop`. False for an external server and for
   * one another hub process started under the same CHILDHUB_HOME, which this process only connects to.
   */
  started: { postgres: boolean; redis: boolean };
  stop(): Promise<void>;
}

/**
 * Resolves where PostgreSQL and Redis are: the URLs from the environment when set, otherwise the servers
 * under CHILDHUB_HOME (embedded PostgreSQL, a local redis-server), started by this process unless another hub
 * process already runs them (then this one connects to them and leaves them running).
 */
export async function startInfrastructure(config: Config, logger: Logger, database = 'childhub'): Promise<Infrastructure> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => logger.warn({ err }, 'stopping a local server failed'));
    stops.length = 0;
  };
  const started = { postgres: false, redis: false };
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({
        home: path.join(config.CHILDHUB_HOME, 'postgres'),
        port: config.EMBEDDED_PG_PORT,
        logger,
      });
      stops.push(pg.stop);
      started.postgres = pg.started;
      await ensureDatabase(pg.adminUrl, database);
      databaseUrl = pg.urlFor(database);
    }
    let redisUrl = config.REDIS_URL;
    if (!redisUrl) {
      const redis = await startLocalRedis({
        home: path.join(config.CHILDHUB_HOME, 'redis'),
        port: config.EMBEDDED_REDIS_PORT,
        autoInstall: config.CHILDHUB_AUTO_INSTALL,
        logger,
      });
      stops.push(redis.stop);
      started.redis = redis.started;
      redisUrl = redis.url;
    }
    return {
      databaseUrl,
      redisUrl,
      embedded: { postgres: !config.DATABASE_URL, redis: !config.REDIS_URL },
      started,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
