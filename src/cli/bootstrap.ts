import type { Logger } from 'pino';
import { createAppContext, type AppContext } from '../app/app-context.js';
import { config as loadConfig, type Config } from '../config/config.js';
import { initOrm, migrate } from '../db/orm.js';
import { startInfrastructure, type Infrastructure } from '../infra/infrastructure.js';
import { createLogger, setRootLogger } from '../observability/logger.js';

export interface Booted {
  config: Config;
  logger: Logger;
  infra: Infrastructure;
  ctx: AppContext;
  /** Closes the context, then stops any servers this process started. */
  shutdown(): Promise<void>;
}

/** Builds the process logger from settings (pretty for people at a terminal when asked). */
export function bootLogger(config: Config, pretty = false): Logger {
  const logger = createLogger({ level: config.LOG_LEVEL, format: pretty || config.LOG_FORMAT === 'pretty' ? 'pretty' : 'json' });
  setRootLogger(logger);
  return logger;
}

/**
 * The common start of every command that needs the database: resolve (or start) PostgreSQL and Redis,
 * apply migrations when asked, and build the application context.
 */
export async function boot(opts: { pretty?: boolean; migrate: 'apply' | 'require' | 'skip' }): Promise<Booted> {
  const config = loadConfig();
  const logger = bootLogger(config, opts.pretty);
  const infra = await startInfrastructure(config, logger);
  try {
    if (opts.migrate !== 'skip') {
      const orm = await initOrm(infra.databaseUrl, 1, logger);
      try {
        if (opts.migrate === 'apply') {
          const applied = await migrate(orm);
          if (applied.length) logger.info({ applied }, 'migrations applied');
        } else {
          const pending = await orm.getMigrator().getPendingMigrations();
          if (pending.length) {
            throw new Error(`The database has ${pending.length} pending migration(s) (${pending.map((m) => m.name).join(', ')}). Run \`childhub migrate\` first.`);
          }
        }
      } finally {
        await orm.close(true);
      }
    }
    const ctx = await createAppContext({ config, logger, databaseUrl: infra.databaseUrl, redisUrl: infra.redisUrl });
    return {
      config,
      logger,
      infra,
      ctx,
      shutdown: async () => {
        await ctx.close();
        await infra.stop();
      },
    };
  } catch (err) {
    await infra.stop();
    throw err;
  }
}
