/**
 * A synthetic child population of Hà Nội: child `i` is a pure function of `(seed, i)`, so any slice can be
 * generated alone, in any order, in O(1) memory, and re-generated identically.
 */
import { makeIdentityNumber } from '../domain/identity-number.js';
import { GROUP_CLAUSES, type GroupClause, type Sex } from '../domain/source-record-input.js';
import { HANOI_PROVINCE_CODE, communesOfProvince } from '../reference/admin-units.js';
import { idProvinceCodes } from '../reference/id-province-codes.js';
import {
  BIRTH_MONTH_COUNT,
  LAST_DAY,
  addDays,
  ageOn,
  birthDayRange,
  birthMonthOfSlot,
  isoDate,
  minDate,
  toDayNumber,
} from './calendar.js';
import { facilityPlacementTable } from './facilities.js';
import { drawMiddleName, drawPersonName, fullNameOf, nameTables } from './name-tables.js';
import { Random, WeightedTable, createPermutation, forkRandom, hash32 } from './random.js';
import { otherHanoiCommune } from './variations.js';

/** Disability types of the Law on Persons with Disabilities 2010, Art. 3 (used as group `d` sub-type). */
export type DisabilityType = 'VAN_DONG' | 'NGHE_NOI' | 'NHIN' | 'THAN_KINH_TAM_THAN' | 'TRI_TUE' | 'KHAC';

/**
 * An adoption registered for a child in care (abandoned, orphaned or without anyone to rely on): from that day the
 * child lives with its adoptive family, and the sources that see it later see it there.
 */
export interface SyntheticAdoption {
  /** ISO date the adoption was registered (ngày đăng ký nuôi con nuôi). */
  registeredOn: string;
  /** The adoptive father; null for a single adoptive mother. */
  fatherName: string | null;
  motherName: string;
  /** Where the child lived until the adoption (for a child in care, the facility's commune). */
  previousCommuneCode: string;
  /** Who looked after the child until the adoption: the facility, a temporary carer or a relative. */
  previousCarerName: string;
}

/** One simulated child: the ground truth every source record is derived from. */
export interface SyntheticChild {
  /** Ground-truth id, `T` + 1-based index zero-padded to 7 digits (`T0000001`). */
  truthId: string;
  index: number;
  familyName: string;
  middleName: string | null;
  givenName: string;
  fullName: string;
  sex: Sex;
  /** ISO date; for an abandoned child the date found (estimated), as the law registers it. */
  birthDate: string;
  birthDateEstimated: boolean;
  /**
   * 2025 commune code (code set `VN-2025`) where the child lives on the reference date: for a child in care, the
   * facility's; for an adopted child, its adoptive family's (`adoption.previousCommuneCode` is where it lived before).
   */
  communeCode: string;
  /** 12 digits consistent with §4 of the domain guide, or null when none has been issued. */
  identityNumber: string | null;
  /** Special-circumstance groups (Law on Children 2016, Art. 10), in clause order. */
  groups: GroupClause[];
  disabilityType: DisabilityType | null;
  /** Group `b`: parents unknown, birth date = date found, carer = facility or temporary carer. */
  abandoned: boolean;
  fatherName: string | null;
  motherName: string | null;
  /**
   * Facility name, temporary carer or relative looking after a child not with its parents; for an adopted child,
   * its legal representative now, the adoptive mother (`adoption.previousCarerName` looked after it before).
   */
  carerName: string | null;
  /** Code of the facility the child was placed in (see `facilities.ts`), if any: until its adoption, if adopted. */
  facilityCode: string | null;
  /** Since when the child is in care (with the facility, temporary carer or relative). */
  careSince: string | null;
  /** The child's adoption, when one was registered by the reference date. */
  adoption: SyntheticAdoption | null;
  /** Dân tộc; left blank (null) for abandoned children as the law says. */
  ethnicity: string | null;
  /** The other twin's truthId; twins have consecutive indexes. */
  twinOf: string | null;
}

/** Prevalence of each group among eligible children, and who is eligible by age. */
export const GROUP_RATES: Readonly<Record<GroupClause, { rate: number; minAge?: number }>> = {
  a: { rate: 0.005 },
  b: { rate: 0.003 },
  c: { rate: 0.002 },
  d: { rate: 0.015 },
  đ: { rate: 0.0005 },
  e: { rate: 0.003, minAge: 12 },
  g: { rate: 0.001, minAge: 12 },
  h: { rate: 0.004, minAge: 11 },
  i: { rate: 0.001 },
  k: { rate: 0.001, minAge: 8 },
  l: { rate: 0.0008 },
  m: { rate: 0.0002 },
  n: { rate: 0.002 },
  o: { rate: 0.0005 },
};

/** The other rates the population is drawn with. */
export const POPULATION_RATES = {
  /** Share of children who are one of a twin pair (twins are never abandoned here). */
  twins: 0.01,
  /** Sex ratio at birth ≈ 111 boys per 100 girls. */
  male: 0.527,
  /** Non-abandoned children without a personal number. */
  noNumber: 0.03,
  /** Abandoned children without a personal number (birth not yet registered). */
  abandonedNoNumber: 0.6,
  /** Children whose birth was registered outside Hà Nội (number prefix other than 001). */
  registeredElsewhere: 0.1,
  /** Children who carry the mother's family name. */
  mothersFamilyName: 0.03,
  /** Where children outside their family live: share placed in a facility, by situation. */
  inFacility: { abandoned: 0.6, orphaned: 0.3, withoutCarer: 0.7, migrant: 0.5 },
  /** Share of children in care who are adopted (only once their birth is registered, i.e. they have a number), by situation. */
  adopted: { abandoned: 0.25, orphaned: 0.1, withoutCarer: 0.05 },
  /** Adoptions by a single mother. */
  singleAdoptiveMother: 0.1,
} as const;

const DISABILITY = new WeightedTable<DisabilityType>(
  ['VAN_DONG', 'TRI_TUE', 'THAN_KINH_TAM_THAN', 'NGHE_NOI', 'NHIN', 'KHAC'],
  [30, 25, 15, 15, 8, 7],
);

const ETHNICITY = new WeightedTable(
  ['Kinh', 'Mường', 'Tày', 'Thái', 'Dao', 'Nùng', 'Hoa', "H'Mông"],
  [98.2, 0.8, 0.3, 0.2, 0.15, 0.15, 0.1, 0.1],
);

/** Random part of numbers: unique per (birth year, 6 digits) for up to this many children. */
const NUMBER_R = 41_666;
const NUMBER_BLOCKS = BIRTH_MONTH_COUNT * NUMBER_R;
/** Children beyond this index may share a personal number with another child. */
export const UNIQUE_NUMBER_CAPACITY = NUMBER_BLOCKS * 2;

interface SeedContext {
  familySeed: number;
  personSeed: number;
  twinSeed: number;
  adoptionSeed: number;
  blockSlot: (block: number) => number;
  random6: (value: number) => number;
}

const contexts = new Map<number, SeedContext>();

function seedContext(seed: number): SeedContext {
  let ctx = contexts.get(seed);
  if (!ctx) {
    if (contexts.size > 32) contexts.clear();
    ctx = {
      familySeed: hash32(seed, 0x66616d),
      personSeed: hash32(seed, 0x706572),
      twinSeed: hash32(seed, 0x747769),
      adoptionSeed: hash32(seed, 0x61646f),
      blockSlot: createPermutation(NUMBER_BLOCKS, hash32(seed, 0x736c74)),
      random6: createPermutation(1_000_000, hash32(seed, 0x726e64)),
    };
    contexts.set(seed, ctx);
  }
  return ctx;
}

let statics: { communes: readonly string[]; otherPrefixes: WeightedTable<string> } | undefined;

function staticTables(): NonNullable<typeof statics> {
  if (statics) return statics;
  const others = idProvinceCodes().filter((c) => c.code !== '001');
  statics = {
    communes: communesOfProvince(HANOI_PROVINCE_CODE).map((u) => u.communeCode),
    // Migrants to Hà Nội come mostly from the north and north-centre (codes up to 046).
    otherPrefixes: new WeightedTable(
      others.map((c) => c.code),
      others.map((c) => (c.code <= '046' ? 3 : 1)),
    ),
  };
  return statics;
}

/** `T` + 1-based index, zero-padded to 7 digits. */
export function truthIdOf(index: number): string {
  return `T${String(index + 1).padStart(7, '0')}`;
}

/** A day uniformly between two ISO dates (inclusive). */
function dayBetween(rnd: Random, from: string, to: string): string {
  return addDays(from, rnd.int(0, Math.max(0, toDayNumber(to) - toDayNumber(from))));
}

/**
 * Child `index` (0-based) of the population for `seed`. Pass the population size as `count` so that a
 * twin pair is never cut in half at the end; without it the child is generated as if the population
 * continued.
 */
export function generateChild(seed: number, index: number, count = Number.POSITIVE_INFINITY): SyntheticChild {
  const ctx = seedContext(seed);
  const tables = nameTables();
  const { communes, otherPrefixes } = staticTables();
  const block = Math.floor(index / 2);
  const member = index % 2;
  const twin =
    hash32(ctx.twinSeed, block) / 0x1_0000_0000 < POPULATION_RATES.twins && (member === 1 || index + 1 < count);

  // Household draws come from one stream per family: twins read the same stream, so they share them.
  // The order of draws is part of the output format: append, never reorder.
  const fam = forkRandom(ctx.familySeed, twin ? block * 2 : index);
  const sex: Sex = fam.chance(POPULATION_RATES.male) ? 'MALE' : 'FEMALE';
  const familyName = fam.weightedPick(tables.family);
  const middleName = drawMiddleName(fam, sex, familyName);

  // Birth month and the random digits of the number come from a permutation of the block index, which
  // makes (birth year, digits 7–12) unique across the population without remembering anything.
  const slot = ctx.blockSlot(block % NUMBER_BLOCKS);
  const monthSlot = slot % BIRTH_MONTH_COUNT;
  const r = Math.floor(slot / BIRTH_MONTH_COUNT);
  const { year, month } = birthMonthOfSlot(monthSlot);
  const { first, last } = birthDayRange(monthSlot);
  const birthDate = isoDate(year, month, fam.int(first, last));
  const age = ageOn(birthDate);

  const abandoned = !twin && fam.chance(GROUP_RATES.b.rate);
  const orphaned = !abandoned && fam.chance(GROUP_RATES.a.rate);
  const withoutCarer = fam.chance(GROUP_RATES.c.rate);
  const migrant = fam.chance(GROUP_RATES.o.rate);
  const hasNumber = !fam.chance(abandoned ? POPULATION_RATES.abandonedNoNumber : POPULATION_RATES.noNumber);
  const prefix = !abandoned && fam.chance(POPULATION_RATES.registeredElsewhere) ? fam.weightedPick(otherPrefixes) : '001';
  const takesMothersName = fam.chance(POPULATION_RATES.mothersFamilyName);
  const fatherName = drawPersonName(fam, 'MALE', takesMothersName ? undefined : familyName);
  const motherName = drawPersonName(fam, 'FEMALE', takesMothersName ? familyName : undefined);
  const ethnicity = fam.weightedPick(ETHNICITY);
  const homeCommune = fam.pick(communes);

  let carerName: string | null = null;
  let facilityCode: string | null = null;
  let facilityCommune: string | null = null;
  let careSince: string | null = null;
  const situation = abandoned ? 'abandoned' : orphaned ? 'orphaned' : withoutCarer ? 'withoutCarer' : migrant ? 'migrant' : null;
  if (situation) {
    const placeInFacility = fam.chance(POPULATION_RATES.inFacility[situation]);
    const facility = fam.weightedPick(facilityPlacementTable());
    const carer = drawPersonName(fam, fam.chance(0.8) ? 'FEMALE' : 'MALE', situation === 'abandoned' ? undefined : familyName);
    if (placeInFacility) {
      facilityCode = facility.code;
      facilityCommune = facility.communeCode;
      carerName = facility.name;
    } else {
      carerName = carer;
    }
    careSince =
      situation === 'abandoned'
        ? minDate(addDays(birthDate, placeInFacility ? fam.int(1, 30) : fam.int(0, 2)), LAST_DAY)
        : dayBetween(fam, birthDate, LAST_DAY);
  }

  // Individual draws: the given name first, so a twin can recompute its sibling's cheaply.
  const own = forkRandom(ctx.personSeed, index);
  let givenName = own.weightedPick(tables.given[sex]);
  if (twin && member === 1) {
    const siblingName = forkRandom(ctx.personSeed, index - 1).weightedPick(tables.given[sex]);
    while (givenName === siblingName) givenName = own.weightedPick(tables.given[sex]);
  }

  const groups: GroupClause[] = [];
  let disabilityType: DisabilityType | null = null;
  for (const clause of GROUP_CLAUSES) {
    let inGroup: boolean;
    if (clause === 'a') inGroup = orphaned;
    else if (clause === 'b') inGroup = abandoned;
    else if (clause === 'c') inGroup = withoutCarer;
    else if (clause === 'o') inGroup = migrant;
    else {
      const { rate, minAge = 0 } = GROUP_RATES[clause];
      inGroup = own.chance(rate) && age >= minAge;
    }
    if (inGroup) groups.push(clause);
    if (inGroup && clause === 'd') disabilityType = own.weightedPick(DISABILITY);
  }

  const identityNumber = hasNumber
    ? makeIdentityNumber({
        provinceCode: prefix,
        sex,
        birthYear: year,
        random6: ctx.random6((r * 2 + member) * 12 + (month - 1)),
      })
    : null;

  // Adoption draws come from a stream of their own (per family, so twins are adopted together): the draws above
  // are unchanged by it. A child is adopted once its birth is registered (it has a number).
  const communeBefore = facilityCommune ?? homeCommune;
  let communeNow = communeBefore;
  let adoption: SyntheticAdoption | null = null;
  const adoptable = situation === 'abandoned' || situation === 'orphaned' || situation === 'withoutCarer';
  if (adoptable && identityNumber !== null) {
    const ad = forkRandom(ctx.adoptionSeed, twin ? block * 2 : index);
    if (ad.chance(POPULATION_RATES.adopted[situation])) {
      const registeredOn = addDays(careSince ?? birthDate, ad.int(180, 1500));
      const father = drawPersonName(ad, 'MALE');
      const mother = drawPersonName(ad, 'FEMALE');
      const singleMother = ad.chance(POPULATION_RATES.singleAdoptiveMother);
      const familyCommune = otherHanoiCommune(communeBefore, ad);
      if (registeredOn <= LAST_DAY) {
        adoption = {
          registeredOn, fatherName: singleMother ? null : father, motherName: mother,
          previousCommuneCode: communeBefore, previousCarerName: carerName!,
        };
        carerName = mother;
        communeNow = familyCommune;
      }
    }
  }

  return {
    truthId: truthIdOf(index),
    index,
    familyName,
    middleName,
    givenName,
    fullName: fullNameOf(familyName, middleName, givenName),
    sex,
    birthDate,
    birthDateEstimated: abandoned,
    communeCode: communeNow,
    identityNumber,
    groups,
    disabilityType,
    abandoned,
    fatherName: abandoned ? null : fatherName,
    motherName: abandoned ? null : motherName,
    carerName,
    facilityCode,
    careSince,
    adoption,
    ethnicity: abandoned ? null : ethnicity,
    twinOf: twin ? truthIdOf(member === 0 ? index + 1 : index - 1) : null,
  };
}

export interface PopulationOptions {
  /** Any 32-bit integer; the same seed always gives the same population. */
  seed: number;
  /** Population size (children with index 0 … count-1). */
  count: number;
  /** First index to yield (for sharding). @defaultValue 0 */
  start?: number;
  /** Index after the last one to yield. @defaultValue count */
  end?: number;
}

/** Yields children `start … end-1` of a population of `count`, one at a time (nothing is kept). */
export function* generatePopulation(options: PopulationOptions): Generator<SyntheticChild> {
  const { seed, count, start = 0, end = count } = options;
  for (let i = Math.max(0, start); i < Math.min(end, count); i++) yield generateChild(seed, i, count);
}
