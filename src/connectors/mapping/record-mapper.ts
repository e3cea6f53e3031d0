/**
 * The declarative mapper: compiles a definition's `records` mappings once into closures and maps each raw
 * record to a source record and its projections, or to the problems that reject it
 * (docs/connectors.md#records-the-mapping).
 */
import { GROUP_CLAUSES, type DatePrecision, type GroupClause, type GroupEvidenceInput, type SourceRecordInput, type SourceSystem } from '../../domain/source-record-input.js';
import { compilePath } from '../paths.js';
import { PROJECTION_KINDS, type MappedRecord, type Projections, type ProjectionKind, type RawRecord } from '../types.js';
import { EXTERNAL_ID_TARGET, GROUP_TARGETS, PROJECTION_FIELDS, RECORD_FIELDS, RECORD_FIELD_NAMES, type FieldTarget, type RecordFieldName } from './field-targets.js';
import { DATES_INCONSISTENT, NOT_BEFORE_BIRTH, describeSource, isAfter, nameField } from './date-consistency.js';
import type { GroupMapping, RecordMapping } from './mapping.schema.js';
import { columnsRead, mappingsFor } from './mapping-columns.js';
import { parseText } from './parse-text.js';
import { CommuneValue, FlaggedValue, IsoDate } from './parsed-values.js';
import { MappingContext, compileCondition, compileValue, type Evaluate } from './value-compiler.js';
import { describeValue } from './value-kind.js';

/** Maps one raw record. Never throws for bad data: problems come back in the result. */
export interface RecordMapper {
  (raw: RawRecord): MappedRecord;
  /**
   * The external id the mapping gives a raw child record, without mapping anything else: null when the
   * record would not map to a child record with an id (no mapping takes it, it maps to a facility, or its
   * id is missing or unreadable). Lets a sync recognise unchanged records before mapping them.
   */
  identify(raw: RawRecord): string | null;
  /**
   * The external id of a record read only in part (a broken row's `ReaderReject.readable`): the id that every
   * mapping its record type may take reads alike, whichever of them would take it (a `when` is not tested on
   * part of a record). Null when those mappings read their ids differently, or the id is missing or unreadable.
   */
  externalIdOf(raw: RawRecord): string | null;
}

type RecordSetter = (record: SourceRecordInput, root: unknown, ctx: MappingContext) => void;

interface CompiledGroup {
  when: Evaluate | null;
  clause: Evaluate;
  subType: Evaluate | null;
  since: Evaluate | null;
  until: Evaluate | null;
  /** The mapping's `whenGone: end`: the evidence says so, for the golden stage (see GroupEvidenceInput.whenGone). */
  endsWhenGone: boolean;
  field: string;
}

interface CompiledProjectionField {
  name: string;
  value: Evaluate | null;
  required: boolean;
  whenAbsent: unknown;
  output: (v: unknown) => unknown;
  field: string;
  /**
   * For a date that cannot come before the child's birth ({@link NOT_BEFORE_BIRTH}): the message of the flag a
   * record gets when its birth date is after it. Null for other fields.
   */
  beforeBirth: string | null;
}

interface CompiledProjection {
  each: ((root: unknown) => unknown[]) | null;
  when: Evaluate | null;
  fields: CompiledProjectionField[];
}

interface CompiledMapping {
  recordType: 'child' | 'facility';
  sheet: string | null;
  when: Evaluate | null;
  /** The columns (and paths) its `when` reads: named when no mapping takes a record. */
  whenColumns: string[];
  externalId: Evaluate;
  fields: RecordSetter[];
  /** Whether the mapping sets birthDateEstimated (else it is false). */
  setsEstimated: boolean;
  groups: CompiledGroup[] | null;
  projections: Array<[ProjectionKind, CompiledProjection[]]>;
}

const CLAUSES: ReadonlySet<string> = new Set(GROUP_CLAUSES);

/**
 * Compiles the mappings of one connector (already validated by `recordMappingsSchema`). The mapper picks the
 * mapping whose `recordType` (or `sheet`) is the raw record's `recordType` — or, when the raw record has none,
 * any mapping — and among those the first whose `when` holds.
 */
export function compileRecordMapper(sourceSystem: SourceSystem, mappings: readonly RecordMapping[]): RecordMapper {
  const compiled = mappings.map(compileMapping);
  const byType = new Map<string, CompiledMapping[]>();
  for (const c of compiled) {
    for (const key of new Set([c.recordType, ...(c.sheet === null ? [] : [c.sheet])])) {
      const list = byType.get(key) ?? [];
      list.push(c);
      byType.set(key, list);
    }
  }

  const pick = (raw: RawRecord, ctx: MappingContext): CompiledMapping | undefined => {
    const root = raw.data;
    const candidates = raw.recordType === undefined ? compiled : (byType.get(raw.recordType) ?? []);
    for (const c of candidates) {
      if (c.when === null || c.when(root, root, ctx) === true) return c;
    }
    return undefined;
  };

  const identify = (raw: RawRecord): string | null => {
    const ctx = new MappingContext();
    const mapping = pick(raw, ctx);
    if (!mapping || mapping.recordType !== 'child' || ctx.problems) return null;
    const id = mapping.externalId(raw.data, raw.data, ctx);
    return typeof id === 'string' && !ctx.problems ? id : null;
  };

  // Per record type (undefined: any mapping), the id its mappings all read alike, or null.
  const sharedIds = new Map<string | undefined, Evaluate | null>();
  const sharedId = (recordType: string | undefined): Evaluate | null => {
    if (sharedIds.has(recordType)) return sharedIds.get(recordType)!;
    const candidates = mappingsFor(mappings, recordType);
    const specs = new Set(candidates.map((m) => JSON.stringify(m.externalId)));
    const id = specs.size === 1 ? compileValue(candidates[0]!.externalId, 'externalId', EXTERNAL_ID_TARGET) : null;
    sharedIds.set(recordType, id);
    return id;
  };

  const externalIdOf = (raw: RawRecord): string | null => {
    const id = sharedId(raw.recordType);
    if (!id) return null;
    const ctx = new MappingContext();
    const v = id(raw.data, raw.data, ctx);
    return typeof v === 'string' && !ctx.problems ? v : null;
  };

  /**
   * What the `when` tests that let no mapping take `raw` read, and which of those columns it has empty or lacks (QA: an
   * empty name said only NO_MAPPING): the definition's words, never a value.
   */
  const whenTold = (raw: RawRecord): string => {
    const candidates = raw.recordType === undefined ? compiled : (byType.get(raw.recordType) ?? []);
    const data = raw.data !== null && typeof raw.data === 'object' ? (raw.data as Record<string, unknown>) : {};
    const columns = [...new Set(candidates.flatMap((c) => c.whenColumns))];
    if (columns.length === 0) return '';
    // A file's record (flat: every value a cell's) leaves its empty cells out (QA re-check: «Họ và tên» was dropped for
    // it), and its headers may hold dots; a path into a nested record (an API's `a.b[0]`) is not a key of it, and is not
    // said to be empty.
    const flat = Object.values(data).every((v) => v === null || typeof v !== 'object');
    const empty = columns.filter((c) => {
      if (!flat && !Object.hasOwn(data, c) && /[.[]/.test(c)) return false;
      const v = data[c];
      return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
    });
    const list = (xs: string[]) => xs.map((x) => `«${x}»`).join(', ');
    return `: the \`when\` of ${candidates.length === 1 ? 'its mapping' : 'each'} tests ${list(columns)}`
      + (empty.length ? `, of which ${empty.length === columns.length && columns.length > 1 ? 'all are' : `${list(empty)} ${empty.length === 1 ? 'is' : 'are'}`} empty or missing here` : '');
  };

  const map = (raw: RawRecord): MappedRecord => {
    const root = raw.data;
    const ctx = new MappingContext();
    const mapping = pick(raw, ctx);
    if (!mapping) {
      const none = raw.recordType === undefined ? 'no mapping takes this record' : `no mapping of record type ${JSON.stringify(raw.recordType)} takes this record`;
      ctx.problem('(record)', 'NO_MAPPING', `${none}${whenTold(raw)}`);
      // Its id, when the mappings that could have taken it all read it alike: the reject names the row, and the
      // row stored once fixed resolves it (QA: a `when` that could not be judged left the reject without an id).
      return { ok: false, externalId: externalIdOf(raw), problems: ctx.problems! };
    }

    const id = mapping.externalId(root, root, ctx) as string | undefined;
    if (id === undefined && !ctx.problems) ctx.problem('externalId', 'REQUIRED', 'the record id is required but none was found');

    let record: SourceRecordInput | null = null;
    if (mapping.recordType === 'child') {
      record = { sourceSystem, externalId: id ?? '', raw: root };
      for (const set of mapping.fields) set(record, root, ctx);
      if (!mapping.setsEstimated) record.birthDateEstimated = false;
      record.groups = mapping.groups ? mapGroups(mapping.groups, root, ctx) : [];
    }
    const projections: Projections = {};
    // The birth date the projections' dates are checked against (after it is mapped, before they are).
    // The setter writes birthDate and its precision together.
    const birth = record?.birthDate && record.birthDatePrecision ? (record as Birth) : null;
    for (const [kind, list] of mapping.projections) {
      (projections as Record<string, unknown[]>)[kind] = mapProjections(list, root, ctx, birth);
    }

    if (ctx.problems) return { ok: false, externalId: id ?? null, problems: ctx.problems };
    return { ok: true, type: mapping.recordType, record, externalId: id!, projections, flags: ctx.flags ?? [] };
  };
  return Object.assign(map, { identify, externalIdOf });
}

function compileMapping(m: RecordMapping): CompiledMapping {
  const birthDate = nameField('the birth date', 'birthDate', describeSource(m.fields?.birthDate));
  const fields: RecordSetter[] = [];
  for (const name of RECORD_FIELD_NAMES) {
    const spec = m.fields?.[name];
    if (spec) fields.push(compileSetter(name, compileValue(spec, name, RECORD_FIELDS[name])));
  }
  return {
    recordType: m.recordType,
    sheet: m.sheet === undefined ? null : String(m.sheet),
    when: m.when ? compileCondition(m.when, 'when') : null,
    whenColumns: m.when ? [...columnsRead(m.when)] : [],
    externalId: compileValue(m.externalId, 'externalId', EXTERNAL_ID_TARGET),
    fields,
    setsEstimated: m.fields?.birthDateEstimated !== undefined,
    groups: m.groups ? m.groups.map(compileGroup) : null,
    projections: PROJECTION_KINDS.filter((k) => m.projections?.[k] !== undefined).map((kind) => [
      kind,
      m.projections![kind]!.map((p, i) => compileProjection(kind, i, p, birthDate)),
    ]),
  };
}

/** How a field's value is written into the record; absent values are written as null. */
function compileSetter(name: RecordFieldName, value: Evaluate): RecordSetter {
  switch (name) {
    case 'birthDate':
      return (r, root, ctx) => {
        const v = value(root, root, ctx);
        if (v instanceof IsoDate) {
          r.birthDate = v.iso;
          r.birthDatePrecision = v.precision;
        } else {
          r.birthDate = null;
          r.birthDatePrecision = null;
        }
      };
    case 'communeCode':
      return (r, root, ctx) => {
        const v = value(root, root, ctx);
        if (v instanceof CommuneValue) {
          r.communeCode = v.code;
          r.communeCodeSet = v.codeSet;
        } else {
          r.communeCode = null;
          r.communeCodeSet = null;
        }
      };
    case 'birthDateEstimated':
      return (r, root, ctx) => {
        r.birthDateEstimated = value(root, root, ctx) === true;
      };
    case 'sex':
      return (r, root, ctx) => {
        r.sex = (value(root, root, ctx) as 'MALE' | 'FEMALE' | undefined) ?? null;
      };
    default:
      return (r, root, ctx) => {
        const v = value(root, root, ctx);
        (r as unknown as Record<string, unknown>)[name] = v === undefined ? null : asText(v);
      };
  }
}

/** A value written into a text field: strings as they are, anything parsed in its text form. */
function asText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  const t = parseText(v);
  return typeof t === 'string' ? t : t instanceof FlaggedValue ? t.value : null;
}

function compileGroup(g: GroupMapping, i: number): CompiledGroup {
  const field = `groups[${i}]`;
  return {
    when: g.when ? compileCondition(g.when, `${field}.when`) : null,
    clause: typeof g.clause === 'string' ? () => g.clause : compileValue(g.clause, `${field}.clause`, GROUP_TARGETS.clause),
    subType: g.subType ? compileValue(g.subType, `${field}.subType`, GROUP_TARGETS.subType) : null,
    since: g.since ? compileValue(g.since, `${field}.since`, GROUP_TARGETS.since) : null,
    until: g.until ? compileValue(g.until, `${field}.until`, GROUP_TARGETS.until) : null,
    endsWhenGone: g.whenGone === 'end',
    field,
  };
}

function mapGroups(groups: CompiledGroup[], root: unknown, ctx: MappingContext): GroupEvidenceInput[] {
  const out: GroupEvidenceInput[] = [];
  for (const g of groups) {
    if (g.when !== null && g.when(root, root, ctx) !== true) continue;
    const clause = g.clause(root, root, ctx);
    if (clause === undefined) continue;
    const letter = typeof clause === 'string' ? clause.normalize('NFC').toLowerCase() : '';
    if (!CLAUSES.has(letter)) {
      ctx.problem(`${g.field}.clause`, 'INVALID_CLAUSE', `expected a clause letter of Art. 10 (a, b, c, d, đ, e, g, h, i, k, l, m, n, o); got ${describeValue(clause)}`);
      continue;
    }
    const evidence: GroupEvidenceInput = { clause: letter as GroupClause };
    if (g.subType !== null) {
      const v = g.subType(root, root, ctx);
      evidence.subType = v === undefined ? null : asText(v);
    }
    if (g.since !== null) {
      const v = g.since(root, root, ctx);
      evidence.since = v instanceof IsoDate ? v.iso : null;
      if (v instanceof IsoDate && v.precision !== 'DAY') evidence.sincePrecision = v.precision;
    }
    if (g.until !== null) {
      const v = g.until(root, root, ctx);
      evidence.until = v instanceof IsoDate ? v.iso : null;
      if (v instanceof IsoDate && v.precision !== 'DAY') evidence.untilPrecision = v.precision;
    }
    if (g.endsWhenGone) evidence.whenGone = 'end';
    out.push(evidence);
  }
  return out;
}

function outputOf(target: FieldTarget): (v: unknown) => unknown {
  switch (target.parse) {
    case 'date':
      return (v) => (v instanceof IsoDate ? v.iso : asText(v));
    case 'commune':
      return (v) => (v instanceof CommuneValue ? v.code : asText(v));
    case 'integer':
    case 'boolean':
      return (v) => v;
    default:
      return asText;
  }
}

/**
 * @param birthDate the record's birth date as messages name it (its field and columns), for the flags of the
 *   projection's dates that cannot precede it
 */
function compileProjection(
  kind: ProjectionKind,
  index: number,
  p: NonNullable<NonNullable<RecordMapping['projections']>[ProjectionKind]>[number],
  birthDate: string,
): CompiledProjection {
  const base = `projections.${kind}[${index}]`;
  const table = PROJECTION_FIELDS[kind] as Record<string, FieldTarget>;
  const specs = p.fields as Record<string, Parameters<typeof compileValue>[0] | undefined>;
  const fields = Object.entries(table).map(([name, target]): CompiledProjectionField => {
    const spec = specs[name];
    const field = `${base}.${name}`;
    const words = NOT_BEFORE_BIRTH[kind]?.[name];
    return {
      name,
      value: spec === undefined ? null : compileValue(spec, field, target),
      required: target.required === true,
      whenAbsent: target.whenAbsent ?? null,
      output: outputOf(target),
      field,
      // Named, never quoted: the dates are personal data (a date of birth). Written once, here.
      beforeBirth:
        words === undefined || spec === undefined
          ? null
          : `${birthDate} is after ${nameField(words, field, describeSource(spec))}: one of the two dates is wrong; both are kept as the source gave them`,
    };
  });
  return {
    each: p.each === undefined ? null : compilePath(p.each),
    when: p.when ? compileCondition(p.when, `${base}.when`) : null,
    fields,
  };
}

/** A child record's birth date, once mapped. */
interface Birth {
  birthDate: string;
  birthDatePrecision: DatePrecision;
}

function mapProjections(list: CompiledProjection[], root: unknown, ctx: MappingContext, birth: Birth | null): unknown[] {
  const out: unknown[] = [];
  for (const p of list) {
    if (p.each === null) mapProjection(p, root, root, ctx, out, birth);
    else for (const scope of p.each(root)) mapProjection(p, scope, root, ctx, out, birth);
  }
  return out;
}

function mapProjection(p: CompiledProjection, scope: unknown, root: unknown, ctx: MappingContext, out: unknown[], birth: Birth | null): void {
  if (p.when !== null && p.when(scope, root, ctx) !== true) return;
  const projection: Record<string, unknown> = {};
  for (const f of p.fields) {
    const v = f.value === null ? undefined : f.value(scope, root, ctx);
    if (v === undefined) {
      if (f.required) ctx.problem(f.field, 'REQUIRED', 'a value is required but none was found');
      projection[f.name] = f.whenAbsent;
    } else {
      projection[f.name] = f.output(v);
      // A date known to its month or year only says so: it is not served as the first day of it (QA).
      if (v instanceof IsoDate && v.precision !== 'DAY') projection[`${f.name}Precision`] = v.precision;
      if (f.beforeBirth !== null && birth !== null && v instanceof IsoDate && isAfter(birth.birthDate, birth.birthDatePrecision, v.iso, v.precision)) {
        flagOnce(ctx, f.beforeBirth);
      }
    }
  }
  out.push(projection);
}

/**
 * Flags the record's birth date as contradicting another date: once per date field of the mapping (a list of
 * vaccinations before the birth date is one flag, not one per vaccination).
 */
function flagOnce(ctx: MappingContext, message: string): void {
  if (ctx.flags?.some((f) => f.message === message)) return;
  ctx.flag('birthDate', DATES_INCONSISTENT, message);
}
