import { RegistryRejectedError } from '../../src/errors/registry-rejected-error.js';
import { RegistryConfigurationError } from '../../src/population-db/registry-errors.js';
import { storableJobError } from './storable-job-error.js';

/**
 * The error an identity job fails with when registry calls failed. A refusal by the registry
 * (`RegistryRejectedError`: a client fault, `KetQua` 99) will not change on a retry, and every retry
 * would spend quota on it: when every failure is a refusal the job fails for good (`UnrecoverableError`,
 * kept for operators). Any other failure (429 after its retries, 5xx, timeouts, malformed answers, and a refusal
 * of the worker's setup, `RegistryConfigurationError`: 401/403/404/405) is weather: it is thrown as it is and BullMQ retries the job with backoff (the worker keeps of it what a job may
 * keep: {@link storableJobError}).
 */
export function identityJobFailure(errors: readonly unknown[]): unknown {
  // A refusal of the worker's own setup (credentials, URL) is not the child's: retried, on this worker or another.
  const weather = errors.find((e) => !(e instanceof RegistryRejectedError) || e instanceof RegistryConfigurationError);
  if (weather !== undefined || errors.length === 0) return weather;
  // The registry's own words may name the child it refused: its code only is kept with the job (storableJobError).
  return storableJobError(errors[0], { unrecoverable: true });
}
