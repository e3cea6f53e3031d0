import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { CHILD_SHEET, writeFacilityInspectionDrop } from '../connectors/facility-inspection/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { ConnectorCatalog } from '../src/connectors/definition/connector-catalog.js';
import { ConnectorSyncService } from '../src/connectors/sync/connector-sync.service.js';
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
   * Writes `file` again as `to`, its child sheet's data rows replaced by `keep(rows)`, dated `minutes` after now (read
   * after the files before it).
   */
  const rewrite = async (file: string, to: string, keep: (rows: unknown[][]) => unknown[][], minutes: number) => {
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
    await wb.xlsx.writeFile(to);
    const at = new Date(Date.now() + minutes * 60_000);
    utimesSync(to, at, at);
  };

  const absentOf = async (ids: string[]) =>
    (await ctx.sql.query<{ external_id: string; absent: boolean; by: string | null }>(
      `SELECT external_id, absent_since IS NOT NULL AS absent, absent_run_id AS by FROM source_record
        WHERE source_system = 'facility-inspection' AND external_id = ANY($1::text[]) ORDER BY external_id`, [ids]));
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
    // A first read marks nothing: every list is as its file has it.
    expect(first.removals ?? null).toBeNull();
    expect(await absentCount()).toBe(0);

    // The latest round's workbook, and its report with the most children.
    const file = drop.files.at(-1)!.path;
    const [header, ...rows] = await childRows(file);
    const idAt = header!.indexOf('Mã phiếu');
    const reportAt = header!.indexOf('Số biên bản');
    expect(idAt).toBeGreaterThanOrEqual(0);
    expect(reportAt).toBeGreaterThanOrEqual(0);
    const byReport = new Map<string, string[]>();
    for (const r of rows) byReport.set(String(r[reportAt]), [...(byReport.get(String(r[reportAt])) ?? []), String(r[idAt])]);
    const [report, listed] = [...byReport].sort((a, b) => b[1].length - a[1].length)[0]!;
    expect(listed.length).toBeGreaterThanOrEqual(3);
    const [leftOut1, leftOut2, ...kept] = listed;
    const others = rows.filter((r) => String(r[reportAt]) !== report).map((r) => String(r[idAt]));

    // The report corrected: sent again, in a workbook read in chunks of 2 rows, without two of its children.
    const corrected = path.join(dir, 'kiem-tra-co-so-dinh-chinh-1.xlsx');
    await rewrite(file, corrected, (data) => data.filter((r) => r[idAt] !== leftOut1 && r[idAt] !== leftOut2), 1);
    const second = await syncWith(2);
    expect(second.status).toBe('SUCCEEDED');
    expect(second.filesIngested).toBe(1);
    expect(second.removals).toMatchObject({ marked: 2, returned: 0, held: 0, heldReason: null, absent: 2 });
    expect(await absentOf([leftOut1!, leftOut2!])).toEqual([leftOut1!, leftOut2!].sort().map((id) => ({ external_id: id, absent: true, by: second.runId })));
    expect((await absentOf([...kept, ...others])).filter((r) => r.absent)).toEqual([]);
    // Their placements say so; the record, its placement and its child are kept.
    const placements = await ctx.sql.query<{ absent: boolean; n: number }>(
      `SELECT s.absent_since IS NOT NULL AS absent, count(*)::int AS n FROM placement p JOIN source_record s ON s.id = p.source_record_id
        WHERE p.inspection_report_number = $1 GROUP BY 1 ORDER BY 1`, [report]);
    expect(placements).toEqual([{ absent: false, n: kept.length }, { absent: true, n: 2 }]);

    // A later workbook lists one of them again (another correction): it is unmarked.
    const again = path.join(dir, 'kiem-tra-co-so-dinh-chinh-2.xlsx');
    await rewrite(file, again, (data) => data.filter((r) => r[idAt] !== leftOut2), 2);
    const third = await syncWith();
    expect(third.removals).toMatchObject({ marked: 0, returned: 1, held: 0, absent: 1 });
    expect(await absentOf([leftOut1!, leftOut2!])).toEqual([
      { external_id: leftOut1!, absent: false, by: null },
      { external_id: leftOut2!, absent: true, by: second.runId },
    ].sort((a, b) => a.external_id.localeCompare(b.external_id)));

    // A workbook with a child whose id cannot be read marks nothing: the unread row may be any of those left out.
    const blank = path.join(dir, 'kiem-tra-co-so-dinh-chinh-3.xlsx');
    await rewrite(file, blank, (data) => data
      .filter((r) => r[idAt] !== kept[0])
      .map((r) => (r[idAt] === leftOut1 ? r.map((v, i) => (i === idAt ? null : v)) : r)), 3);
    // Ids a file left unfinished held (changed while a stopped sync read it, never resumed) go with the next run.
    await ctx.sql.query(`INSERT INTO file_listed_record (connector_id, checksum, external_id)
      SELECT id, $1, 'KT-STALE' FROM connector WHERE name = 'facility-inspection'`, ['f'.repeat(64)]);
    const fourth = await syncWith();
    expect(fourth.rejected).toBeGreaterThanOrEqual(1);
    expect(fourth.removals).toMatchObject({ marked: 0, heldReason: 'UNIDENTIFIED_REJECTS' });
    expect(fourth.removals!.held).toBeGreaterThanOrEqual(1);
    expect((await absentOf([kept[0]!]))[0]!.absent).toBe(false);
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
    const school = parse(readFileSync(path.join(PROJECT_ROOT, 'connectors', 'school', 'connector.yaml'), 'utf8')) as { records: Array<Record<string, unknown>> };
    school.records[0]!.wholeLists = { projection: 'schoolEnrolment', field: 'schoolYear' };
    const refused = connectorDefinitionSchema.safeParse(school);
    expect(refused.success ? [] : refused.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['records.0.wholeLists', 'only applies when kind is file: a list is whole in a file (see removals for an API)'],
    ]);
  });
});
