import { describe, expect, it } from 'vitest';
import { SYNC_RETRY_BACKOFF, syncRetryBackoff, syncRetryDelayMs } from './sync-retry-backoff.js';

describe('connector-sync retry backoff', () => {
  const backoff = { type: SYNC_RETRY_BACKOFF, delay: 15_000, jitter: 0.5 };

  it('doubles from the delay at each attempt, drawn between half and all of it, as BullMQ\'s exponential', () => {
    expect([1, 2, 3, 4].map((a) => syncRetryDelayMs(backoff, a, () => 0.999999))).toEqual([14_999, 29_999, 59_999, 119_999]);
    expect([1, 2, 3, 4].map((a) => syncRetryDelayMs(backoff, a, () => 0))).toEqual([7_500, 15_000, 30_000, 60_000]);
    expect(syncRetryDelayMs({ type: SYNC_RETRY_BACKOFF, delay: 1_000 }, 3)).toBe(4_000);
    expect(syncRetryDelayMs({ type: 'fixed', delay: 1_000 }, 3)).toBe(1_000);
    expect(syncRetryDelayMs(undefined, 3)).toBe(0);
  });

  it('the queue waits the delay the processor recorded on the run, carried by its error', () => {
    const job = { opts: { backoff } };
    expect(syncRetryBackoff(1, SYNC_RETRY_BACKOFF, Object.assign(new Error('x'), { retryDelayMs: 9_876 }), job)).toBe(9_876);
    const drawn = syncRetryBackoff(2, SYNC_RETRY_BACKOFF, new Error('x'), job);
    expect(drawn).toBeGreaterThanOrEqual(15_000);
    expect(drawn).toBeLessThanOrEqual(30_000);
  });
});
