import { UnrecoverableError, type Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { isPermanentSyncError } from '../../src/connectors/sync/permanent-sync-errors.js';
import { serializeError } from '../../src/observability/logger.js';
import { parseJobData } from '../queues.js';

/**
 * Processor of `connector-sync`: runs the queued run (or, for a schedule, a new one), reporting progress
 * on the job. A sync already running for the connector makes a scheduled job a no-op and a queued one retry.
 * Errors a retry cannot fix (`PERMANENT_SYNC_ERROR_CODES`), and a source's Retry-After longer than the
 * connector may wait, fail the job at once. A failure's message is kept as logs may keep it.
 */
export function connectorSyncProcessor(ctx: AppContext) {
  return async (job: Job<unknown, unknown, string>, _token?: string, signal?: AbortSignal) => {
    const data = parseJobData('connector-sync', job.data);
    const onProgress = async (p: { batches: number; fetched: number; inserted: number; updated: number; unchanged: number; rejected: number }) => {
      await job.updateProgress({ batches: p.batches, fetched: p.fetched, inserted: p.inserted, updated: p.updated, unchanged: p.unchanged, rejected: p.rejected });
    };
    try {
      if ('runId' in data) return await ctx.connectors.runQueued(data.runId, { onProgress, signal });
      return await ctx.connectors.run(data.connector, { trigger: 'SCHEDULE', requestedBy: 'schedule' }, { onProgress, signal });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (!('runId' in data) && code === 'CONNECTOR_SYNC_RUNNING') return { status: 'SKIPPED', reason: 'a sync of this connector is already running' };
      const permanent = isPermanentSyncError(err);
      // The job's last attempt: a run it never started (another sync held the connector every time) ends
      // FAILED rather than QUEUED for ever. A run that started was marked by the sync itself.
      if ('runId' in data && !permanent && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await ctx.connectors.failQueued(data.runId, err).catch(() => false);
      }
      // What BullMQ keeps of a failure (its reason and stack, shown for 30 days) is the message logs may keep:
      // a refused file's message can quote a header row that was a child's row.
      const message = `${String(code ?? 'ERROR')}: ${String(serializeError(err instanceof Error ? err : new Error(String(err))).message)}`;
      // A source that asked to be left alone for longer than the connector may wait (Retry-After beyond
      // retry.maxDelayMs) is not asked again by the job's quicker retries: the next run resumes from the checkpoint.
      const retryAfterMs = (err as { details?: { retryAfterMs?: unknown } }).details?.retryAfterMs;
      if (permanent || typeof retryAfterMs === 'number') throw new UnrecoverableError(message);
      throw Object.assign(new Error(message), { code });
    }
  };
}
