import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { parseJobData } from '../queues.js';
import { issuanceJobId } from './identity-issuance.processor.js';
import { requireIdentity } from './require-identity.js';

/**
 * Processor of `identity-reconcile`: each child's number is verified within the shared quota; a child
 * without a number gets an issuance request, whose first poll is enqueued here (once: the request row is
 * opened only once per child).
 */
export function identityReconcileProcessor(ctx: AppContext) {
  const { reconciler, queue } = requireIdentity(ctx);
  return async (job: Job<unknown, unknown, string>, _token?: string, signal?: AbortSignal) => {
    const { childIds } = parseJobData('identity-reconcile', job.data);
    const enqueuedAt = new Date(job.timestamp);
    const outcomes = await Promise.all(childIds.map((childId) =>
      reconciler.reconcile(childId, { key: `${job.id}/${childId}`, enqueuedAt, signal })));
    const started = childIds.filter((_, i) => outcomes[i]!.kind === 'ISSUANCE_STARTED');
    if (started.length) {
      await queue.addBulk('identity-issuance', started.map((childId) => ({ data: { childId, poll: 0 }, jobId: issuanceJobId(childId, 0) })));
    }
    const counts: Record<string, number> = {};
    for (const o of outcomes) {
      const k = o.kind === 'CHECKED' ? o.status : o.kind;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return counts;
  };
}
