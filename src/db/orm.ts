import { MikroORM, type Options } from '@mikro-orm/postgresql';
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

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
