import cronParser from 'cron-parser';
import { z } from 'zod';
import { SOURCE_SYSTEMS } from '../../domain/source-record-input.js';
import { fileConfigSchema } from '../file/file.schema.js';
import { headerKey } from '../file/headers.js';
import { httpConfigSchema } from '../http/http.schema.js';
import { refuseRepeats } from './repeats.js';
import { columnNamesRead, columnsRead, optionalPathKey, optionalPathProblem, requiredValueColumns } from '../mapping/mapping-columns.js';
import { recordMappingsSchema, type RecordMapping } from '../mapping/mapping.schema.js';

/**
 * A cron pattern of five fields (minute hour day-of-month month day-of-week), or six with seconds first, as
 * BullMQ's job schedulers read it: the same parser (`cron-parser`, the version BullMQ
 * uses), so a definition that validates is one the workers can schedule (`61 2 * * 0` is refused here, not
 * only in a worker's log).
 */
const CRON_SHAPE = /^\s*(\S+\s+){4,5}\S+\s*$/;
const cronPatternSchema = z
  .string()
  .regex(CRON_SHAPE, 'must be a cron pattern of 5 fields (minute hour day month weekday), or 6 with seconds first')
  .superRefine((pattern, ctx) => {
    if (!CRON_SHAPE.test(pattern)) return; // said above
    try {
      cronParser.parseExpression(pattern, { tz: 'Asia/Ho_Chi_Minh' });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `is not a cron pattern the scheduler accepts: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const step = cronStepProblem(pattern);
    if (step) ctx.addIssue({ code: 'custom', message: step });
  });

/** Each field of a cron pattern: its name, the unit it counts within, and its values. */
// A day of the week is 0–6 (7 is Sunday again: `*/7` takes only Sunday). Each with values it may list as an example.
const CRON_FIELDS = [
  { name: 'second', within: 'minute', min: 0, max: 59, example: '0,20,40' },
  { name: 'minute', within: 'hour', min: 0, max: 59, example: '0,20,40' },
  { name: 'hour', within: 'day', min: 0, max: 23, example: '0,8,16' },
  { name: 'day-of-month', within: 'month', min: 1, max: 31, example: '1,11,21' },
  { name: 'month', within: 'year', min: 1, max: 12, example: '1,4,7,10' },
  { name: 'day-of-week', within: 'week', min: 0, max: 6, example: '1,3,5' },
] as const;
const STEP = /^(\*|\d+)(?:-(\d+))?\/(\d+)$/;

/**
 * A step that can only ever take the first value of what it steps over (`*\/70` minutes, `0 *\/30 * * *`): the
 * scheduler accepts it, and runs once an hour (once a day), not every 70 minutes (QA: `validate` said ok). A cron
 * step never carries over into the next hour or day. Null when every step takes two values or more.
 */
function cronStepProblem(pattern: string): string | null {
  const parts = pattern.trim().split(/\s+/);
  const fields = parts.length === 6 ? CRON_FIELDS : CRON_FIELDS.slice(1);
  for (let i = 0; i < parts.length; i++) {
    const field = fields[i]!;
    for (const item of parts[i]!.split(',')) {
      const hit = STEP.exec(item);
      if (!hit) continue;
      const from = hit[1] === '*' ? field.min : Number(hit[1]);
      const to = hit[2] !== undefined ? Number(hit[2]) : field.max;
      const step = Number(hit[3]);
      if (step > 0 && from + step > to) {
        return `has the step ${item} in its ${field.name} field, which only ever takes ${field.name} ${from} (a step does not carry over into the next ${field.within}): `
          + `it would run once ${field.within === 'hour' ? 'an' : 'a'} ${field.within}, not every ${step}; list the values it should run at instead (${field.name} ${field.min}–${field.max}, such as ${field.example})`;
      }
    }
  }
  return null;
}

const cronSchema = cronPatternSchema.describe(
  'When to sync, as a cron pattern (minute hour day-of-month month day-of-week; with a sixth field, seconds come first) in Asia/Ho_Chi_Minh time, e.g. "*/30 * * * *".',
);

/** `removals`: records an HTTP source no longer returns, found by its full reads. */
const removalsSchema = z
  .strictObject({
    maxShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.05)
      .describe(
        'The largest share of the records the source still had (stored, not marked absent) that one full read may mark absent. A read that finds more gone '
          + '(a source answering with part of its data after an outage, a changed filter) marks none of them: the run says how many it held back. '
          + '@defaultValue 0.05',
      ),
    fullReadSchedule: cronPatternSchema
      .optional()
      .describe(
        'Connectors with `http.incremental` only: when to read the whole source from its first page (a forced read, as `connectors sync <name> --force`), '
          + 'as a cron pattern in Asia/Ho_Chi_Minh time, e.g. "0 2 * * 0" (Sundays at 02:00). An incremental read cannot tell a record gone from one '
          + 'unchanged, so without it such a connector finds records gone only when someone forces a read. A full read due while a sync of the '
          + 'connector runs waits for it. Not part of `schedule`, which keeps its incremental reads.',
      ),
  })
  .describe(
    'HTTP connectors only. Mark the records of the source that a full read (the first read, every read of a source without `http.incremental`, a forced '
      + 'read) did not return as absent from the source (`SourceRecord.absentFromSourceSince`); a record read again is unmarked. '
      + 'Only for a source whose answer holds every record it has for this connector. Nothing is deleted.',
  );

/**
 * A connector definition (`connectors/<name>/connector.yaml`): which source system, how to read it, and how
 * its records map onto the hub's source records and projections. Published as `connectors/connector.schema.json`.
 */
/** What a connector's name (and so its folder's) may be. */
export const CONNECTOR_NAME = /^[a-z][a-z0-9-]{1,62}$/;

export const connectorDefinitionSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path of the JSON Schema, for editors.'),
    name: z
      .string()
      .regex(CONNECTOR_NAME, 'must be 2 to 63 lower case letters, digits and dashes, starting with a letter')
      .describe('The connector\'s name: the folder it lives in, used on the CLI and in the API.'),
    sourceSystem: z.enum(SOURCE_SYSTEMS).describe('The agency system the records come from; external ids are unique within it.'),
    title: z.string().min(1).describe('What the source is, for people (shown by `connectors list` and the API).'),
    description: z.string().optional().describe('Longer notes: owner, contacts, agreements.'),
    kind: z.enum(['http', 'file']).describe('`http`: JSON over HTTP(S); `file`: CSV/XLSX files dropped in a directory.'),
    enabled: z.boolean().default(true).describe('A disabled connector is listed but never scheduled or synced. @defaultValue true'),
    schedule: cronSchema.optional(),
    http: httpConfigSchema.optional().describe('How to call the source (required when kind is http).'),
    file: fileConfigSchema.optional().describe('Where the files are dropped and how to read them (required when kind is file).'),
    records: recordMappingsSchema.describe('The record types the source delivers and how each maps onto the hub.'),
    removals: removalsSchema.optional(),
  })
  // Run also when other parts of the definition are invalid (and so written defensively): `validate` tells every
  // problem at once (QA: a sheet's record type without a mapping, or `removals` on a file connector, was told only
  // once the other problems were fixed).
  .superRefine((def, ctx) => definitionRules(def as unknown as LooseDefinition, ctx), { when: () => true })
  .meta({ allOf: definitionRulesJson() });

/**
 * The rules of {@link definitionRules} between a definition's kind and its sections, in JSON Schema, so editors
 * say them as validate does (QA: the published schema took `kind: file` without `file`, or with `http`). A setting
 * that does not apply is `false` there: editors point at it.
 */
function definitionRulesJson(): Array<Record<string, unknown>> {
  const kindIs = (kind: string) => ({ properties: { kind: { const: kind } }, required: ['kind'] });
  return [
    { if: kindIs('file'), then: { required: ['file'], properties: { http: false, removals: false } } },
    { if: kindIs('http'), then: { required: ['http'], properties: { file: false, records: { maxItems: 1 } } } },
    {
      if: { required: ['removals'], properties: { removals: { required: ['fullReadSchedule'] } } },
      then: { properties: { http: { required: ['incremental'] } } },
    },
  ];
}

/** A definition as the rules below read it: possibly invalid anywhere else. */
interface LooseDefinition {
  kind?: unknown;
  http?: { incremental?: unknown; optionalPaths?: unknown } | null;
  file?: { sheets?: unknown; optionalColumns?: unknown } | null;
  removals?: { fullReadSchedule?: unknown } | null;
  records?: unknown;
}

/** The rules between a definition's parts (kind and its settings, record types and sheets). */
function definitionRules(def: LooseDefinition, ctx: z.RefinementCtx): void {
  if (def === null || typeof def !== 'object') return;
  const http = def.http && typeof def.http === 'object' ? def.http : null;
  const file = def.file && typeof def.file === 'object' ? def.file : null;
  const removals = def.removals && typeof def.removals === 'object' ? def.removals : null;
  refuseRepeats(http?.optionalPaths, optionalPathKey, ['http', 'optionalPaths'], ctx);
  refuseRepeats(file?.optionalColumns, headerKey, ['file', 'optionalColumns'], ctx, ' (in any letter case or spacing)');
  if (def.kind === 'http' && !http) ctx.addIssue({ code: 'custom', path: ['http'], message: 'is required when kind is http' });
  if (def.kind === 'file' && !file) ctx.addIssue({ code: 'custom', path: ['file'], message: 'is required when kind is file' });
  if (def.kind === 'http' && file) ctx.addIssue({ code: 'custom', path: ['file'], message: 'only applies when kind is file' });
  if (def.kind === 'file' && http) ctx.addIssue({ code: 'custom', path: ['http'], message: 'only applies when kind is http' });
  if (def.kind === 'file' && removals) {
    ctx.addIssue({ code: 'custom', path: ['removals'], message: 'only applies when kind is http: a file drop is not known to hold every record of its source' });
  }
  if (def.kind === 'http' && http && !http.incremental && removals?.fullReadSchedule) {
    ctx.addIssue({
      code: 'custom', path: ['removals', 'fullReadSchedule'],
      message: 'only applies with http.incremental: a connector without it reads the whole source at every sync (its `schedule`)',
    });
  }
  if (!Array.isArray(def.records)) return;
  if (def.kind === 'http') {
    def.records.forEach((r: unknown, i: number) => {
      if (r && typeof r === 'object' && (r as { wholeLists?: unknown }).wholeLists !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['records', i, 'wholeLists'], message: 'only applies when kind is file: a list is whole in a file (see removals for an API)' });
      }
    });
  }
  // Entries that are not mappings at all are the schema's problem alone (QA re-check: `[5, {…}]` was told a repeat).
  const records = def.records.map((r) => (r && typeof r === 'object' && !Array.isArray(r) ? (r as { recordType?: unknown; sheet?: unknown }) : null));
  const typeOf = (r: { recordType?: unknown }) => (typeof r.recordType === 'string' ? r.recordType : 'child');
  const types = records.flatMap((r) => (r ? [typeOf(r)] : []));
  if (def.kind === 'http' && records.length !== 1) {
    ctx.addIssue({ code: 'custom', path: ['records'], message: 'an http connector has exactly one record type' });
  }
  const seen = new Set<string>();
  records.forEach((r, i) => {
    if (!r) return;
    const key = `${typeOf(r)}|${typeof r.sheet === 'string' || typeof r.sheet === 'number' ? r.sheet : ''}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['records', i], message: 'repeats the record type and sheet of an earlier entry' });
    seen.add(key);
  });
  if (file && Array.isArray(file.sheets)) {
    file.sheets.forEach((s: unknown, i: number) => {
      const type = s && typeof s === 'object' ? (s as { recordType?: unknown }).recordType : undefined;
      if (typeof type === 'string' && !types.includes(type)) {
        ctx.addIssue({ code: 'custom', path: ['file', 'sheets', i, 'recordType'], message: `has no mapping in records (record types: ${[...new Set(types)].join(', ')})` });
      }
    });
  }
  if (def.kind === 'file') {
    const parsed = recordMappingsSchema.safeParse(def.records);
    if (parsed.success) fileColumnRules(parsed.data, file, ctx);
  }
  // An optional path must be one the mappings read, as file.optionalColumns must be a column they read.
  const optionalPaths = http && Array.isArray(http.optionalPaths) ? http.optionalPaths : [];
  if (def.kind === 'http' && optionalPaths.length) {
    const parsed = recordMappingsSchema.safeParse(def.records);
    const listed = new Map<string, number>();
    optionalPaths.forEach((entry: unknown, j: number) => {
      if (typeof entry !== 'string' || !entry.trim()) return;
      // A repeat is told by refuseRepeats, and not judged again.
      if (listed.has(optionalPathKey(entry))) return;
      listed.set(optionalPathKey(entry), j);
      const problem = parsed.success ? optionalPathProblem(parsed.data, entry) : null;
      if (problem) ctx.addIssue({ code: 'custom', path: ['http', 'optionalPaths', j], message: problem });
    });
  }
}

/**
 * The columns a file connector's mappings read, against how a file's header row is matched to them (up to letter
 * case and spacing: {@link headerKey}) and against `file.optionalColumns`:
 * - one column written two ways that a header row cannot tell apart (`Họ tên cha`, `HỌ TÊN CHA`) is refused: a
 *   header matching both is read as neither, and every file was refused as lacking the other (QA re-check);
 * - an optional column must be one the mappings read, neither a record id's column (a file without it is refused
 *   whatever the list says) nor one a value marked `required` reads (every row would be quarantined REQUIRED,
 *   with its personal data: the refusal is what keeps them out).
 */
function fileColumnRules(records: readonly RecordMapping[], file: LooseDefinition['file'], ctx: z.RefinementCtx): void {
  const spelt = new Map<string, { name: string; index: number }>();
  const told = new Set<string>();
  const read = new Map<string, string>();
  const idColumns = new Set<string>();
  const required = new Set<string>();
  records.forEach((m, i) => {
    for (const name of columnNamesRead(m)) {
      const key = headerKey(name);
      read.set(key, name);
      const first = spelt.get(key);
      if (first === undefined) spelt.set(key, { name, index: i });
      else if (first.name !== name && !told.has(`${key}\u0000${name}`)) {
        told.add(`${key}\u0000${name}`);
        ctx.addIssue({
          code: 'custom', path: ['records', i],
          message: `reads the column «${name}», and ${first.index === i ? 'also' : `records[${first.index}]`} «${first.name}»: a file's header row cannot ` +
            'tell them apart (headers are matched to the columns up to letter case and spacing); write the column one way',
        });
      }
    }
    for (const c of columnsRead({ externalId: m.externalId })) idColumns.add(headerKey(c));
    for (const c of requiredValueColumns(m)) required.add(headerKey(c));
  });
  const optional = file && Array.isArray(file.optionalColumns) ? file.optionalColumns : [];
  const listed = new Map<string, number>();
  optional.forEach((entry: unknown, j: number) => {
    if (typeof entry !== 'string') return;
    const key = headerKey(entry);
    const path = ['file', 'optionalColumns', j];
    // A repeat is told by refuseRepeats, and not judged again.
    if (listed.has(key)) return;
    listed.set(key, j);
    if (!read.has(key)) {
      ctx.addIssue({ code: 'custom', path, message: `«${entry}» is no column the mappings read (in any letter case or spacing): nothing to make optional` });
    } else if (idColumns.has(key)) {
      ctx.addIssue({ code: 'custom', path, message: `«${read.get(key)}» is a record id's column: a file without it is refused whatever this list says (MISSING_ID_COLUMN); remove it` });
    } else if (required.has(key)) {
      ctx.addIssue({
        code: 'custom', path,
        message: `«${read.get(key)}» is read by a value marked required: a file without it would have every row quarantined (REQUIRED) with its ` +
          'personal data; remove it, or the value\'s `required`',
      });
    }
  });
}

export type ConnectorDefinition = z.infer<typeof connectorDefinitionSchema>;
export type ConnectorDefinitionInput = z.input<typeof connectorDefinitionSchema>;

/** The JSON Schema editors use to autocomplete and check definition files. */
export function connectorJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(connectorDefinitionSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://childhub.local/schemas/connector.schema.json',
    title: 'childhub connector definition',
    ...schema,
  };
}
