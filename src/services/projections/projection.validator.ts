import type { ProjectionKind } from '../../connectors/types.js';
import { isIsoCalendarDate } from '../../domain/calendar-date.js';
import type { ProjectionProblem } from './invalid-projection.error.js';
import type { ProjectionColumn, ProjectionTable } from './projection-tables.js';

const MAX_PROBLEMS = 50;
const INT4_MAX = 2_147_483_647;


/** Why `value` does not fit `col`, or null when it fits. Messages describe the kind of value, never the value. */
export function columnProblem(col: ProjectionColumn, value: unknown): { code: string; message: string } | null {
  if (value === undefined || value === null) return col.required ? { code: 'REQUIRED', message: 'is required' } : null;
  switch (col.type) {
    case 'text':
      if (typeof value !== 'string') return { code: 'NOT_TEXT', message: `must be text; got ${typeof value}` };
      if (value.includes('\u0000')) return { code: 'NUL_CHARACTER', message: 'contains a NUL character (U+0000), which text cannot store' };
      if (col.required && value.trim() === '') return { code: 'REQUIRED', message: 'is required; got empty text' };
      if (col.oneOf && !col.oneOf.includes(value)) return { code: 'NOT_ALLOWED_VALUE', message: `must be one of ${col.oneOf.join(', ')}` };
      return null;
    case 'date':
      if (typeof value !== 'string' || !isIsoCalendarDate(value)) return { code: 'NOT_DATE', message: 'must be an ISO calendar date yyyy-mm-dd' };
      return null;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return { code: 'NOT_INTEGER', message: `must be an integer; got ${typeof value}` };
      if ((col.min !== undefined && value < col.min) || value > INT4_MAX) {
        return { code: 'OUT_OF_RANGE', message: `must be between ${col.min ?? -INT4_MAX} and ${INT4_MAX}` };
      }
      return null;
    case 'boolean':
      if (typeof value !== 'boolean') return { code: 'NOT_BOOLEAN', message: `must be true or false; got ${typeof value}` };
      return null;
  }
}

/** Checks one item's projections; appends problems to `out`. */
export type ProjectionCheck = (projections: unknown, item: number, out: ProjectionProblem[]) => void;

/**
 * Compiles the check for items that may carry the projections of `allowed` (the other kinds in `all` are
 * WRONG_RECORD_TYPE). Unknown fields are problems too: a field the writer would not store must not vanish
 * silently.
 */
export function compileProjectionCheck(allowed: readonly ProjectionTable[], all: readonly ProjectionKind[]): ProjectionCheck {
  const byKind = new Map(allowed.map((t) => [t.kind as string, { table: t, fields: new Set(t.columns.map((c) => c.field)) }]));
  const known = new Set<string>(all);
  return (projections, item, out) => {
    if (projections === null || typeof projections !== 'object' || Array.isArray(projections)) {
      out.push({ item, path: '(item)', code: 'NOT_AN_OBJECT', message: 'projections must be an object' });
      return;
    }
    for (const kind in projections as Record<string, unknown>) {
      if (out.length >= MAX_PROBLEMS) return;
      const list = (projections as Record<string, unknown>)[kind];
      // An empty list writes nothing wherever it is: mappers may list every kind a definition names.
      if (list === undefined || (Array.isArray(list) && list.length === 0)) continue;
      const entry = byKind.get(kind);
      if (!entry) {
        out.push(known.has(kind)
          ? { item, path: kind, code: 'WRONG_RECORD_TYPE', message: `${kind} projections do not belong to this kind of record` }
          : { item, path: kind, code: 'UNKNOWN_FIELD', message: 'is not a projection kind' });
        continue;
      }
      if (!Array.isArray(list)) {
        out.push({ item, path: kind, code: 'NOT_A_LIST', message: 'must be a list of projections' });
        continue;
      }
      for (let i = 0; i < list.length && out.length < MAX_PROBLEMS; i++) {
        const p: unknown = list[i];
        if (p === null || typeof p !== 'object' || Array.isArray(p)) {
          out.push({ item, path: `${kind}[${i}]`, code: 'NOT_AN_OBJECT', message: 'must be an object' });
          continue;
        }
        const rec = p as Record<string, unknown>;
        for (const col of entry.table.columns) {
          const problem = columnProblem(col, rec[col.field]);
          if (problem) out.push({ item, path: `${kind}[${i}].${col.field}`, ...problem });
        }
        for (const key in rec) {
          if (!entry.fields.has(key) && rec[key] !== undefined) {
            out.push({ item, path: `${kind}[${i}].${key}`, code: 'UNKNOWN_FIELD', message: `is not a field of ${kind}` });
          }
        }
      }
    }
  };
}
