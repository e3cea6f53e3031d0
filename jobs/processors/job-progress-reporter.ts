import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { unavailableDependency } from '../../src/errors/unavailable-dependency.js';
import { serializeError } from '../../src/observability/logger.js';

/** Why the queue was not told a job's progress, as the warning says it. */
export type ProgressNotReported = 'job-gone' | 'redis-unreachable' | 'refused';

/**
 * Reports a long job's progress on its BullMQ job (`job.updateProgress`, what queue dashboards show) without
 * making the job's work depend on it. The work's own record is elsewhere (a sync's counts are in its run row
 * in PostgreSQL, with every batch): a progress report the queue refuses or is slow to take must neither fail
 * nor stall it (QA: a sync whose job was removed from Redis, by FLUSHALL or an operator, failed
 * `CONNECTOR_SYNC_FAILED: Missing key for job … updateProgress`, not retried).
 *
 * So `report` never waits and never throws: one update is in flight at a time, and the newest progress given
 * meanwhile replaces any other waiting to be sent (a Redis that does not answer holds one command, not one per
 * batch). The first failure is logged once, as a warning saying why; later ones are not. `stop()` sends nothing
 * more (the job is about to be completed or failed).
 */
export class JobProgressReporter<P> {
  private inFlight = false;
  private next: { progress: P } | undefined;
  private stopped = false;
  private failure: ProgressNotReported | undefined;

  constructor(
    private readonly job: Pick<Job, 'id' | 'updateProgress'>,
    private readonly logger: Logger,
    private readonly opts: {
      /** Ids for the warning (run, connector): never records. */
      fields?: Record<string, unknown>;
      /** What the warning says of the work, after why progress does not reach the queue. @defaultValue 'the work goes on' */
      goesOn?: string;
    } = {},
  ) {}

  /** Why progress stopped reaching the queue, if it did: `job-gone` when the job is no longer in Redis. */
  get notReported(): ProgressNotReported | undefined {
    return this.failure;
  }

  report(progress: P): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.next = { progress };
      return;
    }
    this.send(progress);
  }

  stop(): void {
    this.stopped = true;
    this.next = undefined;
  }

  private send(progress: P): void {
    this.inFlight = true;
    let sent: Promise<void>;
    try {
      sent = Promise.resolve(this.job.updateProgress(progress as object));
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.catch((err: unknown) => this.failed(err)).finally(() => {
      this.inFlight = false;
      const next = this.next;
      this.next = undefined;
      if (next && !this.stopped) this.send(next.progress);
    }).catch(() => undefined);
  }

  private failed(err: unknown): void {
    if (this.failure) return;
    const e = err instanceof Error ? err : new Error(String(err));
    this.failure = /^Missing key for job /.test(e.message) ? 'job-gone' : unavailableDependency(e) !== null ? 'redis-unreachable' : 'refused';
    const why = {
      'job-gone': 'its job is gone from Redis (removed by an operator, or Redis lost its data: FLUSHALL, a restart without persistence)',
      'redis-unreachable': 'Redis is unreachable',
      refused: 'the queue refused the update',
    }[this.failure];
    const s = serializeError(e);
    this.logger.warn({ ...this.opts.fields, jobId: this.job.id, reason: this.failure, errorType: s.type, errorMessage: s.message },
      `progress is not being reported to the job queue: ${why}; ${this.opts.goesOn ?? 'the work goes on'}`);
  }
}
