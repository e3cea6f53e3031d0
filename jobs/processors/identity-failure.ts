import { UnrecoverableError } from 'bullmq';
import { RegistryRejectedError } from '../../src/errors/registry-rejected-error.js';

/**
 * The error an identity job fails with when registry calls failed. A refusal by the registry
 * (`RegistryRejectedError`: a client fault, `KetQua` 99, 401/403) will not change on a retry, and every retry
 * would spend quota on it: when every failure is a refusal the job fails for good (`UnrecoverableError`,
 * kept for operators). Any other failure (429 after its retries, 5xx, timeouts, malformed answers) is
 * weather: it is thrown as it is and BullMQ retries the job with backoff.
 */
export function identityJobFailure(errors: readonly unknown[]): unknown {
  const weather = errors.find((e) => !(e instanceof RegistryRejectedError));
  if (weather !== undefined || errors.length === 0) return weather;
  const refused = errors[0] as RegistryRejectedError;
  return new UnrecoverableError(`${refused.code}: ${refused.message}`);
}
