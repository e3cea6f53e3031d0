/**
 * The definition against the workbooks the simulator writes: `connector.yaml` validates, the FileReader reads
 * both sheets, and the mapping gives each child the fields mapFacilityInspectionRow gives the same row
 * (src/sample/sources/facility-inspection.ts) plus a placement, and each facility row its facility and
 * inspection projections.
 *
 * As in the mapping engine's equivalence test, null and absent are the same, and the engine leaves the split of
 * the full name to ingest (the split of its name is compared). Group evidence is compared as a set.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorDefinitionSchema } from '../../src/connectors/definition/connector-definition.schema.js';
import { FileReader } from '../../src/connectors/file/file-reader.js';
import { fileConfigSchema } from '../../src/connectors/file/file.schema.js';
import { recordMappingsSchema } from '../../src/connectors/mapping/mapping.schema.js';
import { compileRecordMapper } from '../../src/connectors/mapping/record-mapper.js';
import type { RawRecord, ReaderReject } from '../../src/connectors/types.js';
import type { SourceRecordInput } from '../../src/domain/source-record-input.js';
import { splitFullName } from '../../src/domain/vietnamese-name.js';
import { resolveCommuneByName } from '../../src/reference/admin-units.js';
import { facilityByCode } from '../../src/sample/facilities.js';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import type { FacilityInspectionRow } from '../../src/sample/sources/facility-inspection.js';
import { validateSourceRecord } from '../../src/services/ingest/source-record.validator.js';
import { inspectionDate, reportNumber, writeFacilityInspectionDrop } from './simulator.js';

const SEED = 13;
const COUNT = 30_000;
const logger = pino({ level: 'silent' });

const definition = parseYaml(await readFile(new URL('./connector.yaml', import.meta.url), 'utf8')) as Record<string, unknown> & {
  file: Record<string, unknown>;
  records: unknown;
};
const mapper = compileRecordMapper('facility-inspection', recordMappingsSchema.parse(definition.records));

async function readAll(dir: string): Promise<{ records: RawRecord[]; rejects: ReaderReject[] }> {
  const reader = new FileReader(fileConfigSchema.parse({ ...definition.file, directory: dir, settleSeconds: 0 }), { logger, name: 'facility-inspection' });
  const records: RawRecord[] = [];
  const rejects: ReaderReject[] = [];
  for await (const batch of reader.read(null, {})) {
    records.push(...batch.records);
    rejects.push(...(batch.rejects ?? []));
  }
  return { records, rejects };
}

const NAME_PARTS = new Set(['familyName', 'middleName', 'givenName', 'raw', 'groups']);
const normal = (key: string, v: unknown): unknown => (v === undefined ? (key === 'birthDateEstimated' ? false : null) : v);
const sortedGroups = (r: SourceRecordInput) =>
  (r.groups ?? []).map((g) => ({ clause: g.clause, since: g.since ?? null, subType: g.subType ?? null })).sort((a, b) => a.clause.localeCompare(b.clause));

function expectSameChild(engine: SourceRecordInput, hand: SourceRecordInput): void {
  for (const key of new Set([...Object.keys(engine), ...Object.keys(hand)])) {
    if (NAME_PARTS.has(key)) continue;
    const a = normal(key, (engine as unknown as Record<string, unknown>)[key]);
    const b = normal(key, (hand as unknown as Record<string, unknown>)[key]);
    expect(a, `${hand.externalId}.${key}`).toEqual(b);
  }
  expect(sortedGroups(engine), `${hand.externalId}.groups`).toEqual(sortedGroups(hand));
  const split = engine.fullName ? splitFullName(engine.fullName) : null;
  expect(split && [split.familyName, split.middleName, split.givenName], `${hand.externalId} name parts`).toEqual([
    hand.familyName ?? null,
    hand.middleName ?? null,
    hand.givenName ?? null,
  ]);
  expect(validateSourceRecord(engine).ok).toBe(true);
}

const isoOf = (dmy: string | null): string | null => (dmy ? `${dmy.slice(6)}-${dmy.slice(3, 5)}-${dmy.slice(0, 2)}` : null);
/** Whether a record holds text the reader could not decode (U+FFFD; see the justice-register connector test). */
const garbled = (raw: RawRecord): boolean => Object.values(raw.data).some((v) => typeof v === 'string' && v.includes('\uFFFD'));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-facility-connector-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('connectors/facility-inspection/connector.yaml', () => {
  it('validates: records against the mapping schema, file against the file schema, and as a whole definition', () => {
    expect(recordMappingsSchema.safeParse(definition.records).error?.issues).toBeUndefined();
    expect(fileConfigSchema.safeParse(definition.file).error?.issues).toBeUndefined();
    expect(connectorDefinitionSchema.safeParse(definition).error?.issues).toBeUndefined();
    expect(definition.file.directory).toEqual({ env: 'FACILITY_INSPECTION_DROP_DIR', default: 'var/drops/facility-inspection' });
  });

  it('reads both sheets of every round and maps them: children as mapFacilityInspectionRow does, facilities with their inspection', { timeout: 60_000 }, async () => {
    const { files } = await writeFacilityInspectionDrop({ dir, seed: SEED, count: COUNT, brokenRows: 2 });
    const hand = new Map<string, SourceRecordInput>();
    for (const { record } of generateSourceRecords({ seed: SEED, count: COUNT, sources: ['facility-inspection'] })) hand.set(record.externalId, record);
    const { records, rejects } = await readAll(dir);
    expect(rejects).toEqual([]);

    const refused: string[] = [];
    let flagged = 0;
    const children = new Set<string>();
    const facilities: Array<{ code: string; year: string }> = [];
    for (const raw of records) {
      const out = mapper(raw);
      if (!out.ok) {
        expect(raw.recordType).toBe('child');
        expect(out.problems.map((p) => [p.field, p.code])).toEqual([['birthDate', 'INVALID_DATE']]);
        refused.push(raw.location!);
        continue;
      }
      if (out.type === 'facility') {
        expect(out.flags).toEqual([]);
        const f = facilityByCode(out.externalId)!;
        const inspected = out.projections.inspection![0]!.inspectedOn;
        const year = Number(inspected.slice(0, 4));
        facilities.push({ code: f.code, year: String(year) });
        expect(out.projections.facility).toEqual([
          {
            code: f.code,
            name: f.name,
            type: f.kind.startsWith('RELIGIOUS') ? 'RELIGIOUS' : f.kind,
            communeCode: f.communeCode, // resolved from the commune's name
            licenceStatus: f.licence === null ? 'NONE' : f.kind === 'RELIGIOUS_REGISTERED' ? 'REGISTERED' : 'LICENSED',
            licenceNumber: f.licence,
            capacity: f.capacity,
          },
        ]);
        expect(out.projections.inspection).toEqual([
          {
            facilityCode: f.code,
            reportNumber: reportNumber(f, year),
            inspectedOn: inspectionDate(f, year),
            inspectingUnit: f.kind.startsWith('RELIGIOUS') ? 'Sở Dân tộc và Tôn giáo Hà Nội' : 'Sở Y tế Hà Nội',
            findings: expect.any(String),
            childrenPresent: records.filter((r) => r.recordType === 'child' && r.data['Mã cơ sở'] === f.code && r.data['Số biên bản'] === reportNumber(f, year)).length,
          },
        ]);
        continue;
      }
      const expected = hand.get(out.externalId)!;
      expect(expected, out.externalId).toBeDefined();
      expectSameChild(out.record!, expected);
      const row = expected.raw as FacilityInspectionRow;
      // An estimated birth year one too late (the simulator's BIRTH_YEAR_ESTIMATE_OFF) may fall after the date the
      // child was taken in or seen there: such a record is flagged, once per date, and only such a one.
      const known = { DAY: 10, MONTH: 7, YEAR: 4 }[expected.birthDatePrecision ?? 'DAY'];
      const contradicted = [row.tre_em.ngay_tiep_nhan, row.dot_kiem_tra.ngay_kiem_tra].filter(
        (dmy) => dmy && expected.birthDate && expected.birthDate.slice(0, known) > isoOf(dmy)!.slice(0, known),
      );
      expect(out.flags.map((f) => f.code), out.externalId).toEqual(contradicted.map(() => 'DATES_INCONSISTENT'));
      flagged += contradicted.length;
      const f = facilityByCode(row.ma_co_so)!;
      const year = Number(row.dot_kiem_tra.ngay_kiem_tra.slice(6));
      expect(out.projections).toEqual({
        placement: [
          {
            facilityCode: row.ma_co_so,
            startedOn: isoOf(row.tre_em.ngay_tiep_nhan),
            reason: row.tre_em.hoan_canh,
            seenOn: isoOf(row.dot_kiem_tra.ngay_kiem_tra),
            inspectionReportNumber: reportNumber(f, year),
          },
        ],
      });
      children.add(out.externalId);
    }
    expect(refused).toEqual(
      files.flatMap((f) => f.brokenRows.map((n) => `${path.basename(f.path)} sheet "Trẻ em" row ${n}`)),
    );
    // Every child of the population in care is on a list, once per round; every facility once per round.
    const childRows = records.filter((r) => r.recordType === 'child');
    const facilityRows = records.filter((r) => r.recordType === 'facility');
    expect(childRows).toHaveLength(hand.size);
    expect(facilityRows).toHaveLength(files.reduce((n, f) => n + f.facilityRows, 0));
    // No text mangled by the XLSX reader (exceljs's chunk-decoding bug, worked around in xlsx-rows.ts).
    expect(records.filter(garbled).map((r) => r.location)).toEqual([]);
    expect(children.size).toBe(childRows.length - refused.length);
    expect(facilities).toHaveLength(facilityRows.length);
    expect(flagged).toBeGreaterThan(0);
  });

  it('places a facility in the commune its row\'s code names, by name only when the code is missing (QA)', () => {
    const row = (data: Record<string, unknown>): RawRecord => ({
      recordType: 'facility',
      data: { 'Mã cơ sở': 'CS-QA-07', 'Tên cơ sở': 'Chùa Quang Trung', 'Loại hình': 'Cơ sở tôn giáo', 'Ngày kiểm tra': '2026-05-04', 'Số biên bản': '07/2026/BB-KT', ...data },
    });
    const communeOf = (r: RawRecord) => {
      const out = mapper(r);
      if (!out.ok) throw new Error(JSON.stringify(out.problems));
      return out.projections.facility![0]!.communeCode;
    };
    // An old-style name the 2025 list does not know, with the code beside it.
    expect(communeOf(row({ 'Xã/phường': 'Phường Quang Trung, Quận Hà Đông', 'Mã xã': '09556' }))).toBe('09556');
    const vanMieu = resolveCommuneByName('Phường Văn Miếu - Quốc Tử Giám', '01')!.communeCode;
    expect(communeOf(row({ 'Xã/phường': 'Phường Văn Miếu - Quốc Tử Giám', 'Mã xã': '' }))).toBe(vanMieu);
    // A code that does not resolve gives way to a name that does (QA re-check: an unknown code took its place, a
    // pre-2025 code was kept unresolved, a malformed one refused the row).
    expect(communeOf(row({ 'Xã/phường': 'Phường Văn Miếu - Quốc Tử Giám', 'Mã xã': '99999' }))).toBe(vanMieu);
    expect(communeOf(row({ 'Xã/phường': 'Phường Văn Miếu - Quốc Tử Giám', 'Mã xã': '00001' }))).toBe(vanMieu);
    expect(communeOf(row({ 'Xã/phường': 'Phường Văn Miếu - Quốc Tử Giám', 'Mã xã': '00-004' }))).toBe(vanMieu);
    // Neither resolves: the code, kept as given (and flagged), as any firstOf takes the first present.
    const neither = mapper(row({ 'Xã/phường': 'Phường Không Có', 'Mã xã': '99999' }));
    expect(neither.ok && neither.projections.facility![0]!.communeCode).toBe('99999');
  });

  it('reads a capacity and a count of children written with what they count (`40 trẻ`), and refuses a qualified one', () => {
    const row = (data: Record<string, unknown>): RawRecord => ({
      recordType: 'facility',
      data: { 'Mã cơ sở': 'CS-QA-08', 'Tên cơ sở': 'Mái ấm Hoa Sen', 'Loại hình': 'Cơ sở tôn giáo', 'Ngày kiểm tra': '2026-05-04', 'Số biên bản': '08/2026/BB-KT', ...data },
    });
    const out = mapper(row({ 'Công suất': '40 trẻ', 'Số trẻ hiện có': '37 cháu' }));
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    expect(out.projections.facility![0]!.capacity).toBe(40);
    expect(out.projections.inspection![0]!.childrenPresent).toBe(37);
    const qualified = mapper(row({ 'Công suất': 'khoảng 40' }));
    expect(qualified.ok).toBe(false);
    expect(!qualified.ok && qualified.problems.map((p) => p.code)).toContain('INVALID_INTEGER');
  });
});
