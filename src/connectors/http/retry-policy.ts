/** When and how long to wait before another attempt at a request. */
export interface RetrySettings {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Ceiling of the first backoff; doubled after each failure. */
  initialDelayMs: number;
  /** Longest wait between attempts, a Retry-After included. */
  maxDelayMs: number;
}

/**
 * Statuses worth another attempt: 429 (rate limited), 408 (the server timed out waiting for us) and
 * every 5xx. Every other 4xx is a configuration problem.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/**
 * Connection failures worth another attempt. ENOTFOUND is left out: a host name that does not resolve is
 * a typo far more often than weather, and six attempts would only delay saying so.
 */
const RETRYABLE_NETWORK_CODES = new Set([
  'TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

export function isRetryableNetworkCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/**
 * Exponential backoff with full jitter (a uniform wait between 0 and the capped exponential), after the
 * `failedAttempt`-th attempt (1-based). Full jitter spreads the retries of many clients hit by the same outage.
 */
export function backoffDelayMs(failedAttempt: number, settings: RetrySettings, random: () => number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The wait before the next attempt: what the server asked for (Retry-After), capped at `maxDelayMs`, or the
 * jittered backoff when it did not say.
 */
export function retryDelayMs(
  failedAttempt: number,
  retryAfterMs: number | undefined,
  settings: RetrySettings,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, settings.maxDelayMs);
  return backoffDelayMs(failedAttempt, settings, random);
}

/**
 * `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unusable, so
 * the backoff applies. Every HTTP-date form begins with a day name (`Sun, 06 Nov 1994 08:49:37 GMT`):
 * `Date.parse` alone would take `-5` or `1.5` for dates long past, and the retry would follow at once.
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
