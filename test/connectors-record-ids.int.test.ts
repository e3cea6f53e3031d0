import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFacilityInspectionDrop } from '../connectors/facility-inspection/simulator.js';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { ConnectorCatalog } from '../src/connectors/definition/connector-catalog.js';
import { ConnectorSyncService } from '../src/connectors/sync/connector-sync.service.js';
import { isPermanentSyncError } from '../src/connectors/sync/permanent-sync-errors.js';
import { newId } from '../src/db/ids.js';
import { createLogger } from '../src/observability/logger.js';
import { ProjectionWriter } from '../src/services/projections/projection.writer.js';
import { buildChildren } from './support/build-children.js';
import { runChildhub } from './support/cli.js';
import { useFileDropContext } from './support/file-drops.js';
import type { TestEnv } from './support/test-env.js';
import { tempDir } from './support/temp-dir.js';

/** The shipped record id of both justice-register mappings (and of the facility report's child rows). */
const JUSTICE_ID = 'externalId: { from: "Mã hồ sơ", required: true }';
const FACILITY_CHILD_ID = 'externalId: { from: "Mã phiếu", required: true }';

/**
 * A connector whose record id expression (`externalId`) is edited after its records were stored (QA: a sync then
 * stored every record again under a new id, a second child for each without an identity number, and left the old
 * records live): the sync is refused, `rekey` renames the stored records in place, and the next sync finds them.
 * File connectors on real PostgreSQL; the adoption register's rows (XLSX) are stored as JSON, the birth register's
 * (CSV) as their text under a layout, so both ways a payload is kept are read again.
 */
describe('a changed record id: refused, then rekeyed', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let root: string;
  useFileDropContext('childhub-record-ids-', (t) => ({ env, ctx, root } = t));

  /** A catalog of its own holding copies of the shipped definitions, edited by the test, and a sync service over it. */
  const setUp = (connector: string) => {
    const defs = tempDir('childhub-record-ids-defs-');
    const file = path.join(defs, connector, 'connector.yaml');
    mkdirSync(path.dirname(file));
    const shipped = readFileSync(path.join(PROJECT_ROOT, 'connectors', connector, 'connector.yaml'), 'utf8');
    writeFileSync(file, shipped);
    const sync = new ConnectorSyncService({
      sql: ctx.sql, ingest: ctx.ingest, projections: new ProjectionWriter(), catalog: ConnectorCatalog.load(defs), logger: createLogger({ level: 'silent' }),
    });
    /** Writes the definition with its record id(s) `from` replaced by `to`; the catalog reads the edit at the next sync. */
    const editId = (from: string, to: string) => {
      expect(shipped).toContain(from);
      writeFileSync(file, shipped.replaceAll(from, to));
    };
    return { defs, sync, editId };
  };

  const stored = async (source: string) =>
    (await ctx.sql.query<{ id: string; external_id: string; child_id: string; text: boolean }>(
      `SELECT id, external_id, child_id, raw_text IS NOT NULL AS text FROM source_record WHERE source_system = $1 ORDER BY id`, [source]));
  const children = async () => Number((await ctx.sql.one<{ n: string }>('SELECT count(*)::text AS n FROM child'))!.n);
  const hashes = async (name: string) => (await ctx.sql.one<{ h: Record<string, string> | null }>('SELECT record_id_hashes AS h FROM connector WHERE name = $1', [name]))!.h;
  const runRow = async (id: string) => (await ctx.sql.one<{ status: string; error: { code: string; message: string } | null }>('SELECT status, error FROM connector_run WHERE id = $1', [id]))!;
  const runsOf = async (name: string) => Number((await ctx.sql.one<{ n: string }>(
    'SELECT count(*)::text AS n FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE c.name = $1', [name]))!.n);

  it('refuses the sync (forced too, not retried), tells it in dry-run and check; rekey renames in place and the next sync stores nothing new', async () => {
    const { defs, sync, editId } = setUp('justice-register');
    const dir = path.join(root, 'justice');
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    const drop = await writeJusticeRegisterDrop({ dir, seed: 5151, count: 400 });
    const rows = drop.files.reduce((n, f) => n + f.rows, 0);

    // A connector with nothing stored is never refused, whatever id expressions it recorded: it takes the current ones.
    const loaded = sync.catalog.get('justice-register');
    await sync.ensureConnector(loaded);
    await ctx.sql.query(`UPDATE connector SET record_id_hashes = '{"child": "an-older-expression"}' WHERE name = 'justice-register'`);
    const first = await sync.run('justice-register', { trigger: 'CLI' });
    expect(first).toMatchObject({ status: 'SUCCEEDED', inserted: rows, rejected: 0 });
    const recorded = await hashes('justice-register');
    expect(recorded).toEqual({ child: expect.any(String) });
    expect(recorded!.child).not.toBe('an-older-expression');
    const before = await stored('justice-register');
    expect(before).toHaveLength(rows);
    // Both ways a payload is kept: CSV rows as text, the adoption workbook's rows as JSON.
    expect(new Set(before.map((r) => r.text))).toEqual(new Set([true, false]));
    // The children built, as a worker would: the rename changes their facts' record ids (the change feed, below).
    await buildChildren(ctx);
    const childrenBefore = await children();
    // An open reject of a stored record, under its id: renamed with it.
    const rejected = before[0]!;
    const rejectId = newId('rejectedRecord');
    await ctx.sql.query(
      `INSERT INTO rejected_record (id, connector_id, connector_run_id, last_run_id, source_system, external_id, location, payload, reasons, payload_hash)
       SELECT $1, c.id, $2, $2, 'justice-register', $3, 'x.csv row 2', '"a broken row"', '[]', 'h' FROM connector c WHERE c.name = 'justice-register'`,
      [rejectId, first.runId, rejected.external_id]);

    // The school's QA case, here: every id prefixed.
    editId(JUSTICE_ID, 'externalId: { join: [{ value: "KS" }, "Mã hồ sơ"], separator: "-", required: true }');
    const runs = await runsOf('justice-register');
    const refused = await sync.run('justice-register', { trigger: 'CLI' }).then(() => new Error('not refused'), (e: unknown) => e as Error);
    expect(refused).toMatchObject({ code: 'CONNECTOR_RECORD_IDS_CHANGED' });
    expect(refused.message).toContain(`record type child is not the one its ${rows} stored records were stored under`);
    expect(refused.message).toContain('each child without an identity number would appear a second time');
    expect(refused.message).toContain('live evidence');
    expect(refused.message).toContain('revert externalId');
    expect(refused.message).toContain('childhub connectors rekey justice-register');
    expect(isPermanentSyncError(refused)).toBe(true);
    // The run ends FAILED with it; a worker's job (told, as the processor does, whether to try again) does not retry it.
    const byJob = await sync.run('justice-register', { trigger: 'SCHEDULE' }, {
      job: { jobId: 'job-1', attempt: 1, maxAttempts: 5, retryInMs: (e) => (isPermanentSyncError(e) ? null : 1000) },
    }).catch((e: unknown) => e as Error & { code: string });
    expect(byJob).toMatchObject({ code: 'CONNECTOR_RECORD_IDS_CHANGED' });
    const forced = await sync.run('justice-register', { trigger: 'CLI', force: true }).catch((e: unknown) => e as Error & { code: string });
    expect(forced).toMatchObject({ code: 'CONNECTOR_RECORD_IDS_CHANGED' });
    const failedRuns = await ctx.sql.query<{ status: string; code: string; fetched: number }>(
      `SELECT r.status, r.error->>'code' AS code, r.fetched FROM connector_run r JOIN connector c ON c.id = r.connector_id
        WHERE c.name = 'justice-register' ORDER BY r.created_at OFFSET $1`, [runs]);
    expect(failedRuns).toEqual(Array.from({ length: 3 }, () => ({ status: 'FAILED', code: 'CONNECTOR_RECORD_IDS_CHANGED', fetched: 0 })));
    // Nothing read or written: the records and children as they were, the expressions as recorded.
    expect(await stored('justice-register')).toEqual(before);
    expect(await children()).toBe(childrenBefore);
    expect(await hashes('justice-register')).toEqual(recorded);

    // A dry run says it first (and shows the records with their new ids); check too.
    const dry = await sync.dryRun('justice-register', { force: true, limit: 1 });
    expect(dry.warnings[0]).toMatch(/^a sync would be refused \(CONNECTOR_RECORD_IDS_CHANGED\): connector justice-register: the record id/);
    expect(dry.records[0]!.externalId).toMatch(/^KS-/);
    const cliEnv = {
      ...process.env, DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'silent',
      CHILDHUB_HOME: path.join(root, 'home'), CONNECTOR_SCHEDULES: 'false', CONNECTORS_DIR: defs,
    };
    const check = await runChildhub(cliEnv, 'connectors', 'check', 'justice-register');
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toMatch(/^FAIL record ids — a sync would be refused \(CONNECTOR_RECORD_IDS_CHANGED\): .*childhub connectors rekey justice-register/m);

    // Rekey's dry run: what it would do, nothing written (from the command line, as an engineer types it).
    const preview = await runChildhub(cliEnv, 'connectors', 'rekey', 'justice-register', '--dry-run');
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toContain(`justice-register (dry run: nothing written): ${rows} records would be renamed, 0 already under their new id (of ${rows} records stored) (record id changed for record type child)`);
    expect(preview.stdout).toContain('rejects (open or dismissed): 1 would be renamed with their records; 0 keep their old id');
    expect(await stored('justice-register')).toEqual(before);
    expect(await hashes('justice-register')).toEqual(recorded);

    const xmin = (await ctx.sql.one<{ x: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x'))!.x;
    const done = await sync.rekey('justice-register');
    expect(done).toMatchObject({ applied: true, refused: null, stored: rows, renamed: rows, unchanged: 0, rejectsRenamed: 1, rejectsKept: 0, recordTypes: ['child'] });
    // Each fact names its record's id: every child holding a renamed record has changed, for the change feed.
    const holders = (await ctx.sql.query<{ id: string }>(
      `SELECT DISTINCT c.id FROM source_record s JOIN child c ON c.id = s.child_id WHERE s.source_system = 'justice-register'`)).map((r) => r.id);
    expect(holders.length).toBeGreaterThan(0);
    const changed = new Set((await ctx.sql.query<{ id: string }>('SELECT id FROM child WHERE changed_xid >= $1::xid8', [xmin])).map((r) => r.id));
    expect(holders.filter((id) => !changed.has(id))).toEqual([]);
    const after = await stored('justice-register');
    // Renamed in place: the same rows, children and payloads, under the new ids.
    expect(after).toEqual(before.map((r) => ({ ...r, external_id: `KS-${r.external_id}` })));
    expect((await ctx.sql.one<{ external_id: string }>('SELECT external_id FROM rejected_record WHERE id = $1', [rejectId]))!.external_id).toBe(`KS-${rejected.external_id}`);
    expect(await hashes('justice-register')).not.toEqual(recorded);

    // The next sync reads the source again whole (the mapping changed) and finds every record stored: none new.
    const next = await sync.run('justice-register', { trigger: 'CLI' });
    expect(next).toMatchObject({ status: 'SUCCEEDED', fetched: rows, inserted: 0, rejected: 0 });
    expect(next.updated + next.unchanged).toBe(rows);
    expect(await stored('justice-register')).toEqual(after);
    expect(await children()).toBe(childrenBefore);
    // Nothing more to rename.
    expect(await sync.rekey('justice-register', { dryRun: true })).toMatchObject({ stored: rows, renamed: 0, unchanged: rows, recordTypes: [], refused: null });
  }, 180_000);

  it('refuses a rekey, writing nothing, when records would share an id or get none, naming stored record ids only', async () => {
    const { sync, editId } = setUp('justice-register');
    // The records of the test before (this file's database), stored under KS-… ids by its own copy of the definition:
    // this copy records the shipped expressions first.
    await sync.rekey('justice-register');
    const before = await stored('justice-register');
    expect(before.length).toBeGreaterThan(10);
    const recorded = await hashes('justice-register');

    // The sex column as id: a handful of values for every record.
    editId(JUSTICE_ID, 'externalId: { firstOf: ["Giới tính", "Giới tính con nuôi"], required: true }');
    for (const dryRun of [true, false]) {
      const r = await sync.rekey('justice-register', { dryRun });
      expect(r).toMatchObject({ applied: false, stored: before.length, refused: { underivable: { records: 0 }, taken: { records: 0 } } });
      expect(r.refused!.collisions.records).toBe(before.length);
      expect(r.refused!.collisions.ids).toBeLessThanOrEqual(4);
      expect(r.refused!.collisions.first).toHaveLength(5);
      for (const f of r.refused!.collisions.first) expect(f).toEqual({ id: expect.stringMatching(/^src_/) });
      expect(await stored('justice-register')).toEqual(before);
      expect(await hashes('justice-register')).toEqual(recorded);
    }

    // A column no stored record has: no id can be derived.
    editId(JUSTICE_ID, 'externalId: { from: "Mã hồ sơ mới", required: true }');
    const none = await sync.rekey('justice-register');
    expect(none).toMatchObject({ applied: false, refused: { collisions: { records: 0 }, taken: { records: 0 }, underivable: { records: before.length } } });
    expect(none.refused!.underivable.first).toEqual(before.slice(0, 5).map((r) => ({ id: r.id, problem: 'externalId REQUIRED' })));
    expect(await stored('justice-register')).toEqual(before);
    expect(await hashes('justice-register')).toEqual(recorded);
    // And the sync stays refused meanwhile.
    await expect(sync.run('justice-register', { trigger: 'CLI' })).rejects.toMatchObject({ code: 'CONNECTOR_RECORD_IDS_CHANGED' });
  }, 120_000);

  it('does not refuse a connector that ran before the hub recorded its record ids: it takes the current ones', async () => {
    const { sync, editId } = setUp('facility-inspection');
    const dir = path.join(root, 'facilities');
    process.env.FACILITY_INSPECTION_DROP_DIR = dir;
    await writeFacilityInspectionDrop({ dir, seed: 5252, count: 1500 });
    const first = await sync.run('facility-inspection', { trigger: 'CLI' });
    expect(first.status).toBe('SUCCEEDED');
    expect(first.inserted).toBeGreaterThan(0);
    // As a database migrated from a release before the column holds it.
    await ctx.sql.query(`UPDATE connector SET record_id_hashes = NULL WHERE name = 'facility-inspection'`);
    editId(FACILITY_CHILD_ID, 'externalId: { join: [{ value: "PK" }, "Mã phiếu"], separator: "-", required: true }');
    const next = await sync.run('facility-inspection', { trigger: 'CLI' });
    expect(next.status).toBe('SUCCEEDED');
    const taken = await hashes('facility-inspection');
    expect(taken).toEqual({ child: expect.any(String) });
    // From then on an edit is told.
    editId(FACILITY_CHILD_ID, 'externalId: { join: [{ value: "PX" }, "Mã phiếu"], separator: "-", required: true }');
    await expect(sync.run('facility-inspection', { trigger: 'CLI' })).rejects.toMatchObject({ code: 'CONNECTOR_RECORD_IDS_CHANGED' });
    expect(await hashes('facility-inspection')).toEqual(taken);
  }, 120_000);
});
