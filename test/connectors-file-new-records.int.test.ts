import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFacilityInspectionDrop } from '../connectors/facility-inspection/simulator.js';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { useFileDropContext } from './support/file-drops.js';

const SEED = 6161;

/**
 * A second file drop that brings new registrations, end to end (definitions unchanged, real PostgreSQL): after
 * the first drop is synced, the simulator writes a later export (the population's rows plus registrations of
 * its next children), an export of the new registrations alone, or a revised inspection report; each sync
 * inserts exactly the new records, leaves every record already stored (and its projections) as it was, and
 * records the files it read, so the next sync skips them.
 */
describe('a second file drop with new registrations', () => {
  let ctx: AppContext;
  let root: string;
  useFileDropContext('childhub-new-drops-', (t) => ({ ctx, root } = t));

  /** Each stored record of the source as its row and its projection rows stand (ids included). */
  const snapshot = async (source: string, projection: string) => {
    const rows = await ctx.sql.query<{ external_id: string; state: string }>(
      `SELECT s.external_id, json_build_object('id', s.id, 'hash', s.content_hash, 'run', s.connector_run_id, 'seen', s.last_seen_at, 'child', s.child_id,
              'facts', (SELECT array_agg(p.id ORDER BY p.id) FROM ${projection} p WHERE p.source_record_id = s.id))::text AS state
         FROM source_record s WHERE s.source_system = $1`, [source]);
    return new Map(rows.map((r) => [r.external_id, r.state]));
  };

  const storedByRun = async (runId: string) =>
    (await ctx.sql.query<{ external_id: string }>('SELECT external_id FROM source_record WHERE connector_run_id = $1', [runId])).map((r) => r.external_id).sort();

  const ingestedFiles = async (connector: string) =>
    (await ctx.sql.query<{ file_name: string }>(
      'SELECT f.file_name FROM ingested_file f JOIN connector c ON c.id = f.connector_id WHERE c.name = $1 ORDER BY f.file_name', [connector])).map((r) => r.file_name);

  const expectUnchangedBut = (before: Map<string, string>, after: Map<string, string>, added: readonly string[]) => {
    expect(after.size).toBe(before.size + added.length);
    for (const [id, state] of before) expect(after.get(id)).toBe(state);
    for (const id of added) expect(JSON.parse(after.get(id)!)).toMatchObject({ child: expect.stringMatching(/^chd_/), facts: [expect.any(String)] });
  };

  it('justice register: a later export and an export of new registrations insert exactly the new ones', async () => {
    const dir = path.join(root, 'justice');
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    const first = await writeJusticeRegisterDrop({ dir, seed: SEED, count: 600, tag: '20261101' });
    const population = first.files.reduce((n, f) => n + f.rows, 0);
    const initial = await ctx.connectors.run('justice-register', { trigger: 'CLI' });
    expect(initial).toMatchObject({ status: 'SUCCEEDED', inserted: population, rejected: 0 });
    const before = await snapshot('justice-register', 'birth_registration');

    // The next day's export: everything registered to date, 15 registrations more.
    const later = await writeJusticeRegisterDrop({ dir, seed: SEED, count: 600, tag: '20261102', newRecords: 15 });
    expect(later.files.reduce((n, f) => n + f.rows, 0)).toBe(population + 15);
    // None of the 15 is an adoption: the adoption register holds the same rows again. (Whether its bytes are the
    // same depends on the creation time the workbook records: it is then skipped by its checksum, or read unchanged.)
    expect(later.files.map((f) => f.rows)[1]).toBe(first.files.map((f) => f.rows)[1]);
    const second = await ctx.connectors.run('justice-register', { trigger: 'CLI' });
    expect(second).toMatchObject({ status: 'SUCCEEDED', fetched: population + 15, inserted: 15, updated: 0, unchanged: population, rejected: 0 });
    expect(second.filesIngested + second.filesSkipped).toBe(4);
    expect(await storedByRun(second.runId)).toEqual([...later.added.ids].sort());
    const afterSecond = await snapshot('justice-register', 'birth_registration');
    expectUnchangedBut(before, afterSecond, later.added.ids);
    expect(await ingestedFiles('justice-register')).toEqual(expect.arrayContaining(['khai-sinh-20261101.csv', 'khai-sinh-20261102.csv', 'nuoi-con-nuoi-20261101.xlsx']));

    // An export of what was registered since a date: 20 registrations, the first 15 of them already stored.
    const delta = await writeJusticeRegisterDrop({ dir, seed: SEED, count: 600, tag: '20261103', newRecords: 20, onlyNew: true });
    expect(delta.added.ids.slice(0, 15)).toEqual(later.added.ids);
    const third = await ctx.connectors.run('justice-register', { trigger: 'CLI' });
    expect(third).toMatchObject({ status: 'SUCCEEDED', filesIngested: delta.files.length, fetched: 20, inserted: 5, updated: 0, unchanged: 15 });
    expect(await storedByRun(third.runId)).toEqual(delta.added.ids.slice(15).sort());
    expectUnchangedBut(afterSecond, await snapshot('justice-register', 'birth_registration'), delta.added.ids.slice(15));

    // Nothing new dropped: every file is skipped.
    const quiet = await ctx.connectors.run('justice-register', { trigger: 'CLI' });
    expect(quiet).toMatchObject({ status: 'SUCCEEDED', fetched: 0, inserted: 0, filesIngested: 0 });
  }, 120_000);

  it('facility inspection: a revised report inserts the children found since and updates their facilities\' counts only', async () => {
    const dir = path.join(root, 'facilities');
    process.env.FACILITY_INSPECTION_DROP_DIR = dir;
    const first = await writeFacilityInspectionDrop({ dir, seed: SEED, count: 3000 });
    const initial = await ctx.connectors.run('facility-inspection', { trigger: 'CLI' });
    expect(initial).toMatchObject({ status: 'SUCCEEDED', rejected: 0 });
    // Facility rows (projections only) count as records too: every row fetched is inserted, updated or unchanged.
    const accounted = (r: { inserted: number; updated: number; unchanged: number; rejected: number }) => r.inserted + r.updated + r.unchanged + r.rejected;
    expect(accounted(initial)).toBe(initial.fetched);
    const before = await snapshot('facility-inspection', 'placement');
    expect(before.size).toBe(first.files.reduce((n, f) => n + f.rows, 0));
    const inspections = async () => new Map((await ctx.sql.query<{ report_number: string; children_present: number }>(
      'SELECT report_number, children_present FROM inspection')).map((r) => [r.report_number, r.children_present]));
    const counted = await inspections();

    // The same workbooks written again (the same names: a revised report replaces the file), with 4 more children.
    const revised = await writeFacilityInspectionDrop({ dir, seed: SEED, count: 3000, newRecords: 4 });
    const run = await ctx.connectors.run('facility-inspection', { trigger: 'CLI' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', inserted: 4, rejected: 0 });
    expect(await storedByRun(run.runId)).toEqual([...revised.added.ids].sort());
    expectUnchangedBut(before, await snapshot('facility-inspection', 'placement'), revised.added.ids);
    // The inspections (one per facility and round) that list a new child count it; the others are as they were.
    const recounted = await inspections();
    expect(recounted.size).toBe(counted.size);
    const grown = [...recounted].filter(([id, n]) => n !== counted.get(id));
    expect(grown.length).toBeGreaterThan(0);
    expect(grown.reduce((sum, [id, n]) => sum + n - counted.get(id)!, 0)).toBe(4);
    // The facility records whose inspection changed are the run's updated records.
    expect(accounted(run)).toBe(run.fetched);
    expect(run.updated).toBe(grown.length);
  }, 120_000);
});
