import { z } from 'zod';
import { isIsoCalendarDate } from '../../domain/calendar-date.js';
import { hanoiToday } from '../../domain/child-age.js';
import { GROUP_CLAUSES, SOURCE_SYSTEMS, type SourceRecordInput } from '../../domain/source-record-input.js';
import { fastCheckSourceRecord } from './source-record.fast-check.js';
import { LONE_SURROGATE_MESSAGE, NUL_MESSAGE, isWellFormed } from './storable-text.js';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be an ISO date yyyy-mm-dd')
  .refine(isIsoCalendarDate, 'is not a calendar date');
/**
 * Text PostgreSQL can store (storable-text.ts): a record carrying U+0000 or a lone surrogate is refused here,
 * not by the database mid-batch (nor written with U+FFFD in its place).
 */
const storable = (t: z.ZodString) => t.refine((s) => !s.includes('\u0000'), NUL_MESSAGE).refine(isWellFormed, LONE_SURROGATE_MESSAGE);
/** The message of a birth date after today (Hà Nội's date). */
export const BIRTH_DATE_IN_FUTURE = 'is after today (a birth date cannot be in the future)';
const optText = storable(z.string().trim().max(200)).nullish();

/** One special-circumstance group evidence as the store takes it. */
const groupEvidence = z.object({
  clause: z.enum(GROUP_CLAUSES), subType: storable(z.string().max(50)).nullish(), since: isoDate.nullish(), until: isoDate.nullish(),
  sincePrecision: z.enum(['DAY', 'MONTH', 'YEAR']).nullish(), untilPrecision: z.enum(['DAY', 'MONTH', 'YEAR']).nullish(),
  whenGone: z.enum(['end']).nullish(),
});
/** The store's check of each group evidence field (a mapping's constants are held to it: mapping.schema.ts). */
export const GROUP_EVIDENCE_FIELDS = groupEvidence.shape;

/** The boundary check of a normalised record before it is stored; reasons name the field, never the value. */
export const sourceRecordInputSchema = z.object({
  sourceSystem: z.enum(SOURCE_SYSTEMS),
  externalId: storable(z.string().trim().min(1, 'is empty').max(200)),
  raw: z.record(z.string(), z.unknown()),
  fullName: optText,
  familyName: optText,
  middleName: optText,
  givenName: optText,
  sex: z.enum(['MALE', 'FEMALE']).nullish(),
  // QA: a birth date of 2030 was stored, the child counted in a group. A date known to the month or year is
  // stored as its first day, so it is refused only when the whole month or year is still to come.
  birthDate: isoDate.refine((d) => d <= hanoiToday(), BIRTH_DATE_IN_FUTURE).nullish(),
  birthDatePrecision: z.enum(['DAY', 'MONTH', 'YEAR']).nullish(),
  birthDateEstimated: z.boolean().optional(),
  communeCode: z.string().regex(/^\d{5}$/, 'must be a 5-digit commune code').nullish(),
  communeCodeSet: z.enum(['VN-2025', 'VN-PRE2025']).nullish(),
  fatherName: optText,
  motherName: optText,
  carerName: optText,
  identityNumber: storable(z.string().trim().max(40)).nullish(),
  sourceUpdatedAt: z.iso.datetime({ offset: true }).nullish(),
  groups: z.array(groupEvidence).optional(),
});

export interface RecordProblem {
  field: string;
  code: string;
  message: string;
}

/**
 * Validates one record; returns the problems (empty when valid). Messages describe the value's kind only.
 * A plainly valid record is recognised without zod ({@link fastCheckSourceRecord}, same output); the schema
 * decides everything else.
 */
export function validateSourceRecord(input: unknown): { ok: true; value: SourceRecordInput } | { ok: false; problems: RecordProblem[] } {
  const fast = fastCheckSourceRecord(input);
  if (fast) return { ok: true, value: fast };
  const parsed = sourceRecordInputSchema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data as SourceRecordInput };
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => {
      // Paths as the mapping's reasons write them (`groups[0].subType`), so a `field` filter finds either (QA).
      const field = i.path.map((k, n) => (typeof k === 'number' ? `[${k}]` : `${n === 0 ? '' : '.'}${String(k)}`)).join('') || '(record)';
      // A text too long for its column: said in words, with the length (never the text).
      if (i.code === 'too_big' && i.origin === 'string') {
        const value = i.path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
        const got = typeof value === 'string' ? `; got text of ${value.length} characters` : '';
        return { field, code: 'TOO_LONG', message: `is longer than the ${String(i.maximum)} characters it may have${got}` };
      }
      return { field, code: i.code.toUpperCase(), message: i.message };
    }),
  };
}
