import type { DatePrecision, GroupClause, GroupEvidenceInput } from '../../domain/source-record-input.js';

/** The part of a linked source record that group memberships are built from. */
export interface GroupEvidenceRecord {
  id: string;
  sourceSystem: string;
  groups: GroupEvidenceInput[] | null;
}

/** One piece of a child's group evidence, with the dates it holds for. */
export interface EvidencedMembership {
  clause: GroupClause;
  subType: string | null;
  sourceRecordId: string;
  sourceSystem: string;
  startedOn: string | null;
  /** How much of `startedOn` is known when less than the day (MONTH, YEAR); null: the day. */
  startedOnPrecision: DatePrecision | null;
  /** The record's own end date, else the end another record gives the same clause (see {@link membershipsOf}). */
  endedOn: string | null;
  /** How much of `endedOn` is known when less than the day; null: the day. */
  endedOnPrecision: DatePrecision | null;
  /** The evidence's `whenGone: end`: once its record no longer gives it, the membership is ended and kept, not removed. */
  endsWhenGone: boolean;
}

/** A precision as stored: null for the day. */
const partial = (p: DatePrecision | null | undefined): DatePrecision | null => (p && p !== 'DAY' ? p : null);

/**
 * A child's memberships, one per (clause, sub-type, record), with their dates. A circumstance ends when a
 * record says so (`until`: an adoption registered ends the abandonment, orphanhood or lack of a carer it
 * names): that end also closes the child's other evidence of the clause that started on or before it, or
 * whose start is unknown (the birth register's "abandoned" note, a health record's flag, a facility's intake
 * are evidence of the same circumstance). Evidence that started after every end (the child abandoned again)
 * stays open. An end date is taken as passed: registers record what happened.
 *
 * The groups are groups of children, and a child is a person under 16: `childhoodEndedOn` (the child's 16th
 * birthday once it has passed, see `childhoodEndedOn` in domain/child-age.ts; null while they are under 16)
 * ends every membership still open then, or ending later. Evidence that only starts after it (a record made
 * when the person was already 16) ends the day it starts: it was never a child's group.
 */
export function membershipsOf(records: readonly GroupEvidenceRecord[], childhoodEndedOn: string | null = null): EvidencedMembership[] {
  const out = new Map<string, EvidencedMembership>();
  let ends: Map<GroupClause, Array<{ on: string; precision: DatePrecision | null }>> | null = null;
  for (const r of records) {
    for (const g of r.groups ?? []) {
      out.set(`${g.clause}|${g.subType ?? ''}|${r.id}`, {
        clause: g.clause, subType: g.subType ?? null, sourceRecordId: r.id, sourceSystem: r.sourceSystem,
        startedOn: g.since ?? null, startedOnPrecision: g.since ? partial(g.sincePrecision) : null,
        endedOn: g.until ?? null, endedOnPrecision: g.until ? partial(g.untilPrecision) : null, endsWhenGone: g.whenGone === 'end',
      });
      if (g.until) {
        ends ??= new Map();
        const end = { on: g.until, precision: partial(g.untilPrecision) };
        const list = ends.get(g.clause);
        if (list) list.push(end);
        else ends.set(g.clause, [end]);
      }
    }
  }
  const memberships = [...out.values()];
  if (ends !== null) {
    for (const list of ends.values()) list.sort((a, b) => (a.on < b.on ? -1 : a.on > b.on ? 1 : 0));
    for (const m of memberships) {
      if (m.endedOn !== null) continue;
      const list = ends.get(m.clause);
      // The first end on or after the start (ISO dates compare as text).
      const end = list?.find((e) => m.startedOn === null || e.on >= m.startedOn);
      m.endedOn = end?.on ?? null;
      m.endedOnPrecision = end?.precision ?? null;
    }
  }
  if (childhoodEndedOn !== null) {
    for (const m of memberships) {
      if (m.endedOn !== null && m.endedOn <= childhoodEndedOn) continue;
      const startedAfter = m.startedOn !== null && m.startedOn > childhoodEndedOn;
      m.endedOn = startedAfter ? m.startedOn : childhoodEndedOn;
      m.endedOnPrecision = startedAfter ? m.startedOnPrecision : null;
    }
  }
  return memberships;
}

/**
 * The groups a child is in now: the clauses with a membership that has not ended. A group whose evidence has
 * all ended is history (shown with its dates in `specialCircumstances`), not a current group. A person of 16
 * or over (`childhoodEndedOn` set: see {@link membershipsOf}) is in none.
 */
export function currentGroupClauses(records: readonly GroupEvidenceRecord[], childhoodEndedOn: string | null = null): GroupClause[] {
  if (childhoodEndedOn !== null) return [];
  const current = new Set<GroupClause>();
  // Most children have no ended evidence: their groups are every clause their records name.
  const anyEnd = records.some((r) => r.groups?.some((g) => g.until));
  if (!anyEnd) {
    for (const r of records) for (const g of r.groups ?? []) current.add(g.clause);
  } else {
    for (const m of membershipsOf(records)) if (m.endedOn === null) current.add(m.clause);
  }
  return [...current].sort();
}

/** Whether any of the child's evidence, ended or not, names `clause` (an adopted child was still found abandoned). */
export function everIn(records: readonly GroupEvidenceRecord[], clause: GroupClause): boolean {
  return records.some((r) => r.groups?.some((g) => g.clause === clause));
}
