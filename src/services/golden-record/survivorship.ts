import type { FieldProvenance, GoldenField, IdentityStatus } from '../../db/entities/child.entity.js';
import type { CommuneCodeSet, DatePrecision, GroupClause, GroupEvidenceInput, Sex, SourceSystem } from '../../domain/source-record-input.js';
import { childhoodEndedOn, hanoiDate } from '../../domain/child-age.js';
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
  const named = sorted.filter((r) => r.fullName);
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
  };
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
