/**
 * The health-station definition end to end: connector.yaml read with the hub's own reader (OAuth2, FHIR
 * next links, _revinclude joins) and mapper against the simulator must give what the generator's
 * hand-written mapping (`mapHealthPatient`) gives, plus vaccination, screening and disability projections.
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
import { generatePopulation } from '../../src/sample/population.js';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import { VACCINES, generateHealthStationEntries, type HealthStationEntry } from '../../src/sample/sources/health-clinical.js';
import { FHIR_SYSTEMS } from '../../src/sample/sources/health-station.js';
import { startHealthStationSimulator, type HealthStationSimulator } from './simulator.js';

const SEED = 2026;
const COUNT = 700;
const CLIENT = { id: 'childhub', secret: 'connector-test-secret' };
const silent = pino({ level: 'silent' });
const text = readFileSync(new URL('./connector.yaml', import.meta.url), 'utf8');
const definition = YAML.parse(text) as Record<string, unknown>;
const expected = new Map([...generateSourceRecords({ seed: SEED, count: COUNT, sources: ['health-station'] })].map((g) => [g.record.externalId, g.record]));
const entries = new Map<string, HealthStationEntry>([...generateHealthStationEntries({ seed: SEED, count: COUNT })].map((e) => [e.patient.id, e]));
const children = [...generatePopulation({ seed: SEED, count: COUNT })];

type Ok = Extract<MappedRecord, { ok: true }>;

async function sync(sim: HealthStationSimulator, http: HttpConfig, mapper: RecordMapper, position: ReaderPosition | null = null, between?: () => void) {
  const env = {
    HEALTH_STATION_FHIR_URL: sim.url,
    HEALTH_STATION_TOKEN_URL: sim.tokenUrl,
    HEALTH_STATION_CLIENT_ID: CLIENT.id,
    HEALTH_STATION_CLIENT_SECRET: CLIENT.secret,
  };
  const reader = new HttpReader(http, { env, logger: silent, name: 'health-station', sleep: async () => {} });
  const mapped: MappedRecord[] = [];
  let last: ReaderPosition | null = null;
  try {
    for await (const batch of reader.read(position, {})) {
      for (const raw of batch.records) mapped.push(mapper(raw));
      last = batch.position;
      between?.();
    }
  } finally {
    reader.close();
  }
  return { mapped, next: reader.complete(last, position) };
}

function withPageSize(http: HttpConfig, count: number): HttpConfig {
  return { ...http, request: { ...http.request, params: { ...http.request.params, _count: count } } };
}

function expectSameChild(actual: SourceRecordInput, want: SourceRecordInput): void {
  const { raw, familyName, middleName, givenName, ...fields } = want;
  for (const [key, value] of Object.entries(fields)) expect([key, (actual as unknown as Record<string, unknown>)[key]]).toEqual([key, value]);
  expect(splitFullName(actual.fullName!)).toEqual({ familyName, middleName, givenName });
  const { _include: _, ...asServed } = actual.raw;
  expect(asServed).toEqual(raw);
}

describe('health-station connector.yaml against the simulator', () => {
  let sim: HealthStationSimulator;
  let http: HttpConfig;
  let mapper: RecordMapper;

  beforeAll(async () => {
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../connector.schema.json');
    http = httpConfigSchema.parse(definition.http);
    mapper = compileRecordMapper('health-station', recordMappingsSchema.parse(definition.records));
    // Tokens live 31 s and the client refreshes 30 s before expiry: a new token about every second.
    sim = await startHealthStationSimulator({ seed: SEED, count: COUNT, port: 0, clientId: CLIENT.id, clientSecret: CLIENT.secret, tokenTtlSeconds: 31, logger: silent });
  });
  afterAll(async () => sim.close());

  it('maps a Patient whose name has only its parts, and whose personal number is typed NI under another system (QA: both were lost)', () => {
    const patient = {
      resourceType: 'Patient', id: 'hp-qa-1', gender: 'female', birthDate: '2019-05',
      name: [{ family: 'Nguyễn', given: ['Thị', 'Bình'] }],
      identifier: [{ system: 'https://cccd.example.gov.vn', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'NI' }] }, value: '001219012345' }],
      _include: { immunizations: [], observations: [] },
    };
    const mapped = mapper({ data: patient, location: 'page 1 entry 1' }) as Ok;
    expect(mapped.ok).toBe(true);
    expect(mapped.record).toMatchObject({ fullName: 'Nguyễn Thị Bình', identityNumber: '001219012345', sex: 'FEMALE', birthDatePrecision: 'MONTH' });
    // The name as written, and the number under its own system, still win.
    const written = mapper({ data: { ...patient, name: [{ text: 'Nguyễn Thị Bình An', family: 'Nguyễn' }], identifier: [...patient.identifier, { system: 'urn:vn:so-dinh-danh-ca-nhan', value: '001219099999' }] }, location: 'x' }) as Ok;
    expect(written.record).toMatchObject({ fullName: 'Nguyễn Thị Bình An', identityNumber: '001219099999' });
  });

  it('takes only final results, the current number and the official name; lands a Patient of unknown sex; reads CVX-coded vaccines, period dates and a later referral (QA, a real station server)', () => {
    const observation = (id: string, status: string, kind: string, extra: Record<string, unknown> = {}) => ({
      resourceType: 'Observation', id, status, subject: { reference: 'Patient/hp-qa-2' },
      category: [{ coding: [{ system: 'urn:vn:byt:loai-kham-sang-loc', code: kind }] }], effectiveDateTime: '2024-01-15', ...extra,
    });
    const disability = (id: string, status: string) => observation(id, status, 'KHUYET_TAT', {
      component: [{ code: { coding: [{ code: 'DANG_TAT' }] }, valueCodeableConcept: { coding: [{ code: 'TRI_TUE' }] } }],
    });
    const patient = {
      resourceType: 'Patient', id: 'hp-qa-2', gender: 'unknown', birthDate: '2016-02-03',
      name: [{ use: 'temp', text: 'Con bà Lan' }, { use: 'usual', text: 'Bin' }, { use: 'official', text: 'Nguyễn Văn Quảng' }],
      identifier: [
        { system: 'urn:vn:so-dinh-danh-ca-nhan', use: 'old', value: '001216000001', period: { end: '2021-06-30' } },
        { system: 'urn:vn:so-dinh-danh-ca-nhan', use: 'official', value: '001216000011' },
      ],
      _include: {
        immunizations: [{
          resourceType: 'Immunization', id: 'i-cvx', status: 'completed', patient: { reference: 'Patient/hp-qa-2' }, occurrenceDateTime: '2016-03-01',
          vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '19', display: 'BCG' }] },
        }],
        observations: [
          observation('o-wrong-patient', 'entered-in-error', 'THI_LUC', { valueCodeableConcept: { text: 'Mắt phải 3/10' } }),
          observation('o-cancelled', 'cancelled', 'THINH_LUC'),
          observation('o-preliminary', 'preliminary', 'THINH_LUC', { valueCodeableConcept: { text: 'Nghi giảm thính lực' } }),
          disability('o-disability-error', 'entered-in-error'),
          observation('o-final', 'final', 'DINH_DUONG', {
            effectiveDateTime: undefined, effectivePeriod: { start: '2024-03-02T08:00:00+07:00', end: '2024-03-02T09:00:00+07:00' },
            valueCodeableConcept: { coding: [{ code: 'SDD', display: 'Suy dinh dưỡng' }] },
            interpretation: [
              { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'A' }] },
              { coding: [{ system: 'urn:vn:byt:xu-tri', code: 'THEO_DOI' }] },
              { coding: [{ system: 'urn:vn:byt:xu-tri', code: 'CHUYEN_TUYEN' }] },
            ],
          }),
          observation('o-amended', 'amended', 'THI_LUC', { valueQuantity: { comparator: '>', value: 93, code: '%' } }),
        ],
      },
    };
    const mapped = mapper({ data: patient, location: 'page 1 entry 1' }) as Ok;
    expect(mapped.ok).toBe(true);
    expect(mapped.record).toMatchObject({ fullName: 'Nguyễn Văn Quảng', identityNumber: '001216000011', groups: [] });
    expect(mapped.record!.sex ?? null).toBeNull();
    expect(mapped.projections.vaccination).toEqual([expect.objectContaining({ vaccineCode: 'BCG', vaccineName: 'BCG', status: 'COMPLETED' })]);
    expect(mapped.projections.healthScreening).toEqual([
      expect.objectContaining({ kind: 'NUTRITION', screenedOn: '2024-03-02', result: 'Suy dinh dưỡng', interpretation: 'REFERRED' }),
      expect.objectContaining({ kind: 'VISION', screenedOn: '2024-01-15', result: '> 93 %' }),
    ]);
    expect(mapped.projections.disability ?? []).toEqual([]);
    // The same assessment made final is a disability and puts the child in group d.
    const final = mapper({ data: { ...patient, _include: { ...patient._include, observations: [disability('o-disability', 'final')] } }, location: 'x' }) as Ok;
    expect(final.record!.groups).toEqual([{ clause: 'd', subType: 'TRI_TUE' }]);
    expect(final.projections.disability).toEqual([expect.objectContaining({ type: 'TRI_TUE', assessedOn: '2024-01-15' })]);
    // Without an official name, a usual one, not a newborn's temporary one.
    const usual = mapper({ data: { ...patient, name: patient.name.slice(0, 2) }, location: 'x' }) as Ok;
    expect(usual.record!.fullName).toBe('Bin');
    // A gender outside FHIR's codes is still refused, naming the field.
    const wrong = mapper({ data: { ...patient, gender: 'Nam' }, location: 'x' });
    expect(wrong.ok).toBe(false);
  });

  it('reads every Patient with its resources and maps it as mapHealthPatient does, with projections', async () => {
    const { mapped } = await sync(sim, withPageSize(http, 60), mapper);
    expect(mapped).toHaveLength(expected.size);
    const byId = new Map<string, Ok>();
    for (const m of mapped) {
      expect(m.ok).toBe(true);
      byId.set((m as Ok).externalId, m as Ok);
    }
    expect(new Set(byId.keys())).toEqual(new Set(expected.keys()));

    const vaccineCodes = new Set(Object.keys(VACCINES));
    let vaccinations = 0;
    let disabilities = 0;
    for (const [id, want] of expected) {
      const got = byId.get(id)!;
      expect(got.flags).toEqual([]);
      expectSameChild(got.record!, want);
      const { clinical } = entries.get(id)!;

      const given = clinical.immunizations.filter((i) => i.status !== 'entered-in-error');
      expect(got.projections.vaccination).toHaveLength(given.length);
      for (const [k, v] of (got.projections.vaccination ?? []).entries()) {
        const imm = given[k]!;
        expect(vaccineCodes.has(v.vaccineCode)).toBe(true);
        expect(v).toEqual({
          vaccineCode: imm.vaccineCode.coding[0]!.code,
          vaccineName: imm.vaccineCode.text,
          occurredOn: imm.occurrenceDateTime,
          doseNumber: imm.protocolApplied[0]!.doseNumberPositiveInt,
          status: imm.status === 'completed' ? 'COMPLETED' : 'NOT_DONE',
          performer: imm.performer[0]!.actor.display,
        });
      }
      vaccinations += given.length;

      const screenings = got.projections.healthScreening ?? [];
      expect(screenings).toHaveLength(clinical.observations.length);
      for (const s of screenings) {
        expect(s.kind).toMatch(/^(NEWBORN|HEARING|NUTRITION|DEVELOPMENT|VISION|DISABILITY|GENERAL)$/);
        expect(s.interpretation).toMatch(/^(NORMAL|ABNORMAL|REFERRED)$/);
        expect(s.screenedOn! >= want.birthDate!).toBe(true);
        expect(s.result).toBeTruthy();
        expect(s.performer).toMatch(/^Trạm Y tế/);
        if (s.kind === 'NUTRITION') expect(s.result).toMatch(/^\d+(\.\d)? kg$/);
      }

      const assessments = clinical.observations.filter((o) => o.category.some((c) => c.coding[0]?.code === 'KHUYET_TAT'));
      expect(got.projections.disability).toHaveLength(assessments.length);
      const patientIndex = Number(entries.get(id)!.truthId.slice(1)) - 1;
      for (const d of got.projections.disability ?? []) {
        disabilities++;
        expect(d.type).toBe(children[patientIndex]!.disabilityType);
        expect(d.severity).toMatch(/^(NHE|NANG|DAC_BIET_NANG)$/);
        expect(d.assessedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
      // A record flagged with a disability carries the group and an assessment of the same type.
      const flag = (want.raw as { extension: Array<{ url: string; valueCode?: string }> }).extension.find((e) => e.url === FHIR_SYSTEMS.disability);
      if (flag) expect(got.projections.disability?.[0]?.type).toBe(flag.valueCode);
    }
    expect(vaccinations / expected.size).toBeGreaterThan(5);
    expect(disabilities).toBeGreaterThan(0);
    expect(sim.stats().tokensIssued).toBeGreaterThanOrEqual(1);
  });

  it('refreshes a token the server no longer accepts, and survives 429, 500, repeated and shuffled pages', async () => {
    sim.setFaults({ rateLimitEvery: 3, retryAfterSeconds: 0, errorRate: 0.15, repeatPageRate: 0.2, reorderWithinPage: true, seed: 4 });
    const issuedBefore = sim.stats().tokensIssued;
    try {
      const { mapped } = await sync(sim, withPageSize(http, 40), mapper, null, () => sim.revokeTokens());
      const ids = new Set(mapped.map((m) => (m as Ok).externalId));
      expect(ids).toEqual(new Set(expected.keys()));
      expect(sim.stats().tokensIssued - issuedBefore).toBeGreaterThan(2);
      expect(sim.stats().byStatus['401']).toBeGreaterThan(0);
    } finally {
      sim.setFaults({});
    }
  });

  it('rejects every malformed Patient with a field and code, and maps the rest', async () => {
    sim.setFaults({ malformedRecordRate: 0.06 });
    try {
      const { mapped } = await sync(sim, withPageSize(http, 100), mapper);
      const rejected = mapped.filter((m): m is Extract<MappedRecord, { ok: false }> => !m.ok);
      expect(rejected.length).toBeGreaterThan(expected.size * 0.02);
      expect(new Set(rejected.flatMap((r) => r.problems.map((p) => p.field)))).toEqual(new Set(['birthDate', 'sex', 'externalId']));
      for (const m of mapped.filter((x): x is Ok => x.ok)) expectSameChild(m.record!, expected.get(m.externalId)!);
    } finally {
      sim.setFaults({});
    }
  });

  it('reads only the Patients changed since the last run, with what was recorded', async () => {
    const first = await sync(sim, http, mapper);
    const { ids } = sim.touch(5);
    const second = await sync(sim, http, mapper, first.next);
    const byId = new Map(second.mapped.map((m) => [(m as Ok).externalId, m as Ok]));
    for (const id of ids) {
      const got = byId.get(id)!;
      expect(got.projections.healthScreening?.some((s) => s.kind === 'GENERAL')).toBe(true);
      const want = expected.get(id)!;
      expect(got.record!.identityNumber ?? null).toBe(want.identityNumber ?? children[Number(entries.get(id)!.truthId.slice(1)) - 1]!.identityNumber);
    }
    expect(byId.size).toBeLessThan(expected.size / 10);
  });
});
