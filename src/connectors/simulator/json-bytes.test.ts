import { describe, expect, it } from 'vitest';
import { jsonBytes } from './json-bytes.js';

const same = (value: unknown) => expect(jsonBytes(value).toString('utf8')).toBe(JSON.stringify(value) ?? '');

describe('jsonBytes', () => {
  it('writes a page exactly as JSON.stringify does', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ ma: `HS${i}`, ho_ten: 'Nguyễn Thị Ánh 😀', lop: i % 3 === 0 ? null : `${i}A`, ds: [1, 'hai', { ba: true }] }));
    same({ data: rows, next_cursor: 'abc' });
    same({ data: [], next_cursor: null });
    same(rows);
    same([]);
  });

  it('leaves out what JSON leaves out and keeps what it keeps', () => {
    same({ a: undefined, b: () => 1, c: Symbol('s'), d: 1, e: [undefined, () => 1, Symbol('x'), 2] });
    same({ a: undefined, b: 2 });
    same({ first: undefined });
    same({ ['__proto__']: { x: 1 }, list: [{ ['__proto__']: 1 }] });
    same(JSON.parse('{"__proto__":[1,2],"y":"z"}'));
    same({ when: new Date(Date.UTC(2026, 11, 3)), n: Number.NaN, big: 1e21, neg: -0 });
    // eslint-disable-next-line no-sparse-arrays
    same({ holes: [1, , 3] });
    same(Object.assign(Object.create(null) as object, { a: [1], b: 'x' }));
  });

  it('honours toJSON on the value and on its arrays', () => {
    same({ toJSON: () => ({ replaced: [1, 2] }) });
    same({ list: Object.assign([1, 2], { toJSON: () => 'custom' }) });
    same(new Date(0));
    same(new Map([[1, 2]]));
  });

  it('writes scalars as JSON.stringify does', () => {
    for (const v of ['chuỗi', 12.5, true, null]) same(v);
  });
});
