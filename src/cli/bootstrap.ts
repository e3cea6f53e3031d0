import type { Logger } from 'pino';
import { createAppContext, type AppContext } from '../app/app-context.js';
import { config as loadConfig, type Config } from '../config/config.js';
import { pendingMigrations } from '../db/pending-migrations.js';
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
export async function boot(opts: { pretty?: boolean; migrate: 'apply' | 'require' | 'auto' | 'skip' }): Promise<Booted> {
  const config = loadConfig();
  // Against a server of your own (DATABASE_URL) migrations are a deliberate step (`childhub migrate`): a
  // command refuses to run with pending ones. The embedded dev database is migrated for you.
  const policy = opts.migrate === 'auto' ? (config.DATABASE_URL ? 'require' : 'apply') : opts.migrate;
  const logger = bootLogger(config, opts.pretty);
  const infra = await startInfrastructure(config, logger);
  try {
    if (policy === 'apply') {
      // MikroORM runs migrations; it is loaded only to apply them.
      const { initOrm, migrate } = await import('../db/orm.js');
      const orm = await initOrm(infra.databaseUrl, 1, logger);
      try {
        const applied = await migrate(orm);
        if (applied.length) logger.info({ applied }, 'migrations applied');
      } finally {
        await orm.close(true);
      }
    } else if (policy === 'require') {
      const pending = await pendingMigrations(infra.databaseUrl);
      if (pending.length) {
        throw new Error(`The database has ${pending.length} pending migration(s) (${pending.join(', ')}). Run \`childhub migrate\` first.`);
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
