import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initOrm } from '../src/db/orm.js';
import { freshDatabase } from './support/fresh-database.js';

const BEFORE_QUARANTINE = 'Migration20261204010000_source_record_text';
const QUARANTINE = 'Migration20261205000000_quarantine_open_rejects';

interface Row {
  id: string;
  times_seen: number;
  resolved_at: Date | null;
  resolution: string | null;
  resolved_by_run_id: string | null;
}

/**
 * Migration20261205000000_quarantine_open_rejects on a table that every run had been filling: open rows of one
 * record are merged into one, the newest, counting the runs that quarantined its payload; the others are
 * closed as superseded by it.
 */
describe('the quarantine migration merges the open rows of a record', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let orm: MikroORM;
  let client: pg.Client;
  const rows = new Map<string, Row>();

  beforeAll(async () => {
    db = await freshDatabase();
    orm = await initOrm(db.url, 1);
    await orm.getMigrator().up({ to: BEFORE_QUARANTINE });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`INSERT INTO connector (id, name, kind, source_system, definition, definition_hash) VALUES
      ('con_1', 'school', 'http', 'school', '{}', 'h')`);
    await client.query(`INSERT INTO connector_run (id, connector_id, trigger, status, created_at) VALUES
      ('run_1', 'con_1', 'CLI', 'SUCCEEDED', '2026-11-01'), ('run_2', 'con_1', 'CLI', 'SUCCEEDED', '2026-11-02'),
      ('run_3', 'con_1', 'CLI', 'SUCCEEDED', '2026-11-03')`);
    // id, run, source system, external id, payload, created (day of November), resolved_at
    const given: Array<[string, string | null, string, string | null, string, number, string | null]> = [
      // Read unchanged by three runs: one open row, seen three times.
      ['rej_a1', 'run_1', 'school', 'HS-1', '{"v":1}', 1, null],
      ['rej_a2', 'run_2', 'school', 'HS-1', '{"v":1}', 2, null],
      ['rej_a3', 'run_3', 'school', 'HS-1', '{"v":1}', 3, null],
      // Changed between runs: the newest payload stays open, counting only the runs that read it.
      ['rej_b1', 'run_1', 'school', 'HS-2', '{"v":1}', 1, null],
      ['rej_b2', 'run_2', 'school', 'HS-2', '{"v":2}', 2, null],
      ['rej_b3', 'run_3', 'school', 'HS-2', '{"v":2}', 3, null],
      // Read twice by one run (a page served twice): counted once.
      ['rej_c1', 'run_1', 'school', 'HS-3', '{"v":1}', 1, null],
      ['rej_c2', 'run_1', 'school', 'HS-3', '{"v":1}', 1, null],
      // Without an external id: the same payload is the same record, wherever it was read.
      ['rej_d1', 'run_1', 'school', null, '{"row":7}', 1, null],
      ['rej_d2', 'run_2', 'school', null, '{"row":7}', 2, null],
      ['rej_e1', 'run_2', 'school', null, '{"row":8}', 2, null],
      // The same external id in another source system is another record.
      ['rej_f1', 'run_1', 'health', 'HS-1', '{"v":1}', 1, null],
      // Ingested without a run (seed): each row counts as one run.
      ['rej_g1', null, 'school', 'HS-4', '{"v":1}', 1, null],
      ['rej_g2', null, 'school', 'HS-4', '{"v":1}', 2, null],
      // Resolved before the migration: closed as stored, left out of the merge.
      ['rej_h1', 'run_1', 'school', 'HS-1', '{"v":0}', 1, '2026-11-01T12:00:00Z'],
    ];
    for (const [id, run, system, externalId, payload, day, resolvedAt] of given) {
      await client.query(
        `INSERT INTO rejected_record (id, connector_id, connector_run_id, source_system, external_id, location, payload, reasons, created_at, resolved_at)
         VALUES ($1, 'con_1', $2, $3, $4, 'page 1 entry 1', $5, '[]', $6, $7)`,
        [id, run, system, externalId, payload, `2026-11-0${day}T00:00:00Z`, resolvedAt],
      );
    }
    await orm.getMigrator().up({ to: QUARANTINE });
    const res = await client.query<Row>('SELECT id, times_seen, resolved_at, resolution, resolved_by_run_id FROM rejected_record');
    for (const r of res.rows) rows.set(r.id, r);
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await orm?.close(true);
    await db?.drop();
  });

  const open = (id: string, timesSeen: number) => expect(rows.get(id)).toMatchObject({ times_seen: timesSeen, resolved_at: null, resolution: null });
  const superseded = (id: string, byRun: string | null, day: number) =>
    expect(rows.get(id)).toMatchObject({ resolution: 'SUPERSEDED', resolved_by_run_id: byRun, resolved_at: new Date(`2026-11-0${day}T00:00:00Z`) });

  it('keeps the newest row of a record read unchanged open, seen by every run that read it', () => {
    open('rej_a3', 3);
    superseded('rej_a1', 'run_3', 3);
    superseded('rej_a2', 'run_3', 3);
  });

  it('counts only the runs that read the payload still open when the record changed between runs', () => {
    open('rej_b3', 2);
    superseded('rej_b1', 'run_3', 3);
    superseded('rej_b2', 'run_3', 3);
  });

  it('counts a run that read the record twice once', () => {
    expect([rows.get('rej_c1')!.resolution, rows.get('rej_c2')!.resolution].sort()).toEqual(['SUPERSEDED', null]);
    const kept = rows.get('rej_c1')!.resolution === null ? 'rej_c1' : 'rej_c2';
    open(kept, 1);
  });

  it('merges rows without an external id by payload, and leaves other payloads and other sources apart', () => {
    open('rej_d2', 2);
    superseded('rej_d1', 'run_2', 2);
    open('rej_e1', 1);
    open('rej_f1', 1);
  });

  it('counts rows quarantined without a run one each', () => {
    open('rej_g2', 2);
    superseded('rej_g1', null, 2);
  });

  it('marks rows resolved before it as stored, and leaves them out of the merge', () => {
    expect(rows.get('rej_h1')).toMatchObject({ resolution: 'STORED', times_seen: 1, resolved_by_run_id: null });
  });

  it('leaves one open row per record, so the unique indexes hold', async () => {
    const res = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM rejected_record WHERE resolved_at IS NULL GROUP BY source_system, coalesce(external_id, payload_hash) HAVING count(*) > 1`);
    expect(res.rows).toEqual([]);
    expect([...rows.values()].filter((r) => r.resolved_at === null)).toHaveLength(7);
  });
});

/**
 * A fresh database migrated up to `migration`, with one connector (`con_1`, school), for the describe block that calls
 * it (its hooks are that block's): `db`, `orm` and `client` once its `beforeAll` has run.
 */
function databaseAt(migration: string) {
  const at = {} as { db: Awaited<ReturnType<typeof freshDatabase>>; orm: MikroORM; client: pg.Client };
  beforeAll(async () => {
    at.db = await freshDatabase();
    at.orm = await initOrm(at.db.url, 1);
    await at.orm.getMigrator().up({ to: migration });
    at.client = new pg.Client({ connectionString: at.db.url });
    await at.client.connect();
    await at.client.query(`INSERT INTO connector (id, name, kind, source_system, definition, definition_hash) VALUES ('con_1', 'school', 'http', 'school', '{}', 'h')`);
  }, 120_000);
  afterAll(async () => {
    await at.client?.end();
    await at.orm?.close(true);
    await at.db?.drop();
  });
  return at;
}

const DISMISSED_REJECTS = 'Migration20261206000000_dismissed_rejects';

/** Migration20261206000000_dismissed_rejects: what it allows, and what its `down` does with dismissed rows. */
describe('the dismissed-rejects migration', () => {
  const at = databaseAt(DISMISSED_REJECTS);

  const insert = (id: string, externalId: string | null, payload: string, resolution: string | null, by: string | null = null, note: string | null = null) =>
    at.client.query(
      `INSERT INTO rejected_record (id, connector_id, source_system, external_id, payload, reasons, payload_hash, resolved_at, resolution, resolved_by, resolution_note)
       VALUES ($1, 'con_1', 'school', $2, $3::json, '[]', md5($3::text), CASE WHEN $4::text IS NULL THEN NULL ELSE now() END, $4, $5, $6)`,
      [id, externalId, payload, resolution, by, note],
    );

  it('allows DISMISSED only with who and why, and who and why only when DISMISSED', async () => {
    await insert('rej_ok', 'HS-9', '{"v":9}', 'DISMISSED', 'engineer', 'test row');
    await expect(insert('rej_no_note', 'HS-8', '{"v":8}', 'DISMISSED', 'engineer')).rejects.toMatchObject({ code: '23514' });
    await expect(insert('rej_open_note', 'HS-7', '{"v":7}', null, 'engineer', 'x')).rejects.toMatchObject({ code: '23514' });
    await expect(insert('rej_stored_by', 'HS-6', '{"v":6}', 'STORED', 'engineer', 'x')).rejects.toMatchObject({ code: '23514' });
    await at.client.query(`DELETE FROM rejected_record`);
  });

  it('down: reopens the newest dismissed row of a record with no open row; the others become SUPERSEDED', async () => {
    // HS-1: dismissed, nothing open since: opens again. HS-2: dismissed twice (two payloads): the newer opens.
    // HS-3: dismissed, then read with another payload (open): stays closed. Id-less: by payload.
    await insert('rej_1', 'HS-1', '{"v":1}', 'DISMISSED', 'engineer', 'why');
    await insert('rej_2a', 'HS-2', '{"v":1}', 'DISMISSED', 'engineer', 'why');
    await at.client.query(`UPDATE rejected_record SET resolved_at = now() - interval '1 day' WHERE id = 'rej_2a'`);
    await insert('rej_2b', 'HS-2', '{"v":2}', 'DISMISSED', 'engineer', 'why');
    await insert('rej_3a', 'HS-3', '{"v":1}', 'DISMISSED', 'engineer', 'why');
    await insert('rej_3b', 'HS-3', '{"v":2}', null);
    await insert('rej_4', null, '{"row":4}', 'DISMISSED', 'engineer', 'why');
    await insert('rej_5', 'HS-5', '{"v":1}', 'STORED');
    await at.orm.getMigrator().down({ to: DISMISSED_REJECTS });
    const res = await at.client.query<{ id: string; resolution: string | null; resolved_at: Date | null }>('SELECT id, resolution, resolved_at FROM rejected_record ORDER BY id');
    expect(res.rows.map((r) => [r.id, r.resolution, r.resolved_at !== null])).toEqual([
      ['rej_1', null, false], ['rej_2a', 'SUPERSEDED', true], ['rej_2b', null, false], ['rej_3a', 'SUPERSEDED', true], ['rej_3b', null, false],
      ['rej_4', null, false], ['rej_5', 'STORED', true],
    ]);
    const columns = await at.client.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'rejected_record' AND column_name IN ('resolved_by', 'resolution_note')`);
    expect(columns.rows).toEqual([]);
    await expect(at.client.query(`UPDATE rejected_record SET resolution = 'DISMISSED', resolved_at = now() WHERE id = 'rej_1'`)).rejects.toMatchObject({ code: '23514' });
    // And up again.
    await at.orm.getMigrator().up({ to: DISMISSED_REJECTS });
    await at.client.query(`UPDATE rejected_record SET resolution = 'DISMISSED', resolved_at = now(), resolved_by = 'engineer', resolution_note = 'why' WHERE id = 'rej_1'`);
  });
});

const NOT_SENT_AGAIN = 'Migration20261225010000_rejects_not_sent_again';

/** Migration20261225010000_rejects_not_sent_again: what it allows, and what its `down` does with such rows. */
describe('the not-sent-again migration', () => {
  const at = databaseAt(NOT_SENT_AGAIN);
  beforeAll(async () => {
    await at.client.query(`INSERT INTO connector_run (id, connector_id, trigger, status) VALUES ('run_1', 'con_1', 'CLI', 'SUCCEEDED')`);
  });

  const insert = (id: string, externalId: string | null, payload: string | null, resolution: string | null, resolvedDaysAgo = 0) =>
    at.client.query(
      `INSERT INTO rejected_record (id, connector_id, source_system, external_id, payload, reasons, payload_hash, resolved_at, resolution, resolved_by_run_id, payload_erased_at)
       VALUES ($1, 'con_1', 'school', $2, $3::json, '[]', md5(coalesce($3::text, $1)), CASE WHEN $4::text IS NULL THEN NULL ELSE now() - make_interval(days => $5) END, $4,
               CASE WHEN $4::text IS NULL THEN NULL ELSE 'run_1' END, CASE WHEN $3::text IS NULL THEN now() END)`,
      [id, externalId, payload, resolution, resolvedDaysAgo],
    );

  it('allows NOT_SENT_AGAIN, with its run and without who and why', async () => {
    await insert('rej_ok', 'HS-9', '{"v":9}', 'NOT_SENT_AGAIN');
    await expect(insert('rej_bad', 'HS-8', '{"v":8}', 'GONE')).rejects.toMatchObject({ code: '23514' });
    await at.client.query(`DELETE FROM rejected_record`);
  });

  it('down: reopens the newest such row of a record with no open row and its payload kept; the others become SUPERSEDED', async () => {
    // HS-1: closed, nothing open since: opens again. HS-2: closed twice (two payloads): the newer opens.
    // HS-3: closed, then quarantined again (open): stays closed. HS-4: its payload erased: cannot open. Id-less: by payload.
    await insert('rej_1', 'HS-1', '{"v":1}', 'NOT_SENT_AGAIN');
    await insert('rej_2a', 'HS-2', '{"v":1}', 'NOT_SENT_AGAIN', 1);
    await insert('rej_2b', 'HS-2', '{"v":2}', 'NOT_SENT_AGAIN');
    await insert('rej_3a', 'HS-3', '{"v":1}', 'NOT_SENT_AGAIN');
    await insert('rej_3b', 'HS-3', '{"v":2}', null);
    await insert('rej_4', 'HS-4', null, 'NOT_SENT_AGAIN', 40);
    await insert('rej_5', null, '{"row":5}', 'NOT_SENT_AGAIN');
    await insert('rej_6', 'HS-6', '{"v":1}', 'STORED');
    await at.orm.getMigrator().down({ to: NOT_SENT_AGAIN });
    const res = await at.client.query<{ id: string; resolution: string | null; resolved_at: Date | null; resolved_by_run_id: string | null }>(
      'SELECT id, resolution, resolved_at, resolved_by_run_id FROM rejected_record ORDER BY id');
    expect(res.rows.map((r) => [r.id, r.resolution, r.resolved_at !== null, r.resolved_by_run_id])).toEqual([
      ['rej_1', null, false, null], ['rej_2a', 'SUPERSEDED', true, 'run_1'], ['rej_2b', null, false, null], ['rej_3a', 'SUPERSEDED', true, 'run_1'],
      ['rej_3b', null, false, null], ['rej_4', 'SUPERSEDED', true, 'run_1'], ['rej_5', null, false, null], ['rej_6', 'STORED', true, 'run_1'],
    ]);
    await expect(at.client.query(`UPDATE rejected_record SET resolution = 'NOT_SENT_AGAIN', resolved_at = now() WHERE id = 'rej_1'`)).rejects.toMatchObject({ code: '23514' });
    // And up again.
    await at.orm.getMigrator().up({ to: NOT_SENT_AGAIN });
    await at.client.query(`UPDATE rejected_record SET resolution = 'NOT_SENT_AGAIN', resolved_at = now(), resolved_by_run_id = 'run_1' WHERE id = 'rej_1'`);
  });
});
