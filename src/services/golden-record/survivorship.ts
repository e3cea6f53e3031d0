import type { DisagreeingRecord, Disagreements, FieldProvenance, GoldenField, IdentityStatus } from '../../db/entities/child.entity.js';
import type { CommuneCodeSet, DatePrecision, GroupClause, GroupEvidenceInput, Sex, SourceSystem } from '../../domain/source-record-input.js';
import { childhoodEndedOn, hanoiDate } from '../../domain/child-age.js';
import { foldName } from '../../domain/vietnamese-name.js';
import { birthDateDigest, nameDigest, type Refused } from '../identity/rejected-values.js';
import { currentGroupClauses } from './group-memberships.js';

/** The fields of a source record survivorship reads. */
export interface SurvivorshipInput {
  id: string;
  sourceSystem: SourceSystem | string;
  fullName: string | null;
  familyName: string | null;
  middleName: string | null;
  givenName: string | null;
  nameFolded: string | null;
  sex: Sex | null;
  birthDate: string | null;
  birthDatePrecision: DatePrecision | null;
  birthDateEstimated: boolean;
  communeCode: string | null;
  communeCodeSet: CommuneCodeSet | null;
  identityNumber: string | null;
  groups: GroupEvidenceInput[];
  /** When the source last changed the record, or when the hub last saw it. */
  observedAt: Date;
  /** The date of the adoption the record registers (an adoption register's row), else null or absent. */
  adoptedOn?: string | null;
}

export interface GoldenValues {
  fullName: string | null;
  familyName: string | null;
  middleName: string | null;
  givenName: string | null;
  nameFolded: string | null;
  sex: Sex | null;
  birthDate: string | null;
  birthDatePrecision: DatePrecision | null;
  birthDateEstimated: boolean;
  birthYear: number | null;
  communeCode: string | null;
  communeCodeSet: CommuneCodeSet | null;
  identityNumber: string | null;
  identityStatus: IdentityStatus;
  groupClauses: GroupClause[];
  /**
   * The child's 16th birthday by the chosen birth date, once it has passed in Hà Nội at `now` (the last
   * possible one for a month or year: `sixteenthBirthday`); null while under 16 or with no birth date. Every
   * group membership ends then. Not a column: the memberships' `ended_on` and `group_clauses` show it.
   */
  childhoodEndedOn: string | null;
  provenance: Partial<Record<GoldenField, FieldProvenance>>;
  /** The fields the records genuinely disagree on, with the records on each side ({@link disagreementsOf}); null when they agree. */
  disagreements: Disagreements | null;
}

/**
 * How much each source is trusted for identity facts: the civil-status register records the legal name
 * and birth date; the health station sees the child from birth; schools and facility inspections copy
 * what they are told (facility records often hold only a birth year).
 */
export const SOURCE_TRUST: Record<string, number> = {
  'justice-register': 4,
  'health-station': 3,
  school: 2,
  'facility-inspection': 1,
};
/**
 * Sources whose records can say that a birth date is an estimate (their connectors map `birthDateEstimated`):
 * the justice register notes an abandoned child, whose registered birth date is the date found (Decree
 * 123/2015); the health stations' EHR has an estimated-birth-date extension; facility inspections note the
 * child's circumstances. The school API has no such field, so its records always say "not estimated": that
 * is silence, not evidence that the date is exact, and it never clears another source's "estimated".
 */
export const STATES_BIRTH_DATE_ESTIMATE: ReadonlySet<string> = new Set(['justice-register', 'health-station', 'facility-inspection']);
const PRECISION_RANK: Record<DatePrecision, number> = { DAY: 3, MONTH: 2, YEAR: 1 };

const trust = (r: SurvivorshipInput) => SOURCE_TRUST[r.sourceSystem] ?? 0;
/** The rank of a value the registry has not refused: above every refusal's order. */
const NOT_REFUSED = Number.MAX_SAFE_INTEGER;
const precision = (r: SurvivorshipInput) => PRECISION_RANK[r.birthDatePrecision ?? 'DAY'];
const statesEstimate = (r: SurvivorshipInput) => STATES_BIRTH_DATE_ESTIMATE.has(r.sourceSystem);
const time = (r: SurvivorshipInput) => r.observedAt.getTime();
const byId = (a: SurvivorshipInput, b: SurvivorshipInput) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const hasDiacritics = (s: string) => /[^\u0000-\u007f]/.test(s);

/** How many sources (systems, not records) give each record's value, as `key` reads it: a ranking's first term. */
function agreement(records: SurvivorshipInput[], key: (r: SurvivorshipInput) => string): (r: SurvivorshipInput) => number {
  if (records.length < 3) return () => 0; // two can only agree or not: nothing to rank by
  const systems = new Map<string, Set<string>>();
  for (const r of records) {
    const k = key(r);
    let set = systems.get(k);
    if (!set) systems.set(k, (set = new Set()));
    set.add(r.sourceSystem);
  }
  return (r) => systems.get(key(r))!.size;
}

/** Picks the record that wins by the given ranking (higher is better; of equal ranks, the first in the list: the lowest id). */
function best<T>(items: T[], rank: (t: T) => number[]): T | undefined {
  let winner: T | undefined;
  let winnerRank: number[] = [];
  for (const item of items) {
    const r = rank(item);
    if (!winner || compareRanks(r, winnerRank) > 0) {
      winner = item;
      winnerRank = r;
    }
  }
  return winner;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Survivorship: the current best value of each golden field from a child's linked source records, with
 * the source record that supplied it. `now` stamps the provenance and is the day the child's age is judged
 * on (their groups end at 16). Pure and deterministic (records are ranked, never order-dependent
 * beyond an id tie-break), so recomputing twice gives the same answer.
 *
 * `refused`, by number: the names and birth dates the population database said do not belong to that number
 * (see rejected-values.ts). For the number chosen, a value it refused ranks below every other, so another
 * source's value is asked about next; when all were refused, the one refused last stays (nothing is asked again).
 */
export function computeGolden(records: SurvivorshipInput[], now: Date = new Date(), refused?: ReadonlyMap<string, Refused>): GoldenValues {
  // Runs once per child the golden-record stage builds: a single record needs no sorting, and every field
  // chosen in one run shares one timestamp string.
  const sorted = records.length > 1 ? [...records].sort(byId) : records;
  const provenance: GoldenValues['provenance'] = {};
  const chosenAt = now.toISOString();
  const mark = (field: GoldenField, r: SurvivorshipInput | undefined) => {
    if (r) provenance[field] = { sourceRecordId: r.id, sourceSystem: r.sourceSystem, chosenAt };
  };

  // Identity number: the one most sources agree on, then trust. Disagreement is kept in the number history.
  const votes = new Map<string, number>();
  for (const r of sorted) if (r.identityNumber) votes.set(r.identityNumber, (votes.get(r.identityNumber) ?? 0) + 1);
  const idRec = best(sorted.filter((r) => r.identityNumber), (r) => [votes.get(r.identityNumber!) ?? 0, trust(r), time(r)]);
  mark('identityNumber', idRec);
  // What the registry refused for that number (rare: digests are made only then). A value not refused ranks
  // first; of refused ones, the one refused last (the value the registry was last asked about stays).
  const against = idRec && refused?.size ? refused.get(idRec.identityNumber!) : undefined;
  const nameAccepted = against?.names.size ? (r: SurvivorshipInput) => against.names.get(nameDigest(r.fullName!)) ?? NOT_REFUSED : () => NOT_REFUSED;
  const birthAccepted = against?.birthDates.size
    ? (r: SurvivorshipInput) => against.birthDates.get(birthDateDigest(r.birthDate!, r.birthDatePrecision)) ?? NOT_REFUSED
    : () => NOT_REFUSED;

  // Names: one the registry has not refused (above), then the name the most sources agree on, letter for letter (folded: case and marks aside), then a spelling
  // with diacritics over registry-style upper-case ASCII, then trust, then recency. QA: a health record's typo won
  // by trust over the school's and the register's agreeing spelling, and the registry then found the name wrong.
  // Sources, not records: two records of one source repeat its typo.
  // From an adoption on, the child is named as its registration says (the adoptive parents may change the name: Law on
  // Adoption 2010, Art. 24): only the civil-status register's records from that day on vote, not other sources, which
  // copy the name and may not have caught up, whatever their dates (QA: the birth register's and the health station's
  // birth name outvoted the adoption's; then a health record touched after the adoption, or undated, still did).
  const adoption = latestAdoption(sorted);
  const adoptedSince = adoption ? Date.parse(`${adoption.adoptedOn}T00:00:00+07:00`) : 0;
  const named = sorted.filter((r) => r.fullName && (!adoption?.fullName || r === adoption
    || (r.sourceSystem === 'justice-register' && !r.adoptedOn && r.observedAt.getTime() >= adoptedSince)));
  const agreeing = agreement(named, (r) => r.nameFolded ?? r.fullName!.toLowerCase());
  const nameRec = best(named, (r) => [nameAccepted(r), agreeing(r), hasDiacritics(r.fullName!) ? 1 : 0, trust(r), time(r)]);
  mark('fullName', nameRec);
  const sexRec = best(sorted.filter((r) => r.sex), (r) => [trust(r), time(r)]);
  mark('sex', sexRec);
  const birth = chooseBirthDate(sorted, birthAccepted);
  const birthRec = birth?.record;
  mark('birthDate', birthRec);
  // Residence changes: the most recently observed commune wins, 2025 codes before legacy ones.
  const communeRec = best(sorted.filter((r) => r.communeCode), (r) => [time(r), r.communeCodeSet === 'VN-2025' ? 1 : 0, trust(r)]);
  mark('communeCode', communeRec);
  const childhoodEnded = childhoodEndedOn(birthRec?.birthDate ?? null, birthRec?.birthDatePrecision ?? null, hanoiDate(now));

  return {
    fullName: nameRec?.fullName ?? null,
    familyName: nameRec?.familyName ?? null,
    middleName: nameRec?.middleName ?? null,
    givenName: nameRec?.givenName ?? null,
    nameFolded: nameRec?.nameFolded ?? null,
    sex: sexRec?.sex ?? null,
    birthDate: birthRec?.birthDate ?? null,
    birthDatePrecision: birthRec?.birthDatePrecision ?? null,
    birthDateEstimated: birth?.estimated ?? false,
    birthYear: birthRec?.birthDate ? Number(birthRec.birthDate.slice(0, 4)) : null,
    communeCode: communeRec?.communeCode ?? null,
    communeCodeSet: communeRec?.communeCodeSet ?? null,
    identityNumber: idRec?.identityNumber ?? null,
    identityStatus: idRec ? 'UNVERIFIED' : 'NO_NUMBER',
    // The groups the child is in now: evidence a record ended (an adoption) is history, and a person of 16 or
    // over is in no group of children.
    groupClauses: currentGroupClauses(sorted, childhoodEnded),
    childhoodEndedOn: childhoodEnded,
    provenance,
    disagreements: sorted.length > 1 ? disagreementsOf(sorted) : null,
  };
}

const recordRef = (r: SurvivorshipInput): DisagreeingRecord => ({ sourceRecordId: r.id, sourceSystem: r.sourceSystem });
/** A birth date at its precision, as a prefix of the ISO date: `2015`, `2015-10`, `2015-10-15`. */
const birthDateAtPrecision = (r: SurvivorshipInput) => r.birthDate!.slice(0, r.birthDatePrecision === 'YEAR' ? 4 : r.birthDatePrecision === 'MONTH' ? 7 : 10);

/** The record of the latest adoption a child's records register (the later record on one date); null when none does. */
function latestAdoption(records: readonly SurvivorshipInput[]): (SurvivorshipInput & { adoptedOn: string }) | null {
  let latest: (SurvivorshipInput & { adoptedOn: string }) | null = null;
  for (const r of records) {
    if (r.adoptedOn && (latest === null || r.adoptedOn > latest.adoptedOn || (r.adoptedOn === latest.adoptedOn && r.observedAt > latest.observedAt))) {
      latest = r as SurvivorshipInput & { adoptedOn: string };
    }
  }
  return latest;
}

/**
 * Where the records (in id order) give values that genuinely disagree, per golden field, with the records on
 * each side; null when they agree on every field. QA: survivorship picked one value silently (a school's newer
 * commune took the child from the health station's commune officer), and no one knew the sources disagreed.
 *
 * Values are compared as the hub compares them for matching, so a difference in form only is no disagreement:
 * names folded (case, diacritics, spacing and word order aside: "NGUYEN THI THU HA" and "Thu Hà Nguyễn Thị" agree with "Nguyễn Thị Thu Hà",
 * "Ngô Da Trung" disagrees with "Ngô Gia Trung"); birth dates at the coarser precision (2015 agrees with
 * 2015-10-15, not with 2016-10-15); communes as 2025 codes only (a legacy code cannot be compared reliably with
 * a 2025 one: no table maps the 2025 reorganisation's splits); sex and identity numbers as they are.
 */
export function disagreementsOf(records: readonly SurvivorshipInput[]): Disagreements | null {
  if (!anyValueDiffers(records)) return null;
  let out: Disagreements | null = null;
  const add = (field: GoldenField, sides: DisagreeingRecord[][] | undefined) => {
    if (sides) (out ??= {})[field] = sides;
  };
  add('fullName', sidesByValue(records, nameWords));
  add('sex', sidesByValue(records, (r) => r.sex));
  add('birthDate', birthDateSides(records));
  add('communeCode', sidesByValue(records, communeCode2025));
  add('identityNumber', sidesByValue(records, (r) => r.identityNumber));
  return out;
}

const foldedName = (r: SurvivorshipInput) => (r.fullName ? (r.nameFolded ?? foldName(r.fullName)) : null);
/**
 * A name's folded words in sorted order: the same words in another order ("Dương Nguyễn Đức" for "Nguyễn Đức
 * Dương", a given name written first as on a foreign form) are a difference of form, as the name search treats
 * them (QA re-check: a tenth of the name disagreements were word order only).
 */
const nameWords = (r: SurvivorshipInput) => {
  const n = foldedName(r);
  return n === null ? null : n.split(' ').sort().join(' ');
};
const communeCode2025 = (r: SurvivorshipInput) => (r.communeCodeSet === 'VN-2025' ? r.communeCode : null);

/**
 * Whether any compared field has two different values as stored (a birth date at another precision counts: it
 * may still agree). The golden-record stage runs survivorship for every child it builds, and most children's
 * records agree: one pass without allocating decides that for them.
 */
function anyValueDiffers(records: readonly SurvivorshipInput[]): boolean {
  let name: string | null = null;
  let sex: string | null = null;
  let birth: SurvivorshipInput | null = null;
  let commune: string | null = null;
  let number: string | null = null;
  for (const r of records) {
    const n = foldedName(r);
    if (n !== null) {
      if (name === null) name = n;
      else if (n !== name) return true;
    }
    if (r.sex !== null) {
      if (sex === null) sex = r.sex;
      else if (r.sex !== sex) return true;
    }
    if (r.birthDate !== null) {
      if (birth === null) birth = r;
      else if (r.birthDate !== birth.birthDate || r.birthDatePrecision !== birth.birthDatePrecision) return true;
    }
    const c = communeCode2025(r);
    if (c !== null) {
      if (commune === null) commune = c;
      else if (c !== commune) return true;
    }
    if (r.identityNumber !== null) {
      if (number === null) number = r.identityNumber;
      else if (r.identityNumber !== number) return true;
    }
  }
  return false;
}

/** One side per distinct value (records without one take no side), in the order of each side's first record; undefined under two. */
function sidesByValue(records: readonly SurvivorshipInput[], value: (r: SurvivorshipInput) => string | null): DisagreeingRecord[][] | undefined {
  // Most children's records agree: no map unless a second value turns up.
  let first: string | null = null;
  let differs = false;
  for (const r of records) {
    const v = value(r);
    if (v === null) continue;
    if (first === null) first = v;
    else if (v !== first) {
      differs = true;
      break;
    }
  }
  if (!differs) return undefined;
  const sides = new Map<string, DisagreeingRecord[]>();
  for (const r of records) {
    const v = value(r);
    if (v === null) continue;
    const side = sides.get(v);
    if (side) side.push(recordRef(r));
    else sides.set(v, [recordRef(r)]);
  }
  return [...sides.values()];
}

/**
 * Birth dates disagree when two of them cannot be the same day at the coarser one's precision. One side per
 * most precise date that no other date refines (2015-10-15 over 2015 and 2015-10), with every record whose date it
 * refines: a year-only date on each side it fits. Two or more such dates are two or more incompatible days.
 */
function birthDateSides(records: readonly SurvivorshipInput[]): DisagreeingRecord[][] | undefined {
  const dated = records.filter((r) => r.birthDate);
  if (dated.length < 2) return undefined;
  const values = [...new Set(dated.map(birthDateAtPrecision))];
  if (values.length < 2) return undefined;
  const finest = values.filter((v) => !values.some((w) => w !== v && w.startsWith(v)));
  if (finest.length < 2) return undefined;
  return finest.map((f) => dated.filter((r) => f.startsWith(birthDateAtPrecision(r))).map(recordRef));
}

/**
 * The birth date, whether it is an estimate, and the record credited with it.
 *
 * The date: one the registry did not refuse for the number (`accepted`), then the most precise (a day beats a
 * month, a month a year), then the most trusted source (the
 * civil-status register holds the legal date, the one the population database verifies a number against;
 * for an abandoned child, the date found), then, between sources of equal trust, a date its source states as
 * exact over one it marks estimated, then the most recently observed.
 *
 * Whether it is estimated is judged over every record giving that date at that precision, by the ones whose
 * source can say so ({@link STATES_BIRTH_DATE_ESTIMATE}): the most trusted of those decide, and if they
 * disagree, "estimated" wins. So a less trusted source calling the date exact does not clear a more trusted
 * one's "estimated", a source that cannot say anything counts for nothing, and a date only such sources give
 * is not marked estimated (nothing says it is).
 *
 * The record credited is the most trusted one giving the date (one whose flag agrees, then the latest).
 */
function chooseBirthDate(records: SurvivorshipInput[], accepted: (r: SurvivorshipInput) => number): { record: SurvivorshipInput; estimated: boolean } | undefined {
  const dated = records.filter((r) => r.birthDate);
  const statesExact = (r: SurvivorshipInput) => statesEstimate(r) && !r.birthDateEstimated;
  const chosen = best(dated, (r) => [accepted(r), precision(r), trust(r), statesExact(r) ? 1 : 0, time(r)]);
  if (!chosen) return undefined;
  const same = dated.filter((r) => r.birthDate === chosen.birthDate && precision(r) === precision(chosen));
  const judges = same.filter(statesEstimate);
  const topTrust = Math.max(...judges.map(trust));
  const estimated = judges.some((r) => r.birthDateEstimated && trust(r) === topTrust);
  const record = best(same, (r) => [trust(r), statesEstimate(r) && r.birthDateEstimated === estimated ? 1 : 0, time(r)])!;
  return { record, estimated };
}
