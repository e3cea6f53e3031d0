import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Projections } from '../src/connectors/types.js';
import type { SourceRecordInput } from '../src/domain/source-record-input.js';
import { markChildrenChanged } from '../src/services/changes/child-changes.js';
import { ProjectionWriter } from '../src/services/projections/projection.writer.js';
import { aRecord } from './support/records.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

const screening = { screenedOn: '2026-03-02', kind: 'GENERAL', code: null, result: 'Bình thường', interpretation: 'NORMAL', performer: null };
const vaccination = { vaccineCode: 'BCG', vaccineName: 'Lao', occurredOn: '2015-03-03', doseNumber: 1, status: 'COMPLETED', performer: null };

type Page = { children: { changeToken: string | null; nodes: Array<{ id: string; status: string; mergedIntoId: string | null }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

/**
 * Partner apps pull what changed since their last pull (`filter.changedSince` with the token of the pull before),
 * instead of reading every child again: every kind of change lists the child, nothing else does, and a change
 * committed while a pull ran is found by the next one.
 */
describe('children(filter: { changedSince }): the change feed', () => {
  let hub: TestHub;
  let steward: string;
  const writer = new ProjectionWriter();
  /** The record each test child came from, by a short name. */
  const records = new Map<string, SourceRecordInput>();
  const childOf = new Map<string, string>();

  /** Stores records (new or changed) with their facts, and builds their children, as a sync and the golden stage do. */
  const store = async (items: Array<{ name: string; record: SourceRecordInput; projections?: Projections }>) => {
    const res = await hub.ctx.sql.tx(async (client) => {
      const stored = await hub.ctx.ingest.ingestItems(client, items.map((i) => ({ input: i.record })));
      await writer.replaceForSourceRecords(client, stored.stored.map((s) => ({ sourceRecordId: s.sourceRecordId, projections: items[s.index]!.projections ?? {} })));
      return stored;
    });
    expect(res.rejected).toBe(0);
    await hub.ctx.goldenRecords.recompute(res.childrenToRecompute);
    for (const i of items) {
      records.set(i.name, i.record);
      const row = await hub.ctx.sql.one<{ child_id: string }>('SELECT child_id FROM source_record WHERE external_id = $1', [i.record.externalId]);
      childOf.set(i.name, row!.child_id);
    }
  };
  const pull = async (changedSince: string | null, extra = '', token = steward, first = 100) =>
    hub.gql<Page>(`query($since: String) { children(first: ${first}, filter: { changedSince: $since${extra} }) {
      changeToken nodes { id status mergedIntoId } pageInfo { hasNextPage endCursor } } }`, { since: changedSince }, token);
  const tokenNow = async () => (await hub.gql<Page>('{ children(first: 1) { changeToken } }', {}, steward)).body.data!.children.changeToken!;
  const changedIds = async (since: string) => {
    const res = await pull(since);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.children.nodes.map((n) => n.id).sort();
  };
  const ids = (...names: string[]) => names.map((n) => childOf.get(n)!).sort();

  beforeAll(async () => {
    hub = await startTestHub();
    steward = await hub.token();
    await store([
      { name: 'A', record: aRecord({ externalId: 'CHG-A', identityNumber: '001315000201', communeCode: '00004' }), projections: { healthScreening: [screening] } },
      { name: 'B', record: aRecord({ externalId: 'CHG-B', identityNumber: '001315000202', communeCode: '00004', fullName: 'Trần Văn Bình' }) },
      { name: 'C', record: aRecord({ externalId: 'CHG-C', identityNumber: '001315000203', communeCode: '00008', fullName: 'Lê Thị Cúc' }) },
      { name: 'D', record: aRecord({ externalId: 'CHG-D', identityNumber: '001315000204', communeCode: '00004', fullName: 'Phạm Văn Dũng' }) },
    ]);
  });
  afterAll(async () => hub?.close());

  it('lists nothing when nothing changed since the token, and a token is taken only when asked for', async () => {
    const token = await tokenNow();
    expect(token).toMatch(/^chg1-\d+$/);
    expect(await changedIds(token)).toEqual([]);
    const plain = await hub.gql<Page>('{ children(first: 100) { nodes { id } } }', {}, steward);
    expect(plain.body.data!.children.nodes.map((n) => n.id).sort()).toEqual(ids('A', 'B', 'C', 'D'));
    const queries = await hub.gql<Page>('{ children(first: 1) { changeToken } }', {}, steward);
    expect(queries.body.data!.children.changeToken).toMatch(/^chg1-\d+$/);
  });

  it('lists a child whose fact changed (golden fields the same), and one whose golden field changed; not the others', async () => {
    const token = await tokenNow();
    // A vaccination added to A's record: A's golden record is the same, its facts are not.
    await store([{ name: 'A', record: { ...records.get('A')!, raw: { v: 2 } }, projections: { healthScreening: [screening], vaccination: [vaccination] } }]);
    await store([{ name: 'B', record: { ...records.get('B')!, fullName: 'Trần Văn Bính', raw: { v: 2 } } }]);
    expect(await changedIds(token)).toEqual(ids('A', 'B'));
    // The next pull, with this pull's token: nothing.
    const next = (await pull(token)).body.data!.children.changeToken!;
    expect(await changedIds(next)).toEqual([]);
    // A record stored again unchanged is no change.
    const before = await tokenNow();
    const unchanged = await hub.ctx.sql.tx((client) => hub.ctx.ingest.ingestItems(client, [{ input: records.get('C')! }]));
    expect(unchanged.unchanged).toBe(1);
    expect(await changedIds(before)).toEqual([]);
  });

  it('finds a change committed after the pull began by a transaction that started before it (a time would miss it)', async () => {
    const client = await hub.ctx.sql.pool.connect();
    try {
      await client.query('BEGIN');
      await markChildrenChanged(client, [childOf.get('C')!]);
      // A pull runs while that transaction is open: it does not see C changed, and hands out its token.
      const during = await pull(await tokenNow());
      expect(during.body.data!.children.nodes).toEqual([]);
      const token = during.body.data!.children.changeToken!;
      await client.query('COMMIT');
      expect(await changedIds(token)).toEqual(ids('C'));
    } finally {
      client.release();
    }
    expect(await changedIds(await tokenNow())).toEqual([]);
  });

  it('lists a child merged at ingest (MERGED, with mergedIntoId) and the child it was merged into', async () => {
    const token = await tokenNow();
    const d = childOf.get('D')!;
    // D's only record now carries A's number: D is A (the ingest merges D into A).
    await store([{ name: 'D', record: { ...records.get('D')!, identityNumber: records.get('A')!.identityNumber, raw: { v: 3 } } }]);
    expect(childOf.get('D')).toBe(childOf.get('A'));
    const res = await pull(token);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.children.nodes.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: childOf.get('A'), status: 'ACTIVE', mergedIntoId: null },
      { id: d, status: 'MERGED', mergedIntoId: childOf.get('A') },
    ].sort((x, y) => x.id!.localeCompare(y.id!)));
    // Without changedSince, a merged child is not listed.
    const plain = await hub.gql<Page>('{ children(first: 100) { nodes { id } } }', {}, steward);
    expect(plain.body.data!.children.nodes.map((n) => n.id)).not.toContain(d);
  });

  it('keeps to the caller\'s scope and other filters, pages, counts, and audits the filter', async () => {
    const token = await tokenNow();
    await store([
      { name: 'B', record: { ...records.get('B')!, raw: { v: 4 } }, projections: { vaccination: [vaccination] } },
      { name: 'C', record: { ...records.get('C')!, raw: { v: 4 } }, projections: { vaccination: [vaccination] } },
    ]);
    const officer = await hub.token({ sub: 'ubnd-changes', roles: ['commune_officer'], communes: ['00004'] });
    // Which children changed together tells which source holds them: the evidence layer, as `updatedAt`. A commune
    // officer (no ADOPTION) is refused, and the refusal audited.
    const refused = await pull(token, '', officer);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.errors?.[0]?.message).toBe('Query.children(filter.changedSince) needs ADOPTION data, which your roles (commune_officer) do not grant');
    const nurse = await hub.token({ sub: 'nurse-changes', roles: ['health_officer'] });
    // Every class missing is named, not the first (QA: a role granted it would then be refused for the next).
    expect((await pull(token, '', nurse)).body.errors?.[0]?.message)
      .toBe('Query.children(filter.changedSince) needs PROTECTION_GROUP and ADOPTION data, which your roles (health_officer) do not grant');
    expect(await hub.ctx.sql.query(`SELECT action, details FROM audit_event WHERE subject = 'ubnd-changes'`))
      .toEqual([{ action: 'DENIED', details: expect.objectContaining({ fields: ['Query.children(filter.changedSince)'] }) }]);
    const justice = await hub.token({ sub: 'tp-changes', roles: ['justice_officer'], communes: ['00004'] });
    const scoped = await pull(token, '', justice);
    expect(scoped.body.errors).toBeUndefined();
    expect(scoped.body.data!.children.nodes.map((n) => n.id)).toEqual(ids('B'));
    const [read] = await hub.ctx.sql.query<{ child_ids: string[]; field_classes: string[]; details: { fields: string[] } }>(
      `SELECT child_ids, field_classes, details FROM audit_event WHERE action = 'READ' AND subject = 'tp-changes' AND 'ADOPTION' = ANY(field_classes)`);
    expect(read!.child_ids).toEqual(ids('B'));
    expect(read!.details.fields).toContain('Query.children(filter.changedSince)');
    expect((await pull(token, ', communeCodes: ["00008"]')).body.data!.children.nodes.map((n) => n.id)).toEqual(ids('C'));
    // Paging through the changes, one a page, with the token of the first page kept.
    const first = await pull(token, '', steward, 1);
    expect(first.body.data!.children.pageInfo.hasNextPage).toBe(true);
    const second = await hub.gql<Page>(`query($since: String, $after: String) { children(first: 1, after: $after, filter: { changedSince: $since }) { nodes { id } pageInfo { hasNextPage } } }`,
      { since: token, after: first.body.data!.children.pageInfo.endCursor }, steward);
    expect([...first.body.data!.children.nodes, ...second.body.data!.children.nodes].map((n) => n.id).sort()).toEqual(ids('B', 'C'));
    expect(second.body.data!.children.pageInfo.hasNextPage).toBe(false);
    const count = await hub.gql<{ children: { totalCount: number } }>('query($since: String) { children(filter: { changedSince: $since }) { totalCount } }', { since: token }, steward);
    expect(count.body.data!.children.totalCount).toBe(2);
  });

  it('refuses a token it did not make, naming the argument, and one past every transaction the database has run', async () => {
    for (const bad of ['', '1234', 'chg1-', 'chg1-01', 'chg1-x1', 'chg1-99999999999999999999', 'chg2-5']) {
      const res = await pull(bad);
      expect(res.body.errors?.[0]?.extensions?.code, bad).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.message).toContain('`filter.changedSince` must be a change token');
    }
    // Another hub's token, or one from before a restore (QA: it listed nothing, and the client took that pull's token).
    const now = BigInt((await tokenNow()).slice('chg1-'.length));
    for (const ahead of [`chg1-${now + 1_000_000n}`, 'chg1-18446744073709551615']) {
      const res = await pull(ahead);
      expect(res.body.errors?.[0]?.extensions, ahead).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.changedSince' });
      expect(res.body.errors?.[0]?.message).toContain('a token this database has not given');
      expect(res.body.data ?? null).toBeNull();
    }
    // The oldest token lists every child, the merged one too.
    const all = (await hub.ctx.sql.query<{ id: string }>(`SELECT id FROM child`)).map((r) => r.id).sort();
    expect(await hub.ctx.sql.query(`SELECT status, count(*)::int AS n FROM child GROUP BY 1 ORDER BY 1`)).toEqual([{ status: 'ACTIVE', n: 3 }, { status: 'MERGED', n: 1 }]);
    expect(await changedIds('chg1-0')).toEqual(all);
  });
});
