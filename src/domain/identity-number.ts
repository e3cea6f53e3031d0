/**
 * The 12-digit personal identification number (số định danh cá nhân): structure per Circular 07/2016 and
 * 59/2021 — digits 1–3 province of birth registration, 4 century and sex, 5–6 birth year, 7–12 random.
 * Checks here are evidence, never proof: nothing is ever "fixed".
 */
import { isKnownIdProvinceCode } from '../reference/id-province-codes.js';
import type { Sex } from './source-record-input.js';

export type IdentityFindingCode =
  | 'NOT_12_DIGITS'
  | 'UNKNOWN_PROVINCE_PREFIX'
  | 'SEX_DIGIT_MISMATCH'
  | 'BIRTH_YEAR_MISMATCH'
  | 'BIRTH_YEAR_IN_FUTURE';

export interface IdentityFinding {
  code: IdentityFindingCode;
  /** Human-readable; never contains the number itself. */
  message: string;
}

export interface IdentityCheck {
  /**
   * True when the number could exist: 12 digits, a known province prefix, a birth year not in the future.
   * Disagreement with the record (sex, year) is reported but does not make a number ill-formed.
   */
  wellFormed: boolean;
  findings: IdentityFinding[];
}

export interface IdentityCheckContext {
  /** The sex the record states. */
  sex?: Sex | null;
  /** The birth year the record states. */
  birthYear?: number | null;
  /**
   * An abandoned child's registered birth date is the date found, so digits 4–6 carry no demographic
   * signal: sex and year mismatches are not reported for them.
   */
  abandoned?: boolean;
  /** The reference date for "in the future". @defaultValue now */
  today?: Date;
}

export interface DecodedIdentityNumber {
  /** Digits 1–3: legacy province code where the birth was registered (not necessarily a known one). */
  provinceCode: string;
  /** First year of the century encoded in digit 4 (1900, 2000, 2100, …). */
  centuryStart: number;
  sex: Sex;
  birthYear: number;
}

const TWELVE_DIGITS = /^\d{12}$/;
/** Spaces (any Unicode whitespace, and the zero-width ones text copied from web pages carries), dots, dashes. */
const SEPARATORS = /[\s.\-\u2010-\u2015\u200b-\u200d\u2060]/gu;
/** Digits in groups, with spaces, dots or dashes ({@link SEPARATORS}) between them (and around them). */
const SEPARATED_DIGITS = /^[\s.\-\u2010-\u2015\u200b-\u200d\u2060]*\d+(?:[\s.\-\u2010-\u2015\u200b-\u200d\u2060]+\d+)*[\s.\-\u2010-\u2015\u200b-\u200d\u2060]*$/u;
/** Full-width digits (U+FF10–U+FF19), as East Asian input methods type them: the same digits. */
const FULL_WIDTH_DIGIT = /[\uff10-\uff19]/g;
/** A number written with a decimal fraction of zeros (`001322711590.0`: a spreadsheet's number as text). */
const DECIMAL_TAIL = /\d[.,]0{1,2}\s*$/;

/**
 * Removes spaces (any Unicode whitespace, zero-width ones too), dots and dashes — the separators people type
 * between a number's digits (`001 322.711-590`) — and reads full-width digits as the digits they are. Nothing
 * else changes: a value that is not digits in groups (letters, `1.32271E+11`
 * as a spreadsheet shows a long number, `'001…`) or that ends as a decimal number does (`001322711590.0`) is
 * kept as given, trimmed, so it is reported as it came (QA: removing its dots made another number of it).
 * Wrong lengths and wrong digits are kept too.
 */
export function normalizeIdentityNumber(given: string): string {
  // QA: `００１２…` and `0012…\u200B` were kept as given, on screen a valid number that matched nothing.
  const s = given.search(FULL_WIDTH_DIGIT) < 0 ? given : given.replace(FULL_WIDTH_DIGIT, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  const digits = s.replace(SEPARATORS, '');
  if (digits === '') return '';
  return SEPARATED_DIGITS.test(s) && !DECIMAL_TAIL.test(s) ? digits : s.trim();
}

/** Reads digits 1–6 of a 12-digit number; null when the input (after separator removal) is not 12 digits. */
export function decodeIdentityNumber(number: string): DecodedIdentityNumber | null {
  const n = normalizeIdentityNumber(number);
  if (!TWELVE_DIGITS.test(n)) return null;
  const centuryDigit = Number(n[3]);
  const centuryStart = 1900 + Math.floor(centuryDigit / 2) * 100;
  return {
    provinceCode: n.slice(0, 3),
    centuryStart,
    sex: centuryDigit % 2 === 0 ? 'MALE' : 'FEMALE',
    birthYear: centuryStart + Number(n.slice(4, 6)),
  };
}

const SEX_WORD: Record<Sex, string> = { MALE: 'male', FEMALE: 'female' };

/** Structural evidence about a number, optionally against what the record says about the person. */
export function checkIdentityNumber(number: string, context: IdentityCheckContext = {}): IdentityCheck {
  const decoded = decodeIdentityNumber(number);
  if (!decoded) {
    return {
      wellFormed: false,
      findings: [{ code: 'NOT_12_DIGITS', message: 'The number is not exactly 12 digits (after removing spaces, dots and dashes).' }],
    };
  }
  const findings: IdentityFinding[] = [];
  if (!isKnownIdProvinceCode(decoded.provinceCode)) {
    findings.push({
      code: 'UNKNOWN_PROVINCE_PREFIX',
      message: `Digits 1–3 (${decoded.provinceCode}) are not one of the 63 province codes of Circular 07/2016.`,
    });
  }
  const currentYear = (context.today ?? new Date()).getUTCFullYear();
  if (decoded.birthYear > currentYear) {
    findings.push({
      code: 'BIRTH_YEAR_IN_FUTURE',
      message: `Digits 4–6 encode birth year ${decoded.birthYear}, which is after ${currentYear}.`,
    });
  }
  const wellFormed = findings.length === 0;
  if (!context.abandoned) {
    if (context.sex && context.sex !== decoded.sex) {
      findings.push({
        code: 'SEX_DIGIT_MISMATCH',
        message: `Digit 4 encodes ${SEX_WORD[decoded.sex]} but the record says ${SEX_WORD[context.sex]}.`,
      });
    }
    if (context.birthYear != null && context.birthYear !== decoded.birthYear) {
      findings.push({
        code: 'BIRTH_YEAR_MISMATCH',
        message: `Digits 4–6 encode birth year ${decoded.birthYear} but the record says ${context.birthYear}.`,
      });
    }
  }
  return { wellFormed, findings };
}

export interface IdentityNumberParts {
  /** 3-digit legacy province code, e.g. `001`. */
  provinceCode: string;
  sex: Sex;
  /** Full year, 1900–2399. */
  birthYear: number;
  /** Digits 7–12, as a number 0–999999 or a 6-digit string. */
  random6: number | string;
}

/** Builds a 12-digit number from its parts (for synthetic data). Throws RangeError on impossible parts. */
export function makeIdentityNumber(parts: IdentityNumberParts): string {
  const { provinceCode, sex, birthYear, random6 } = parts;
  if (!/^\d{3}$/.test(provinceCode)) throw new RangeError('provinceCode must be 3 digits');
  if (!Number.isInteger(birthYear) || birthYear < 1900 || birthYear > 2399) {
    throw new RangeError('birthYear must be an integer from 1900 to 2399');
  }
  const tail = typeof random6 === 'number' ? String(random6).padStart(6, '0') : random6;
  if (!/^\d{6}$/.test(tail)) throw new RangeError('random6 must be 0–999999 or 6 digits');
  const centuryIndex = Math.floor((birthYear - 1900) / 100);
  const centuryDigit = centuryIndex * 2 + (sex === 'FEMALE' ? 1 : 0);
  return `${provinceCode}${centuryDigit}${String(birthYear % 100).padStart(2, '0')}${tail}`;
}
