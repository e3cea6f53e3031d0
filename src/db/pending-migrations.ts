import pg from 'pg';
import { MIGRATION_NAMES } from '../../migrations/names.js';

/** MikroORM's record of the migrations that ran (`ormOptions`' `migrations.tableName`). */
const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/**
 * The migrations the database at `databaseUrl` has not run, in order: what MikroORM's migrator would call
 * pending, read with one query (no ORM to load). A database never migrated has every migration pending.
 */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const done = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`).catch((err: { code?: string }) => {
      if (err.code === '42P01') return { rows: [] }; // undefined_table: nothing ran yet
      throw err;
    });
    const ran = new Set(done.rows.map((r) => r.name));
    return MIGRATION_NAMES.filter((name) => !ran.has(name));
  } finally {
    await client.end();
  }
}
