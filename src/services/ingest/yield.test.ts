import { describe, expect, it } from 'vitest';
import { yieldIfBusy } from './yield.js';

describe('yieldIfBusy', () => {
  it('lets I/O in while a long loop runs, at most about every half millisecond, and costs nothing in between', async () => {
    let ranAt = -1;
    let i = 0;
    setImmediate(() => (ranAt = i)); // stands for a database answer waiting behind the loop
    let yields = 0;
    const spin = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    for (; i < 200; i++) {
      spin(0.05); // ~10 ms in all
      const y = yieldIfBusy();
      if (y) {
        yields++;
        await y;
      }
    }
    expect(ranAt).toBeGreaterThanOrEqual(0);
    expect(ranAt).toBeLessThan(20); // within about the first half millisecond of the loop
    expect(yields).toBeGreaterThan(5);
    expect(yields).toBeLessThan(100); // not once per record
  });
});
