import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { parseJobData } from '../queues.js';

/** What a `golden-record` job returns (kept in Redis with the completed job): counts only. */
export interface GoldenRecordJobResult {
  changed: number;
  unchanged: number;
  skipped: number;
}

/**
 * Processor of the `golden-record` queue: recomputes the golden records of the job's children. The
 * recompute is idempotent and row-locked, so a retried or duplicated job (two relays, a stalled job run
 * again) leaves the same state.
 */
export function goldenRecordProcessor(ctx: Pick<AppContext, 'goldenRecords'>) {
  return async (job: Job<unknown, unknown, string>): Promise<GoldenRecordJobResult> => {
    const { childIds } = parseJobData('golden-record', job.data);
    const result = await ctx.goldenRecords.recompute(childIds);
    return { changed: result.changed.length, unchanged: result.unchanged.length, skipped: result.skipped.length };
  };
}
