import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/db/ids.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

interface PageInfo { hasNextPage: boolean; endCursor: string | null }
interface Conflicts { identityConflicts: { totalCount: number; pageInfo: PageInfo; nodes: Array<{ number: string; children: Array<{ id: string }> }> } }
interface Overdue { overdueIdentityIssuance: { totalCount: number; pageInfo: PageInfo; edges: Array<{ cursor: string; node: { child: { id: string }; polls: number } }> } }

/**
 * The steward's identity queues as pages (QA: 1,026 conflicting numbers, and `first` capped at 100 with no
 * `after`, so only the first 100 could ever be seen). Rows are written directly: what is paged is the queue,
 * not how the reconciler fills it (test/identity.int.test.ts).
 */
describe('identity queues, paged', () => {
  let hub: TestHub;
  let steward: string;
  /** Each conflicting number with its children's ids (smallest first), in the order the API pages them. */
  const conflicts: Array<{ number: string; childIds: string[] }> = [];
  /** Overdue requests' children, longest overdue first. */
  const overdue: string[] = [];
  let dormant = '';

  beforeAll(async () => {
    hub = await startTestHub();
    steward = await hub.token();
    // 105 numbers on two children each; the first three numbers' second child lives in commune 00008.
    const rows: Array<[string, string, string]> = [];
    for (let i = 0; i < 105; i++) {
      const number = `00131500${String(i).padStart(4, '0')}`;
      const ids = [newId('child'), newId('child')];
      rows.push([ids[0]!, '00004', number], [ids[1]!, i < 3 ? '00008' : '00004', number]);
      conflicts.push({ number, childIds: ids.sort() });
    }
    conflicts.sort((a, b) => (a.childIds[0]! < b.childIds[0]! ? -1 : 1));
    await hub.ctx.sql.query(
      `INSERT INTO child (id, commune_code, identity_number, identity_status, identity_verified_at)
       SELECT id, commune, number, 'CONFLICT', now() FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, commune, number)`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])]);

    // Five overdue requests (two due at the same moment: the child id breaks the tie), one issued, one not due yet.
    const waiting = Array.from({ length: 7 }, () => newId('child'));
    await hub.ctx.sql.query(
      `INSERT INTO child (id, commune_code, identity_status) SELECT id, '00004', 'PENDING_ISSUANCE' FROM unnest($1::text[]) AS id`, [waiting]);
    const daysOverdue = [3, 9, 5, 5, 1];
    await hub.ctx.sql.query(
      `INSERT INTO identity_issuance (child_id, requested_at, due_at, polls)
       SELECT id, timestamptz '2026-12-01 08:00:00+07' - make_interval(days => d + 7), timestamptz '2026-12-01 08:00:00+07' - make_interval(days => d), 2
         FROM unnest($1::text[], $2::int[]) AS t(id, d)`,
      [waiting.slice(0, 5), daysOverdue]);
    await hub.ctx.sql.query(
      `INSERT INTO identity_issuance (child_id, due_at, issued_at, issued_number) VALUES ($1, now() - interval '20 days', now(), '001315009999')`, [waiting[5]]);
    await hub.ctx.sql.query(`INSERT INTO identity_issuance (child_id, due_at) VALUES ($1, now() + interval '3 days')`, [waiting[6]]);
    // Overdue, but its child has a number a source gave since, which the registry knows (the request's polls stopped):
    // it waits no more (QA).
    dormant = newId('child');
    await hub.ctx.sql.query(`INSERT INTO child (id, commune_code, identity_number, identity_status) VALUES ($1, '00004', '001226000404', 'MISMATCH')`, [dormant]);
    await hub.ctx.sql.query(`INSERT INTO identity_issuance (child_id, requested_at, due_at) VALUES ($1, now() - interval '20 days', now() - interval '13 days')`, [dormant]);
    overdue.push(...waiting.slice(0, 5).map((id, i) => ({ id, d: daysOverdue[i]! }))
      .sort((a, b) => b.d - a.d || (a.id < b.id ? -1 : 1)).map((r) => r.id));
  });
  afterAll(async () => hub?.close());

  const conflictsPage = (first: number, after: string | null, token = steward) => hub.gql<Conflicts>(
    `query($first: Int!, $after: String) { identityConflicts(first: $first, after: $after) {
       totalCount pageInfo { hasNextPage endCursor } nodes { number children { id } } } }`, { first, after }, token);

  it('pages through every conflicting number, with the count on every page', async () => {
    const one = await conflictsPage(100, null);
    expect(one.body.errors).toBeUndefined();
    const p1 = one.body.data!.identityConflicts;
    expect(p1).toMatchObject({ totalCount: 105, pageInfo: { hasNextPage: true } });
    expect(p1.nodes).toHaveLength(100);
    const two = await conflictsPage(100, p1.pageInfo.endCursor);
    const p2 = two.body.data!.identityConflicts;
    expect(p2).toMatchObject({ totalCount: 105, pageInfo: { hasNextPage: false } });
    expect([...p1.nodes, ...p2.nodes]).toEqual(conflicts.map((c) => ({ number: c.number, children: c.childIds.map((id) => ({ id })) })));
    // A page of one, from any edge's cursor.
    const edges = await hub.gql<{ identityConflicts: { edges: Array<{ cursor: string; node: { number: string } }> } }>(
      `{ identityConflicts(first: 3) { edges { cursor node { number } } } }`, {}, steward);
    const after = await conflictsPage(1, edges.body.data!.identityConflicts.edges[1]!.cursor);
    expect(after.body.data!.identityConflicts.nodes.map((n) => n.number)).toEqual([conflicts[2]!.number]);
    // The page size stays bounded (QA asked for 1000): paging, not a bigger page, is the way through.
    expect((await conflictsPage(1000, null)).body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
    expect((await conflictsPage(5, 'bm90LWEtY3Vyc29y')).body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'after' } });
  });

  it('audits the numbers and issuance requests it releases as IDENTITY data of their children (QA-adjacent: numbers read with no audit row)', async () => {
    const audited = async (sub: string) => hub.ctx.sql.query<{ child_ids: string[]; field_classes: string[] }>(
      `SELECT child_ids, field_classes FROM audit_event WHERE action = 'READ' AND subject = $1 ORDER BY id`, [sub]);
    const numbers = await hub.gql(`{ identityConflicts(first: 2) { nodes { number } } }`, {}, await hub.token({ sub: 'numbers-only' }));
    expect(numbers.body.errors).toBeUndefined();
    expect(await audited('numbers-only')).toEqual([{ child_ids: [...conflicts[0]!.childIds, ...conflicts[1]!.childIds].sort(), field_classes: ['IDENTITY'] }]);
    const withChildren = await hub.gql(`{ identityConflicts(first: 1) { nodes { children { id } } } }`, {}, await hub.token({ sub: 'conflict-children' }));
    expect(withChildren.body.errors).toBeUndefined();
    expect(await audited('conflict-children')).toEqual([{ child_ids: conflicts[0]!.childIds, field_classes: ['BASIC', 'IDENTITY'] }]);
    const requests = await hub.gql(`{ overdueIdentityIssuance(first: 2) { nodes { child { id } dueAt } } }`, {}, await hub.token({ sub: 'overdue-reader' }));
    expect(requests.body.errors).toBeUndefined();
    expect(await audited('overdue-reader')).toEqual([{ child_ids: overdue.slice(0, 2).sort(), field_classes: ['BASIC', 'IDENTITY'] }]);
    // Counts name no child.
    await hub.gql(`{ identityConflicts { totalCount } overdueIdentityIssuance { totalCount } }`, {}, await hub.token({ sub: 'counter' }));
    expect(await audited('counter')).toEqual([]);
  });

  it('shows the issuance request a child waits on, with its polls, to IDENTITY roles only, audited (QA: no sign of the wait before it was overdue)', async () => {
    const [waitingChild] = overdue;
    const notDue = (await hub.ctx.sql.one<{ child_id: string }>(`SELECT child_id FROM identity_issuance WHERE due_at > now()`))!.child_id;
    const issuedChild = (await hub.ctx.sql.one<{ child_id: string }>(`SELECT child_id FROM identity_issuance WHERE issued_at IS NOT NULL`))!.child_id;
    const issuanceOf = async (id: string, token: string) => hub.gql<{ child: { identity: { status: string | null; issuance: Record<string, unknown> | null } } }>(
      `query($id: ID!) { child(id: $id) { identity { status issuance { requestedAt dueAt overdueAt polls lastPolledAt nextPollAt child { id } } } } }`, { id }, token);
    const reader = await hub.token({ sub: 'issuance-reader' });
    const res = await issuanceOf(waitingChild!, reader);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.child.identity).toMatchObject({ status: 'PENDING_ISSUANCE', issuance: { polls: 2, overdueAt: null, child: { id: waitingChild } } });
    expect(new Date(res.body.data!.child.identity.issuance!['dueAt'] as string).getTime()).toBeLessThan(Date.now());
    expect((await issuanceOf(notDue, reader)).body.data!.child.identity.issuance).toMatchObject({ polls: 0 });
    // Issued: no request waits; nor does one whose child a source has given a number since.
    expect((await issuanceOf(issuedChild, reader)).body.data!.child.identity.issuance).toBeNull();
    expect((await issuanceOf(dormant, reader)).body.data!.child.identity.issuance).toBeNull();
    expect(await hub.ctx.sql.query(`SELECT field_classes FROM audit_event WHERE subject = 'issuance-reader' AND $1 = ANY(child_ids) AND action = 'READ'`, [waitingChild]))
      .toEqual([{ field_classes: ['BASIC', 'IDENTITY'] }]);
    // A role without IDENTITY: refused, as the status is.
    const health = await issuanceOf(waitingChild!, await hub.token({ sub: 'health-issuance', roles: ['ethnic_religious_officer'] }));
    expect(health.body.data!.child.identity).toMatchObject({ status: null, issuance: null });
    expect((health.body.errors ?? []).map((e) => [e.path!.join('.'), e.extensions?.code]).sort())
      .toEqual([['child.identity.issuance', 'FORBIDDEN'], ['child.identity.status', 'FORBIDDEN']]);
  });

  it('counts and lists only the children in the caller\'s communes', async () => {
    const officer = await hub.token({ roles: ['commune_officer'], communes: ['00008'] });
    const res = await conflictsPage(2, null, officer);
    const page = res.body.data!.identityConflicts;
    expect(page.totalCount).toBe(3);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const rest = (await conflictsPage(2, page.pageInfo.endCursor, officer)).body.data!.identityConflicts;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const seen = [...page.nodes, ...rest.nodes];
    expect(seen.map((n) => n.number).sort()).toEqual(['001315000000', '001315000001', '001315000002']);
    expect(seen.every((n) => n.children.length === 1)).toBe(true);
    const teacher = await hub.token({ roles: ['education_officer'], communes: ['00004'] });
    const local = (await conflictsPage(100, null, teacher)).body.data!.identityConflicts;
    expect(local.totalCount).toBe(105);
    // Both pages: numbers come in the order of their children's ids, which are random.
    const localRest = (await conflictsPage(100, local.pageInfo.endCursor, teacher)).body.data!.identityConflicts;
    expect([...local.nodes, ...localRest.nodes].filter((n) => n.children.length === 1).map((n) => n.number).sort()).toEqual(['001315000000', '001315000001', '001315000002']);
  });

  it('lists every active child carrying a number in conflict, whatever its own status, and no number no other child carries now (QA)', async () => {
    const [inConflict, mismatch, alone] = [newId('child'), newId('child'), newId('child')].sort();
    // A child still CONFLICT over a number whose other holder was re-checked since (MISMATCH), and one whose peer no longer carries it.
    await hub.ctx.sql.query(
      `INSERT INTO child (id, commune_code, identity_number, identity_status, identity_verified_at)
       VALUES ($1, '00025', '001315777777', 'CONFLICT', now()), ($2, '00025', '001315777777', 'MISMATCH', now()), ($3, '00025', '001315888888', 'CONFLICT', now())`,
      [inConflict, mismatch, alone]);
    try {
      const officer = await hub.token({ roles: ['commune_officer'], communes: ['00025'] });
      const res = await conflictsPage(100, null, officer);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.identityConflicts).toMatchObject({
        totalCount: 1,
        nodes: [{ number: '001315777777', children: [{ id: inConflict }, { id: mismatch }] }],
      });
      const all = (await conflictsPage(100, null)).body.data!.identityConflicts;
      expect(all.totalCount).toBe(106);
    } finally {
      await hub.ctx.sql.query('DELETE FROM child WHERE id = ANY($1::text[])', [[inConflict, mismatch, alone]]);
    }
  });

  it('pages overdue issuance requests, longest overdue first, with the count on every page', async () => {
    const q = (after: string | null, token = steward) => hub.gql<Overdue>(
      `query($after: String) { overdueIdentityIssuance(first: 2, after: $after) {
         totalCount pageInfo { hasNextPage endCursor } edges { cursor node { child { id } polls } } } }`, { after }, token);
    const ids: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 3; pages++) {
      const res = await q(after);
      expect(res.body.errors).toBeUndefined();
      const page = res.body.data!.overdueIdentityIssuance;
      expect(page.totalCount).toBe(5);
      expect(page.pageInfo.hasNextPage).toBe(pages < 2);
      ids.push(...page.edges.map((e) => e.node.child.id));
      after = page.pageInfo.endCursor;
    }
    expect(ids).toEqual(overdue);
    const elsewhere = await hub.token({ roles: ['commune_officer'], communes: ['00008'] });
    expect((await q(null, elsewhere)).body.data?.overdueIdentityIssuance).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  it('continues after the last page\'s request when that request has since been closed or reopened', async () => {
    // Four overdue requests of their own commune; the first three due within one millisecond (the cursor keeps
    // the stored microseconds).
    const ids = Array.from({ length: 4 }, () => newId('child')).sort();
    await hub.ctx.sql.query(
      `INSERT INTO child (id, commune_code, identity_status) SELECT id, '00025', 'PENDING_ISSUANCE' FROM unnest($1::text[]) AS id`, [ids]);
    await hub.ctx.sql.query(
      `INSERT INTO identity_issuance (child_id, due_at) SELECT id, d FROM unnest($1::text[], $2::timestamptz[]) AS t(id, d)`,
      [ids, ['2026-11-01 08:00:00.000100+07', '2026-11-01 08:00:00.000200+07', '2026-11-01 08:00:00.000300+07', '2026-11-02 08:00:00+07']]);
    const officer = await hub.token({ roles: ['commune_officer'], communes: ['00025'] });
    const q = async (first: number, after: string | null) => {
      const res = await hub.gql<Overdue>(
        `query($first: Int!, $after: String) { overdueIdentityIssuance(first: $first, after: $after) {
           totalCount pageInfo { hasNextPage endCursor } edges { cursor node { child { id } polls } } } }`, { first, after }, officer);
      expect(res.body.errors).toBeUndefined();
      const page = res.body.data!.overdueIdentityIssuance;
      return { ids: page.edges.map((e) => e.node.child.id), endCursor: page.pageInfo.endCursor };
    };

    const one = await q(2, null);
    expect(one.ids).toEqual([ids[0], ids[1]]);
    const single = await q(1, null);
    // The second request is closed (a number found deletes it): the next page still starts after it.
    await hub.ctx.sql.query('DELETE FROM identity_issuance WHERE child_id = $1', [ids[1]]);
    expect((await q(2, one.endCursor)).ids).toEqual([ids[2], ids[3]]);
    // The first is reopened (a new request, due later): the page after it starts where it was.
    await hub.ctx.sql.query(`UPDATE identity_issuance SET due_at = now() + interval '7 days' WHERE child_id = $1`, [ids[0]]);
    expect((await q(2, single.endCursor)).ids).toEqual([ids[2], ids[3]]);
    // The cursor holds the sort key, no personal data.
    expect(Buffer.from(single.endCursor!, 'base64url').toString()).toBe(`2026-11-01T01:00:00.000100Z ${ids[0]}`);

    // A cursor of the earlier form (a child id alone), or a key that is no instant (year 0 too: QA, an internal error), is refused.
    for (const after of [Buffer.from(ids[2]!).toString('base64url'), Buffer.from(`2026-02-30T01:00:00.000000Z ${ids[2]}`).toString('base64url'),
      Buffer.from(`0000-01-01T00:00:00.000000Z ${ids[2]}`).toString('base64url')]) {
      const res = await hub.gql(`query($after: String) { overdueIdentityIssuance(after: $after) { totalCount } }`, { after }, officer);
      expect(res.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'after' } });
    }
  });
});
