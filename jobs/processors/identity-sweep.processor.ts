import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { parseJobData } from '../queues.js';
import { issuanceJobId } from './identity-issuance.processor.js';
import { requireIdentity } from './require-identity.js';

/**
 * Processor of `identity-sweep`: numbers due for re-verification go to the outbox; overdue issuance is flagged;
 * requests whose poll chain stopped get a new id and their first poll is added under it. Those job ids are new
 * (never a dead chain's kept failed job) and deterministic, so adding them twice adds one job each.
 */
export function identitySweepProcessor(ctx: AppContext) {
  const { reconciler, queue } = requireIdentity(ctx);
  return async (job: Job<unknown, unknown, string>) => {
    parseJobData('identity-sweep', job.data);
    const { polls, ...counts } = await reconciler.sweep(ctx.config.IDENTITY_REVERIFY_DAYS);
    if (polls.length) {
      await queue.addBulk('identity-issuance', polls.map((p) => ({
        data: { childId: p.childId, issuanceId: p.issuanceId, poll: p.poll },
        jobId: issuanceJobId(p.childId, p.issuanceId, p.poll),
      })));
    }
    return counts;
  };
}
