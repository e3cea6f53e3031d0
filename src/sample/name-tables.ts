import type { Sex } from '../domain/source-record-input.js';
import {
  NAME_SAMPLE_SIZES,
  familyNameFrequencies,
  givenNameFrequencies,
  middleNameFrequencies,
} from '../reference/vn-names.js';
import { type Random, WeightedTable } from './random.js';

/**
 * National family-name shares (%) commonly cited for Vietnam (see the data README), used instead of the
 * reference sample's shares, in which Nguyễn is 24.6% instead of ~38%. The published figure for a regional
 * pair (Hoàng/Huỳnh 5.1%, Vũ/Võ 3.9%) is split 90:10 and 85:15 towards the northern spelling, because the
 * population generated is Hà Nội's. Every other family name keeps its sample weight, scaled so that all
 * shares add up to 100%.
 */
export const HANOI_FAMILY_NAME_SHARES: Readonly<Record<string, number>> = {
  Nguyễn: 38.5,
  Trần: 11.5,
  Lê: 9.5,
  Phạm: 7.1,
  Hoàng: 5.1 * 0.9,
  Huỳnh: 5.1 * 0.1,
  Phan: 4.5,
  Vũ: 3.9 * 0.85,
  Võ: 3.9 * 0.15,
  Đặng: 2.1,
  Bùi: 2,
  Đỗ: 1.4,
  Hồ: 1.3,
  Ngô: 1.3,
  Dương: 1,
  Lý: 0.5,
};

export interface NameTables {
  family: WeightedTable<string>;
  /** Middle names by sex; `null` stands for the two-syllable names that have none. */
  middle: Record<Sex, WeightedTable<string | null>>;
  given: Record<Sex, WeightedTable<string>>;
}

/** Two-syllable names in the sample (no middle name): 40 of 20,166 female, 263 of 20,330 male. */
const NO_MIDDLE_PERCENT: Record<Sex, number> = {
  FEMALE: (40 / NAME_SAMPLE_SIZES.FEMALE) * 100,
  MALE: (263 / NAME_SAMPLE_SIZES.MALE) * 100,
};

let cached: NameTables | undefined;

function familyTable(): WeightedTable<string> {
  const sample = familyNameFrequencies();
  const fixedTotal = Object.values(HANOI_FAMILY_NAME_SHARES).reduce((s, w) => s + w, 0);
  const restSample = sample.filter((f) => !(f.name in HANOI_FAMILY_NAME_SHARES)).reduce((s, f) => s + f.weight, 0);
  const scale = (100 - fixedTotal) / restSample;
  return new WeightedTable(
    sample.map((f) => f.name),
    sample.map((f) => HANOI_FAMILY_NAME_SHARES[f.name] ?? f.weight * scale),
  );
}

function middleTable(sex: Sex): WeightedTable<string | null> {
  const list = middleNameFrequencies(sex);
  return new WeightedTable<string | null>(
    [...list.map((m) => m.name), null],
    [...list.map((m) => m.weight), NO_MIDDLE_PERCENT[sex]],
  );
}

function givenTable(sex: Sex): WeightedTable<string> {
  const list = givenNameFrequencies(sex);
  return new WeightedTable(
    list.map((g) => g.name),
    list.map((g) => g.weight),
  );
}

/** The weighted tables the generator draws names from (built once). */
export function nameTables(): NameTables {
  cached ??= {
    family: familyTable(),
    middle: { FEMALE: middleTable('FEMALE'), MALE: middleTable('MALE') },
    given: { FEMALE: givenTable('FEMALE'), MALE: givenTable('MALE') },
  };
  return cached;
}

/**
 * A middle name for someone of family `familyName`. The sample's compound middle names often start with
 * a family name (the mother's: `Nguyễn Thùy`); redraw when it would repeat the person's own family name.
 */
export function drawMiddleName(rnd: Random, sex: Sex, familyName: string): string | null {
  const table = nameTables().middle[sex];
  let middle = rnd.weightedPick(table);
  for (let tries = 0; tries < 3 && middle !== null && (middle === familyName || middle.startsWith(`${familyName} `)); tries++) {
    middle = rnd.weightedPick(table);
  }
  return middle;
}

/** Family, middle and given name joined; table entries are already clean, so plain concatenation. */
export function fullNameOf(familyName: string, middleName: string | null, givenName: string): string {
  return middleName === null ? `${familyName} ${givenName}` : `${familyName} ${middleName} ${givenName}`;
}

/** A whole name for an adult or child of that sex, with the given family name or a drawn one. */
export function drawPersonName(rnd: Random, sex: Sex, familyName?: string): string {
  const family = familyName ?? rnd.weightedPick(nameTables().family);
  const middle = drawMiddleName(rnd, sex, family);
  return fullNameOf(family, middle, rnd.weightedPick(nameTables().given[sex]));
}
