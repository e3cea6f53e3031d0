import { hash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { IdentityStatus } from '../../db/entities/child.entity.js';
import { newId } from '../../db/ids.js';
import type { Sql } from '../../db/sql.js';
import { checkIdentityNumber } from '../../domain/identity-number.js';
import { RateLimitedError } from '../../errors/index.js';
import { admitRepeated } from '../../observability/log-throttle.js';
import { RegistryConfigurationError } from '../../population-db/registry-errors.js';
import type { CallContext, PersonQuery, PopulationDbClient } from '../../population-db/population-db.client.js';
import { MARK_CHANGED, markChangedWhen } from '../changes/child-changes.js';
import { OUTBOX_TOPICS, writeOutbox } from '../outbox/outbox.writer.js';
import { ISSUANCE_WAITS } from '../../db/issuance-waits.js';
import { answerRequests, OPEN_REQUEST_JOIN, openRequestContext, type OpenRequestRow } from './identity-request.js';
import { conflictsOver, HOLDING_STATUSES_SQL } from './conflicts-over.js';
import { rejectedDigests, type RejectedDigests } from './rejected-values.js';

/** Waits for a slot of the registry's quota, shared by every worker process. */
export interface QuotaGate<P = unknown> {
  acquire(signal?: AbortSignal): Promise<P>;
  /** The call made with `permit` has ended: it counts against the quota until now. */
  settle(permit: P): Promise<void>;
  penalize(ms: number): Promise<void>;
}

export interface JobRef {
  /** Unique per job (not per attempt): a re-run after a crash records nothing twice. */
  key: string;
  enqueuedAt: Date;
  signal?: AbortSignal;
}

/** One child of an `identity-reconcile` job. */
export interface ReconcileItem {
  childId: string;
  /** Unique per job and child (not per attempt): a re-run after a crash records nothing twice. */
  key: string;
}

/** The job a batch of reconciliations belongs to. */
export interface ReconcileJob {
  enqueuedAt: Date;
  signal?: AbortSignal;
}

/** The calls of one job: its abort signal, and the refusal of the worker's setup one of them met, if any. */
interface CallScope {
  signal?: AbortSignal;
  setupRefused?: unknown;
}

export type ReconcileOutcome =
  | { kind: 'CHECKED'; status: IdentityStatus; recorded: boolean }
  /**
   * The child has no number: its issuance request, opened (or reopened) by this job, or already running. `issuanceId`
   * names the request its polls belong to; null for a request opened before requests had ids.
   */
  | { kind: 'ISSUANCE_STARTED' | 'ISSUANCE_ALREADY_RUNNING'; issuanceId: string | null }
  | { kind: 'ALREADY_RECORDED' | 'SKIPPED' | 'INSUFFICIENT_DATA' }
  /** Checked with the same inputs after this job was enqueued (by another job): that check answers it, no call made. */
  | { kind: 'ALREADY_CHECKED'; status: IdentityStatus }
  /** The registry call failed (after the rate-limit retries): nothing recorded for this child; retry the job. */
  | { kind: 'FAILED'; error: unknown };

/** One poll of an issuance request. */
export interface IssuancePoll {
  childId: string;
  /** The request polled; null for a request opened before requests had ids (its polls carry none). */
  issuanceId: string | null;
  /** 0 for the request's first poll; the wait before the next grows with it. */
  poll: number;
}

export type IssuanceOutcome =
  /** The registry issued the number while the request was open (an abandoned child): ISSUED, a NUMBER_ISSUED care event. */
  | { kind: 'ISSUED'; recorded: boolean }
  /** The registry already held a number for the child: recorded as found and verified, the request closed. */
  | { kind: 'FOUND'; recorded: boolean }
  | { kind: 'WAITING'; nextPollInMs: number; overdue: boolean }
  | { kind: 'DONE' };

interface ChildIdentityRow {
  id: string;
  status: string;
  full_name: string | null;
  birth_date: string | null;
  birth_date_precision: 'DAY' | 'MONTH' | 'YEAR' | null;
  birth_year: number | null;
  sex: 'MALE' | 'FEMALE' | null;
  identity_number: string | null;
  identity_status: IdentityStatus;
  /**
   * Found abandoned: in group b now, or once ({@link FOUND_ABANDONED}). An adoption ends group b, and
   * `group_clauses` holds only open groups, but an adopted foundling's registered birth data is still the date
   * found and the number the registry gives them is still one issued after they were found.
   */
  found_abandoned: boolean;
}

/** SQL of {@link ChildIdentityRow.found_abandoned} for the child `c`: group b open now, or recorded once. */
const FOUND_ABANDONED = `(c.group_clauses @> '{b}' OR EXISTS (SELECT 1 FROM special_circumstance s WHERE s.child_id = c.id AND s.clause = 'b'))`;

/** What the reconciler reads of a child: its identity data and its last recorded check. */
interface ReconcileRow extends ChildIdentityRow {
  identity_checked_at: Date | null;
  identity_checked_inputs: string | null;
}

/** A verification result waiting to be recorded. */
interface PendingCheck {
  index: number;
  childId: string;
  key: string;
  number: string;
  /** {@link checkInputs} of what was asked. */
  inputs: string;
  /** What the registry (or the structure) said, before conflict detection. */
  status: IdentityStatus;
  mismatched: string[];
  /** Digests of the values sent that the registry refused (a MISMATCH): survivorship then tries another source's. */
  rejected: RejectedDigests | null;
  findings: unknown[];
  requestId: string | null;
}

/**
 * SQL, in the recording of a check `cur` for the child `c`: the child's status after it. A number the registry issued
 * the child (ISSUED: an abandoned child's, seen to appear) stays ISSUED when a later check verifies it: the status tells
 * how the child got the number, which a re-check does not change (QA: the re-check after IDENTITY_REVERIFY_DAYS, or
 * any a source's change caused, turned it VERIFIED, and `identityStatus: ISSUED` no longer found the child), also after
 * a CONFLICT or MISMATCH in between (the issuance request names the number it issued: QA re-check).
 */
const STATUS_KEPT = `(CASE WHEN cur.status = 'VERIFIED' AND (c.identity_status = 'ISSUED'
    OR EXISTS (SELECT 1 FROM identity_issuance i WHERE i.child_id = c.id AND i.issued_number = cur.number)) THEN 'ISSUED' ELSE cur.status END)`;

/** SQL, in the upsert of an issuance request `i`: the request was answered (a number issued): a new one starts. */
const RENEW = `i.issued_at IS NOT NULL`;
/**
 * SQL, in the upsert of an issuance request `i`: it gets a new id (and poll chain): answered, or the child no
 * longer waits for it (a number given since stopped its polls; the statement's snapshot, before this job marks
 * the child PENDING_ISSUANCE).
 */
const REOPEN = `(i.issued_at IS NOT NULL OR (SELECT c.identity_status FROM child c WHERE c.id = i.child_id) <> 'PENDING_ISSUANCE')`;

/**
 * How long past its due time (`next_poll_at`, or `requested_at` before the first poll) a request's next poll may
 * be before the sweep takes its poll chain for dead and restarts it. A live poll is late by its retries (8
 * attempts, minutes of backoff) and by the queue's backlog within the registry quota; an hour is many times
 * that. A chain restarted although alive costs little: its next poll finds the request under another id and
 * does nothing (no registry call), so a request never has two polling chains.
 */
export const STALLED_POLL_MARGIN_MS = 60 * 60 * 1000;

/** What a sweep did. */
export interface SweepResult {
  /** Children sent to reconciliation (through the outbox). */
  enqueued: number;
  /** Requests newly flagged overdue. */
  overdue: number;
  /** Requests whose dead poll chain was restarted: each needs its {@link SweepResult.polls} poll added. */
  restarted: number;
  /** The first poll of each restarted chain, for the caller to add (ids only). */
  polls: Array<IssuancePoll & { issuanceId: string }>;
}

/** Advisory-lock key space of reconciliation's number locks (ingest's linking uses 7). */
const NUMBER_LOCK_SEED = 11;

const MAX_RATE_LIMIT_RETRIES = 5;

/**
 * Reconciles children's personal identification numbers with the national population database, and keeps
 * abandoned children's (and any child's) missing numbers moving until one is issued. Structural checks are
 * evidence, never corrections; every result is recorded once per job (`identity_check.job_key`).
 */
export class IdentityReconciler {
  constructor(
    private readonly sql: Sql,
    private readonly registry: PopulationDbClient,
    private readonly quota: QuotaGate,
    private readonly config: Pick<Config, 'ISSUANCE_OVERDUE_DAYS' | 'ISSUANCE_POLL_INITIAL_MS' | 'ISSUANCE_POLL_MAX_MS' | 'POPULATION_DB_OFFICER_ID' | 'POPULATION_DB_OFFICER_NAME' | 'POPULATION_DB_UNIT' | 'POPULATION_DB_PURPOSE'>,
    private readonly logger: Logger,
  ) {}

  /**
   * Verifies the current numbers of a job's children, or starts issuance for those without one. Set-based:
   * one statement reads the children and what the job already recorded; the registry calls then go out
   * concurrently, each in its own quota slot (a slow answer does not hold back the next call), each preceded,
   * once its slot has come, by a one-row read of whether another job has recorded the same check meanwhile
   * (then `ALREADY_CHECKED`, no call); and one transaction records every result at once. A child whose call failed gets `FAILED` and nothing recorded
   * while the others' results are kept, so a retry of the job only asks about the failed ones.
   * Outcomes are in the order of `items`; child ids must be distinct.
   */
  async reconcile(items: readonly ReconcileItem[], job: ReconcileJob): Promise<ReconcileOutcome[]> {
    const outcomes: ReconcileOutcome[] = new Array<ReconcileOutcome>(items.length);
    const rows = await this.sql.query<ReconcileRow & OpenRequestRow & { item: number; recorded: boolean; recorded_call: boolean } & Record<string, unknown>>(
      `SELECT j.item::int AS item, ic.job_key IS NOT NULL AS recorded, ic.request_id IS NOT NULL AS recorded_call, c.id, c.status, c.full_name, c.birth_date,
              c.birth_date_precision, c.birth_year, c.sex, c.identity_number, c.identity_status,
              ${FOUND_ABANDONED} AS found_abandoned,
              c.identity_checked_at, c.identity_checked_inputs, req.*
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS j(child_id, job_key, item)
         LEFT JOIN child c ON c.id = j.child_id
         ${OPEN_REQUEST_JOIN}
         LEFT JOIN identity_check ic ON ic.job_key = j.job_key`,
      [items.map((i) => i.childId), items.map((i) => i.key)]);

    const checks: PendingCheck[] = [];
    const numberless: number[] = [];
    const calls: Array<Promise<void>> = [];
    /** The open request (an officer's) each child's call is made for, by item; and the items whose registry call was made. */
    const requests = new Map<number, string>();
    const called = new Set<number>();
    /** This job's calls: one refusal of the worker's setup stops those not sent yet ({@link call}). */
    const scope: CallScope = { signal: job.signal };
    for (const row of rows) {
      const index = row.item - 1;
      const item = items[index]!;
      const requested = openRequestContext(row);
      if (requested) requests.set(index, requested.caseRef);
      // A job resumed after a crash, or retried: this child's result is recorded, no quota spent on it. Its call, if the
      // recorded result was the registry's answer, was made for the request open then: it answers it (QA: NO_CALL).
      if (row.recorded) {
        outcomes[index] = { kind: 'ALREADY_RECORDED' };
        if (row.recorded_call) called.add(index);
      }
      else if (!row.id || row.status !== 'ACTIVE') outcomes[index] = { kind: 'SKIPPED' };
      else if (!row.identity_number) numberless.push(index);
      else {
        const child = row;
        const number: string = row.identity_number;
        const abandoned = child.found_abandoned === true;
        const inputs = checkInputs(child, number, abandoned);
        const structure = checkIdentityNumber(number, { sex: child.sex ?? undefined, birthYear: child.birth_year ?? undefined, abandoned });
        const check = { index, childId: item.childId, key: item.key, number, inputs, findings: structure.findings };
        if (child.identity_checked_inputs === inputs && child.identity_checked_at !== null && child.identity_checked_at >= job.enqueuedAt) {
          // Another job checked exactly this since this one was enqueued (the golden stage asks again on each
          // recompute of an unverified child): its answer stands, and the registry's quota is spent once.
          outcomes[index] = { kind: 'ALREADY_CHECKED', status: child.identity_status };
        } else if (!structure.wellFormed) {
          // A number that cannot exist is not sent: the structural findings are the evidence.
          checks.push({ ...check, status: 'NOT_FOUND', mismatched: [], rejected: null, requestId: null });
        } else if (!child.full_name || !child.birth_date) {
          outcomes[index] = { kind: 'INSUFFICIENT_DATA' };
        } else {
          calls.push(this.call(scope, async () => {
            // Asked again just before the call, after the quota wait (seconds when the queue is long): another job
            // about the same child (another source touched it) may have recorded this very question meanwhile.
            const answered = await this.checkedSince(child.id, inputs, job.enqueuedAt);
            if (answered) return { kind: 'ANSWERED' as const, status: answered };
            called.add(index);
            return { kind: 'CALLED' as const, result: await this.registry.verifyCitizen({ number, fullName: child.full_name!, birth: birthOf(child) }, this.callContext(child.id, requested)) };
          }).then(
            (call) => {
              if (call.kind === 'ANSWERED') {
                outcomes[index] = { kind: 'ALREADY_CHECKED', status: call.status };
                return;
              }
              const result = call.result;
              const o = result.outcome;
              let status: IdentityStatus = 'NOT_FOUND';
              let mismatched: string[] = [];
              if (o.kind === 'MATCH') status = 'VERIFIED';
              else if (o.kind === 'MISMATCH') {
                // Abandoned children's registered birth data is the date and place found: not evidence against them.
                mismatched = abandoned ? o.fields.filter((f) => f !== 'NgayThangNamSinh' && f !== 'GioiTinh') : o.fields;
                status = mismatched.length ? 'MISMATCH' : 'VERIFIED';
              }
              const rejected = status === 'MISMATCH'
                ? rejectedDigests(mismatched, { fullName: child.full_name, birthDate: child.birth_date, birthDatePrecision: child.birth_date_precision })
                : null;
              checks.push({ ...check, status, mismatched, rejected, requestId: result.requestId });
            },
            (error: unknown) => {
              outcomes[index] = { kind: 'FAILED', error };
            },
          ));
        }
      }
    }
    await Promise.all(calls);
    if (checks.length || numberless.length) {
      // A child without a number whose check an officer asked for is polled now, its chain restarted (QA: a chain that
      // had died in an outage could not be restarted on demand: ISSUANCE_ALREADY_RUNNING, and nothing was polled).
      const asked = numberless.filter((i) => requests.has(i)).map((i) => items[i]!.childId);
      const recorded = await this.record(checks, numberless.map((i) => items[i]!.childId), job, asked);
      for (const c of checks) outcomes[c.index] = { kind: 'CHECKED', status: recorded.statuses.get(c.childId) ?? c.status, recorded: recorded.checked.has(c.childId) };
      for (const i of numberless) {
        const request = recorded.issuance.get(items[i]!.childId);
        outcomes[i] = { kind: request?.opened ? 'ISSUANCE_STARTED' : 'ISSUANCE_ALREADY_RUNNING', issuanceId: request?.issuanceId ?? null };
      }
    }
    // Officers' requests this job answered. A failed call's stays open for the job's retry (the worker closes it FAILED
    // if the job fails for good); a child without a number's stays open for the poll just queued, which asks the
    // registry in the officer's name and answers it (requests made meanwhile join it: QA, ten at once made five polls).
    await answerRequests(this.sql, [...requests].flatMap(([index, requestId]) => {
      const o = outcomes[index]!;
      if (o.kind === 'FAILED' || o.kind === 'ISSUANCE_STARTED' || o.kind === 'ISSUANCE_ALREADY_RUNNING') return [];
      return [{ requestId, answer: called.has(index) && (o.kind === 'CHECKED' || o.kind === 'ALREADY_RECORDED') ? 'CALLED' : 'NO_CALL' } as const];
    }));
    return outcomes;
  }

  /**
   * Records a job's verification results and opens issuance requests in one transaction: a result is
   * recorded once per job key (`ON CONFLICT DO NOTHING`), and the child's status, its number's history
   * and any conflicting child change only with a result recorded by this transaction.
   *
   * Conflict detection: a VERIFIED number that another active child also holds verified makes both
   * CONFLICT. Transactions verifying the same number are serialised by an advisory lock on the number,
   * taken before the look-up, so two jobs verifying duplicates at the same moment still see each other.
   * Issuance: a child without a number gets a request unless one is running. A request is running while it
   * has no number issued and the child still waits for it (PENDING_ISSUANCE). Otherwise the request is
   * reopened under a new issuance id, so that its polls are new jobs with job keys of their own, and any poll
   * still queued for the earlier one finds it gone and does nothing: after an issued number (a new request,
   * with its own due date), or after a number given meanwhile stopped the polls and was dropped again (the
   * same wait goes on: requested and due dates, polls and overdue flag kept).
   *
   * Returns the final status per child (CONFLICT included), the children whose result was recorded here,
   * and per child without a number its request's id and whether this transaction opened it.
   */
  private async record(checks: PendingCheck[], numberless: string[], job: ReconcileJob, asked: string[] = []) {
    const reopen = `(${REOPEN} OR i.child_id = ANY($17::text[]))`;
    const statuses = new Map<string, IdentityStatus>();
    return this.sql.tx(async (client) => {
      const verifiedNumbers = [...new Set(checks.filter((c) => c.status === 'VERIFIED').map((c) => c.number))].sort();
      if (verifiedNumbers.length) {
        await client.query(`SELECT pg_advisory_xact_lock(hashtextextended(n, ${NUMBER_LOCK_SEED})) FROM unnest($1::text[]) AS n ORDER BY n`, [verifiedNumbers]);
      }
      const current = new Set<string>();
      const othersOf = new Map<string, string[]>();
      if (checks.length || numberless.length) {
        // Row locks in id order (jobs touching the same children cannot deadlock); the numbers as they are
        // now; for verified children, the other active children already verified with the same number.
        // Children without a number are locked here too, before their issuance rows below: a poll locks the
        // child before its request, in the same order.
        const locked = await client.query<{ id: string; identity_number: string | null; others: string[] }>(
          `SELECT c.id, c.identity_number,
                  CASE WHEN c.id = ANY($2::text[]) THEN ARRAY(
                    SELECT o.id FROM child o
                     WHERE o.identity_number = c.identity_number AND o.id <> c.id AND o.status = 'ACTIVE'
                       AND o.identity_status IN ${HOLDING_STATUSES_SQL} ORDER BY o.id)
                  ELSE '{}'::text[] END AS others
             FROM child c WHERE c.id = ANY($1::text[]) ORDER BY c.id FOR UPDATE OF c`,
          [[...checks.map((c) => c.childId), ...numberless], checks.filter((c) => c.status === 'VERIFIED').map((c) => c.childId)]);
        const checkOf = new Map(checks.map((c) => [c.childId, c]));
        for (const row of locked.rows) {
          // A number that changed while we asked is reconciled by the job its change enqueued.
          if (row.identity_number === checkOf.get(row.id)?.number) current.add(row.id);
          othersOf.set(row.id, row.others);
        }
      }
      // Children this transaction writes take their status from their own result, not from a neighbour's.
      const writing = new Set([...checks.map((c) => c.childId), ...numberless]);
      const verifiedHere = checks.filter((c) => c.status === 'VERIFIED' && current.has(c.childId));
      const conflictPairs: Array<[string, string]> = [];
      for (const c of checks) {
        let status = c.status;
        if (c.status === 'VERIFIED' && current.has(c.childId)) {
          const outside = (othersOf.get(c.childId) ?? []).filter((id) => !writing.has(id));
          const peers = verifiedHere.filter((p) => p.number === c.number && p.childId !== c.childId);
          if (outside.length || peers.length) status = 'CONFLICT';
          for (const other of outside) conflictPairs.push([c.childId, other]);
        }
        statuses.set(c.childId, status);
      }

      // A request id per child without a number: the one its request gets if this transaction opens it.
      const newIds = new Map(numberless.map((id) => [id, newId('issuanceRequest')]));
      const res = await client.query<{ what: 'checked' | 'issuance'; child_id: string; issuance_id: string | null }>(
        `WITH r AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[], $8::boolean[], $14::text[], $16::jsonb[])
             AS r(child_id, job_key, number, status, mismatched, findings, request_id, current, inputs, rejected)
         ), recorded AS (
           INSERT INTO identity_check (child_id, job_key, kind, number, status, mismatched_fields, structural_findings, request_id, enqueued_at, rejected)
           SELECT child_id, job_key, 'RECONCILE', number, status, mismatched::text[], findings, request_id, $9, rejected FROM r
           ON CONFLICT (job_key) DO NOTHING
           RETURNING child_id
         ), cur AS (
           SELECT r.* FROM r JOIN recorded USING (child_id) WHERE r.current
         ), child_status AS (
           UPDATE child c SET identity_status = ${STATUS_KEPT}, identity_mismatched_fields = cur.mismatched::text[], identity_checked_at = now(),
                  identity_checked_inputs = cur.inputs,
                  -- A re-check finding what the last one found moves only its times: no change for the feed. A number
                  -- confirmed (number_status, below: this statement's reads see it still GIVEN) is one.
                  ${markChangedWhen('c', `c.identity_status IS DISTINCT FROM ${STATUS_KEPT} OR c.identity_mismatched_fields IS DISTINCT FROM cur.mismatched::text[]
                    OR (cur.status IN ('VERIFIED', 'CONFLICT') AND EXISTS (
                      SELECT 1 FROM identity_number n WHERE n.child_id = c.id AND n.number = cur.number AND n.status = 'GIVEN'))`)},
                  identity_verified_at = CASE WHEN cur.status IN ('VERIFIED', 'CONFLICT') THEN now() ELSE c.identity_verified_at END
             FROM cur WHERE c.id = cur.child_id
         ), number_status AS (
           UPDATE identity_number n SET status = 'VERIFIED', verified_at = now()
             FROM cur WHERE cur.status IN ('VERIFIED', 'CONFLICT') AND n.child_id = cur.child_id AND n.number = cur.number AND n.status = 'GIVEN'
         ), conflicting AS (
           UPDATE child c SET identity_status = 'CONFLICT', ${markChangedWhen('c', "c.identity_status IS DISTINCT FROM 'CONFLICT'")}
             FROM unnest($10::text[], $11::text[]) AS p(child_id, other_id)
            WHERE c.id = p.other_id AND p.child_id IN (SELECT child_id FROM cur)
         ), opened AS (
           -- Every row is returned, opened or kept: a kept one names the running request by its own id.
           INSERT INTO identity_issuance AS i (child_id, issuance_id, due_at)
           SELECT n.id, n.issuance_id, now() + make_interval(days => $13::int) FROM unnest($12::text[], $15::text[]) AS n(id, issuance_id)
           ON CONFLICT (child_id) DO UPDATE SET
             issuance_id = CASE WHEN ${reopen} THEN EXCLUDED.issuance_id ELSE i.issuance_id END,
             requested_at = CASE WHEN ${RENEW} THEN now() ELSE i.requested_at END,
             due_at = CASE WHEN ${RENEW} THEN EXCLUDED.due_at ELSE i.due_at END,
             polls = CASE WHEN ${RENEW} THEN 0 ELSE i.polls END,
             last_polled_at = CASE WHEN ${RENEW} THEN NULL ELSE i.last_polled_at END,
             -- A reopened request's first poll (re-)added by this job is due now: the sweep's stall check reads this.
             next_poll_at = CASE WHEN ${reopen} THEN now() ELSE i.next_poll_at END,
             overdue_at = CASE WHEN ${RENEW} THEN NULL ELSE i.overdue_at END,
             issued_number = CASE WHEN ${RENEW} THEN NULL ELSE i.issued_number END,
             issued_at = CASE WHEN ${RENEW} THEN NULL ELSE i.issued_at END
           RETURNING i.child_id, i.issuance_id
         ), pending AS (
           UPDATE child c SET identity_status = 'PENDING_ISSUANCE', ${markChangedWhen('c', "c.identity_status IS DISTINCT FROM 'PENDING_ISSUANCE'")}
            WHERE id = ANY($12::text[]) AND identity_number IS NULL
         )
         SELECT 'checked' AS what, child_id, NULL AS issuance_id FROM recorded
         UNION ALL SELECT 'issuance', child_id, issuance_id FROM opened`,
        [
          checks.map((c) => c.childId),
          checks.map((c) => c.key),
          checks.map((c) => c.number),
          checks.map((c) => statuses.get(c.childId)!),
          checks.map((c) => pgTextArray(c.mismatched)),
          checks.map((c) => JSON.stringify(c.findings)),
          checks.map((c) => c.requestId),
          checks.map((c) => current.has(c.childId)),
          job.enqueuedAt,
          conflictPairs.map((p) => p[0]),
          conflictPairs.map((p) => p[1]),
          numberless,
          this.config.ISSUANCE_OVERDUE_DAYS,
          checks.map((c) => c.inputs),
          numberless.map((id) => newIds.get(id)!),
          checks.map((c) => (c.rejected ? JSON.stringify(c.rejected) : null)),
          asked,
        ]);
      const checked = new Set(res.rows.filter((r) => r.what === 'checked').map((r) => r.child_id));
      // A holder found not to hold the number may leave another child alone in a conflict over it: checked again.
      const left = [...new Set(checks.filter((c) => checked.has(c.childId) && current.has(c.childId)
        && (statuses.get(c.childId) === 'MISMATCH' || statuses.get(c.childId) === 'NOT_FOUND')).map((c) => c.number))];
      if (left.length) await writeOutbox(client, OUTBOX_TOPICS.identityReconcile, await conflictsOver(client, left));
      // A value refused for the child's current number: its golden record is rebuilt, and another source's value,
      // if one has another, is asked about next (the rebuild enqueues that check).
      const refusedHere = checks.filter((c) => c.rejected && current.has(c.childId) && checked.has(c.childId)).map((c) => c.childId);
      await writeOutbox(client, OUTBOX_TOPICS.goldenRecordRecompute, refusedHere);
      const issuance = new Map<string, { issuanceId: string | null; opened: boolean }>();
      for (const r of res.rows) {
        if (r.what === 'issuance') issuance.set(r.child_id, { issuanceId: r.issuance_id, opened: r.issuance_id !== null && r.issuance_id === newIds.get(r.child_id) });
      }
      return { statuses, checked, issuance };
    });
  }

  /**
   * One issuance poll: looks the child up by registered name and birth data; records the number when the
   * registry has one, otherwise says when to ask again (growing intervals) and flags the request overdue
   * after ISSUANCE_OVERDUE_DAYS.
   *
   * The registry's answer is the same for a number it has held since birth and one it issued a moment ago
   * (`TraCuuThongTinCongDan` returns the citizen; no issuance date, no push). So the hub tells them apart by
   * what it saw itself: a number is recorded as issued (ISSUED, a NUMBER_ISSUED care event in the abandoned-
   * child chain, `identity_issuance.issued_at`) only for a child found abandoned (in group b now, or once: an
   * adoption ends the group, not the wait) whom an earlier look-up of this request found nobody for: the number appeared while the hub waited for it. Any other number found is
   * one the registry already held: recorded as found and verified (VERIFIED, the poll's `identity_check` row
   * VERIFIED), and the request, which had nothing to wait for, is closed by removing it.
   *
   * A poll acts only for its own request (`issuanceId`; null: a request opened before requests had ids): a poll
   * of a request since closed, answered or reopened under another id is `DONE` and records nothing, checked
   * again under the request's row lock before anything is recorded.
   */
  async pollIssuance(target: IssuancePoll, job: JobRef): Promise<IssuanceOutcome> {
    const { childId, issuanceId, poll } = target;
    if (await this.alreadyRecorded(job.key)) return { kind: 'DONE' };
    const child = await this.loadChild(childId);
    // Whether an earlier poll of this request found nobody (recorded NOT_FOUND; a look-up that found several
    // citizens, or none made for want of data, is recorded PENDING_ISSUANCE and says nothing).
    const issuance = await this.sql.one<{ due_at: Date; issued_at: Date | null; overdue_at: Date | null; found_nobody_before: boolean }>(
      `SELECT i.due_at, i.issued_at, i.overdue_at,
              EXISTS (SELECT 1 FROM identity_check k
                       WHERE k.child_id = i.child_id AND k.kind = 'ISSUANCE' AND k.status = 'NOT_FOUND'
                         AND k.checked_at >= i.requested_at) AS found_nobody_before
         FROM identity_issuance i WHERE i.child_id = $1 AND i.issuance_id IS NOT DISTINCT FROM $2`, [childId, issuanceId]);
    if (!child || child.status !== 'ACTIVE' || !issuance || issuance.issued_at) return { kind: 'DONE' };
    // A source has given a number meanwhile: verification takes over.
    if (child.identity_number) return { kind: 'DONE' };

    let found: string | null = null;
    let requestId: string | null = null;
    let nobody = false;
    // An officer's open request for the child (their check restarted this chain): this poll is made in their name.
    const requested = openRequestContext(child);
    if (child.full_name && child.birth_date) {
      const result = await this.call(job, () =>
        this.registry.lookupCitizen({ number: null, fullName: child.full_name!, birth: birthOf(child) }, this.callContext(child.id, requested)));
      if (requested) await answerRequests(this.sql, [{ requestId: requested.caseRef, answer: 'CALLED' }]);
      requestId = result.requestId;
      nobody = result.outcome.kind === 'NOT_FOUND';
      if (result.outcome.kind === 'FOUND') {
        const candidates = result.outcome.citizens.filter((c) => !child.sex || !c.sex || c.sex === child.sex);
        // More than one citizen with the same name and birth: not this hub's guess to make.
        if (candidates.length === 1) found = candidates[0]!.number;
      }
    } else if (requested) {
      // Nothing to look the child up by: the officer's request is answered so (QA second re-check: left open an hour).
      await answerRequests(this.sql, [{ requestId: requested.caseRef, answer: 'NO_CALL' }]);
    }

    const nextPollInMs = Math.min(this.config.ISSUANCE_POLL_MAX_MS, this.config.ISSUANCE_POLL_INITIAL_MS * 2 ** Math.min(poll, 30));
    // Found abandoned now or once: an adoption while the request waited ends group b, not the wait for the number.
    const issued = child.found_abandoned === true && issuance.found_nobody_before;
    return this.sql.tx(async (client) => {
      if (found) {
        // Another active child already holding this number verified (or issued) is a second record of the
        // same citizen: both become CONFLICT, as when a verification finds one. The number's lock orders this
        // with verifications of the same number, as theirs does; rows are locked in id order, as theirs are.
        await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, ${NUMBER_LOCK_SEED}))`, [found]);
        const locked = await client.query<{ id: string }>(
          `SELECT id FROM child
            WHERE id = $2 OR (identity_number = $1 AND status = 'ACTIVE' AND identity_status IN ${HOLDING_STATUSES_SQL})
            ORDER BY id FOR UPDATE`, [found, childId]);
        const others = locked.rows.map((r) => r.id).filter((id) => id !== childId);
        // The request may have been answered, closed or reopened while the registry was asked.
        if (!(await this.lockOpenRequest(client, target))) return { kind: 'DONE' } as const;
        const kind = issued ? 'ISSUED' : 'FOUND';
        const status: IdentityStatus = others.length ? 'CONFLICT' : issued ? 'ISSUED' : 'VERIFIED';
        const recorded = await this.recordCheck(client, { childId, job, kind: 'ISSUANCE', number: found, status, mismatched: [], findings: [], requestId });
        if (!recorded) return { kind, recorded: false } as const;
        // A number a source gave once and then dropped is in the history as SUPERSEDED: found or issued, it is
        // current again. Its row keeps the record that first gave it; VERIFIED with verified_at now, it is the
        // number the golden stage keeps for the child while no source gives one, whichever row holds it.
        await client.query(
          `INSERT INTO identity_number (id, child_id, number, status, verified_at) VALUES ($1, $2, $3, 'VERIFIED', now())
           ON CONFLICT (child_id, number) DO UPDATE SET status = 'VERIFIED', verified_at = now(), superseded_at = NULL`,
          [newId('identityNumber'), childId, found],
        );
        await client.query(
          `UPDATE child SET identity_number = $2, identity_status = $3, identity_verified_at = now(), identity_checked_at = now(),
                  version = version + 1, updated_at = now(), ${MARK_CHANGED} WHERE id = $1`, [childId, found, status]);
        if (others.length) {
          await client.query(
            `UPDATE child c SET identity_status = 'CONFLICT', ${markChangedWhen('c', "c.identity_status IS DISTINCT FROM 'CONFLICT'")} WHERE id = ANY($1::text[])`,
            [others]);
        }
        if (issued) {
          await client.query(`UPDATE identity_issuance SET issued_at = now(), issued_number = $2, polls = polls + 1, last_polled_at = now(), next_poll_at = NULL WHERE child_id = $1`, [childId, found]);
          await client.query(
            `INSERT INTO care_event (id, child_id, step, occurred_at, responsible_unit, details) VALUES ($1, $2, 'NUMBER_ISSUED', now(), $3, '{}')`,
            [newId('careEvent'), childId, this.config.POPULATION_DB_UNIT]);
        } else {
          // Nothing was issued: the request only stood for the hub not knowing the number. Its polls stay in
          // identity_check (this one VERIFIED, or CONFLICT), and a child left without a number later gets a new one.
          await client.query('DELETE FROM identity_issuance WHERE child_id = $1', [childId]);
        }
        return { kind, recorded: true } as const;
      }
      // A poll of a request answered, closed or reopened meanwhile records nothing: its "nobody" would count for the next.
      if (!(await this.lockOpenRequest(client, target))) return { kind: 'DONE' } as const;
      // The child's status stays PENDING_ISSUANCE; the poll says what the registry answered.
      const pollStatus: IdentityStatus = nobody ? 'NOT_FOUND' : 'PENDING_ISSUANCE';
      const recorded = await this.recordCheck(client, { childId, job, kind: 'ISSUANCE', number: null, status: pollStatus, mismatched: [], findings: [], requestId });
      const overdue = Date.now() > issuance.due_at.getTime();
      if (recorded) {
        await client.query(
          `UPDATE identity_issuance SET polls = polls + 1, last_polled_at = now(), next_poll_at = now() + ($2::text || ' milliseconds')::interval,
                  overdue_at = CASE WHEN $3 AND overdue_at IS NULL THEN now() ELSE overdue_at END
            WHERE child_id = $1`,
          [childId, String(nextPollInMs), overdue]);
        if (overdue && !issuance.overdue_at) this.logger.warn({ childId, poll }, 'identity issuance overdue: escalate to the responsible commune');
      }
      return { kind: 'WAITING', nextPollInMs, overdue } as const;
    });
  }

  /**
   * The safety net behind the outbox: finds children whose number was never checked or is due for
   * re-verification, and children without a number who wait for no issuance request, and enqueues them through the
   * outbox; flags issuance requests that passed their due date; restarts the poll chains of requests whose next poll
   * is long overdue ({@link STALLED_POLL_MARGIN_MS}). Returns counts, and the restarted chains' first polls.
   *
   * A poll chain dies when a poll fails for good (attempts used up: the registry refused, or was down for hours)
   * or its job is lost (Redis without persistence): nothing adds the next poll. A dead chain cannot be continued
   * under its own job ids (BullMQ keeps a failed job 30 days and drops an add with its id), so the request gets a
   * new id and its polls start again from poll 0 (`issuance-<new id>-0`), as when reconciliation reopens a request
   * the child still waits for: its dates, polls and overdue flag are kept, and earlier "nobody" answers still
   * count. Any poll of the old chain still queued then finds its request under another id and does nothing, so a
   * request is never polled by two chains. The restart sets `next_poll_at` to now in the same statement, under the
   * row's lock (`SKIP LOCKED`: a poll recording its answer holds it, and the chain is alive), so a second sweep
   * running at once does not restart it again; a crash before the poll is added leaves it to the next sweep after
   * the margin.
   */
  async sweep(reverifyDays: number, limit = 10_000): Promise<SweepResult> {
    return this.sql.tx(async (client) => {
      // Never checked, verified (or issued) long ago, or without a number and not waiting for one: no issuance request, or
      // one answered or stopped by a number since dropped (reconciliation reopens it).
      const due = await client.query<{ id: string }>(
        `SELECT id FROM child c
          WHERE status = 'ACTIVE' AND (
            (identity_number IS NOT NULL AND (identity_checked_at IS NULL
               OR (identity_status IN ('VERIFIED', 'ISSUED') AND identity_checked_at < now() - ($1::text || ' days')::interval)))
            OR (identity_number IS NULL AND (identity_status <> 'PENDING_ISSUANCE'
               OR NOT EXISTS (SELECT 1 FROM identity_issuance i WHERE i.child_id = c.id AND i.issued_at IS NULL))))
          ORDER BY identity_checked_at NULLS FIRST LIMIT $2`,
        [String(reverifyDays), limit]);
      await writeOutbox(client, OUTBOX_TOPICS.identityReconcile, due.rows.map((r) => r.id));
      // Requests the child still waits for whose next poll is long overdue: their chain is dead.
      const stalled = await client.query<{ child_id: string }>(
        `SELECT i.child_id FROM identity_issuance i JOIN child c ON c.id = i.child_id
          WHERE i.issued_at IS NULL AND c.status = 'ACTIVE' AND c.identity_number IS NULL AND c.identity_status = 'PENDING_ISSUANCE'
            AND coalesce(i.next_poll_at, i.requested_at) < now() - ($1::text || ' milliseconds')::interval
          ORDER BY coalesce(i.next_poll_at, i.requested_at), i.child_id LIMIT $2
          FOR UPDATE OF i SKIP LOCKED`,
        [String(STALLED_POLL_MARGIN_MS), limit]);
      const polls: SweepResult['polls'] = stalled.rows.map((r) => ({ childId: r.child_id, issuanceId: newId('issuanceRequest'), poll: 0 }));
      if (polls.length) {
        await client.query(
          `UPDATE identity_issuance i SET issuance_id = r.issuance_id, next_poll_at = now()
             FROM unnest($1::text[], $2::text[]) AS r(child_id, issuance_id) WHERE i.child_id = r.child_id`,
          [polls.map((p) => p.childId), polls.map((p) => p.issuanceId)]);
        this.logger.warn({ restarted: polls.length }, 'identity sweep: restarted issuance poll chains that had stopped');
      }
      const overdue = await client.query(
        // Of requests children wait for (one a source's number stopped becomes overdue if its wait goes on).
        `UPDATE identity_issuance i SET overdue_at = now() WHERE i.issued_at IS NULL AND i.overdue_at IS NULL AND i.due_at < now()
            AND EXISTS (SELECT 1 FROM child c WHERE c.id = i.child_id AND c.status = 'ACTIVE' AND ${ISSUANCE_WAITS})`);
      return { enqueued: due.rowCount ?? 0, overdue: overdue.rowCount ?? 0, restarted: polls.length, polls };
    });
  }

  /** Locks the poll's request if it is still open under its id; false when it was answered, closed or reopened. */
  private async lockOpenRequest(client: PoolClient, target: IssuancePoll): Promise<boolean> {
    const res = await client.query(
      `SELECT 1 FROM identity_issuance WHERE child_id = $1 AND issuance_id IS NOT DISTINCT FROM $2 AND issued_at IS NULL FOR UPDATE`,
      [target.childId, target.issuanceId]);
    return (res.rowCount ?? 0) > 0;
  }

  private async recordCheck(
    client: PoolClient,
    r: { childId: string; job: JobRef; kind: 'RECONCILE' | 'ISSUANCE'; number: string | null; status: IdentityStatus; mismatched: string[]; findings: unknown[]; requestId: string | null },
  ): Promise<boolean> {
    const res = await client.query(
      `INSERT INTO identity_check (child_id, job_key, kind, number, status, mismatched_fields, structural_findings, request_id, enqueued_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (job_key) DO NOTHING`,
      [r.childId, r.job.key, r.kind, r.number, r.status, r.mismatched, JSON.stringify(r.findings), r.requestId, r.job.enqueuedAt]);
    return (res.rowCount ?? 0) > 0;
  }

  /**
   * A registry call within the shared quota; a 429 slows every process down and the call is retried. Once the
   * registry has refused the worker's own setup (`RegistryConfigurationError`: a wrong secret, a URL) for one call of
   * a job, the job's calls not yet sent are not sent: they fail with that refusal, which every one of them would get
   * (QA: a job of many children sent a refused call for each, against an account the registry may lock).
   */
  private async call<T>(job: CallScope, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (job.setupRefused !== undefined) throw job.setupRefused;
      const permit = await this.quota.acquire(job.signal);
      try {
        // Refused while this call waited for its slot.
        if (job.setupRefused !== undefined) throw job.setupRefused;
        return await fn();
      } catch (err) {
        if (err instanceof RegistryConfigurationError) job.setupRefused ??= err;
        if (err instanceof RateLimitedError && attempt < MAX_RATE_LIMIT_RETRIES) {
          await this.quota.penalize(Number(err.details.retryAfterMs ?? 1000));
          continue;
        }
        throw err;
      } finally {
        // The answer (or the failure) is in: the send counts against the quota until now. A failure to say so
        // must not cost the call's result; the pacer's admission still holds the quota.
        // Said once per 10 s while Redis is away (QA: every call logged its stack).
        await this.quota.settle(permit).catch((settleErr: unknown) => {
          const heldBack = admitRepeated('rate pacer settle', (settleErr as Error | undefined)?.message);
          if (heldBack !== null) this.logger.warn({ err: settleErr, ...(heldBack ? { heldBack } : {}) }, 'rate pacer: could not settle a registry call');
        });
      }
    }
  }

  /**
   * The child's status when a check with these inputs ({@link checkInputs}) was recorded at or after
   * `enqueuedAt`: that check answers a request enqueued before it, and the registry is not asked again.
   */
  private async checkedSince(childId: string, inputs: string, enqueuedAt: Date): Promise<IdentityStatus | undefined> {
    const row = await this.sql.one<{ identity_status: IdentityStatus }>(
      `SELECT identity_status FROM child WHERE id = $1 AND identity_checked_inputs = $2 AND identity_checked_at >= $3`,
      [childId, inputs, enqueuedAt]);
    return row?.identity_status;
  }

  /** A job resumed after a crash, or retried, whose result is already recorded: nothing to do, no quota spent. */
  private async alreadyRecorded(jobKey: string): Promise<boolean> {
    return (await this.sql.one('SELECT 1 AS found FROM identity_check WHERE job_key = $1', [jobKey])) !== undefined;
  }

  /** In whose name a call about the child is made: the officer whose request it answers, else the hub's system officer. */
  private callContext(childId: string, requested?: ReturnType<typeof openRequestContext>): CallContext {
    if (requested) return { ...requested, childId };
    return {
      officerId: this.config.POPULATION_DB_OFFICER_ID,
      officerName: this.config.POPULATION_DB_OFFICER_NAME,
      unit: this.config.POPULATION_DB_UNIT,
      purposeCode: this.config.POPULATION_DB_PURPOSE,
      caseRef: childId,
      childId,
    };
  }

  private async loadChild(childId: string): Promise<(ChildIdentityRow & OpenRequestRow) | undefined> {
    return this.sql.one<ChildIdentityRow & OpenRequestRow & Record<string, unknown>>(
      `SELECT c.id, c.status, c.full_name, c.birth_date, c.birth_date_precision, c.birth_year, c.sex, c.identity_number,
              c.identity_status, ${FOUND_ABANDONED} AS found_abandoned, req.*
         FROM child c ${OPEN_REQUEST_JOIN} WHERE c.id = $1`, [childId]);
  }
}

/** A PostgreSQL array literal of texts, for one element of a `text[]` parameter that is cast per row. */
function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

function birthOf(child: ChildIdentityRow): PersonQuery['birth'] {
  return { date: child.birth_date!, precision: child.birth_date_precision ?? 'DAY' };
}

/**
 * A digest of what a verification asks and how its answer is read: the number, the name and birth data
 * sent with it, and whether the child is abandoned (whose registered birth data does not count against
 * them). Equal digests: the registry would be asked the same question.
 */
function checkInputs(child: ChildIdentityRow, number: string, abandoned: boolean): string {
  return hash('sha256', JSON.stringify([number, child.full_name, child.birth_date, child.birth_date_precision, abandoned]), 'base64url');
}
