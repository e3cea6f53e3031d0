/**
 * What the simulated national population database knows: the synthetic children of the hub's sample
 * (`src/sample/population.ts`) for one `(seed, count)`, as citizen records with the extra fields the real
 * registry returns, plus the number issuance of abandoned children (domain guide §6: their number exists
 * only once the carer has registered the birth).
 */
import { makeIdentityNumber } from '../../domain/identity-number.js';
import type { Sex } from '../../domain/source-record-input.js';
import { foldName } from '../../domain/vietnamese-name.js';
import type { SyntheticChild } from '../../sample/population.js';
import { firstNewChildIndex, populationChild } from '../../connectors/simulator/population-growth.js';
import { hash32 } from '../../sample/random.js';

/** Province code of Hà Nội in the 2025 administrative-unit list (`MaTinh`). */
export const HANOI_PROVINCE = '01';

/** A citizen record as the registry holds it (the simulator renders it as a `CongDan`). */
export interface RegistryCitizen {
  /** 12 digits. */
  number: string;
  familyName: string;
  middleName: string | null;
  givenName: string;
  /** With diacritics, as registered (`Nguyễn Thị Thu Hà`). */
  fullName: string;
  sex: Sex;
  /** ISO date (for an abandoned child: the date found, as registered). */
  birthDate: string;
  /** Dân tộc; null (left blank) for an abandoned child, as the law says. */
  ethnicity: string | null;
  /** Tôn giáo (`Không` for most). */
  religion: string;
  /** `MaTinh`: always Hà Nội here. */
  provinceCode: string;
  /** `MaXa`: 2025 commune code where the child lives. */
  communeCode: string;
  fatherName: string | null;
  motherName: string | null;
  /** Người đại diện theo pháp luật when the child is not with its parents (facility or temporary carer). */
  legalRepresentative: string | null;
}

/** A birth date as a request states it: a year, a month or a day (`yyyy`, `yyyyMM`, `yyyyMMdd`). */
export interface RegistryBirth {
  year: number;
  /** 1–12, or null when only the year is given. */
  month: number | null;
  /** 1–31, or null when only the year (or month) is given. */
  day: number | null;
}

const BIRTH_PATTERN = /^(\d{4})(?:(\d{2})(\d{2})?)?$/;

/**
 * Reads `NgayThangNamSinh` as the protocol writes it: `yyyyMMdd`, or `yyyy` when only the year is known
 * (`yyyyMM` is accepted as well). Returns null for anything else, including impossible dates.
 */
export function parseRegistryBirth(text: string): RegistryBirth | null {
  const m = BIRTH_PATTERN.exec(text.trim());
  if (!m) return null;
  const year = Number(m[1]);
  if (year < 1900) return null;
  if (m[2] === undefined) return { year, month: null, day: null };
  const month = Number(m[2]);
  if (month < 1 || month > 12) return null;
  if (m[3] === undefined) return { year, month, day: null };
  const day = Number(m[3]);
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > lastDay) return null;
  return { year, month, day };
}

/** `yyyyMMdd` of an ISO date. */
export function compactDate(iso: string): string {
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
}

/** True when an ISO birth date agrees with a request's birth at the precision the request gives. */
export function birthMatches(birthIso: string, birth: RegistryBirth): boolean {
  return matchesCompact(Number(compactDate(birthIso)), birth);
}

function matchesCompact(yyyymmdd: number, birth: RegistryBirth): boolean {
  if (Math.floor(yyyymmdd / 10_000) !== birth.year) return false;
  if (birth.month !== null && Math.floor(yyyymmdd / 100) % 100 !== birth.month) return false;
  if (birth.day !== null && yyyymmdd % 100 !== birth.day) return false;
  return true;
}

/**
 * How the registry compares names: upper-case, without diacritics (`đ` → `D`), spaces collapsed. Requests
 * usually send the name that way already; the registry holds it with diacritics.
 */
export function registryNameKey(name: string): string {
  return foldName(name).toUpperCase();
}

export interface CitizenRegistryOptions {
  /** Seed of the synthetic population (the same seed as the hub's sample). */
  seed: number;
  /** Population size: children `0 … count-1`. */
  count: number;
  /**
   * Children the population gains after `count` that the registry knows too: the next `growth` children the
   * source simulators add later (their `--add-every`, `POST /_sim/add`), in the same order, as a child is
   * registered in the population database before a school or a health station records them.
   * @defaultValue 0
   */
  growth?: number;
  /**
   * How long after the first lookup naming an abandoned child without a number that child's number is
   * issued (birth registration → number). @defaultValue 30000
   */
  issuanceDelayMs?: number;
}

/** Issuance progress of abandoned children who had no number when the registry was built. */
export interface IssuanceStats {
  /** Numbers issued (visible to lookups and verification). */
  issued: number;
  /** Looked up by name + birth, number not yet visible. */
  scheduled: number;
  /** Never looked up yet: unknown to the registry until someone asks. */
  unregistered: number;
}

const RELIGION_SALT = 0x746f6e;
const ISSUE_SALT = 0x697373;

/**
 * The registry's in-memory data. Only compact indexes are kept (number → child, folded name + birth year →
 * children, birth date per child); a citizen record is regenerated from `(seed, index)` when it is returned,
 * which costs microseconds and keeps 200,000 children in a few tens of megabytes.
 *
 * Children without a number who are not abandoned are unknown to the registry (not registered). Abandoned
 * children without a number get one, deterministically, `issuanceDelayMs` after the first lookup by name +
 * birth that names them; until then lookups and verification do not see them.
 */
export class CitizenRegistry {
  /** Number → child index (issued numbers and not-yet-visible future numbers). */
  private readonly byNumber = new Map<string, number>();
  /** `FOLDED NAME|yyyy` → child index, or indexes when several children share name and birth year. */
  private readonly byNameYear = new Map<string, number | number[]>();
  /** Birth date of each child as the integer yyyyMMdd (0: not registered). */
  private readonly births: Int32Array;
  /** Future numbers of abandoned children without one, by child index. */
  private readonly futureNumbers = new Map<number, string>();
  /** When each future number becomes visible (monotonic ms), once someone has looked the child up. */
  private readonly issueAt = new Map<number, number>();
  private readonly seed: number;
  private readonly issuanceDelayMs: number;

  /** Population size. */
  readonly count: number;
  /** Milliseconds it took to build the indexes. */
  readonly buildMs: number;

  constructor(options: CitizenRegistryOptions) {
    const started = performance.now();
    const { seed, count, issuanceDelayMs = 30_000, growth = 0 } = options;
    if (!Number.isInteger(count) || count < 0) throw new RangeError('count must be a non-negative integer');
    if (!Number.isInteger(growth) || growth < 0) throw new RangeError('growth must be a non-negative integer');
    if (!(issuanceDelayMs >= 0)) throw new RangeError('issuanceDelayMs must be >= 0');
    this.seed = seed;
    this.count = count;
    this.issuanceDelayMs = issuanceDelayMs;
    // The children added later start at firstNewChildIndex (an odd population's last twin has no partner).
    const grown = growth > 0 ? firstNewChildIndex(count) : count;
    this.births = new Int32Array(grown + growth);
    const indexes = function* () {
      for (let i = 0; i < count; i++) yield i;
      for (let i = grown; i < grown + growth; i++) yield i;
    };

    const awaitingNumber: SyntheticChild[] = [];
    for (const i of indexes()) {
      const child = populationChild(seed, count, i);
      if (child.identityNumber === null) {
        if (!child.abandoned) continue;
        awaitingNumber.push(child);
      } else if (!this.byNumber.has(child.identityNumber)) {
        // The sample guarantees unique numbers far beyond 200,000 children; first one wins otherwise.
        this.byNumber.set(child.identityNumber, i);
      }
      this.births[i] = Number(compactDate(child.birthDate));
      this.addToNameIndex(`${registryNameKey(child.fullName)}|${child.birthDate.slice(0, 4)}`, i);
    }
    // Second pass, after every existing number is known, so a future number never collides with one.
    for (const child of awaitingNumber) {
      const number = this.futureNumberOf(child);
      this.byNumber.set(number, child.index);
      this.futureNumbers.set(child.index, number);
    }
    this.buildMs = performance.now() - started;
  }

  /** The citizen with that number, if the number is issued. */
  findByNumber(number: string, now: number = performance.now()): RegistryCitizen | null {
    const index = this.byNumber.get(number);
    if (index === undefined || !this.isVisible(index, now)) return null;
    return this.citizenAt(index);
  }

  /**
   * Citizens whose folded name equals the folded `fullName` and whose birth agrees with `birth` at its
   * precision. Naming an abandoned child who has no number yet starts that child's issuance clock (the
   * child is returned once the number is issued, by this call when the delay is 0).
   */
  findByNameAndBirth(fullName: string, birth: RegistryBirth, now: number = performance.now()): RegistryCitizen[] {
    const entry = this.byNameYear.get(`${registryNameKey(fullName)}|${String(birth.year).padStart(4, '0')}`);
    if (entry === undefined) return [];
    const found: RegistryCitizen[] = [];
    for (const index of typeof entry === 'number' ? [entry] : entry) {
      if (!matchesCompact(this.births[index]!, birth)) continue;
      if (this.futureNumbers.has(index) && !this.issueAt.has(index)) this.issueAt.set(index, now + this.issuanceDelayMs);
      if (this.isVisible(index, now)) found.push(this.citizenAt(index));
    }
    return found;
  }

  /** How far the issuance of missing numbers has come at `now`. */
  issuance(now: number = performance.now()): IssuanceStats {
    let issued = 0;
    for (const at of this.issueAt.values()) if (at <= now) issued++;
    return { issued, scheduled: this.issueAt.size - issued, unregistered: this.futureNumbers.size - this.issueAt.size };
  }

  private isVisible(index: number, now: number): boolean {
    if (!this.futureNumbers.has(index)) return true;
    const at = this.issueAt.get(index);
    return at !== undefined && at <= now;
  }

  private addToNameIndex(key: string, index: number): void {
    const entry = this.byNameYear.get(key);
    if (entry === undefined) this.byNameYear.set(key, index);
    else if (typeof entry === 'number') this.byNameYear.set(key, [entry, index]);
    else entry.push(index);
  }

  /**
   * The number the registry will issue to an abandoned child: province 001 (the birth is registered in
   * Hà Nội where the child was found), sex and year digits from the registered sex and birth date (the date
   * found), digits 7–12 hashed from seed + index, re-drawn on collision so it is unique and reproducible.
   */
  private futureNumberOf(child: SyntheticChild): string {
    const key = hash32(this.seed, ISSUE_SALT);
    const birthYear = Number(child.birthDate.slice(0, 4));
    for (let attempt = 0; ; attempt++) {
      const random6 = hash32(key, child.index * 64 + attempt) % 1_000_000;
      const number = makeIdentityNumber({ provinceCode: '001', sex: child.sex, birthYear, random6 });
      if (!this.byNumber.has(number)) return number;
    }
  }

  private citizenAt(index: number): RegistryCitizen {
    const child = populationChild(this.seed, this.count, index);
    return {
      number: child.identityNumber ?? this.futureNumbers.get(index)!,
      familyName: child.familyName,
      middleName: child.middleName,
      givenName: child.givenName,
      fullName: child.fullName,
      sex: child.sex,
      birthDate: child.birthDate,
      ethnicity: child.ethnicity,
      religion: child.abandoned ? 'Không' : this.religionOf(index),
      provinceCode: HANOI_PROVINCE,
      communeCode: child.communeCode,
      fatherName: child.fatherName,
      motherName: child.motherName,
      legalRepresentative: child.carerName,
    };
  }

  /** Roughly the shares of the 2019 census (most Vietnamese declare no religion). */
  private religionOf(index: number): string {
    const u = hash32(hash32(this.seed, RELIGION_SALT), index) / 0x1_0000_0000;
    if (u < 0.86) return 'Không';
    if (u < 0.93) return 'Phật giáo';
    if (u < 0.99) return 'Công giáo';
    return 'Tin lành';
  }
}
