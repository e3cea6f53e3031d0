import { normalizeIdentityNumber } from '../../domain/identity-number.js';
import type { SourceRecordInput } from '../../domain/source-record-input.js';
import { normalizeName, normalizePersonOrInstitution, splitFullName } from '../../domain/vietnamese-name.js';
import type { Random } from '../random.js';
import type { Variation } from '../variations.js';
import { corruptDigit, formatNumber, givenNameFirst, otherHanoiCommune, stripDiacritics, swapDayMonth, toModernTones, typo } from '../variations.js';

/** One record of a source about a child, with the deliberate differences from the truth. */
export interface SourceView {
  record: SourceRecordInput;
  variations: Variation[];
}

/** Rates of the name variations a source shows (each 0..1, applied independently). */
export interface NameStyleRates {
  nickname?: number;
  swapped?: number;
  typo?: number;
  noDiacritics?: number;
  upperCase?: number;
  toneModern?: number;
  nfd?: number;
}

/**
 * Writes a truth name the way a source would store it, recording what changed. Content changes (nickname,
 * order, typo) come first, then script changes (diacritics, case, tone style, Unicode form). `nickname` is
 * the replacement name to use when the nickname variation fires.
 */
export function renderName(
  truth: string,
  rates: NameStyleRates,
  rnd: Random,
  variations: Variation[],
  nickname?: string,
): string {
  let name = truth;
  if (nickname && rnd.chance(rates.nickname ?? 0)) {
    name = nickname;
    variations.push('NICKNAME');
  }
  if (rnd.chance(rates.swapped ?? 0) && name.includes(' ')) {
    name = givenNameFirst(name);
    variations.push('NAME_ORDER_SWAPPED');
  }
  if (rnd.chance(rates.typo ?? 0)) {
    const changed = typo(name, rnd);
    if (changed !== name) {
      name = changed;
      variations.push('NAME_TYPO');
    }
  }
  if (rnd.chance(rates.noDiacritics ?? 0)) {
    const changed = stripDiacritics(name);
    if (changed !== name) {
      name = changed;
      variations.push('NO_DIACRITICS');
    }
  }
  if (rnd.chance(rates.upperCase ?? 0)) {
    name = name.toUpperCase();
    variations.push('UPPER_CASE');
  }
  if (rnd.chance(rates.toneModern ?? 0)) {
    const changed = toModernTones(name);
    if (changed !== name) {
      name = changed;
      variations.push('TONE_MODERN');
    }
  }
  if (rnd.chance(rates.nfd ?? 0)) {
    const changed = name.normalize('NFD');
    if (changed !== name) {
      name = changed;
      variations.push('NFD');
    }
  }
  return name;
}

/** Rates of the number variations a source shows. */
export interface NumberStyleRates {
  missing: number;
  wrongDigit: number;
  formatted: number;
}

/** Writes the child's number the way a source would, recording what changed; '' when absent. */
export function renderNumber(truth: string | null, rates: NumberStyleRates, rnd: Random, variations: Variation[]): string {
  if (truth === null) return '';
  if (rnd.chance(rates.missing)) {
    variations.push('NUMBER_MISSING');
    return '';
  }
  let number = truth;
  if (rnd.chance(rates.wrongDigit)) {
    number = corruptDigit(number, rnd);
    variations.push('NUMBER_WRONG_DIGIT');
  }
  if (rnd.chance(rates.formatted)) {
    number = formatNumber(number, rnd);
    variations.push('NUMBER_FORMATTED');
  }
  return number;
}

/** What a connector mapping makes of a raw name: canonical full name and the legal split. */
export function mapName(raw: string | null | undefined): Pick<SourceRecordInput, 'fullName' | 'familyName' | 'middleName' | 'givenName'> {
  const fullName = normalizeName(raw ?? '');
  if (fullName === '') return { fullName: null, familyName: null, middleName: null, givenName: null };
  return { fullName, ...splitFullName(fullName) };
}

/** A raw person name (parent, carer) as a mapping keeps it; null when blank. */
export function mapPersonName(raw: string | null | undefined): string | null {
  const name = normalizePersonOrInstitution(raw ?? '');
  return name === '' ? null : name;
}

/** A raw number as a mapping keeps it: separators removed, nothing else touched; null when blank. */
export function mapNumber(raw: string | null | undefined): string | null {
  const n = normalizeIdentityNumber(raw ?? '');
  return n === '' ? null : n;
}

/** `Nam` / `Nữ` as agency forms print sex. */
export function sexLabel(sex: 'MALE' | 'FEMALE'): 'Nam' | 'Nữ' {
  return sex === 'MALE' ? 'Nam' : 'Nữ';
}

export function sexFromLabel(label: string): 'MALE' | 'FEMALE' | null {
  const folded = label.normalize('NFC').trim().toLowerCase();
  if (folded === 'nam') return 'MALE';
  if (folded === 'nữ' || folded === 'nu') return 'FEMALE';
  return null;
}

/** The birth date as a source records it: day and month swapped at `swapRate` (when that is a valid date). */
export function renderBirthDate(birthDate: string, swapRate: number, rnd: Random, variations: Variation[]): string {
  if (!rnd.chance(swapRate)) return birthDate;
  const swapped = swapDayMonth(birthDate);
  if (!swapped) return birthDate;
  variations.push('DAY_MONTH_SWAPPED');
  return swapped;
}

/** The commune as a source records it: another Hà Nội commune (the child moved) when `moved` is true. */
export function renderCommune(communeCode: string, moved: boolean, rnd: Random, variations: Variation[]): string {
  if (!moved) return communeCode;
  variations.push('COMMUNE_DIFFERENT');
  return otherHanoiCommune(communeCode, rnd);
}
