import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { parseJobData } from '../queues.js';
import { identityJobFailure } from './identity-failure.js';
import { issuanceJobId } from './identity-issuance.processor.js';
import { requireIdentity } from './require-identity.js';

/**
 * Processor of `identity-reconcile`: the job's children are verified together (one read, calls within the
 * shared quota, one recording transaction); a child without a number gets an issuance request and its
 * first poll. When a child's registry call failed the others' results stay recorded and the job throws, so
 * BullMQ retries it and the retry asks only about the children without a result; when every failure was a
 * refusal by the registry, the job fails for good instead ({@link identityJobFailure}).
 */
export function identityReconcileProcessor(ctx: AppContext) {
  const { reconciler, queue } = requireIdentity(ctx);
  return async (job: Job<unknown, unknown, string>, _token?: string, signal?: AbortSignal) => {
    const { childIds } = parseJobData('identity-reconcile', job.data);
    const ids = [...new Set(childIds)];
    const outcomes = await reconciler.reconcile(ids.map((childId) => ({ childId, key: `${job.id}/${childId}` })), {
      enqueuedAt: new Date(job.timestamp),
      signal,
    });
    // The first poll is (re-)added for a request opened earlier too: a crash between opening the request and
    // adding its poll would otherwise leave it without one. The job id (the request's) makes the add
    // idempotent, and a poll whose result is already recorded does nothing.
    const polls = ids.flatMap((childId, i) => {
      const o = outcomes[i]!;
      if (o.kind !== 'ISSUANCE_STARTED' && o.kind !== 'ISSUANCE_ALREADY_RUNNING') return [];
      const data = o.issuanceId ? { childId, issuanceId: o.issuanceId, poll: 0 } : { childId, poll: 0 };
      return [{ data, jobId: issuanceJobId(childId, o.issuanceId, 0) }];
    });
    if (polls.length) await queue.addBulk('identity-issuance', polls);
    const failures = outcomes.flatMap((o) => (o.kind === 'FAILED' ? [o.error] : []));
    if (failures.length) throw identityJobFailure(failures);
    const counts: Record<string, number> = {};
    for (const o of outcomes) {
      const k = o.kind === 'CHECKED' ? o.status : o.kind;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return counts;
  };
}
