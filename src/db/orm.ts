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
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    // Closing the session releases its lock, whatever happened.
    await lock.end().catch(() => undefined);
  }
}
