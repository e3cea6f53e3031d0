import { MikroORM, type Options } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from 'pino';
import { Migrator } from '@mikro-orm/migrations';
import * as entities from './entities/index.js';
import { migrationsList } from '../../migrations/index.js';

const schemas = Object.values(entities).filter((v) => typeof v === 'object' && v !== null && 'meta' in v);

/** MikroORM options for the hub; `clientUrl` points at the target database. */
export function ormOptions(clientUrl: string, poolMax = 4, logger?: Logger): Options {
  return {
    // MikroORM's own logger writes to the console; route it through pino (queries are never logged).
    logger: (message: string) => logger?.debug({ component: 'orm' }, message),
    clientUrl,
    entities: schemas as Options['entities'],
    discovery: { warnWhenNoEntities: true },
    extensions: [Migrator],
    pool: { min: 0, max: poolMax },
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      disableForeignKeys: false,
      snapshot: false,
    },
    debug: false,
    allowGlobalContext: false,
    ensureDatabase: false,
  };
}

export async function initOrm(clientUrl: string, poolMax = 4, logger?: Logger): Promise<MikroORM> {
  return MikroORM.init(ormOptions(clientUrl, poolMax, logger));
}

/** The advisory lock key migrations are applied under (any 64-bit number no other lock of the hub uses). */
const MIGRATION_LOCK = '7104316522781346113';

/**
 * Applies pending migrations; returns the names applied. Under a session advisory lock on a connection of
 * its own, so that processes starting together on one database (a worker and a CLI command on a new
 * embedded cluster) apply them one after the other: the second finds nothing pending, where both used to
 * run them and one failed on "already exists".
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const lock = new pg.Client({ connectionString: orm.config.get('clientUrl') });
  // Idle while the migrator works: a dropped connection must not crash the process (the migrator's own
  // connection reports the failure).
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    let applied;
    try {
      applied = await orm.getMigrator().up();
    } catch (err) {
      throw migrationFailure(err);
    }
    return applied.map((m) => m.name);
  } finally {
    // Closing the session releases its lock, whatever happened.
    await lock.end().catch(() => undefined);
  }
}

/** The extensions the migrations create (trusted: a role with CREATE on the database may create them). */
export const REQUIRED_EXTENSIONS = ['pg_trgm', 'unaccent', 'fuzzystrmatch'] as const;

/**
 * A failed migration told in a few lines: which one, PostgreSQL's own message, code and hint, and for a role
 * that may not create the extensions, what to grant. Never the migration's SQL, which MikroORM's message holds
 * whole (QA: the cause was the last 2 of 330 lines). The run's migrations are applied all or nothing.
 */
export function migrationFailure(err: unknown): Error {
  const e = err as { message?: unknown; cause?: unknown } | null;
  const cause = e?.cause as { code?: unknown; message?: unknown; hint?: unknown } | undefined;
  if (!cause || typeof cause.code !== 'string') return err instanceof Error ? err : new Error(String(err));
  // The driver's message is the statement, then a line ` - ` PostgreSQL's message, and ` - hint: …` lines.
  const full = typeof cause.message === 'string' ? cause.message : '';
  const said = full.split('\n').filter((l) => l.startsWith(' - ') && !l.startsWith(' - hint:')).map((l) => l.slice(3).trim()).at(-1) ?? 'failed';
  const name = typeof e?.message === 'string' ? /Migration (\S+) \((?:up|down)\) failed/.exec(e.message)?.[1] : undefined;
  const lines = [
    `Migration ${name ?? '(unnamed)'} could not be applied, and none of this run's migrations were kept: ${said} (SQLSTATE ${cause.code}).`
      + (typeof cause.hint === 'string' ? ` ${cause.hint}` : ''),
  ];
  if (cause.code === '42501' && /extension/i.test(said)) {
    lines.push(
      `The migrations create the extensions ${REQUIRED_EXTENSIONS.join(', ')} (trusted: no superuser needed). Either grant the hub's role CREATE on the database, `
        + `or have an administrator create them in it first: ${REQUIRED_EXTENSIONS.map((x) => `CREATE EXTENSION IF NOT EXISTS ${x};`).join(' ')} `
        + '(README: "Your own PostgreSQL and Redis").',
    );
  }
  return Object.assign(new Error(lines.join('\n')), { code: 'MIGRATION_FAILED', sqlState: cause.code });
}
