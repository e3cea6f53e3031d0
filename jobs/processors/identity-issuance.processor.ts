import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { parseJobData } from '../queues.js';
import { identityJobFailure } from './identity-failure.js';
import { requireIdentity } from './require-identity.js';

/** Deterministic: a poll re-added after a crash is the same job, so a child never has two poll chains. */
export function issuanceJobId(childId: string, poll: number): string {
  return `issuance-${childId}-${poll}`;
}

/** Processor of `identity-issuance`: one poll; schedules the next one (growing delay) until a number is issued. */
export function identityIssuanceProcessor(ctx: AppContext) {
  const { reconciler, queue } = requireIdentity(ctx);
  return async (job: Job<unknown, unknown, string>, _token?: string, signal?: AbortSignal) => {
    const { childId, poll } = parseJobData('identity-issuance', job.data);
    const outcome = await reconciler
      .pollIssuance(childId, poll, { key: String(job.id), enqueuedAt: new Date(job.timestamp), signal })
      .catch((err: unknown) => {
        throw identityJobFailure([err]);
      });
    if (outcome.kind === 'WAITING') {
      await queue.add('identity-issuance', { data: { childId, poll: poll + 1 }, jobId: issuanceJobId(childId, poll + 1), delay: outcome.nextPollInMs });
    }
    return outcome;
  };
}
