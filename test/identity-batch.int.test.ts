import { randomUUID } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../src/app/app-context.js';
import { newId } from '../src/db/ids.js';
import { RegistryRejectedError } from '../src/errors/registry-rejected-error.js';
import { UpstreamUnavailableError } from '../src/errors/upstream-unavailable-error.js';
import { createLogger } from '../src/observability/logger.js';
import type { CallContext, CallResult, LookupOutcome, PopulationDbClient, VerifyOutcome } from '../src/population-db/population-db.client.js';
import { failRequests, requestIdentityCheck } from '../src/services/identity/identity-request.js';
import { failIdentityRequests } from '../jobs/worker.js';
import { RegistryConfigurationError } from '../src/population-db/registry-errors.js';
import { startPopulationDbSimulator, type PopulationDbSimulator } from '../src/population-db/simulator/population-db.simulator.js';
import { IdentityReconciler, type IssuancePoll, type ReconcileOutcome } from '../src/services/identity/identity-reconciler.js';
import { identityReconcileProcessor } from '../jobs/processors/identity-reconcile.processor.js';
import { recordOf, registryEnv, SIM_COUNT, SIM_CREDENTIALS, SIM_SEED, truthChildren } from './support/identity-hub.js';
import { createTestAppContext } from './support/jobs-test-context.js';
import { aRecord } from './support/records.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { WITHHELD_MESSAGE } from '../jobs/processors/storable-job-error.js';

/** Every statement any pg client of this process sends while `fn` runs, by its first words. */
async function countStatements(fn: () => Promise<unknown>): Promise<{ total: number; byKind: Record<string, number> }> {
  const byKind: Record<string, number> = {};
  let total = 0;
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text ?? '';
    const kind = text.replace(/\s+/g, ' ').trim().split(' ').slice(0, 3).join(' ');
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    total++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  try {
    await fn();
  } finally {
    pg.Client.prototype.query = original;
  }
  return { total, byKind };
}

const jobOf = (id: string, childIds: string[]) => ({ id, data: { childIds }, timestamp: Date.now() }) as unknown as Job<unknown, unknown, string>;

/**
 * The identity-reconcile processor works on a job's children together: one read, calls within the quota,
 * one recording transaction. These tests hold it to few statements and to the per-child guarantees.
 */
describe('identity-reconcile jobs, batched', () => {
  let env: TestEnv;
  let sim: PopulationDbSimulator;
  let ctx: AppContext;

  beforeAll(async () => {
    env = await createTestEnv();
    sim = await startPopulationDbSimulator({
      seed: SIM_SEED, count: SIM_COUNT, quotaPerSecond: 200, latencyMs: { min: 1, max: 3 }, credentials: SIM_CREDENTIALS,
      logger: createLogger({ level: 'silent' }),
    });
    ctx = await createTestAppContext(env, registryEnv(sim.url, { POPULATION_DB_QUOTA: '200' }));
  });
  afterAll(async () => {
    await ctx?.close();
    await sim?.close();
    await env?.cleanup();
  });

  /** Ingests records and builds their golden records (what the worker's golden-record jobs would do). */
  /** The children the records were linked to, built, in the records' order (child ids are random: not in id order). */
  const childrenOf = async (records: Parameters<AppContext['ingest']['ingest']>[0]) => {
    const ingested = await ctx.ingest.ingest(records);
    await ctx.goldenRecords.recompute(ingested.childrenToRecompute);
    const keys = records.map((r) => r as { sourceSystem: string; externalId: string });
    const linked = await ctx.sql.query<{ i: number; child_id: string }>(
      `SELECT k.i::int AS i, s.child_id FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(system, external_id, i)
         JOIN source_record s ON s.source_system = k.system AND s.external_id = k.external_id ORDER BY k.i`,
      [keys.map((k) => k.sourceSystem), keys.map((k) => k.externalId)]);
    const ordered = [...new Set(linked.map((r) => r.child_id))].filter((id) => ingested.childrenToRecompute.includes(id));
    return [...ordered, ...ingested.childrenToRecompute.filter((id) => !ordered.includes(id))];
  };
  const statusOf = async (id: string) =>
    (await ctx.sql.one<{ identity_status: string }>(`SELECT identity_status FROM child WHERE id = $1`, [id]))?.identity_status;

  /** A reconciler over a stand-in registry: MATCH for everyone, unless `answer` says otherwise. */
  const reconcilerWith = (answer: (childId: string) => Promise<VerifyOutcome>, calls: string[] = []) => {
    const registry = {
      verifyCitizen: async (_q, callCtx) => {
        calls.push(callCtx.childId!);
        return { requestId: randomUUID(), outcome: await answer(callCtx.childId!), latencyMs: 1 } satisfies CallResult<VerifyOutcome>;
      },
    } as PopulationDbClient;
    const quota = { acquire: async () => {}, settle: async () => {}, penalize: async () => {} };
    return new IdentityReconciler(ctx.sql, registry, quota, ctx.config, createLogger({ level: 'silent' }));
  };
  const reconcile = (reconciler: IdentityReconciler, jobId: string, ids: string[]): Promise<ReconcileOutcome[]> =>
    reconciler.reconcile(ids.map((childId) => ({ childId, key: `${jobId}/${childId}` })), { enqueuedAt: new Date() });
  /** What reconciliation answers for a child it opened an issuance request for. */
  const STARTED = { kind: 'ISSUANCE_STARTED', issuanceId: expect.stringMatching(/^iss_/) };
  /** Poll `poll` of the child's current issuance request, as its job carries it. */
  const pollOf = async (childId: string, poll: number): Promise<IssuancePoll> => ({
    childId, poll,
    issuanceId: (await ctx.sql.one<{ issuance_id: string | null }>(`SELECT issuance_id FROM identity_issuance WHERE child_id = $1`, [childId]))!.issuance_id,
  });

  it('verifies a job of 10 children with 6 statements, a read-back per call and the batched integration log, and a re-run with one', async () => {
    const kids = truthChildren((c) => !c.abandoned && c.identityNumber !== null && c.index > 500, 40);
    const ids = await childrenOf(kids.map((k) => recordOf(k, 'STMT')));
    expect(ids).toHaveLength(40);
    const process = identityReconcileProcessor(ctx);
    const jobs = [0, 1, 2, 3].map((j) => jobOf(`stmt-${j}`, ids.slice(j * 10, j * 10 + 10)));
    // Warm-up outside the count: the pool opens its connections.
    await process(jobs[0]!);

    // Every statement the pg driver sends: BEGIN/COMMIT and the integration log's inserts included.
    const run = await countStatements(() => Promise.all(jobs.slice(1).map((job) => process(job))));
    const perChild = run.total / 30;
    console.log(`identity-reconcile: ${run.total} statements for 30 children (${perChild.toFixed(2)} per child)`, run.byKind);
    expect(await ctx.sql.one(`SELECT count(*)::int AS n FROM child WHERE id = ANY($1) AND identity_status = 'VERIFIED'`, [ids])).toEqual({ n: 40 });
    expect(await ctx.sql.one(`SELECT count(*)::int AS n FROM identity_number WHERE child_id = ANY($1) AND status = 'VERIFIED'`, [ids])).toEqual({ n: 40 });
    expect(await ctx.sql.one(`SELECT count(*)::int AS n FROM registry_call WHERE child_id = ANY($1)`, [ids])).toEqual({ n: 40 });
    // Per job: 1 read, BEGIN, number locks, row locks, 1 recording statement, COMMIT; per call, the one-row
    // read-back of a check recorded meanwhile (just before it goes out); plus the call log, group-committed: each
    // call's start before it goes out, and its outcome row (which replaces the start) after.
    const starts = run.byKind['INSERT INTO registry_call_pending'] ?? 0;
    const outcomes = run.byKind['WITH done AS'] ?? 0;
    expect(starts).toBeGreaterThan(0);
    expect(starts).toBeLessThanOrEqual(30);
    expect(outcomes).toBeGreaterThan(0);
    expect(outcomes).toBeLessThanOrEqual(30);
    expect(run.byKind['SELECT identity_status FROM']).toBe(30);
    expect(run.total - starts - outcomes).toBe(3 * 6 + 30);
    expect(await ctx.sql.one(`SELECT count(*)::int AS n FROM registry_call_pending WHERE child_id = ANY($1)`, [ids])).toEqual({ n: 0 });
    // The log is written ahead: at most a start and an outcome per call (grouped when calls end together).
    expect(perChild).toBeLessThanOrEqual(48 / 30 + 2);

    // The same jobs again (a retry after a crash): everything is recorded, so no call and one read per job.
    const calls = sim.stats().requests;
    const rerun = await countStatements(() => Promise.all(jobs.map((job) => process(job))));
    console.log(`identity-reconcile re-run: ${rerun.total} statements for 4 jobs`, rerun.byKind);
    expect(sim.stats().requests).toBe(calls);
    expect(rerun.total).toBe(4);
    expect(await ctx.sql.one(`SELECT count(*)::int AS n FROM identity_check WHERE child_id = ANY($1)`, [ids])).toEqual({ n: 40 });
  });

  it('makes the check an officer asked for in their name, joins requests made while it is open, and expires a stale one', async () => {
    const [child, numberless] = await childrenOf([
      aRecord({ identityNumber: '001215000931', fullName: 'Lê Văn Cường', sex: 'MALE' }),
      aRecord({ identityNumber: null, fullName: 'Lê Thị Dung', sex: 'FEMALE' }),
    ]);
    const officer = { subject: 'steward-9', officerId: 'CB-0099', officerName: 'Trần Thị Mai', agency: 'so-ldtbxh', unit: 'phong-tre-em', roles: ['data_steward' as const],
      communeScope: '*' as const, purpose: 'case-review', classes: new Set<never>() };
    const outboxRows = async () => Number((await ctx.sql.one<{ n: string }>(
      `SELECT count(*) AS n FROM outbox WHERE topic = 'identity.reconcile' AND (aggregate_id = $1 OR payload->'ids' ? $1)`, [child!]))!.n);
    const before = await outboxRows();
    // Six at once (QA: three calls were made): one request, five joining it, one check queued.
    const asked = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => requestIdentityCheck(ctx.sql, child!, { ...officer, subject: `steward-${i}` }, `req-${i}`)));
    const opened = asked.filter((a) => !a.joined);
    expect(opened).toHaveLength(1);
    expect(new Set(asked.map((a) => a.requestId))).toEqual(new Set([opened[0]!.requestId]));
    expect(await outboxRows()).toBe(before + 1);

    const contexts: CallContext[] = [];
    const registry = {
      verifyCitizen: async (_q, callCtx) => {
        contexts.push(callCtx);
        return { requestId: randomUUID(), outcome: { kind: 'MATCH', citizen: null }, latencyMs: 1 } satisfies CallResult<VerifyOutcome>;
      },
      lookupCitizen: async (_q, callCtx) => {
        contexts.push(callCtx);
        return { requestId: randomUUID(), outcome: { kind: 'NOT_FOUND' }, latencyMs: 1 } satisfies CallResult<LookupOutcome>;
      },
    } as PopulationDbClient;
    const reconciler = new IdentityReconciler(ctx.sql, registry, { acquire: async () => {}, settle: async () => {}, penalize: async () => {} }, ctx.config, createLogger({ level: 'silent' }));
    await requestIdentityCheck(ctx.sql, numberless!, officer, 'req-n');
    expect(await reconcile(reconciler, 'asked-1', [child!, numberless!])).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }, STARTED]);
    // In the requester's name, with the request as the case (the first of the six: whoever's request opened it).
    const request = (await ctx.sql.one<Record<string, unknown>>(`SELECT * FROM identity_request WHERE id = $1`, [opened[0]!.requestId]))!;
    expect(contexts).toEqual([{ officerId: 'CB-0099', officerName: 'Trần Thị Mai', unit: 'phong-tre-em', purposeCode: 'case-review', caseRef: request.id, childId: child }]);
    expect(request).toMatchObject({ child_id: child, officer_id: 'CB-0099', agency: 'so-ldtbxh', purpose: 'case-review', answer: 'CALLED', http_request_id: expect.stringMatching(/^req-\d$/) });
    // Without a number: the request stays open for the poll just queued, which asks in the officer's name and answers it;
    // requests made meanwhile join it (QA: ten at once made five polls, each the system officer's).
    const requestOf = (http: string) => ctx.sql.one<{ answer: string | null }>(`SELECT answer FROM identity_request WHERE http_request_id = $1`, [http]);
    expect(await requestOf('req-n')).toEqual({ answer: null });
    expect(await requestIdentityCheck(ctx.sql, numberless!, { ...officer, subject: 'steward-late' }, 'req-n-late')).toMatchObject({ joined: true });
    contexts.length = 0;
    expect(await reconciler.pollIssuance(await pollOf(numberless!, 0), { key: `poll/${numberless}/asked`, enqueuedAt: new Date() })).toMatchObject({ kind: 'WAITING' });
    expect(contexts).toEqual([expect.objectContaining({ officerId: 'CB-0099', purposeCode: 'case-review', caseRef: expect.stringMatching(/^idr_/), childId: numberless })]);
    expect(await requestOf('req-n')).toEqual({ answer: 'CALLED' });
    // The hub's own check leaves a waiting child's poll chain alone; an officer's restarts it now, under a new request id
    // (QA: a chain dead since an outage could not be restarted on demand).
    const first = (outcomesOf: ReconcileOutcome[]) => outcomesOf[0] as { kind: string; issuanceId: string | null };
    const running = first(await reconcile(reconciler, 'asked-bg', [numberless!]));
    expect(running.kind).toBe('ISSUANCE_ALREADY_RUNNING');
    await requestIdentityCheck(ctx.sql, numberless!, officer, 'req-n2');
    const restarted = first(await reconcile(reconciler, 'asked-n2', [numberless!]));
    expect(restarted).toEqual(STARTED);
    expect(restarted.issuanceId).not.toBe(running.issuanceId);
    // Its job failing for good closes it, so the next request opens its own; one made after the job was queued stays.
    const queuedAt = new Date();
    await new Promise((r) => setTimeout(r, 5));
    expect(await failRequests(ctx.sql, [numberless!], queuedAt)).toBe(1);
    expect(await requestOf('req-n2')).toEqual({ answer: 'FAILED' });
    await requestIdentityCheck(ctx.sql, numberless!, officer, 'req-n3');
    expect(await failRequests(ctx.sql, [numberless!], queuedAt)).toBe(0);
    expect(await requestOf('req-n3')).toEqual({ answer: null });
    // As the worker calls it for an issuance poll that failed for good.
    await failIdentityRequests(ctx, { id: 'poll-gone', data: { childId: numberless, issuanceId: 'iss_x', poll: 3 }, timestamp: Date.now() } as unknown as Job<unknown, unknown, string>,
      createLogger({ level: 'silent' }));
    expect(await requestOf('req-n3')).toEqual({ answer: 'FAILED' });
    // Nothing to look the child up by: the poll asks nothing, and answers the request so (QA second re-check: open an hour).
    await ctx.sql.query(`UPDATE child SET birth_date = NULL, birth_date_precision = NULL, birth_year = NULL WHERE id = $1`, [numberless!]);
    await requestIdentityCheck(ctx.sql, numberless!, officer, 'req-n4');
    expect(first(await reconcile(reconciler, 'asked-n4', [numberless!]))).toEqual(STARTED);
    contexts.length = 0;
    await reconciler.pollIssuance(await pollOf(numberless!, 0), { key: `poll/${numberless}/n4`, enqueuedAt: new Date() });
    expect(contexts).toEqual([]);
    expect(await requestOf('req-n4')).toEqual({ answer: 'NO_CALL' });
    // Answered: the next request opens its own; a background check is the hub's system officer's.
    expect((await requestIdentityCheck(ctx.sql, child!, officer, 'req-7')).joined).toBe(false);
    await reconcile(reconciler, 'asked-2', [child!]);
    expect(await ctx.sql.one(`SELECT answer FROM identity_request WHERE http_request_id = 'req-7'`)).toEqual({ answer: 'CALLED' });
    await reconcile(reconcilerWith(async () => ({ kind: 'MATCH', citizen: null })), 'background', [child!]);
    // A job that recorded its call and died before answering: its retry answers the request CALLED, from the call
    // recorded (QA: NO_CALL, though the registry was asked in the officer's name).
    await requestIdentityCheck(ctx.sql, child!, officer, 'req-crash');
    await reconcile(reconciler, 'crash-1', [child!]);
    await ctx.sql.query(`UPDATE identity_request SET answer = NULL, answered_at = NULL WHERE http_request_id = 'req-crash'`);
    const callsBefore = contexts.length;
    expect(await reconcile(reconciler, 'crash-1', [child!])).toEqual([{ kind: 'ALREADY_RECORDED' }]);
    expect(contexts.length).toBe(callsBefore);
    expect(await requestOf('req-crash')).toEqual({ answer: 'CALLED' });
    // A request left open by a job that failed for good is not joined for ever.
    const stale = await requestIdentityCheck(ctx.sql, child!, officer, 'req-8');
    await ctx.sql.query(`UPDATE identity_request SET requested_at = now() - interval '2 hours' WHERE id = $1`, [stale.requestId]);
    const fresh = await requestIdentityCheck(ctx.sql, child!, officer, 'req-9');
    expect(fresh).toMatchObject({ joined: false });
    expect(await ctx.sql.one(`SELECT answer FROM identity_request WHERE id = $1`, [stale.requestId])).toEqual({ answer: 'EXPIRED' });
  });

  it('keeps ISSUED when a later check verifies the number the registry issued the child', async () => {
    const [issued] = await childrenOf([aRecord({ identityNumber: '001215000941', fullName: 'Lê Văn Giang', sex: 'MALE' })]);
    // What issuance records when the number appears for an abandoned child.
    await ctx.sql.query(`UPDATE child SET identity_status = 'ISSUED' WHERE id = $1`, [issued!]);
    await ctx.sql.query(`UPDATE identity_number SET status = 'VERIFIED', verified_at = now() WHERE child_id = $1`, [issued!]);
    const before = (await ctx.sql.one<{ version: number }>(`SELECT version FROM child WHERE id = $1`, [issued!]))!.version;
    const reconciler = reconcilerWith(async () => ({ kind: 'MATCH', citizen: null }));
    expect(await reconcile(reconciler, 'reverify', [issued!])).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    // The check says what it found; the child still says how it got the number (QA: it became VERIFIED for good).
    expect(await ctx.sql.one(`SELECT identity_status, version, identity_checked_at IS NOT NULL AS checked FROM child WHERE id = $1`, [issued!]))
      .toEqual({ identity_status: 'ISSUED', version: before, checked: true });
    expect(await ctx.sql.one(`SELECT status FROM identity_check WHERE job_key = $1`, [`reverify/${issued}`])).toEqual({ status: 'VERIFIED' });
    // A refusal of it is news, as for any number.
    await reconcile(reconcilerWith(async () => ({ kind: 'MISMATCH', fields: ['HoVaTen'], citizen: null })), 'reverify-2', [issued!]);
    expect(await ctx.sql.one(`SELECT identity_status FROM child WHERE id = $1`, [issued!])).toEqual({ identity_status: 'MISMATCH' });
    // Verified again afterwards, the number the registry issued it is ISSUED again: the issuance request names it (QA re-check).
    await ctx.sql.query(`INSERT INTO identity_issuance (child_id, due_at, issued_at, issued_number) VALUES ($1, now(), now(), '001215000941')`, [issued!]);
    await reconcile(reconciler, 'reverify-3', [issued!]);
    expect(await ctx.sql.one(`SELECT identity_status FROM child WHERE id = $1`, [issued!])).toEqual({ identity_status: 'ISSUED' });
  });

  it('marks CONFLICT for duplicates within one job and for a child verified earlier, and updates nobody else', async () => {
    const [a] = await childrenOf([aRecord({ identityNumber: '001215000777', fullName: 'Lê Văn An', sex: 'MALE' })]);
    const [other] = await childrenOf([aRecord({ identityNumber: '001215000778', fullName: 'Lê Văn Bình', sex: 'MALE' })]);
    const copy = async (id: string) => {
      const dup = newId('child');
      await ctx.sql.query(
        `INSERT INTO child (id, full_name, birth_date, birth_date_precision, birth_year, sex, commune_code, identity_number, identity_status)
         SELECT $2, full_name, birth_date, birth_date_precision, birth_year, sex, commune_code, identity_number, 'UNVERIFIED' FROM child WHERE id = $1`,
        [id, dup]);
      return dup;
    };
    const reconciler = reconcilerWith(async () => ({ kind: 'MATCH', citizen: null }));
    // Two records of one child in the same job: neither may come out VERIFIED.
    const b = await copy(a!);
    const outcomes = await reconcile(reconciler, 'dup-1', [a!, b, other!]);
    expect(outcomes).toEqual([
      { kind: 'CHECKED', status: 'CONFLICT', recorded: true },
      { kind: 'CHECKED', status: 'CONFLICT', recorded: true },
      { kind: 'CHECKED', status: 'VERIFIED', recorded: true },
    ]);
    // A third record, checked later by another job, joins the conflict; the first two stay in it.
    const c = await copy(a!);
    const versionOf = async (id: string) => (await ctx.sql.one<{ version: number; updated_at: Date }>(`SELECT version, updated_at FROM child WHERE id = $1`, [id]))!;
    const [before, otherBefore] = [await versionOf(c), await versionOf(other!)];
    expect(await reconcile(reconciler, 'dup-2', [c])).toEqual([{ kind: 'CHECKED', status: 'CONFLICT', recorded: true }]);
    // The status changed: the unified record did (QA: version and updatedAt stayed as they were); a re-check finding
    // what the last one found changes nothing.
    const after = await versionOf(c);
    expect(after.version).toBe(before.version + 1);
    expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    expect(await reconcile(reconciler, 'dup-3', [other!])).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    expect((await versionOf(other!)).version).toBe(otherBefore.version);
    expect([await statusOf(a!), await statusOf(b), await statusOf(c), await statusOf(other!)]).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'VERIFIED']);
    const recorded = await ctx.sql.query<{ child_id: string; status: string }>(
      `SELECT child_id, status FROM identity_check WHERE job_key LIKE 'dup-%' ORDER BY job_key`);
    expect(recorded.map((r) => r.status).sort()).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'VERIFIED', 'VERIFIED']);
  });

  it('checks again a child left alone in CONFLICT when the other holder\'s check does not verify the number (QA second re-check)', async () => {
    const [a] = await childrenOf([aRecord({ identityNumber: '001215000961', fullName: 'Lê Văn Khánh', sex: 'MALE' })]);
    // A second child with the number (as a look-up by name and birth can find it for another record of the child).
    const b = newId('child');
    await ctx.sql.query(
      `INSERT INTO child (id, full_name, birth_date, birth_date_precision, birth_year, sex, commune_code, identity_number, identity_status)
       SELECT $2, full_name, birth_date, birth_date_precision, birth_year, sex, commune_code, identity_number, 'CONFLICT' FROM child WHERE id = $1`, [a, b]);
    await ctx.sql.query(`UPDATE child SET identity_status = 'CONFLICT' WHERE id = ANY($1::text[])`, [[a, b]]);
    const mark = (await ctx.sql.one<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM outbox`))!.id;
    const queued = async () => (await ctx.sql.query<{ ids: string[] }>(
      `SELECT CASE WHEN jsonb_typeof(payload->'ids') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(payload->'ids')) ELSE ARRAY[aggregate_id] END AS ids
         FROM outbox WHERE topic = 'identity.reconcile' AND id > $1::bigint`, [mark])).flatMap((r) => r.ids);
    expect(await reconcile(reconcilerWith(async () => ({ kind: 'MISMATCH', fields: ['HoVaTen'], citizen: null })), 'left-alone', [b!]))
      .toEqual([{ kind: 'CHECKED', status: 'MISMATCH', recorded: true }]);
    expect(await queued()).toEqual([a]);
  });

  it('keeps the results of a job whose other calls failed, and retries only the failed child', async () => {
    const ids = await childrenOf([
      aRecord({ identityNumber: '001315000801', fullName: 'Phạm Thị Mai' }),
      aRecord({ identityNumber: '001315000802', fullName: 'Phạm Thị Lan' }),
      aRecord({ identityNumber: '001315000803', fullName: 'Phạm Thị Cúc' }),
    ]);
    const calls: string[] = [];
    let down = true;
    const reconciler = reconcilerWith(async (childId) => {
      if (down && childId === ids[1]) throw new UpstreamUnavailableError('registry down', { reason: 'HTTP_5XX' });
      return childId === ids[2] ? { kind: 'MISMATCH', fields: ['HoVaTen'], citizen: null } : { kind: 'MATCH', citizen: null };
    }, calls);
    const first = await reconcile(reconciler, 'partial', ids);
    expect(first[0]).toEqual({ kind: 'CHECKED', status: 'VERIFIED', recorded: true });
    expect(first[1]).toMatchObject({ kind: 'FAILED' });
    expect((first[1] as { error: unknown }).error).toBeInstanceOf(UpstreamUnavailableError);
    expect(first[2]).toEqual({ kind: 'CHECKED', status: 'MISMATCH', recorded: true });
    expect(await statusOf(ids[1]!)).toBe('UNVERIFIED');

    down = false;
    calls.length = 0;
    const retry = await reconcile(reconciler, 'partial', ids);
    expect(retry).toEqual([
      { kind: 'ALREADY_RECORDED' },
      { kind: 'CHECKED', status: 'VERIFIED', recorded: true },
      { kind: 'ALREADY_RECORDED' },
    ]);
    expect(calls).toEqual([ids[1]]);
    const mismatch = await ctx.sql.one(`SELECT identity_status, identity_mismatched_fields FROM child WHERE id = $1`, [ids[2]]);
    expect(mismatch).toEqual({ identity_status: 'MISMATCH', identity_mismatched_fields: ['HoVaTen'] });
  });

  it('fails a job for good when the registry refused its calls, and retries it when any failure is weather', async () => {
    const ids = await childrenOf([
      aRecord({ identityNumber: '001315000811', fullName: 'Hoàng Thị Yến' }),
      aRecord({ identityNumber: '001315000812', fullName: 'Hoàng Thị Nga' }),
    ]);
    let weather = false;
    const reconciler = reconcilerWith(async (childId) => {
      if (childId === ids[0]) throw new RegistryRejectedError('Population database rejected XacThucThongTinCongDan (KetQua 99)', { resultCode: '99' });
      if (weather) throw new UpstreamUnavailableError('registry down', { reason: 'HTTP_5XX' });
      return { kind: 'MATCH', citizen: null };
    });
    const process = identityReconcileProcessor({ ...ctx, identity: { reconciler, queue: ctx.identity!.queue } } as AppContext);
    const refused = await process(jobOf('refused-1', ids)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnrecoverableError);
    // Kept with the job in Redis: the code, not the registry's words, which may name the child (storableJobError).
    expect((refused as Error).message).toBe(`REGISTRY_REJECTED: ${WITHHELD_MESSAGE}`);
    expect(await statusOf(ids[1]!)).toBe('VERIFIED');
    // A refusal of the worker's own setup (a wrong secret) is retried, here or on another worker, not failed for good (QA).
    const wrongSecret = reconcilerWith(async () => {
      throw new RegistryConfigurationError('Population database refused XacThucThongTinCongDan with HTTP 401 (configuration error: check POPULATION_DB_SECRET)', {});
    });
    const misconfigured = identityReconcileProcessor({ ...ctx, identity: { reconciler: wrongSecret, queue: ctx.identity!.queue } } as AppContext);
    const refusedSetup = await misconfigured(jobOf('refused-401', [ids[0]!])).catch((e: unknown) => e);
    expect(refusedSetup).toBeInstanceOf(RegistryConfigurationError);
    expect(refusedSetup).not.toBeInstanceOf(UnrecoverableError);

    weather = true;
    const mixed = await process(jobOf('refused-2', ids)).catch((e: unknown) => e);
    expect(mixed).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('sends no more of a job\'s calls once the registry refused the worker\'s setup', async () => {
    const ids = await childrenOf([0, 1, 2, 3, 4].map((i) => aRecord({ identityNumber: `00131500082${i}`, fullName: `Lê Thị Mai ${'ABCDE'[i]}` })));
    const calls: string[] = [];
    const registry = {
      verifyCitizen: async (_q: unknown, callCtx: CallContext) => {
        calls.push(callCtx.childId!);
        throw new RegistryConfigurationError('Population database refused XacThucThongTinCongDan with HTTP 401 (configuration error: check POPULATION_DB_SECRET)', {});
      },
    } as unknown as PopulationDbClient;
    // One call at a time, as a small quota lets them out: the others wait for their slot while the first is refused.
    let held = Promise.resolve();
    const quota = {
      acquire: async () => {
        const before = held;
        let release = () => {};
        held = new Promise<void>((r) => { release = r; });
        await before;
        return release;
      },
      settle: async (release: () => void) => release(),
      penalize: async () => {},
    };
    const reconciler = new IdentityReconciler(ctx.sql, registry, quota, ctx.config, createLogger({ level: 'silent' }));
    const outcomes = await reconcile(reconciler, 'refused-setup', ids);
    expect(calls).toHaveLength(1);
    expect(outcomes).toHaveLength(5);
    for (const o of outcomes) {
      expect(o.kind).toBe('FAILED');
      expect((o as { error: unknown }).error).toBeInstanceOf(RegistryConfigurationError);
    }
    // Nothing recorded: the retry (here, or on a worker set up right) asks about every child.
    for (const id of ids) expect(await statusOf(id)).toBe('UNVERIFIED');
  });

  it('records a result but leaves the child alone when its number changed during the call', async () => {
    const [id] = await childrenOf([aRecord({ identityNumber: '001215000901', fullName: 'Đỗ Văn Hùng', sex: 'MALE' })]);
    const reconciler = reconcilerWith(async () => {
      await ctx.sql.query(`UPDATE child SET identity_number = '001215000902' WHERE id = $1`, [id]);
      return { kind: 'MATCH', citizen: null };
    });
    expect(await reconcile(reconciler, 'moved', [id!])).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    expect(await ctx.sql.one(`SELECT identity_status, identity_checked_at FROM child WHERE id = $1`, [id])).toEqual({
      identity_status: 'UNVERIFIED', identity_checked_at: null,
    });
    expect(await ctx.sql.one(`SELECT number, status FROM identity_check WHERE job_key = $1`, [`moved/${id}`])).toEqual({
      number: '001215000901', status: 'VERIFIED',
    });
  });

  it('answers a request enqueued before a check of the same inputs with that check, and spends no call on it', async () => {
    const [id] = await childrenOf([aRecord({ identityNumber: '001315000951', fullName: 'Phan Thị Lan', sex: 'FEMALE' })]);
    const calls: string[] = [];
    const reconciler = reconcilerWith(async () => ({ kind: 'MATCH', citizen: null }), calls);
    const asked = (key: string, enqueuedAt: Date) => reconciler.reconcile([{ childId: id!, key: `${key}/${id}` }], { enqueuedAt });
    const pendingSince = new Date(Date.now() - 60_000);
    // Two requests pending for one child (the golden stage asks again on each recompute while it is
    // unverified): the first is checked, and the second, enqueued before that check, is answered by it.
    expect(await asked('first', pendingSince)).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    expect(await asked('second', pendingSince)).toEqual([{ kind: 'ALREADY_CHECKED', status: 'VERIFIED' }]);
    expect(calls).toEqual([id]);
    expect(await ctx.sql.one(`SELECT count(*)::int AS n FROM identity_check WHERE child_id = $1`, [id])).toEqual({ n: 1 });
    // A request enqueued after the check (a steward's "check now", the sweep's re-verification) is checked again.
    await new Promise((r) => setTimeout(r, 5));
    expect(await asked('later', new Date())).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    expect(calls).toHaveLength(2);
    // So is one enqueued before, when what it asks about changed since: a corrected name, then a new number.
    await ctx.sql.query(`UPDATE child SET full_name = 'Phan Thị Lan Anh' WHERE id = $1`, [id]);
    expect(await asked('renamed', pendingSince)).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    await ctx.sql.query(`UPDATE child SET identity_number = '001315000952' WHERE id = $1`, [id]);
    expect(await asked('renumbered', pendingSince)).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    expect(calls).toHaveLength(4);
  });

  it('answers a request whose quota wait saw another job record the same check, and spends no call on it', async () => {
    const [id] = await childrenOf([aRecord({ identityNumber: '001315000955', fullName: 'Phan Thị Huệ', sex: 'FEMALE' })]);
    const calls: string[] = [];
    const registry = {
      verifyCitizen: async (_q, callCtx) => {
        calls.push(callCtx.childId!);
        return { requestId: randomUUID(), outcome: { kind: 'MATCH', citizen: null }, latencyMs: 1 } satisfies CallResult<VerifyOutcome>;
      },
    } as PopulationDbClient;
    // The second job's quota slot comes only when the test says so; the first job's comes at once.
    let queued!: () => void;
    const inQueue = new Promise<void>((resolve) => (queued = resolve));
    let release!: () => void;
    const slot = new Promise<void>((resolve) => (release = resolve));
    const waitingQuota = { acquire: async () => { queued(); await slot; }, settle: async () => {}, penalize: async () => {} };
    const freeQuota = { acquire: async () => {}, settle: async () => {}, penalize: async () => {} };
    const logger = createLogger({ level: 'silent' });
    const first = new IdentityReconciler(ctx.sql, registry, freeQuota, ctx.config, logger);
    const second = new IdentityReconciler(ctx.sql, registry, waitingQuota, ctx.config, logger);
    // Two requests for one child, both enqueued before either is checked (two sources touched it).
    const enqueuedAt = new Date(Date.now() - 60_000);
    const secondRun = second.reconcile([{ childId: id!, key: `waited-second/${id}` }], { enqueuedAt });
    await inQueue; // the second job has read the child (unchecked) and waits for its slot
    expect(await first.reconcile([{ childId: id!, key: `waited-first/${id}` }], { enqueuedAt })).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    release();
    expect(await secondRun).toEqual([{ kind: 'ALREADY_CHECKED', status: 'VERIFIED' }]);
    expect(calls).toEqual([id]);
    expect(await ctx.sql.one(`SELECT count(*)::int AS n FROM identity_check WHERE child_id = $1`, [id])).toEqual({ n: 1 });
  });

  it('marks CONFLICT when the registry finds for a child, by name and birth, a number another active child holds verified', async () => {
    const person = { fullName: 'Trịnh Văn Tú', sex: 'MALE' as const, birthDate: '2016-05-09' };
    const [held] = await childrenOf([aRecord({ ...person, identityNumber: '001216000961' })]);
    const [foundling, bystander] = await childrenOf([
      aRecord({ ...person, identityNumber: null, sourceSystem: 'justice-register' }),
      aRecord({ fullName: 'Trịnh Thị Hoa', sex: 'FEMALE', identityNumber: null, sourceSystem: 'justice-register' }),
    ]);
    const verifier = reconcilerWith(async () => ({ kind: 'MATCH', citizen: null }));
    expect(await reconcile(verifier, 'held', [held!, foundling!, bystander!])).toEqual([
      { kind: 'CHECKED', status: 'VERIFIED', recorded: true }, STARTED, STARTED,
    ]);
    // The registry finds the foundling by name and birth: the citizen whose number the other record holds.
    const citizen = { number: '001216000961', familyName: 'Trịnh', middleName: 'Văn', givenName: 'Tú', sex: 'MALE' as const, birthDate: '2016-05-09', birthDatePrecision: 'DAY' as const };
    const registry = {
      lookupCitizen: async (q, _ctx): Promise<CallResult<LookupOutcome>> => ({
        requestId: randomUUID(), latencyMs: 1,
        outcome: q.fullName === person.fullName ? { kind: 'FOUND', citizens: [citizen] } : { kind: 'FOUND', citizens: [{ ...citizen, number: '001316000962', givenName: 'Hoa', middleName: 'Thị', sex: 'FEMALE' }] },
      }),
    } as PopulationDbClient;
    const quota = { acquire: async () => {}, settle: async () => {}, penalize: async () => {} };
    const issuer = new IdentityReconciler(ctx.sql, registry, quota, ctx.config, createLogger({ level: 'silent' }));
    // Found at the first look-up: numbers the registry already held, not issued to these children.
    expect(await issuer.pollIssuance(await pollOf(foundling!, 0), { key: `poll/${foundling}`, enqueuedAt: new Date() })).toEqual({ kind: 'FOUND', recorded: true });
    expect(await issuer.pollIssuance(await pollOf(bystander!, 0), { key: `poll/${bystander}`, enqueuedAt: new Date() })).toEqual({ kind: 'FOUND', recorded: true });
    const rows = await ctx.sql.query<{ id: string; identity_number: string; identity_status: string }>(
      `SELECT id, identity_number, identity_status FROM child WHERE id = ANY($1) ORDER BY id`, [[held, foundling, bystander]]);
    expect(Object.fromEntries(rows.map((r) => [r.id, [r.identity_number, r.identity_status]]))).toEqual({
      [held!]: ['001216000961', 'CONFLICT'],
      [foundling!]: ['001216000961', 'CONFLICT'],
      // A number nobody else holds is simply found and verified.
      [bystander!]: ['001316000962', 'VERIFIED'],
    });
    expect(await ctx.sql.query(`SELECT child_id FROM identity_issuance WHERE child_id = ANY($1)`, [[foundling, bystander]])).toEqual([]);
    expect(await ctx.sql.query(`SELECT step FROM care_event WHERE child_id = ANY($1)`, [[foundling, bystander]])).toEqual([]);
    expect(await ctx.sql.one(`SELECT status FROM identity_check WHERE job_key = $1`, [`poll/${foundling}`])).toEqual({ status: 'CONFLICT' });
  });

  it('makes a number the registry finds current in the history when a source gave it once and dropped it', async () => {
    const person = { fullName: 'Đinh Thị Mai', sex: 'FEMALE' as const, birthDate: '2017-02-11' };
    const [child] = await childrenOf([aRecord({ ...person, identityNumber: '001317000971', sourceSystem: 'justice-register' })]);
    // The register drops the number: no source gives it any more, so the golden stage supersedes it.
    await ctx.sql.query(`UPDATE source_record SET identity_number = NULL WHERE child_id = $1`, [child]);
    await ctx.goldenRecords.recompute([child!]);
    const history = () => ctx.sql.query(`SELECT number, status, superseded_at IS NULL AS current FROM identity_number WHERE child_id = $1`, [child]);
    expect(await history()).toEqual([{ number: '001317000971', status: 'SUPERSEDED', current: false }]);
    expect(await reconcile(reconcilerWith(async () => ({ kind: 'MATCH', citizen: null })), 'dropped', [child!])).toEqual([STARTED]);
    // The registry finds the child by name and birth, with that number: verified, and no longer superseded.
    const citizen = { number: '001317000971', familyName: 'Đinh', middleName: 'Thị', givenName: 'Mai', sex: 'FEMALE' as const, birthDate: '2017-02-11', birthDatePrecision: 'DAY' as const };
    const registry = {
      lookupCitizen: async (): Promise<CallResult<LookupOutcome>> => ({ requestId: randomUUID(), latencyMs: 1, outcome: { kind: 'FOUND', citizens: [citizen] } }),
    } as unknown as PopulationDbClient;
    const quota = { acquire: async () => {}, settle: async () => {}, penalize: async () => {} };
    const issuer = new IdentityReconciler(ctx.sql, registry, quota, ctx.config, createLogger({ level: 'silent' }));
    expect(await issuer.pollIssuance(await pollOf(child!, 0), { key: `poll/${child}`, enqueuedAt: new Date() })).toEqual({ kind: 'FOUND', recorded: true });
    expect(await history()).toEqual([{ number: '001317000971', status: 'VERIFIED', current: true }]);
  });

  it('keeps the number the registry issued across rebuilds when a source gave it once and dropped it, issued or verified since', async () => {
    // Through the stages: ingest, golden record, reconciliation, issuance, and the golden record again.
    const person = { fullName: 'Đinh Thị Ngọc', sex: 'FEMALE' as const, birthDate: '2017-03-21', sourceSystem: 'justice-register' as const, groups: [{ clause: 'b' as const }] };
    const register = aRecord({ ...person, identityNumber: '001317000981' });
    const [child] = await childrenOf([register]);
    // The register drops the number (a re-sent record): the golden stage supersedes it, and issuance starts.
    expect(await childrenOf([{ ...register, identityNumber: null }])).toEqual([child]);
    const verifier = reconcilerWith(async () => ({ kind: 'MATCH', citizen: null }));
    expect(await reconcile(verifier, 'dropped-then-issued', [child!])).toEqual([STARTED]);
    const citizen = { number: '001317000981', familyName: 'Đinh', middleName: 'Thị', givenName: 'Ngọc', sex: 'FEMALE' as const, birthDate: '2017-03-21', birthDatePrecision: 'DAY' as const };
    // The registry knows nobody by that name and birth at first, then has the number: issued while the hub waited.
    let issuedYet = false;
    const registry = {
      lookupCitizen: async (): Promise<CallResult<LookupOutcome>> => ({
        requestId: randomUUID(), latencyMs: 1, outcome: issuedYet ? { kind: 'FOUND', citizens: [citizen] } : { kind: 'NOT_FOUND' },
      }),
    } as unknown as PopulationDbClient;
    const quota = { acquire: async () => {}, settle: async () => {}, penalize: async () => {} };
    const issuer = new IdentityReconciler(ctx.sql, registry, quota, ctx.config, createLogger({ level: 'silent' }));
    expect(await issuer.pollIssuance(await pollOf(child!, 0), { key: `poll/${child}/0`, enqueuedAt: new Date() })).toMatchObject({ kind: 'WAITING' });
    issuedYet = true;
    expect(await issuer.pollIssuance(await pollOf(child!, 1), { key: `poll/${child}/1`, enqueuedAt: new Date() })).toEqual({ kind: 'ISSUED', recorded: true });
    const identity = () => ctx.sql.one<{ identity_number: string | null; identity_status: string; version: number }>(
      'SELECT identity_number, identity_status, version FROM child WHERE id = $1', [child]);
    const issued = await identity();
    expect(issued).toMatchObject({ identity_number: '001317000981', identity_status: 'ISSUED' });
    // The history row is still the one the register's record wrote, now the registry's.
    expect(await ctx.sql.query(`SELECT number, status, source_record_id IS NOT NULL AS from_source FROM identity_number WHERE child_id = $1`, [child]))
      .toEqual([{ number: '001317000981', status: 'VERIFIED', from_source: true }]);

    // The next rebuild keeps the issued number: nothing changes, nothing to ask the registry.
    const outboxMark = async () => (await ctx.sql.one<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM outbox`))!.id;
    let mark = await outboxMark();
    expect(await ctx.goldenRecords.recompute([child!])).toEqual({ changed: [], unchanged: [child], skipped: [] });
    expect(await identity()).toEqual(issued);
    expect(await ctx.sql.query(`SELECT id FROM outbox WHERE topic = 'identity.reconcile' AND id > $1::bigint`, [mark])).toEqual([]);

    // The register corrects the name: the number is checked again with it, verified (the child still ISSUED: how it got
    // the number), and still kept by a rebuild.
    expect(await childrenOf([{ ...register, identityNumber: null, fullName: 'Đinh Thị Bảo Ngọc' }])).toEqual([child]);
    expect(await identity()).toMatchObject({ identity_number: '001317000981', identity_status: 'ISSUED' });
    expect(await reconcile(verifier, 'renamed-after-issuance', [child!])).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    mark = await outboxMark();
    expect(await ctx.goldenRecords.recompute([child!])).toEqual({ changed: [], unchanged: [child], skipped: [] });
    expect(await identity()).toMatchObject({ identity_number: '001317000981', identity_status: 'ISSUED' });
    expect(await ctx.sql.query(`SELECT id FROM outbox WHERE topic = 'identity.reconcile' AND id > $1::bigint`, [mark])).toEqual([]);
  });

  it('keeps the number the registry verified when its source drops it: no issuance, no new check; a source giving another number still wins', async () => {
    // Through the stages: ingest, golden record, reconciliation, and the golden record again on each re-sent record.
    const register = aRecord({ fullName: 'Trần Thị Lan', sex: 'FEMALE', birthDate: '2017-04-02', sourceSystem: 'justice-register', identityNumber: '001317000991' });
    const [child] = await childrenOf([register]);
    const calls: string[] = [];
    const verifier = reconcilerWith(async () => ({ kind: 'MATCH', citizen: null }), calls);
    expect(await reconcile(verifier, 'verify-before-drop', [child!])).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    expect(calls).toEqual([child]);

    const identity = () => ctx.sql.one<{ identity_number: string | null; identity_status: string }>(
      'SELECT identity_number, identity_status FROM child WHERE id = $1', [child]);
    const history = () => ctx.sql.query(`SELECT number, status FROM identity_number WHERE child_id = $1 ORDER BY number`, [child]);
    const outboxMark = async () => (await ctx.sql.one<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM outbox`))!.id;
    const reconcileQueuedSince = (mark: string) =>
      ctx.sql.query(`SELECT id FROM outbox WHERE topic = 'identity.reconcile' AND id > $1::bigint`, [mark]);
    const issuanceOf = async () => ({
      requests: await ctx.sql.query(`SELECT child_id FROM identity_issuance WHERE child_id = $1`, [child]),
      events: await ctx.sql.query(`SELECT step FROM care_event WHERE child_id = $1`, [child]),
    });

    // The register's next export leaves the number empty: the child keeps it, VERIFIED; nothing is queued for
    // reconciliation, so no issuance starts and the registry is not asked again.
    let mark = await outboxMark();
    expect(await childrenOf([{ ...register, identityNumber: null }])).toEqual([child]);
    expect(await identity()).toEqual({ identity_number: '001317000991', identity_status: 'VERIFIED' });
    expect(await history()).toEqual([{ number: '001317000991', status: 'VERIFIED' }]);
    expect(await reconcileQueuedSince(mark)).toEqual([]);
    expect(await issuanceOf()).toEqual({ requests: [], events: [] });
    // A further rebuild changes nothing.
    expect(await ctx.goldenRecords.recompute([child!])).toEqual({ changed: [], unchanged: [child], skipped: [] });

    // The register gives another number: it wins, and it is checked.
    mark = await outboxMark();
    expect(await childrenOf([{ ...register, identityNumber: '001317000992' }])).toEqual([child]);
    expect(await identity()).toEqual({ identity_number: '001317000992', identity_status: 'UNVERIFIED' });
    expect(await reconcileQueuedSince(mark)).toHaveLength(1);
    expect(await reconcile(verifier, 'verify-other-number', [child!])).toEqual([{ kind: 'CHECKED', status: 'VERIFIED', recorded: true }]);
    expect(calls).toEqual([child, child]);

    // Dropped in turn: the number verified most recently is the one kept, still without issuance.
    mark = await outboxMark();
    expect(await childrenOf([{ ...register, identityNumber: null }])).toEqual([child]);
    expect(await identity()).toEqual({ identity_number: '001317000992', identity_status: 'VERIFIED' });
    expect(await history()).toEqual([{ number: '001317000991', status: 'VERIFIED' }, { number: '001317000992', status: 'VERIFIED' }]);
    expect(await reconcileQueuedSince(mark)).toEqual([]);
    expect(await issuanceOf()).toEqual({ requests: [], events: [] });
  });

  it('decides impossible numbers without a call, opens issuance once for children without one, and skips unknown ids', async () => {
    const [bad, none] = await childrenOf([
      aRecord({ identityNumber: '999315000123', fullName: 'Vũ Thị Hoa' }),
      aRecord({ identityNumber: null, fullName: 'Vũ Văn Nam', sex: 'MALE' }),
    ]);
    const calls: string[] = [];
    const reconciler = reconcilerWith(async () => ({ kind: 'MATCH', citizen: null }), calls);
    const missing = newId('child');
    expect(await reconcile(reconciler, 'mixed-1', [bad!, none!, missing])).toEqual([
      { kind: 'CHECKED', status: 'NOT_FOUND', recorded: true },
      STARTED,
      { kind: 'SKIPPED' },
    ]);
    expect(calls).toEqual([]);
    const finding = await ctx.sql.one<{ structural_findings: Array<{ code: string }> }>(
      `SELECT structural_findings FROM identity_check WHERE job_key = $1`, [`mixed-1/${bad}`]);
    expect(finding?.structural_findings.map((f) => f.code)).toEqual(['UNKNOWN_PROVINCE_PREFIX']);
    expect(await statusOf(none!)).toBe('PENDING_ISSUANCE');
    expect(await reconcile(reconciler, 'mixed-2', [none!])).toEqual([{ kind: 'ISSUANCE_ALREADY_RUNNING', issuanceId: expect.stringMatching(/^iss_/) }]);
    expect(await ctx.sql.one(`SELECT count(*)::int AS n FROM identity_issuance WHERE child_id = $1`, [none])).toEqual({ n: 1 });
  });

  it('reconciles through the LGSP transport (POPULATION_DB_TRANSPORT=lgsp) without changing callers', async () => {
    const lgspCtx = await createTestAppContext(env, {
      POPULATION_DB_TRANSPORT: 'lgsp',
      POPULATION_DB_URL: sim.lgsp.url,
      POPULATION_DB_TOKEN_URL: sim.lgsp.tokenUrl,
      POPULATION_DB_CLIENT_ID: SIM_CREDENTIALS.username,
      POPULATION_DB_CLIENT_SECRET: SIM_CREDENTIALS.secret,
      POPULATION_DB_QUOTA: '200',
    });
    try {
      const [good, renamed] = truthChildren((c) => !c.abandoned && c.identityNumber !== null && c.index > 900, 2);
      const ids = await childrenOf([recordOf(good!, 'LGSP'), recordOf(renamed!, 'LGSP', { fullName: `${renamed!.familyName} Văn Khác` })]);
      const counts = await identityReconcileProcessor(lgspCtx)(jobOf('lgsp-1', ids));
      expect(counts).toEqual({ VERIFIED: 1, MISMATCH: 1 });
      expect(await ctx.sql.query(`SELECT transport, operation, outcome FROM registry_call WHERE child_id = ANY($1) ORDER BY outcome`, [ids])).toEqual([
        { transport: 'lgsp', operation: 'XacThucThongTinCongDan', outcome: 'MATCH' },
        { transport: 'lgsp', operation: 'XacThucThongTinCongDan', outcome: 'MISMATCH' },
      ]);
    } finally {
      await lgspCtx.close();
    }
  });
});

