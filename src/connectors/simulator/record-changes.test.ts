import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addSteadily, type AddResult } from './record-changes.js';

const silent = pino({ level: 'silent' });

describe('addSteadily', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('adds the given count every interval until stopped', () => {
    vi.useFakeTimers();
    const calls: number[] = [];
    const add = (n: number): AddResult => {
      calls.push(n);
      return { ids: [], truthIds: [], updatedAt: '2026-11-01T00:00:00+07:00' };
    };
    const steady = addSteadily(add, { everySeconds: 30, count: 4 }, silent);
    vi.advanceTimersByTime(29_999);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(60_001);
    expect(calls).toEqual([4, 4, 4]);
    steady.stop();
    vi.advanceTimersByTime(300_000);
    expect(calls).toEqual([4, 4, 4]);
  });

  it('refuses an interval or a count that cannot work', () => {
    const add = (): AddResult => ({ ids: [], truthIds: [], updatedAt: '' });
    expect(() => addSteadily(add, { everySeconds: 0 }, silent)).toThrow(RangeError);
    expect(() => addSteadily(add, { everySeconds: Number.NaN }, silent)).toThrow(RangeError);
    expect(() => addSteadily(add, { everySeconds: 5, count: 0 }, silent)).toThrow(RangeError);
  });
});
