import type { PoolClient } from 'pg';
import { describe, expect, it } from 'vitest';
import type { Projections } from '../../connectors/types.js';
import { InvalidProjectionError } from './invalid-projection.error.js';
import { ProjectionWriter } from './projection.writer.js';

/** A PoolClient that records statements and answers like PostgreSQL would for these shapes. */
function fakeClient() {
  const calls: Array<{ name?: string; text: string; values: unknown[] }> = [];
  const client = {
    query: async (q: { name?: string; text: string; values: unknown[] }) => {
      calls.push(q);
      if (q.text.includes('RETURNING (xmax = 0)')) return { rows: (q.values[0] as unknown[]).map(() => ({ inserted: true })) };
      if (q.name === 'pw_facility_latest_facts') return { rows: [] };
      return { rows: [{ deleted: '0' }] };
    },
  };
  return { client: client as unknown as PoolClient, calls };
}

const vaccination = (over: Record<string, unknown> = {}) => ({
  vaccineCode: 'BCG', vaccineName: null, occurredOn: '2016-01-02', doseNumber: 1, status: 'COMPLETED', performer: null, ...over,
});

describe('ProjectionWriter.replaceForSourceRecords', () => {
  it('writes a whole batch in one statement: every table cleared for the records, inserts only for kinds present', async () => {
    const { client, calls } = fakeClient();
    const items = Array.from({ length: 500 }, (_, i) => ({
      sourceRecordId: `src_${i}`,
      projections: { vaccination: [vaccination(), vaccination({ doseNumber: 2 })], schoolEnrolment: i % 2 ? [] : [{ studentCode: `HS${i}`, schoolYear: null, schoolCode: null, schoolName: null, level: null, grade: 3, className: null, status: 'STUDYING', inclusiveEducation: false }] } as Projections,
    }));
    const res = await new ProjectionWriter().replaceForSourceRecords(client, items);
    expect(calls).toHaveLength(1);
    expect(res).toEqual({ records: 500, deleted: 0, inserted: { vaccination: 1000, schoolEnrolment: 250 } });
    const text = calls[0]!.text;
    for (const table of ['health_screening', 'vaccination', 'disability_record', 'school_enrolment', 'birth_registration', 'adoption_registration', 'placement']) {
      expect(text).toContain(`DELETE FROM ${table} WHERE source_record_id = ANY($1::text[])`);
    }
    expect(text).toContain('INSERT INTO vaccination');
    expect(text).toContain('INSERT INTO school_enrolment');
    expect(text).not.toContain('INSERT INTO health_screening');
    // Column arrays, not rows: the parameter count does not grow with the batch.
    expect(calls[0]!.values.length).toBeLessThan(40);
    expect((calls[0]!.values[1] as string[])[0]).toMatch(/^vac_[0-9A-Z]{26}$/);
  });

  it('keeps the last entry of a record listed twice, as two calls in a row would', async () => {
    const { client, calls } = fakeClient();
    const res = await new ProjectionWriter().replaceForSourceRecords(client, [
      { sourceRecordId: 'src_a', projections: { vaccination: [vaccination(), vaccination()] } },
      { sourceRecordId: 'src_a', projections: { vaccination: [vaccination({ vaccineCode: 'OPV' })] } },
    ]);
    expect(res.inserted).toEqual({ vaccination: 1 });
    expect(calls[0]!.values[0]).toEqual(['src_a']);
  });

  it('still clears records whose projections are now empty, and does nothing for no items', async () => {
    const { client, calls } = fakeClient();
    await new ProjectionWriter().replaceForSourceRecords(client, [{ sourceRecordId: 'src_a', projections: {} }]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.text).not.toContain('INSERT');
    await new ProjectionWriter().replaceForSourceRecords(client, []);
    expect(calls).toHaveLength(1);
  });

  it('refuses invalid projections with a coded error naming the place, never the value, and writes nothing', async () => {
    const { client, calls } = fakeClient();
    const bad = [
      { sourceRecordId: 'src_a', projections: { vaccination: [vaccination({ status: 'MAYBE' })] } },
      { sourceRecordId: 'src_b', projections: { vaccination: [vaccination({ vaccineCode: undefined })], healthScreening: [{ kind: 'GENERAL', screenedOn: '2016-02-30' }] } },
      { sourceRecordId: 'src_c', projections: { schoolEnrolment: [{ studentCode: 'HS1', status: 'STUDYING', grade: 2.5, secret: 'Nguyễn Văn A' }] } },
      { sourceRecordId: 'src_d', projections: { facility: [{ code: 'F1', name: 'X', type: 'OTHER', licenceStatus: 'NONE' }] } },
      { sourceRecordId: '', projections: {} },
    ] as unknown as Parameters<ProjectionWriter['replaceForSourceRecords']>[1];
    const err = await new ProjectionWriter().replaceForSourceRecords(client, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidProjectionError);
    const e = err as InvalidProjectionError;
    expect(e.code).toBe('PROJECTION_INVALID');
    expect(e.problems.map((p) => [p.item, p.path, p.code])).toEqual([
      [0, 'vaccination[0].status', 'NOT_ALLOWED_VALUE'],
      [1, 'vaccination[0].vaccineCode', 'REQUIRED'],
      [1, 'healthScreening[0].screenedOn', 'NOT_DATE'],
      [2, 'schoolEnrolment[0].grade', 'NOT_INTEGER'],
      [2, 'schoolEnrolment[0].secret', 'UNKNOWN_FIELD'],
      [3, 'facility', 'WRONG_RECORD_TYPE'],
      [4, 'sourceRecordId', 'NO_SOURCE_RECORD'],
    ]);
    expect(JSON.stringify(e.details) + e.message).not.toMatch(/MAYBE|Nguyễn|2016-02-30/);
    expect(calls).toHaveLength(0);
  });
});

describe('ProjectionWriter.upsertFacilities', () => {
  const facility = (over: Record<string, unknown> = {}) => ({
    code: 'CS-001', name: 'Chùa A', type: 'RELIGIOUS', communeCode: '00004', licenceStatus: 'NONE', licenceNumber: null, capacity: 12, ...over,
  });
  const inspection = (over: Record<string, unknown> = {}) => ({
    facilityCode: 'CS-001', reportNumber: 'BB-1', inspectedOn: '2026-10-01', inspectingUnit: null, findings: null, childrenPresent: 3, ...over,
  });

  it('upserts facilities by code and inspections by (facility, report number), one statement each, the latest copy winning (the last of equal dates)', async () => {
    const { client, calls } = fakeClient();
    const res = await new ProjectionWriter().upsertFacilities(client, [
      { sourceSystem: 'facility-inspection', externalId: 'CS-001', projections: { facility: [facility({ name: 'old' })], inspection: [inspection()] } },
      { sourceSystem: 'facility-inspection', externalId: 'CS-001', projections: { facility: [facility()], inspection: [inspection(), inspection({ reportNumber: 'BB-2' })] } },
      // An earlier inspection's report, read last: its inspection is kept, not its facts.
      { sourceSystem: 'facility-inspection', externalId: 'CS-001', projections: { facility: [facility({ name: 'older' })], inspection: [inspection({ reportNumber: 'BB-0', inspectedOn: '2020-03-01' })] } },
    ]);
    expect(calls.map((c) => c.name === 'pw_facility_latest_facts' ? c.name : c.text.split(' (')[0])).toEqual(['INSERT INTO facility', 'INSERT INTO inspection', 'pw_facility_latest_facts']);
    // Each inspection keeps the facts its record stated; then the facility takes its latest inspection's.
    expect((calls[1]!.values[3] as Array<string | null>).map((f) => f && JSON.parse(f).name)).toEqual(['Chùa A', 'Chùa A', 'older']);
    expect(calls[2]!.values).toEqual([['CS-001']]);
    // A facility inspected is only added when new: its facts are its latest inspection's (the last statement).
    expect(calls[0]!.text).toContain('ON CONFLICT (code) DO NOTHING');
    expect(calls[1]!.text).toContain('ON CONFLICT (facility_code, report_number) DO UPDATE');
    expect(calls[0]!.values[3]).toEqual(['2026-10-01']);
    expect(calls[0]!.values[5]).toEqual(['Chùa A']);
    expect(res).toMatchObject({ facilities: { inserted: 1, updated: 0, unchanged: 0 }, inspections: { inserted: 3, updated: 0, unchanged: 0 } });
  });

  it('refuses child projections on facility records and bad facility values', async () => {
    const { client, calls } = fakeClient();
    const err = (await new ProjectionWriter()
      .upsertFacilities(client, [
        { sourceSystem: 'facility-inspection', externalId: 'CS-1', projections: { facility: [facility({ type: 'TEMPLE', capacity: -1 })], placement: [{ facilityCode: 'CS-1' }] } },
        { sourceSystem: 'facility-inspection', externalId: 'CS-2', projections: { inspection: [inspection({ inspectedOn: null })] } },
      ] as never)
      .catch((e: unknown) => e)) as InvalidProjectionError;
    expect(err.problems.map((p) => [p.item, p.path, p.code])).toEqual([
      [0, 'facility[0].type', 'NOT_ALLOWED_VALUE'],
      [0, 'facility[0].capacity', 'OUT_OF_RANGE'],
      [0, 'placement', 'WRONG_RECORD_TYPE'],
      [1, 'inspection[0].inspectedOn', 'REQUIRED'],
    ]);
    expect(calls).toHaveLength(0);
  });
});
