import { describe, expect, it } from 'vitest';
import { NewSourceRecords } from '../../connectors/simulator/population-growth.js';
import { generateChild } from '../../sample/population.js';
import { CitizenRegistry } from './citizen-registry.js';

const SEED = 2026;

describe('CitizenRegistry: children the sources add later', () => {
  it('knows the children the source simulators add after the population (growth), as they serve them', () => {
    const count = 301; // odd: the children added start one index later (the last twin has no partner)
    const added = new NewSourceRecords(SEED, count, 'school').take(30).map((r) => r.child);
    const numbered = added.filter((c) => c.identityNumber !== null);
    expect(numbered.length).toBeGreaterThan(10);
    const without = new CitizenRegistry({ seed: SEED, count, issuanceDelayMs: 0 });
    const grown = new CitizenRegistry({ seed: SEED, count, growth: 200, issuanceDelayMs: 0 });
    for (const child of numbered) {
      expect(without.findByNumber(child.identityNumber!)).toBeNull();
      expect(grown.findByNumber(child.identityNumber!)).toMatchObject({ fullName: child.fullName, birthDate: child.birthDate, sex: child.sex });
      const year = Number(child.birthDate.slice(0, 4));
      expect(grown.findByNameAndBirth(child.fullName, { year, month: Number(child.birthDate.slice(5, 7)), day: Number(child.birthDate.slice(8, 10)) }).map((c) => c.number))
        .toContain(child.identityNumber);
    }
    // The population itself is served as before.
    for (const i of [0, 150, count - 1]) {
      const child = generateChild(SEED, i, count);
      if (child.identityNumber) expect(grown.findByNumber(child.identityNumber)).toMatchObject({ fullName: child.fullName });
    }
  });

  it('refuses a negative or fractional growth', () => {
    expect(() => new CitizenRegistry({ seed: SEED, count: 10, growth: -1 })).toThrow(RangeError);
    expect(() => new CitizenRegistry({ seed: SEED, count: 10, growth: 1.5 })).toThrow(RangeError);
  });
});
