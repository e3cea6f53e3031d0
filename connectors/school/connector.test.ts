/**
 * The school definition end to end: connector.yaml read with the hub's own reader and mapper against the
 * simulator must give what the generator's hand-written mapping (`mapSchoolStudent`) gives, plus projections.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { splitFullName } from '../../src/domain/vietnamese-name.js';
import type { SourceRecordInput } from '../../src/domain/source-record-input.js';
import { HttpReader } from '../../src/connectors/http/http-reader.js';
import { httpConfigSchema, type HttpConfig } from '../../src/connectors/http/http.schema.js';
import { compileRecordMapper, type RecordMapper } from '../../src/connectors/mapping/record-mapper.js';
import { recordMappingsSchema } from '../../src/connectors/mapping/mapping.schema.js';
import type { MappedRecord, ReaderPosition } from '../../src/connectors/types.js';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import type { SchoolStudent } from '../../src/sample/sources/school.js';
import { startSchoolSimulator, type SchoolSimulator } from './simulator.js';

const SEED = 2026;
const COUNT = 1200;
const KEY = 'connector-test-key';
const silent = pino({ level: 'silent' });
const definition = YAML.parse(readFileSync(new URL('./connector.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
const expected = new Map([...generateSourceRecords({ seed: SEED, count: COUNT, sources: ['school'] })].map((g) => [g.record.externalId, g.record]));

type Ok = Extract<MappedRecord, { ok: true }>;

/** Reads every page with the definition's reader and maps every record; the last batch position too. */
async function sync(sim: SchoolSimulator, http: HttpConfig, mapper: RecordMapper, position: ReaderPosition | null = null) {
  const reader = new HttpReader(http, { env: { SCHOOL_API_URL: sim.url, SCHOOL_API_KEY: KEY }, logger: silent, name: 'school', sleep: async () => {} });
  const mapped: MappedRecord[] = [];
  let last: ReaderPosition | null = null;
  try {
    for await (const batch of reader.read(position, {})) {
      for (const raw of batch.records) mapped.push(mapper(raw));
      last = batch.position;
    }
  } finally {
    reader.close();
  }
  return { mapped, next: reader.complete(last, position) };
}

/** The definition with pages of 100, so that a small population still spans many requests. */
function smallPages(http: HttpConfig): HttpConfig {
  return { ...http, pagination: { ...http.pagination, size: 100 } as HttpConfig['pagination'] };
}

/** The fields the hand-written mapping gives, as the hub's mapper gives them (it leaves the split to ingest). */
function expectSameChild(actual: SourceRecordInput, want: SourceRecordInput): void {
  const { raw: _raw, familyName, middleName, givenName, ...fields } = want;
  for (const [key, value] of Object.entries(fields)) expect([key, (actual as unknown as Record<string, unknown>)[key]]).toEqual([key, value]);
  expect(splitFullName(actual.fullName!)).toEqual({ familyName, middleName, givenName });
  expect(actual.birthDateEstimated).toBe(false);
  expect(actual.raw).toEqual(want.raw);
}

describe('school connector.yaml against the simulator', () => {
  let sim: SchoolSimulator;
  let http: HttpConfig;
  let mapper: RecordMapper;

  beforeAll(async () => {
    expect(readFileSync(new URL('./connector.yaml', import.meta.url), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../connector.schema.json');
    http = httpConfigSchema.parse(definition.http);
    mapper = compileRecordMapper('school', recordMappingsSchema.parse(definition.records));
    sim = await startSchoolSimulator({ seed: SEED, count: COUNT, port: 0, apiKey: KEY, logger: silent });
  });
  afterAll(async () => sim.close());

  it('reads a birth date given as a year alone with YEAR precision (QA: the pupil was rejected, and their enrolment lost)', () => {
    const raw = JSON.parse(readFileSync(new URL('./samples/hoc-sinh-page-1.json', import.meta.url), 'utf8')).data[0] as Record<string, unknown>;
    const mapped = mapper({ data: { ...raw, ngay_sinh: '2016' }, location: 'page 1 entry 1' });
    expect(mapped.ok).toBe(true);
    expect((mapped as Extract<typeof mapped, { ok: true }>).record).toMatchObject({ birthDate: '2016-01-01', birthDatePrecision: 'YEAR' });
  });

  it('reads every record and maps it exactly as mapSchoolStudent does, with enrolment and disability projections', async () => {
    const { mapped } = await sync(sim, http, mapper);
    expect(mapped).toHaveLength(expected.size);
    const byId = new Map<string, Ok>();
    for (const m of mapped) {
      expect(m.ok).toBe(true);
      const ok = m as Ok;
      byId.set(ok.externalId, ok);
    }
    expect(new Set(byId.keys())).toEqual(new Set(expected.keys()));
    let disabled = 0;
    let upperSecondaryDropOuts = 0;
    for (const [id, want] of expected) {
      const got = byId.get(id)!;
      expect(got.type).toBe('child');
      expect(got.flags).toEqual([]);
      expectSameChild(got.record!, want);
      const raw = want.raw as SchoolStudent;
      // Group h is leaving before finishing lower secondary: never a THPT pupil's.
      const h = got.record!.groups!.some((g) => g.clause === 'h');
      expect(h, id).toBe(raw.trang_thai === 'Thôi học' && (raw.cap_hoc === 'Tiểu học' || raw.cap_hoc === 'THCS'));
      if (raw.cap_hoc === 'THPT' && raw.trang_thai === 'Thôi học') upperSecondaryDropOuts++;
      expect(got.projections.schoolEnrolment).toEqual([
        {
          studentCode: raw.ma_dinh_danh_hoc_sinh,
          schoolYear: '2026-2027',
          schoolCode: raw.ma_truong,
          schoolName: raw.ten_truong,
          level: raw.cap_hoc,
          grade: raw.khoi,
          className: raw.lop,
          status: raw.trang_thai === 'Thôi học' ? 'DROPPED_OUT' : 'STUDYING',
          inclusiveEducation: raw.hoc_hoa_nhap,
        },
      ]);
      if (raw.khuyet_tat) {
        disabled++;
        expect(got.projections.disability).toEqual([{ type: raw.dang_khuyet_tat, severity: null, assessedOn: null, inclusiveEducation: raw.hoc_hoa_nhap }]);
        expect(raw.dang_khuyet_tat).toMatch(/^(VAN_DONG|NGHE_NOI|NHIN|THAN_KINH_TAM_THAN|TRI_TUE|KHAC)$/);
      } else {
        expect(got.projections.disability).toEqual([]);
      }
    }
    expect(disabled).toBeGreaterThan(0);
    expect(upperSecondaryDropOuts).toBeGreaterThan(0);
  });

  it('survives the weather (429, 500, repeated and shuffled pages) and still gets every record', async () => {
    sim.setFaults({ rateLimitEvery: 4, retryAfterSeconds: 0, errorRate: 0.15, repeatPageRate: 0.2, reorderWithinPage: true, seed: 9 });
    try {
      const { mapped } = await sync(sim, smallPages(http), mapper);
      const ids = mapped.map((m) => (m as Ok).externalId);
      expect(new Set(ids)).toEqual(new Set(expected.keys()));
      expect(sim.stats().injected.rateLimited + sim.stats().injected.errors).toBeGreaterThan(0);
    } finally {
      sim.setFaults({});
    }
  });

  it('rejects every malformed record, with a field and code, and maps the rest', async () => {
    sim.setFaults({ malformedRecordRate: 0.05 });
    try {
      const { mapped } = await sync(sim, smallPages(http), mapper);
      const rejected = mapped.filter((m): m is Extract<MappedRecord, { ok: false }> => !m.ok);
      expect(rejected.length).toBeGreaterThan(expected.size * 0.02);
      for (const r of rejected) {
        expect(r.problems.length).toBeGreaterThan(0);
        expect(r.problems.every((p) => p.field && p.code && p.message)).toBe(true);
      }
      // A row without its id also lacks the enrolment's student code.
      const fields = new Set(rejected.flatMap((r) => r.problems.map((p) => p.field)));
      expect(fields).toEqual(new Set(['birthDate', 'sex', 'externalId', 'projections.schoolEnrolment[0].studentCode']));
      for (const m of mapped.filter((x): x is Ok => x.ok)) expectSameChild(m.record!, expected.get(m.externalId)!);
    } finally {
      sim.setFaults({});
    }
  });

  it('reads only what changed on the next run (incremental, with the lookback)', async () => {
    const first = await sync(sim, http, mapper);
    const { ids } = sim.touch(9);
    const second = await sync(sim, http, mapper, first.next);
    const seen = new Set(second.mapped.map((m) => (m as Ok).externalId));
    for (const id of ids) expect(seen.has(id)).toBe(true);
    expect(seen.size).toBeLessThan(expected.size / 10);
  });
});
