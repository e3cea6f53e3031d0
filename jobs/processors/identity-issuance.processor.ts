import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { parseJobData } from '../queues.js';
import { identityJobFailure } from './identity-failure.js';
import { requireIdentity } from './require-identity.js';

/**
 * Deterministic: a poll re-added after a crash is the same job, so a request never has two poll chains. Named
 * after the request (`issuance-<issuance id>-<poll>`), not the child: a child's later request is another chain,
 * whose polls BullMQ must not drop as duplicates of the earlier one's kept jobs (completed kept an hour, failed
 * 30 days), and whose `identity_check` job keys (the job id) are its own. A request opened before requests had
 * ids (`issuanceId` absent) keeps the old name, `issuance-<child id>-<poll>`, so re-adding its poll 0 still
 * finds its own chain.
 */
export function issuanceJobId(childId: string, issuanceId: string | null | undefined, poll: number): string {
  return issuanceId ? `issuance-${issuanceId}-${poll}` : `issuance-${childId}-${poll}`;
}

/** Processor of `identity-issuance`: one poll; schedules the next one (growing delay) until a number is issued. */
export function identityIssuanceProcessor(ctx: AppContext) {
  const { reconciler, queue } = requireIdentity(ctx);
  return async (job: Job<unknown, unknown, string>, _token?: string, signal?: AbortSignal) => {
    const { childId, issuanceId, poll } = parseJobData('identity-issuance', job.data);
    const outcome = await reconciler
      .pollIssuance({ childId, issuanceId: issuanceId ?? null, poll }, { key: String(job.id), enqueuedAt: new Date(job.timestamp), signal })
      .catch((err: unknown) => {
        throw identityJobFailure([err]);
      });
    if (outcome.kind === 'WAITING') {
      const next = poll + 1;
      await queue.add('identity-issuance', {
        data: issuanceId ? { childId, issuanceId, poll: next } : { childId, poll: next },
        jobId: issuanceJobId(childId, issuanceId, next),
        delay: outcome.nextPollInMs,
      });
    }
    return outcome;
  };
}
