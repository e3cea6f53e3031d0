import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import { parseJobData } from '../queues.js';
import { requireIdentity } from './require-identity.js';

/** Processor of `identity-sweep`: numbers due for re-verification go to the outbox; overdue issuance is flagged. */
export function identitySweepProcessor(ctx: AppContext) {
  const { reconciler } = requireIdentity(ctx);
  return async (job: Job<unknown, unknown, string>) => {
    parseJobData('identity-sweep', job.data);
    return reconciler.sweep(ctx.config.IDENTITY_REVERIFY_DAYS);
  };
}
