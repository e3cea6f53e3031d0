import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ensureDatabase, startEmbeddedPostgres } from './embedded-postgres.js';
import { startLocalRedis } from './local-redis.js';

export interface Infrastructure {
  databaseUrl: string;
  redisUrl: string;
  /** True when this process started the servers (and stops them on `stop`). */
  embedded: { postgres: boolean; redis: boolean };
  stop(): Promise<void>;
}

/**
 * Resolves where PostgreSQL and Redis are: the URLs from the environment when set, otherwise servers this
 * process starts under CHILDHUB_HOME (embedded PostgreSQL, a local redis-server).
 */
export async function startInfrastructure(config: Config, logger: Logger, database = 'childhub'): Promise<Infrastructure> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => logger.warn({ err }, 'stopping a local server failed'));
    stops.length = 0;
  };
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({
        home: path.join(config.CHILDHUB_HOME, 'postgres'),
        port: config.EMBEDDED_PG_PORT,
        logger,
      });
      stops.push(pg.stop);
      await ensureDatabase(pg.adminUrl, database);
      databaseUrl = pg.urlFor(database);
      logger.info({ port: config.EMBEDDED_PG_PORT }, 'embedded PostgreSQL running');
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
      redisUrl = redis.url;
      logger.info({ port: config.EMBEDDED_REDIS_PORT }, 'local redis-server running');
    }
    return {
      databaseUrl,
      redisUrl,
      embedded: { postgres: !config.DATABASE_URL, redis: !config.REDIS_URL },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
