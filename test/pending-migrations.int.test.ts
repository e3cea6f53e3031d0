import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MIGRATION_NAMES } from '../migrations/names.js';
import { migrationState, pendingMigrations } from '../src/db/pending-migrations.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { runChildhub } from './support/cli.js';
import { tempDir } from './support/temp-dir.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/** The start-up check of `serve`, `worker` and the CLI against a real server, without MikroORM. */
describe('pendingMigrations', () => {
  let env: TestEnv;
  const empty = `childhub_t_empty_${randomBytes(4).toString('hex')}`;
  const admin = () => new pg.Client({ connectionString: inject('pgAdminUrl') });
  const urlOf = (db: string) => {
    const u = new URL(inject('pgAdminUrl'));
    u.pathname = `/${db}`;
    return u.toString();
  };

  beforeAll(async () => {
    env = await createTestEnv();
    const c = admin();
    await c.connect();
    await c.query(`CREATE DATABASE ${empty}`);
    await c.end();
  });

  afterAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${empty}`);
    await c.end();
    await env?.cleanup();
  });

  it('finds nothing pending on a migrated database', async () => {
    expect(await pendingMigrations(env.databaseUrl)).toEqual([]);
  });

  it('finds every migration pending on a database never migrated', async () => {
    expect(await pendingMigrations(urlOf(empty))).toEqual([...MIGRATION_NAMES]);
  });

  it('two processes migrating a new database at once apply each migration once, one after the other', async () => {
    const fresh = `childhub_t_race_${randomBytes(4).toString('hex')}`;
    const c = admin();
    await c.connect();
    await c.query(`CREATE DATABASE ${fresh}`);
    try {
      // Pools of one, as `boot` migrates.
      const orms = await Promise.all([initOrm(urlOf(fresh), 1), initOrm(urlOf(fresh), 1)]);
      try {
        const applied = await Promise.all(orms.map((orm) => migrate(orm)));
        expect([...applied[0]!, ...applied[1]!].sort()).toEqual([...MIGRATION_NAMES].sort());
        expect(await pendingMigrations(urlOf(fresh))).toEqual([]);
      } finally {
        await Promise.all(orms.map((orm) => orm.close(true)));
      }
    } finally {
      await c.query(`DROP DATABASE IF EXISTS ${fresh} WITH (FORCE)`);
      await c.end();
    }
  }, 120_000);

  it('a database a newer release migrated: its migrations named, and this release refuses to start against it unless allowed (QA: an older worker rewrote records after an upgrade)', async () => {
    const newer = ['Migration29991231000000_from_a_newer_release', 'Migration29991231000001_and_another'];
    const c = new pg.Client({ connectionString: env.databaseUrl });
    await c.connect();
    try {
      await c.query('INSERT INTO mikro_orm_migrations (name, executed_at) SELECT unnest($1::text[]), now()', [newer]);
      expect(await migrationState(env.databaseUrl)).toEqual({ pending: [], unknown: newer });
      const base = {
        ...process.env, CHILDHUB_HOME: tempDir('childhub-newer-db-'), DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl,
        QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'warn', CONNECTOR_SCHEDULES: 'false',
      };
      for (const command of [['connectors', 'list'], ['migrate']]) {
        const refused = await runChildhub(base, ...command);
        expect([command, refused.code]).toEqual([command, 1]);
        expect(refused.stderr).toContain(
          `The database was migrated by a newer release of childhub: it ran 2 migration(s) this release does not know (${newer.join(', ')}). Run the newer release's processes.`,
        );
      }
      const allowed = await runChildhub({ ...base, CHILDHUB_ALLOW_NEWER_DATABASE: 'true' }, 'connectors', 'list');
      expect(allowed.code).toBe(0);
      expect(allowed.stderr).toMatch(/the database was migrated by a newer release/);
    } finally {
      await c.query('DELETE FROM mikro_orm_migrations WHERE name = ANY($1)', [newer]);
      await c.end();
    }
    expect(await migrationState(env.databaseUrl)).toEqual({ pending: [], unknown: [] });
  }, 120_000);

  it('a role that may not create the extensions is told so in a few lines, naming them and what to grant, not the migration\'s SQL (QA)', async () => {
    const db = `childhub_t_noext_${randomBytes(4).toString('hex')}`;
    const role = `childhub_t_app_${randomBytes(4).toString('hex')}`;
    const c = admin();
    await c.connect();
    try {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'app-secret'`);
      await c.query(`CREATE DATABASE ${db}`);
      // Owned by the administrator: the role may connect and create tables, not extensions.
      const d = new pg.Client({ connectionString: urlOf(db) });
      await d.connect();
      await d.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
      await d.end();
      const url = new URL(urlOf(db));
      url.username = role;
      url.password = 'app-secret';
      const refused = await runChildhub({
        ...process.env, CHILDHUB_HOME: tempDir('childhub-noext-'), DATABASE_URL: url.toString(), REDIS_URL: env.redisUrl,
        QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'warn',
      }, 'migrate');
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe([
        'childhub: [MIGRATION_FAILED] Migration Migration20261125000000_spine could not be applied, and none of this run\'s migrations were kept: '
          + 'permission denied to create extension "pg_trgm" (SQLSTATE 42501). Must have CREATE privilege on current database to create this extension.',
        'The migrations create the extensions pg_trgm, unaccent, fuzzystrmatch (trusted: no superuser needed). Either grant the hub\'s role CREATE on the database, '
          + 'or have an administrator create them in it first: CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE EXTENSION IF NOT EXISTS unaccent; '
          + 'CREATE EXTENSION IF NOT EXISTS fuzzystrmatch; (README: "Your own PostgreSQL and Redis").',
      ].join('\n'));
      // What the message says to do is enough: the extensions created by an administrator, the role migrates.
      const d2 = new pg.Client({ connectionString: urlOf(db) });
      await d2.connect();
      for (const x of ['pg_trgm', 'unaccent', 'fuzzystrmatch']) await d2.query(`CREATE EXTENSION IF NOT EXISTS ${x}`);
      await d2.end();
      const migrated = await runChildhub({
        ...process.env, CHILDHUB_HOME: tempDir('childhub-noext-'), DATABASE_URL: url.toString(), REDIS_URL: env.redisUrl,
        QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'warn',
      }, 'migrate');
      expect([migrated.code, migrated.stderr]).toEqual([0, '']);
      expect(await pendingMigrations(url.toString())).toEqual([]);
    } finally {
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${role}`);
      await c.end();
    }
  }, 60_000);

  it('finds the ones that did not run, in order', async () => {
    const c = new pg.Client({ connectionString: env.databaseUrl });
    await c.connect();
    await c.query('DELETE FROM mikro_orm_migrations WHERE name = ANY($1)', [MIGRATION_NAMES.slice(-2)]);
    await c.end();
    expect(await pendingMigrations(env.databaseUrl)).toEqual(MIGRATION_NAMES.slice(-2));
  });
});
