import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChildren } from './support/build-children.js';
import { AuditWriter } from '../src/audit/audit-writer.js';
import { ALL_COMMUNES } from '../src/auth/principal.js';
import { classesForRoles } from '../src/auth/sensitivity.js';
import type { Projections } from '../src/connectors/types.js';
import { ChildReadRepository } from '../src/db/repositories/child-read.repository.js';
import { createGraphQLContext } from '../src/graphql/context.js';
import { createGateway } from '../src/graphql/gateway.js';
import { ProjectionWriter, type FacilityRecordProjections } from '../src/services/projections/projection.writer.js';
import { aRecord } from './support/records.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

const HA_NUMBER = '001315000123';

const vaccination = (over: Partial<NonNullable<Projections['vaccination']>[number]> = {}) => ({
  vaccineCode: 'BCG', vaccineName: 'Lao', occurredOn: '2015-03-03', doseNumber: 1, status: 'COMPLETED', performer: 'TYT Ba Đình', ...over,
});
const placement = (facilityCode: string) => ({ facilityCode, startedOn: '2024-05-01', reason: 'Bị bỏ rơi', seenOn: '2026-10-01', inspectionReportNumber: 'BB-1' });

const facilityRecord = (over: { name?: string; findings?: string } = {}): FacilityRecordProjections => ({
  sourceSystem: 'facility-inspection',
  externalId: 'CS-001',
  projections: {
    facility: [{ code: 'CS-001', name: over.name ?? 'Chùa Phúc Lâm', type: 'RELIGIOUS', communeCode: '00004', licenceStatus: 'NONE', licenceNumber: null, capacity: 20 }],
    inspection: [
      { facilityCode: 'CS-001', reportNumber: 'BB-1', inspectedOn: '2026-10-01', inspectingUnit: 'Sở Dân tộc và Tôn giáo', findings: over.findings ?? 'Chưa đăng ký', childrenPresent: 2 },
      { facilityCode: 'CS-001', reportNumber: 'BB-0', inspectedOn: '2025-04-12', inspectingUnit: null, findings: null, childrenPresent: 1 },
    ],
  },
});

describe('projections: written per source record, read per child by role', () => {
  let hub: TestHub;
  let writer: ProjectionWriter;
  let haId: string;
  let minhId: string;
  /** Source record ids by external id. */
  const records = new Map<string, string>();

  const ingestWith = async (items: Array<{ record: ReturnType<typeof aRecord>; projections: Projections }>) => {
    return hub.ctx.sql.tx(async (client) => {
      const res = await hub.ctx.ingest.ingestItems(client, items.map((i) => ({ input: i.record })));
      for (const s of res.stored) records.set(items[s.index]!.record.externalId, s.sourceRecordId);
      await writer.replaceForSourceRecords(client, res.stored.map((s) => ({ sourceRecordId: s.sourceRecordId, projections: items[s.index]!.projections })));
      return res;
    });
  };
  const replace = (externalId: string, projections: Projections) =>
    hub.ctx.sql.tx((client) => writer.replaceForSourceRecords(client, [{ sourceRecordId: records.get(externalId)!, projections }]));
  const upsertFacilities = (items: FacilityRecordProjections[]) => hub.ctx.sql.tx((client) => writer.upsertFacilities(client, items));

  beforeAll(async () => {
    hub = await startTestHub();
    writer = new ProjectionWriter();
    const res = await ingestWith([
      {
        record: aRecord({ externalId: 'H-1', identityNumber: HA_NUMBER }),
        projections: {
          vaccination: [vaccination({ vaccineCode: 'OPV', occurredOn: '2015-05-02' }), vaccination()],
          healthScreening: [{ screenedOn: '2015-03-02', kind: 'NEWBORN', code: null, result: 'Bình thường', interpretation: 'NORMAL', performer: null }],
          disability: [{ type: 'VAN_DONG', severity: 'NANG', assessedOn: '2019-06-01', inclusiveEducation: null }],
        },
      },
      {
        record: aRecord({ sourceSystem: 'school', externalId: 'S-1', identityNumber: HA_NUMBER }),
        projections: {
          schoolEnrolment: [{ studentCode: 'HS0001', schoolYear: '2026-2027', schoolCode: 'TH01', schoolName: 'Tiểu học Ba Đình', level: 'Tiểu học', grade: 5, className: '5A', status: 'STUDYING', inclusiveEducation: true }],
        },
      },
      {
        record: aRecord({ sourceSystem: 'justice-register', externalId: 'J-1', identityNumber: HA_NUMBER }),
        projections: {
          birthRegistration: [{ registrationNumber: '123/2015', book: '01', registeredOn: '2015-03-20', registeredAt: 'UBND phường Ba Đình', communeCode: '00004', fatherName: null, motherName: null, declarantName: 'Chùa Phúc Lâm', declarantRelation: 'Cơ sở nuôi dưỡng', note: 'Trẻ bị bỏ rơi' }],
          adoptionRegistration: [{ registrationNumber: 'NCN-7/2026', book: '02', registeredOn: '2026-02-10', registeredAt: 'UBND phường Ba Đình', certificateNumber: 'GCN-7', adoptiveFatherName: 'Lê Văn Nam', adoptiveMotherName: 'Phạm Thị Lan', givenBy: 'Chùa Phúc Lâm', priorCircumstance: 'Bị bỏ rơi', childConsent: null }],
        },
      },
      { record: aRecord({ sourceSystem: 'facility-inspection', externalId: 'P-1', identityNumber: HA_NUMBER }), projections: { placement: [placement('CS-001')] } },
      {
        record: aRecord({ sourceSystem: 'facility-inspection', externalId: 'P-2', fullName: 'Trần Văn Minh', sex: 'MALE', birthDate: '2012-07-09', identityNumber: '001212000999', communeCode: '00008' }),
        projections: { placement: [placement('CS-001'), placement('CS-404')] },
      },
    ]);
    expect(res).toMatchObject({ inserted: 5, childrenCreated: 2 });
    await hub.ctx.goldenRecords.recompute(res.childrenToRecompute);
    const children = await hub.ctx.sql.query<{ id: string; commune_code: string }>('SELECT id, commune_code FROM child ORDER BY commune_code');
    haId = children[0]!.id;
    minhId = children[1]!.id;
    await upsertFacilities([facilityRecord()]);
  });
  afterAll(async () => hub?.close());

  const ALL = `vaccinations { vaccineCode occurredOn doseNumber status source { sourceSystem externalId recordId } }
    healthScreenings { kind interpretation } disabilities { type severity }
    schoolEnrolments { studentCode status grade inclusiveEducation }
    birthRegistrations { registrationNumber registeredOn fatherName declarantName note }
    adoptionRegistrations { registrationNumber adoptiveMotherName givenBy }
    placements { facilityCode startedOn facility { code name licenceStatus } }`;
  const readAll = async (token: string, id = haId) =>
    (await hub.gql<{ child: Record<string, any> }>(`query($id: ID!) { child(id: $id) { id ${ALL} } }`, { id }, token)).body;
  const forbiddenPaths = (errors: Array<{ path?: Array<string | number>; extensions?: Record<string, unknown> }> | undefined) =>
    (errors ?? []).filter((e) => e.extensions?.code === 'FORBIDDEN').map((e) => e.path!.filter((p) => typeof p === 'string').join('.')).sort();

  it('shows a health officer the health facts, each with its source, and refuses adoption and placements', async () => {
    const nurse = await hub.token({ sub: 'nurse', roles: ['health_officer'] });
    const body = await readAll(nurse);
    const c = body.data!.child;
    expect(c.vaccinations).toEqual([
      { vaccineCode: 'BCG', occurredOn: '2015-03-03', doseNumber: 1, status: 'COMPLETED', source: { sourceSystem: 'HEALTH_STATION', externalId: 'H-1', recordId: records.get('H-1') } },
      { vaccineCode: 'OPV', occurredOn: '2015-05-02', doseNumber: 1, status: 'COMPLETED', source: { sourceSystem: 'HEALTH_STATION', externalId: 'H-1', recordId: records.get('H-1') } },
    ]);
    expect(c.healthScreenings).toEqual([{ kind: 'NEWBORN', interpretation: 'NORMAL' }]);
    expect(c.disabilities).toEqual([{ type: 'VAN_DONG', severity: 'NANG' }]);
    // A primary school's status is PROTECTION_GROUP (a drop-out there is group h), whatever it is.
    expect(c.schoolEnrolments).toEqual([{ studentCode: 'HS0001', status: null, grade: 5, inclusiveEducation: true }]);
    // Registration facts are BASIC; the declarant is ADOPTION, the note PROTECTION_GROUP.
    expect(c.birthRegistrations).toEqual([{ registrationNumber: '123/2015', registeredOn: '2015-03-20', fatherName: null, declarantName: null, note: null }]);
    expect(c.adoptionRegistrations).toBeNull();
    expect(c.placements).toBeNull();
    expect(forbiddenPaths(body.errors)).toEqual([
      'child.adoptionRegistrations', 'child.birthRegistrations.declarantName', 'child.birthRegistrations.fatherName',
      'child.birthRegistrations.note', 'child.placements', 'child.schoolEnrolments.status',
    ]);
    const audit = await hub.ctx.sql.query(`SELECT action, child_ids, field_classes FROM audit_event WHERE subject = 'nurse' ORDER BY action`);
    expect(audit).toEqual([
      { action: 'DENIED', child_ids: [haId], field_classes: [] },
      { action: 'READ', child_ids: [haId], field_classes: ['BASIC', 'HEALTH', 'PROVENANCE'] },
    ]);
  });

  it('says of each fact when the hub stored it and when its source last changed it (QA: a vaccination\'s freshness was unknown)', async () => {
    await hub.ctx.sql.query(`UPDATE source_record SET source_updated_at = '2026-10-30T08:00:00Z' WHERE id = $1`, [records.get('H-1')]);
    const stored = await hub.ctx.sql.query<{ external_id: string; last_seen_at: Date }>(
      `SELECT external_id, last_seen_at FROM source_record WHERE external_id IN ('H-1', 'P-1')`);
    const seen = new Map(stored.map((r) => [r.external_id, r.last_seen_at.toISOString()]));
    const steward = await hub.token();
    const body = (await hub.gql<{ child: Record<string, any> }>(`query($id: ID!) { child(id: $id) {
      vaccinations { source { externalId fetchedAt sourceUpdatedAt } }
      placements { source { externalId fetchedAt sourceUpdatedAt } facility { source { fetchedAt sourceUpdatedAt } inspections { reportNumber source { fetchedAt sourceUpdatedAt } } } } } }`, { id: haId }, steward)).body;
    expect(body.errors).toBeUndefined();
    const c = body.data!.child;
    expect(c.vaccinations.map((v: { source: unknown }) => v.source)).toEqual([
      { externalId: 'H-1', fetchedAt: seen.get('H-1'), sourceUpdatedAt: '2026-10-30T08:00:00.000Z' },
      { externalId: 'H-1', fetchedAt: seen.get('H-1'), sourceUpdatedAt: '2026-10-30T08:00:00.000Z' },
    ]);
    // A record whose source gives no time of its own.
    expect(c.placements[0].source).toEqual({ externalId: 'P-1', fetchedAt: seen.get('P-1'), sourceUpdatedAt: null });
    const [facility] = await hub.ctx.sql.query<{ updated_at: Date }>(`SELECT updated_at FROM facility WHERE code = 'CS-001'`);
    // A facility's and an inspection's source: dated by the inspection, as the start of its day in Hà Nội (QA: null).
    expect(c.placements[0].facility.source).toEqual({ fetchedAt: facility!.updated_at.toISOString(), sourceUpdatedAt: '2026-09-30T17:00:00.000Z' });
    const inspections = await hub.ctx.sql.query<{ report_number: string; updated_at: Date }>(
      `SELECT report_number, updated_at FROM inspection WHERE facility_code = 'CS-001' ORDER BY inspected_on DESC`);
    expect(c.placements[0].facility.inspections).toEqual(inspections.map((i, k) => ({
      reportNumber: i.report_number, source: { fetchedAt: i.updated_at.toISOString(), sourceUpdatedAt: ['2026-09-30T17:00:00.000Z', '2025-04-11T17:00:00.000Z'][k] },
    })));
    await hub.ctx.sql.query(`UPDATE source_record SET source_updated_at = NULL WHERE id = $1`, [records.get('H-1')]);
  });

  it('gives an education officer enrolments but FORBIDDEN on every HEALTH field, including inclusive education', async () => {
    const teacher = await hub.token({ sub: 'teacher', roles: ['education_officer'] });
    const body = await readAll(teacher);
    const c = body.data!.child;
    expect(c.schoolEnrolments).toEqual([{ studentCode: 'HS0001', status: null, grade: 5, inclusiveEducation: null }]);
    expect([c.vaccinations, c.healthScreenings, c.disabilities]).toEqual([null, null, null]);
    expect(forbiddenPaths(body.errors)).toEqual(expect.arrayContaining([
      'child.disabilities', 'child.healthScreenings', 'child.schoolEnrolments.inclusiveEducation', 'child.schoolEnrolments.status', 'child.vaccinations',
    ]));
    const [denied] = await hub.ctx.sql.query<{ details: { fields: string[] } }>(`SELECT details FROM audit_event WHERE subject = 'teacher' AND action = 'DENIED'`);
    expect(denied!.details.fields).toEqual(expect.arrayContaining(['Child.vaccinations', 'SchoolEnrolment.inclusiveEducation']));
  });

  it('shows a justice officer adoption and the birth registration\'s people, and refuses health', async () => {
    const justice = await hub.token({ sub: 'justice', roles: ['justice_officer'] });
    const body = await readAll(justice);
    const c = body.data!.child;
    expect(c.adoptionRegistrations).toEqual([{ registrationNumber: 'NCN-7/2026', adoptiveMotherName: 'Phạm Thị Lan', givenBy: 'Chùa Phúc Lâm' }]);
    expect(c.birthRegistrations).toEqual([{ registrationNumber: '123/2015', registeredOn: '2015-03-20', fatherName: null, declarantName: 'Chùa Phúc Lâm', note: 'Trẻ bị bỏ rơi' }]);
    expect(c.placements).toEqual([{ facilityCode: 'CS-001', startedOn: '2024-05-01', facility: { code: 'CS-001', name: 'Chùa Phúc Lâm', licenceStatus: 'NONE' } }]);
    expect(c.vaccinations).toBeNull();
    expect(forbiddenPaths(body.errors)).toEqual(['child.disabilities', 'child.healthScreenings', 'child.schoolEnrolments.inclusiveEducation', 'child.vaccinations']);
  });

  it('replaces a changed record\'s projections without duplicates, and clears them when the record has none', async () => {
    const steward = await hub.token();
    const first = await replace('H-1', { vaccination: [vaccination({ vaccineCode: 'DTP', doseNumber: 3, occurredOn: '2016-01-01' })] });
    expect(first).toEqual({ records: 1, deleted: 4, inserted: { vaccination: 1 } });
    const again = await replace('H-1', { vaccination: [vaccination({ vaccineCode: 'DTP', doseNumber: 3, occurredOn: '2016-01-01' })] });
    expect(again).toEqual({ records: 1, deleted: 1, inserted: { vaccination: 1 } });
    const c = (await readAll(steward)).data!.child;
    expect(c.vaccinations.map((v: { vaccineCode: string }) => v.vaccineCode)).toEqual(['DTP']);
    expect(c.healthScreenings).toEqual([]);
    expect(c.disabilities).toEqual([]);
    const [counts] = await hub.ctx.sql.query(
      `SELECT (SELECT count(*) FROM vaccination WHERE source_record_id = $1)::int AS v, (SELECT count(*) FROM health_screening WHERE source_record_id = $1)::int AS h`,
      [records.get('H-1')],
    );
    expect(counts).toEqual({ v: 1, h: 0 });
  });

  it('leaves nothing behind when a projection is invalid (the caller\'s transaction rolls back)', async () => {
    const bad = replace('S-1', { schoolEnrolment: [{ studentCode: 'HS0001', status: 'GRADUATED' } as never] });
    await expect(bad).rejects.toMatchObject({ code: 'PROJECTION_INVALID' });
    const [row] = await hub.ctx.sql.query(`SELECT count(*)::int AS n FROM school_enrolment WHERE source_record_id = $1`, [records.get('S-1')]);
    expect(row).toEqual({ n: 1 });
  });

  it('upserts facilities and inspections idempotently, updating only what changed', async () => {
    const again = await upsertFacilities([facilityRecord()]);
    expect(again).toEqual({ facilities: { inserted: 0, updated: 0, unchanged: 1 }, inspections: { inserted: 0, updated: 0, unchanged: 2 }, items: ['unchanged'] });
    const changed = await upsertFacilities([facilityRecord({ findings: 'Đã hướng dẫn đăng ký' })]);
    expect(changed).toEqual({ facilities: { inserted: 0, updated: 0, unchanged: 1 }, inspections: { inserted: 0, updated: 1, unchanged: 1 }, items: ['updated'] });
    // Each record by what it carries: a new facility is inserted, a record of a known one with nothing new unchanged.
    const mixed = await upsertFacilities([
      facilityRecord({ findings: 'Đã hướng dẫn đăng ký' }),
      { sourceSystem: 'facility-inspection', externalId: 'CS-009', projections: { facility: [{ code: 'CS-009', name: 'Nhà tình thương', type: 'RELIGIOUS', communeCode: '00008', licenceStatus: 'NONE', licenceNumber: null, capacity: null }] } },
    ]);
    expect(mixed.items).toEqual(['unchanged', 'inserted']);
    await hub.ctx.sql.query(`DELETE FROM facility WHERE code = 'CS-009'`);
    const [n] = await hub.ctx.sql.query(`SELECT (SELECT count(*) FROM facility)::int AS f, (SELECT count(*) FROM inspection)::int AS i`);
    expect(n).toEqual({ f: 1, i: 2 });
  });

  it('serves how much of each date is known: a year or a month taken in is not a day, nor is a group\'s start (QA)', async () => {
    const res = await ingestWith([{
      record: aRecord({
        sourceSystem: 'facility-inspection', externalId: 'P-PREC', fullName: 'Lê Thị Hoa', sex: 'FEMALE', birthDate: '2016-01-01', birthDatePrecision: 'YEAR',
        identityNumber: null, communeCode: '00004', groups: [{ clause: 'b', since: '2023-01-01', sincePrecision: 'YEAR' }],
      }),
      projections: {
        placement: [
          { facilityCode: 'CS-PREC', startedOn: '2023-01-01', startedOnPrecision: 'YEAR', reason: null, seenOn: '2026-10-01', inspectionReportNumber: 'BB-9' },
          { facilityCode: 'CS-PREC', startedOn: '2024-03-01', startedOnPrecision: 'MONTH', reason: null, seenOn: null, inspectionReportNumber: null },
        ],
      },
    }]);
    await hub.ctx.goldenRecords.recompute(res.childrenToRecompute);
    const steward = await hub.token();
    const [row] = await hub.ctx.sql.query<{ child_id: string }>(`SELECT child_id FROM source_record WHERE external_id = 'P-PREC'`);
    const got = await hub.gql<{ child: Record<string, unknown> }>(`query($id: ID!) { child(id: $id) {
      placements { startedOn startedOnPrecision seenOn seenOnPrecision }
      specialCircumstances { clause startedOn startedOnPrecision endedOn endedOnPrecision } } }`, { id: row!.child_id }, steward);
    expect(got.body.errors).toBeUndefined();
    expect(got.body.data!.child).toEqual({
      placements: [
        { startedOn: '2023-01-01', startedOnPrecision: 'YEAR', seenOn: '2026-10-01', seenOnPrecision: 'DAY' },
        { startedOn: '2024-03-01', startedOnPrecision: 'MONTH', seenOn: null, seenOnPrecision: null },
      ],
      specialCircumstances: [{ clause: 'b', startedOn: '2023-01-01', startedOnPrecision: 'YEAR', endedOn: null, endedOnPrecision: null }],
    });
    const inspections = await hub.gql<{ facility: { inspections: unknown[] } }>(`{ facility(code: "CS-001") { inspections { inspectedOn inspectedOnPrecision } } }`, {}, steward);
    expect(inspections.body.data!.facility.inspections).toContainEqual({ inspectedOn: '2026-10-01', inspectedOnPrecision: 'DAY' });
  });

  it('keeps a facility\'s facts as of its latest inspection: an earlier report read later adds its inspection only (QA)', async () => {
    const round = (reportNumber: string, inspectedOn: string, facts: { name: string; licenceNumber: string | null; capacity: number }): FacilityRecordProjections => ({
      sourceSystem: 'facility-inspection', externalId: 'CS-777',
      projections: {
        facility: [{ code: 'CS-777', name: facts.name, type: 'RELIGIOUS', communeCode: '00004', licenceStatus: facts.licenceNumber ? 'REGISTERED' : 'NONE', licenceNumber: facts.licenceNumber, capacity: facts.capacity }],
        inspection: [{ facilityCode: 'CS-777', reportNumber, inspectedOn, inspectingUnit: null, findings: null, childrenPresent: null }],
      },
    });
    const FACILITY = `{ facility(code: "CS-777") { name licenceStatus licenceNumber capacity source { sourceUpdatedAt } inspections { reportNumber } } }`;
    const social = await hub.token({ sub: 'social-facts', roles: ['social_worker'] });
    const current = { name: 'Chùa Vân Hương', licenceNumber: null, capacity: 37 };
    try {
      await upsertFacilities([round('BB-2026', '2026-07-16', current)]);
      const old = await upsertFacilities([round('BB-2023', '2023-05-01', { name: 'Chùa Vân Hương (cũ)', licenceNumber: '99/ĐK-UBND', capacity: 10 })]);
      expect(old).toMatchObject({ facilities: { inserted: 0, updated: 0, unchanged: 1 }, inspections: { inserted: 1 }, items: ['inserted'] });
      expect((await hub.gql<{ facility: unknown }>(FACILITY, {}, social)).body.data!.facility).toEqual({
        name: 'Chùa Vân Hương', licenceStatus: 'NONE', licenceNumber: null, capacity: 37,
        source: { sourceUpdatedAt: '2026-07-15T17:00:00.000Z' }, inspections: [{ reportNumber: 'BB-2026' }, { reportNumber: 'BB-2023' }],
      });
      // In one call too: the latest facts win whatever the order.
      await upsertFacilities([round('BB-2027', '2027-03-01', { ...current, capacity: 40 }), round('BB-2024', '2024-01-05', { ...current, capacity: 12 })]);
      expect((await hub.gql<{ facility: { capacity: number; source: unknown } }>(FACILITY, {}, social)).body.data!.facility).toMatchObject({
        capacity: 40, source: { sourceUpdatedAt: '2027-02-28T17:00:00.000Z' },
      });
      // Two reports of one day: the one stored or changed last, then the higher report number (QA second re-check).
      // Report numbers by their leading number: 10/2028 is higher than 9/2028 (QA third re-check: compared as text).
      await upsertFacilities([round('10/2028/BB', '2028-01-01', { ...current, capacity: 60 }), round('9/2028/BB', '2028-01-01', { ...current, capacity: 50 })]);
      expect((await hub.gql<{ facility: { capacity: number } }>(FACILITY, {}, social)).body.data!.facility.capacity).toBe(60);
      await new Promise((r) => setTimeout(r, 5));
      await upsertFacilities([round('9/2028/BB', '2028-01-01', { ...current, capacity: 51 })]);
      expect((await hub.gql<{ facility: { capacity: number } }>(FACILITY, {}, social)).body.data!.facility.capacity).toBe(51);
      await hub.ctx.sql.query(`DELETE FROM inspection WHERE facility_code = 'CS-777' AND report_number LIKE '%/2028/BB'`);
      await upsertFacilities([round('BB-2027', '2027-03-01', { ...current, capacity: 40 })]);
      // Read again unchanged, nothing is written or counted.
      const again = await upsertFacilities([round('BB-2027', '2027-03-01', { ...current, capacity: 40 }), round('BB-2024', '2024-01-05', { ...current, capacity: 12 })]);
      expect(again).toMatchObject({ facilities: { inserted: 0, updated: 0, unchanged: 1 }, inspections: { inserted: 0, updated: 0, unchanged: 2 }, items: ['unchanged', 'unchanged'] });
      // Facts with no inspection date replace as they always did.
      await upsertFacilities([{ sourceSystem: 'facility-inspection', externalId: 'CS-777', projections: { facility: [{ code: 'CS-777', name: 'Chùa Vân Hương', type: 'RELIGIOUS', communeCode: '00004', licenceStatus: 'NONE', licenceNumber: null, capacity: 41 }] } }]);
      expect((await hub.gql<{ facility: { capacity: number; source: unknown } }>(FACILITY, {}, social)).body.data!.facility).toMatchObject({ capacity: 41, source: { sourceUpdatedAt: null } });

      // A report corrected and read again is what it now says, even when that makes another report the latest (QA
      // re-check: a date corrected to an earlier day froze the facility at the typo's facts).
      await upsertFacilities([round('BB-2027', '2026-01-02', { ...current, capacity: 39 })]);
      expect((await hub.gql<{ facility: { capacity: number; source: unknown } }>(FACILITY, {}, social)).body.data!.facility).toMatchObject({
        capacity: 37, source: { sourceUpdatedAt: '2026-07-15T17:00:00.000Z' },
      });

      // Stored before inspections kept their facts (an upgrade): the facility keeps its facts, undated, while its latest
      // inspection has none; an older report read meanwhile does not take them over (QA second re-check: it did).
      await hub.ctx.sql.query(`UPDATE inspection SET facility_facts = NULL WHERE facility_code = 'CS-777'`);
      await hub.ctx.sql.query(`UPDATE facility SET capacity = 99, facts_as_of = NULL WHERE code = 'CS-777'`);
      const older = await upsertFacilities([round('BB-2023', '2023-05-01', { name: 'Chùa Vân Hương (cũ)', licenceNumber: '99/ĐK-UBND', capacity: 10 })]);
      expect(older.facilities).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
      expect((await hub.gql<{ facility: { capacity: number; source: unknown } }>(FACILITY, {}, social)).body.data!.facility).toMatchObject({
        capacity: 99, source: { sourceUpdatedAt: null },
      });
      // Read again, the latest report gives its facts, dated.

      await upsertFacilities([round('BB-2026', '2026-07-16', current)]);
      expect((await hub.gql<{ facility: { capacity: number; licenceStatus: string; source: unknown } }>(FACILITY, {}, social)).body.data!.facility).toMatchObject({
        capacity: 37, licenceStatus: 'NONE', source: { sourceUpdatedAt: '2026-07-15T17:00:00.000Z' },
      });
    } finally {
      await hub.ctx.sql.query(`DELETE FROM inspection WHERE facility_code = 'CS-777'`);
      await hub.ctx.sql.query(`DELETE FROM facility WHERE code = 'CS-777'`);
    }
  });

  it('serves facilities with inspections, and their children only to PROTECTION_GROUP roles, within scope, audited', async () => {
    const FACILITY = `query($code: String!) { facility(code: $code) { code name type licenceStatus capacity commune { name }
      source { sourceSystem externalId } inspections { reportNumber inspectedOn findings childrenPresent }
      placements { startedOn source { externalId } child { id fullName } } } }`;
    const social = await hub.token({ sub: 'social', roles: ['social_worker'] });
    const all = await hub.gql<{ facility: Record<string, any> }>(FACILITY, { code: 'CS-001' }, social);
    expect(all.body.errors).toBeUndefined();
    expect(all.body.data!.facility).toMatchObject({
      code: 'CS-001', name: 'Chùa Phúc Lâm', type: 'RELIGIOUS', licenceStatus: 'NONE', capacity: 20, commune: { name: 'Phường Ba Đình' },
      source: { sourceSystem: 'FACILITY_INSPECTION', externalId: 'CS-001' },
      inspections: [
        { reportNumber: 'BB-1', inspectedOn: '2026-10-01', findings: 'Đã hướng dẫn đăng ký', childrenPresent: 2 },
        { reportNumber: 'BB-0', inspectedOn: '2025-04-12', findings: null, childrenPresent: 1 },
      ],
    });
    expect(all.body.data!.facility.placements.map((p: { child: { id: string } }) => p.child.id).sort()).toEqual([haId, minhId].sort());
    const audit = await hub.ctx.sql.query(`SELECT child_ids, field_classes FROM audit_event WHERE subject = 'social'`);
    expect(audit).toEqual([{ child_ids: [haId, minhId].sort(), field_classes: ['BASIC', 'PROTECTION_GROUP', 'PROVENANCE'] }]);

    const commune = await hub.token({ sub: 'ubnd-00008', roles: ['commune_officer'], communes: ['00008'] });
    const scoped = await hub.gql<{ facility: { placements: Array<{ child: { id: string } }> } }>(FACILITY, { code: 'CS-001' }, commune);
    expect(scoped.body.data!.facility.placements.map((p) => p.child.id)).toEqual([minhId]);
    // The list alone tells how many of one's children the facility holds: audited whatever is asked of it (security QA).
    const counting = await hub.token({ sub: 'ubnd-00008-count', roles: ['commune_officer'], communes: ['00008'] });
    const count = await hub.gql<{ facility: { placements: unknown[] } }>(`{ facility(code: "CS-001") { placements { __typename } } }`, {}, counting);
    expect(count.body.data!.facility.placements).toHaveLength(1);
    expect(await hub.ctx.sql.query(`SELECT action, child_ids, field_classes FROM audit_event WHERE subject = 'ubnd-00008-count'`)).toEqual([
      { action: 'READ', child_ids: [minhId], field_classes: ['PROTECTION_GROUP'] },
    ]);

    const teacher = await hub.token({ sub: 'teacher-fac', roles: ['education_officer'] });
    const refused = await hub.gql<{ facility: Record<string, any> }>(FACILITY, { code: 'CS-001' }, teacher);
    expect(refused.body.data!.facility).toMatchObject({ name: 'Chùa Phúc Lâm', placements: null });
    expect(refused.body.errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([['facility.placements', 'FORBIDDEN']]);
    const denied = await hub.ctx.sql.query(`SELECT action, details FROM audit_event WHERE subject = 'teacher-fac'`);
    expect(denied).toEqual([{ action: 'DENIED', details: { fields: ['Facility.placements'] } }]);

    expect((await hub.gql(FACILITY, { code: 'NOPE' }, social)).body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const engineer = await hub.token({ roles: ['integration_engineer'] });
    expect((await hub.gql(FACILITY, { code: 'CS-001' }, engineer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lists facilities by commune, licence status and type, paged', async () => {
    await upsertFacilities([
      { sourceSystem: 'facility-inspection', externalId: 'CS-002', projections: { facility: [{ code: 'CS-002', name: 'Trung tâm Bảo trợ xã hội 1', type: 'PUBLIC_SOCIAL_ASSISTANCE', communeCode: '00008', licenceStatus: 'LICENSED', licenceNumber: 'GP-1', capacity: 200 }] } },
      { sourceSystem: 'facility-inspection', externalId: 'CS-003', projections: { facility: [{ code: 'CS-003', name: 'Nhà chung', type: 'RELIGIOUS', communeCode: '00008', licenceStatus: 'NONE', licenceNumber: null, capacity: null }] } },
    ]);
    const steward = await hub.token();
    const q = async (args: string) =>
      (await hub.gql<{ facilities: { nodes: Array<{ code: string }>; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
        `{ facilities(${args}) { nodes { code } pageInfo { hasNextPage endCursor } } }`, {}, steward)).body;
    expect((await q('type: RELIGIOUS, licenceStatus: NONE')).data!.facilities.nodes.map((n) => n.code)).toEqual(['CS-001', 'CS-003']);
    expect((await q('communeCodes: ["00008"]')).data!.facilities.nodes.map((n) => n.code)).toEqual(['CS-002', 'CS-003']);
    const page1 = (await q('first: 2')).data!.facilities;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await q(`first: 2, after: "${page1.pageInfo.endCursor}"`)).data!.facilities;
    expect([...page1.nodes, ...page2.nodes].map((n) => n.code)).toEqual(['CS-001', 'CS-002', 'CS-003']);
    expect((await q('communeCodes: ["x"]')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // A code of no 2025 commune, nor a former code a facility is kept under, matches nothing: refused (QA).
    expect((await q('communeCodes: ["99999"]')).errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', argument: 'communeCodes' },
      message: '`communeCodes`: not communes of the 2025 list (units in force from 1 July 2025), nor a former code any record is kept under: 99999',
    });
    // An empty list names no commune: refused, not read as "every commune" (QA: an empty picker showed all).
    expect((await q('communeCodes: []')).errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'communeCodes' } });
  });

  it('counts the facilities a filter lists, on every page, only for callers who may list them', async () => {
    // CS-001 (religious, unlicensed, 00004), and the two facilities of the previous test in 00008.
    const count = async (args: string, token: string) => {
      const res = await hub.gql<{ facilities: { totalCount: number; nodes: Array<{ code: string }> } }>(
        `{ facilities(${args}) { totalCount nodes { code } } }`, {}, token);
      return res.body;
    };
    const steward = await hub.token();
    expect((await count('first: 100', steward)).data!.facilities).toMatchObject({ totalCount: 3 });
    expect((await count('type: RELIGIOUS, licenceStatus: NONE', steward)).data!.facilities).toEqual({ totalCount: 2, nodes: [{ code: 'CS-001' }, { code: 'CS-003' }] });
    expect((await count('communeCodes: ["00008"], type: RELIGIOUS', steward)).data!.facilities.totalCount).toBe(1);
    expect((await count('licenceStatus: UNKNOWN', steward)).data!.facilities).toEqual({ totalCount: 0, nodes: [] });
    // The whole filter, not the page: a page of one, and the page after it, count the same.
    const first = (await hub.gql<{ facilities: { totalCount: number; pageInfo: { endCursor: string } } }>(
      '{ facilities(first: 1, type: RELIGIOUS) { totalCount pageInfo { endCursor } } }', {}, steward)).body.data!.facilities;
    expect(first.totalCount).toBe(2);
    expect((await count(`first: 1, type: RELIGIOUS, after: "${first.pageInfo.endCursor}"`, steward)).data!.facilities).toEqual({ totalCount: 2, nodes: [{ code: 'CS-003' }] });
    // Facilities are facility data, listed to any role with BASIC whatever its communes: counted alike.
    const commune = await hub.token({ sub: 'ubnd-00004-count', roles: ['commune_officer'], communes: ['00004'] });
    expect((await count('type: RELIGIOUS', commune)).data!.facilities.totalCount).toBe(2);
    // A role refused the list is refused its count.
    const engineer = await hub.token({ roles: ['integration_engineer'] });
    const refused = await count('type: RELIGIOUS', engineer);
    expect(refused.data?.facilities ?? null).toBeNull();
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('follows records through merges and splits without rewriting projections', async () => {
    const steward = await hub.token();
    const vaccines = async (id: string) =>
      ((await readAll(steward, id)).data!.child.vaccinations as Array<{ vaccineCode: string }>).map((v) => v.vaccineCode).sort();
    const res = await ingestWith([{ record: aRecord({ externalId: 'H-DUP', identityNumber: '001315000777' }), projections: { vaccination: [vaccination({ vaccineCode: 'MMR' })] } }]);
    await hub.ctx.goldenRecords.recompute(res.childrenToRecompute);
    const dupId = (await hub.ctx.sql.one<{ child_id: string }>(`SELECT child_id FROM source_record WHERE id = $1`, [res.stored[0]!.sourceRecordId]))!.child_id;
    expect(await vaccines(dupId)).toEqual(['MMR']);
    // A steward merge that leaves the records on the merged child: the survivor shows them.
    await hub.ctx.sql.query(`UPDATE child SET status = 'MERGED', merged_into_id = $2 WHERE id = $1`, [dupId, haId]);
    expect(await vaccines(haId)).toEqual(['DTP', 'MMR']);
    // A split that moves the record to another child: its projections move with it.
    await hub.ctx.sql.query(`UPDATE source_record SET child_id = $2 WHERE id = $1`, [res.stored[0]!.sourceRecordId, minhId]);
    expect(await vaccines(haId)).toEqual(['DTP']);
    expect(await vaccines(minhId)).toEqual(['MMR']);
  });
});

describe('projections: statements per children page', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    const writer = new ProjectionWriter();
    await hub.ctx.sql.tx(async (client) => {
      const items = Array.from({ length: 60 }, (_, i) => aRecord({ externalId: `N-${i}`, identityNumber: `0013150${String(i).padStart(5, '0')}` }));
      const res = await hub.ctx.ingest.ingestItems(client, items.map((input) => ({ input })));
      await writer.replaceForSourceRecords(client, res.stored.map((s, i) => ({
        sourceRecordId: s.sourceRecordId,
        projections: {
          vaccination: [vaccination(), vaccination({ vaccineCode: 'OPV' })],
          healthScreening: [{ screenedOn: null, kind: 'GENERAL', code: null, result: null, interpretation: null, performer: null }],
          schoolEnrolment: [{ studentCode: `HS${i}`, schoolYear: null, schoolCode: null, schoolName: null, level: null, grade: null, className: null, status: 'STUDYING', inclusiveEducation: false }],
          placement: [placement(i % 2 ? 'CS-001' : 'CS-002')],
        },
      })));
      await writer.upsertFacilities(client, [facilityRecord()]);
    });
    await buildChildren(hub.ctx);
  });
  afterAll(async () => hub?.close());

  it('runs the same small number of statements for 10 and 50 children selecting every projection', async () => {
    const gateway = await createGateway({ config: hub.ctx.config, logger: hub.ctx.logger, audit: new AuditWriter(hub.ctx.sql, hub.ctx.logger) });
    const repo = new ChildReadRepository(hub.ctx.sql);
    const QUERY = `query($first: Int!) { children(first: $first) { nodes { id
      vaccinations { vaccineCode source { externalId } } healthScreenings { kind } disabilities { type }
      schoolEnrolments { studentCode } birthRegistrations { registrationNumber } adoptionRegistrations { registrationNumber }
      placements { facilityCode facility { name inspections { reportNumber } } } } } }`;
    const statements = async (first: number) => {
      const contextValue = createGraphQLContext({
        requestId: `proj-${first}`, repo, maxPageSize: 100, authError: null,
        principal: { subject: 's', officerId: null, officerName: null, agency: 'a', unit: null, roles: ['data_steward'], communeScope: ALL_COMMUNES, purpose: 'test', classes: classesForRoles(['data_steward']) },
      });
      const res = await gateway.executeOperation({ query: QUERY, variables: { first } }, { contextValue });
      expect(res.body.kind === 'single' && res.body.singleResult.errors).toBeFalsy();
      const nodes = res.body.kind === 'single' ? (res.body.singleResult.data as { children: { nodes: Array<Record<string, any>> } }).children.nodes : [];
      expect(nodes).toHaveLength(first);
      expect(nodes.every((n) => n.vaccinations.length === 2 && n.placements.length === 1)).toBe(true);
      return contextValue.queries.count;
    };
    const ten = await statements(10);
    const fifty = await statements(50);
    // The page, every projection kind (one statement), the facilities, their inspections.
    expect(fifty).toBe(ten);
    expect(fifty).toBe(4);
    await gateway.stop();
  });
});
