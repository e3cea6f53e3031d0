import type { Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../src/app/app-context.js';
import { RegistryRejectedError } from '../src/errors/registry-rejected-error.js';
import type { Citizen } from '../src/population-db/population-db.client.js';
import { identityIssuanceProcessor, issuanceJobId } from '../jobs/processors/identity-issuance.processor.js';
import { identitySweepProcessor } from '../jobs/processors/identity-sweep.processor.js';
import { QUEUE_NAMES } from '../jobs/queues.js';
import { startWorker, type RunningWorker } from '../jobs/worker.js';
import { waitFor } from './support/identity-hub.js';
import { aRecord } from './support/records.js';
import { citizenNamed, contextWithStandInRegistry } from './support/stand-in-registry.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * A request whose poll chain died (a poll failed for good, or its job was lost) is restarted by the sweep under a
 * new request id, and polled to its number; a chain that is still alive never ends up with a second one. Real
 * Redis, PostgreSQL and worker, with a stand-in registry whose answers the test sets. Time passing is the rows'
 * `next_poll_at` moved back, not a wait.
 */
describe('identity issuance: the sweep restarts a poll chain that stopped', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let worker: RunningWorker | undefined;
  /** What the stand-in registry's look-up by name answers, per full name: nobody unless set. */
  const answers = new Map<string, Citizen | 'refuse'>();
  const lookups: string[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    ctx = await contextWithStandInRegistry(env, (q) => {
      lookups.push(q.fullName);
      const answer = answers.get(q.fullName);
      // A refusal fails the poll for good at once (no retries): the chain ends there.
      if (answer === 'refuse') throw new RegistryRejectedError('refused by the registry (test)');
      return answer ? { kind: 'FOUND', citizens: [answer] } : { kind: 'NOT_FOUND' };
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
  const issuanceQueue = () => ctx.identity!.queue.queue('identity-issuance');
  const request = (childId: string) => ctx.sql.one<{ issuance_id: string; polls: number; next_poll_at: Date | null }>(
    'SELECT issuance_id, polls, next_poll_at FROM identity_issuance WHERE child_id = $1', [childId]);
  const pollsWith = (childId: string, status: string) => ctx.sql.query<{ job_key: string }>(
    `SELECT job_key FROM identity_check WHERE child_id = $1 AND kind = 'ISSUANCE' AND status = $2 ORDER BY id`, [childId, status]);
  /** Hours pass: the request's next poll was due long ago. */
  const hoursLater = (childId: string) => ctx.sql.query(
    `UPDATE identity_issuance SET requested_at = requested_at - interval '3 hours', next_poll_at = coalesce(next_poll_at, now()) - interval '2 hours'
      WHERE child_id = $1`, [childId]);
  const sweepJob = { data: {} } as unknown as Job<unknown, unknown, string>;

  it('restarts the chain of a request whose poll failed for good, and the abandoned child gets the number issued', async () => {
    const person = { fullName: 'Giàng Thị Mỷ', birthDate: '2026-10-02' };
    worker = await startWorker(ctx);
    const [child] = (await ctx.ingest.ingest([aRecord({ ...person, identityNumber: null, groups: [{ clause: 'b' }] })])).childrenToRecompute;
    // The registry finds nobody at first, then refuses the next poll: that poll fails for good.
    await waitFor('a poll finding nobody', async () => (await pollsWith(child!, 'NOT_FOUND')).length > 0, 20_000);
    answers.set(person.fullName, 'refuse');
    const dead = (await request(child!))!.issuance_id;
    await waitFor('a poll failed for good', async () => (await issuanceQueue().getFailed()).some((j) => j.data.issuanceId === dead), 20_000);
    const failed = (await issuanceQueue().getFailed()).find((j) => j.data.issuanceId === dead)!;
    expect(Object.values(await issuanceQueue().getJobCounts('waiting', 'delayed', 'active', 'prioritized')).every((n) => n === 0)).toBe(true);

    // Hours later the registry has issued the number, and the periodic sweep runs.
    answers.set(person.fullName, citizen('001326000777', person.fullName, '20261002'));
    await hoursLater(child!);
    await ctx.identity!.queue.add('identity-sweep', { data: {} });
    await waitFor('number issued', async () => (await ctx.sql.one<{ identity_status: string }>(
      'SELECT identity_status FROM child WHERE id = $1', [child]))?.identity_status === 'ISSUED', 20_000);
    expect(await ctx.sql.one('SELECT identity_number, identity_status FROM child WHERE id = $1', [child]))
      .toEqual({ identity_number: '001326000777', identity_status: 'ISSUED' });
    expect(await ctx.sql.query(`SELECT step FROM care_event WHERE child_id = $1`, [child])).toEqual([{ step: 'NUMBER_ISSUED' }]);
    // The same request, polled under a new id; the dead chain's failed job is still kept, untouched.
    const restarted = (await request(child!))!.issuance_id;
    expect(restarted).toMatch(/^iss_/);
    expect(restarted).not.toBe(dead);
    expect((await pollsWith(child!, 'ISSUED')).map((r) => r.job_key)).toEqual([issuanceJobId(child!, restarted, 0)]);
    expect(await issuanceQueue().getJobState(String(failed.id))).toBe('failed');
    const sweeps = await ctx.identity!.queue.queue('identity-sweep').getCompleted();
    expect(sweeps.map((j) => j.returnvalue)).toContainEqual(expect.objectContaining({ restarted: 1 }));
  });

  it('never gives a request two live chains: not while it is polled, once from two sweeps at once, and the old chain stops', async () => {
    const person = { fullName: 'Vàng Thị Sua', birthDate: '2026-09-11' };
    const [child] = (await ctx.ingest.ingest([aRecord({ ...person, identityNumber: null, groups: [{ clause: 'b' }] })])).childrenToRecompute;
    await ctx.goldenRecords.recompute([child!]);
    const [opened] = await ctx.identity!.reconciler.reconcile([{ childId: child!, key: `open/${child}` }], { enqueuedAt: new Date() });
    const first = (opened as { issuanceId: string }).issuanceId;
    const poll = identityIssuanceProcessor(ctx);
    const pollJob = (issuanceId: string, n: number) =>
      ({ id: issuanceJobId(child!, issuanceId, n), data: { childId: child, issuanceId, poll: n }, timestamp: Date.now() }) as unknown as Job<unknown, unknown, string>;
    const sweep = identitySweepProcessor(ctx);
    const queuedFor = async () => (await issuanceQueue().getJobs(['waiting', 'delayed', 'prioritized', 'active']))
      .filter((j) => j.data.childId === child).map((j) => String(j.id)).sort();

    // A chain alive and on time: the sweep leaves it alone.
    expect(await poll(pollJob(first, 0))).toMatchObject({ kind: 'WAITING' });
    expect(await queuedFor()).toEqual([issuanceJobId(child!, first, 1)]);
    expect(await sweep(sweepJob)).toMatchObject({ restarted: 0 });
    expect((await request(child!))!.issuance_id).toBe(first);

    // Its next poll is queued but hours late (a backlog): two sweeps at once restart the request once.
    await hoursLater(child!);
    const both = await Promise.all([sweep(sweepJob), sweep(sweepJob)]);
    expect(both.map((r) => (r as { restarted: number }).restarted).sort()).toEqual([0, 1]);
    const second = (await request(child!))!.issuance_id;
    expect(second).not.toBe(first);
    expect(await queuedFor()).toEqual([issuanceJobId(child!, first, 1), issuanceJobId(child!, second, 0)].sort());

    // The old chain's late poll finds its request under another id: no call, nothing recorded, no next poll.
    await (await issuanceQueue().getJob(issuanceJobId(child!, first, 1)))!.remove();
    const before = lookups.length;
    expect(await poll(pollJob(first, 1))).toEqual({ kind: 'DONE' });
    expect(lookups.length).toBe(before);
    expect(await queuedFor()).toEqual([issuanceJobId(child!, second, 0)]);
    // The new chain goes on, and reconciliation names it as the request's running chain.
    await (await issuanceQueue().getJob(issuanceJobId(child!, second, 0)))!.remove();
    expect(await poll(pollJob(second, 0))).toMatchObject({ kind: 'WAITING' });
    expect(lookups.length).toBe(before + 1);
    expect(await queuedFor()).toEqual([issuanceJobId(child!, second, 1)]);
    expect(await ctx.identity!.reconciler.reconcile([{ childId: child!, key: `again/${child}` }], { enqueuedAt: new Date() }))
      .toEqual([{ kind: 'ISSUANCE_ALREADY_RUNNING', issuanceId: second }]);
    expect(await request(child!)).toMatchObject({ issuance_id: second, polls: 2 });
  });

  it('a registry call whose outcome was never written (a worker killed mid-call) is closed in the integration log as UNKNOWN by the sweep (QA)', async () => {
    const child = 'chd_LOSTCALL0000000000000000';
    // A call whose worker died after sending it: its start is all the log holds, until the sweep closes it.
    const lost = `lost-${child}`;
    await ctx.sql.query(
      `INSERT INTO registry_call_pending (request_id, operation, transport, child_id, officer_id, unit, purpose_code, case_ref, started_at)
       VALUES ($1, 'TraCuuThongTinCongDan', 'soap', $2, 'CB-0042', 'so-ldtbxh-ha-noi', 'CHILD-ID-RECONCILIATION', $2, now() - interval '6 minutes')`,
      [lost, child]);
    expect(await identitySweepProcessor(ctx)(sweepJob)).toMatchObject({ unfinishedCalls: 1 });
    expect(await ctx.sql.query('SELECT outcome, latency_ms FROM registry_call WHERE request_id = $1', [lost])).toEqual([{ outcome: 'UNKNOWN', latency_ms: null }]);
    expect(await identitySweepProcessor(ctx)(sweepJob)).toMatchObject({ unfinishedCalls: 0 });
  });
});
