import { describe, expect, it } from 'vitest';
import { logThrottle } from './log-throttle.js';

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
});
