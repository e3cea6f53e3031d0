import { beforeAll, describe, expect, it } from 'vitest';
import { checkIdentityNumber, decodeIdentityNumber } from '../domain/identity-number.js';
import { SOURCE_SYSTEMS } from '../domain/source-record-input.js';
import { foldName, normalizeName } from '../domain/vietnamese-name.js';
import { HANOI_PROVINCE_CODE, communesOfProvince } from '../reference/admin-units.js';
import { REFERENCE_DATE, ageOn } from './calendar.js';
import { syntheticFacilities } from './facilities.js';
import { POPULATION_RATES, generateChild, generatePopulation, type SyntheticChild } from './population.js';
import { Random, WeightedTable, createPermutation, forkRandom } from './random.js';
import { generateGroundTruth, generateSourceRecords, recordsFor, sourceRandom, type GeneratedSourceRecord, type Variation } from './source-views.js';

const SEED = 20261101;
const N = 20_000;
const today = new Date(`${REFERENCE_DATE}T00:00:00Z`);

let children: SyntheticChild[];
let records: GeneratedSourceRecord[];
let byTruthId: Map<string, SyntheticChild>;

beforeAll(() => {
  children = [...generatePopulation({ seed: SEED, count: N })];
  byTruthId = new Map(children.map((c) => [c.truthId, c]));
  records = [...generateSourceRecords({ seed: SEED, count: N })];
});

const share = (pred: (c: SyntheticChild) => boolean, of: readonly SyntheticChild[] = children): number =>
  of.filter(pred).length / of.length;

describe('random', () => {
  it('is deterministic per (seed, index) and uniform enough', () => {
    expect(forkRandom(1, 2).uint32()).toBe(forkRandom(1, 2).uint32());
    expect(forkRandom(1, 2).uint32()).not.toBe(forkRandom(1, 3).uint32());
    const rnd = new Random(7);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += rnd.next();
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    for (let i = 0; i < 1000; i++) {
      const v = rnd.int(3, 5);
      expect(v >= 3 && v <= 5 && Number.isInteger(v)).toBe(true);
    }
  });

  it('picks by weight', () => {
    const table = new WeightedTable(['a', 'b', 'c'], [1, 0, 3]);
    const rnd = new Random(11);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 40_000; i++) counts[rnd.weightedPick(table)]!++;
    expect(counts.b).toBe(0);
    expect(counts.c! / 40_000).toBeCloseTo(0.75, 1);
  });

  it('builds bijective permutations', () => {
    for (const size of [1, 7, 1000, 4096]) {
      const p = createPermutation(size, 99);
      const seen = new Set(Array.from({ length: size }, (_, i) => p(i)));
      expect(seen.size).toBe(size);
      expect([...seen].every((v) => v >= 0 && v < size)).toBe(true);
    }
  });
});

describe('population', () => {
  it('is deterministic and randomly accessible', () => {
    const again = [...generatePopulation({ seed: SEED, count: 500 })];
    expect(again).toEqual(children.slice(0, 500).map((c) => generateChild(SEED, c.index, 500)));
    expect(generateChild(SEED, 12_345, N)).toEqual(children[12_345]);
    const other = [...generatePopulation({ seed: SEED + 1, count: 50 })];
    expect(other.map((c) => c.fullName)).not.toEqual(children.slice(0, 50).map((c) => c.fullName));
  });

  it('can be generated in shards', () => {
    const shards = [
      ...generatePopulation({ seed: SEED, count: N, start: 0, end: 301 }),
      ...generatePopulation({ seed: SEED, count: N, start: 301, end: 600 }),
    ];
    expect(shards).toEqual(children.slice(0, 600));
  });

  it('has children under 16 on the reference date, living in Hà Nội communes', () => {
    const hanoi = new Set(communesOfProvince(HANOI_PROVINCE_CODE).map((u) => u.communeCode));
    for (const c of children) {
      expect(c.birthDate >= '2010-11-02' && c.birthDate <= '2026-10-31').toBe(true);
      expect(ageOn(c.birthDate, REFERENCE_DATE)).toBeLessThan(16);
      expect(hanoi.has(c.communeCode)).toBe(true);
    }
    expect(new Set(children.map((c) => c.communeCode)).size).toBe(126);
    expect(new Set(children.map((c) => c.birthDate.slice(0, 4))).size).toBe(17);
  });

  it('draws sex and family names at the intended rates', () => {
    expect(share((c) => c.sex === 'MALE')).toBeCloseTo(POPULATION_RATES.male, 1);
    expect(Math.abs(share((c) => c.familyName === 'Nguyễn') - 0.385)).toBeLessThan(0.015);
    expect(Math.abs(share((c) => c.familyName === 'Trần') - 0.115)).toBeLessThan(0.01);
    expect(share((c) => c.middleName === 'Thị', children.filter((c) => c.sex === 'FEMALE'))).toBeGreaterThan(0.2);
    expect(children.every((c) => c.fullName === [c.familyName, c.middleName, c.givenName].filter(Boolean).join(' '))).toBe(true);
  });

  it('has special-circumstance groups at realistic low prevalence', () => {
    const rate = (clause: string) => share((c) => c.groups.includes(clause as never));
    expect(rate('d')).toBeGreaterThan(0.011);
    expect(rate('d')).toBeLessThan(0.019);
    expect(rate('b')).toBeGreaterThan(0.0015);
    expect(rate('b')).toBeLessThan(0.0045);
    expect(rate('a')).toBeGreaterThan(0.003);
    expect(rate('a')).toBeLessThan(0.007);
    expect(rate('m')).toBeLessThan(0.001);
    expect(share((c) => c.groups.length > 1)).toBeGreaterThan(0);
    expect(children.every((c) => c.abandoned === c.groups.includes('b'))).toBe(true);
    expect(children.every((c) => (c.disabilityType !== null) === c.groups.includes('d'))).toBe(true);
  });

  it('models abandoned children as the law registers them', () => {
    const abandoned = children.filter((c) => c.abandoned);
    expect(abandoned.length).toBeGreaterThan(20);
    for (const c of abandoned) {
      expect(c.fatherName).toBeNull();
      expect(c.motherName).toBeNull();
      expect(c.birthDateEstimated).toBe(true);
      expect(c.carerName).not.toBeNull();
      expect(c.careSince! >= c.birthDate).toBe(true);
      expect(c.twinOf).toBeNull();
    }
    expect(share((c) => c.identityNumber === null, abandoned)).toBeGreaterThan(0.4);
    const facilities = new Set(syntheticFacilities().map((f) => f.code));
    expect(abandoned.some((c) => c.facilityCode && facilities.has(c.facilityCode))).toBe(true);
    expect(abandoned.some((c) => c.facilityCode === null)).toBe(true);
  });

  it('issues structurally valid, unique identity numbers consistent with the child', () => {
    const withNumber = children.filter((c) => c.identityNumber !== null);
    const notAbandoned = children.filter((c) => !c.abandoned);
    expect(Math.abs(share((c) => c.identityNumber === null, notAbandoned) - POPULATION_RATES.noNumber)).toBeLessThan(0.008);
    for (const c of withNumber) {
      const check = checkIdentityNumber(c.identityNumber!, { sex: c.sex, birthYear: Number(c.birthDate.slice(0, 4)), today });
      expect(check).toEqual({ wellFormed: true, findings: [] });
    }
    expect(new Set(withNumber.map((c) => c.identityNumber)).size).toBe(withNumber.length);
    const hanoiPrefix = share((c) => c.identityNumber!.startsWith('001'), withNumber);
    expect(hanoiPrefix).toBeGreaterThan(0.87);
    expect(hanoiPrefix).toBeLessThan(0.93);
    expect(withNumber.filter((c) => c.abandoned).every((c) => decodeIdentityNumber(c.identityNumber!)?.provinceCode === '001')).toBe(true);
  });

  it('has about 1% twins in consecutive pairs that share everything but the given name', () => {
    const twins = children.filter((c) => c.twinOf !== null);
    expect(twins.length / N).toBeGreaterThan(0.006);
    expect(twins.length / N).toBeLessThan(0.014);
    expect(twins.length % 2).toBe(0);
    for (const a of twins.filter((c) => c.index % 2 === 0)) {
      const b = byTruthId.get(a.twinOf!)!;
      expect(b.index).toBe(a.index + 1);
      expect(b.twinOf).toBe(a.truthId);
      for (const field of ['familyName', 'middleName', 'birthDate', 'communeCode', 'fatherName', 'motherName', 'sex'] as const) {
        expect(b[field]).toBe(a[field]);
      }
      expect(b.givenName).not.toBe(a.givenName);
      expect(b.identityNumber === null || b.identityNumber !== a.identityNumber).toBe(true);
    }
  });

  it('never splits a twin pair at the end of the population', () => {
    const pairStart = children.find((c) => c.twinOf !== null && c.index % 2 === 0)!;
    const cut = generateChild(SEED, pairStart.index, pairStart.index + 1);
    expect(cut.twinOf).toBeNull();
  });
});

const NAME_CHANGES: readonly Variation[] = ['NO_DIACRITICS', 'NAME_TYPO', 'NAME_ORDER_SWAPPED', 'NICKNAME'];

describe('source records', () => {
  it('are deterministic and keyed by stable external ids', () => {
    const again = [...generateSourceRecords({ seed: SEED, count: N, end: 300 })];
    expect(again).toEqual(records.filter((r) => byTruthId.get(r.truthId)!.index < 300));
    for (const source of SOURCE_SYSTEMS) {
      const ids = records.filter((r) => r.record.sourceSystem === source).map((r) => r.record.externalId);
      expect(new Set(ids).size, source).toBe(ids.length);
    }
  });

  it('recordsFor gives the records of one source for one child', () => {
    const child = children[42]!;
    const expected = records.filter((r) => r.truthId === child.truthId && r.record.sourceSystem === 'school').map((r) => r.record);
    expect(recordsFor('school', child, sourceRandom(SEED, 'school', 42))).toEqual(expected);
  });

  it('can be limited to some sources without changing them', () => {
    const schoolOnly = [...generateSourceRecords({ seed: SEED, count: N, end: 500, sources: ['school'] })];
    expect(schoolOnly).toEqual(records.filter((r) => r.record.sourceSystem === 'school' && byTruthId.get(r.truthId)!.index < 500));
  });

  it('cover the children each source would know', () => {
    const covered = (source: string, of: readonly SyntheticChild[]) => {
      const ids = new Set(records.filter((r) => r.record.sourceSystem === source).map((r) => r.truthId));
      return of.filter((c) => ids.has(c.truthId)).length / of.length;
    };
    expect(covered('health-station', children)).toBeGreaterThan(0.95);
    const schoolAge = children.filter((c) => ageOn(c.birthDate, '2026-09-05') >= 7);
    expect(covered('school', schoolAge)).toBeGreaterThan(0.93);
    expect(covered('school', children.filter((c) => ageOn(c.birthDate) < 2))).toBe(0);
    expect(covered('justice-register', children.filter((c) => !c.abandoned && c.birthDate < '2026-01-01'))).toBeGreaterThan(0.95);
    const inFacility = children.filter((c) => c.facilityCode !== null && c.careSince! < '2026-01-01' && c.adoption === null);
    expect(covered('facility-inspection', inFacility)).toBe(1);
    expect(covered('facility-inspection', children.filter((c) => c.facilityCode === null))).toBe(0);
  });

  it('include adoption entries and abandoned-child birth registrations', () => {
    const justice = records.filter((r) => r.record.sourceSystem === 'justice-register');
    const abandonedBirths = justice.filter((r) => (r.record.raw as { GHI_CHU?: string }).GHI_CHU === 'Trẻ bị bỏ rơi');
    expect(abandonedBirths.length).toBeGreaterThan(0);
    for (const r of abandonedBirths) {
      expect(r.record.birthDateEstimated).toBe(true);
      expect(r.record.fatherName).toBeNull();
      expect(r.record.groups).toEqual([{ clause: 'b', since: byTruthId.get(r.truthId)!.birthDate }]);
    }
    const adoptions = [...generatePopulation({ seed: SEED, count: 100_000 })]
      .filter((c) => c.groups.some((g) => g === 'a' || g === 'b' || g === 'c'))
      .flatMap((c) => recordsFor('justice-register', c, sourceRandom(SEED, 'justice-register', c.index)))
      .filter((r) => r.externalId.startsWith('NCN'));
    expect(adoptions.length).toBeGreaterThan(5);
    expect(adoptions.every((r) => r.carerName !== null && r.groups!.length === 1)).toBe(true);
  });

  it('record group h (left school before finishing lower secondary) exactly for the children in it, and upper-secondary drop-outs without it', () => {
    const school = records.filter((r) => r.record.sourceSystem === 'school');
    const level = (r: GeneratedSourceRecord) => (r.record.raw as { cap_hoc: string; trang_thai: string; khoi: number | null });
    const inH = school.filter((r) => r.record.groups!.some((g) => g.clause === 'h'));
    expect(inH.map((r) => r.truthId).sort()).toEqual(school.filter((r) => byTruthId.get(r.truthId)!.groups.includes('h')).map((r) => r.truthId).sort());
    expect(inH.length).toBeGreaterThan(10);
    for (const r of inH) {
      expect(level(r).trang_thai).toBe('Thôi học');
      expect(['Tiểu học', 'THCS']).toContain(level(r).cap_hoc);
      expect(level(r).khoi).toBeLessThanOrEqual(9);
    }
    const upperDropOuts = school.filter((r) => level(r).cap_hoc === 'THPT' && level(r).trang_thai === 'Thôi học');
    expect(upperDropOuts.length).toBeGreaterThan(0);
    expect(upperDropOuts.every((r) => !r.record.groups!.some((g) => g.clause === 'h'))).toBe(true);
  });

  it('follow an adopted child to its family: no inspection finds it after the adoption, the other sources see it where it lives now', () => {
    const adopted = children.filter((c) => c.adoption !== null);
    expect(adopted.length).toBeGreaterThan(5);
    const of = (c: SyntheticChild, source: string) => records.filter((r) => r.truthId === c.truthId && r.record.sourceSystem === source);
    let inspectedBefore = 0;
    for (const c of adopted) {
      const a = c.adoption!;
      expect(a.registeredOn <= '2026-11-01' && a.registeredOn > c.careSince!).toBe(true);
      expect(c.communeCode).not.toBe(a.previousCommuneCode);
      expect(c.carerName).toBe(a.motherName);
      for (const r of of(c, 'facility-inspection')) {
        const seen = (r.record.raw as { dot_kiem_tra: { ngay_kiem_tra: string } }).dot_kiem_tra.ngay_kiem_tra;
        expect(`${seen.slice(6)}-${seen.slice(3, 5)}-${seen.slice(0, 2)}` < a.registeredOn, r.record.externalId).toBe(true);
        inspectedBefore++;
      }
      // The health station and the school know its adoptive mother as its carer, the register who gave it.
      for (const r of [...of(c, 'health-station'), ...of(c, 'school')]) expect(r.record.carerName, r.record.externalId).toBe(normalizeName(a.motherName));
      const registration = of(c, 'justice-register').find((r) => r.record.externalId.startsWith('NCN'))!;
      expect(registration.record.communeCode).toBe(c.communeCode);
      expect((registration.record.raw as { NGAY_DANG_KY: string }).NGAY_DANG_KY.split('/').reverse().join('-')).toBe(a.registeredOn);
      expect(foldName((registration.record.raw as { NGUOI_GIAO_CON_NUOI: string }).NGUOI_GIAO_CON_NUOI)).toBe(foldName(a.previousCarerName));
    }
    expect(inspectedBefore).toBeGreaterThan(0);
    expect(adopted.some((c) => c.facilityCode !== null)).toBe(true);
  });

  it('carry the raw payload in each source’s own shape', () => {
    const first = (source: string) => records.find((r) => r.record.sourceSystem === source)!.record.raw;
    expect(first('health-station')).toMatchObject({ resourceType: 'Patient', identifier: expect.any(Array) });
    expect(first('school')).toHaveProperty('ma_dinh_danh_hoc_sinh');
    expect(first('school')).toHaveProperty('so_dinh_danh_ca_nhan');
    expect(first('justice-register')).toHaveProperty('HO_TEN');
    expect((first('justice-register') as { NGAY_SINH: string }).NGAY_SINH).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    expect(first('facility-inspection')).toHaveProperty('tre_em.hoan_canh');
  });

  it('differ from the truth only where the ground truth says so', () => {
    for (const { record, truthId, variations } of records) {
      const child = byTruthId.get(truthId)!;
      const v = new Set(variations);
      const context = `${record.externalId} ${variations.join(',')}`;
      if (!NAME_CHANGES.some((n) => v.has(n))) expect(record.fullName, context).toBe(normalizeName(child.fullName));
      if (v.has('NO_DIACRITICS') && !v.has('NAME_TYPO') && !v.has('NAME_ORDER_SWAPPED') && !v.has('NICKNAME')) {
        expect(foldName(record.fullName!), context).toBe(foldName(child.fullName));
      }
      if (!v.has('DAY_MONTH_SWAPPED') && !v.has('BIRTH_YEAR_ONLY')) expect(record.birthDate, context).toBe(child.birthDate);
      if (v.has('BIRTH_YEAR_ONLY') && !v.has('BIRTH_YEAR_ESTIMATE_OFF')) {
        expect(record.birthDate, context).toBe(`${child.birthDate.slice(0, 4)}-01-01`);
        expect(record.birthDatePrecision).toBe('YEAR');
      }
      if (!v.has('COMMUNE_DIFFERENT')) expect(record.communeCode, context).toBe(child.communeCode);
      else expect(record.communeCode, context).not.toBe(child.communeCode);
      expect(record.sex, context).toBe(child.sex);
      if (child.identityNumber === null || v.has('NUMBER_MISSING')) expect(record.identityNumber ?? null, context).toBeNull();
      else if (v.has('NUMBER_WRONG_DIGIT')) expect(record.identityNumber, context).not.toBe(child.identityNumber);
      else expect(record.identityNumber, context).toBe(child.identityNumber);
    }
  });

  it('carry structurally valid numbers except the deliberately corrupted ones', () => {
    let corrupted = 0;
    for (const { record, truthId, variations } of records) {
      if (!record.identityNumber) continue;
      const child = byTruthId.get(truthId)!;
      const check = checkIdentityNumber(record.identityNumber, {
        sex: record.sex,
        birthYear: record.birthDate ? Number(record.birthDate.slice(0, 4)) : null,
        abandoned: child.abandoned,
        today,
      });
      if (variations.includes('NUMBER_WRONG_DIGIT')) corrupted++;
      else expect(check, record.externalId).toEqual({ wellFormed: true, findings: [] });
    }
    expect(corrupted).toBeGreaterThan(0);
  });

  it('show each variation at a controlled rate', () => {
    const rate = (source: string, variation: Variation) => {
      const of = records.filter((r) => r.record.sourceSystem === source);
      return of.filter((r) => r.variations.includes(variation)).length / of.length;
    };
    expect(rate('health-station', 'NFD')).toBeGreaterThan(0.07);
    expect(rate('health-station', 'NFD')).toBeLessThan(0.13);
    expect(rate('justice-register', 'UPPER_CASE')).toBe(1);
    expect(rate('justice-register', 'NO_DIACRITICS')).toBeGreaterThan(0.25);
    expect(rate('justice-register', 'NO_DIACRITICS')).toBeLessThan(0.35);
    expect(rate('school', 'NUMBER_MISSING')).toBeGreaterThan(0.1);
    expect(rate('school', 'NAME_TYPO')).toBeGreaterThan(0.005);
    expect(rate('school', 'NAME_TYPO')).toBeLessThan(0.03);
    expect(rate('facility-inspection', 'BIRTH_YEAR_ONLY')).toBeGreaterThan(0.5);
    expect(rate('health-station', 'DUPLICATE_IN_SOURCE')).toBeGreaterThan(0.004);
    expect(rate('health-station', 'DUPLICATE_IN_SOURCE')).toBeLessThan(0.02);
  });

  it('pairs each record with its truth id in the ground truth', () => {
    const truth = [...generateGroundTruth({ seed: SEED, count: N, end: 1000 })];
    const expected = records
      .filter((r) => byTruthId.get(r.truthId)!.index < 1000)
      .map((r) => ({ sourceSystem: r.record.sourceSystem, externalId: r.record.externalId, truthId: r.truthId, variations: r.variations }));
    expect(truth).toEqual(expected);
  });

  it('generates a large population without keeping it (smoke)', () => {
    let count = 0;
    for (const child of generatePopulation({ seed: 1, count: 100_000 })) if (child.identityNumber) count++;
    expect(count).toBeGreaterThan(90_000);
  });
});
