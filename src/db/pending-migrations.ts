import pg from 'pg';
import { MIGRATION_NAMES } from '../../migrations/names.js';

/** MikroORM's record of the migrations that ran (`ormOptions`' `migrations.tableName`). */
const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/** The database's migrations against this release's: see {@link migrationState}. */
export interface MigrationState {
  /** This release's migrations the database has not run, in order. */
  pending: string[];
  /** Migrations the database ran that this release does not know (a newer release migrated it), in order. */
  unknown: string[];
}

/**
 * The database at `databaseUrl` against this release's migrations, read with one query (no ORM to load): what
 * MikroORM's migrator would call pending, and what only a newer release knows. A database never migrated has
 * every migration pending.
 */
export async function migrationState(databaseUrl: string): Promise<MigrationState> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A connection the server ends while idle (a Ctrl-C stopping the embedded server during start-up: 57P01) is an
  // 'error' event, which unheard crashes the process (CI: exit 1, not 130); a failed query still rejects.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const done = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`).catch((err: { code?: string }) => {
      if (err.code === '42P01') return { rows: [] }; // undefined_table: nothing ran yet
      throw err;
    });
    const ran = new Set(done.rows.map((r) => r.name));
    const known = new Set(MIGRATION_NAMES);
    return { pending: MIGRATION_NAMES.filter((name) => !ran.has(name)), unknown: [...ran].filter((name) => !known.has(name)) };
  } finally {
    await client.end();
  }
}

/** The migrations the database at `databaseUrl` has not run, in order ({@link migrationState}'s `pending`). */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  return (await migrationState(databaseUrl)).pending;
}

/**
 * Why a process of this release does not start against a database a newer release migrated: it would read and
 * write it without the newer columns and rules (QA: an older worker started after an upgrade rewrote every
 * school record with its older mapping, and ignored which records are gone from their source and which
 * process holds a sync). Null when it may start.
 */
export function newerDatabaseRefusal(state: MigrationState, allowed: boolean): string | null {
  if (!state.unknown.length || allowed) return null;
  return (
    `The database was migrated by a newer release of childhub: it ran ${state.unknown.length} migration(s) this release does not know ` +
    `(${state.unknown.join(', ')}). Run the newer release's processes. For the minutes of a rolling upgrade, when this ` +
    'release\'s processes must keep running beside the newer one, set CHILDHUB_ALLOW_NEWER_DATABASE=true.'
  );
}
