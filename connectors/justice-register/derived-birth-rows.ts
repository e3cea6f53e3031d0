/**
 * Extra birth-register rows for benchmarks, past the synthetic population's own records.
 *
 * The generator's justice view runs at about 50k records a second (it maps every record as it goes), too slow
 * to write a million-row file in seconds. Benchmark rows are instead recombined from a pool of synthetic
 * children beyond the population (indexes `count`, `count + 1`, …): row `j` takes its family name and father
 * from one pool child, its middle and given name and sex from a second, its mother from a third, and its
 * birth date, commune, ethnicity and number prefix from a fourth, each chosen by a hash of `(seed, j)`. So the
 * rows look like the register (upper case, 30% without diacritics, numbers mostly missing before 2016,
 * registration 3–60 days after birth, 12% later, 3% years later) and do not repeat each other, at a few
 * hundred thousand rows a second. They are not in the generator's ground truth and carry none of its rarer
 * variations (typos, swapped day/month, registration in another commune). Their external ids, `KSX` + 9
 * digits, never equal a population record's (`KS` + 9 digits) nor each other (up to 10⁹ rows), and each seed
 * draws them from its own permutation, so another seed's rows (other people) rarely share one; their personal
 * numbers differ from each other over the first million rows (digits 7–12 are a permutation of the row index)
 * and may, rarely, equal a population child's.
 */
import { communeByCode } from '../../src/reference/admin-units.js';
import { LAST_DAY, toDayNumber } from '../../src/sample/calendar.js';
import { generateChild } from '../../src/sample/population.js';
import { createPermutation, hash32, mix32 } from '../../src/sample/random.js';
import { scrambledId } from '../../src/sample/sources/external-ids.js';
import { stripDiacritics } from '../../src/sample/variations.js';

/** A name as the register writes it: upper case, and upper case without diacritics. */
type RegistryName = readonly [upper: string, stripped: string];

interface PoolChild {
  family: RegistryName;
  /** Middle and given name (or the given name alone). */
  ownNames: RegistryName;
  sex: 'MALE' | 'FEMALE';
  father: RegistryName;
  mother: RegistryName;
  birthDay: number;
  birthYear: number;
  communeCode: string;
  office: string;
  ethnicity: string;
  prefix: string;
}

const POOL_SIZE = 4096;
const SALT = 0x6b7378; // 'ksx'
const LAST_DAY_NUMBER = toDayNumber(LAST_DAY);
const YEAR_2016 = toDayNumber('2016-01-01');

function registryName(name: string): RegistryName {
  const upper = name.toUpperCase();
  return [upper, stripDiacritics(upper)];
}

/** `dd/MM/yyyy` of the day `days` after 1970-01-01 (civil-from-days, no Date objects on the hot path). */
export function dmyOfDayNumber(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${d < 10 ? '0' : ''}${d}/${m < 10 ? '0' : ''}${m}/${y}`;
}

/** Deterministic benchmark birth rows for one seed; see the module comment. */
export class DerivedBirthRows {
  private readonly pool: PoolChild[] = [];
  private readonly bySex: { MALE: number[]; FEMALE: number[] } = { MALE: [], FEMALE: [] };
  private readonly seed: number;
  private readonly random6: (i: number) => number;

  /** Builds the pool from children `firstIndex`, `firstIndex + 1`, … of `seed` (those with both parents named). */
  constructor(seed: number, firstIndex: number) {
    this.seed = hash32(seed, SALT);
    this.random6 = createPermutation(1_000_000, this.seed);
    const offices = new Map<string, string>();
    for (let index = firstIndex; this.pool.length < POOL_SIZE; index++) {
      const c = generateChild(seed, index);
      if (!c.fatherName || !c.motherName) continue;
      let office = offices.get(c.communeCode);
      if (office === undefined) {
        office = `UBND ${communeByCode(c.communeCode)?.communeName ?? c.communeCode}`;
        offices.set(c.communeCode, office);
      }
      this.bySex[c.sex].push(this.pool.length);
      this.pool.push({
        family: registryName(c.familyName),
        ownNames: registryName(c.middleName ? `${c.middleName} ${c.givenName}` : c.givenName),
        sex: c.sex,
        father: registryName(c.fatherName),
        mother: registryName(c.motherName),
        birthDay: toDayNumber(c.birthDate),
        birthYear: Number(c.birthDate.slice(0, 4)),
        communeCode: c.communeCode,
        office,
        ethnicity: c.ethnicity ?? 'Kinh',
        prefix: c.identityNumber?.slice(0, 3) ?? '001',
      });
    }
  }

  /** Row `j` (0-based among the derived rows), in the birth register's column order. */
  row(j: number): string[] {
    const h = hash32(this.seed, j);
    const pool = this.pool;
    const a = pool[h % POOL_SIZE]!;
    const h1 = mix32(h ^ 0x27d4eb2f);
    const sexList = this.bySex[(h1 & 1) === 0 ? 'MALE' : 'FEMALE'];
    const b = pool[sexList[(h1 >>> 1) % sexList.length]!]!;
    const h2 = mix32(h1 ^ 0x165667b1);
    const c = pool[h2 % POOL_SIZE]!;
    const d = pool[(h2 >>> 12) % POOL_SIZE]!;
    const h3 = mix32(h2 ^ 0x61c88647);

    const u = h3 % 100;
    const span = u < 3 ? [366, 1825] : u < 15 ? [61, 365] : [3, 60];
    const delay = span[0]! + ((h3 >>> 8) % (span[1]! - span[0]! + 1));
    const registered = Math.min(c.birthDay + delay, LAST_DAY_NUMBER);
    const registeredDmy = dmyOfDayNumber(registered);
    const h4 = mix32(h3 ^ 0x9e3779b9);
    const s = h4 % 10 < 3 ? 1 : 0;
    const missing = (h4 >>> 4) % 100 < (registered < YEAR_2016 ? 80 : 2);
    const byFather = (h4 >>> 12) % 10 < 6;
    const sexDigit = (c.birthYear >= 2000 ? 2 : 0) + (b.sex === 'FEMALE' ? 1 : 0);
    const number = missing
      ? ''
      : `${c.prefix}${sexDigit}${String(c.birthYear % 100).padStart(2, '0')}${String(this.random6(j % 1_000_000)).padStart(6, '0')}`;
    return [
      // The seed is part of the id's namespace: rows of another seed are other people, and must not take the
      // ids of this seed's rows (a sync of such a file would overwrite these registrations with them).
      `KSX${scrambledId(`justice-register/birth-benchmark/${this.seed}`, j)}`,
      String(1 + ((h4 >>> 16) % 2400)),
      `0${1 + (h3 % 3)}/${registeredDmy.slice(6)}`,
      registeredDmy,
      c.office,
      c.communeCode,
      `${a.family[s]} ${b.ownNames[s]}`,
      dmyOfDayNumber(c.birthDay),
      b.sex === 'MALE' ? 'Nam' : 'Nữ',
      c.ethnicity,
      'Việt Nam',
      number,
      a.father[s],
      d.mother[s],
      byFather ? a.father[s] : d.mother[s],
      byFather ? 'Cha' : 'Mẹ',
      '',
    ];
  }
}
