/**
 * Dates of one record that contradict each other: a birth registered before the birth, a child taken in before
 * it was born, a day of birth whose year is not the birth year the same row gives. The mapper flags such a record
 * (`DATES_INCONSISTENT`) rather than rejecting it: one of the dates is a typo, and the child's record must not be
 * lost over it; stewards see the flag (GraphQL `SourceRecord.flags`). Dates are compared as their ISO text, at
 * the precision each is known, so the check costs a few character comparisons per record.
 */
import type { DatePrecision } from '../../domain/source-record-input.js';
import type { ProjectionKind } from '../types.js';
import type { ValueSpec } from './mapping.schema.js';

/** Flag code: two dates of a record contradict each other (the message names the two fields, never the dates). */
export const DATES_INCONSISTENT = 'DATES_INCONSISTENT';

/**
 * The projections' dates that cannot come before the child's birth, with the words a message calls them by.
 * (An enrolment has no date of its own: its school year is text.)
 */
export const NOT_BEFORE_BIRTH: { readonly [K in ProjectionKind]?: Readonly<Record<string, string>> } = {
  birthRegistration: { registeredOn: 'the birth registration date' },
  adoptionRegistration: { registeredOn: "the adoption's registration date" },
  placement: { startedOn: 'the date taken in', seenOn: 'the date seen at the facility' },
  healthScreening: { screenedOn: 'the screening date' },
  vaccination: { occurredOn: 'the vaccination date' },
  disability: { assessedOn: 'the disability assessment date' },
};

/** How many characters of an ISO date (`yyyy-MM-dd`, 01 for the unknown parts) a precision knows. */
const KNOWN: Readonly<Record<DatePrecision, number>> = { YEAR: 4, MONTH: 7, DAY: 10 };

/**
 * Whether date `a` is after date `b` whatever the parts not known: compared on the parts both know (a birth
 * in 2015 is after 2014-06-01, not after 2015-03-01; March 2015 is after 2015-02-28, not after 2015-03-01).
 */
export function isAfter(a: string, aPrecision: DatePrecision, b: string, bPrecision: DatePrecision): boolean {
  const n = Math.min(KNOWN[aPrecision], KNOWN[bPrecision]);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d > 0;
  }
  return false;
}

/** Whether dates `a` and `b` differ in the parts both know (2015-03-15 and the year 2014; not the year 2015). */
export function disagree(a: string, aPrecision: DatePrecision, b: string, bPrecision: DatePrecision): boolean {
  const n = Math.min(KNOWN[aPrecision], KNOWN[bPrecision]);
  for (let i = 0; i < n; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return true;
  return false;
}

/**
 * Where a value is read, for messages: `«Ngày sinh»`, `«Ngày sinh» or «Năm sinh»`; empty when it is not read
 * from columns alone. Column names are the source's headers, not its data.
 */
export function describeSource(spec: ValueSpec | string | undefined): string {
  if (spec === undefined) return '';
  if (typeof spec === 'string') return `«${spec}»`;
  if (spec.from !== undefined) return `«${spec.from}»`;
  if (spec.firstOf !== undefined) {
    const parts = spec.firstOf.map((el) => describeSource(el));
    return parts.includes('') ? '' : parts.join(' or ');
  }
  return '';
}

/** A field as messages name it: its words, its mapping path, and its columns when known. */
export function nameField(words: string, path: string, source: string): string {
  return `${words} (${path}${source ? `, read from ${source}` : ''})`;
}
