import os from 'node:os';
import type { Logger } from 'pino';
import { createAppContext, type AppContext } from '../app/app-context.js';
import { config as loadConfig, type Config } from '../config/config.js';
import { migrationState, newerDatabaseRefusal } from '../db/pending-migrations.js';
import { startInfrastructure, type Infrastructure } from '../infra/infrastructure.js';
import { signalClassifier } from '../infra/repeated-signal.js';
import { namingDatabaseUrl } from './database-url-error.js';
import { createLogger, setRootLogger } from '../observability/logger.js';

export interface Booted {
  config: Config;
  logger: Logger;
  infra: Infrastructure;
  ctx: AppContext;
  /** Closes the context, then lets go of the local servers (stopped if no other hub process uses them). */
  shutdown(): Promise<void>;
  /**
   * Hands SIGINT and SIGTERM over to the caller. Until then (and for one-shot commands, throughout) a
   * signal lets go of the local servers (stopping them if no other hub process uses them) and exits with
   * 128 + the signal's number: without it,
   * Ctrl-C on `connectors sync` left the embedded PostgreSQL and Redis running, and every later command
   * of the same CHILDHUB_HOME failed on their lock files. Long-running commands that drain gracefully
   * (serve, worker, demo) call this before installing their own handlers.
   */
  releaseSignals(): void;
}

/**
 * Builds the process logger from settings. A command for people at a terminal (`pretty`: `connectors …`,
 * `seed`, `demo`) logs readable lines to stderr, so that what it prints on stdout (a table, `--json` for a
 * script) is its output alone; an explicit LOG_FORMAT still decides the format. Services (`serve`, `worker`)
 * log JSON to stdout, as a log collector expects.
 */
export function bootLogger(config: Config, pretty = false): Logger {
  const format = process.env.LOG_FORMAT ? config.LOG_FORMAT : pretty ? 'pretty' : config.LOG_FORMAT;
  const logger = createLogger({ level: config.LOG_LEVEL, format, ...(pretty ? { fd: 2 as const } : {}) });
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
  // Installed before the servers start: a signal while they start (initdb, waiting for another process's
  // server) lets go of them once the start has settled.
  const starting = startInfrastructure(config, logger);
  let close: () => Promise<void> = () => starting.then((i) => i.stop(), () => undefined);
  let started = false;
  void starting.then(() => (started = true), () => undefined);
  // Bounded once the servers run (a pool's close waits for a query a frozen server never answers); not while they
  // start, which must settle for the servers to be let go of.
  const releaseSignals = stopOnSignal(() => close(), logger, () => started);
  let infra: Infrastructure;
  try {
    infra = await starting;
  } catch (err) {
    releaseSignals();
    throw err;
  }
  close = () => infra.stop();
  try {
    if (policy !== 'skip') {
      const state = await migrationState(infra.databaseUrl);
      const refusal = newerDatabaseRefusal(state, config.CHILDHUB_ALLOW_NEWER_DATABASE);
      if (refusal) throw new Error(refusal);
      if (state.unknown.length) logger.warn({ unknownMigrations: state.unknown }, 'the database was migrated by a newer release; running beside it as CHILDHUB_ALLOW_NEWER_DATABASE allows');
      if (policy === 'require' && state.pending.length) {
        throw new Error(`The database has ${state.pending.length} pending migration(s) (${state.pending.join(', ')}). Run \`childhub migrate\` first.`);
      }
    }
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
    }
    const ctx = await createAppContext({ config, logger, databaseUrl: infra.databaseUrl, redisUrl: infra.redisUrl });
    close = async () => {
      await ctx.close().catch(() => undefined);
      await infra.stop();
    };
    return {
      config,
      logger,
      infra,
      ctx,
      shutdown: async () => {
        releaseSignals();
        await ctx.close();
        await infra.stop();
      },
      releaseSignals,
    };
  } catch (err) {
    releaseSignals();
    await infra.stop();
    throw config.DATABASE_URL ? namingDatabaseUrl(err, config.DATABASE_URL) : err;
  }
}

let interruptedBy: NodeJS.Signals | null = null;

/**
 * The signal a one-shot command was interrupted by, if any: the command's own work then fails (its pool is
 * closed under it), and that failure is not the command's to report — it exits with 128 + the signal's
 * number once the servers are let go.
 */
export function interrupted(): NodeJS.Signals | null {
  return interruptedBy;
}

/**
 * On SIGINT, SIGTERM or SIGHUP, `stop()` then exit with 128 + the signal's number (130 for Ctrl-C); the same
 * signal again within `REPEATED_SIGNAL_WINDOW_MS` is the same request (one Ctrl-C arrives from the terminal,
 * npm and tsx), a later or different one meanwhile exits at once. Returns the function that removes the handlers.
 */
/** How long an interrupted command waits to let go of its connections and local servers before it exits anyway. */
const STOP_ON_SIGNAL_MS = 5_000;

function stopOnSignal(stop: () => Promise<void>, logger: Logger, bounded: () => boolean): () => void {
  const classify = signalClassifier();
  const onSignal = (signal: NodeJS.Signals) => {
    const code = 128 + (os.constants.signals[signal] ?? 0);
    const kind = classify(signal);
    if (kind === 'repeat') return;
    if (kind === 'again') process.exit(code);
    interruptedBy = signal;
    logger.warn({ signal }, 'interrupted: letting go of the local servers (stopped unless another hub process uses them)');
    // Bounded: closing the database pool waits for a query in flight, which a frozen server never answers (QA
    // re-check: Ctrl-C took as long as PostgreSQL stayed frozen).
    if (bounded()) {
      setTimeout(() => {
        logger.warn({ signal, waitedMs: STOP_ON_SIGNAL_MS }, 'interrupted: the connections did not close in time (a database not answering?); exiting');
        process.exit(code);
      }, STOP_ON_SIGNAL_MS).unref();
    }
    stop().then(
      () => process.exit(code),
      () => process.exit(code),
    );
  };
  // SIGHUP too: a closed terminal never reaches the servers (their own process group).
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  return () => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
  };
}
