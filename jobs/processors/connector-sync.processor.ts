import { DelayedError, type Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { isPermanentSyncError } from '../../src/connectors/sync/permanent-sync-errors.js';
import { FULL_READ_REQUESTER, type RunCounts, type SyncJobAttempt } from '../../src/connectors/sync/connector-sync.service.js';
import { FilesRefusedError } from '../../src/connectors/sync/files-refused.error.js';
import { WorkerStoppingError } from '../../src/connectors/sync/worker-stopping.error.js';
import { DatabaseUnreachableError } from '../../src/connectors/sync/database-unreachable.error.js';
import { unavailableDependency } from '../../src/errors/unavailable-dependency.js';
import { loggedOutcome } from '../../src/observability/logger.js';
import { parseJobData } from '../queues.js';
import { syncRetryDelayMs } from '../sync-retry-backoff.js';
import type { ProcessorDeps } from './index.js';
import { JobProgressReporter } from './job-progress-reporter.js';
import { storableJobError } from './storable-job-error.js';

/** What a sync's job reports as its progress (BullMQ's `job.progress`): counts only. */
type SyncJobProgress = Pick<RunCounts, 'batches' | 'fetched' | 'inserted' | 'updated' | 'unchanged' | 'rejected'>;

/**
 * Where a variable the definition refers to is read from in a queued or scheduled sync: `connectors sync`
 * without --in-process, syncConnector and the schedule run here, not in the shell that asked.
 */
const WORKER_ENVIRONMENT = "the worker's environment (the process that runs the sync: set it where the worker is started, then restart the worker)";

/**
 * How long a queued run waits before it looks again whether the sync of its connector that held it back has
 * finished, in ms: short, so that it starts soon after; bounded, so that a sync stuck for hours costs one
 * lock attempt every few seconds, not a hot loop.
 */
export const SYNC_RUNNING_RECHECK_MS = 3_000;

export interface ConnectorSyncProcessorOptions {
  /** @defaultValue SYNC_RUNNING_RECHECK_MS (tests shorten it) */
  syncRunningRecheckMs?: number;
}

/**
 * Processor of `connector-sync`: runs the queued run (or, for a schedule, a new one; for a full-read
 * schedule, or a schedule whose full read is owed, a new forced one), reporting progress on the job. A sync
 * already running for the connector makes a scheduled job a no-op; a queued run, or a scheduled full read,
 * waits for it, however long it runs: its job goes back to the delayed set and looks again every few seconds,
 * without using up an attempt (a queued run stays QUEUED). Errors a retry cannot fix (`PERMANENT_SYNC_ERROR_CODES`), and a
 * source's Retry-After longer than the connector may wait, fail the job at once. A failure is kept with the job
 * without the values its message may quote ({@link storableJobError}).
 */
export function connectorSyncProcessor(ctx: AppContext, deps: ProcessorDeps, options: ConnectorSyncProcessorOptions = {}) {
  const recheckMs = options.syncRunningRecheckMs ?? SYNC_RUNNING_RECHECK_MS;
  return async (job: Job<unknown, unknown, string>, token?: string, signal?: AbortSignal) => {
    // Taken while this worker stops (a fetch already under way): handed back untouched, for a worker that goes on.
    if (deps.stopping?.aborted) {
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    const data = parseJobData('connector-sync', job.data);
    const ids = { runId: 'runId' in data ? data.runId : undefined, connector: 'connector' in data ? data.connector : undefined };
    // Progress on the job is for queue dashboards; the run's row in PostgreSQL has it after every batch, and the
    // sync's exclusivity is its PostgreSQL lock, not the job: neither a job gone from Redis nor a slow Redis
    // fails or stalls the sync (QA: removed mid-run, it failed CONNECTOR_SYNC_FAILED "Missing key for job …").
    const progress = new JobProgressReporter<SyncJobProgress>(job, ctx.logger, {
      fields: ids,
      goesOn: 'the sync goes on (its progress is in its run in PostgreSQL: connectorRuns, `connectors sync`)',
    });
    const onProgress = (p: SyncJobProgress) => {
      progress.report({ batches: p.batches, fetched: p.fetched, inserted: p.inserted, updated: p.updated, unchanged: p.unchanged, rejected: p.rejected });
    };
    /** A job removed while its sync ran is not the queue's to complete, fail or retry: the run's status is the outcome. */
    const jobGone = (runId: string | undefined, outcome: string) => {
      if (progress.notReported !== 'job-gone') return;
      ctx.logger.warn({ ...ids, runId: runId ?? ids.runId, jobId: job.id },
        `the sync's job was removed from the queue while it ran: ${outcome}; the queue cannot record the job's end (the worker says the job is gone from the queue), which changes nothing`);
    };
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    /**
     * Whether the job tries again after `err` fails this attempt, and in how many ms: decided once (the delay is
     * drawn), by the sync as it marks the run RETRYING or FAILED, or below for an error before it claimed one. Not
     * after an error no retry fixes, nor a source's Retry-After longer than the connector may wait, nor the last
     * attempt, nor a job gone from the queue (nothing can retry it).
     */
    let decided: { retryInMs: number | null } | undefined;
    const retryInMs = (err: unknown): number | null => {
      decided ??= {
        retryInMs: isPermanentSyncError(err) || typeof (err as { details?: { retryAfterMs?: unknown } }).details?.retryAfterMs === 'number'
          || attempt >= maxAttempts || progress.notReported === 'job-gone'
          ? null
          : syncRetryDelayMs(job.opts.backoff, attempt),
      };
      return decided.retryInMs;
    };
    const jobAttempt: SyncJobAttempt = { jobId: String(job.id), attempt, maxAttempts, retryInMs };
    // The worker's stopping stops the sync at its last stored batch (see below).
    const stop = signal && deps.stopping ? AbortSignal.any([signal, deps.stopping]) : (signal ?? deps.stopping);
    const opts = { onProgress, signal: stop, environment: WORKER_ENVIRONMENT, job: jobAttempt };
    let fullRead = false;
    try {
      // The whole source from its first page (`removals.fullReadSchedule`), so that the read can find records gone;
      // also instead of an incremental schedule's read when the last scheduled full read failed (owed).
      fullRead = !('runId' in data)
        && (data.reason === 'full-read' || (data.reason === undefined && await ctx.connectors.fullReadOwed(data.connector)));
      const summary = 'runId' in data
        ? await ctx.connectors.runQueued(data.runId, opts)
        : fullRead
          ? await ctx.connectors.run(data.connector, { trigger: 'SCHEDULE', requestedBy: FULL_READ_REQUESTER, force: true }, { ...opts, scheduledAt: dueAt(job) })
          : await ctx.connectors.run(data.connector, { trigger: 'SCHEDULE', requestedBy: data.reason ?? 'schedule' }, { ...opts, scheduledAt: dueAt(job) });
      progress.stop();
      jobGone(summary.runId, `run ${summary.runId} ended ${summary.status}, as PostgreSQL records it`);
      if (summary.status === 'SUCCEEDED' && summary.filesWaiting > 0 && summary.settlesInMs !== undefined) {
        await syncWhenSettled(summary.connector, summary.settlesInMs, summary.filesWaiting, deps, ctx);
      }
      return summary;
    } catch (err) {
      progress.stop();
      if (err instanceof WorkerStoppingError) {
        // Handed back at once, without using an attempt: another worker (or this one, restarted) goes on from the checkpoint.
        await job.moveToDelayed(Date.now(), token);
        ctx.logger.info({ ...ids, jobId: job.id }, 'sync handed back to the queue: this worker is stopping');
        throw new DelayedError();
      }
      // A refused file fails the run, but the files left waiting beside it must not wait for the next schedule.
      if (err instanceof FilesRefusedError && err.waiting) {
        // The run's own failure is what the job reports; a follow-up that cannot be queued is logged.
        await syncWhenSettled(err.waiting.connector, err.waiting.settlesInMs, undefined, deps, ctx).catch((e: unknown) =>
          ctx.logger.warn({ connector: err.waiting!.connector, err: e }, 'files left waiting: the sync for when they settle could not be queued; the next sync reads them'),
        );
      }
      const code = (err as { code?: unknown }).code;
      // A scheduled incremental read finds the changes next time; a full read, due once a week, must not be lost that way.
      const waits = 'runId' in data || data.reason === 'full-read';
      // (An owed full read in an incremental schedule's slot is skipped like it: the next slot makes it up.)
      if (!waits && code === 'CONNECTOR_SYNC_RUNNING') {
        // Logged, so an operator can tell a slot skipped from a schedule that never fired (QA: no trace of it).
        ctx.logger.info({ connector: data.connector, jobId: job.id, code }, 'scheduled sync skipped: a sync of this connector is already running; the next slot reads what changed');
        return { status: 'SKIPPED', reason: 'a sync of this connector is already running' };
      }
      // A slot of a schedule the operator ended (the connector disabled or its folder removed) that came due before
      // the worker read the change: nothing was asked of the source, and nothing failed (QA: it was logged as a
      // failure for good and kept as a failed job for 30 days). A queued run, which someone asked for, fails as it
      // did; the worker's next reload of the definitions removes the scheduler.
      if (!('runId' in data) && (code === 'CONNECTOR_DISABLED' || code === 'CONNECTOR_NOT_FOUND')) {
        ctx.logger.info({ connector: data.connector, jobId: job.id, code }, 'scheduled sync skipped: the connector is no longer scheduled (disabled or removed)');
        return { status: 'SKIPPED', reason: code === 'CONNECTOR_DISABLED' ? 'the connector is disabled' : 'the connector is not defined any more' };
      }
      if (waits && code === 'CONNECTOR_SYNC_RUNNING') {
        // A queued run behind a running sync (the follow-up a request queued while it ran) must wait for it
        // however long it takes. As a retry it used the job's attempts (five, over about two minutes of backoff)
        // and then failed the run; and the backoff's last steps left it idle for a minute after the sync ended.
        // Delayed instead, which BullMQ does not count as an attempt; the job stays live (delayed), so requests
        // still find the run QUEUED and alive (CONNECTOR_RUN_LOST is for jobs the queue no longer holds).
        await job.moveToDelayed(Date.now() + recheckMs, token);
        ctx.logger.debug({ runId: 'runId' in data ? data.runId : undefined, connector: 'connector' in data ? data.connector : undefined, jobId: job.id, inMs: recheckMs },
          'queued sync waits for the running sync of its connector');
        throw new DelayedError();
      }
      const permanent = isPermanentSyncError(err);
      const retryAfterMs = (err as { details?: { retryAfterMs?: unknown } }).details?.retryAfterMs;
      // Asked by the sync when it marked its run; else the error came before it claimed one.
      const markedByRun = decided !== undefined;
      const retryIn = retryInMs(err);
      const lastAttempt = retryIn === null;
      // A full read whose job gives up is owed: the incremental schedule reads whole until one succeeds. Not
      // before: while the job retries, the slots in between would each read a source that is down (QA).
      if (fullRead && lastAttempt && 'connector' in data) {
        await ctx.connectors.markFullReadOwed(data.connector).catch((e: unknown) =>
          ctx.logger.warn({ connector: data.connector, err: e }, 'a failed full read could not be marked owed; the next full-read slot reads whole'));
      }
      // An error before the run was claimed (the database unreachable): at the job's last attempt, a run it never
      // started, or one RETRYING, ends FAILED rather than QUEUED or RETRYING for ever; before it, a RETRYING run says
      // when the next attempt is due. A run the sync claimed was marked by the sync itself.
      if (!markedByRun && !permanent) {
        const runId = 'runId' in data ? data.runId : undefined;
        const jobId = String(job.id);
        await (retryIn === null ? ctx.connectors.failQueued(runId, err, jobId, attempt) : ctx.connectors.retryPostponed(runId, jobId, attempt, err, retryIn)).catch(() => false);
      }
      jobGone(undefined, 'the run ended FAILED, as PostgreSQL records it, and is not retried (the next sync resumes from its checkpoint)');
      // An attempt the database could not begin (down, restarting) is told by its code, not the driver's words (QA: the
      // job's log and failure said `connect ECONNREFUSED …`); the attempt that reaches the database records it on the run.
      // (Before its run is claimed a sync talks to PostgreSQL only: a connection refused or reset there is the database's.)
      const away = unavailableDependency(err);
      if (!markedByRun && away !== null && away !== 'the job queue') {
        ctx.logger.warn({ ...ids, jobId: job.id, attempt, err: loggedOutcome(err) }, 'connector sync attempt could not reach the database: its job tries again');
        throw storableJobError(new DatabaseUnreachableError(), { ...(retryIn !== null ? { retryDelayMs: retryIn } : {}) });
      }
      // What BullMQ keeps of a failure (its reason and stack, shown for 30 days) holds no value from the data
      // (storableJobError): a refused file's message can quote a header row that was a child's row. The run keeps
      // the error as logs may (its `error`, `failedAttempts`).
      // A source that asked to be left alone for longer than the connector may wait (Retry-After beyond
      // retry.maxDelayMs) is not asked again by the job's quicker retries: the next run resumes from the checkpoint.
      // `retryDelayMs`: the delay recorded on the run, which the queue waits (syncRetryBackoff).
      throw storableJobError(err, { unrecoverable: permanent || typeof retryAfterMs === 'number', ...(retryIn !== null ? { retryDelayMs: retryIn } : {}) });
    }
  };
}

/**
 * When a scheduled job was due, in ms since the epoch. A job scheduler's job carries its slot in
 * `opts.prevMillis` (BullMQ 5: the time the cron pattern gave); its `timestamp` is when it was *created*,
 * which is about when the previous slot ran, so the previous slot's own run looked like a later run that had
 * served this one, and every other slot was skipped (QA: a schedule of every 30 minutes ran hourly, a
 * weekly full read fortnightly). Other jobs (`files-settling`): when they were due after their delay.
 */
export function dueAt(job: Pick<Job, 'timestamp' | 'opts'>): number {
  const slot = (job.opts as { prevMillis?: unknown }).prevMillis;
  return typeof slot === 'number' && slot > 0 ? slot : job.timestamp + (job.opts.delay ?? 0);
}

/** Margin past the moment the last waiting file settles: the follow-up must not find it a moment too young. */
const SETTLE_MARGIN_MS = 2_000;

/**
 * Files of the drop directory a sync left waiting (modified less than `file.settleSeconds` ago: still being
 * copied in) are read by a sync queued for when the first of them has settled, not by the next schedule: a
 * nightly schedule would otherwise leave an export that landed a minute before it for a whole day. That sync
 * queues the next for the files still waiting then (a file written again meanwhile waits again). One such
 * sync waits per connector: a later run's replaces it (BullMQ deduplication, replacing a delayed job), its
 * view of the directory being the newer one.
 */
async function syncWhenSettled(connector: string, settlesInMs: number, filesWaiting: number | undefined, deps: ProcessorDeps, ctx: AppContext): Promise<void> {
  const delay = settlesInMs + SETTLE_MARGIN_MS;
  await deps.queues.add('connector-sync', { data: { connector, reason: 'files-settling' }, delay, deduplicationId: `settled-${connector}` });
  ctx.logger.info({ connector, filesWaiting, inMs: delay }, 'files left waiting: a sync is queued for when the first has settled');
}
