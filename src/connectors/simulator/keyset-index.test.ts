import { describe, expect, it } from 'vitest';
import { formatHanoi, parseInstantMs } from './hanoi-time.js';
import { KeysetIndex } from './keyset-index.js';

describe('KeysetIndex', () => {
  const make = () =>
    new KeysetIndex(
      [
        { time: 30, id: 'c', item: 'c' },
        { time: 10, id: 'b', item: 'b' },
        { time: 10, id: 'a', item: 'a' },
        { time: 20, id: 'd', item: 'd' },
      ][Symbol.iterator](),
    );
  const order = (ix: KeysetIndex<string>) => Array.from({ length: ix.size }, (_, i) => ix.at(i)!.id);

  it('orders by time then id and finds positions by key and by time', () => {
    const ix = make();
    expect(order(ix)).toEqual(['a', 'b', 'd', 'c']);
    expect(ix.positionAfter({ time: 10, id: 'a' })).toBe(1);
    expect(ix.positionAfter({ time: 10, id: 'a' }, true)).toBe(0);
    expect(ix.positionAfterTime(10, false)).toBe(2);
    expect(ix.positionAfterTime(10, true)).toBe(0);
    expect(ix.positionAfterTime(31, true)).toBe(4);
    expect(ix.maxTime).toBe(30);
  });

  it('moves an updated record to its new place', () => {
    const ix = make();
    ix.update('a', 40, 'a2');
    expect(order(ix)).toEqual(['b', 'd', 'c', 'a']);
    expect(ix.get('a')!.item).toBe('a2');
    expect(() => ix.update('zz', 1, '')).toThrow();
  });

  it('inserts a new record at its place, and refuses an id it holds', () => {
    const ix = make();
    ix.insert({ time: 20, id: 'e', item: 'e' });
    ix.insert({ time: 50, id: 'f', item: 'f' });
    expect(order(ix)).toEqual(['a', 'b', 'd', 'e', 'c', 'f']);
    expect(ix.get('f')!.item).toBe('f');
    expect(ix.maxTime).toBe(50);
    expect(() => ix.insert({ time: 60, id: 'a', item: 'a2' })).toThrow();
    expect(ix.size).toBe(6);
  });

  it('refuses duplicate ids', () => {
    expect(() => new KeysetIndex([{ time: 1, id: 'x', item: 1 }, { time: 2, id: 'x', item: 2 }])).toThrow();
  });
});

describe('Hà Nội time', () => {
  it('reads ISO instants, bare dates and an unencoded + as Hà Nội time', () => {
    const ms = Date.parse('2026-10-31T08:00:00Z');
    expect(parseInstantMs('2026-10-31T15:00:00+07:00')).toBe(ms);
    expect(parseInstantMs('2026-10-31T15:00:00 07:00')).toBe(ms);
    expect(parseInstantMs('2026-10-31T08:00:00Z')).toBe(ms);
    expect(parseInstantMs('2026-10-31T15:00:00')).toBe(ms);
    expect(parseInstantMs('2026-10-31')).toBe(Date.parse('2026-10-30T17:00:00Z'));
    expect(parseInstantMs('2026-02-31')).toBeNaN();
    expect(parseInstantMs('yesterday')).toBeNaN();
    expect(formatHanoi(ms)).toBe('2026-10-31T15:00:00+07:00');
  });
});
