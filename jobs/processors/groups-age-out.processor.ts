import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { parseJobData } from '../queues.js';

/** What a `groups-age-out` job returns (kept in Redis with the completed job): a count only. */
export interface GroupsAgeOutJobResult {
  enqueued: number;
}

/**
 * Processor of the daily `groups-age-out` queue: children who turned 16 and are still in a group are
 * enqueued for a golden-record recompute (through the outbox), which ends their memberships on their 16th
 * birthday and empties their current groups. Ids only travel; nothing personal is logged or returned.
 */
export function groupsAgeOutProcessor(ctx: Pick<AppContext, 'goldenRecords'>) {
  return async (job: Job<unknown, unknown, string>): Promise<GroupsAgeOutJobResult> => {
    parseJobData('groups-age-out', job.data);
    const ids = await ctx.goldenRecords.enqueueAgedOut();
    return { enqueued: ids.length };
  };
}
