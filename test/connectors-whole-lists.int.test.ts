import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { CHILD_SHEET, FACILITY_SHEET, writeFacilityInspectionDrop } from '../connectors/facility-inspection/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { ConnectorCatalog } from '../src/connectors/definition/connector-catalog.js';
import { ConnectorSyncService } from '../src/connectors/sync/connector-sync.service.js';
import { ProjectionReadRepository } from '../src/db/repositories/projection-read.repository.js';
import { createLogger } from '../src/observability/logger.js';
import { ProjectionWriter } from '../src/services/projections/projection.writer.js';
import { useFileDropContext } from './support/file-drops.js';
import { tempDir } from './support/temp-dir.js';

/**
 * `wholeLists` (QA, medium, left alone last stop): an inspection report corrected and sent again without some of
 * its children left them placed, citing the report, beside the corrected list. The shipped facility-inspection
 * definition reads each report's children as its whole list: a later file holding the report marks the children it
 * no longer lists absent from the source, and unmarks them when a file lists them again.
 */
describe('file connectors: lists a file holds whole (wholeLists)', () => {
  let ctx: AppContext;
  let root: string;
  useFileDropContext('childhub-whole-lists-', (t) => ({ ctx, root } = t));

  /** The child sheet's rows of an inspection workbook, as cell values (row 1 the header). */
  const childRows = async (file: string): Promise<unknown[][]> => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const rows: unknown[][] = [];
    wb.getWorksheet(CHILD_SHEET)!.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    return rows;
  };

  /**
   * Writes `file` again as `to`, its child sheet's data rows replaced by `keep(rows)` (and, with `blankFacilityCode`,
   * the first facility row's code emptied), dated `minutes` after now (read after the files before it).
   */
  const rewrite = async (file: string, to: string, keep: (rows: unknown[][]) => unknown[][], minutes: number, blankFacilityCode = false) => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const sheet = wb.getWorksheet(CHILD_SHEET)!;
    const all: unknown[][] = [];
    sheet.eachRow((row) => all.push((row.values as unknown[]).slice(1)));
    const [header, ...data] = all;
    wb.removeWorksheet(sheet.id);
    const next = wb.addWorksheet(CHILD_SHEET);
    next.addRow(header!);
    for (const r of keep(data)) next.addRow(r);
    if (blankFacilityCode) wb.getWorksheet(FACILITY_SHEET)!.getRow(2).getCell(1).value = null;
    await wb.xlsx.writeFile(to);
    const at = new Date(Date.now() + minutes * 60_000);
    utimesSync(to, at, at);
  };

  const changeXmin = async () => (await ctx.sql.one<{ x: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x'))!.x;
  const childrenChangedSince = async (xmin: string) =>
    (await ctx.sql.query<{ id: string }>('SELECT id FROM child WHERE changed_xid >= $1::xid8 ORDER BY id', [xmin])).map((r) => r.id);
  const childrenOf = async (externalIds: string[]) => (await ctx.sql.query<{ id: string }>(
    `SELECT DISTINCT child_id AS id FROM source_record WHERE source_system = 'facility-inspection' AND external_id = ANY($1::text[]) ORDER BY 1`, [externalIds])).map((r) => r.id);
  const absentOf = async (ids: string[]) =>
    (await ctx.sql.query<{ external_id: string; absent: boolean; by: string | null }>(
      `SELECT external_id, absent_since IS NOT NULL AS absent, absent_run_id AS by FROM source_record
        WHERE source_system = 'facility-inspection' AND external_id = ANY($1::text[]) ORDER BY external_id`, [ids]));
  const isAbsent = async (id: string) => (await absentOf([id]))[0]!.absent;
  const absentCount = async () => Number((await ctx.sql.one<{ n: string }>(
    `SELECT count(*)::text AS n FROM source_record WHERE source_system = 'facility-inspection' AND absent_since IS NOT NULL`))!.n);

  /** A sync of the shipped definition, or of a copy with chunks of `chunkRows` rows (a file read in many transactions). */
  const syncWith = async (chunkRows?: number) => {
    if (chunkRows === undefined) return ctx.connectors.run('facility-inspection', { trigger: 'CLI' });
    const defs = tempDir('childhub-whole-lists-def-');
    const yaml = readFileSync(path.join(PROJECT_ROOT, 'connectors', 'facility-inspection', 'connector.yaml'), 'utf8')
      .replace(/^( +)chunkRows: \d+/m, `$1chunkRows: ${chunkRows}`);
    expect(yaml).toContain(`chunkRows: ${chunkRows}`);
    mkdirSync(path.join(defs, 'facility-inspection'));
    writeFileSync(path.join(defs, 'facility-inspection', 'connector.yaml'), yaml);
    const sync = new ConnectorSyncService({
      sql: ctx.sql, ingest: ctx.ingest, projections: new ProjectionWriter(), catalog: ConnectorCatalog.load(defs), logger: createLogger({ level: 'silent' }),
    });
    return sync.run('facility-inspection', { trigger: 'CLI' });
  };

  it('marks the children a corrected report leaves out absent, unmarks them when a report lists them again, and holds back when an id cannot be read', async () => {
    const dir = path.join(root, 'reports');
    const drop = await writeFacilityInspectionDrop({ dir, seed: 5151, count: 3000 });
    process.env.FACILITY_INSPECTION_DROP_DIR = dir;
    const first = await syncWith();
    expect(first.status).toBe('SUCCEEDED');
    // A first read marks nothing: every list is as its file has it. Every file's lists count in `stored` (QA).
    expect(first.removals).toMatchObject({ marked: 0, returned: 0, held: 0, heldReason: null, absent: 0 });
    expect(first.removals!.stored).toBe(Number((await ctx.sql.one<{ n: string }>('SELECT count(*)::text AS n FROM placement'))!.n));
    expect(await absentCount()).toBe(0);

    // The latest round's workbook, and its two reports with the most children.
    const file = drop.files.at(-1)!.path;
    const [header, ...rows] = await childRows(file);
    const at = (name: string) => {
      const i = header!.indexOf(name);
      expect(i, name).toBeGreaterThanOrEqual(0);
      return i;
    };
    const [idAt, reportAt, facilityAt, nameAt, bornAt, yearAt] = [at('Mã phiếu'), at('Số biên bản'), at('Mã cơ sở'), at('Họ và tên'), at('Ngày sinh'), at('Năm sinh')];
    const byReport = new Map<string, string[]>();
    for (const r of rows) byReport.set(String(r[reportAt]), [...(byReport.get(String(r[reportAt])) ?? []), String(r[idAt])]);
    const ranked = [...byReport].sort((a, b) => b[1].length - a[1].length);
    const [report, listed] = ranked[0]!;
    const otherReport = ranked[1]![0];
    expect(listed.length).toBeGreaterThanOrEqual(3);
    const [leftOut1, leftOut2, kept] = listed as [string, string, string];
    const facility = String(rows.find((r) => String(r[idAt]) === leftOut1)![facilityAt]);
    const others = rows.filter((r) => String(r[reportAt]) !== report).map((r) => String(r[idAt]));
    const without = (...ids: string[]) => (data: unknown[][]) => data.filter((r) => !ids.includes(String(r[idAt])));
    /** A row with some cells replaced (every cell visited: a row's empty cells are holes). */
    const withCells = (r: unknown[], cells: Record<number, unknown>) => Array.from({ length: header!.length }, (_, i) => (i in cells ? cells[i] : r[i]));

    // 1. The report corrected: sent again, in a workbook read in chunks of 2 rows, without two of its children.
    await rewrite(file, path.join(dir, 'kiem-tra-co-so-dinh-chinh-1.xlsx'), without(leftOut1, leftOut2), 1);
    const second = await syncWith(2);
    expect(second.status).toBe('SUCCEEDED');
    expect(second.filesIngested).toBe(1);
    expect(second.removals).toMatchObject({ marked: 2, returned: 0, held: 0, heldReason: null, absent: 2 });
    expect(await absentOf([leftOut1, leftOut2])).toEqual([leftOut1, leftOut2].sort().map((id) => ({ external_id: id, absent: true, by: second.runId })));
    expect((await absentOf(listed.slice(2).concat(others))).filter((r) => r.absent)).toEqual([]);
    // Their placements say so, on the child and on the facility (QA: the facility's said null); the records are kept.
    const placements = await ctx.sql.query<{ absent: boolean; n: number }>(
      `SELECT s.absent_since IS NOT NULL AS absent, count(*)::int AS n FROM placement p JOIN source_record s ON s.id = p.source_record_id
        WHERE p.inspection_report_number = $1 GROUP BY 1 ORDER BY 1`, [report]);
    expect(placements).toEqual([{ absent: false, n: listed.length - 2 }, { absent: true, n: 2 }]);
    const children = await ctx.sql.query<{ child_id: string }>(`SELECT DISTINCT child_id FROM source_record WHERE external_id = ANY($1::text[])`, [listed]);
    await ctx.goldenRecords.recompute(children.map((c) => c.child_id));
    const atFacility = (await new ProjectionReadRepository(ctx.sql).placementsByFacilityCodes([facility], null))
      .filter((p) => p.inspectionReportNumber === report) as Array<{ source: { externalId: string; absentFromSourceSince: Date | null } }>;
    expect(atFacility.filter((p) => p.source.absentFromSourceSince !== null).map((p) => p.source.externalId).sort()).toEqual([leftOut1, leftOut2].sort());

    // 2. A later workbook lists one of them again, its row changed (a name corrected): it is unmarked as it is written,
    // and counted as returned (QA: a changed row's unmarking was not counted).
    await rewrite(file, path.join(dir, 'kiem-tra-co-so-dinh-chinh-2.xlsx'), (data) => without(leftOut2)(data)
      .map((r) => (String(r[idAt]) === leftOut1 ? withCells(r, { [nameAt]: `${String(r[nameAt])} Anh` }) : r)), 2);
    const third = await syncWith();
    expect(third.updated).toBe(1);
    expect(third.removals).toMatchObject({ marked: 0, returned: 1, held: 0, absent: 1 });
    expect([await isAbsent(leftOut1), await isAbsent(leftOut2)]).toEqual([false, true]);

    // 3. A workbook of another report holding a child of the first moved there, refused with its id (a birth date that
    // is no date): its stored placement is the first report's, which this workbook does not name (QA: it was named).
    await rewrite(file, path.join(dir, 'kiem-tra-co-so-dinh-chinh-3.xlsx'), (data) => [
      ...data.filter((r) => String(r[reportAt]) === otherReport),
      withCells(data.find((r) => String(r[idAt]) === kept)!, { [reportAt]: otherReport, [bornAt]: 'khoảng 2019', [yearAt]: null }),
    ], 3);
    const fourth = await syncWith();
    expect(fourth.rejected).toBe(1);
    expect(fourth.removals).toMatchObject({ marked: 0, returned: 0, held: 0 });
    expect([await isAbsent(leftOut1), await isAbsent(kept)]).toEqual([false, false]);

    // 4. Only this connector's records are marked: one last stored by another connector of the source system stays
    // (QA: a connector marked another's); a facility row without its code holds nothing back (QA: it did).
    await ctx.sql.query(`INSERT INTO connector (id, name, kind, source_system, definition, definition_hash) VALUES ('con_QAOTHER', 'other-inspections', 'file', 'facility-inspection', '{}', 'x')`);
    await ctx.sql.query(`INSERT INTO connector_run (id, connector_id, trigger, status) VALUES ('run_QAOTHER', 'con_QAOTHER', 'CLI', 'SUCCEEDED')`);
    await ctx.sql.query(`UPDATE source_record SET connector_run_id = 'run_QAOTHER' WHERE source_system = 'facility-inspection' AND external_id = $1`, [leftOut1]);
    await rewrite(file, path.join(dir, 'kiem-tra-co-so-dinh-chinh-4.xlsx'), without(leftOut1, kept), 4, true);
    const before = await changeXmin();
    const fifth = await syncWith();
    expect(fifth.removals).toMatchObject({ marked: 1, returned: 1, held: 0, heldReason: null });
    expect([await isAbsent(leftOut1), await isAbsent(leftOut2), await isAbsent(kept)]).toEqual([false, false, true]);
    // The children whose placement the file marked or unmarked have changed, for partner apps' change feed; no other.
    expect(await childrenChangedSince(before)).toEqual(await childrenOf([kept, leftOut2]));

    // 5. A workbook with a child whose id cannot be read marks nothing: the unread row may be any of those left out.
    // Ids a file left unfinished held (changed while a stopped sync read it, never resumed) go with the next run.
    await ctx.sql.query(`INSERT INTO file_listed_record (connector_id, checksum, external_id, valid, was_absent)
      SELECT id, $1, 'KT-STALE', true, false FROM connector WHERE name = 'facility-inspection'`, ['f'.repeat(64)]);
    await rewrite(file, path.join(dir, 'kiem-tra-co-so-dinh-chinh-5.xlsx'), (data) => without(leftOut2)(data)
      .map((r) => (String(r[idAt]) === leftOut1 ? withCells(r, { [idAt]: null }) : r)), 5);
    const sixth = await syncWith();
    expect(sixth.rejected).toBe(1);
    expect(sixth.removals).toMatchObject({ marked: 0, returned: 1, held: 1, heldReason: 'UNIDENTIFIED_REJECTS' });
    expect([await isAbsent(leftOut2), await isAbsent(kept)]).toEqual([false, false]);
    // What each file held is not kept once the file is done, nor what an unfinished file held once a run ends.
    expect(await ctx.sql.query('SELECT * FROM file_listed_record')).toEqual([]);
  });

  it('refuses wholeLists that name a projection the mapping has none of, a field that is no text, or an http connector', async () => {
    const { connectorDefinitionSchema } = await import('../src/connectors/definition/connector-definition.schema.js');
    const { parse } = await import('yaml');
    const shipped = parse(readFileSync(path.join(PROJECT_ROOT, 'connectors', 'facility-inspection', 'connector.yaml'), 'utf8')) as {
      records: Array<Record<string, unknown>>;
    };
    const issues = (wholeLists: unknown) => {
      const def = structuredClone(shipped);
      def.records[1]!.wholeLists = wholeLists;
      const r = connectorDefinitionSchema.safeParse(def);
      return r.success ? [] : r.error.issues.map((i) => [i.path.join('.'), i.message]);
    };
    expect(issues({ projection: 'placement', field: 'inspectionReportNumber' })).toEqual([]);
    expect(issues({ projection: 'vaccination', field: 'vaccineCode' })).toEqual([['records.1.wholeLists.projection', 'names vaccination, which this mapping has no projections of']]);
    expect(issues({ projection: 'placement', field: 'startedOn' })).toEqual([
      ['records.1.wholeLists.field', 'is not a text field of placement (its text fields: facilityCode, reason, inspectionReportNumber)'],
    ]);
    // A field the projection does not map names no list (QA: accepted, and nothing was ever marked).
    const unmapped = structuredClone(shipped) as { records: Array<Record<string, unknown> & { projections: { placement: Array<{ fields: Record<string, unknown> }> } }> };
    delete unmapped.records[1]!.projections.placement[0]!.fields.reason;
    unmapped.records[1]!.wholeLists = { projection: 'placement', field: 'reason' };
    const notMapped = connectorDefinitionSchema.safeParse(unmapped);
    expect(notMapped.success ? [] : notMapped.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['records.1.wholeLists.field', 'is not mapped by projections.placement[0]: its records would be in no list'],
    ]);
    const school = parse(readFileSync(path.join(PROJECT_ROOT, 'connectors', 'school', 'connector.yaml'), 'utf8')) as { records: Array<Record<string, unknown>> };
    school.records[0]!.wholeLists = { projection: 'schoolEnrolment', field: 'schoolYear' };
    const refused = connectorDefinitionSchema.safeParse(school);
    expect(refused.success ? [] : refused.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['records.0.wholeLists', 'only applies when kind is file: a list is whole in a file (see removals for an API)'],
    ]);
  });
});
