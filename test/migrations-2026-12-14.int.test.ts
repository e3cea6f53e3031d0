import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initOrm } from '../src/db/orm.js';
import { freshDatabase } from './support/fresh-database.js';

const BEFORE = 'Migration20261213020000_connector_state_read_with';
const LAST = 'Migration20261214040000_connector_run_retrying';

/**
 * The migrations of the quarantine's links to runs, its overview indexes, children's disagreements and the
 * RETRYING run status, on a database holding rejects and runs from before them: what they backfill, and the way
 * back down (a rollback of an upgrade) and up again.
 */
describe('migrations of 2026-12-14: reject links backfilled, RETRYING runs, and the way back', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let orm: MikroORM;
  let client: pg.Client;
  const links = async () =>
    (await client.query<{ run_id: string; reject_id: string }>('SELECT run_id, reject_id FROM rejected_record_run ORDER BY reject_id, run_id')).rows;
  const columns = async (table: string) =>
    (await client.query<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_name = $1', [table])).rows.map((r) => r.column_name);

  beforeAll(async () => {
    db = await freshDatabase();
    orm = await initOrm(db.url, 1);
    await orm.getMigrator().up({ to: BEFORE });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`INSERT INTO connector (id, name, kind, source_system, definition, definition_hash) VALUES
      ('con_1', 'justice-register', 'file', 'justice-register', '{}', 'h')`);
    await client.query(`INSERT INTO connector_run (id, connector_id, trigger, status, created_at) VALUES
      ('run_1', 'con_1', 'CLI', 'SUCCEEDED', '2026-11-01'), ('run_2', 'con_1', 'CLI', 'SUCCEEDED', '2026-11-02'),
      ('run_3', 'con_1', 'CLI', 'SUCCEEDED', '2026-11-03')`);
    // First read by run_1 and last by run_3 (what run_2 read is not known any more); read by run_2 alone; seeded without a run.
    await client.query(`INSERT INTO rejected_record (id, connector_id, connector_run_id, last_run_id, source_system, external_id, location, payload, reasons, payload_hash)
      VALUES ('rej_a', 'con_1', 'run_1', 'run_3', 'justice-register', 'KS-1', 'a.csv row 2', '{}', '[]', 'h1'),
             ('rej_b', 'con_1', 'run_2', 'run_2', 'justice-register', 'KS-2', 'a.csv row 3', '{}', '[]', 'h2'),
             ('rej_c', 'con_1', NULL, NULL, 'justice-register', 'KS-3', 'a.csv row 4', '{}', '[]', 'h3')`);
  });
  afterAll(async () => {
    await client?.end();
    await orm?.close(true);
    await db?.drop();
  });

  it('links each reject to the runs it knows, takes RETRYING runs (one per connector), and adds the disagreements column', async () => {
    await orm.getMigrator().up({ to: LAST });
    expect(await links()).toEqual([
      { run_id: 'run_1', reject_id: 'rej_a' }, { run_id: 'run_3', reject_id: 'rej_a' }, { run_id: 'run_2', reject_id: 'rej_b' },
    ]);
    await client.query(`INSERT INTO connector_run (id, connector_id, trigger, status, failed_attempts, max_attempts, next_attempt_at) VALUES
      ('run_4', 'con_1', 'SCHEDULE', 'RETRYING', '[{"attempt":1,"code":"CONNECTOR_UPSTREAM_UNAVAILABLE","message":"HTTP 503","failedAt":"2026-12-14T01:00:00Z"}]', 5, now())`);
    await expect(client.query(`INSERT INTO connector_run (id, connector_id, trigger, status) VALUES ('run_5', 'con_1', 'CLI', 'RETRYING')`))
      .rejects.toThrow(/connector_run_one_retrying/);
    expect(await columns('child')).toContain('disagreements');
  });

  it('goes back down without losing a run (a RETRYING one ends FAILED with its last error), and up again', async () => {
    await orm.getMigrator().down({ to: BEFORE });
    expect((await client.query(`SELECT to_regclass('rejected_record_run') AS t`)).rows[0].t).toBeNull();
    expect(await columns('child')).not.toContain('disagreements');
    expect(await columns('connector_run')).not.toContain('failed_attempts');
    const run4 = (await client.query('SELECT status, error, finished_at FROM connector_run WHERE id = $1', ['run_4'])).rows[0];
    expect(run4).toMatchObject({ status: 'FAILED', error: { code: 'CONNECTOR_UPSTREAM_UNAVAILABLE', message: 'HTTP 503' } });
    expect(run4.finished_at).toBeInstanceOf(Date);
    await orm.getMigrator().up({ to: LAST });
    expect(await links()).toHaveLength(3);
  });
});
