import { UnrecoverableError, type Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { AppError } from '../../src/errors/app-error.js';
import { parseJobData } from '../queues.js';

/** Errors a retry cannot fix: the definition or the connector itself is wrong, or a 4xx refused the request. */
const PERMANENT = new Set([
  'CONNECTOR_NOT_FOUND', 'CONNECTOR_DEFINITION_INVALID', 'CONNECTOR_DISABLED', 'CONNECTOR_REQUEST_REFUSED',
  'CONNECTOR_SECRET_MISSING', 'CONNECTOR_FILE_ENCODING',
]);

/**
 * Processor of `connector-sync`: runs the queued run (or, for a schedule, a new one), reporting progress
 * on the job. A sync already running for the connector makes a scheduled job a no-op and a queued one retry.
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
      if (err instanceof AppError || typeof code === 'string') {
        if (PERMANENT.has(String(code))) throw new UnrecoverableError(`${String(code)}: ${(err as Error).message}`);
      }
      throw err;
    }
  };
}
