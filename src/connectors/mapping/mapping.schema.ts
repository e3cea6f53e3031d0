/**
 * The `records` section of a connector definition (docs/connectors.md#records-the-mapping): which record type a
 * raw record is, where its id and fields are, the special-circumstance group evidence it carries and its typed
 * projections. The schema holds no transforms, so `z.toJSONSchema` publishes it for editors; the descriptions
 * become their hover texts. Rules JSON Schema cannot say (one source per value, path syntax, a parse that fits
 * the field) are checked by refinements that name the location.
 */
import { z } from 'zod';
import { GROUP_CLAUSES } from '../../domain/source-record-input.js';
import { pathProblem } from '../paths.js';
import { PROJECTION_KINDS, type ProjectionKind } from '../types.js';
import { RECORD_PROJECTION_KINDS, RECORD_PROJECTION_TABLES, type RecordProjectionKind } from '../../services/projections/projection-tables.js';
import {
  EXTERNAL_ID_TARGET,
  GROUP_TARGETS,
  PARSE_KINDS,
  PROJECTION_FIELDS,
  RECORD_FIELDS,
  RECORD_FIELD_NAMES,
  type FieldTarget,
  type ParseKind,
  type RecordFieldName,
} from './field-targets.js';
import { DATE_FORMATS, type DateFormat } from './parse-date.js';
import { ParseFailure } from './parse-failure.js';
import { CommuneValue, FlaggedValue, IsoDate } from './parsed-values.js';
import { compileParser } from './value-compiler.js';

/** A constant a mapping can give or compare with. */
export type Scalar = string | number | boolean;

/** One value of a mapping (see the table in docs/connectors.md). */
export interface ValueSpec {
  from?: string;
  value?: Scalar;
  join?: Array<string | ValueSpec>;
  separator?: string;
  firstOf?: Array<string | ValueSpec>;
  map?: Record<string, Scalar | null>;
  default?: Scalar | null;
  equals?: Scalar;
  contains?: string;
  in?: Scalar[];
  present?: boolean;
  parse?: ParseKind;
  formats?: DateFormat[];
  codeSet?: 'VN-2025' | 'VN-PRE2025';
  required?: boolean;
  when?: ValueSpec;
}

const SOURCES = ['from', 'value', 'join', 'firstOf'] as const;
const TESTS = ['equals', 'contains', 'in', 'present'] as const;
const TRANSFORMS = ['map', ...TESTS] as const;

const scalarSchema = z.union([z.string(), z.number(), z.boolean()], {
  error: (issue) => `must be a constant: text, a number or true/false; got ${describeInput(issue.input)}`,
});

/** What a value of a definition is, for messages: its YAML kind (never the value). */
export function describeInput(v: unknown): string {
  if (v === null) return 'null (nothing)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return 'text';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'true/false';
  return typeof v === 'object' ? 'a map' : typeof v;
}

export const pathSchema = z
  .string()
  .min(1, 'a path is empty')
  .describe(
    'Where the value is: `a.b.c` walks keys, `"Ngày đ.ký"` quotes a key, `a[0]`, `a[-1]`, `a[*]`, `a[k=v]` filters a list (also `a[k!=v]`, `a[k=v|w]` for one of the values, and `a[k=v & j!=w]` for every condition); ' +
      '`$.x` reaches the record root from inside `each`. A column header written exactly like the path wins over path syntax.',
  );

const refsSchema = (what: string) =>
  z
    .array(z.union([pathSchema, z.lazy(() => valueSpecSchema)], {
      // A map's own problems are told as such; anything else is neither form.
      error: (issue) => (isObject(issue.input) ? undefined : `must be a path (text) or a value ({ from: … }, { value: … }); got ${describeInput(issue.input)}`),
    }))
    .min(1)
    .describe(what);

export const valueSpecSchema: z.ZodType<ValueSpec> = z
  .strictObject({
    from: pathSchema.optional(),
    value: scalarSchema.optional().describe('A constant.'),
    join: refsSchema('The non-empty values joined with `separator` (each a value or a path).').optional(),
    separator: z.string().optional().describe('Separator of `join`. @defaultValue " "'),
    firstOf: refsSchema('The first non-empty value (each a value or a path).').optional(),
    map: z
      .record(z.string(), scalarSchema.nullable())
      .optional()
      .describe('A lookup: the value → the result, keys compared exactly, else ignoring letter case and spacing, and ignoring accents when the key or the value is written without them. A value not in the map takes `default`, else it is a problem (UNKNOWN_VALUE).'),
    default: scalarSchema
      .nullable()
      .optional()
      .describe('The result of `map` for a value not in it (also for an absent value); `null` means absent.'),
    equals: scalarSchema.optional().describe('Test: the value equals this (compared as text, as `map` keys are: letter case, spacing, and accents when either side has none, aside; true or false: the value read as `parse: boolean` reads it, so 1, Có and x are true, and a value that reads as neither quarantines the record as INVALID_BOOLEAN).'),
    contains: z.string().optional().describe('Test: the value contains this text (compared as `equals` does).'),
    in: z.array(scalarSchema).min(1).optional().describe('Test: the value is one of these (compared as `equals` does).'),
    present: z.boolean().optional().describe('Test: the value is present (true) or absent (false).'),
    parse: z
      .enum(PARSE_KINDS)
      .optional()
      .describe('How to read the value (applied to `from`, `join` or `firstOf`, before `map` or a test). @defaultValue the field\'s own kind, else text'),
    formats: z
      .array(z.enum(DATE_FORMATS))
      .min(1)
      .optional()
      .describe('Date formats for `parse: date` / `datetime`, tried in order; for `parse: date`, a full date in one of them may be followed by a time of day (`15/03/2018 00:00:00`, `2018-03-15T00:00:00`: the date is taken). @defaultValue ["d/M/yyyy", "yyyy-MM-dd", "yyyyMMdd", "d-M-yyyy", "d.M.yyyy", "M/yyyy", "yyyy", "fhir"]'),
    codeSet: z
      .enum(['VN-2025', 'VN-PRE2025'])
      .optional()
      .describe('For `parse: commune`: the code list of the source\'s codes. @defaultValue a code of the 2025 list is read as VN-2025; any other is kept as given with no code set, flagged COMMUNE_CODE_UNKNOWN (no pre-2025 list is bundled to tell an old code from a slip)'),
    required: z.boolean().optional().describe('An absent value is a problem (REQUIRED) that rejects the record. @defaultValue false'),
    get when(): z.ZodOptional<z.ZodType<ValueSpec>> {
      return testSchema().optional().describe('A test (equals/contains/in/present, or parse: boolean); when it fails the value is absent.');
    },
  })
  .superRefine((spec, ctx) => {
    const sources = SOURCES.filter((k) => spec[k] !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: sources.length === 0 ? 'a value needs one of from, value, join, firstOf' : `a value takes only one of ${sources.join(', ')}`,
      });
    }
    const transforms = TRANSFORMS.filter((k) => spec[k] !== undefined);
    if (transforms.length > 1) ctx.addIssue({ code: 'custom', message: `a value takes only one of ${transforms.join(', ')}` });
    if (spec.default !== undefined && spec.map === undefined) ctx.addIssue({ code: 'custom', path: ['default'], message: '`default` belongs to `map`' });
    if (spec.separator !== undefined && spec.join === undefined) ctx.addIssue({ code: 'custom', path: ['separator'], message: '`separator` belongs to `join`' });
    if (spec.formats && spec.parse !== undefined && spec.parse !== 'date' && spec.parse !== 'datetime') {
      ctx.addIssue({ code: 'custom', path: ['formats'], message: '`formats` needs parse: date or datetime' });
    }
    if (spec.codeSet && spec.parse !== undefined && spec.parse !== 'commune') {
      ctx.addIssue({ code: 'custom', path: ['codeSet'], message: '`codeSet` needs parse: commune' });
    }
    if (spec.from !== undefined) {
      const problem = pathProblem(spec.from, true);
      if (problem) ctx.addIssue({ code: 'custom', path: ['from'], message: problem });
    }
    for (const key of ['join', 'firstOf'] as const) {
      spec[key]?.forEach((element, i) => {
        if (typeof element !== 'string') return;
        const problem = pathProblem(element, true);
        if (problem) ctx.addIssue({ code: 'custom', path: [key, i], message: problem });
      });
    }
  })
  .meta({
    id: 'MappingValue',
    // The rules above JSON Schema can say, for editors: one source, at most one transform, what belongs to what.
    ...valueFormsJson(),
    description:
      'A value: { from: path } | { value: x } | { join: [...], separator } | { firstOf: [...] }, optionally with parse, ' +
      'map/default or a test (equals, contains, in, present), required, and when.',
  });

/**
 * The forms of a value {@link valueSpecSchema}'s refinement requires, in JSON Schema: exactly one source, at most
 * one of map and the tests, `default` with `map`, `separator` with `join`, and `formats`/`codeSet` with a parse
 * that reads them when one is given. (What a field's own kind allows is checked by validate only.)
 */
function valueFormsJson(): Record<string, unknown> {
  const pairs = TRANSFORMS.flatMap((a, i) => TRANSFORMS.slice(i + 1).map((b) => ({ required: [a, b] })));
  return {
    oneOf: SOURCES.map((k) => ({ required: [k] })),
    not: { anyOf: pairs },
    dependentRequired: { default: ['map'], separator: ['join'] },
    dependentSchemas: {
      formats: { properties: { parse: { enum: ['date', 'datetime'] } } },
      codeSet: { properties: { parse: { const: 'commune' } } },
    },
  };
}

function isTest(spec: ValueSpec): boolean {
  return TESTS.some((k) => spec[k] !== undefined) || (spec.parse === 'boolean' && spec.map === undefined);
}

/** Whether a value gives a boolean of its own (a test), rather than a value of the field's kind. */
export function hasTest(spec: ValueSpec): boolean {
  return TESTS.some((k) => spec[k] !== undefined);
}

/** Checks that a value fits the field it feeds (parse, formats, codeSet, tests); adds issues at `path`. */
function checkTarget(spec: ValueSpec, target: FieldTarget, ctx: z.RefinementCtx, path: PropertyKey[]): void {
  const transformed = TRANSFORMS.some((k) => spec[k] !== undefined);
  if (hasTest(spec) && target.parse !== 'boolean') {
    ctx.addIssue({ code: 'custom', path, message: 'a test (equals, contains, in, present) gives a boolean; this field is not one' });
  }
  if (!transformed && spec.parse !== undefined && !target.allowed.includes(spec.parse)) {
    ctx.addIssue({ code: 'custom', path: [...path, 'parse'], message: `this field takes parse ${target.allowed.join(' or ')}` });
  }
  checkReading(spec, target, ctx, path);
  checkConstants(spec, target, ctx, path);
}

/**
 * Refuses `formats` and `codeSet` on a value (or a `firstOf` element) read by the field's parse when that parse takes
 * none. A `parse` of the value's own is judged with the value (once: QA saw the problem printed twice).
 */
function checkReading(spec: ValueSpec, target: FieldTarget, ctx: z.RefinementCtx, path: PropertyKey[], readAs: ParseKind = target.parse): void {
  const transformed = TRANSFORMS.some((k) => spec[k] !== undefined);
  const effective = transformed ? 'text' : readAs;
  if (spec.parse === undefined && spec.formats && effective !== 'date' && effective !== 'datetime') {
    ctx.addIssue({ code: 'custom', path: [...path, 'formats'], message: '`formats` needs parse: date or datetime' });
  }
  if (spec.parse === undefined && spec.codeSet && effective !== 'commune') {
    ctx.addIssue({ code: 'custom', path: [...path, 'codeSet'], message: '`codeSet` needs parse: commune' });
  }
  // A `firstOf` element without a parse of its own is read as the field reads it (QA re-check: its `formats` passed).
  spec.firstOf?.forEach((element, i) => {
    if (typeof element !== 'string') checkReading(element, target, ctx, [...path, 'firstOf', i], spec.parse ?? readAs);
  });
}

/**
 * Refuses a constant the field could never take (`value`, a `map` result, a `default`, also inside `firstOf`):
 * one that does not read as the field's kind (a sex `Q`, a birth date `soon`, a name `3`), or is outside the
 * field's closed list. Otherwise a mistake of the definition would fail every sync (a `value`), or quarantine
 * every record it meets as if the source had sent bad data (a `map` result: QA). A value read from the source
 * cannot be judged here (a sync quarantines the records whose value is refused). Each constant is read as the
 * mapper reads it: a `map` result or `default` as the field's kind, a `value` as its `parse` or the field's kind.
 */
function checkConstants(spec: ValueSpec, target: FieldTarget, ctx: z.RefinementCtx, path: PropertyKey[], outer?: Reading): void {
  const check = (v: Scalar | null | undefined, at: PropertyKey[], as: Reading) => {
    if (v === null || v === undefined) return;
    const problem = constantProblem(v, target, as);
    // What a sex is stored as, besides the spellings sources write (QA: `OTHER` was told only the sources' spellings).
    const stored = as.kind === 'sex' ? ' (stored as MALE or FEMALE: the hub records no other)' : '';
    if (problem) ctx.addIssue({ code: 'custom', path: at, message: `${quoted(v)} is not a value this field takes: ${problem}${stored}` });
  };
  if (spec.map !== undefined) {
    const as = outer ?? { kind: target.parse, spec };
    for (const [key, result] of Object.entries(spec.map)) check(result, [...path, 'map', key], as);
    check(spec.default, [...path, 'default'], as);
    return;
  }
  if (hasTest(spec)) return;
  // Inside `firstOf`, an element's constant is read as the `firstOf` value reads its first non-empty element.
  const as = outer ?? { kind: spec.parse ?? target.parse, spec };
  check(spec.value, [...path, 'value'], as);
  spec.firstOf?.forEach((element, i) => {
    if (typeof element === 'string') return;
    // An element with a parse of its own reads its constant so (then the value's reading takes what it gave).
    checkConstants(element, target, ctx, [...path, 'firstOf', i], element.parse !== undefined && !hasTest(element) && element.map === undefined ? { kind: element.parse, spec: element } : as);
  });
}

/** A constant as a message quotes it: whole up to 40 characters, else its start and its length. */
function quoted(v: Scalar): string {
  const text = JSON.stringify(v);
  return typeof v === 'string' && v.length > 40 ? `${JSON.stringify(v.slice(0, 30))}… (${v.length} characters)` : text;
}

/** How a constant is read: the parse, and the value whose `formats` or `codeSet` it follows. */
interface Reading {
  kind: ParseKind;
  spec: ValueSpec;
}

/** Why constant `v`, so read, can never be the field's value; null when it can. */
function constantProblem(v: Scalar, target: FieldTarget, { kind, spec }: Reading): string | null {
  const read = compileParser(kind, spec)(v);
  if (read instanceof ParseFailure) return read.message;
  // Kept as given, flagged: every record would carry the flag (QA: a commune name the list does not know).
  if (read instanceof CommuneValue && read.unresolved !== null) {
    return `${read.unresolved} (every record would be flagged ${read.flag}); give the commune's 2025 code or its name as the 2025 list writes it`;
  }
  if (read instanceof FlaggedValue) return `${read.message} (every record would be flagged ${read.flag}); write it as text`;
  if (target.store && read !== undefined) {
    const stored = target.store.safeParse(read instanceof IsoDate ? read.iso : read);
    if (!stored.success) {
      return stored.error.issues.map((i) => (i.code === 'too_big' ? `longer than the ${String(i.maximum)} characters the store keeps` : i.message)).join('; ');
    }
  }
  if (target.oneOf) {
    // Compared as the mapper compares: text trimmed, a clause letter lower-cased and not trimmed (QA: "d " passed,
    // then failed every record).
    const key = target.caseless ? String(v).normalize('NFC').toLowerCase() : String(v).trim();
    if (!target.oneOf.includes(key)) return `allowed ${target.oneOf.join(', ')}`;
  }
  return null;
}

/**
 * A value for `target`, checked against it on its own: a problem of one field is reported whatever is wrong
 * with its neighbours (a refinement of the whole record or projection would wait until every part of it parses: QA, a
 * clause `x` hid a sex `X` beside it).
 */
const fieldValueSchema = (target: FieldTarget) => z.lazy(() => valueSpecSchema).superRefine((spec, ctx) => checkTarget(spec, target, ctx, []));

/** A value that must be a test (a `when`), checked on its own as {@link fieldValueSchema} checks a field's value. */
function testSchema() {
  return z.lazy(() => valueSpecSchema).superRefine((spec, ctx) => {
    if (!isTest(spec)) ctx.addIssue({ code: 'custom', message: '`when` needs a test (equals, contains, in, present) or parse: boolean' });
  });
}

const recordFieldsShape = Object.fromEntries(
  RECORD_FIELD_NAMES.map((name) => [name, fieldValueSchema(RECORD_FIELDS[name]).optional().describe(RECORD_FIELDS[name].description)]),
) as Record<RecordFieldName, z.ZodOptional<ReturnType<typeof fieldValueSchema>>>;

export const recordFieldsSchema = z
  .strictObject(recordFieldsShape)
  .describe('The child\'s fields (SourceRecordInput). birthDatePrecision and communeCodeSet follow from birthDate and communeCode.');

export const groupMappingSchema = z
  .strictObject({
    clause: z
      // In either case, as the mapper compares a letter (lower-cased).
      .union([z.enum([...GROUP_CLAUSES, ...GROUP_CLAUSES.map((c) => c.toUpperCase())]), fieldValueSchema(GROUP_TARGETS.clause)], {
        // Neither a letter nor a value: say what a letter is (an object's own problems are reported as such).
        error: (issue) => (isObject(issue.input) ? undefined : `must be a clause letter (${GROUP_CLAUSES.join(', ')}) or a value giving one, e.g. { from: column, map: { … } }`),
      })
      .describe(`${GROUP_TARGETS.clause.description} A letter, or a value giving one (absent: no group).`),
    when: testSchema().optional().describe('A test; the group is recorded only when it holds.'),
    subType: fieldValueSchema(GROUP_TARGETS.subType).optional().describe(GROUP_TARGETS.subType.description),
    since: fieldValueSchema(GROUP_TARGETS.since).optional().describe(GROUP_TARGETS.since.description),
    until: fieldValueSchema(GROUP_TARGETS.until).optional().describe(GROUP_TARGETS.until.description),
    whenGone: z.enum(['remove', 'end']).optional().describe(
      'What the hub does with this evidence once the record no longer gives it: `remove` (the default: the source corrected '
      + 'the record, the evidence was never true) or `end` (the circumstance ended: a pupil back at school ends the drop-out '
      + 'spell), the membership then kept as history, ended on the day the source last changed the record.'),
  })
  .describe('Special-circumstance group evidence (14 nhóm trẻ em có hoàn cảnh đặc biệt, Art. 10 Law on Children 2016).');
export type GroupMapping = z.infer<typeof groupMappingSchema>;

function projectionMappingSchema(kind: ProjectionKind) {
  const table = PROJECTION_FIELDS[kind] as Record<string, FieldTarget>;
  const shape = Object.fromEntries(
    Object.entries(table).map(([name, target]) => [
      name,
      target.required ? fieldValueSchema(target).describe(`${target.description} (required)`) : fieldValueSchema(target).optional().describe(target.description),
    ]),
  ) as Record<string, z.ZodType<ValueSpec> | z.ZodOptional<z.ZodType<ValueSpec>>>;
  return z
    .strictObject({
      each: pathSchema
        .optional()
        .describe('One projection per element found at this path; `from` is then relative to the element and `$.x` reaches the record root.'),
      when: testSchema().optional().describe('A test (per element with `each`); the projection is made only when it holds.'),
      // A projection without fields would be made, all null, for every record (QA): at least one (`minProperties` says it to editors).
      fields: z
        .strictObject(shape)
        .refine((f) => Object.values(f).some((v) => v !== undefined), {
          message: `a projection needs at least one field: give the ${kind} fields it records`,
          // Not beside another problem of the fields (a misspelt one is told as such, and is not "no field").
          when: (payload) => payload.issues.length === 0,
        })
        .meta({ minProperties: 1 })
        .describe(`The fields of a ${kind} projection.`),
    })
    .superRefine((p, ctx) => {
      if (p.each !== undefined) {
        const problem = pathProblem(p.each, false);
        if (problem) ctx.addIssue({ code: 'custom', path: ['each'], message: problem });
      }
    });
}

const projectionsShape = Object.fromEntries(
  PROJECTION_KINDS.map((kind) => [kind, z.array(projectionMappingSchema(kind)).optional()]),
) as { [K in ProjectionKind]: z.ZodOptional<z.ZodArray<ReturnType<typeof projectionMappingSchema>>> };

export const projectionsMappingSchema = z
  .strictObject(projectionsShape)
  .describe('Typed facts the record carries (see docs/connectors.md#projections); each a list of projection mappings.');

export const recordMappingSchema = z
  .strictObject({
    recordType: z
      .enum(['child', 'facility'])
      .default('child')
      .describe('child: a record about a child (source_record); facility: only projections (facility, inspection). @defaultValue child'),
    sheet: z
      .union([z.string().min(1), z.number().int().positive()])
      .optional()
      .describe('File connectors with several sheets: the sheet (name, or index from 1) this mapping reads.'),
    when: testSchema()
      .optional()
      .describe('When several mappings share a record type: a test choosing the raw records this one takes (e.g. { from: LOAI_SO, equals: KHAI_SINH }).'),
    externalId: fieldValueSchema(EXTERNAL_ID_TARGET).describe('The record\'s id, unique per source system (for facility records: the facility code).'),
    fields: recordFieldsSchema.optional(),
    groups: z.array(groupMappingSchema).optional().describe('Special-circumstance group evidence.'),
    projections: projectionsMappingSchema.optional(),
    wholeLists: z
      .strictObject({
        projection: z.enum(RECORD_PROJECTION_KINDS as [RecordProjectionKind, ...RecordProjectionKind[]]).describe('A projection this mapping writes, e.g. placement.'),
        field: z.string().min(1).describe('Its field whose value names the list, e.g. inspectionReportNumber.'),
      })
      .optional()
      .describe(
        'File connectors: each file holds whole every list it names, by this projection field (an inspection report\'s children, by report '
          + 'number). Once a file is read, a record stored earlier whose projection names a list the file holds, and which the file does not hold, '
          + 'is marked absent from its source (`SourceRecord.absentFromSourceSince`): a report corrected and sent again without a child no longer '
          + 'leaves the child placed by it. A record a later file holds again is unmarked; nothing is deleted. A list must be whole in one file; '
          + 'the file read last decides.',
      ),
  })
  // The rule between a mapping's parts. Run also when a part is invalid (and so written defensively), so that
  // `validate` tells every problem at once; each value is checked against its field (or as a test) by its own schema.
  .superRefine((mapping, ctx) => mappingRules(mapping, ctx), { when: () => true })
  .meta({
    id: 'RecordMapping',
    description: 'One record type of a connector and how its raw records map (docs/connectors.md#records-the-mapping).',
    // mappingRules, for editors.
    if: { properties: { recordType: { const: 'facility' } }, required: ['recordType'] },
    then: { properties: { fields: false, groups: false } },
  });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The rule of {@link recordMappingSchema} between a mapping's parts, on a mapping that may be invalid anywhere. */
function mappingRules(m: unknown, ctx: z.RefinementCtx): void {
  // Not a mapping at all (a stray `-` in the list: null): its own schema says so (QA: this read crashed validate).
  if (!isObject(m)) return;
  wholeListsRule(m, ctx);
  if (m.recordType !== 'facility') return;
  if (m.fields !== undefined) ctx.addIssue({ code: 'custom', path: ['fields'], message: 'a facility record has no child fields; use projections' });
  if (m.groups !== undefined) ctx.addIssue({ code: 'custom', path: ['groups'], message: 'a facility record has no group evidence' });
}

/** `wholeLists` names a projection the mapping writes and a text field of it. */
function wholeListsRule(m: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const lists = m.wholeLists;
  if (!isObject(lists) || typeof lists.projection !== 'string' || typeof lists.field !== 'string') return;
  const projections = isObject(m.projections) ? m.projections : {};
  if (!Array.isArray(projections[lists.projection]) || (projections[lists.projection] as unknown[]).length === 0) {
    ctx.addIssue({ code: 'custom', path: ['wholeLists', 'projection'], message: `names ${lists.projection}, which this mapping has no projections of` });
    return;
  }
  const table = RECORD_PROJECTION_TABLES.find((t) => t.kind === lists.projection);
  // A date's precision is text the mapping does not give.
  const column = table?.columns.find((c) => c.field === lists.field && !c.precisionOf);
  if (!column || column.type !== 'text') {
    const texts = table?.columns.filter((c) => c.type === 'text' && !c.precisionOf).map((c) => c.field) ?? [];
    ctx.addIssue({ code: 'custom', path: ['wholeLists', 'field'], message: `is not a text field of ${lists.projection} (its text fields: ${texts.join(', ')})` });
    return;
  }
  // A projection that leaves the field out names no list: its records would never be in one (QA: accepted, then did nothing).
  (projections[lists.projection] as unknown[]).forEach((p, i) => {
    const fields = isObject(p) && isObject(p.fields) ? p.fields : null;
    if (fields && fields[lists.field as string] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['wholeLists', 'field'], message: `is not mapped by projections.${lists.projection}[${i}]: its records would be in no list` });
    }
  });
}

/** The `records` list of a definition: at least one mapping. */
export const recordMappingsSchema = z.array(recordMappingSchema).min(1, 'a connector maps at least one record type');

/** A validated mapping (defaults applied), as {@link compileRecordMapper} takes it. */
export type RecordMapping = z.output<typeof recordMappingSchema>;
/** A mapping as written in a definition. */
export type RecordMappingInput = z.input<typeof recordMappingSchema>;
