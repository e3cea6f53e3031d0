import cronParser from 'cron-parser';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Sql } from '../src/db/sql.js';
import { loggedOutcome } from '../src/observability/logger.js';
import { durationWords } from '../src/util/duration-words.js';
import { parseJobData } from './queues.js';

/** The time zone every connector schedule is read in (as the schedulers are set). */
export const SCHEDULE_TZ = 'Asia/Ho_Chi_Minh';

/** How long the claim of a missed slot's catch-up is kept in Redis: longer than any worker start takes. */
const CLAIM_TTL_MS = 7 * 24 * 60 * 60_000;

/** The states of a scheduler's job that `upsertJobScheduler` removes: not yet taken by any worker. */
const NOT_TAKEN = new Set(['delayed', 'waiting', 'prioritized', 'paused', 'waiting-children']);

/** A connector scheduler as the worker wants it set (its key, its pattern and the data of its jobs). */
export interface WantedScheduler {
  /** `connector:<name>` or `connector-full-read:<name>`. */
  key: string;
  connector: string;
  pattern: string;
  data: { connector: string; reason?: 'full-read' };
}

/** What Redis holds of a scheduler before it is set again: the slot of its job not yet run, and that job's state. */
export interface PendingSlot {
  /** The slot (ms since the epoch) the scheduler's current job is for (the scheduler's score in BullMQ's `repeat` set). */
  next: number;
  /** The state of that job (`delayed`, `waiting`, `active`, `completed`, `unknown` …). */
  state: string;
  /** The cron pattern the scheduler was set with. */
  pattern: string | null;
}

/**
 * The latest slot of a cron `pattern` at or before `now` (ms since the epoch), read as BullMQ reads it
 * (cron-parser, 5 or 6 fields, in `tz`); null when the pattern gives none.
 */
export function latestSlot(pattern: string, now: number, tz = SCHEDULE_TZ): number | null {
  try {
    // cron-parser's prev() is strictly before its start, to the second: start at the next whole second.
    const interval = cronParser.parseExpression(pattern, { currentDate: new Date(Math.floor(now / 1000) * 1000 + 1000), tz });
    return interval.prev().getTime();
  } catch {
    return null;
  }
}

/**
 * The slot a scheduler missed while no worker ran, to be run late once; null when none was missed.
 *
 * Only a scheduler Redis still holds, with the pattern it is set with again, whose job for its slot
 * (`pending.next`) came due and was taken by no worker, missed one: that slot was set before it came due, so the
 * schedule was in force then. A connector newly scheduled, or one whose scheduler Redis lost, has nothing pending
 * and catches up nothing; nor does a schedule edited while no worker ran (its old slots are not run, as a removed
 * schedule's are not). Of the slots missed since, only the latest is run: the latest of the pattern at or before `now`.
 */
export function missedSlot(pending: PendingSlot | null, pattern: string, now: number, tz = SCHEDULE_TZ): number | null {
  if (!pending || !(pending.next > 0) || pending.next > now || !NOT_TAKEN.has(pending.state) || pending.pattern !== pattern) return null;
  return Math.max(latestSlot(pattern, now, tz) ?? pending.next, pending.next);
}

/** A run of the connector that may already do a missed slot's work, as {@link catchUpDecision} weighs it. */
export interface RunFact {
  id: string;
  status: string;
  /** When it started, else (queued) when it was asked for. */
  startedAt: Date | null;
  createdAt: Date;
  /** A forced read (of the whole source). */
  force: boolean;
}

/** Whether a missed slot is run late, or why not. */
export type CatchUpDecision =
  | { run: true }
  | { run: false; why: 'covered' | 'busy'; runId: string; status: string };

/**
 * Whether a missed slot is run late, given the connector's runs not ended and those that began at or after the
 * slot (any trigger). A run that started at or after the slot and did not fail did its work (a full-read slot's:
 * a forced one only), as a scheduled job coming late is skipped (ConnectorSyncService's claim); so does a forced
 * run queued or retrying, for a full read. One sync per connector at a time: an incremental slot is not made up
 * while a run of the connector is queued, running or retrying (that run reads the changes), as a scheduled job
 * is skipped then; a full read is queued anyway, and waits for that run as a scheduled full read does.
 */
export function catchUpDecision(slot: number, fullRead: boolean, runs: readonly RunFact[]): CatchUpDecision {
  const doesWork = (r: RunFact) => !fullRead || r.force;
  const covering = runs.find((r) => ['RUNNING', 'SUCCEEDED'].includes(r.status) && (r.startedAt ?? r.createdAt).getTime() >= slot && doesWork(r))
    ?? (fullRead ? runs.find((r) => ['QUEUED', 'RETRYING'].includes(r.status) && r.force) : undefined);
  if (covering) return { run: false, why: 'covered', runId: covering.id, status: covering.status };
  const active = fullRead ? undefined : runs.find((r) => ['QUEUED', 'RUNNING', 'RETRYING'].includes(r.status));
  if (active) return { run: false, why: 'busy', runId: active.id, status: active.status };
  return { run: true };
}

/** The job id of a missed slot's catch-up: one per scheduler and slot, whichever worker adds it (no `:`, as job ids here). */
export function catchUpJobId(schedulerKey: string, slot: number): string {
  return `missed_${schedulerKey.replace(':', '_')}_${slot}`;
}

/**
 * What Redis holds of a scheduler before it is set again (null: it holds none). Read before `upsertJobScheduler`,
 * which removes the scheduler's job not yet taken, however overdue, and puts the next slot's in its place.
 */
export async function pendingSlot(queue: Queue, schedulerKey: string): Promise<PendingSlot | null> {
  const scheduler = await queue.getJobScheduler(schedulerKey);
  const next = scheduler?.next;
  if (typeof next !== 'number' || !(next > 0)) return null;
  // BullMQ names a scheduler's job after its slot (JobScheduler.getSchedulerNextJobId).
  return { next, state: await queue.getJobState(`repeat:${schedulerKey}:${next}`), pattern: scheduler?.pattern ?? null };
}

export interface CatchUpDeps {
  sql: Sql;
  /** The `connector-sync` queue. */
  queue: Queue;
  /** Where the slot is claimed (the worker's connection). */
  redis: Redis;
  logger: Logger;
}

/**
 * Makes up a slot a scheduler missed while no worker ran (see {@link missedSlot}), once: queues a sync as its
 * scheduler would have (the same data, a full read for a full-read scheduler), due at once and carrying its slot
 * as a scheduler's job does (`prevMillis`, which the processor takes as when it was due and the run records), and
 * says so. Two workers starting together: the one that claims the slot in Redis queues it (the job id is the
 * slot's too). Returns the job id when it queued one.
 */
export async function catchUpMissedSlot(deps: CatchUpDeps, w: WantedScheduler, slot: number, now = Date.now()): Promise<string | null> {
  const fullRead = w.data.reason === 'full-read';
  const fields = { connector: w.connector, schedule: fullRead ? 'full-read' : 'sync', slot: new Date(slot).toISOString() };
  let decision: CatchUpDecision;
  try {
    decision = catchUpDecision(slot, fullRead, await runFacts(deps.sql, w.connector, slot));
  } catch (err) {
    // Not known whether a run did its work: queued anyway. The sync itself skips a slot a later run did, and does not
    // run beside another sync of its connector.
    deps.logger.warn({ ...fields, err: loggedOutcome(err) }, 'could not read the connector\'s runs to tell whether a missed slot was done since: it is run late, and skipped if a run did it');
    decision = { run: true };
  }
  if (!decision.run) {
    deps.logger.info({ ...fields, runId: decision.runId, status: decision.status },
      decision.why === 'covered'
        ? 'scheduled sync missed while no worker ran: not run late, a run since did its work'
        : 'scheduled sync missed while no worker ran: not run late, a sync of the connector is queued or running and reads its changes');
    return null;
  }
  const data = parseJobData('connector-sync', w.data);
  const jobId = await addClaimedCatchUp(deps.queue, deps.redis, w.key, slot, now, (id) => deps.queue.add('sync', data, { jobId: id, prevMillis: slot }));
  if (jobId === null) return null;
  deps.logger.warn({ ...fields, lateMs: now - slot, late: durationWords(now - slot), jobId }, 'scheduled sync missed while no worker ran: run late');
  return jobId;
}

/**
 * Adds a missed slot's catch-up job (`add`, given its job id) once, whichever worker gets there first: the slot is
 * claimed in Redis, and the claim given back if the add fails. Returns the job id, or null when another worker
 * claimed the slot.
 */
async function addClaimedCatchUp(queue: Queue, redis: Redis, schedulerKey: string, slot: number, now: number, add: (jobId: string) => Promise<unknown>): Promise<string | null> {
  const jobId = catchUpJobId(schedulerKey, slot);
  const claim = queue.toKey(`missed-slot:${schedulerKey}:${slot}`);
  if ((await redis.set(claim, String(now), 'PX', CLAIM_TTL_MS, 'NX')) !== 'OK') return null; // another worker made it up
  try {
    await add(jobId);
  } catch (err) {
    await redis.del(claim).catch(() => 0);
    throw err;
  }
  return jobId;
}

/**
 * Makes up the slot a fixed cron schedule (the groups' daily age-out) missed while no worker ran, as
 * {@link catchUpMissedSlot} does a connector's: read before the schedule is set again (which drops the overdue
 * job), run late once, and said. Its job has no data; it does the day's work whenever it runs.
 */
export async function catchUpFixedSlot(queue: Queue, redis: Redis, logger: Logger, schedulerKey: string, jobName: string, pattern: string, now = Date.now()): Promise<string | null> {
  const slot = missedSlot(await pendingSlot(queue, schedulerKey), pattern, now);
  if (slot === null) return null;
  const jobId = await addClaimedCatchUp(queue, redis, schedulerKey, slot, now, (id) => queue.add(jobName, {}, { jobId: id }));
  if (jobId === null) return null;
  logger.warn({ queue: queue.name, slot: new Date(slot).toISOString(), lateMs: now - slot, late: durationWords(now - slot), jobId }, 'scheduled job missed while no worker ran: run late');
  return jobId;
}

/** The connector's runs (dry runs aside) not ended, or begun at or after `slot`: what {@link catchUpDecision} weighs. */
async function runFacts(sql: Sql, connector: string, slot: number): Promise<RunFact[]> {
  const rows = await sql.query<{ id: string; status: string; started_at: Date | null; created_at: Date; force: boolean }>(
    `SELECT r.id, r.status, r.started_at, r.created_at, coalesce(r.options->>'force' = 'true', false) AS force
       FROM connector_run r JOIN connector c ON c.id = r.connector_id
      WHERE c.name = $1 AND NOT r.dry_run
        AND (r.status IN ('QUEUED', 'RUNNING', 'RETRYING') OR coalesce(r.started_at, r.created_at) >= to_timestamp($2::double precision / 1000))
      ORDER BY r.created_at DESC LIMIT 50`,
    [connector, slot],
  );
  return rows.map((r) => ({ id: r.id, status: r.status, startedAt: r.started_at, createdAt: r.created_at, force: r.force }));
}
