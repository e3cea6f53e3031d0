import { describe, expect, it } from 'vitest';
import { FaultInjector } from './http-faults.js';

const fates = (f: FaultInjector, n: number) => Array.from({ length: n }, () => f.nextRequest());

describe('FaultInjector', () => {
  it('injects nothing by default', () => {
    const f = new FaultInjector(undefined, 1);
    expect(fates(f, 50).every((x) => x.fault === null && !x.repeatPage)).toBe(true);
    expect(f.malformedVariant('x', 4)).toBeNull();
    expect(f.reorder([1, 2, 3], 'p')).toEqual([1, 2, 3]);
  });

  it('rate-limits exactly every Nth request', () => {
    const f = new FaultInjector({ rateLimitEvery: 4 }, 1);
    expect(fates(f, 8).map((x) => x.fault)).toEqual([null, null, null, 'rateLimit', null, null, null, 'rateLimit']);
    expect(f.retryAfterSeconds).toBe(1);
    expect(f.counts.rateLimited).toBe(2);
  });

  it('draws the same faults for the same seed, and restarts the draws when set again', () => {
    const a = fates(new FaultInjector({ errorRate: 0.3, timeoutRate: 0.1, repeatPageRate: 0.2, seed: 5 }, 1), 200);
    const f = new FaultInjector({ errorRate: 0.3, timeoutRate: 0.1, repeatPageRate: 0.2, seed: 5 }, 99);
    expect(fates(f, 200)).toEqual(a);
    f.set({ errorRate: 0.3, timeoutRate: 0.1, repeatPageRate: 0.2, seed: 5 });
    expect(fates(f, 200)).toEqual(a);
    const share = (k: string) => a.filter((x) => x.fault === k).length / a.length;
    expect(share('error')).toBeGreaterThan(0.15);
    expect(share('timeout')).toBeGreaterThan(0.02);
    expect(a.some((x) => x.repeatPage)).toBe(true);
  });

  it('breaks the same records whatever the order they are asked for', () => {
    const f = new FaultInjector({ malformedRecordRate: 0.2 }, 3);
    const keys = Array.from({ length: 1000 }, (_, i) => `id-${i}`);
    const first = keys.map((k) => f.malformedVariant(k, 4));
    const again = [...keys].reverse().map((k) => f.malformedVariant(k, 4)).reverse();
    expect(again).toEqual(first);
    const broken = first.filter((v) => v !== null);
    expect(broken.length / keys.length).toBeGreaterThan(0.15);
    expect(new Set(broken)).toEqual(new Set([0, 1, 2, 3]));
  });

  it('shuffles a page the same way each time when asked to', () => {
    const f = new FaultInjector({ reorderWithinPage: true }, 3);
    const a = f.reorder(Array.from({ length: 20 }, (_, i) => i), 'page-2');
    const b = f.reorder(Array.from({ length: 20 }, (_, i) => i), 'page-2');
    expect(a).toEqual(b);
    expect(a).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('refuses impossible faults', () => {
    const f = new FaultInjector(undefined, 1);
    expect(() => f.set({ errorRate: 1.5 })).toThrow();
    expect(() => f.set({ errorRate: 0.6, timeoutRate: 0.6 })).toThrow();
    expect(() => f.set({ rateLimitEvery: 0 })).toThrow();
    expect(() => f.set({ surprise: true })).toThrow();
  });
});
