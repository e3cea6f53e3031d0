/**
 * Compiles one value of a mapping into a closure. Everything a value needs (paths, parsers, map tables, test
 * operands) is prepared here once per definition, so evaluating a record is a chain of closure calls with no
 * parsing of the mapping and no schema work.
 */
import { foldName } from '../../domain/vietnamese-name.js';
import type { RecordProblem } from '../../services/ingest/source-record.validator.js';
import { compilePath, firstMatch } from '../paths.js';
import type { MappingFlag } from '../types.js';
import { DATES_INCONSISTENT, describeSource, disagree } from './date-consistency.js';
import { EXTERNAL_ID_TARGET, type FieldTarget, type ParseKind } from './field-targets.js';
import type { Scalar, ValueSpec } from './mapping.schema.js';
import { parseBoolean } from './parse-boolean.js';
import { compileCommuneParser } from './parse-commune.js';
import { compileDateParser } from './parse-date.js';
import { compileDateTimeParser } from './parse-datetime.js';
import { ParseFailure, type MappingProblemCode } from './parse-failure.js';
import { parseIdentityNumber } from './parse-identity-number.js';
import { parseInteger } from './parse-integer.js';
import { parseName } from './parse-name.js';
import { parseSex } from './parse-sex.js';
import { parseText } from './parse-text.js';
import { CommuneValue, FlaggedValue, IsoDate } from './parsed-values.js';
import { memoize } from './memo.js';
import { describeValue } from './value-kind.js';

/** Problems and flags collected while mapping one record (arrays made only when needed). */
export class MappingContext {
  problems: RecordProblem[] | null = null;
  flags: MappingFlag[] | null = null;

  problem(field: string, code: MappingProblemCode, message: string): void {
    (this.problems ??= []).push({ field, code, message });
  }

  flag(field: string, code: string, message: string): void {
    (this.flags ??= []).push({ field, code, message });
  }
}

/**
 * A compiled value: the value found in `scope` (the record, or the `each` element) and `root` (the record),
 * parsed; `undefined` when absent. Problems and flags go to `ctx`.
 */
export type Evaluate = (scope: unknown, root: unknown, ctx: MappingContext) => unknown;

/** A mapping that cannot be compiled (a constant that does not parse as its field's kind). */
export class MappingCompileError extends Error {
  readonly code = 'CONNECTOR_MAPPING_INVALID';
  constructor(readonly field: string, reason: string) {
    super(`mapping of ${field}: ${reason}`);
    this.name = 'MappingCompileError';
  }
}

type Parser = (v: unknown) => unknown;

/** The parser of a parse kind, with the value's `formats` / `codeSet` options. */
export function compileParser(kind: ParseKind, spec: Pick<ValueSpec, 'formats' | 'codeSet'> = {}): Parser {
  switch (kind) {
    case 'text':
      return parseText;
    case 'name':
      return parseName;
    case 'sex':
      return parseSex;
    case 'date':
      return compileDateParser(spec.formats);
    case 'datetime':
      return compileDateTimeParser(spec.formats);
    case 'commune':
      return compileCommuneParser({ codeSet: spec.codeSet });
    case 'identityNumber':
      return parseIdentityNumber;
    case 'integer':
      return parseInteger;
    case 'boolean':
      return parseBoolean;
  }
}

/** Turns a parser's result into a value: failures become problems, unresolved communes and flagged values flags. */
function settle(r: unknown, field: string, ctx: MappingContext): unknown {
  if (r instanceof ParseFailure) {
    ctx.problem(field, r.code, r.message);
    return undefined;
  }
  if (r instanceof CommuneValue && r.unresolved !== null) {
    ctx.flag(field, r.flag, r.unresolved);
    return r.code === null ? undefined : r;
  }
  if (r instanceof FlaggedValue) {
    ctx.flag(field, r.flag, r.message);
    return r.value;
  }
  return r;
}

/** The last value one column was parsed from with one parser, and what it gave. */
interface LastParse {
  taken: boolean;
  input: unknown;
  output: unknown;
}

/**
 * Bound on {@link LAST_PARSES}: one entry per column and parse written in the definitions compiled, so only
 * definitions changed over and over could reach it.
 */
const LAST_PARSES_LIMIT = 10_000;
const LAST_PARSES = new Map<string, LastParse>();

/**
 * The last parse of column `from` with `kind` (and the options a parser takes), shared by every value of every
 * definition that reads it so: a definition reading a column for a record field and again for a projection
 * (`Họ tên cha` for `fatherName` and for the birth registration's) parses each record's value once. Parsers
 * are pure functions of the value and their results immutable, so an equal value may take the last result,
 * whichever record, mapping or definition it came from; the entry only makes the repeat cheap.
 */
function lastParse(from: string, kind: ParseKind, spec: Pick<ValueSpec, 'formats' | 'codeSet'>): LastParse {
  const key = `${kind}\u0000${spec.codeSet ?? ''}\u0000${JSON.stringify(spec.formats ?? null)}\u0000${from}`;
  let last = LAST_PARSES.get(key);
  if (last === undefined) {
    if (LAST_PARSES.size >= LAST_PARSES_LIMIT) LAST_PARSES.clear();
    last = { taken: false, input: undefined, output: undefined };
    LAST_PARSES.set(key, last);
  }
  return last;
}

function parsed(parser: Parser, field: string): (v: unknown, ctx: MappingContext) => unknown {
  return (v, ctx) => {
    const r = parser(v);
    // Strings, numbers and booleans (the common results) need no further look.
    return r === undefined || typeof r !== 'object' ? r : settle(r, field, ctx);
  };
}

const SIMPLE_KEY = /^[^.[\]"]+$/;

type Reader = (scope: unknown, root: unknown) => unknown;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Reads a path. A key written exactly like the path (a column header such as `Ngày đ.ký`) wins over path
 * syntax; `$.` reads from the record root instead of the `each` element.
 */
export function compileReader(path: string): Reader {
  if (path.startsWith('$.')) {
    const inner = compileReader(path.slice(2));
    return (_scope, root) => inner(root, root);
  }
  if (SIMPLE_KEY.test(path)) {
    // A key no object inherits can be read directly; others (`constructor`, `toString`) only as own keys.
    if (!(path in Object.prototype)) return (scope) => (isRecord(scope) ? scope[path] : undefined);
    return (scope) => (isRecord(scope) && Object.hasOwn(scope, path) ? scope[path] : undefined);
  }
  const compiled = compilePath(path);
  return (scope) => (isRecord(scope) && Object.hasOwn(scope, path) ? scope[path] : firstMatch(compiled, scope));
}

/** Empty for `firstOf` and `join`: absent, null, or blank text. */
function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** Values compared by `map` and tests repeat (statuses, yes/no words), so their normalisation is memoised. */
const trimmedNfc = memoize((s: string) => s.trim().normalize('NFC'), 20_000);
/** Text compared loosely: NFC, whitespace of any kind (a no-break space, doubled spaces) as one space, lower case. */
const loose = memoize((s: string) => s.normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase(), 20_000);
/** Text compared without its accents: {@link loose}, diacritics and tone marks removed, `đ` as `d`. */
const folded = memoize((s: string) => foldName(loose(s)), 20_000);
/** Text written without accents (ASCII): what a register or a typist leaves out, it cannot be asked to match. */
const PLAIN = /^[\x00-\x7f]*$/;

/**
 * How `map` keys and the operands of `equals`, `contains` and `in` are compared with a value's text form
 * ({@link comparable}): exactly, else ignoring letter case and spacing, and ignoring accents when either side is
 * written without them. Registers write in capitals (`TRẺ BỊ BỎ RƠI`), sometimes without diacritics
 * (`Tre bi bo roi`), with a no-break space from a copied cell: QA found the evidence that a child was abandoned
 * dropped for each of these. Accents are compared when both sides have them: `Nám` is not `Năm` (`Nam`, written
 * without them, is both). For `contains`, what counts is the part of the value that matches.
 */
class TextOperand {
  readonly exact: string;
  readonly loose: string;
  readonly folded: string;
  readonly plain: boolean;
  constructor(text: string) {
    this.exact = trimmedNfc(text);
    this.loose = loose(text);
    this.folded = folded(text);
    this.plain = PLAIN.test(this.loose);
  }

  /** Whether the value's text `v` is this text (`whole`), or contains it. */
  isIn(v: string, whole: boolean): boolean {
    if (whole ? v === this.exact : v.includes(this.exact)) return true;
    const l = loose(v);
    if (whole ? l === this.loose : l.includes(this.loose)) return true;
    const f = folded(v);
    if (whole) return (this.plain || PLAIN.test(l)) && f === this.folded;
    if (this.plain) return f.includes(this.folded);
    // The text with accents, the value's matching part written without them (`Tre bi bo roi, tiếp nhận tại chùa`:
    // QA re-check). The fold keeps each letter in its place, so the part is found at the same place.
    if (f.length !== l.length) return PLAIN.test(l) && f.includes(this.folded);
    for (let at = f.indexOf(this.folded); at >= 0; at = f.indexOf(this.folded, at + 1)) {
      if (PLAIN.test(l.slice(at, at + this.folded.length))) return true;
    }
    return false;
  }
}

/**
 * A lookup from text to results by {@link TextOperand}'s rules: the exact key first, then one equal ignoring
 * case and spacing, then ignoring accents (a key or a value written without them). Keys that two results share
 * at a looser level (`Nam` and `NAM` mapped apart) are left to the stricter levels.
 */
class TextTable<T> {
  private readonly exact: Map<string, T>;
  private readonly loose: Map<string, T>;
  /** Every key without accents, for a value written without them. */
  private readonly folded: Map<string, T>;
  /** The keys written without accents, without them, for any value. */
  private readonly plainKeys: Map<string, T>;

  constructor(entries: Iterable<[string, T]>) {
    const keys = Array.from(entries, ([k, v]) => [new TextOperand(k), v] as const);
    this.exact = new Map(keys.map(([o, v]) => [o.exact, v]));
    this.loose = unambiguous(keys.map(([o, v]) => [o.loose, v]));
    this.folded = unambiguous(keys.map(([o, v]) => [o.folded, v]));
    this.plainKeys = unambiguous(keys.filter(([o]) => o.plain).map(([o, v]) => [o.folded, v]));
  }

  get size(): number {
    return this.exact.size;
  }

  /** The result for the value's text `v`: found (with `value`) or not. */
  lookUp(v: string): { found: true; value: T } | { found: false } {
    const exact = this.exact.get(v);
    if (exact !== undefined || this.exact.has(v)) return { found: true, value: exact as T };
    const l = loose(v);
    if (this.loose.has(l)) return { found: true, value: this.loose.get(l) as T };
    const f = folded(v);
    const byAccentless = PLAIN.test(l) ? this.folded : this.plainKeys;
    if (byAccentless.has(f)) return { found: true, value: byAccentless.get(f) as T };
    return { found: false };
  }
}

/** The pairs as a map, less the keys given two results (neither is guessed). */
function unambiguous<T>(pairs: ReadonlyArray<readonly [string, T]>): Map<string, T> {
  const out = new Map<string, T>();
  const clashes = new Set<string>();
  for (const [k, v] of pairs) {
    if (out.has(k) && out.get(k) !== v) clashes.add(k);
    else out.set(k, v);
  }
  for (const k of clashes) out.delete(k);
  return out;
}

/** The text form values are compared and looked up by: trimmed, NFC. */
function comparable(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return trimmedNfc(v);
  if (v instanceof IsoDate) return v.iso;
  if (v instanceof CommuneValue) return v.code ?? undefined;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : String(parseText(v));
  if (typeof v === 'object') return undefined;
  return String(v);
}

const TRUE: Evaluate = () => true;

/**
 * Compiles a value for a field.
 *
 * @param spec the value, or a bare path (an element of `join` / `firstOf`)
 * @param field the name problems and flags carry (`birthDate`, `groups[0].since`, …)
 * @param target the field's kind; null for an element of `join`/`firstOf`, which stays raw unless it names a parse
 */
export function compileValue(spec: ValueSpec | string, field: string, target: FieldTarget | null): Evaluate {
  if (typeof spec === 'string') return compileValue({ from: spec }, field, null);

  const transformed = spec.map !== undefined || spec.equals !== undefined || spec.contains !== undefined || spec.in !== undefined || spec.present !== undefined;
  const parseKind: ParseKind | null = spec.parse ?? (transformed ? 'text' : (target?.parse ?? null));
  const parser = parseKind === null ? null : compileParser(parseKind, spec);
  const parse = parser === null ? null : parsed(parser, field);

  // 1. Where the value comes from.
  let source: Evaluate;
  if (spec.from !== undefined) {
    const read = compileReader(spec.from);
    if (parser === null) source = (scope, root) => read(scope, root);
    else {
      // The common case, written out: read, parse, and look further only at an object result. A column read
      // with the same parse elsewhere in the definition (a record field and its projection's: the father's
      // name, the commune) is parsed once a record: see {@link lastParse}.
      const last = lastParse(spec.from, parseKind!, spec);
      source = (scope, root, ctx) => {
        const v = read(scope, root);
        let r: unknown;
        if (last.taken && v === last.input) r = last.output;
        else {
          r = parser(v);
          last.input = v;
          last.output = r;
          last.taken = true;
        }
        return r === undefined || typeof r !== 'object' ? r : settle(r, field, ctx);
      };
    }
  } else if (spec.join !== undefined) {
    const parts = spec.join.map((el) => compileValue(el, field, null));
    // Each part as the problem names it: its column (a constant written as a bare string is a column too, which the
    // message then shows: QA, `join: ["QM", …]` quarantined every record without saying why).
    const partNames = spec.join.map((el, i) => {
      const source = describeSource(el);
      return `part ${i + 1}${source ? ` (${source})` : ''} of the ${spec.join!.length}`;
    });
    const separator = spec.separator ?? ' ';
    // A record id joins every part or is missing: left out, an empty part made another record's id (QA: rows
    // with no `Mã đối tượng` all became `BTXH`, each replacing the last). Other joins leave empty parts out.
    const whole = target === EXTERNAL_ID_TARGET;
    source = (scope, root, ctx) => {
      let out: string | undefined;
      for (let i = 0; i < parts.length; i++) {
        const v = parts[i]!(scope, root, ctx);
        if (isEmpty(v)) {
          if (!whole) continue;
          ctx.problem(field, 'REQUIRED', `${partNames[i]!} the record id joins is empty: the id would be another record's`);
          return undefined;
        }
        const text = settle(parseText(v), field, ctx);
        if (text === undefined) continue;
        out = out === undefined ? (text as string) : out + separator + (text as string);
      }
      return parse && out !== undefined ? parse(out, ctx) : out;
    };
  } else if (spec.firstOf !== undefined) {
    const options = spec.firstOf.map((el) => compileValue(el, field, null));
    // An element's own `formats` or `codeSet` (without a parse of its own) say how the value reads that element: a
    // second column of pre-2025 codes (QA: its `codeSet: VN-PRE2025` was accepted, then ignored).
    const parsers = spec.firstOf.map((el) =>
      parser !== null && typeof el !== 'string' && el.parse === undefined && (el.formats !== undefined || el.codeSet !== undefined)
        ? compileParser(parseKind!, { formats: el.formats ?? spec.formats, codeSet: el.codeSet ?? spec.codeSet })
        : parser,
    );
    const parses = parsers.map((p) => (p === parser ? parse : p && parsed(p, field)));
    source = (scope, root, ctx) => {
      for (let i = 0; i < options.length; i++) {
        const v = options[i]!(scope, root, ctx);
        if (!isEmpty(v)) {
          const p = parses[i];
          return p ? p(v, ctx) : v;
        }
      }
      return undefined;
    };
    if (parseKind === 'date' && parser !== null && options.length > 1) source = checkDateChoices(spec.firstOf, options, parsers as Parser[], field);
    if (parseKind === 'commune' && parser !== null && options.length > 1) source = chooseCommune(options, parsers as Parser[], field, source);
  } else {
    const constant: Scalar | undefined = spec.value;
    source = parse ? (_s, _r, ctx) => parse(constant, ctx) : () => constant;
  }

  // 2. A lookup or a test.
  let value = source;
  if (spec.map !== undefined) value = compileMap(spec, source, field, target);
  else if (transformed) value = compileTest(spec, source, field);

  // 3. `required` and `when`.
  if (spec.required) {
    const inner = value;
    value = (scope, root, ctx) => {
      const told = ctx.problems?.length ?? 0;
      const v = inner(scope, root, ctx);
      // Not when the value's own problem says why it is missing (QA: a sex `X` was INVALID_SEX and REQUIRED).
      if (v === undefined && (ctx.problems?.length ?? 0) === told) ctx.problem(field, 'REQUIRED', 'a value is required but none was found');
      return v;
    };
  }
  if (spec.when !== undefined) {
    const when = compileTest(spec.when, null, field);
    const inner = value;
    value = (scope, root, ctx) => (when(scope, root, ctx) === true ? inner(scope, root, ctx) : undefined);
  }

  // A field of a closed list (a status, a type) given a source's value as it is, not one of the list: told with the
  // record's other problems, not in a second round once they are fixed (QA: NOT_ALLOWED_VALUE came only after the
  // mapping's problems were mended). Constants are checked when the definition is validated.
  if (target?.oneOf && !target.caseless) {
    const allowed = target.oneOf;
    const inner = value;
    const message = `must be one of ${allowed.join(', ')}`;
    value = (scope, root, ctx) => {
      const v = inner(scope, root, ctx);
      if (typeof v !== 'string' || allowed.includes(v)) return v;
      ctx.problem(field, 'NOT_ALLOWED_VALUE', `${message}; got ${describeValue(v)} (map the source's values onto these)`);
      return v; // the record is refused for it: not also told as missing
    };
  }

  // A constant without a condition is worked out once.
  if (spec.value !== undefined && spec.when === undefined && spec.required !== true) {
    const ctx = new MappingContext();
    const v = value(undefined, undefined, ctx);
    if (ctx.problems) throw new MappingCompileError(field, ctx.problems.map((p) => p.message).join('; '));
    if (!ctx.flags) return () => v;
  }
  return value;
}

/** Evaluates the choices of a `firstOf` that are not taken: whatever they find wrong is no problem of the record. */
const UNTAKEN = new MappingContext();

/**
 * A date read with `firstOf` from several columns of the same fact (`Ngày sinh`, then `Năm sinh`): the first
 * present is taken, as for any `firstOf`, and a later one that is present and reads as a date must agree with it
 * at the precision both give (a day in 2015 and the year 2015 agree; the year 2014 does not). When one does not,
 * the record is flagged DATES_INCONSISTENT (not rejected): one of the columns is a typo, and which is not known.
 * A later choice that does not read as a date is ignored, as before (it is not the value).
 */
function checkDateChoices(choices: ReadonlyArray<string | ValueSpec>, options: Evaluate[], parsers: readonly Parser[], field: string): Evaluate {
  const names = choices.map((c) => describeSource(c) || 'another choice of its firstOf');
  // One message per pair, written once: the columns are named, the dates never (they are personal data).
  const messages = names.map((later, j) => names.slice(0, j).map((taken) => `${field} reads ${taken} and ${later}, which give different dates: ${taken} is kept`));
  return (scope, root, ctx) => {
    let taken = -1;
    let date: unknown;
    for (let i = 0; i < options.length; i++) {
      const v = options[i]!(scope, root, ctx);
      if (isEmpty(v)) continue;
      taken = i;
      date = parsers[i]!(v);
      break;
    }
    if (taken < 0) return undefined;
    if (date instanceof IsoDate) {
      for (let j = taken + 1; j < options.length; j++) {
        const other = parsers[j]!(options[j]!(scope, root, UNTAKEN));
        UNTAKEN.problems = null;
        UNTAKEN.flags = null;
        if (other instanceof IsoDate && disagree(date.iso, date.precision, other.iso, other.precision)) {
          ctx.flag(field, DATES_INCONSISTENT, messages[j]![taken]!);
          break;
        }
      }
    }
    // As any parsed value (see `parsed`): a failure becomes the record's problem.
    return date === undefined || typeof date !== 'object' ? date : settle(date, field, ctx);
  };
}

/**
 * A commune read with `firstOf` from several columns of the same fact (a facility's `Mã xã`, then its `Xã/phường`):
 * the first that resolves to a 2025 commune is taken, so a code the 2025 list lacks, a malformed one or an old-style
 * name gives way to a column that resolves (QA: an unknown code took the place of a name that resolved, and a
 * malformed one refused the row). When none resolves, the first present is taken as for any `firstOf`: kept as
 * given and flagged, or refused, as it would be alone.
 */
function chooseCommune(options: Evaluate[], parsers: readonly Parser[], field: string, firstPresent: Evaluate): Evaluate {
  return (scope, root, ctx) => {
    for (let i = 0; i < options.length; i++) {
      const v = options[i]!(scope, root, UNTAKEN);
      UNTAKEN.problems = null;
      UNTAKEN.flags = null;
      if (isEmpty(v)) continue;
      const r = parsers[i]!(v);
      // Resolved: a 2025 code, also one found from a pre-2025 address (kept, and flagged so).
      if (r instanceof CommuneValue && r.code !== null && (r.unresolved === null || r.flag === 'COMMUNE_FROM_OLD_ADDRESS')) return settle(r, field, ctx);
    }
    return firstPresent(scope, root, ctx);
  };
}

function compileMap(spec: ValueSpec, source: Evaluate, field: string, target: FieldTarget | null): Evaluate {
  const table = new TextTable<Scalar | null>(Object.entries(spec.map!));
  const hasDefault = spec.default !== undefined;
  const fallback = spec.default ?? undefined;
  const size = table.size;
  // The map's result is of the field's kind (e.g. "MALE" for sex, "2024" for a date): read it as such.
  const coerce = target && target.parse !== 'text' ? parsed(compileParser(target.parse, spec), field) : null;
  const finish = (r: Scalar | null | undefined, ctx: MappingContext): unknown => {
    if (r === null || r === undefined) return undefined;
    return coerce ? coerce(r, ctx) : r;
  };
  return (scope, root, ctx) => {
    const v = source(scope, root, ctx);
    const key = comparable(v);
    if (key === undefined || key === '') return hasDefault ? finish(fallback, ctx) : undefined;
    const hit = table.lookUp(key);
    if (hit.found) return finish(hit.value, ctx);
    if (hasDefault) return finish(fallback, ctx);
    ctx.problem(field, 'UNKNOWN_VALUE', `expected one of the ${size} mapped values; got ${describeValue(v)}`);
    return undefined;
  };
}

/**
 * A test: `equals`, `contains`, `in` or `present` over `source`; with `source` null, the whole spec is compiled
 * as the test (a `when`). A `parse: boolean` value without a test is true when the value reads as true.
 */
function compileTest(spec: ValueSpec, source: Evaluate | null, field?: string): Evaluate {
  if (source === null) {
    // `when`: the spec is a value whose result must be the boolean true.
    const whole = compileValue(spec, field ?? 'when', { parse: 'boolean', allowed: ['boolean'], description: '' });
    return whole;
  }
  if (spec.present !== undefined) {
    const want = spec.present;
    return (scope, root, ctx) => (source(scope, root, ctx) !== undefined) === want;
  }
  if (typeof spec.equals === 'boolean') {
    // A yes/no as `parse: boolean` reads it: APIs send 1/0, registers `Có`/`x` (QA: `equals: true` held for
    // the text "true" only, so a disability sent as 1 gave no group).
    // A value that reads as neither is told, not taken as false (QA: a disability written `Khuyết tật` gave no
    // group d, with nothing said): the record is quarantined naming the field, and the mapping can be mended.
    const want = spec.equals;
    // Named by the path it reads, not only the rule's field (QA re-check: `groups[0].when` left the engineer to find the column).
    const read = typeof spec.from === 'string' ? `«${spec.from}»` : 'the value';
    return (scope, root, ctx) => {
      const v = parseBoolean(source(scope, root, ctx));
      if (v instanceof ParseFailure) {
        ctx.problem(field ?? 'when', v.code, `equals: ${want} reads ${read} as a yes/no: ${v.message}`);
        return false;
      }
      return v === want;
    };
  }
  if (spec.equals !== undefined) {
    const operand = new TextOperand(comparable(spec.equals)!);
    return (scope, root, ctx) => {
      const v = comparable(source(scope, root, ctx));
      return v !== undefined && operand.isIn(v, true);
    };
  }
  if (spec.contains !== undefined) {
    // Text contains the empty text; an absent value contains nothing.
    const operand = new TextOperand(spec.contains);
    return (scope, root, ctx) => {
      const v = comparable(source(scope, root, ctx));
      return v !== undefined && operand.isIn(v, false);
    };
  }
  if (spec.in !== undefined) {
    const operands = new TextTable<true>(spec.in.map((x) => [comparable(x)!, true]));
    return (scope, root, ctx) => {
      const v = comparable(source(scope, root, ctx));
      return v !== undefined && operands.lookUp(v).found;
    };
  }
  return TRUE;
}

/** Compiles a `when`: true only when the test holds. */
export function compileCondition(spec: ValueSpec, field: string): Evaluate {
  return compileTest(spec, null, field);
}
