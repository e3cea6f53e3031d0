import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter, type AuditEventInput } from '../src/audit/audit-writer.js';
import { aRecord } from './support/records.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

const CHILD_FIELDS = `id fullName familyName middleName givenName sex birthDate birthDatePrecision birthYear communeCode
  commune { code name } identityNumber identityStatus groups version
  provenance { field sourceRecordId sourceSystem }
  sourceRecords { id sourceSystem externalId fullName identityNumber linkRule }
  identityNumbers { number status structuralFindings { code } }
  specialCircumstances { group clause evidenceSource }`;

describe('GraphQL gateway', () => {
  let hub: TestHub;
  let steward: string;
  let haId: string;
  let otherId: string;

  beforeAll(async () => {
    hub = await startTestHub();
    steward = await hub.token();
    const res = await hub.ctx.ingest.ingest([
      aRecord({ externalId: 'H-1', identityNumber: '001315000123', groups: [{ clause: 'd', subType: 'VAN_DONG' }] }),
      aRecord({ sourceSystem: 'school', externalId: 'S-1', fullName: 'NGUYEN THI THU HA', identityNumber: '001 315 000 123', communeCode: '00004' }),
      aRecord({ sourceSystem: 'justice-register', externalId: 'J-9', fullName: 'Trần Văn Minh', sex: 'MALE', birthDate: '2012-07-09', identityNumber: '001212000999', communeCode: '00008' }),
    ]);
    expect(res).toMatchObject({ inserted: 3, childrenCreated: 2, rejected: 0 });
    await hub.ctx.goldenRecords.recompute(res.childrenToRecompute);
    const { rows } = await hub.ctx.sql.pool.query<{ id: string; commune_code: string }>('SELECT id, commune_code FROM child ORDER BY commune_code');
    haId = rows[0]!.id;
    otherId = rows[1]!.id;
  });
  afterAll(async () => hub?.close());

  it('answers a trivial query without a token, but no data', async () => {
    expect((await hub.gql('{ __typename }')).body).toEqual({ data: { __typename: 'Query' } });
    const res = await hub.gql(`{ child(id: "${haId}") { id } }`);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.data?.child ?? null).toBeNull();
  });

  it('rejects a bad token with a reason', async () => {
    const res = await hub.gql(`{ me { subject } }`, {}, 'not-a-jwt');
    expect(res.body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(res.body.errors?.[0]?.message).toMatch(/Token rejected/);
  });

  it('returns the unified record with provenance, source records and identity numbers', async () => {
    const res = await hub.gql<{ child: Record<string, any> }>(`query One($id: ID!) { child(id: $id) { ${CHILD_FIELDS} } }`, { id: haId }, steward);
    expect(res.body.errors).toBeUndefined();
    const c = res.body.data!.child;
    expect(c).toMatchObject({
      id: haId,
      fullName: 'Nguyễn Thị Thu Hà',
      familyName: 'Nguyễn',
      givenName: 'Hà',
      sex: 'FEMALE',
      birthDate: '2015-03-02',
      birthYear: 2015,
      commune: { code: '00004', name: 'Phường Ba Đình' },
      identityNumber: '001315000123',
      identityStatus: 'UNVERIFIED',
      groups: ['DISABILITY'],
    });
    // Both records carried the same number (one with spaces), so they are one child.
    expect(c.sourceRecords.map((s: { sourceSystem: string }) => s.sourceSystem).sort()).toEqual(['HEALTH_STATION', 'SCHOOL']);
    expect(c.sourceRecords.find((s: { sourceSystem: string }) => s.sourceSystem === 'SCHOOL').linkRule).toBe('IDENTITY_NUMBER');
    expect(c.identityNumbers).toEqual([{ number: '001315000123', status: 'GIVEN', structuralFindings: [] }]);
    expect(c.specialCircumstances).toEqual([{ group: 'DISABILITY', clause: 'd', evidenceSource: 'HEALTH_STATION' }]);
    // The name came from the record with diacritics, not the registry-style upper-case one.
    const nameSource = c.provenance.find((p: { field: string }) => p.field === 'fullName');
    expect(nameSource.sourceSystem).toBe('HEALTH_STATION');
  });

  it('denies fields the role does not grant, field by field, and audits the refusal', async () => {
    const health = await hub.token({ sub: 'nurse-1', roles: ['health_officer'] });
    const res = await hub.gql<{ child: Record<string, unknown> }>(`{ child(id: "${haId}") { id fullName groups identityNumber } }`, {}, health);
    expect(res.body.data?.child).toEqual({ id: haId, fullName: 'Nguyễn Thị Thu Hà', groups: null, identityNumber: '001315000123' });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors?.[0]).toMatchObject({ path: ['child', 'groups'], extensions: { code: 'FORBIDDEN' } });
    const denied = await hub.ctx.sql.query(`SELECT child_ids, details FROM audit_event WHERE action = 'DENIED' AND subject = 'nurse-1'`);
    expect(denied).toEqual([{ child_ids: [haId], details: { fields: ['Child.groups'] } }]);
  });

  it('refuses roles without access to personal data at the root, and audits the refusal (QA: no DENIED row)', async () => {
    const engineer = await hub.token({ sub: 'engineer-9', roles: ['integration_engineer'] });
    const res = await hub.gql(`{ children(first: 5) { nodes { id } } }`, {}, engineer);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await hub.gql(`{ child(id: "${haId}") { id } }`, {}, engineer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const health = await hub.token({ sub: 'nurse-9', roles: ['health_officer'] });
    expect((await hub.gql(`{ children(filter: { group: ABANDONED }) { nodes { id } } }`, {}, health)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const denied = await hub.ctx.sql.query<{ subject: string; child_ids: string[]; details: unknown }>(
      `SELECT subject, child_ids, details FROM audit_event WHERE action = 'DENIED' AND subject IN ('engineer-9', 'nurse-9') ORDER BY id`);
    expect(denied).toEqual([
      { subject: 'engineer-9', child_ids: [], details: { fields: ['Query.children'] } },
      { subject: 'engineer-9', child_ids: [haId], details: { fields: ['Query.child'] } },
      { subject: 'nurse-9', child_ids: [], details: { fields: ['Query.children(filter.group)'] } },
    ]);
  });

  it('filters rows by commune scope and hides children outside it', async () => {
    const commune = await hub.token({ sub: 'ubnd-00008', roles: ['commune_officer'], communes: ['00008'] });
    const list = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>(`{ children { nodes { id communeCode } } }`, {}, commune);
    expect(list.body.data?.children.nodes).toEqual([{ id: otherId, communeCode: '00008' }]);
    const one = await hub.gql(`{ child(id: "${haId}") { id } }`, {}, commune);
    expect(one.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses an id of the wrong kind as the caller\'s mistake, and says "in your communes" only to a caller who has communes (QA)', async () => {
    const codeOf = async (q: string, token = steward) => {
      const res = await hub.gql(q, {}, token);
      return [res.body.errors?.[0]?.extensions?.code, res.body.errors?.[0]?.extensions?.argument, res.body.errors?.[0]?.message];
    };
    expect(await codeOf('{ child(id: "") { id } }')).toEqual(['BAD_USER_INPUT', 'id', '`id` must be a child id (`chd_…`)']);
    expect(await codeOf('{ children(filter: { communeCodes: [] }) { totalCount } }')).toEqual(
      ['BAD_USER_INPUT', 'filter.communeCodes', '`filter.communeCodes` needs at least one commune code (leave it out for every commune in your scope)']);
    // A code of no 2025 commune matches nothing: refused, not answered with an empty list that looks right (QA). To a
    // caller of the whole city, a former code some child is kept under is a filter (one is made so below).
    expect(await codeOf('{ children(filter: { communeCodes: ["00008", "99999"] }) { totalCount } }')).toEqual(['BAD_USER_INPUT', 'filter.communeCodes',
      '`filter.communeCodes`: not communes of the 2025 list (units in force from 1 July 2025), nor a former code any record is kept under: 99999']);
    const officer = await hub.token({ roles: ['commune_officer'], communes: ['00008'] });
    expect(await codeOf('{ children(filter: { communeCodes: ["99999"] }) { totalCount } }', officer)).toEqual(['BAD_USER_INPUT', 'filter.communeCodes',
      '`filter.communeCodes`: not communes of the 2025 list (units in force from 1 July 2025): 99999']);
    await hub.ctx.sql.query(`UPDATE child SET commune_code = '99999', commune_code_set = 'VN-PRE2025' WHERE id = $1`, [otherId]);
    try {
      const former = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>('{ children(filter: { communeCodes: ["99999"] }) { nodes { id } } }', {}, steward);
      expect(former.body.data?.children.nodes).toEqual([{ id: otherId }]);
      expect((await codeOf('{ children(filter: { communeCodes: ["99999"] }) { totalCount } }', officer))[0]).toBe('BAD_USER_INPUT');
    } finally {
      await hub.ctx.sql.query(`UPDATE child SET commune_code = '00008', commune_code_set = 'VN-2025' WHERE id = $1`, [otherId]);
    }
    // A name of punctuation alone is no name (QA: "%_" was searched, and found nothing).
    expect(await codeOf('{ children(filter: { name: "   %_ " }) { totalCount } }')).toEqual(['BAD_USER_INPUT', 'filter.name', '`filter.name` needs at least 2 letters']);
    expect(await codeOf('{ children(filter: { name: "nguyen - ha" }) { totalCount } }')).toEqual(['BAD_USER_INPUT', 'filter.name',
      '`filter.name`: each word needs a letter (a word of punctuation alone is no part of a name)']);
    expect(await codeOf('{ child(id: "src_01JATSCHOOL000000000000000") { id } }')).toEqual(['BAD_USER_INPUT', 'id', '`id` must be a child id (`chd_…`)']);
    expect(await codeOf(`{ sourceRecord(id: "${haId}") { id } }`)).toEqual(['BAD_USER_INPUT', 'id', '`id` must be a source record id (`src_…`)']);
    expect(await codeOf('mutation { requestIdentityReconciliation(childId: "x") }')).toEqual(['BAD_USER_INPUT', 'childId', '`childId` must be a child id (`chd_…`)']);
    // No subscriptions: refused as invalid, saying what to do instead (QA re-check: an internal error to quote).
    expect(await codeOf('subscription S { children { nodes { id } } }')).toEqual(['GRAPHQL_VALIDATION_FAILED', undefined,
      'This API offers no subscriptions: pull changes with `children(filter: { changedSince: … })` and `changeToken` (see the README, "Pulling changes")']);
    expect(await codeOf('{ child(id: "chd_01JNOSUCHCHILD0000000000000") { id } }')).toEqual(['NOT_FOUND', undefined, 'No child chd_01JNOSUCHCHILD0000000000000']);
    expect(await codeOf('{ connectorRun(id: "chd_1") { id } }', await hub.token({ roles: ['integration_engineer'] }))).toEqual(['BAD_USER_INPUT', 'id', '`id` must be a connector run id (`run_…`)']);
    const commune = await hub.token({ sub: 'prober-1', roles: ['commune_officer'], communes: ['00008'] });
    expect(await codeOf(`{ child(id: "${haId}") { id } }`, commune)).toEqual(['NOT_FOUND', undefined, `No child ${haId} in your communes`]);
    // The look is audited as refused, naming the child it was for (QA: probing another commune's ids left no trace).
    expect(await hub.ctx.sql.query(`SELECT action, child_ids, details FROM audit_event WHERE subject = 'prober-1'`))
      .toEqual([{ action: 'DENIED', child_ids: [haId], details: { fields: ['Query.child'] } }]);
    // An id that is no child's is named too: what was probed for.
    await codeOf('{ child(id: "chd_01JNOSUCHCHILD0000000000000") { id } }', await hub.token({ sub: 'prober-2', roles: ['commune_officer'], communes: ['00008'] }));
    expect(await hub.ctx.sql.query(`SELECT child_ids FROM audit_event WHERE subject = 'prober-2'`)).toEqual([{ child_ids: ['chd_01JNOSUCHCHILD0000000000000'] }]);
  });

  it('refuses a NUL in any string of a request as the caller\'s mistake, before anything runs, and other officers\' reads go on (QA: an id with one failed the audit writes of every request written with it)', async () => {
    const engineer = await hub.token({ sub: 'nul-prober', roles: ['integration_engineer'] });
    const refusal = (res: { body: { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }) =>
      [res.body.errors?.[0]?.extensions?.code, res.body.errors?.[0]?.extensions?.argument];
    const poisoned = [
      hub.gql('{ child(id: "chd_\\u0000abc") { id } }', {}, engineer),
      hub.gql('query Q($id: ID!) { child(id: $id) { id } }', { id: 'chd_\u0000abc' }, engineer),
      hub.gql('query Q($f: ChildrenFilter) { children(filter: $f) { nodes { id } } }', { f: { name: 'ng\u0000uyen' } }, steward),
    ];
    // A variable's default value too, and ids no audit row can hold (QA: one of 6,000 characters failed the audit
    // writes batched with it); both refused before anything is recorded.
    poisoned.push(hub.gql('query D($c: ID! = "chd_\\u0000X") { child(id: $c) { id } }', {}, engineer));
    poisoned.push(hub.gql('{ child(id: "chd_\\u{0}abc") { id } }', {}, engineer));
    poisoned.push(hub.gql('query L($id: ID!) { child(id: $id) { id } }', { id: `chd_${'A'.repeat(6000)}` }, steward));
    poisoned.push(hub.gql('query L($id: ID!) { child(id: $id) { id } }', { id: `chd_${'A'.repeat(6000)}` }, engineer));
    const reads = Array.from({ length: 10 }, () => hub.gql<{ children: { nodes: unknown[] } }>('{ children(first: 5) { nodes { id fullName } } }', {}, steward));
    const [literal, variable, filter, fallback, braced, long, longForbidden] = await Promise.all(poisoned);
    expect(refusal(braced!)).toEqual(['BAD_USER_INPUT', 'id']);
    expect(refusal(fallback!)).toEqual(['BAD_USER_INPUT', undefined]);
    expect(fallback!.body.errors?.[0]?.message).toBe('A string in the query contains a NUL character (U+0000), which no field accepts');
    expect(refusal(long!)).toEqual(['BAD_USER_INPUT', 'id']);
    expect(longForbidden!.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refusal(literal!)).toEqual(['BAD_USER_INPUT', 'id']);
    expect(refusal(variable!)).toEqual(['BAD_USER_INPUT', 'id']);
    expect(refusal(filter!)).toEqual(['BAD_USER_INPUT', 'filter.name']);
    expect(literal!.body.errors?.[0]?.message).toBe('`id` contains a NUL character (U+0000), which no field accepts');
    // Answered 400 as the caller's mistake, not 500 (QA), and the status stays out of the error's extensions.
    for (const r of [literal!, variable!, filter!, fallback!, braced!]) expect(r.status).toBe(400);
    expect(literal!.body.errors?.[0]?.extensions).not.toHaveProperty('http');
    for (const r of await Promise.all(reads)) expect(r.body.errors).toBeUndefined();
    // The refusal to a role without the data is audited, without the id that is no id.
    expect(await hub.ctx.sql.query(`SELECT child_ids FROM audit_event WHERE subject = 'nul-prober' AND action = 'DENIED'`)).toEqual([{ child_ids: [] }]);
  });

  it('writes every audit event the database can hold when another written with it is refused, NULs and halves of surrogate pairs kept as U+FFFD (QA)', async () => {
    const writer = new AuditWriter(hub.ctx.sql, hub.ctx.logger);
    const event = (subject: string, childIds: string[], details: Record<string, unknown> = {}): AuditEventInput => ({
      action: 'DENIED', operation: 'Query.child', requestId: null, subject, officerId: null, agency: null, unit: null, roles: ['x'],
      purpose: null, childIds, fieldClasses: ['BASIC'], details,
    });
    const results = await Promise.allSettled([
      writer.write(event('audit-nul-1', ['chd_\u0000a'], { note: 'a\u0000b' })),
      // A lone surrogate, which jsonb refuses: kept as U+FFFD too (QA: an auditor's filter with one failed its audit).
      writer.write(event('audit-nul-2', ['chd_b'], { note: '\ud800' })),
      writer.write(event('audit-nul-3', ['chd_c'])),
      // An id longer than the audit's index takes (54000: a value past a limit).
      writer.write(event('audit-nul-4', [`chd_${randomBytes(4500).toString('base64url')}`])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(await hub.ctx.sql.query(`SELECT subject, child_ids, details FROM audit_event WHERE subject LIKE 'audit-nul-%' ORDER BY subject`)).toEqual([
      { subject: 'audit-nul-1', child_ids: ['chd_\ufffda'], details: { note: 'a\ufffdb' } },
      { subject: 'audit-nul-2', child_ids: ['chd_b'], details: { note: '\ufffd' } },
      { subject: 'audit-nul-3', child_ids: ['chd_c'], details: {} },
    ]);
  });

  it('writes an audit event a caller adds as soon as its previous one is written (it waited for some later event, for ever on a quiet hub)', async () => {
    const writer = new AuditWriter(hub.ctx.sql, hub.ctx.logger);
    const event = (subject: string): AuditEventInput => ({
      action: 'READ', operation: 'Query.child', requestId: null, subject, officerId: null, agency: null, unit: null, roles: ['x'],
      purpose: null, childIds: [], fieldClasses: ['BASIC'],
    });
    // The caller resumed by the first write adds the second before the writer's drain has ended.
    const second = writer.write(event('audit-chain-1')).then(() => writer.write(event('audit-chain-2')));
    const outcome = await Promise.race([second.then(() => 'written'), new Promise((r) => setTimeout(() => r('left waiting'), 5_000))]);
    expect(outcome).toBe('written');
    expect(await hub.ctx.sql.query(`SELECT subject FROM audit_event WHERE subject LIKE 'audit-chain-%' ORDER BY subject`)).toEqual([
      { subject: 'audit-chain-1' }, { subject: 'audit-chain-2' },
    ]);
  });

  it('refuses an operation that could resolve too many fields, however shallow (QA: 300 aliases of a page took 6.9 s)', async () => {
    const page = 'children(first: 100) { nodes { id fullName sourceRecords { id fullName identityNumber } } }';
    const res = await hub.gql(`{ ${Array.from({ length: 300 }, (_, i) => `a${i}: ${page}`).join(' ')} }`, {}, steward);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    // A negative page beside them takes nothing off (QA re-check: it made the cost negative, and the 300 ran).
    const negative = await hub.gql(`{ neg: connectorRuns(first: -2000000000) { id } ${Array.from({ length: 300 }, (_, i) => `a${i}: ${page}`).join(' ')} }`, {}, steward);
    expect(negative.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    expect(res.body.data).toBeUndefined();
    const one = await hub.gql(`{ ${page} }`, {}, steward);
    expect(one.body.errors).toBeUndefined();
  });

  it('searches names ignoring diacritics, case and word order', async () => {
    for (const name of ['nguyen thi ha', 'NGUYỄN HÀ', 'ha nguyen', 'Nguyễn Thị Thu Hà']) {
      const res = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>(
        `query($f: ChildrenFilter) { children(filter: $f) { nodes { id } } }`, { f: { name } }, steward);
      expect(res.body.data?.children.nodes, name).toEqual([{ id: haId }]);
    }
    const none = await hub.gql<{ children: { nodes: unknown[] } }>(`{ children(filter: { name: "nguyen van" }) { nodes { id } } }`, {}, steward);
    expect(none.body.data?.children.nodes).toEqual([]);
    // Whole words, not letters inside one (QA: "ha" found Thanh and Khang).
    for (const [name, ids] of [['an', []], ['in', []], ['minh tran', [otherId]], ['thu', [haId]], ['th', []]] as Array<[string, string[]]>) {
      const res = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>(
        `query($f: ChildrenFilter) { children(filter: $f) { nodes { id } } }`, { f: { name } }, steward);
      expect(res.body.data?.children.nodes.map((n) => n.id), name).toEqual(ids);
    }
  });

  it('filters by sex, birth years, group and identity status', async () => {
    const q = async (filter: string, token = steward) =>
      (await hub.gql<{ children: { nodes: Array<{ id: string }>; totalCount: number } }>(`{ children(filter: ${filter}) { totalCount nodes { id } } }`, {}, token)).body;
    expect((await q('{ sex: MALE }')).data?.children.nodes).toEqual([{ id: otherId }]);
    expect((await q('{ birthYearFrom: 2013, birthYearTo: 2016 }')).data?.children).toEqual({ totalCount: 1, nodes: [{ id: haId }] });
    // A range ending before it starts is the caller's mistake, not "no children" (QA).
    expect((await q('{ birthYearFrom: 2020, birthYearTo: 2010 }')).errors?.[0]).toMatchObject({
      message: '`filter.birthYearFrom` (2020) is after `filter.birthYearTo` (2010)', extensions: { code: 'BAD_USER_INPUT', argument: 'filter.birthYearFrom' },
    });
    // A year the database's year column cannot hold was an internal error (QA).
    expect((await q('{ birthYearFrom: 99999 }')).errors?.[0]).toMatchObject({
      message: '`filter.birthYearFrom` must be a year from 1000 to 9999; got 99999', extensions: { code: 'BAD_USER_INPUT', argument: 'filter.birthYearFrom' },
    });
    expect((await q('{ birthYearTo: -40000 }')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.birthYearTo' });
    expect((await q('{ group: DISABILITY }')).data?.children.nodes).toEqual([{ id: haId }]);
    expect((await q('{ identityStatus: UNVERIFIED }')).data?.children.totalCount).toBe(2);
    // Filtering by group membership would reveal it: it needs PROTECTION_GROUP.
    const teacher = await hub.token({ roles: ['education_officer'] });
    expect((await q('{ group: DISABILITY }', teacher)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('pages with opaque cursors and validates page arguments', async () => {
    const first = await hub.gql<{ children: { edges: Array<{ cursor: string; node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
      `{ children(first: 1) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, {}, steward);
    const page1 = first.body.data!.children;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await hub.gql<{ children: { nodes: Array<{ id: string }>; pageInfo: { hasNextPage: boolean } } }>(
      `query($a: String) { children(first: 1, after: $a) { nodes { id } pageInfo { hasNextPage } } }`, { a: page1.pageInfo.endCursor }, steward);
    expect(second.body.data?.children.pageInfo.hasNextPage).toBe(false);
    expect([page1.edges[0]!.node.id, second.body.data!.children.nodes[0]!.id].sort()).toEqual([haId, otherId].sort());
    // However large: not QUERY_TOO_COSTLY past some size (QA).
    for (const first of [1000, 1_000_000]) {
      const tooMany = await hub.gql(`{ children(first: ${first}) { nodes { id } } }`, {}, steward);
      expect(tooMany.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
    }
    const badCursor = await hub.gql(`{ children(after: "zzz") { nodes { id } } }`, {}, steward);
    expect(badCursor.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badVar = await hub.gql(`query($f: Int!) { children(first: $f) { nodes { id } } }`, { f: 'ten' }, steward);
    expect(badVar.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badQuery = await hub.gql(`{ children { nodes { nope } } }`, {}, steward);
    expect(badQuery.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('writes one audit event per request and set of classes, with the children released with those classes', async () => {
    const reader = await hub.token({ sub: 'auditee', officer_id: 'CB-42', agency: 'ubnd-xa-00004', roles: ['commune_officer'], purpose: 'case-review' });
    await hub.gql(`query ReadOne { child(id: "${haId}") { fullName identityNumber } }`, {}, reader);
    const rows = await hub.ctx.sql.query(
      `SELECT action, operation, subject, officer_id, agency, purpose, child_ids, field_classes, request_id IS NOT NULL AS has_request
         FROM audit_event WHERE subject = 'auditee'`,
    );
    expect(rows).toEqual([{
      action: 'READ', operation: 'ReadOne', subject: 'auditee', officer_id: 'CB-42', agency: 'ubnd-xa-00004', purpose: 'case-review',
      child_ids: [haId], field_classes: ['BASIC', 'IDENTITY'], has_request: true,
    }]);
    // Each child with the classes released of it: one event per set of classes (QA: one set for the whole request
    // named the children of a second page with the IDENTITY read of the first).
    await hub.gql(`query Mixed { a: child(id: "${haId}") { identityNumber } b: children(first: 5, filter: { communeCodes: ["00008"] }) { nodes { id } } }`, {}, reader);
    expect(await hub.ctx.sql.query(`SELECT child_ids, field_classes FROM audit_event WHERE subject = 'auditee' AND operation = 'Mixed' ORDER BY field_classes`)).toEqual([
      { child_ids: [otherId], field_classes: ['BASIC'] },
      { child_ids: [haId], field_classes: ['IDENTITY'] },
    ]);
    // Which fields were read, not only of which classes (domain §8: who, officer, unit, purpose, fields, time): each
    // event names the request's fields of its classes, and a filter that tells a class of the children it lists.
    const fields = async (operation: string) => (await hub.ctx.sql.query<{ fields: string[] }>(
      `SELECT details->'fields' AS fields FROM audit_event WHERE subject = 'auditee' AND operation = $1 AND action = 'READ' ORDER BY field_classes`, [operation])).map((r) => r.fields);
    expect(await fields('ReadOne')).toEqual([['Child.fullName', 'Child.identityNumber']]);
    expect(await fields('Mixed')).toEqual([['Child.id', 'Query.children', 'Query.children(filter.communeCodes)'], ['Child.identityNumber']]);
    await hub.gql(`query ByGroup { children(filter: { group: DISABILITY }) { nodes { id } } }`, {}, await hub.token({ sub: 'auditee', roles: ['data_steward'] }));
    expect(await fields('ByGroup')).toEqual([['Child.id', 'Query.children', 'Query.children(filter.group)']]);
    // Only what was read of the event's own children (QA: a field read of another child in the request was named).
    await hub.gql(`query Two { a: child(id: "${haId}") { fullName identityNumber } b: child(id: "${otherId}") { id } }`, {}, await hub.token({ sub: 'auditee', roles: ['data_steward'] }));
    expect(await hub.ctx.sql.query(`SELECT child_ids, details->'fields' AS fields FROM audit_event WHERE subject = 'auditee' AND operation = 'Two' ORDER BY field_classes`)).toEqual([
      { child_ids: [otherId], fields: ['Child.id'] },
      { child_ids: [haId], fields: ['Child.fullName', 'Child.identityNumber'] },
    ]);
    // The audit is append-only.
    await expect(hub.ctx.sql.query(`DELETE FROM audit_event`)).rejects.toThrow(/append-only/);
    await expect(hub.ctx.sql.query(`UPDATE audit_event SET purpose = 'x'`)).rejects.toThrow(/append-only/);
  });

  it('audits the class a filter reveals of the children it returns (QA: group DISABILITY and identityStatus audited as BASIC only)', async () => {
    const audited = async (sub: string) => hub.ctx.sql.query<{ child_ids: string[]; field_classes: string[] }>(
      `SELECT child_ids, field_classes FROM audit_event WHERE action = 'READ' AND subject = $1 ORDER BY id`, [sub]);
    const group = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>(
      `{ children(first: 2, filter: { group: DISABILITY }) { nodes { id fullName } } }`, {}, await hub.token({ sub: 'filter-group' }));
    expect(group.body.data?.children.nodes).toEqual([{ id: haId, fullName: 'Nguyễn Thị Thu Hà' }]);
    expect(await audited('filter-group')).toEqual([{ child_ids: [haId], field_classes: ['BASIC', 'PROTECTION_GROUP'] }]);
    const status = await hub.gql(`{ children(filter: { identityStatus: UNVERIFIED }) { nodes { id } } }`, {}, await hub.token({ sub: 'filter-status' }));
    expect(status.body.errors).toBeUndefined();
    expect(await audited('filter-status')).toEqual([{ child_ids: [haId, otherId].sort(), field_classes: ['BASIC', 'IDENTITY'] }]);
    // Cursors alone name the children (they encode ids): the filter's class is audited for them too.
    const cursors = await hub.gql(`{ children(filter: { group: DISABILITY, sex: FEMALE }) { edges { cursor } } }`, {}, await hub.token({ sub: 'filter-cursor' }));
    expect(cursors.body.errors).toBeUndefined();
    expect(await audited('filter-cursor')).toEqual([{ child_ids: [haId], field_classes: ['BASIC', 'PROTECTION_GROUP'] }]);
    const last = await hub.gql(`{ children(filter: { identityStatus: UNVERIFIED }) { pageInfo { endCursor } } }`, {}, await hub.token({ sub: 'filter-end' }));
    expect(last.body.errors).toBeUndefined();
    // The end cursor of a page rests on every item of it (see below): all are audited.
    expect(await audited('filter-end')).toEqual([{ child_ids: [haId, otherId].sort(), field_classes: ['BASIC', 'IDENTITY'] }]);
    // A count of BASIC attributes names no child: nothing released, nothing to audit.
    await hub.gql(`{ children(filter: { sex: FEMALE }) { totalCount } }`, {}, await hub.token({ sub: 'filter-count' }));
    expect(await audited('filter-count')).toEqual([]);
    // A small count by a group singles its children out as a list would (QA: no trace).
    await hub.gql(`{ children(filter: { group: DISABILITY }) { totalCount } }`, {}, await hub.token({ sub: 'filter-small-count' }));
    expect(await audited('filter-small-count')).toEqual([{ child_ids: [haId], field_classes: ['BASIC', 'PROTECTION_GROUP'] }]);
    // `hasNextPage` rests on every row fetched, the one past the page too, after any cursor (QA: asked after an id and
    // after that id less its last letter, it told whether that one child was in the group, and nothing was audited).
    const justBefore = Buffer.from(haId.slice(0, -1), 'utf8').toString('base64url');
    const more = await hub.gql<{ children: { pageInfo: { hasNextPage: boolean } } }>(
      `{ children(first: 1, after: "${justBefore}", filter: { group: DISABILITY }) { pageInfo { hasNextPage } } }`, {}, await hub.token({ sub: 'filter-oracle' }));
    expect(more.body.data?.children.pageInfo.hasNextPage).toBe(false);
    expect(await audited('filter-oracle')).toEqual([{ child_ids: [haId], field_classes: ['BASIC', 'PROTECTION_GROUP'] }]);
    // So do the end cursors of pages compared (QA re-check: `first: 2` after the id less its last letter, and `first: 1`
    // after the id, ended alike when the child was in the group): which item ends a page rests on every item before it.
    await hub.gql(`{ a: children(first: 2, after: "${justBefore}", filter: { group: DISABILITY }) { pageInfo { endCursor } } }`, {}, await hub.token({ sub: 'filter-end-oracle' }));
    expect(await audited('filter-end-oracle')).toEqual([{ child_ids: [haId], field_classes: ['BASIC', 'PROTECTION_GROUP'] }]);
    // Unless it counts by name: "is the child of this name in the group?" (QA: answered with no trace).
    const named = await hub.gql<{ children: { totalCount: number } }>(
      `{ children(filter: { name: "nguyen ha", group: DISABILITY }) { totalCount } }`, {}, await hub.token({ sub: 'filter-named-count' }));
    expect(named.body.data?.children.totalCount).toBe(1);
    expect(await audited('filter-named-count')).toEqual([{ child_ids: [haId], field_classes: ['BASIC', 'PROTECTION_GROUP'] }]);
    // A page by name, whatever is read of it (QA: `hasNextPage` alone left no trace).
    await hub.gql(`{ children(first: 1, filter: { name: "nguyen ha" }) { pageInfo { hasNextPage } } }`, {}, await hub.token({ sub: 'named-more' }));
    expect(await audited('named-more')).toEqual([{ child_ids: [haId], field_classes: ['BASIC'] }]);
    // A page of cursors alone, without a filter, names its children too (QA: not audited).
    await hub.gql(`{ children { edges { cursor } } }`, {}, await hub.token({ sub: 'plain-cursors' }));
    expect(await audited('plain-cursors')).toEqual([{ child_ids: [haId, otherId].sort(), field_classes: ['BASIC'] }]);
  });

  it('masks unexpected errors and names the request id the client sent', async () => {
    // A corrupt provenance entry (no date) makes a non-null field fail: an internal fault, not the caller's.
    await hub.ctx.sql.query(`INSERT INTO child (id, commune_code, provenance) VALUES ('chd_01JBROKEN0000000000000000', '00004', '{"fullName": {}}')`);
    const res = await fetch(`${hub.api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${steward}`, 'x-request-id': 'trace-me-42' },
      body: JSON.stringify({ query: '{ child(id: "chd_01JBROKEN0000000000000000") { id provenance { field chosenAt } } }' }),
    });
    expect(res.headers.get('x-request-id')).toBe('trace-me-42');
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
    expect(body.errors[0]).toMatchObject({
      message: 'Internal error. Quote request id trace-me-42 when reporting it.',
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'trace-me-42' },
    });
    expect(JSON.stringify(body)).not.toMatch(/non-nullable|Cannot return null/i);
  });

  it('gives a source record\'s flags (what the hub noticed as it stored it) as BASIC data; none is an empty list', async () => {
    const flag = { field: 'externalId', code: 'REPEATED_ID', message: 'the id came earlier in this sync with other content; that copy was replaced by this one (khai-sinh.csv row 9)' };
    await hub.ctx.sql.query(
      `INSERT INTO source_record (id, source_system, external_id, raw, full_name, content_hash, flags)
       VALUES ('src_01JFLAGGED0000000000000000', 'justice-register', 'FLAGGED-1', '{}', 'Phạm Văn Cờ', 'h', $1), ('src_01JFLAGLESS00000000000000', 'school', 'FLAGLESS-1', '{}', 'Phạm Văn Không', 'h', '[]')`,
      [JSON.stringify([flag])]);
    const reader = await hub.token({ sub: 'flag-reader' });
    const res = await hub.gql<{ a: { flags: unknown[] }; b: { flags: unknown[] } }>(
      `{ a: sourceRecord(id: "src_01JFLAGGED0000000000000000") { flags { field code message } } b: sourceRecord(id: "src_01JFLAGLESS00000000000000") { flags { code } } }`, {}, reader);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ a: { flags: [flag] }, b: { flags: [] } });
  });

  it('releases a source record\'s parents and carer as the projections holding the same values do (QA: adoptive parents and placements read as BASIC)', async () => {
    await hub.ctx.sql.query(
      `INSERT INTO source_record (id, source_system, external_id, raw, full_name, father_name, mother_name, carer_name, content_hash)
       VALUES ('src_01JADOPTED000000000000000', 'justice-register', 'NCN-1', '{}', 'Lê Văn Nuôi', 'Lê Văn Cha', 'Trần Thị Mẹ', 'Nguyễn Thị Mẹ Nuôi', 'h'),
              ('src_01JPLACED0000000000000000', 'facility-inspection', 'FI-1', '{}', 'Lê Thị Ở', NULL, NULL, 'Chùa Phúc Lâm', 'h')`);
    const q = `{ a: sourceRecord(id: "src_01JADOPTED000000000000000") { fullName fatherName motherName carerName }
                 b: sourceRecord(id: "src_01JPLACED0000000000000000") { fullName carerName } }`;
    const denied = (res: { body: { errors?: Array<{ path?: unknown[] }> } }) => (res.body.errors ?? []).map((e) => e.path!.join('.')).sort();
    // Source records are the evidence layer (PROVENANCE, PROTECTION_GROUP and ADOPTION): refused to an education
    // officer, as to anyone without all three, whichever record, and the refusal audited.
    const education = await hub.gql<{ a: Record<string, unknown> | null; b: Record<string, unknown> | null }>(q, {}, await hub.token({ sub: 'teacher-1', roles: ['education_officer'] }));
    expect(education.body.data).toEqual({ a: null, b: null });
    expect((education.body.errors ?? []).map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    const [audit] = await hub.ctx.sql.query<{ details: { fields: string[]; sourceRecordIds: string[] } }>(`SELECT details FROM audit_event WHERE action = 'DENIED' AND subject = 'teacher-1'`);
    // Naming the records asked for (QA re-check: an auditor could not tell what was probed).
    expect(audit!.details).toEqual({ fields: ['Query.sourceRecord'], sourceRecordIds: ['src_01JADOPTED000000000000000', 'src_01JPLACED0000000000000000'] });
    // ADOPTION and PROTECTION_GROUP: all of it, each class audited.
    const justice = await hub.gql<{ a: Record<string, unknown>; b: Record<string, unknown> }>(q, {}, await hub.token({ sub: 'judge-1', roles: ['justice_officer'] }));
    expect(justice.body.errors).toBeUndefined();
    expect(justice.body.data?.b).toEqual({ fullName: 'Lê Thị Ở', carerName: 'Chùa Phúc Lâm' });
    const reads = await hub.ctx.sql.query<{ field_classes: string[] }>(`SELECT field_classes FROM audit_event WHERE action = 'READ' AND subject = 'judge-1'`);
    expect(reads.flatMap((r) => r.field_classes)).toEqual(expect.arrayContaining(['ADOPTION', 'PROTECTION_GROUP']));
    // Whatever is read of a record by its id, that its source holds the child is the evidence layer (QA: a record's
    // id and source system alone were audited as BASIC and PROVENANCE).
    await hub.gql(`{ b: sourceRecord(id: "src_01JPLACED0000000000000000") { id sourceSystem } }`, {}, await hub.token({ sub: 'judge-2', roles: ['justice_officer'] }));
    const [idOnly] = await hub.ctx.sql.query<{ field_classes: string[] }>(`SELECT field_classes FROM audit_event WHERE action = 'READ' AND subject = 'judge-2'`);
    expect([...idOnly!.field_classes].sort()).toEqual(['ADOPTION', 'BASIC', 'PROTECTION_GROUP', 'PROVENANCE']);
    // PROTECTION_GROUP without ADOPTION: refused too.
    const commune = await hub.gql<{ a: Record<string, unknown> | null; b: Record<string, unknown> | null }>(q, {}, await hub.token({ roles: ['commune_officer'] }));
    expect(commune.body.data).toEqual({ a: null, b: null });
    expect(denied(commune)).toEqual(['a', 'b']);
  });

  it('keeps the evidence layer (source records, provenance, the record a number came from and when it came, when the child was built and changed) to roles that may know every source, the same for every child (QA: a health officer read a placement there, then refusals, gaps, ids and times named the children in care or adopted)', async () => {
    await hub.ctx.sql.query(
      `INSERT INTO source_record (id, source_system, external_id, raw, full_name, content_hash, child_id)
       VALUES ('src_01JINCARE00000000000000000', 'facility-inspection', 'KT-CS-CL-02-2024-1', '{}', 'Lê Thị Ở', 'h', 'chd_01JINCARE00000000000000000'),
              ('src_01JATSCHOOL000000000000000', 'school', 'HS-1', '{}', 'Lê Thị Ở', 'h', 'chd_01JINCARE00000000000000000')`);
    const chosenAt = '2026-11-01T00:00:00.000Z';
    await hub.ctx.sql.query(
      `INSERT INTO child (id, commune_code, full_name, provenance) VALUES
         ('chd_01JINCARE00000000000000000', '00004', 'Lê Thị Ở', $1::jsonb), ('chd_01JATSCHOOL000000000000000', '00004', 'Lê Thị Ở', $2::jsonb)`,
      [JSON.stringify({ fullName: { sourceRecordId: 'src_01JINCARE00000000000000000', sourceSystem: 'facility-inspection', chosenAt } }),
        JSON.stringify({ fullName: { sourceRecordId: 'src_01JATSCHOOL000000000000000', sourceSystem: 'school', chosenAt } })]);
    await hub.ctx.sql.query(`INSERT INTO identity_number (id, child_id, number, status, source_record_id) VALUES ('idn_01JINCARE00000000000000000', 'chd_01JINCARE00000000000000000', '001215000999', 'GIVEN', 'src_01JINCARE00000000000000000')`);
    const q = `{ a: sourceRecord(id: "src_01JINCARE00000000000000000") { fullName sourceSystem externalId }
                 c: child(id: "chd_01JINCARE00000000000000000") { fullName sourceRecords { sourceSystem } provenance { field sourceSystem } identityNumbers { number sourceRecordId firstSeenAt supersededAt } }
                 d: child(id: "chd_01JATSCHOOL000000000000000") { sourceRecords { sourceSystem } provenance { field sourceSystem } createdAt updatedAt version } }`;
    const refused = (res: { body: { errors?: Array<{ path?: unknown[]; extensions?: Record<string, unknown> }> } }) =>
      (res.body.errors ?? []).map((e) => [e.path!.join('.'), e.extensions?.code]).sort();
    // A health officer and a social worker (PROTECTION_GROUP, no ADOPTION) alike: refused for every child.
    for (const role of ['health_officer', 'social_worker'] as const) {
      const roles = [role];
      const res = await hub.gql<Record<string, Record<string, unknown> | null>>(q, {}, await hub.token({ roles }));
      expect(res.body.data, roles[0]).toEqual({
        a: null,
        c: { fullName: 'Lê Thị Ở', sourceRecords: null, provenance: null, identityNumbers: [{ number: '001215000999', sourceRecordId: null, firstSeenAt: null, supersededAt: null }] },
        d: { sourceRecords: null, provenance: null, createdAt: null, updatedAt: null, version: null },
      });
      expect(refused(res), roles[0]).toEqual([
        ['a', 'FORBIDDEN'], ['c.identityNumbers.0.firstSeenAt', 'FORBIDDEN'], ['c.identityNumbers.0.sourceRecordId', 'FORBIDDEN'], ['c.identityNumbers.0.supersededAt', 'FORBIDDEN'], ['c.provenance', 'FORBIDDEN'], ['c.sourceRecords', 'FORBIDDEN'],
        ['d.createdAt', 'FORBIDDEN'], ['d.provenance', 'FORBIDDEN'], ['d.sourceRecords', 'FORBIDDEN'], ['d.updatedAt', 'FORBIDDEN'], ['d.version', 'FORBIDDEN'],
      ]);
    }
    // A data steward (every class): all of it.
    const steward2 = await hub.gql<Record<string, Record<string, unknown>>>(q, {}, steward);
    expect(steward2.body.errors).toBeUndefined();
    expect(steward2.body.data?.a).toEqual({ fullName: 'Lê Thị Ở', sourceSystem: 'FACILITY_INSPECTION', externalId: 'KT-CS-CL-02-2024-1' });
    expect(steward2.body.data?.c).toEqual({
      fullName: 'Lê Thị Ở', sourceRecords: [{ sourceSystem: 'FACILITY_INSPECTION' }, { sourceSystem: 'SCHOOL' }],
      provenance: [{ field: 'fullName', sourceSystem: 'FACILITY_INSPECTION' }], identityNumbers: [{ number: '001215000999', sourceRecordId: 'src_01JINCARE00000000000000000', firstSeenAt: expect.stringMatching(/^\d{4}-/), supersededAt: null }],
    });
    expect(steward2.body.data?.d).toMatchObject({ createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), version: 1 });
  });

  it('releases what tells a child was adopted or found abandoned only with ADOPTION or PROTECTION_GROUP, and audits an unmasked number as IDENTITY (QA)', async () => {
    await hub.ctx.sql.query(
      `INSERT INTO source_record (id, source_system, external_id, raw, full_name, birth_date_estimated, content_hash)
       VALUES ('src_01JNCN0000000000000000000', 'justice-register', 'NCN-872801405', '{}', 'Lê Văn Nuôi', true, 'h')`);
    const q = `{ sourceRecord(id: "src_01JNCN0000000000000000000") { sourceSystem externalId birthDateEstimated }
                 child(id: "${haId}") { birthDateEstimated identity { number masked } } }`;
    const nurse = await hub.gql<{ sourceRecord: Record<string, unknown> | null; child: Record<string, unknown> }>(q, {}, await hub.token({ sub: 'nurse-2', roles: ['health_officer'] }));
    // Source records are the evidence layer: refused without ADOPTION and PROTECTION_GROUP.
    expect(nurse.body.data?.sourceRecord).toBeNull();
    expect(nurse.body.data?.child).toMatchObject({ birthDateEstimated: null, identity: { number: '001315000123', masked: false } });
    expect((nurse.body.errors ?? []).map((e) => [e.path!.join('.'), e.extensions?.code]).sort()).toEqual([['child.birthDateEstimated', 'FORBIDDEN'], ['sourceRecord', 'FORBIDDEN']]);
    const [read] = await hub.ctx.sql.query<{ field_classes: string[] }>(`SELECT field_classes FROM audit_event WHERE action = 'READ' AND subject = 'nurse-2'`);
    expect(read!.field_classes).toContain('IDENTITY');
    const judge = await hub.gql<{ sourceRecord: Record<string, unknown> }>(q, {}, await hub.token({ roles: ['justice_officer'] }));
    expect(judge.body.errors).toBeUndefined();
    expect(judge.body.data?.sourceRecord).toEqual({ sourceSystem: 'JUSTICE_REGISTER', externalId: 'NCN-872801405', birthDateEstimated: true });
  });

  it('tells a number issued for a child found abandoned as ISSUED only with PROTECTION_GROUP, else as VERIFIED (QA: police listed the abandoned children by it)', async () => {
    await hub.ctx.sql.query(`INSERT INTO child (id, commune_code, full_name, identity_number, identity_status) VALUES ('chd_01JISSVED0000000000000000', '00004', 'Lê Văn Tìm', '001326000111', 'ISSUED')`);
    const q = '{ child(id: "chd_01JISSVED0000000000000000") { identityStatus identity { status } } }';
    const police = await hub.gql<{ child: unknown }>(q, {}, await hub.token({ roles: ['police_officer'] }));
    expect(police.body).toEqual({ data: { child: { identityStatus: 'VERIFIED', identity: { status: 'VERIFIED' } } } });
    const filtered = await hub.gql('{ children(filter: { identityStatus: ISSUED }) { totalCount } }', {}, await hub.token({ roles: ['police_officer'] }));
    expect(filtered.body.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    // VERIFIED finds it as what it is told as (QA: leaving it out named the children found abandoned).
    const verified = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>('{ children(first: 100, filter: { identityStatus: VERIFIED }) { nodes { id } } }', {}, await hub.token({ roles: ['police_officer'] }));
    expect(verified.body.data?.children.nodes.map((n) => n.id)).toContain('chd_01JISSVED0000000000000000');
    const verifiedSocial = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>('{ children(first: 100, filter: { identityStatus: VERIFIED }) { nodes { id } } }', {}, await hub.token({ roles: ['social_worker'] }));
    expect(verifiedSocial.body.data?.children.nodes.map((n) => n.id)).not.toContain('chd_01JISSVED0000000000000000');
    const social = await hub.gql<{ child: unknown }>(q, {}, await hub.token({ roles: ['social_worker'] }));
    expect(social.body).toEqual({ data: { child: { identityStatus: 'ISSUED', identity: { status: 'ISSUED' } } } });
    const listed = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>('{ children(filter: { identityStatus: ISSUED }) { nodes { id } } }', {}, await hub.token({ roles: ['social_worker'] }));
    expect(listed.body.data?.children.nodes).toEqual([{ id: 'chd_01JISSVED0000000000000000' }]);
  });

  it('lists ended group memberships and the evidence of any only with ADOPTION and the evidence layer\'s classes (QA: the ended ones were the adopted children, with their adoption dates)', async () => {
    await hub.ctx.sql.query(
      `INSERT INTO special_circumstance (id, child_id, clause, evidence, started_on, ended_on) VALUES ('grp_01JENDED00000000000000000', $1, 'a', '{"sourceSystem": "justice-register"}', '2020-01-01', '2024-08-14')`,
      [haId]);
    try {
      const q = `{ child(id: "${haId}") { specialCircumstances { clause endedOn evidenceSource } } }`;
      const officer = await hub.gql<{ child: { specialCircumstances: Array<Record<string, unknown>> } }>(q, {}, await hub.token({ roles: ['commune_officer'], communes: ['00004'] }));
      expect(officer.body.data?.child.specialCircumstances).toEqual([{ clause: 'd', endedOn: null, evidenceSource: null }]);
      expect((officer.body.errors ?? []).map((e) => [e.path!.join('.'), e.extensions?.code])).toEqual([['child.specialCircumstances.0.evidenceSource', 'FORBIDDEN']]);
      const steward3 = await hub.gql<{ child: { specialCircumstances: Array<Record<string, unknown>> } }>(q, {}, steward);
      expect(steward3.body.errors).toBeUndefined();
      expect(steward3.body.data?.child.specialCircumstances.map((m) => [m.clause, m.endedOn]).sort()).toEqual([['a', '2024-08-14'], ['d', null]]);
    } finally {
      await hub.ctx.sql.query(`DELETE FROM special_circumstance WHERE id = 'grp_01JENDED00000000000000000'`);
    }
  });

  it('releases the kind of a disability (a DISABILITY membership\'s subType) only with HEALTH too (QA: read without HEALTH)', async () => {
    const q = `{ child(id: "${haId}") { specialCircumstances { clause subType } } }`;
    const commune = await hub.gql<{ child: { specialCircumstances: Array<Record<string, unknown>> } }>(q, {}, await hub.token({ roles: ['commune_officer'], communes: ['00004'] }));
    expect(commune.body.data?.child.specialCircumstances).toEqual([{ clause: 'd', subType: null }]);
    expect(commune.body.errors?.[0]).toMatchObject({ path: ['child', 'specialCircumstances', 0, 'subType'], extensions: { code: 'FORBIDDEN' } });
    expect(commune.body.errors?.[0]?.message).toContain('PROTECTION_GROUP and HEALTH');
    const social = await hub.gql<{ child: { specialCircumstances: Array<Record<string, unknown>> } }>(q, {}, await hub.token({ roles: ['social_worker'] }));
    expect(social.body.errors).toBeUndefined();
    expect(social.body.data?.child.specialCircumstances).toEqual([{ clause: 'd', subType: 'VAN_DONG' }]);
  });

  it('audits reads of a source record not linked to any child yet, by record id', async () => {
    const [row] = await hub.ctx.sql.query<{ id: string }>(
      `INSERT INTO source_record (id, source_system, external_id, raw, full_name, content_hash)
       VALUES ('src_01JUNLINKED000000000000000', 'school', 'UNLINKED-1', '{}', 'Phạm Văn Lẻ', 'h') RETURNING id`);
    const reader = await hub.token({ sub: 'unlinked-reader' });
    const res = await hub.gql<{ sourceRecord: { fullName: string } }>(`{ sourceRecord(id: "${row!.id}") { fullName } }`, {}, reader);
    expect(res.body.data?.sourceRecord.fullName).toBe('Phạm Văn Lẻ');
    const audit = await hub.ctx.sql.query(`SELECT child_ids, field_classes, details FROM audit_event WHERE subject = 'unlinked-reader'`);
    // The name (BASIC), and the record read by its id: the evidence layer.
    expect(audit).toEqual([{ child_ids: [], field_classes: ['ADOPTION', 'BASIC', 'PROTECTION_GROUP', 'PROVENANCE'], details: { fields: ['Query.sourceRecord', 'SourceRecord.fullName'], sourceRecordIds: [row!.id] } }]);
    // Only city-wide roles see records without a jurisdiction.
    const local = await hub.token({ sub: 'local-steward', roles: ['data_steward'], communes: ['00004'] });
    expect((await hub.gql(`{ sourceRecord(id: "${row!.id}") { fullName } }`, {}, local)).body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // Refused as not found, audited naming the record asked for (it has no child to name).
    const [denied] = await hub.ctx.sql.query(`SELECT child_ids, details FROM audit_event WHERE subject = 'local-steward' AND action = 'DENIED'`);
    expect(denied).toEqual({ child_ids: [], details: { fields: ['Query.sourceRecord'], sourceRecordIds: [row!.id] } });
  });

  it('serves health, readiness and metrics', async () => {
    expect((await fetch(`${hub.api.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${hub.api.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    const metrics = await (await fetch(`${hub.api.url}/metrics`)).text();
    expect(metrics).toContain('childhub_http_request_duration_seconds');
    expect(metrics).toContain('childhub_graphql_operations_total');
    expect(metrics).toMatch(/childhub_queue_jobs\{queue="golden-record",state="waiting"\} \d+/);
  });

  it('answers a body over 1 MiB with 413 PAYLOAD_TOO_LARGE, not a reset connection (QA: a 3 MB body was ECONNRESET)', async () => {
    const res = await fetch(`${hub.api.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ __typename }`, pad: 'x'.repeat(3_000_000) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  // Last: it adds a child the tests above do not expect.
  it('tells the comparisons of a number\'s digits with the child\'s sex and birth year only with PROTECTION_GROUP too: they are not made for a child found abandoned (QA)', async () => {
    // Digit 4 (2) says male, the record says female; the checks of the number alone still go to IDENTITY.
    const res = await hub.ctx.ingest.ingest([aRecord({ externalId: 'H-MISMATCH', fullName: 'Lê Thị Mai', identityNumber: '001215000777', communeCode: '00008' })]);
    await hub.ctx.goldenRecords.recompute(res.childrenToRecompute);
    const [{ id }] = await hub.ctx.sql.query<{ id: string }>(`SELECT child_id AS id FROM source_record WHERE external_id = 'H-MISMATCH'`) as [{ id: string }];
    const read = async (token: string) => (await hub.gql<{ child: { identityNumbers: Array<{ structuralFindings: Array<{ code: string }> }>; identity: { structuralFindings: Array<{ code: string }> } } }>(
      `{ child(id: "${id}") { identityNumbers { structuralFindings { code } } identity { structuralFindings { code } } } }`, {}, token)).body.data!.child;
    expect(await read(steward)).toEqual({ identityNumbers: [{ structuralFindings: [{ code: 'SEX_DIGIT_MISMATCH' }] }], identity: { structuralFindings: [{ code: 'SEX_DIGIT_MISMATCH' }] } });
    const police = await hub.token({ sub: 'police-findings', roles: ['police_officer'] });
    expect(await read(police)).toEqual({ identityNumbers: [{ structuralFindings: [] }], identity: { structuralFindings: [] } });
  });
});
