import { z } from 'zod';
import { isIsoCalendarDate } from '../../domain/calendar-date.js';
import { hanoiToday } from '../../domain/child-age.js';
import { GROUP_CLAUSES, SOURCE_SYSTEMS, type SourceRecordInput } from '../../domain/source-record-input.js';
import { isStorableText } from './storable-text.js';

/**
 * The common case of {@link sourceRecordInputSchema} without zod: a plain record whose every field is
 * plainly valid is checked with a few comparisons per field (zod costs several µs per record, which at a
 * million records is most of a CPU-second per 100,000). It answers only "valid, and here is exactly what
 * the schema would output" or "ask the schema": anything unusual (an unknown or undefined key, a non-plain
 * object, any value the schema might refuse) returns null, and the caller runs the schema itself, which
 * also words the problems. `source-record.fast-check.test.ts` checks the two agree.
 */

const SYSTEMS: ReadonlySet<unknown> = new Set(SOURCE_SYSTEMS);
const CLAUSES: ReadonlySet<unknown> = new Set(GROUP_CLAUSES);
const SEXES: ReadonlySet<unknown> = new Set(['MALE', 'FEMALE']);
const PRECISIONS: ReadonlySet<unknown> = new Set(['DAY', 'MONTH', 'YEAR']);
const CODE_SETS: ReadonlySet<unknown> = new Set(['VN-2025', 'VN-PRE2025']);
const COMMUNE = /^\d{5}$/;
const TEXT_FIELDS = ['fullName', 'familyName', 'middleName', 'givenName', 'fatherName', 'motherName', 'carerName'] as const;

/**
 * The schema's own test of `sourceUpdatedAt`: an ISO date-time format check is the pattern zod builds for
 * it. Read from the schema (internal, so checked): if zod ever stops exposing it, every record with a
 * date-time goes to the schema.
 */
const DATETIME: RegExp | null = (() => {
  const pattern = (z.iso.datetime({ offset: true }) as unknown as { _zod?: { def?: { pattern?: unknown } } })._zod?.def?.pattern;
  return pattern instanceof RegExp && !pattern.global && !pattern.sticky ? pattern : null;
})();

function isIsoDate(v: unknown): v is string {
  return typeof v === 'string' && isIsoCalendarDate(v);
}

/** An object literal's kind of object (what JSON and the mappers make). */
function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Trimmed text of at most `max` characters, null as null; undefined when the schema must decide. */
function text(v: unknown, max: number): string | null | undefined {
  if (v === null) return null;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t.length <= max && isStorableText(t) ? t : undefined;
}

const KNOWN = new Set<string>([
  'sourceSystem', 'externalId', 'raw', ...TEXT_FIELDS, 'sex', 'birthDate', 'birthDatePrecision', 'birthDateEstimated', 'communeCode',
  'communeCodeSet', 'identityNumber', 'sourceUpdatedAt', 'groups',
]);

/** What `sourceRecordInputSchema` outputs for `input` when it is plainly valid; null when the schema must decide. */
export function fastCheckSourceRecord(input: unknown): SourceRecordInput | null {
  if (!isPlain(input)) return null;
  const out: Record<string, unknown> = {};
  // Own enumerable string keys (a plain object inherits none); symbol keys are ignored, as by the schema.
  for (const key in input) {
    if (!KNOWN.has(key)) return null;
    const v = input[key];
    if (v === undefined) return null;
    switch (key) {
      case 'sourceSystem':
        if (!SYSTEMS.has(v)) return null;
        out.sourceSystem = v;
        break;
      case 'externalId': {
        if (typeof v !== 'string') return null;
        const t = v.trim();
        if (t.length < 1 || t.length > 200 || !isStorableText(t)) return null;
        out.externalId = t;
        break;
      }
      case 'raw':
        // The schema copies the record's own enumerable keys into a new object, dropping `__proto__` and
        // refusing symbol keys.
        if (!isPlain(v) || Object.prototype.hasOwnProperty.call(v, '__proto__') || Object.getOwnPropertySymbols(v).length > 0) return null;
        out.raw = v;
        break;
      case 'sex':
        if (v !== null && !SEXES.has(v)) return null;
        out.sex = v;
        break;
      case 'birthDate':
        if (v !== null && (!isIsoDate(v) || v > hanoiToday())) return null;
        out.birthDate = v;
        break;
      case 'birthDatePrecision':
        if (v !== null && !PRECISIONS.has(v)) return null;
        out.birthDatePrecision = v;
        break;
      case 'birthDateEstimated':
        if (typeof v !== 'boolean') return null;
        out.birthDateEstimated = v;
        break;
      case 'communeCode':
        if (v !== null && !(typeof v === 'string' && COMMUNE.test(v))) return null;
        out.communeCode = v;
        break;
      case 'communeCodeSet':
        if (v !== null && !CODE_SETS.has(v)) return null;
        out.communeCodeSet = v;
        break;
      case 'identityNumber': {
        const t = text(v, 40);
        if (t === undefined) return null;
        out.identityNumber = t;
        break;
      }
      case 'sourceUpdatedAt':
        if (v !== null && !(typeof v === 'string' && DATETIME !== null && DATETIME.test(v))) return null;
        out.sourceUpdatedAt = v;
        break;
      case 'groups': {
        if (!Array.isArray(v)) return null;
        const groups: Array<Record<string, unknown>> = [];
        for (const g of v) {
          if (!isPlain(g)) return null;
          const copy: Record<string, unknown> = {};
          for (const gk in g) {
            const gv = g[gk];
            if (gv === undefined) return null;
            if (gk === 'clause') {
              if (!CLAUSES.has(gv)) return null;
            } else if (gk === 'subType') {
              if (gv !== null && !(typeof gv === 'string' && gv.length <= 50 && isStorableText(gv))) return null;
            } else if (gk === 'since' || gk === 'until') {
              if (gv !== null && !isIsoDate(gv)) return null;
            } else if (gk === 'sincePrecision' || gk === 'untilPrecision') {
              if (gv !== null && gv !== 'DAY' && gv !== 'MONTH' && gv !== 'YEAR') return null;
            } else if (gk === 'whenGone') {
              if (gv !== null && gv !== 'end') return null;
            } else return null;
            copy[gk] = gv;
          }
          if (!('clause' in copy)) return null;
          groups.push(copy);
        }
        out.groups = groups;
        break;
      }
      default: {
        const t = text(v, 200);
        if (t === undefined) return null;
        out[key] = t;
      }
    }
  }
  if (out.sourceSystem === undefined || out.externalId === undefined || out.raw === undefined) return null;
  return out as unknown as SourceRecordInput;
}
