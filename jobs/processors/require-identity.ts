import type { AppContext } from '../../src/app/app-context.js';
import { WorkerSetupError } from '../worker-setup.error.js';

/** The identity services, which exist only where the population database is configured. */
export function requireIdentity(ctx: AppContext): NonNullable<AppContext['identity']> {
  if (!ctx.identity) {
    throw new WorkerSetupError('identity queues need POPULATION_DB_URL (the population database adapter is not configured)', 'identity-reconcile');
  }
  return ctx.identity;
}
