import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Projections } from '../src/connectors/types.js';
import { ProjectionWriter } from '../src/services/projections/projection.writer.js';
import { aRecord } from './support/records.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

const screening = { screenedOn: '2026-03-02', kind: 'GENERAL', code: null, result: 'Bình thường', interpretation: 'NORMAL', performer: null };
const enrolment = (schoolYear: string | null, status: 'STUDYING' | 'DROPPED_OUT') => ({
  studentCode: `HS-${schoolYear ?? 'x'}`, schoolYear, schoolCode: 'TH01', schoolName: 'Tiểu học Ba Đình', level: 'Tiểu học', grade: 3, className: '3A', status, inclusiveEducation: false,
});

/**
 * Partner apps (QA): a commune health officer could not list the children still to be screened, nor a social worker
 * those out of school; `healthScreened` and `inSchool` find them by the facts of every record of the child, a merged
 * child's included.
 */
describe('children(filter: { healthScreened, inSchool })', () => {
  let hub: TestHub;
  /** Child ids by the external id of the record that made them. */
  const childOf = new Map<string, string>();

  beforeAll(async () => {
    hub = await startTestHub();
    const writer = new ProjectionWriter();
    const items: Array<{ record: ReturnType<typeof aRecord>; projections: Projections }> = [
      // Screened at the health station.
      { record: aRecord({ externalId: 'H-SCREENED', identityNumber: '001315000101', communeCode: '00004' }), projections: { healthScreening: [screening] } },
      // Only vaccinated: a health record, no screening.
      { record: aRecord({ externalId: 'H-VACCINATED', identityNumber: '001315000102', communeCode: '00004' }),
        projections: { vaccination: [{ vaccineCode: 'BCG', vaccineName: 'Lao', occurredOn: '2015-03-03', doseNumber: 1, status: 'COMPLETED', performer: null }] } },
      // Known to a school only.
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-PUPIL', identityNumber: '001315000103', communeCode: '00004' }),
        projections: { schoolEnrolment: [enrolment('2026-2027', 'STUDYING')] } },
      // A school record whose child another, screened, child is merged into.
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-SURVIVOR', identityNumber: '001315000104', communeCode: '00004' }), projections: {} },
      { record: aRecord({ externalId: 'H-MERGED', identityNumber: '001315000105', communeCode: '00004' }),
        projections: { healthScreening: [screening], schoolEnrolment: [enrolment('2026-2027', 'STUDYING')] } },
      // Screened, in another commune.
      { record: aRecord({ externalId: 'H-ELSEWHERE', identityNumber: '001315000106', communeCode: '00008' }), projections: { healthScreening: [screening] } },
      // Dropped out this year after studying last year; and studying this year after dropping out last year (two sources).
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-DROPPED', identityNumber: '001315000107', communeCode: '00004' }),
        projections: { schoolEnrolment: [enrolment('2025-2026', 'STUDYING'), enrolment('2026-2027', 'DROPPED_OUT')] } },
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-BACK-OLD', identityNumber: '001315000108', communeCode: '00004' }),
        projections: { schoolEnrolment: [enrolment('2025-2026', 'DROPPED_OUT')] } },
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-BACK-NEW', identityNumber: '001315000108', communeCode: '00004', fullName: 'Nguyễn Văn Bình' }),
        projections: { schoolEnrolment: [enrolment('2026-2027', 'STUDYING')] } },
      // One year, two records of one child (QA): the new school's, changed last, is the latest, though the old school's
      // drop-out was written after it; and one the source still holds outranks one it no longer does (marked below).
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-MOVED-NEW', identityNumber: '001315000110', communeCode: '00004', sourceUpdatedAt: '2026-09-05T08:00:00+07:00' }),
        projections: { schoolEnrolment: [enrolment('2026-2027', 'STUDYING')] } },
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-MOVED-OLD', identityNumber: '001315000110', communeCode: '00004', fullName: 'Lý Gia Huy', sourceUpdatedAt: '2026-09-01T08:00:00+07:00' }),
        projections: { schoolEnrolment: [enrolment('2026-2027', 'DROPPED_OUT')] } },
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-LEFT-HERE', identityNumber: '001315000111', communeCode: '00004', sourceUpdatedAt: '2026-09-01T08:00:00+07:00' }),
        projections: { schoolEnrolment: [enrolment('2026-2027', 'STUDYING')] } },
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-LEFT-GONE', identityNumber: '001315000111', communeCode: '00004', fullName: 'Tạ Văn Nam', sourceUpdatedAt: '2026-10-01T08:00:00+07:00' }),
        projections: { schoolEnrolment: [enrolment('2026-2027', 'DROPPED_OUT')] } },
      // A drop-out without a school year: listed last, so the latest.
      { record: aRecord({ sourceSystem: 'school', externalId: 'S-NO-YEAR', identityNumber: '001315000109', communeCode: '00004' }),
        projections: { schoolEnrolment: [enrolment('2026-2027', 'STUDYING'), enrolment(null, 'DROPPED_OUT')] } },
    ];
    const res = await hub.ctx.sql.tx(async (client) => {
      const stored = await hub.ctx.ingest.ingestItems(client, items.map((i) => ({ input: i.record })));
      await writer.replaceForSourceRecords(client, stored.stored.map((s) => ({ sourceRecordId: s.sourceRecordId, projections: items[s.index]!.projections })));
      return stored;
    });
    expect(res).toMatchObject({ inserted: 14, rejected: 0 });
    await hub.ctx.sql.query(`UPDATE source_record SET absent_since = now() WHERE external_id = 'S-LEFT-GONE'`);
    await hub.ctx.goldenRecords.recompute(res.childrenToRecompute);
    for (const r of await hub.ctx.sql.query<{ external_id: string; child_id: string }>('SELECT external_id, child_id FROM source_record')) childOf.set(r.external_id, r.child_id);
    // A steward's merge leaves the records on the merged child.
    await hub.ctx.sql.query(`UPDATE child SET status = 'MERGED', merged_into_id = $2 WHERE id = $1`, [childOf.get('H-MERGED'), childOf.get('S-SURVIVOR')]);
  });
  afterAll(async () => hub?.close());

  const list = async (screened: boolean, token: string, more = '', filter = 'healthScreened') => {
    const res = await hub.gql<{ children: { totalCount: number; nodes: Array<{ id: string }> } }>(
      `{ children(filter: { ${filter}: ${screened}${more} }) { totalCount nodes { id } } }`, {}, token);
    return res;
  };
  const ids = (...externalIds: string[]) => externalIds.map((e) => childOf.get(e)!).sort();

  it('false lists the children with no screening among their facts; true those with one, merged children\'s included', async () => {
    const steward = await hub.token();
    const unscreened = await list(false, steward);
    expect(unscreened.body.errors).toBeUndefined();
    expect(unscreened.body.data?.children.nodes.map((n) => n.id).sort()).toEqual(ids('H-VACCINATED', 'S-PUPIL', 'S-DROPPED', 'S-BACK-OLD', 'S-NO-YEAR', 'S-MOVED-OLD', 'S-LEFT-GONE'));
    expect(unscreened.body.data?.children.totalCount).toBe(7);
    const screened = await list(true, steward);
    expect(screened.body.data?.children.nodes.map((n) => n.id).sort()).toEqual(ids('H-SCREENED', 'S-SURVIVOR', 'H-ELSEWHERE'));
    expect(screened.body.data?.children.totalCount).toBe(3);
    // With the other filters and the commune scope.
    const inCommune = await list(true, steward, ', communeCodes: ["00008"]');
    expect(inCommune.body.data?.children.nodes.map((n) => n.id)).toEqual(ids('H-ELSEWHERE'));
  });

  it('needs HEALTH: a role without it is refused, with the refusal audited; the read is audited as HEALTH', async () => {
    const commune = await hub.token({ sub: 'ubnd-screening', roles: ['commune_officer'], communes: ['00004'] });
    const refused = await list(false, commune);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.data?.children ?? null).toBeNull();
    expect(await hub.ctx.sql.query(`SELECT action, child_ids, details FROM audit_event WHERE subject = 'ubnd-screening'`))
      .toEqual([{ action: 'DENIED', child_ids: [], details: { fields: ['Query.children(filter.healthScreened)'] } }]);

    const nurse = await hub.token({ sub: 'nurse-screening', roles: ['health_officer'], communes: ['00004'] });
    const found = await list(false, nurse);
    expect(found.body.errors).toBeUndefined();
    expect(found.body.data?.children.nodes.map((n) => n.id).sort()).toEqual(ids('H-VACCINATED', 'S-PUPIL', 'S-DROPPED', 'S-BACK-OLD', 'S-NO-YEAR', 'S-MOVED-OLD', 'S-LEFT-GONE'));
    const [read] = await hub.ctx.sql.query<{ child_ids: string[]; field_classes: string[] }>(
      `SELECT child_ids, field_classes FROM audit_event WHERE action = 'READ' AND subject = 'nurse-screening'`);
    expect(read!.child_ids.sort()).toEqual(ids('H-VACCINATED', 'S-PUPIL', 'S-DROPPED', 'S-BACK-OLD', 'S-NO-YEAR', 'S-MOVED-OLD', 'S-LEFT-GONE'));
    expect(read!.field_classes).toContain('HEALTH');
  });

  it('inSchool: false lists the children with no enrolment or whose latest is a drop-out; true those studying in their latest', async () => {
    const steward = await hub.token();
    const out = await list(false, steward, '', 'inSchool');
    expect(out.body.errors).toBeUndefined();
    // S-BACK-OLD's child studies this year by another record of its own (same number): in school.
    expect(out.body.data?.children.nodes.map((n) => n.id).sort()).toEqual(ids('H-SCREENED', 'H-VACCINATED', 'H-ELSEWHERE', 'S-DROPPED', 'S-NO-YEAR'));
    expect(out.body.data?.children.totalCount).toBe(5);
    const inSchool = await list(true, steward, '', 'inSchool');
    expect(inSchool.body.data?.children.nodes.map((n) => n.id).sort()).toEqual(ids('S-PUPIL', 'S-SURVIVOR', 'S-BACK-OLD', 'S-MOVED-OLD', 'S-LEFT-GONE').sort());
    // The latest enrolment is the one the child's list shows last (QA: they differed).
    const all = await hub.gql<{ children: { nodes: Array<{ id: string; schoolEnrolments: Array<{ status: string }> }> } }>(
      '{ children(first: 100) { nodes { id schoolEnrolments { status } } } }', {}, steward);
    const lastStudying = all.body.data!.children.nodes.filter((n) => n.schoolEnrolments.at(-1)?.status === 'STUDYING').map((n) => n.id).sort();
    expect(inSchool.body.data?.children.nodes.map((n) => n.id).sort()).toEqual(lastStudying);
    // Needs PROTECTION_GROUP (a drop-out is group h's evidence): a health officer is refused, with the refusal audited.
    const nurse = await hub.token({ sub: 'nurse-school', roles: ['health_officer'] });
    const refused = await list(false, nurse, '', 'inSchool');
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await hub.ctx.sql.query(`SELECT action, details FROM audit_event WHERE subject = 'nurse-school'`))
      .toEqual([{ action: 'DENIED', details: { fields: ['Query.children(filter.inSchool)'] } }]);
  });
});
