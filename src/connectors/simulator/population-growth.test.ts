import { describe, expect, it } from 'vitest';
import { generateChild } from '../../sample/population.js';
import { generateSourceRecords } from '../../sample/source-views.js';
import { NewSourceRecords, firstNewChildIndex, populationChild } from './population-growth.js';

const SEED = 77;

describe('NewSourceRecords', () => {
  it('gives the records of the children after the population, exactly as a larger population holds them', () => {
    const growth = new NewSourceRecords(SEED, 400, 'health-station');
    const taken = [...growth.take(7), ...growth.take(0), ...growth.take(13)];
    expect(taken).toHaveLength(20);
    const larger = [...generateSourceRecords({ seed: SEED, count: 1000, sources: ['health-station'], start: 400 })].slice(0, 20);
    expect(taken.map((t) => t.record)).toEqual(larger.map((l) => l.record));
    expect(taken.map((t) => t.child.truthId)).toEqual(larger.map((l) => l.truthId));
    expect(taken[0]!.child.index).toBeGreaterThanOrEqual(400);
  });

  it('adds the same children in every source: a child two sources gain is one child', () => {
    const school = new NewSourceRecords(SEED, 400, 'school').take(40);
    const health = new NewSourceRecords(SEED, 400, 'health-station').take(40);
    const healthChildren = new Map(health.map((h) => [h.child.truthId, h.child]));
    const shared = school.filter((s) => healthChildren.has(s.child.truthId));
    expect(shared.length).toBeGreaterThan(20);
    for (const s of shared) expect(s.child).toEqual(healthChildren.get(s.child.truthId));
  });

  it('is deterministic, and continues where the last call stopped, a second record of a child included', () => {
    const once = new NewSourceRecords(SEED, 400, 'health-station').take(300).map((r) => r.record.externalId);
    const stepwise = new NewSourceRecords(SEED, 400, 'health-station');
    const steps = [1, 2, 3, 50, 244].flatMap((n) => stepwise.take(n).map((r) => r.record.externalId));
    expect(steps).toEqual(once);
    expect(new Set(once).size).toBe(300);
    // Some child among these has two records (1%), which `ofChild` lists together wherever the second falls.
    const pair = new NewSourceRecords(SEED, 400, 'health-station').take(300).find((r) => r.position === 1);
    expect(pair?.ofChild.map((r) => r.externalId)).toHaveLength(2);
  });

  it('passes over the records a writer does not want, for good', () => {
    const all = new NewSourceRecords(SEED, 400, 'justice-register').take(30);
    const births = new NewSourceRecords(SEED, 400, 'justice-register').take(10, (r) => (r.record.raw as { LOAI_SO: string }).LOAI_SO !== 'NUOI_CON_NUOI');
    expect(births.map((b) => b.record.externalId)).toEqual(all.filter((a) => (a.record.raw as { LOAI_SO: string }).LOAI_SO !== 'NUOI_CON_NUOI').slice(0, 10).map((a) => a.record.externalId));
  });

  it('refuses a count that is not a non-negative integer', () => {
    expect(() => new NewSourceRecords(SEED, 10, 'school').take(-1)).toThrow(RangeError);
    expect(() => new NewSourceRecords(SEED, 10, 'school').take(1.5)).toThrow(RangeError);
  });
});

describe('the population past its size', () => {
  it('starts after the population, skipping the partner of a pair an odd population cut in half', () => {
    expect(firstNewChildIndex(400)).toBe(400);
    expect(firstNewChildIndex(401)).toBe(402);
    expect(new NewSourceRecords(SEED, 401, 'health-station').nextChildIndex).toBe(402);
  });

  it('holds the population as generated for its size, and the children after it as the population continues', () => {
    // With an even size the two agree everywhere, so a larger population (a population-database simulator's) holds
    // the same children.
    for (let i = 0; i < 500; i++) expect(populationChild(SEED, 400, i)).toEqual(generateChild(SEED, i, 2000));
    expect(populationChild(SEED, 401, 400)).toEqual(generateChild(SEED, 400, 401));
  });
});
