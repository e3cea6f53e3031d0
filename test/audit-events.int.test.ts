import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/db/ids.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

interface Event {
  id: string; occurredAt: string; action: string; operation: string; requestId: string | null; subject: string; officerId: string | null;
  agency: string | null; roles: string[]; purpose: string | null; childIds: string[]; fieldClasses: string[]; fields: string[]; details: string;
}
interface Page { auditEvents: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ cursor: string; node: Event }>; nodes: Event[] } }

const PAGE = `query Audit($filter: AuditEventFilter, $first: Int! = 50, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { cursor node { id } }
    nodes { id occurredAt action operation requestId subject officerId agency roles purpose childIds fieldClasses fields details } } }`;

/**
 * The audit read back by an auditor (it was readable only with database access): who read, changed or was refused
 * which child's data, filtered and paged, and each read of the audit audited in turn.
 */
describe('auditEvents: the audit, for auditors', () => {
  let hub: TestHub;
  let steward: string;
  let officer: string;
  let auditor: string;
  const child = newId('child');
  const other = newId('child');

  beforeAll(async () => {
    hub = await startTestHub();
    steward = await hub.token({ sub: 'steward-1', officer_id: 'CB-STEWARD' });
    officer = await hub.token({ sub: 'officer-8', officer_id: 'CB-OFFICER', roles: ['commune_officer'], communes: ['00008'], agency: 'ubnd-00008' });
    auditor = await hub.token({ sub: 'dpo-1', officer_id: 'CB-DPO', roles: ['auditor'], agency: 'so-tu-phap', purpose: 'kiem-tra-bao-ve-du-lieu' });
    await hub.ctx.sql.query(
      `INSERT INTO child (id, commune_code, full_name, birth_date, identity_number) VALUES ($1, '00004', 'NGUYỄN VĂN AN', '2019-05-01', '001219012345'),
              ($2, '00004', 'TRẦN THỊ BÌNH', '2018-02-03', NULL)`,
      [child, other]);
    // What the audit then holds: a steward's read of each child, an out-of-scope officer refused one of them.
    for (const id of [child, other]) {
      const r = await hub.gql(`query StewardLooks($id: ID!) { child(id: $id) { id fullName identityNumber } }`, { id }, steward);
      expect(r.body.errors).toBeUndefined();
    }
    const refused = await hub.gql(`query OfficerLooks($id: ID!) { child(id: $id) { id fullName } }`, { id: child }, officer);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
  afterAll(async () => hub?.close());

  const page = (variables: Record<string, unknown>, token: string | null = auditor) => hub.gql<Page>(PAGE, variables, token);

  it("tells who looked into a child, newest first, with the classes and fields read and the refusals", async () => {
    const res = await page({ filter: { childId: child } });
    expect(res.body.errors).toBeUndefined();
    const events = res.body.data!.auditEvents.nodes;
    expect(events.map((e) => [e.action, e.operation, e.subject])).toEqual([
      ['DENIED', 'OfficerLooks', 'officer-8'],
      ['READ', 'StewardLooks', 'steward-1'],
    ]);
    const [denied, read] = events as [Event, Event];
    expect(read).toMatchObject({
      officerId: 'CB-STEWARD', roles: ['data_steward'], purpose: 'test', childIds: [child], fieldClasses: ['BASIC', 'IDENTITY'],
      fields: expect.arrayContaining(['Child.fullName', 'Child.identityNumber']),
    });
    expect(read.requestId).toEqual(expect.any(String));
    expect(Number(denied.id)).toBeGreaterThan(Number(read.id));
    expect(denied).toMatchObject({ officerId: 'CB-OFFICER', agency: 'ubnd-00008', childIds: [child], fieldClasses: [] });
    // Ids and classes only: no name, birth date or number of the child is in what the auditor reads.
    const text = JSON.stringify(res.body);
    for (const value of ['NGUYỄN', '2019-05-01', '001219012345']) expect(text).not.toContain(value);
  });

  it('filters by subject, officer number, action, operation and time, all together', async () => {
    const bySubject = await page({ filter: { subject: 'steward-1' } });
    expect(bySubject.body.data!.auditEvents.nodes.map((e) => e.childIds)).toEqual([[other], [child]]);
    const byOfficer = await page({ filter: { officerId: 'CB-OFFICER' } });
    expect(byOfficer.body.data!.auditEvents.nodes.map((e) => e.action)).toEqual(['DENIED']);
    const denials = await page({ filter: { actions: ['DENIED'], operation: 'OfficerLooks' } });
    expect(denials.body.data!.auditEvents.nodes).toHaveLength(1);
    const none = await page({ filter: { actions: ['WRITE'] } });
    expect(none.body.data!.auditEvents.nodes).toEqual([]);
    const all = (await page({ filter: { subject: 'steward-1' } })).body.data!.auditEvents.nodes;
    const at = all.at(-1)!.occurredAt;
    const window = await page({ filter: { subject: 'steward-1', since: at, until: new Date(Date.parse(at) + 1).toISOString() } });
    expect(window.body.data!.auditEvents.nodes.map((e) => e.id)).toContain(all.at(-1)!.id);
    const future = await page({ filter: { since: new Date(Date.now() + 3_600_000).toISOString() } });
    expect(future.body.data!.auditEvents.nodes).toEqual([]);
  });

  it('pages with after, each page starting after the last event of the one before', async () => {
    const first = await page({ filter: { subject: 'steward-1' }, first: 1 });
    const p1 = first.body.data!.auditEvents;
    expect(p1.pageInfo.hasNextPage).toBe(true);
    expect(p1.edges[0]!.cursor).toBe(p1.pageInfo.endCursor);
    const second = await page({ filter: { subject: 'steward-1' }, first: 1, after: p1.pageInfo.endCursor });
    const p2 = second.body.data!.auditEvents;
    expect(p2.pageInfo.hasNextPage).toBe(false);
    expect([...p1.nodes, ...p2.nodes].map((e) => e.childIds[0])).toEqual([other, child]);
  });

  it('audits each read of the audit, naming the child asked about and the filter', async () => {
    await page({ filter: { childId: other, actions: ['READ', 'DENIED'] }, first: 7 });
    const res = await page({ filter: { subject: 'dpo-1', childId: other } });
    const own = res.body.data!.auditEvents.nodes;
    expect(own.length).toBeGreaterThanOrEqual(1);
    expect(own[0]).toMatchObject({ action: 'READ', operation: 'Audit', officerId: 'CB-DPO', childIds: [other], fieldClasses: [], fields: ['Query.auditEvents'] });
    expect(JSON.parse(own[0]!.details)).toEqual({
      fields: ['Query.auditEvents'], auditFilter: { childId: other, actions: ['READ', 'DENIED'], first: 7 }, auditEvents: 1,
    });
  });

  it('is for auditors of the whole city only; a refusal is audited', async () => {
    const asSteward = await page({}, steward);
    expect(asSteward.body.errors?.[0]).toMatchObject({ message: 'Reading the audit is for auditor only', extensions: { code: 'FORBIDDEN' } });
    const communeAuditor = await hub.token({ sub: 'dpo-2', roles: ['auditor'], communes: ['00004'] });
    const narrow = await page({}, communeAuditor);
    expect(narrow.body.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(narrow.body.errors?.[0]?.message).toContain('whole city');
    expect((await page({})).status).toBe(200);
    const refusals = await page({ filter: { actions: ['DENIED'], operation: 'Audit' } });
    expect(refusals.body.data!.auditEvents.nodes.map((e) => [e.subject, e.fields])).toEqual([
      ['dpo-2', ['Query.auditEvents']],
      ['steward-1', ['Query.auditEvents']],
    ]);
    expect((await page({}, null)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a filter or cursor that could only match nothing, naming the argument', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ filter: { childId: 'src_01JXXXXXXXXXXXXXXXXXXXXXXX' } }, 'filter.childId'],
      [{ filter: { subject: '' } }, 'filter.subject'],
      [{ filter: { officerId: 'x'.repeat(201) } }, 'filter.officerId'],
      [{ filter: { operation: 'a\u0000b' } }, 'filter.operation'],
      [{ filter: { actions: [] } }, 'filter.actions'],
      [{ filter: { since: '2026-12-02T00:00:00Z', until: '2026-12-01T00:00:00Z' } }, 'filter.since'],
      [{ first: 0 }, 'first'],
      [{ first: 1000 }, 'first'],
      [{ after: Buffer.from('aud 99999999999999999999').toString('base64url') }, 'after'],
      [{ after: Buffer.from(`chd ${child}`).toString('base64url') }, 'after'],
    ];
    for (const [variables, argument] of cases) {
      const res = await page(variables);
      expect(res.body.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
  });
});
