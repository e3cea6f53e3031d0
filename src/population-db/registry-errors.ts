import { RegistryRejectedError } from '../errors/registry-rejected-error.js';
import { UpstreamUnavailableError } from '../errors/upstream-unavailable-error.js';

/**
 * The adapter's failures. Their messages are built here from the adapter's own words and protocol codes only (the
 * operation, an HTTP status, a SOAP fault code or LGSP error code when it is a plain identifier, `KetQua`, a
 * validation path, which settings to check), never from the registry's text, which may quote the person asked
 * about: logs and a failed job in Redis keep them whole (QA: `refused … with HTTP 401 [redacted]` hid which settings
 * to check, and a job's reason said only `message withheld`, so a wrong password looked like a 500).
 */
export class RegistryRefusedError extends RegistryRejectedError {
  override readonly messageIsSafe = true;
}

/**
 * A refusal of the caller's setup, not of the person asked about (HTTP 401/403: credentials, clock, operations granted;
 * 404/405: the URL): another worker, or this one once mended, would be answered. An identity job retries it rather
 * than failing for good (QA: a worker with a wrong secret beside a good one failed 35 of 100 jobs for good).
 */
export class RegistryConfigurationError extends RegistryRefusedError {}

/** The registry did not answer usably (timeouts, 5xx, malformed answers): see {@link RegistryRefusedError}. */
export class RegistryUnavailableError extends UpstreamUnavailableError {
  override readonly messageIsSafe = true;
}

/** A protocol code as the registry sent it, when it is a plain identifier (`soap:Client.Authentication`); else null. */
export function plainCode(code: string | undefined): string | null {
  return code !== undefined && /^[A-Za-z][\w.:-]{0,63}$/.test(code) ? code : null;
}
