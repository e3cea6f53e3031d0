import { describe, expect, it } from 'vitest';
import { admitRepeated, logThrottle } from './log-throttle.js';

describe('logThrottle', () => {
  it('lets the first line of a kind through, holds back repeats within the interval and says how many', () => {
    let t = 0;
    const admit = logThrottle(10_000, () => t);
    expect(admit('a')).toBe(0);
    t = 1_000;
    expect(admit('a')).toBeNull();
    expect(admit('b')).toBe(0); // another kind is its own
    t = 9_999;
    expect(admit('a')).toBeNull();
    t = 10_000;
    expect(admit('a')).toBe(2);
    t = 25_000;
    expect(admit('a')).toBe(0);
  });

  it('forgets kinds past a bound, those whose interval is over first (QA: a long outage\'s distinct messages stayed for good)', () => {
    let t = 0;
    const admit = logThrottle(10_000, () => t, 3);
    expect([admit('a'), admit('b'), admit('c')]).toEqual([0, 0, 0]);
    t = 5_000;
    expect(admit('a')).toBeNull(); // a repeat within its interval: held back, whatever the bound
    t = 12_000;
    expect(admit('d')).toBe(0); // over the bound: a, b and c are over their interval, forgotten
    expect(admit('d')).toBeNull();
    expect(admit('a')).toBe(0); // a's held-back count was forgotten with it: a line, not a count, is what must not be lost
    t = 13_000;
    expect(admit('e')).toBe(0);
    expect(admit('f')).toBe(0); // d, a and e still in their interval: all forgotten
    expect(admit('d')).toBe(0);
  });
});

describe('admitRepeated', () => {
  it('takes messages that differ only in ids (hex, ULIDs, numbers) for one kind', () => {
    const kind = `test-${Math.random()}`;
    expect(admitRepeated(kind, 'run run_01M95DJ9Z6G1Y6SDJPDQ68205E failed: job 12 lost')).toBe(0);
    expect(admitRepeated(kind, 'run run_01M95DJAVZ4AQRKQ16SC0C99A8 failed: job 345 lost')).toBeNull();
    expect(admitRepeated(kind, 'another message')).toBe(0);
  });
});
