import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isRetryableNetworkCode, isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry-policy.js';

const settings = { maxAttempts: 6, initialDelayMs: 500, maxDelayMs: 30_000 };

describe('retry policy', () => {
  it('retries 429, 408 and 5xx only', () => {
    expect([429, 408, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });

  it('retries timeouts and connection failures, not unknown hosts', () => {
    expect(['TIMEOUT', 'ECONNRESET', 'ECONNREFUSED', 'EAI_AGAIN'].every(isRetryableNetworkCode)).toBe(true);
    expect(isRetryableNetworkCode('ENOTFOUND')).toBe(false);
    expect(isRetryableNetworkCode(undefined)).toBe(false);
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffDelayMs(a, settings, () => 0.999999))).toEqual([
      499, 999, 1999, 3999, 7999, 15999, 29999, 29999,
    ]);
    expect(backoffDelayMs(3, settings, () => 0)).toBe(0);
  });

  it('uses Retry-After when given, capped at maxDelayMs', () => {
    expect(retryDelayMs(1, 2000, settings, () => 0.5)).toBe(2000);
    expect(retryDelayMs(1, 120_000, settings, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(2, undefined, settings, () => 0.5)).toBe(500);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-11-25T03:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 03:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 02:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('ignores values that are neither whole seconds nor an HTTP date, so the backoff applies (QA: "-5" and "1.5" retried at once)', () => {
    const now = new Date('2026-11-25T03:00:00Z');
    for (const v of ['-5', '1.5', '2026-11-25', '30s', '1e3']) expect(parseRetryAfter(v, now), v).toBeUndefined();
    // The obsolete RFC 850 form is still a date.
    expect(parseRetryAfter('Wednesday, 25-Nov-26 03:00:30 GMT', now)).toBe(30_000);
  });
});
