import type { BackoffOptions } from 'bullmq';

/**
 * The backoff type of `connector-sync` jobs: the delay before a failed sync's next attempt is chosen by its
 * processor (exponential with jitter, as BullMQ's `exponential`), which records it on the run as the time the next
 * attempt is due (RETRYING), and carries it on the error it throws; the worker's {@link syncRetryBackoff} gives
 * BullMQ that same delay. With BullMQ's own `exponential` the jitter was drawn after the processor had returned, so
 * no one could tell when the next attempt would come.
 */
export const SYNC_RETRY_BACKOFF = 'sync-retry';

/** An error that carries the delay its processor chose for the job's next attempt. */
export interface RetryDelayCarrier {
  retryDelayMs?: unknown;
}

/**
 * The delay before attempt `attemptsMade + 1` of a job whose attempts so far failed (`attemptsMade`: 1 after the
 * first failure), by the job's backoff: `delay` doubled at each attempt, drawn between `1 - jitter` and all of it.
 * A `fixed` backoff keeps `delay`; none, no delay. `random` in [0, 1) (tests pass their own).
 */
export function syncRetryDelayMs(backoff: number | BackoffOptions | undefined, attemptsMade: number, random: () => number = Math.random): number {
  if (backoff === undefined) return 0;
  const b = typeof backoff === 'number' ? { type: 'fixed', delay: backoff } : backoff;
  const base = b.delay ?? 0;
  const max = b.type === 'fixed' ? base : Math.round(2 ** Math.max(0, attemptsMade - 1) * base);
  const jitter = b.jitter ?? 0;
  return jitter > 0 ? Math.floor(random() * max * jitter + max * (1 - jitter)) : max;
}

/**
 * The worker's `settings.backoffStrategy` for `connector-sync` ({@link SYNC_RETRY_BACKOFF}): the delay the processor
 * chose and recorded on the run, or, for an error it did not carry one on, one drawn from the job's backoff.
 */
export function syncRetryBackoff(attemptsMade: number, _type: string | undefined, err: Error | undefined, job: { opts: { backoff?: number | BackoffOptions } } | undefined): number {
  const chosen = (err as RetryDelayCarrier | undefined)?.retryDelayMs;
  if (typeof chosen === 'number' && Number.isFinite(chosen) && chosen >= 0) return chosen;
  return syncRetryDelayMs(job?.opts.backoff, attemptsMade);
}
