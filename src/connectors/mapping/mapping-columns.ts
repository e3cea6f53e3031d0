/**
 * Which columns a file's mappings read, checked against the headers of a sheet before its rows are mapped.
 * A file whose headers do not match its mapping is otherwise silent: a missing `Giới tính` column leaves
 * every record without a sex, and headers in another case (`HỌ VÀ TÊN`) make every row NO_MAPPING, with
 * nothing saying that the headers are the problem.
 */
import { compilePath, firstMatch, type CompiledPath } from '../paths.js';
import type { ReaderEvent } from '../types.js';
import { RECORD_FIELDS, type FieldTarget } from './field-targets.js';
import type { RecordMapping } from './mapping.schema.js';

/** What {@link checkSheetColumns} found for one sheet. */
export interface SheetColumnsCheck {
  /** Mappings that can take this sheet's rows (their record type fits and their `when` columns are there). */
  applicable: number;
  /** Columns some applicable mapping reads that the sheet lacks (their fields stay empty), in mapping order. */
  missing: string[];
  /**
   * When no mapping can take the sheet's rows: the columns whose presence would let one (each mapping's
   * `when` columns, or all it reads when it has no `when`); every row would then be rejected NO_MAPPING.
   */
  noneApplies: string[] | null;
}

/** Keys that hold literal values or element-relative paths, not column names of the record. */
const NOT_COLUMNS = new Set(['value', 'map', 'equals', 'contains', 'in', 'default', 'whenAbsent', 'formats', 'separator', 'parse', 'required', 'present']);

/**
 * The columns one value, test or mapping reads: every `from`, `join` and `firstOf` path, by its first
 * segment (a column header written exactly like a path is read whole, so the whole path is kept too).
 * Projections over `each` element read relative to the element and are left out, except their `$.` paths.
 */
export function columnsRead(spec: unknown, out: Set<string> = new Set(), inEach = false): Set<string> {
  if (Array.isArray(spec)) {
    for (const s of spec) columnsRead(s, out, inEach);
    return out;
  }
  if (spec === null || typeof spec !== 'object') return out;
  const o = spec as Record<string, unknown>;
  const each = inEach || 'each' in o;
  for (const [key, v] of Object.entries(o)) {
    if (NOT_COLUMNS.has(key) || key === 'each') continue;
    if (key === 'from' && typeof v === 'string') addPath(v, out, each);
    else if ((key === 'join' || key === 'firstOf') && Array.isArray(v)) {
      for (const x of v) {
        if (typeof x === 'string') addPath(x, out, each);
        else columnsRead(x, out, each);
      }
    } else columnsRead(v, out, each);
  }
  return out;
}

function addPath(path: string, out: Set<string>, inEach: boolean): void {
  if (path.startsWith('$.')) path = path.slice(2);
  else if (inEach) return;
  out.add(path.trim().normalize('NFC'));
}

/**
 * The columns a mapping's `when` needs present for any row to pass it: the column it tests, unless the test
 * is for absence (`present: false`); none when it reads several (`firstOf`, `join`: one may be enough).
 */
function requiredBy(when: unknown): string[] {
  const w = when as { from?: unknown; present?: unknown };
  if (typeof w?.from !== 'string' || w.present === false) return [];
  return [...columnsRead({ from: w.from })];
}

/** Whether a sheet with `headers` has the column a path reads (the whole path as a header, or its first segment). */
export function hasColumn(headers: ReadonlySet<string>, path: string): boolean {
  if (headers.has(path)) return true;
  const first = /^[^.[]+/.exec(path)?.[0];
  return first !== undefined && first !== path && headers.has(first);
}

/**
 * The columns a sheet with `headers` lacks whose absence leaves a value of `m` empty (or changed): every column
 * its id, fields, groups and projections read (their `when`s and `join` parts included; not the mapping's own
 * `when`, which picks the rows it takes), except that a `firstOf` lacks a column only when it lacks all its
 * alternatives (one is enough: an export names its column one way or the other). In mapping order.
 */
export function fieldColumnsMissing(m: RecordMapping, headers: ReadonlySet<string>): string[] {
  const { when: _when, recordType: _type, sheet: _sheet, ...reads } = m;
  const out = new Set<string>();
  missingColumns(reads, headers, out, false);
  return [...out];
}

function missingColumns(spec: unknown, headers: ReadonlySet<string>, out: Set<string>, inEach: boolean): void {
  if (Array.isArray(spec)) {
    for (const s of spec) missingColumns(s, headers, out, inEach);
    return;
  }
  if (spec === null || typeof spec !== 'object') return;
  const o = spec as Record<string, unknown>;
  const each = inEach || 'each' in o;
  const path = (p: string) => {
    const read = new Set<string>();
    addPath(p, read, each);
    return [...read].filter((c) => !hasColumn(headers, c));
  };
  for (const [key, v] of Object.entries(o)) {
    if (NOT_COLUMNS.has(key) || key === 'each') continue;
    if (key === 'from' && typeof v === 'string') for (const c of path(v)) out.add(c);
    else if (key === 'join' && Array.isArray(v)) {
      for (const x of v) {
        if (typeof x === 'string') for (const c of path(x)) out.add(c);
        else missingColumns(x, headers, out, each);
      }
    } else if (key === 'firstOf' && Array.isArray(v)) {
      const alternatives = v.map((x) => {
        if (typeof x === 'string') return path(x);
        const own = new Set<string>();
        missingColumns(x, headers, own, each);
        // An alternative reading no column of the record (a literal, an element-relative path) is always there.
        return [...own];
      });
      if (alternatives.every((a) => a.length > 0)) for (const a of alternatives) for (const c of a) out.add(c);
    } else missingColumns(v, headers, out, each);
  }
}

/**
 * Checks a sheet's headers against the mappings that may take its rows: those of its record type (or sheet),
 * as the mapper picks them (`recordType` undefined: any mapping).
 */
export function checkSheetColumns(mappings: readonly RecordMapping[], recordType: string | undefined, headers: readonly string[]): SheetColumnsCheck {
  const have = new Set(headers.map((h) => h.trim().normalize('NFC')));
  const candidates = mappingsFor(mappings, recordType);
  const missing = new Set<string>();
  const wanted: string[] = [];
  let applicable = 0;
  for (const m of candidates) {
    const when = m.when === undefined ? null : requiredBy(m.when);
    if (when !== null && !when.every((c) => hasColumn(have, c))) {
      wanted.push(...when.filter((c) => !hasColumn(have, c)));
      continue;
    }
    applicable++;
    for (const c of fieldColumnsMissing(m, have)) missing.add(c);
  }
  return { applicable, missing: [...missing], noneApplies: applicable === 0 && candidates.length > 0 ? [...new Set(wanted)] : null };
}

/** The mappings that may take a sheet's rows: those of its record type (or sheet), as the mapper picks them (`recordType` undefined: any). */
export function mappingsFor(mappings: readonly RecordMapping[], recordType: string | undefined): RecordMapping[] {
  return mappings.filter((m) => recordType === undefined || m.recordType === recordType || (m.sheet !== undefined && String(m.sheet) === recordType));
}

/** Every column a mapping reads (its `when`, id, fields, groups and projections), by path and by the path's first segment. */
export function columnNamesRead(m: RecordMapping): Set<string> {
  const { recordType: _type, sheet: _sheet, ...reads } = m;
  const out = new Set<string>();
  for (const path of columnsRead(reads)) {
    out.add(path);
    const first = /^[^.[]+/.exec(path)?.[0];
    if (first !== undefined) out.add(first);
  }
  return out;
}

/**
 * The columns whose absence a mapping turns into a value of its own: those a `present: false` test reads, and
 * those a `map` with a `default` other than null reads (in its id, fields, groups and projections, their `when`s
 * included; not the mapping's own `when`, which picks the rows it takes). A file without such a column would
 * have every record stored as if the column were empty: a facility's licence `NONE`, its type `OTHER` (QA: a
 * renamed header downgraded the facilities already stored).
 */
export function columnsAbsenceGivesValue(m: RecordMapping): Set<string> {
  const { when: _when, recordType: _type, sheet: _sheet, ...reads } = m;
  return absenceColumns(reads, new Set(), false);
}

function absenceColumns(spec: unknown, out: Set<string>, inEach: boolean): Set<string> {
  if (Array.isArray(spec)) {
    for (const s of spec) absenceColumns(s, out, inEach);
    return out;
  }
  if (spec === null || typeof spec !== 'object') return out;
  const o = spec as Record<string, unknown>;
  const each = inEach || 'each' in o;
  if (o.present === false || (o.map !== undefined && o.default !== undefined && o.default !== null)) {
    columnsRead({ from: o.from, join: o.join, firstOf: o.firstOf }, out, each);
  }
  for (const [key, v] of Object.entries(o)) if (!NOT_COLUMNS.has(key) && key !== 'from') absenceColumns(v, out, each);
  return out;
}

/**
 * The columns read by values marked `required: true` (in the id, fields, groups and projections): a record
 * without one is rejected REQUIRED, so a file without the column would have every row quarantined.
 */
export function requiredValueColumns(m: RecordMapping): Set<string> {
  const { recordType: _type, sheet: _sheet, ...reads } = m;
  const out = new Set<string>();
  const walk = (spec: unknown, inEach: boolean): void => {
    if (Array.isArray(spec)) {
      for (const s of spec) walk(s, inEach);
      return;
    }
    if (spec === null || typeof spec !== 'object') return;
    const o = spec as Record<string, unknown>;
    const each = inEach || 'each' in o;
    if (o.required === true) columnsRead(o, out, each);
    for (const [key, v] of Object.entries(o)) if (!NOT_COLUMNS.has(key)) walk(v, each);
  };
  walk(reads, false);
  return out;
}

/**
 * The columns a sheet with `headers` lacks for `m` to give its rows a record id: the columns its `when` needs
 * present, and those its `externalId` reads (every part of a `join`; one alternative of a `firstOf` is
 * enough). Empty when the mapping can read ids from the sheet's rows.
 */
export function idColumnsMissing(m: RecordMapping, headers: ReadonlySet<string>): string[] {
  const when = m.when === undefined ? [] : requiredBy(m.when).filter((c) => !hasColumn(headers, c));
  return [...new Set([...when, ...valueColumnsMissing(m.externalId, headers)])];
}

function valueColumnsMissing(spec: unknown, headers: ReadonlySet<string>): string[] {
  if (typeof spec === 'string') return [...columnsRead({ from: spec })].filter((c) => !hasColumn(headers, c));
  if (spec === null || typeof spec !== 'object') return [];
  const v = spec as { from?: unknown; join?: unknown; firstOf?: unknown };
  if (typeof v.from === 'string') return [...columnsRead({ from: v.from })].filter((c) => !hasColumn(headers, c));
  if (Array.isArray(v.join)) return [...new Set(v.join.flatMap((x) => valueColumnsMissing(x, headers)))];
  if (Array.isArray(v.firstOf)) {
    const each = v.firstOf.map((x) => valueColumnsMissing(x, headers));
    return each.some((e) => e.length === 0) ? [] : [...new Set(each.flat())];
  }
  return [];
}

/** The warning for an engineer reading a sheet (names of configured columns only, never cell text); null when all is well. */
export function sheetColumnsWarning(where: string, check: SheetColumnsCheck): string | null {
  if (check.noneApplies) {
    return `${where}: no mapping takes its rows, which will all be rejected (NO_MAPPING): the mapping needs a column ${check.noneApplies.map((c) => `«${c}»`).join(' or ')}; check the header row (spelling, case, delimiter)`;
  }
  if (check.missing.length) {
    return `${where}: the mapping reads column${check.missing.length > 1 ? 's' : ''} ${check.missing.map((c) => `«${c}»`).join(', ')}, which the file does not have: ${check.missing.length > 1 ? 'their fields stay' : 'its field stays'} empty`;
  }
  return null;
}

/** The warning for a reader's `sheet-headers` event against a connector's mappings; null for other events or when all is well. */
export function headersWarning(mappings: readonly RecordMapping[], e: ReaderEvent): string | null {
  if (e.type !== 'sheet-headers') return null;
  if (e.columns.length === 0) return `${e.where}: the sheet has no header row: nothing was read from it (was the sheet filled in? check file.headerRow)`;
  return sheetColumnsWarning(e.where, checkSheetColumns(mappings, e.recordType, e.columns));
}

/**
 * The values a mapping's id and fields read that no record of `records` has (JSON records: a page of an API),
 * each as the paths it reads. A misspelt path is otherwise silent: its field is empty in every record.
 *
 * A `firstOf` or `join` is judged as a whole, with every path inside it: it lacks a value only when no record has
 * any of them, and is then named by all of them. An alternative a page never uses (a national id where the
 * personal number is there), or a name part few children have (a fourth given name), is not a misspelling (QA:
 * the health-station connector warned of both over 200 records). A value's `when` is judged apart from it: a
 * misspelt test leaves the value empty as surely as a misspelt `from`.
 *
 * Left out: fields of a boolean target (`birthDateEstimated`), flags that are absent by nature from nearly every
 * record (only a foundling's birth date is estimated), so a page without one says nothing about the path. Groups
 * and projections, whose values are often there for a few children only (a disability), and a page may have
 * none. Paths read inside `each` (relative to an element), and a path that does not compile (validation reports
 * it).
 */
export function pathsNoRecordHas(mappings: readonly RecordMapping[], records: ReadonlyArray<Record<string, unknown>>): string[][] {
  return readingsNoRecordHas(mappings, records).map((r) => r.paths);
}

/** A value the mapping reads that no record of a page has ({@link readingsNoRecordHas}). */
export interface UnreadReading {
  /** The paths it reads, as written in the mapping. */
  paths: string[];
  /** The record fields it feeds (`fullName`, `communeCode`; `externalId` for a record id). */
  fields: string[];
}

/**
 * {@link pathsNoRecordHas}, with the record fields each value feeds. `present`: a path is had by a record where its key
 * is, null or not (a source that sends every key, null when empty, has no misspelt path in a page where all are null).
 */
export function readingsNoRecordHas(mappings: readonly RecordMapping[], records: ReadonlyArray<Record<string, unknown>>, opts: { present?: boolean } = {}): UnreadReading[] {
  // By their paths: a value several mappings read is judged (and named) once.
  const readings = new Map<string, { paths: CompiledPath[]; fields: Set<string> }>();
  const adder = (field: string) => (paths: CompiledPath[]) => {
    if (!paths.length) return;
    const key = JSON.stringify(paths.map((p) => p.source));
    const reading = readings.get(key) ?? { paths, fields: new Set<string>() };
    reading.fields.add(field);
    readings.set(key, reading);
  };
  for (const m of mappings) {
    const { externalId, fields } = m as { externalId?: unknown; fields?: Record<string, unknown> };
    // A record id joins every part (an empty one quarantines the record): each part is judged on its own, unlike a
    // join of name parts (QA: `join: ["QM", { from: id }]` read a column «QM», and no warning named it).
    const idJoin = isJoin(externalId) ? externalId : null;
    if (idJoin) {
      for (const part of idJoin.join) valueReadings(part, adder('externalId'));
      valueReadings(idJoin.when, adder('externalId'));
    } else valueReadings(externalId, adder('externalId'));
    for (const [name, spec] of Object.entries(fields ?? {})) {
      if ((RECORD_FIELDS as Record<string, FieldTarget | undefined>)[name]?.parse === 'boolean') continue;
      valueReadings(spec, adder(name));
    }
  }
  const unmatched: UnreadReading[] = [];
  for (const { paths, fields } of readings.values()) {
    const has = opts.present ? isAt : hasValueAt;
    if (!records.some((r) => paths.some((p) => has(p, r)))) unmatched.push({ paths: paths.map((p) => p.source), fields: [...fields] });
  }
  return unmatched;
}

function isJoin(spec: unknown): spec is { join: unknown[]; when?: unknown } {
  return spec !== null && typeof spec === 'object' && Array.isArray((spec as { join?: unknown }).join);
}

/** The parts of the mappings' record id `join`s written as bare strings (paths: a constant is `{ value: … }`), as written. */
export function idJoinBarePaths(mappings: readonly RecordMapping[]): string[] {
  return mappings.flatMap((m) => (isJoin(m.externalId) ? m.externalId.join.filter((p): p is string => typeof p === 'string') : []));
}

/**
 * The readings of one value, each told to `add` as the compiled paths judged together: its `from` alone, a
 * `firstOf` or `join` with every path inside it, and its `when` as a value of its own.
 */
function valueReadings(spec: unknown, add: (paths: CompiledPath[]) => void): void {
  if (typeof spec === 'string') spec = { from: spec };
  if (spec === null || typeof spec !== 'object') return;
  // Each through columnsRead, which reads paths as the mapper does (trimmed, NFC, `$.` off).
  const { from, join, firstOf, when, present } = spec as { from?: unknown; join?: unknown; firstOf?: unknown; when?: unknown; present?: unknown };
  // A test for absence (`present: false`) holds where its path is absent: a page without it empties nothing.
  if (present !== false) {
    if (typeof from === 'string') add(compiledPaths([...columnsRead({ from })]));
    if (Array.isArray(join)) add(compiledPaths([...columnsRead({ join })]));
    if (Array.isArray(firstOf)) add(compiledPaths([...columnsRead({ firstOf })]));
  }
  valueReadings(when, add);
}

/** The paths that compile (validation reports the others), in order. */
function compiledPaths(paths: string[]): CompiledPath[] {
  const out: CompiledPath[] = [];
  for (const p of paths) {
    try {
      out.push(compilePath(p));
    } catch {
      // Not a path: validation reports it.
    }
  }
  return out;
}

function isAt(path: CompiledPath, record: Record<string, unknown>): boolean {
  return firstMatch(path, record) !== undefined;
}

function hasValueAt(path: CompiledPath, record: Record<string, unknown>): boolean {
  const v = firstMatch(path, record);
  return v !== undefined && v !== null;
}

/**
 * {@link pathsNoRecordHas}'s values for a warning: `«a»` for a value reading one path, `«a» or «b»` for one
 * reading several; values apart by `, `, or by `; ` when one reads several (so that the list reads one way).
 */
export function describeUnreadPaths(unmatched: readonly (readonly string[])[]): string {
  const each = unmatched.map((paths) => paths.map((p) => `«${p}»`).join(' or '));
  return each.join(unmatched.some((paths) => paths.length > 1) ? '; ' : ', ');
}

/**
 * A path of `http.optionalPaths` as {@link SparseReading.qualified} names paths: a path within a projection's `each`
 * written as `each » path` (as messages name it), each part as the mapper reads it; any other as the mapper reads it.
 */
export function optionalPathKey(path: string): string {
  return path.includes('»') ? path.split('»').map(readPathKey).join(' » ') : readPathKey(path);
}

/**
 * Why an entry of `http.optionalPaths` makes nothing optional, or null when it names a path the mappings read (as
 * written in the mapping, or `each » path` for one read within a projection's `each`; a facility's paths too, though a
 * page is never held for them). A path within `each` written without it is told the name that would list it, and one
 * read from the record's root (`$.`) written with an `each` the name without it (QA third round: such entries were
 * silently without effect, and the page still held).
 */
export function optionalPathProblem(mappings: readonly RecordMapping[], entry: string): string | null {
  const key = optionalPathKey(entry);
  const candidates = pathCandidates(mappings, true);
  const absolute = new Set<string>(candidates.filter((c) => !c.relative).map((c) => c.qualified));
  for (const m of mappings) {
    const { recordType: _type, sheet: _sheet, ...reads } = m;
    for (const p of columnsRead(reads)) absolute.add(readPathKey(p));
  }
  if (absolute.has(key) || candidates.some((c) => c.qualified === key)) return null;
  const inner = key.includes(' » ') ? key.slice(key.lastIndexOf(' » ') + 3) : key;
  const within = [...new Set(candidates.filter((c) => c.relative && c.paths[0] === inner).map((c) => c.qualified))];
  if (within.length) {
    return `«${entry}» is read within a projection's each: list it with its each, as ${within.map((q) => `«${q}»`).join(' or ')}`;
  }
  if (inner !== key && absolute.has(inner)) return `«${entry}» is read from the record's root: list it without an each, as «${inner}»`;
  return `«${entry}» is no path the mappings read: nothing to make optional`;
}

/** What `http.optionalPaths` lists, as the sync and the dry run judge unread paths by it. */
export interface OptionalPaths {
  /** Whether every path a value reads is listed (a record field's reading: {@link UnreadReading.paths}). */
  listsAll(paths: readonly string[]): boolean;
  /** Whether a path of a group or projection is listed, by its qualified name ({@link SparseReading.qualified}). */
  lists(qualified: string): boolean;
}

/** {@link OptionalPaths} of a definition's `http.optionalPaths` (worked out once per list). */
export function optionalPathsOf(list: readonly string[] | undefined): OptionalPaths {
  if (!list?.length) return NO_OPTIONAL_PATHS;
  let known = optionalPathsMemo.get(list);
  if (!known) {
    const keys = new Set(list.map(optionalPathKey));
    known = { listsAll: (paths) => paths.every((p) => keys.has(readPathKey(p))), lists: (qualified) => keys.has(qualified) };
    optionalPathsMemo.set(list, known);
  }
  return known;
}

const NO_OPTIONAL_PATHS: OptionalPaths = { listsAll: () => false, lists: () => false };
const optionalPathsMemo = new WeakMap<readonly string[], OptionalPaths>();

/** A path as the mapper reads it: trimmed, NFC, `$.` off. */
export function readPathKey(path: string): string {
  return path.trim().normalize('NFC').replace(/^\$\./, '');
}

/** What a value of a group or a projection feeds: the stored values a page without its paths would empty. */
export type SparseTarget =
  | { kind: 'group'; clause: string | null; part: 'evidence' | 'subType' | 'since' | 'until' }
  | { kind: 'projection'; projection: string; field: string | null };

/** A path of a group or projection that none of a page's records has ({@link sparseReadingsNoRecordHas}). */
export interface SparseReading {
  /** What it feeds and its path, `field ← qualified` (`groups.d ← khuyet_tat`): tells it apart within a run, and from run to run. */
  key: string;
  /** The path, as the mapper reads it (one: each path of a `firstOf` or `join` is judged on its own). */
  paths: string[];
  /** The path as messages, `http.optionalPaths` and {@link sparsePathsRead} name it: within a projection's `each`, `each » path`. */
  qualified: string;
  /** How what it feeds is named: `groups.d`, `groups.d.subType`, `projections.schoolEnrolment.schoolName`, `projections.vaccination` (whole rows). */
  field: string;
  target: SparseTarget;
  /** Read relative to the elements its projection's `each` finds. */
  relative: boolean;
}

interface Ref {
  path: CompiledPath;
  relative: boolean;
}

interface SparseCandidate extends SparseReading {
  ref: Ref;
  each: CompiledPath | null;
}

/**
 * The paths of a mapping's groups and projections that no record of `records` (JSON records: a page of an API) has, by
 * key (a key sent as null is had), each with what it feeds. Each path of a `firstOf` or `join` is told on its own (a
 * misspelt alternative empties the records the other does not cover). Such a path is often absent from a whole page by
 * nature (a disability, the abandoned-child flag, a vaccination list), so this only finds them: the sync judges whether
 * the page's records, mapped, would lose stored values (unread-loss.ts).
 *
 * A path relative to a projection's `each` is had by any element `each` finds in any record of the page; over a page where
 * `each` finds none, it is not judged. A test for absence (`present: false`) is not judged: a page without its path
 * empties nothing. `seen` (a run's): paths a record had, on this page or an earlier one of the run, are added, and not
 * judged again (a path some record has is no misspelling). Facility records are left out (they have no groups, and
 * their projections are not a child's record).
 */
export function sparseReadingsNoRecordHas(mappings: readonly RecordMapping[], records: ReadonlyArray<Record<string, unknown>>, seen: Set<string> = new Set()): SparseReading[] {
  const candidates = sparseCandidates(mappings).filter((c) => !seen.has(c.key));
  const elements = new Map<CompiledPath, unknown[]>();
  const elementsOf = (each: CompiledPath) => {
    let found = elements.get(each);
    if (!found) elements.set(each, (found = records.flatMap((r) => each(r))));
    return found;
  };
  const out: SparseReading[] = [];
  for (const c of candidates) {
    const within = c.ref.relative ? (c.each ? elementsOf(c.each) : []) : records;
    // Read within elements only, over a page with none: nothing tells whether the path is there.
    if (within.length === 0) continue;
    if (within.some((x) => c.ref.path(x).length > 0)) {
      seen.add(c.key);
      continue;
    }
    const { ref: _ref, each: _each, ...reading } = c;
    out.push(reading);
  }
  return out;
}

/**
 * What each group and projection of a mapping reads, as `field ← path` ({@link SparseReading.key}: `groups.d ←
 * khuyet_tat`, `projections.vaccination.performer ← _include.immunizations[*] » performer[0].actor.display`). What a
 * connector records of the mapping its stored records were read with: a later definition's path is new for what it
 * feeds when not among them, and one of them it no longer reads for that was replaced (renamed, misspelt).
 */
export function sparsePathsRead(mappings: readonly RecordMapping[]): string[] {
  return sparseCandidates(mappings).map((c) => c.key);
}

/** Every path of a mapping's groups and projections with what it feeds, once each ({@link sparseReadingsNoRecordHas}). */
function sparseCandidates(mappings: readonly RecordMapping[]): SparseCandidate[] {
  // Worked out once per definition: a sync asks for every page.
  const known = candidatesOf.get(mappings);
  if (known) return known;
  const out = pathCandidates(mappings, false);
  candidatesOf.set(mappings, out);
  return out;
}

/** The paths of a mapping's groups and projections with what they feed ({@link sparseCandidates}); a facility's too when `withFacility`. */
function pathCandidates(mappings: readonly RecordMapping[], withFacility: boolean): SparseCandidate[] {
  const candidates = new Map<string, SparseCandidate>();
  const push = (refs: Ref[], field: string, target: SparseTarget, each: CompiledPath | null) => {
    for (const ref of refs) {
      const qualified = ref.relative && each ? `${each.source} » ${ref.path.source}` : ref.path.source;
      const key = `${field} ← ${qualified}`;
      if (candidates.has(key)) continue;
      candidates.set(key, { key, paths: [ref.path.source], qualified, field, target, relative: ref.relative, ref, each });
    }
  };
  for (const m of mappings) {
    const { recordType, groups, projections } = m as { recordType?: string; groups?: unknown[]; projections?: Record<string, unknown[]> };
    if (recordType === 'facility' && !withFacility) continue;
    for (const g of groups ?? []) {
      const group = g as { clause?: unknown; when?: unknown; subType?: unknown; since?: unknown; until?: unknown };
      const clause = typeof group.clause === 'string' ? group.clause.toLowerCase() : null;
      const name = clause === null ? 'groups' : `groups.${clause}`;
      const add = (part: 'evidence' | 'subType' | 'since' | 'until') => (refs: Ref[]) =>
        push(refs, part === 'evidence' ? name : `${name}.${part}`, { kind: 'group', clause, part }, null);
      if (clause === null) valueRefs(group.clause, false, add('evidence'));
      valueRefs(group.when, false, add('evidence'));
      valueRefs(group.subType, false, add('subType'));
      valueRefs(group.since, false, add('since'));
      valueRefs(group.until, false, add('until'));
    }
    for (const [kind, list] of Object.entries(projections ?? {})) {
      for (const p of Array.isArray(list) ? list : []) {
        const projection = p as { each?: unknown; when?: unknown; fields?: Record<string, unknown> };
        const each = typeof projection.each === 'string' ? compiledRef(projection.each, false) : null;
        const inEach = projection.each !== undefined;
        const whole = (refs: Ref[]) => push(refs, `projections.${kind}`, { kind: 'projection', projection: kind, field: null }, each?.path ?? null);
        if (each) whole([each]);
        valueRefs(projection.when, inEach, whole);
        for (const [field, spec] of Object.entries(projection.fields ?? {})) {
          valueRefs(spec, inEach, (refs) => push(refs, `projections.${kind}.${field}`, { kind: 'projection', projection: kind, field }, each?.path ?? null));
        }
      }
    }
  }
  return [...candidates.values()];
}

const candidatesOf = new WeakMap<readonly RecordMapping[], SparseCandidate[]>();

/**
 * The paths one value of a group or projection reads, told to `add` (each is then judged on its own): its `from`, every
 * path of a `firstOf` or `join`, and those of its `when`, except a test for absence's.
 */
function valueRefs(spec: unknown, inEach: boolean, add: (refs: Ref[]) => void): void {
  if (typeof spec === 'string') spec = { from: spec };
  if (spec === null || typeof spec !== 'object') return;
  const { from, join, firstOf, when, present } = spec as { from?: unknown; join?: unknown; firstOf?: unknown; when?: unknown; present?: unknown };
  const refs = (v: unknown): Ref[] => {
    const out: Ref[] = [];
    const walk = (x: unknown): void => {
      if (typeof x === 'string') {
        const ref = compiledRef(x, inEach);
        if (ref) out.push(ref);
      } else if (Array.isArray(x)) for (const y of x) walk(y);
      else if (x !== null && typeof x === 'object') {
        for (const [key, y] of Object.entries(x as Record<string, unknown>)) {
          if (key === 'from' || key === 'join' || key === 'firstOf' || key === 'when') walk(y);
        }
      }
    };
    walk(v);
    return out;
  };
  // A test for absence (`present: false`) holds where its path is absent (the disability flag's type, made where no
  // assessment is): a page without it empties nothing.
  if (present !== false) {
    if (typeof from === 'string') add(refs(from));
    if (Array.isArray(join)) add(refs(join));
    if (Array.isArray(firstOf)) add(refs(firstOf));
  }
  valueRefs(when, inEach, add);
}

/** A path as the mapper reads it, compiled; relative when read inside `each` without `$.`. Null when it does not compile (validation reports it). */
function compiledRef(path: string, inEach: boolean): Ref | null {
  const trimmed = path.trim().normalize('NFC');
  const relative = inEach && !trimmed.startsWith('$.');
  try {
    return { path: compilePath(readPathKey(trimmed)), relative };
  } catch {
    return null;
  }
}
