import { UnrecoverableError, type Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { isPermanentSyncError } from '../../src/connectors/sync/permanent-sync-errors.js';
import { parseJobData } from '../queues.js';

/**
 * Processor of `connector-sync`: runs the queued run (or, for a schedule, a new one), reporting progress
 * on the job. A sync already running for the connector makes a scheduled job a no-op and a queued one retry.
 * Errors a retry cannot fix (`PERMANENT_SYNC_ERROR_CODES`) fail the job at once.
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
      if (permanent) throw new UnrecoverableError(`${String(code)}: ${(err as Error).message}`);
      throw err;
    }
  };
}
