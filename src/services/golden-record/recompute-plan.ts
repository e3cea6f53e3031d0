import { GOLDEN_FIELDS, type Child, type IdentityStatus } from '../../db/entities/child.entity.js';
import type { IdentityNumberStatus, StructuralFinding } from '../../db/entities/identity-number.entity.js';
import { newId } from '../../db/ids.js';
import { checkIdentityNumber } from '../../domain/identity-number.js';
import type { DatePrecision } from '../../domain/source-record-input.js';
import { hanoiDate } from '../../domain/child-age.js';
import { everIn, membershipsOf, type EvidencedMembership } from './group-memberships.js';
import { computeGolden, type GoldenValues, type SurvivorshipInput } from './survivorship.js';
import type { Refused } from '../identity/rejected-values.js';

export interface RecomputeResult {
  /** Children whose golden record changed (version bumped) or was built for the first time (version 1). */
  changed: string[];
  /** Children whose golden record was already current. */
  unchanged: string[];
  /**
   * Ids that are not active children: merged (whose groups were already cleared), or with neither a row nor a
   * linked record. Nothing was done for them.
   */
  skipped: string[];
}

/** Golden fields copied from survivorship onto the child row. */
export const GOLDEN_KEYS = [
  'fullName', 'familyName', 'middleName', 'givenName', 'nameFolded', 'sex', 'birthDate', 'birthDatePrecision',
  'birthDateEstimated', 'birthYear', 'communeCode', 'communeCodeSet', 'identityNumber', 'groupClauses',
] as const satisfies readonly (keyof GoldenValues & keyof Child)[];
type GoldenKey = (typeof GOLDEN_KEYS)[number];

/** What a child row holds that the recompute writes: its golden values, number status, provenance and where its sources disagree. */
export type ChildValues = Pick<Child, 'id' | 'identityStatus' | 'provenance' | 'disagreements' | GoldenKey>;

/** A child row as the recompute locked it. */
export type LockedChild = ChildValues & Pick<Child, 'status' | 'version'>;

/** A source record linked to one of the children, as survivorship reads it. */
export interface LinkedRecord extends SurvivorshipInput {
  childId: string;
}

/** An identity-number history row already stored for a child. */
export interface KnownNumber {
  id: string;
  childId: string;
  number: string;
  status: IdentityNumberStatus;
  sourceRecordId: string | null;
  /**
   * When the population database confirmed the number as the child's: verified it, or issued it (a VERIFIED
   * row). Null for numbers it never confirmed.
   */
  verifiedAt: Date | null;
  /** Its structural findings, as last checked against the child's sex and birth year. */
  findings: StructuralFinding[];
}

/** A special-circumstance membership already stored for a child. */
export interface KnownMembership {
  id: string;
  childId: string;
  clause: string;
  subType: string | null;
  sourceRecordId: string | null;
  startedOn: string | null;
  /** Null: the day. */
  startedOnPrecision: DatePrecision | null;
  endedOn: string | null;
  endedOnPrecision: DatePrecision | null;
  /** Its evidence said `whenGone: end` (see GroupEvidenceInput.whenGone). */
  endsWhenGone: boolean;
  /** Set when it was ended because its record stopped giving the evidence (history, no longer mirroring evidence). */
  withdrawnOn: string | null;
  /** The child the row is stored under, when not the child it is read for (a past spell of a record now linked to it). */
  storedChildId?: string;
}

export interface NewIdentityNumber {
  id: string;
  childId: string;
  number: string;
  sourceRecordId: string;
  findings: StructuralFinding[];
}

/** A membership to store: a piece of the child's evidence ({@link EvidencedMembership}) with its row's ids. */
export interface NewMembership extends EvidencedMembership {
  id: string;
  childId: string;
}

/**
 * A stored membership whose dates its evidence now gives otherwise (an adoption ended it), whose evidence's
 * `whenGone` changed, or that its record stopped giving with `whenGone: end` (then `withdrawnOn`).
 */
export interface MembershipDates {
  id: string;
  startedOn: string | null;
  startedOnPrecision: DatePrecision | null;
  endedOn: string | null;
  endedOnPrecision: DatePrecision | null;
  endsWhenGone: boolean;
  withdrawnOn: string | null;
}

/** What the children read under lock need written, decided without touching the database. */
export interface RecomputePlan {
  result: RecomputeResult;
  /** Children named by records but without a row yet: inserted at version 1. */
  created: ChildValues[];
  /** Existing children that changed, with the version they were read at (the update bumps it by one). */
  updated: Array<ChildValues & { version: number }>;
  numbers: NewIdentityNumber[];
  /** Ids of history rows a source gave whose number no linked record gives any more: SUPERSEDED now. */
  numbersSuperseded: string[];
  /** Ids of SUPERSEDED history rows whose number a linked record gives again: GIVEN (current) again. */
  numbersRestored: string[];
  /** History rows whose structural findings changed: the child's sex or birth year changed since they were checked. */
  numbersRechecked: Array<{ id: string; findings: StructuralFinding[] }>;
  /** History rows credited to a record no longer the child's or no longer giving the number: credited to one that gives it. */
  numbersRecredited: Array<{ id: string; sourceRecordId: string }>;
  membershipsAdded: NewMembership[];
  /** Stored memberships whose start or end changed. */
  membershipsRedated: MembershipDates[];
  /** Ids of memberships whose evidence is gone. */
  membershipsRemoved: string[];
  /** Past spells (withdrawn) moved to the child their record now belongs to. */
  membershipsMoved: Array<{ id: string; childId: string }>;
  /** Children to check against the population database (or to start issuance for). */
  reconcile: string[];
}

/** The inputs of one recompute, grouped by child. */
export interface RecomputeInputs {
  /** Distinct ids, sorted: the order of every list in the plan. */
  ids: readonly string[];
  children: ReadonlyMap<string, LockedChild>;
  records: ReadonlyMap<string, LinkedRecord[]>;
  numbers: ReadonlyMap<string, KnownNumber[]>;
  memberships: ReadonlyMap<string, KnownMembership[]>;
  /** Per child, per number: the values the population database refused for it (survivorship ranks them last). */
  refused?: ReadonlyMap<string, ReadonlyMap<string, Refused>>;
}

/**
 * What the population database check is asked about (the reconciler's checkInputs: number, name, birth date): a change
 * of anything else does not send the child again (QA: a sex corrected at the source spent a second call on the same
 * question; the number's findings against the sex are checked again here, by planNumbers).
 */
const identityInputs = (c: ChildValues) => JSON.stringify([c.identityNumber, c.fullName, c.birthDate, c.birthDatePrecision]);

/** Provenance timestamps move on every run; only a change of supplying record counts as a change. */
const provenanceSources = (p: Child['provenance']) =>
  JSON.stringify(Object.entries(p ?? {}).map(([k, v]) => [k, v?.sourceRecordId]).sort());

/** Disagreements as fields and the record ids on each side: jsonb stores an object's keys in an order of its own. */
const disagreementSides = (d: Child['disagreements']) =>
  d ? JSON.stringify(GOLDEN_FIELDS.map((f) => d[f]?.map((side) => side.map((r) => r.sourceRecordId)) ?? null)) : '';

/**
 * Decides, for children locked by the caller, every write their recompute needs: the rule of the golden
 * record, kept in one pure function so it can be read (and tested) apart from the SQL that applies it in bulk.
 *
 * Per child: survivorship over its linked records; while no source gives a number, the one the registry
 * most recently verified or issued stays (whatever history row holds it); statuses reached by reconciliation
 * stay with the number they were reached for;
 * a history row per new number a source gave (never removed), superseded when no linked record gives it any
 * more and current again when one does; memberships mirror the records' group evidence. A child id named by records but without a row is built from them. Merged children, and ids with
 * neither a row nor a record, are skipped.
 */
export function planRecompute(inputs: RecomputeInputs, now: Date): RecomputePlan {
  const plan: RecomputePlan = {
    result: { changed: [], unchanged: [], skipped: [] },
    created: [], updated: [], numbers: [], numbersSuperseded: [], numbersRestored: [], numbersRechecked: [], numbersRecredited: [], membershipsAdded: [], membershipsRedated: [], membershipsRemoved: [], membershipsMoved: [], reconcile: [],
  };
  for (const id of inputs.ids) {
    const child = inputs.children.get(id);
    const records = inputs.records.get(id) ?? [];
    if (child?.status === 'MERGED') {
      // A merged child's evidence now builds the child it was merged into. Groups it still showed, and the
      // memberships behind them, would tell a reader of the old id that the child is (say) abandoned though
      // its records say otherwise now, and count the evidence twice (QA): they go, once.
      // A past spell of a record (withdrawn) goes with the record to the child it joined instead (see planMemberships).
      const held = (inputs.memberships.get(id) ?? []).filter((m) => m.withdrawnOn === null || !m.sourceRecordId);
      if (held.length === 0 && child.groupClauses.length === 0) {
        plan.result.skipped.push(id);
        continue;
      }
      for (const m of held) plan.membershipsRemoved.push(m.id);
      plan.updated.push({ ...child, groupClauses: [] });
      plan.result.changed.push(id);
      continue;
    }
    if (child ? child.status !== 'ACTIVE' : records.length === 0) {
      plan.result.skipped.push(id);
      continue;
    }
    const numbers = inputs.numbers.get(id) ?? [];
    const golden = computeGolden(records, now, inputs.refused?.get(id));
    // A personal identity number is the child's for life: once the registry has verified or issued one, a
    // source no longer giving any number (an export leaving the field empty) is no evidence against it. It
    // stays the child's number, with the status reached for it, and is not checked again for that alone; a
    // source giving another number still wins. Whichever history row holds it: a row a source wrote keeps
    // that record as its source once verified, or when the registry issues a number the source had dropped.
    if (golden.identityNumber === null) {
      const confirmed = latestConfirmed(numbers);
      if (confirmed) golden.identityNumber = confirmed.number;
    }

    let next: ChildValues;
    let changed: boolean;
    if (child) {
      const applied = applyGolden(child, golden);
      next = applied.next;
      // New or changed identity data is checked against the population database; a child without a number
      // gets an issuance request.
      if (identityInputs(next) !== identityInputs(child) || next.identityStatus === 'NO_NUMBER' || next.identityStatus === 'UNVERIFIED') {
        plan.reconcile.push(id);
      }
      changed = applied.changed;
    } else {
      // A new child has no history: its values are survivorship's, its number (if any) starts UNVERIFIED, and
      // it is always checked (or its issuance started).
      next = { id, provenance: golden.provenance, disagreements: golden.disagreements, identityStatus: golden.identityStatus, ...pickGolden(golden) };
      plan.reconcile.push(id);
      changed = true;
    }
    const numbersChanged = planNumbers(plan, id, records, numbers, golden);
    const groupsChanged = planMemberships(plan, id, records, inputs.memberships.get(id) ?? [], golden.childhoodEndedOn);
    if (!child) {
      plan.created.push(next);
      plan.result.changed.push(id);
    } else if (changed || numbersChanged || groupsChanged) {
      // The version counts every change to the unified record, including its number history and groups.
      plan.updated.push({ ...next, version: child.version });
      plan.result.changed.push(id);
    } else {
      plan.result.unchanged.push(id);
    }
  }
  return plan;
}

/**
 * The number the registry most recently confirmed for the child (VERIFIED: verified or issued), if any; among
 * rows confirmed at the same moment, the first by id, so a rebuild always picks the same one.
 */
function latestConfirmed(numbers: readonly KnownNumber[]): KnownNumber | undefined {
  const time = (n: KnownNumber) => n.verifiedAt?.getTime() ?? -Infinity;
  let latest: KnownNumber | undefined;
  for (const n of numbers) {
    if (n.status !== 'VERIFIED') continue;
    if (!latest || time(n) > time(latest) || (time(n) === time(latest) && n.id < latest.id)) latest = n;
  }
  return latest;
}

function pickGolden(g: GoldenValues): Pick<Child, GoldenKey> {
  return {
    fullName: g.fullName, familyName: g.familyName, middleName: g.middleName, givenName: g.givenName, nameFolded: g.nameFolded,
    sex: g.sex, birthDate: g.birthDate, birthDatePrecision: g.birthDatePrecision, birthDateEstimated: g.birthDateEstimated,
    birthYear: g.birthYear, communeCode: g.communeCode, communeCodeSet: g.communeCodeSet, identityNumber: g.identityNumber,
    groupClauses: g.groupClauses,
  };
}

/** The child's values with golden ones copied on; whether anything differed. */
function applyGolden(child: LockedChild, golden: GoldenValues): { next: ChildValues; changed: boolean } {
  const next: ChildValues = {
    id: child.id, identityStatus: child.identityStatus, provenance: child.provenance, disagreements: child.disagreements,
    fullName: child.fullName, familyName: child.familyName, middleName: child.middleName, givenName: child.givenName,
    nameFolded: child.nameFolded, sex: child.sex, birthDate: child.birthDate, birthDatePrecision: child.birthDatePrecision,
    birthDateEstimated: child.birthDateEstimated, birthYear: child.birthYear, communeCode: child.communeCode,
    communeCodeSet: child.communeCodeSet, identityNumber: child.identityNumber, groupClauses: child.groupClauses,
  };
  let changed = false;
  for (const key of GOLDEN_KEYS) {
    if (JSON.stringify(child[key]) !== JSON.stringify(golden[key])) {
      (next as unknown as Record<string, unknown>)[key] = golden[key];
      changed = true;
    }
  }
  if (provenanceSources(child.provenance) !== provenanceSources(golden.provenance)) {
    next.provenance = golden.provenance;
    changed = true;
  }
  // Where the sources disagree is part of the unified record a steward reads: a change is a change of version.
  // Children built before it was kept have none stored, and get it here on their next recompute.
  if (disagreementSides(child.disagreements) !== disagreementSides(golden.disagreements)) {
    next.disagreements = golden.disagreements;
    changed = true;
  }
  // Statuses reached by reconciliation (VERIFIED, MISMATCH, ISSUED, PENDING_ISSUANCE…) belong to the number
  // they were reached for; a new number starts UNVERIFIED.
  const waiting = child.identityStatus === 'NO_NUMBER' || child.identityStatus === 'PENDING_ISSUANCE';
  const status: IdentityStatus =
    golden.identityNumber === null
      ? child.identityStatus === 'PENDING_ISSUANCE' ? 'PENDING_ISSUANCE' : 'NO_NUMBER'
      : child.identityNumber !== golden.identityNumber || waiting
        ? 'UNVERIFIED'
        : child.identityStatus;
  if (status !== child.identityStatus) {
    next.identityStatus = status;
    changed = true;
  }
  return { next, changed };
}

/**
 * One history row per number a source gave for the child (the first record by id carrying it is its source);
 * numbers are never deleted. Structural findings are evidence about the number against the golden sex and
 * birth year, not held against abandoned children.
 *
 * The history says which numbers are current: a number a source gave (GIVEN) that no linked record gives
 * any more — corrected in the source, dropped, or its record moved to another child — is SUPERSEDED (with
 * the time, so the history shows when it changed), and a superseded number a record gives again is GIVEN
 * again. Rows the registry verified or issued (VERIFIED, whichever row the number was first recorded in),
 * REJECTED ones and rows recorded without a source record are left as they are.
 */
function planNumbers(plan: RecomputePlan, childId: string, records: LinkedRecord[], existing: KnownNumber[], golden: GoldenValues): boolean {
  let changed = false;
  const given = new Set<string>();
  for (const r of records) if (r.identityNumber) given.add(r.identityNumber);
  for (const n of existing) {
    if (n.status === 'GIVEN' && n.sourceRecordId !== null && !given.has(n.number)) {
      plan.numbersSuperseded.push(n.id);
      changed = true;
    } else if (n.status === 'SUPERSEDED' && given.has(n.number)) {
      plan.numbersRestored.push(n.id);
      changed = true;
    }
  }
  // A number still given, credited to a record that left the child or no longer gives it (a record corrected away, its
  // twin's staying: QA re-check), is credited to the first record giving it now. Not a change of the child's values.
  for (const n of existing) {
    if (n.sourceRecordId === null || !given.has(n.number)) continue;
    if (records.some((r) => r.id === n.sourceRecordId && r.identityNumber === n.number)) continue;
    const giver = records.find((r) => r.identityNumber === n.number)!;
    plan.numbersRecredited.push({ id: n.id, sourceRecordId: giver.id });
  }
  const known = new Set(existing.map((n) => n.number));
  // Found abandoned, even if adopted since: the registered birth date is still the date found.
  const abandoned = everIn(records, 'b');
  // Checked again against the child as it is now: its sex or birth year may have changed since (a record corrected, or
  // another linked), and a finding then said nothing or no longer holds (QA: a number saying male, 2016, on a child now
  // female, 2013, kept no finding).
  for (const n of existing) {
    const { findings } = checkIdentityNumber(n.number, { sex: golden.sex ?? undefined, birthYear: golden.birthYear ?? undefined, abandoned });
    // Not a change of the child of its own: the sex or birth year that moved the findings changed it.
    if (JSON.stringify(findings) !== JSON.stringify(n.findings ?? [])) plan.numbersRechecked.push({ id: n.id, findings });
  }
  for (const r of records) {
    if (!r.identityNumber || known.has(r.identityNumber)) continue;
    known.add(r.identityNumber);
    const check = checkIdentityNumber(r.identityNumber, { sex: golden.sex ?? undefined, birthYear: golden.birthYear ?? undefined, abandoned });
    plan.numbers.push({ id: newId('identityNumber'), childId, number: r.identityNumber, sourceRecordId: r.id, findings: check.findings });
    changed = true;
  }
  return changed;
}

/**
 * Memberships mirror the group evidence of linked records: one row per (clause, sub-type, record), with the
 * dates the evidence gives it (an end one record gives the clause ends the others; the child's 16th birthday,
 * once passed, ends them all: {@link membershipsOf}). Evidence its record no longer gives is removed (the source
 * corrected it), unless it said `whenGone: end`: the circumstance ended, and the membership is kept as history,
 * ended on the day the source last changed the record (QA: a pupil back at school lost the spell out of it); the
 * same evidence given again is a new spell, a row of its own.
 */
function planMemberships(plan: RecomputePlan, childId: string, records: LinkedRecord[], existing: KnownMembership[], childhoodEndedOn: string | null): boolean {
  const key = (clause: string, subType: string | null | undefined, recordId: string | null) => `${clause}|${subType ?? ''}|${recordId ?? ''}`;
  const wanted = new Map<string, NewMembership>();
  for (const m of membershipsOf(records, childhoodEndedOn)) wanted.set(key(m.clause, m.subType, m.sourceRecordId), { id: '', childId, ...m });
  let changed = false;
  const have = new Set<string>();
  // The latest end of each key's past spells: evidence given again that would end by then is no new spell (QA re-check:
  // a pupil dropping out again at 16 got a second spell ending on his 16th birthday, before it started).
  const pastEnds = new Map<string, string>();
  for (const m of existing) {
    const record = m.sourceRecordId ? records.find((r) => r.id === m.sourceRecordId) : undefined;
    if (m.withdrawnOn !== null) {
      // A past spell goes with its record (QA re-check: an ended spell was deleted when its record joined another child by a
      // corrected number): one stored under another child is moved here; one whose record left is moved by that child's rebuild.
      if (m.storedChildId && m.storedChildId !== childId) {
        plan.membershipsMoved.push({ id: m.id, childId });
        changed = true;
      } else if (m.sourceRecordId && !record) continue;
      const k = key(m.clause, m.subType, m.sourceRecordId);
      if (m.endedOn && (pastEnds.get(k) ?? '') < m.endedOn) pastEnds.set(k, m.endedOn);
      continue;
    }
    const k = key(m.clause, m.subType, m.sourceRecordId);
    have.add(k);
    // Evidence withdrawn by its source (or the record moved to another child) is removed; the audit trail of
    // what was shown keeps the history. Memberships recorded without a record (by a steward) stay.
    const w = wanted.get(k);
    if (m.sourceRecordId && !w) {
      if (m.endsWhenGone && record) {
        // The circumstance ended: on the day the source last changed the record, unless it had ended already (never
        // before it started).
        const observed = hanoiDate(record.observedAt);
        const endedOn = m.endedOn ?? (m.startedOn !== null && m.startedOn > observed ? m.startedOn : observed);
        plan.membershipsRedated.push({
          id: m.id, startedOn: m.startedOn, startedOnPrecision: m.startedOnPrecision, endedOn, endedOnPrecision: m.endedOn ? m.endedOnPrecision : null,
          endsWhenGone: true, withdrawnOn: endedOn,
        });
      } else plan.membershipsRemoved.push(m.id);
      changed = true;
    } else if (w && (w.startedOn !== m.startedOn || w.endedOn !== m.endedOn
      || w.startedOnPrecision !== m.startedOnPrecision || w.endedOnPrecision !== m.endedOnPrecision || w.endsWhenGone !== m.endsWhenGone)) {
      // The same evidence with other dates: the record changed them, or another record ended the circumstance.
      plan.membershipsRedated.push({
        id: m.id, startedOn: w.startedOn, startedOnPrecision: w.startedOnPrecision, endedOn: w.endedOn, endedOnPrecision: w.endedOnPrecision,
        endsWhenGone: w.endsWhenGone, withdrawnOn: null,
      });
      changed = true;
    }
  }
  for (const [k, w] of wanted) {
    if (have.has(k)) continue;
    const pastEnd = pastEnds.get(k);
    if (pastEnd !== undefined && w.endedOn !== null && w.endedOn <= pastEnd) continue;
    plan.membershipsAdded.push({ ...w, id: newId('specialCircumstance') });
    changed = true;
  }
  return changed;
}
