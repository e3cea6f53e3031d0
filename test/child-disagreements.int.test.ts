import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aRecord } from './support/records.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

const DISAGREEMENTS = 'disagreements { field sides { chosen sourceRecords { sourceRecordId sourceSystem } } }';

/** QA, against the simulators' ground truth: where a child's sources disagreed, nothing showed it. */
describe('where a child\'s sources disagree (GraphQL)', () => {
  let hub: TestHub;
  let steward: string;
  let moved: string;
  let trung: string;
  let agreeing: string;
  const recordIds = new Map<string, string>();

  beforeAll(async () => {
    hub = await startTestHub();
    steward = await hub.token();
    const res = await hub.ctx.ingest.ingest([
      // The health station's commune, then the school's newer one: the child is shown in the school's.
      aRecord({ externalId: 'H-MOVE', identityNumber: '001315000123', communeCode: '00541', sourceUpdatedAt: '2026-01-10T00:00:00Z' }),
      aRecord({ sourceSystem: 'school', externalId: 'S-MOVE', identityNumber: '001315000123', communeCode: '09634', sourceUpdatedAt: '2026-09-05T00:00:00Z' }),
      // A birth year that is not the register's, and a name of other letters.
      aRecord({ sourceSystem: 'facility-inspection', externalId: 'F-TRUNG', fullName: 'Ngô Gia Trung', sex: 'MALE', birthDate: '2015-01-01', birthDatePrecision: 'YEAR', identityNumber: '001216000456', communeCode: '00004' }),
      aRecord({ sourceSystem: 'justice-register', externalId: 'J-TRUNG', fullName: 'Ngô Gia Trung', sex: 'MALE', birthDate: '2016-10-15', identityNumber: '001216000456', communeCode: '00004' }),
      aRecord({ sourceSystem: 'school', externalId: 'S-TRUNG', fullName: 'Ngô Da Trung', sex: 'MALE', birthDate: '2016-10-15', identityNumber: '001216000456', communeCode: '00004' }),
      // One spelling in two forms, and a year the day fits: no disagreement.
      aRecord({ externalId: 'H-AN', fullName: 'Lê Văn An', sex: 'MALE', birthDate: '2014-06-01', identityNumber: '001214000789', communeCode: '00008' }),
      aRecord({ sourceSystem: 'school', externalId: 'S-AN', fullName: 'LE VAN  AN', sex: 'MALE', birthDate: '2014-01-01', birthDatePrecision: 'YEAR', identityNumber: '001214000789', communeCode: '00008' }),
    ]);
    expect(res).toMatchObject({ inserted: 7, childrenCreated: 3, rejected: 0 });
    await hub.ctx.goldenRecords.recompute(res.childrenToRecompute);
    const rows = await hub.ctx.sql.query<{ id: string; external_id: string; child_id: string }>('SELECT id, external_id, child_id FROM source_record');
    for (const r of rows) recordIds.set(r.external_id, r.id);
    const childOf = (externalId: string) => rows.find((r) => r.external_id === externalId)!.child_id;
    moved = childOf('H-MOVE');
    trung = childOf('J-TRUNG');
    agreeing = childOf('H-AN');
  });
  afterAll(async () => hub?.close());

  const side = (chosen: boolean, ...records: Array<[string, string]>) =>
    ({ chosen, sourceRecords: records.map(([externalId, sourceSystem]) => ({ sourceRecordId: recordIds.get(externalId), sourceSystem })) });

  it('lists each field the sources disagree on, the records on each side and the side shown, no values', async () => {
    const res = await hub.gql<Record<string, { communeCode: string; fullName: string; birthDate: string; disagreements: unknown[] }>>(
      `{ moved: child(id: "${moved}") { communeCode ${DISAGREEMENTS} }
         trung: child(id: "${trung}") { fullName birthDate ${DISAGREEMENTS} }
         agreeing: child(id: "${agreeing}") { ${DISAGREEMENTS} } }`, {}, steward);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.moved).toEqual({
      communeCode: '09634',
      disagreements: [{ field: 'communeCode', sides: [side(false, ['H-MOVE', 'HEALTH_STATION']), side(true, ['S-MOVE', 'SCHOOL'])].sort(bySourceRecord) }],
    });
    const trungSides = res.body.data!.trung!;
    expect(trungSides).toMatchObject({ fullName: 'Ngô Gia Trung', birthDate: '2016-10-15' });
    expect(trungSides.disagreements).toEqual([
      { field: 'fullName', sides: [side(true, ['F-TRUNG', 'FACILITY_INSPECTION'], ['J-TRUNG', 'JUSTICE_REGISTER']), side(false, ['S-TRUNG', 'SCHOOL'])].sort(bySourceRecord) },
      { field: 'birthDate', sides: [side(false, ['F-TRUNG', 'FACILITY_INSPECTION']), side(true, ['J-TRUNG', 'JUSTICE_REGISTER'], ['S-TRUNG', 'SCHOOL'])].sort(bySourceRecord) },
    ]);
    expect(res.body.data?.agreeing).toEqual({ disagreements: [] });
    // Audited as the evidence layer it is.
    const [read] = await hub.ctx.sql.query<{ field_classes: string[] }>(`SELECT field_classes FROM audit_event WHERE action = 'READ' AND subject = 'test-user' ORDER BY id DESC LIMIT 1`);
    expect(read!.field_classes).toEqual(expect.arrayContaining(['PROVENANCE', 'PROTECTION_GROUP', 'ADOPTION']));
  });

  it('lists the children whose sources disagree, on any field or on the fields asked for, and audits what the filter reveals', async () => {
    const ids = async (filter: string) => {
      const res = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>(`{ children(filter: ${filter}) { nodes { id } } }`, {}, await hub.token({ sub: 'steward-list' }));
      expect(res.body.errors, filter).toBeUndefined();
      return res.body.data!.children.nodes.map((n) => n.id);
    };
    expect(await ids('{ sourcesDisagree: true }')).toEqual([moved, trung].sort());
    expect(await ids('{ sourcesDisagree: false }')).toEqual([agreeing]);
    expect(await ids('{ sourcesDisagreeOn: [communeCode] }')).toEqual([moved]);
    expect(await ids('{ sourcesDisagreeOn: [birthDate, sex] }')).toEqual([trung]);
    expect(await ids('{ sourcesDisagreeOn: [identityNumber] }')).toEqual([]);
    const audited = await hub.ctx.sql.query<{ child_ids: string[]; field_classes: string[] }>(
      `SELECT child_ids, field_classes FROM audit_event WHERE action = 'READ' AND subject = 'steward-list' AND $1 = ANY(child_ids) ORDER BY id`, [moved]);
    expect(audited.length).toBeGreaterThan(0);
    for (const a of audited) expect(a.field_classes).toEqual(expect.arrayContaining(['PROVENANCE', 'PROTECTION_GROUP', 'ADOPTION']));
    const empty = await hub.gql(`{ children(filter: { sourcesDisagreeOn: [] }) { nodes { id } } }`, {}, steward);
    expect(empty.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'filter.sourcesDisagreeOn' } });
  });

  it('refuses the disagreements and the filter to roles that may not know every source, and audits the refusal', async () => {
    for (const role of ['health_officer', 'commune_officer'] as const) {
      const sub = `no-evidence-${role}`;
      const token = await hub.token({ sub, roles: [role] });
      const one = await hub.gql<{ child: Record<string, unknown> }>(`{ child(id: "${moved}") { id ${DISAGREEMENTS} } }`, {}, token);
      expect(one.body.data?.child, role).toEqual({ id: moved, disagreements: null });
      expect(one.body.errors?.map((e) => [e.path?.join('.'), e.extensions?.code]), role).toEqual([['child.disagreements', 'FORBIDDEN']]);
      const list = await hub.gql(`{ children(filter: { sourcesDisagreeOn: [communeCode] }) { nodes { id } } }`, {}, token);
      expect(list.body.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
      expect(list.body.data?.children ?? null, role).toBeNull();
      const denied = await hub.ctx.sql.query<{ child_ids: string[]; details: unknown }>(
        `SELECT child_ids, details FROM audit_event WHERE action = 'DENIED' AND subject = $1 ORDER BY id`, [sub]);
      expect(denied, role).toEqual([
        { child_ids: [moved], details: { fields: ['Child.disagreements'] } },
        { child_ids: [], details: { fields: ['Query.children(filter.sourcesDisagreeOn)'] } },
      ]);
    }
  });

  it('lists the children with a record flagged with the codes asked for: a steward\'s list of records kept apart from the child carrying their number (QA)', async () => {
    const res = await hub.ctx.ingest.ingest([
      aRecord({ sourceSystem: 'school', externalId: 'FLAG-F', fullName: 'Vũ Văn Long', sex: 'MALE', birthDate: '2016-01-01', identityNumber: '001216000999' }),
    ]);
    const kept = await hub.ctx.ingest.ingest([
      aRecord({ sourceSystem: 'school', externalId: 'FLAG-G', fullName: 'Hoàng Thị Lan', sex: 'FEMALE', birthDate: '2013-09-09', identityNumber: '001216000999' }),
    ]);
    await hub.ctx.goldenRecords.recompute([...res.childrenToRecompute, ...kept.childrenToRecompute]);
    const girl = (await hub.ctx.sql.one<{ child_id: string }>(`SELECT child_id FROM source_record WHERE external_id = 'FLAG-G'`))!.child_id;
    const list = async (filter: string, token = steward) => hub.gql<{ children: { totalCount: number; nodes: Array<{ id: string }> } }>(
      `{ children(filter: ${filter}) { totalCount nodes { id } } }`, {}, token);
    const found = await list('{ recordFlags: ["IDENTITY_NUMBER_HELD_BY_ANOTHER_CHILD"] }');
    expect(found.body.errors).toBeUndefined();
    expect(found.body.data!.children).toEqual({ totalCount: 1, nodes: [{ id: girl }] });
    expect((await list('{ recordFlags: ["REPEATED_ID"] }')).body.data!.children).toEqual({ totalCount: 0, nodes: [] });
    for (const bad of ['[]', '["held"]']) {
      expect((await list(`{ recordFlags: ${bad} }`)).body.errors?.[0], bad).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'filter.recordFlags' } });
    }
    const health = await list('{ recordFlags: ["IDENTITY_NUMBER_HELD_BY_ANOTHER_CHILD"] }', await hub.token({ sub: 'flags-health', roles: ['health_officer'] }));
    expect(health.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

const bySourceRecord = (a: { sourceRecords: Array<{ sourceRecordId?: string }> }, b: { sourceRecords: Array<{ sourceRecordId?: string }> }) =>
  (a.sourceRecords[0]!.sourceRecordId! < b.sourceRecords[0]!.sourceRecordId! ? -1 : 1);
