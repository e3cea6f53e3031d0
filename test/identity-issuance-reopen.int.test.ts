import type { Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../src/app/app-context.js';
import { newId } from '../src/db/ids.js';
import type { Citizen } from '../src/population-db/population-db.client.js';
import { identityIssuanceProcessor, issuanceJobId } from '../jobs/processors/identity-issuance.processor.js';
import { QUEUE_NAMES } from '../jobs/queues.js';
import { startWorker, type RunningWorker } from '../jobs/worker.js';
import { waitFor } from './support/identity-hub.js';
import { aRecord } from './support/records.js';
import { citizenNamed, contextWithStandInRegistry } from './support/stand-in-registry.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * A child's second issuance request, after the first was closed (number found), answered (number issued) or
 * stopped (a number a source gave meanwhile, then dropped): through the outbox, BullMQ (real Redis) and the
 * worker, with a stand-in registry whose answers the test sets. Each request is polled under its own id, so
 * the kept jobs and recorded polls of the earlier one neither swallow nor answer the new one.
 */
describe('identity issuance: a child needing a number again gets a request that is polled', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let worker: RunningWorker | undefined;
  /** What the stand-in registry's look-up by name answers, per full name: nobody until a citizen is set. */
  const registered = new Map<string, Citizen>();
  /** Names looked up, in order. */
  const lookups: string[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    ctx = await contextWithStandInRegistry(env, (q) => {
      lookups.push(q.fullName);
      const citizen = registered.get(q.fullName);
      return citizen ? { kind: 'FOUND', citizens: [citizen] } : { kind: 'NOT_FOUND' };
    });
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });
  afterAll(async () => {
    for (const name of QUEUE_NAMES) await ctx?.identity?.queue.queue(name).obliterate({ force: true });
    await ctx?.close();
    await env?.cleanup();
  });

  const citizen = citizenNamed;
  const identity = (childId: string) => ctx.sql.one<{ identity_number: string | null; identity_status: string }>(
    'SELECT identity_number, identity_status FROM child WHERE id = $1', [childId]);
  const request = (childId: string) => ctx.sql.one<{ issuance_id: string | null; issued_number: string | null; polls: number }>(
    'SELECT issuance_id, issued_number, polls FROM identity_issuance WHERE child_id = $1', [childId]);
  const statusReached = (childId: string, status: string) =>
    waitFor(`${childId} ${status}`, async () => (await identity(childId))?.identity_status === status && identity(childId), 20_000);
  /** The registry withdraws the child's number (out of band: a steward records it rejected); the golden stage rebuilds. */
  const withdrawNumber = async (childId: string) => {
    await ctx.sql.query(`UPDATE identity_number SET status = 'REJECTED' WHERE child_id = $1`, [childId]);
    await ctx.goldenRecords.recompute([childId]);
  };
  const pollsWith = (childId: string, status: string) => ctx.sql.query(
    `SELECT job_key FROM identity_check WHERE child_id = $1 AND kind = 'ISSUANCE' AND status = $2 ORDER BY id`, [childId, status]);
  const noPollQueued = async () => {
    const counts = await ctx.identity!.queue.queue('identity-issuance').getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    return Object.values(counts).every((n) => n === 0);
  };

  it('polls the request opened after a number given meanwhile stopped the polls and was dropped, to the number issued', async () => {
    const person = { fullName: 'Lò Thị Hiền', birthDate: '2026-08-14' };
    const record = aRecord({ ...person, identityNumber: null, sourceSystem: 'justice-register', groups: [{ clause: 'b' }] });
    worker = await startWorker(ctx);
    const [child] = (await ctx.ingest.ingest([record])).childrenToRecompute;
    // The registry knows nobody by that name yet: the request waits, polled.
    await waitFor('a poll finding nobody', async () => (await pollsWith(child!, 'NOT_FOUND')).length > 0, 20_000);
    const first = (await request(child!))!.issuance_id;

    // A source gives a number the registry does not know: verification takes over and the polls stop.
    await ctx.ingest.ingest([{ ...record, identityNumber: '001326999999' }]);
    await statusReached(child!, 'NOT_FOUND');
    await waitFor('no poll queued', noPollQueued, 20_000);

    // The source drops it again, and meanwhile the registry has issued the number.
    registered.set(person.fullName, citizen('001326000111', person.fullName, '20260814'));
    await ctx.ingest.ingest([record]);
    const issued = await statusReached(child!, 'ISSUED');
    expect(issued).toEqual({ identity_number: '001326000111', identity_status: 'ISSUED' });
    // The same wait went on (its "nobody" answers count: the number was issued while the hub waited), polled
    // under a new id.
    const after = (await request(child!))!;
    expect(after).toMatchObject({ issued_number: '001326000111' });
    expect(after.issuance_id).toMatch(/^iss_/);
    expect(after.issuance_id).not.toBe(first);
    expect(await ctx.sql.query(`SELECT step FROM care_event WHERE child_id = $1`, [child])).toEqual([{ step: 'NUMBER_ISSUED' }]);
  });

  it('opens and polls a new request after a number was issued and later withdrawn', async () => {
    const person = { fullName: 'Mùa Thị Dợ', birthDate: '2026-05-03' };
    worker = await startWorker(ctx);
    const [child] = (await ctx.ingest.ingest([aRecord({ ...person, identityNumber: null, groups: [{ clause: 'b' }] })])).childrenToRecompute;
    await waitFor('a poll finding nobody', async () => (await pollsWith(child!, 'NOT_FOUND')).length > 0, 20_000);
    registered.set(person.fullName, citizen('001326000222', person.fullName, '20260503'));
    await statusReached(child!, 'ISSUED');
    const first = (await request(child!))!;
    expect(first.issued_number).toBe('001326000222');

    // The number is withdrawn; the registry has none for the child until it issues another. (The first request
    // may have been polled more than once before its number was issued, under load: count from here.)
    const nobodyBefore = (await pollsWith(child!, 'NOT_FOUND')).length;
    registered.delete(person.fullName);
    await withdrawNumber(child!);
    await waitFor('a new poll finding nobody', async () => (await pollsWith(child!, 'NOT_FOUND')).length > nobodyBefore, 20_000);
    const second = (await request(child!))!;
    // A new request: its own id, nothing issued yet, its own polls.
    expect(second.issuance_id).not.toBe(first.issuance_id);
    expect(second.issued_number).toBeNull();
    registered.set(person.fullName, citizen('001326000333', person.fullName, '20260503'));
    expect(await statusReached(child!, 'ISSUED')).toEqual({ identity_number: '001326000333', identity_status: 'ISSUED' });
    expect(await request(child!)).toMatchObject({ issuance_id: second.issuance_id, issued_number: '001326000333' });
    expect(await ctx.sql.query(`SELECT step FROM care_event WHERE child_id = $1`, [child])).toEqual([{ step: 'NUMBER_ISSUED' }, { step: 'NUMBER_ISSUED' }]);
  });

  it('opens and polls a new request after one closed by a number found, once that number is withdrawn', async () => {
    const person = { fullName: 'Hà Thị Xuân', birthDate: '2014-09-30' };
    registered.set(person.fullName, citizen('001314000444', person.fullName, '20140930'));
    worker = await startWorker(ctx);
    const [child] = (await ctx.ingest.ingest([aRecord({ ...person, identityNumber: null })])).childrenToRecompute;
    await statusReached(child!, 'VERIFIED');
    // Found, not issued: the request is closed.
    await waitFor('request closed', async () => (await request(child!)) === undefined, 20_000);

    registered.set(person.fullName, citizen('001314000555', person.fullName, '20140930'));
    await withdrawNumber(child!);
    expect(await statusReached(child!, 'VERIFIED')).toEqual({ identity_number: '001314000555', identity_status: 'VERIFIED' });
    expect((await pollsWith(child!, 'VERIFIED')).length).toBe(2);
  });

  it('lets a stale poll of an earlier request, and a poll queued before requests had ids, do nothing to the new request', async () => {
    const person = { fullName: 'Sùng Thị Pà', birthDate: '2026-01-09' };
    const [child] = (await ctx.ingest.ingest([aRecord({ ...person, identityNumber: null, groups: [{ clause: 'b' }] })])).childrenToRecompute;
    await ctx.goldenRecords.recompute([child!]);
    // A request opened before requests had ids, as the migration leaves it, with its poll queued the old way.
    await ctx.sql.query(`UPDATE child SET identity_status = 'PENDING_ISSUANCE' WHERE id = $1`, [child]);
    await ctx.sql.query(`INSERT INTO identity_issuance (child_id, due_at) VALUES ($1, now() + interval '7 days')`, [child]);
    const poll = identityIssuanceProcessor(ctx);
    const legacyJob = (n: number) => ({ id: issuanceJobId(child!, undefined, n), data: { childId: child, poll: n }, timestamp: Date.now() }) as unknown as Job<unknown, unknown, string>;
    const before = lookups.length;
    expect(await poll(legacyJob(0))).toMatchObject({ kind: 'WAITING' });
    // Its next poll is queued under the old name and data: still that request's chain.
    const next = await ctx.identity!.queue.queue('identity-issuance').getJob(`issuance-${child}-1`);
    expect(next?.data).toEqual({ childId: child, poll: 1 });
    await next!.remove();

    // The request is reopened under an id (the child no longer waits for it: a number came and went).
    await ctx.sql.query(`UPDATE child SET identity_status = 'NO_NUMBER' WHERE id = $1`, [child]);
    // The sweep sends such a child to reconciliation too, though a request row exists.
    const queued = () => ctx.sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'identity.reconcile' AND aggregate_id = $1`, [child]);
    const queuedBefore = (await queued())!.n;
    await ctx.identity!.reconciler.sweep(180);
    expect((await queued())!.n).toBe(queuedBefore + 1);
    const [reopened] = await ctx.identity!.reconciler.reconcile([{ childId: child!, key: `reopen/${child}` }], { enqueuedAt: new Date() });
    expect(reopened).toEqual({ kind: 'ISSUANCE_STARTED', issuanceId: expect.stringMatching(/^iss_/) });
    const issuanceId = (reopened as { issuanceId: string }).issuanceId;
    // The old chain's next poll, and one of another (closed) request, find their request gone: no call, nothing recorded.
    expect(await poll(legacyJob(1))).toEqual({ kind: 'DONE' });
    const stale = { id: `issuance-iss_01KC0000000000000000000000-3`, data: { childId: child, issuanceId: 'iss_01KC0000000000000000000000', poll: 3 }, timestamp: Date.now() };
    expect(await poll(stale as unknown as Job<unknown, unknown, string>)).toEqual({ kind: 'DONE' });
    expect(lookups.length).toBe(before + 1);
    expect((await request(child!))).toMatchObject({ issuance_id: issuanceId, polls: 1 });
    // The new request's own first poll is polled.
    const own = { id: issuanceJobId(child!, issuanceId, 0), data: { childId: child, issuanceId, poll: 0 }, timestamp: Date.now() };
    expect(await poll(own as unknown as Job<unknown, unknown, string>)).toMatchObject({ kind: 'WAITING' });
    expect(lookups.length).toBe(before + 2);
    expect(await ctx.identity!.queue.queue('identity-issuance').getJob(`issuance-${issuanceId}-1`)).toMatchObject({ data: { childId: child, issuanceId, poll: 1 } });
  });

  it('does not mark overdue a request whose child a source has given a number since (QA: listed overdue, and poll_late for good)', async () => {
    const [waiting, numbered] = [newId('child'), newId('child')];
    await ctx.sql.query(`INSERT INTO child (id, commune_code, identity_status) VALUES ($1, '00004', 'PENDING_ISSUANCE')`, [waiting]);
    await ctx.sql.query(`INSERT INTO child (id, commune_code, identity_number, identity_status) VALUES ($1, '00004', '001226000505', 'MISMATCH')`, [numbered]);
    // One given a number the population database does not know still waits (QA re-check).
    const unknown = newId('child');
    await ctx.sql.query(`INSERT INTO child (id, commune_code, identity_number, identity_status) VALUES ($1, '00004', '999310000611', 'NOT_FOUND')`, [unknown]);
    await ctx.sql.query(
      `INSERT INTO identity_issuance (child_id, due_at, next_poll_at) SELECT id, now() - interval '1 day', now() + interval '1 hour' FROM unnest($1::text[]) AS id`,
      [[waiting, numbered, unknown]]);
    await ctx.identity!.reconciler.sweep(180);
    const overdue = await ctx.sql.query<{ child_id: string; overdue: boolean }>(
      `SELECT child_id, overdue_at IS NOT NULL AS overdue FROM identity_issuance WHERE child_id = ANY($1::text[])`, [[waiting, numbered, unknown]]);
    expect(new Map(overdue.map((o) => [o.child_id, o.overdue]))).toEqual(new Map([[waiting, true], [numbered, false], [unknown, true]]));
  });
});
