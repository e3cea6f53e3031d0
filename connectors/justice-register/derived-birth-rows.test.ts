import { describe, expect, it } from 'vitest';
import { DerivedBirthRows } from './derived-birth-rows.js';

describe('derived birth rows', () => {
  it('give each seed its own external ids, so a file of another seed (other people) does not overwrite these registrations (QA: 49,950 of 50,000 ids shared)', () => {
    const ids = (seed: number, n: number) => {
      const rows = new DerivedBirthRows(seed, 0);
      return Array.from({ length: n }, (_, j) => rows.row(j)[0]!);
    };
    const a = ids(2026, 20_000);
    const b = ids(7, 20_000);
    expect(new Set(a).size).toBe(a.length);
    expect(a.every((id) => /^KSX\d{9}$/.test(id))).toBe(true);
    // Two draws of 20,000 from 10⁹ ids share about 0.4 on average.
    const inA = new Set(a);
    const shared = b.filter((id) => inA.has(id)).length;
    expect(shared).toBeLessThan(5);
    // The same seed gives the same rows.
    expect(ids(2026, 100)).toEqual(a.slice(0, 100));
  });
});
