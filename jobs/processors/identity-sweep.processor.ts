import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { parseJobData } from '../queues.js';
import { issuanceJobId } from './identity-issuance.processor.js';
import { requireIdentity } from './require-identity.js';
import { closeUnfinishedCalls } from '../../src/population-db/registry-call.log.js';

/** The least age of a call's start before the sweep takes its outcome for lost (ms). */
const UNFINISHED_CALL_MIN_AGE_MS = 5 * 60_000;

/**
 * Processor of `identity-sweep`: numbers due for re-verification go to the outbox; overdue issuance is flagged;
 * requests whose poll chain stopped get a new id and their first poll is added under it. Those job ids are new
 * (never a dead chain's kept failed job) and deterministic, so adding them twice adds one job each. Registry calls
 * whose outcome was never written are closed in the integration log as `UNKNOWN` ({@link closeUnfinishedCalls}),
 * once no answer can still be on its way to be written: after three call timeouts, and at least five minutes.
 */
export function identitySweepProcessor(ctx: AppContext) {
  const { reconciler, queue } = requireIdentity(ctx);
  return async (job: Job<unknown, unknown, string>) => {
    parseJobData('identity-sweep', job.data);
    const { polls, ...counts } = await reconciler.sweep(ctx.config.IDENTITY_REVERIFY_DAYS);
    const unfinishedCalls = await closeUnfinishedCalls(ctx.sql, Math.max(UNFINISHED_CALL_MIN_AGE_MS, 3 * ctx.config.POPULATION_DB_TIMEOUT_MS));
    if (unfinishedCalls) ctx.logger.warn({ unfinishedCalls }, 'identity sweep: registry calls whose outcome was never written recorded as UNKNOWN in the integration log');
    if (polls.length) {
      await queue.addBulk('identity-issuance', polls.map((p) => ({
        data: { childId: p.childId, issuanceId: p.issuanceId, poll: p.poll },
        jobId: issuanceJobId(p.childId, p.issuanceId, p.poll),
      })));
    }
    return { ...counts, unfinishedCalls };
  };
}
