import { describe, expect, it } from 'vitest';
import { BUSY_MS, yieldIfBusy } from './yield.js';

describe('yieldIfBusy', () => {
  it(`lets I/O in while a long loop runs, about every ${BUSY_MS} ms, and costs nothing in between`, async () => {
    let ranAt = -1;
    let i = 0;
    setImmediate(() => (ranAt = i)); // stands for a database answer waiting behind the loop
    let yields = 0;
    const step = BUSY_MS / 5;
    const spin = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const steps = Math.round(10 / step); // ~10 ms in all
    for (; i < steps; i++) {
      spin(step);
      const y = yieldIfBusy();
      if (y) {
        yields++;
        await y;
      }
    }
    expect(ranAt).toBeGreaterThanOrEqual(0);
    expect(ranAt).toBeLessThan(20); // within a few BUSY_MS of the loop's start
    expect(yields).toBeGreaterThan(5);
    expect(yields).toBeLessThan(steps / 2); // not once per record
  });
});
