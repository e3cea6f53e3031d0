/**
 * The path language of connector definitions: where a value sits in a record or a response body.
 *
 * - `a.b.c` walks object keys; `"Ngày đ.ký"` quotes a key holding dots, spaces or brackets.
 * - `a[0]` picks an element, `a[*]` every element, `a[k=v]` every element whose `k` (itself a path) equals
 *   `v` as a string (`v` may be quoted: `identifier[system="urn:vn:so-dinh-danh-ca-nhan"].value`), `a[k!=v]`
 *   every element whose `k` finds no such value (an element without `k` is kept), and `a[k=v & j!=w]` every
 *   element meeting each of the conditions (`identifier[system="urn:vn:so-dinh-danh-ca-nhan" & use!=old]`);
 *   `a[k=v|w]` every element whose `k` is one of the values (`!=`: none of them). `&`, `|` and `=` in quotes are text.
 * - Arrays met without a bracket are not flattened: `a.b` on an array `a` finds nothing.
 *
 * A compiled path returns every match (possibly none); {@link firstMatch} takes the first. Paths are compiled
 * once per definition, so evaluation is a chain of closures with no parsing per record.
 */
import { AppError } from '../errors/app-error.js';

export type CompiledPath = ((value: unknown) => unknown[]) & { readonly source: string };

/**
 * A path that does not compile. Paths are written in definitions only (configuration, never a record's
 * text), so the message, quoting the path, is kept whole by logs and run history. `validate` reports these
 * ({@link pathProblem}); a definition that loads has none.
 */
export class PathSyntaxError extends AppError {
  override readonly name = 'PathSyntaxError';
  readonly code = 'CONNECTOR_PATH_INVALID';
  override readonly messageIsSafe = true;
  constructor(readonly path: string, readonly position: number, reason: string) {
    super(`invalid path ${JSON.stringify(path)} at ${position + 1}: ${reason}`, { path, position });
  }
}

/**
 * Why a path written in a definition does not compile, or null when it does: what `validate` reports, so a
 * definition that loads has no path the readers and the mapper could fail to compile. `allowRoot`: the
 * path may start with `$.` (a mapping value's path, reaching the record root from inside `each`).
 */
export function pathProblem(path: string, allowRoot: boolean): string | null {
  let p = path;
  if (p.startsWith('$.')) {
    if (!allowRoot) return 'a `$.` path reaches the record root and is only meaningful inside a value';
    p = p.slice(2);
  }
  try {
    compilePath(p);
    return null;
  } catch (e) {
    if (e instanceof PathSyntaxError) {
      return `${e.message}; quote a key (a column header) that holds [ ] " or a trailing dot, e.g. "\\"Số [CMND]\\""`;
    }
    throw e;
  }
}

type Step =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; conditions: Condition[] };

/** One condition of a filter: `path` finds one of `values` (or, `negate`d, finds none of them). */
interface Condition {
  path: CompiledPath;
  values: readonly string[];
  negate: boolean;
}

const cache = new Map<string, CompiledPath>();

/** Compiles a path; throws {@link PathSyntaxError} naming the position and reason. */
export function compilePath(path: string): CompiledPath {
  const hit = cache.get(path);
  if (hit) return hit;
  const steps = parse(path);
  const fn = ((root: unknown) => {
    let current: unknown[] = [root];
    for (const step of steps) {
      const next: unknown[] = [];
      for (const v of current) applyStep(step, v, next);
      if (next.length === 0) return next;
      current = next;
    }
    return current;
  }) as CompiledPath;
  Object.defineProperty(fn, 'source', { value: path });
  cache.set(path, fn);
  return fn;
}

/** The first value `path` finds in `value`, or undefined. */
export function firstMatch(path: CompiledPath, value: unknown): unknown {
  const all = path(value);
  return all.length ? all[0] : undefined;
}

function applyStep(step: Step, v: unknown, out: unknown[]): void {
  switch (step.kind) {
    case 'key':
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step.key)) {
        const x = (v as Record<string, unknown>)[step.key];
        if (x !== undefined) out.push(x);
      }
      return;
    case 'index':
      if (Array.isArray(v)) {
        const x = v[step.index < 0 ? v.length + step.index : step.index];
        if (x !== undefined) out.push(x);
      }
      return;
    case 'all':
      if (Array.isArray(v)) for (const x of v) if (x !== undefined) out.push(x);
      return;
    case 'filter':
      if (Array.isArray(v)) {
        for (const x of v) if (step.conditions.every((c) => finds(c, x) !== c.negate)) out.push(x);
      }
      return;
  }
}

/** Whether the condition's path finds one of its values in `x` (a scalar written as that text). */
function finds(c: Condition, x: unknown): boolean {
  return c.path(x).some((y) => y !== null && typeof y !== 'object' && c.values.includes(String(y)));
}

function parse(path: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const n = path.length;
  if (n === 0) throw new PathSyntaxError(path, 0, 'empty path');
  const readQuoted = (): string => {
    // i points at the opening quote
    let out = '';
    i++;
    while (i < n && path[i] !== '"') {
      if (path[i] === '\\' && i + 1 < n) i++;
      out += path[i];
      i++;
    }
    if (i >= n) throw new PathSyntaxError(path, i, 'unterminated quote');
    i++;
    return out;
  };
  let expectKey = true;
  while (i < n) {
    const c = path[i]!;
    if (c === '[') {
      const close = findClose(path, i);
      const inner = path.slice(i + 1, close).trim();
      steps.push(bracket(path, i, inner));
      i = close + 1;
      expectKey = false;
      continue;
    }
    if (c === '.') {
      if (expectKey) throw new PathSyntaxError(path, i, 'a key is missing before "."');
      i++;
      expectKey = true;
      if (i >= n) throw new PathSyntaxError(path, i - 1, 'a key is missing after "."');
      continue;
    }
    if (!expectKey) throw new PathSyntaxError(path, i, 'expected "." or "["');
    if (c === '"') {
      steps.push({ kind: 'key', key: readQuoted() });
    } else {
      let j = i;
      while (j < n && path[j] !== '.' && path[j] !== '[') {
        if (path[j] === ']' || path[j] === '"') throw new PathSyntaxError(path, j, `unexpected ${path[j]}`);
        j++;
      }
      steps.push({ kind: 'key', key: path.slice(i, j) });
      i = j;
    }
    expectKey = false;
  }
  if (expectKey) throw new PathSyntaxError(path, n - 1, 'a key is missing');
  return steps;
}

function findClose(path: string, open: number): number {
  let depth = 0;
  let inQuote = false;
  for (let j = open; j < path.length; j++) {
    const c = path[j];
    if (inQuote) {
      if (c === '\\') j++;
      else if (c === '"') inQuote = false;
      continue;
    }
    if (c === '"') inQuote = true;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return j;
  }
  throw new PathSyntaxError(path, open, 'unclosed "["');
}

function bracket(path: string, at: number, inner: string): Step {
  if (inner === '*') return { kind: 'all' };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const texts = splitTopLevel(inner, '&');
  if (texts.length > 1 && texts.some((t) => t.trim() === '')) throw new PathSyntaxError(path, at, 'a condition is missing beside "&"');
  return { kind: 'filter', conditions: texts.map((text) => condition(path, at, text.trim())) };
}

/** `k=v`, `k!=v`, `k=v|w` (one of them) or `k!=v|w` (none of them): one condition of a filter. */
function condition(path: string, at: number, text: string): Condition {
  const eq = findTopLevel(text, '=');
  if (eq < 0) throw new PathSyntaxError(path, at, 'a bracket holds an index, "*" or a filter key=value (or key!=value, values v|w, conditions joined by &)');
  const negate = eq > 0 && text[eq - 1] === '!';
  const left = text.slice(0, negate ? eq - 1 : eq).trim();
  if (!left) throw new PathSyntaxError(path, at, `a filter needs a key before "${negate ? '!=' : '='}"`);
  const alternatives = splitTopLevel(text.slice(eq + 1), '|');
  const values = alternatives.map((v) => {
    const right = v.trim();
    if (alternatives.length > 1 && right === '') throw new PathSyntaxError(path, at, 'an alternative is missing beside "|"');
    if (!right.startsWith('"')) {
      // An unquoted value is a word: `=` or a quote in it is a slip (QA: `k==v`, `system="x" | use=old`, `k=x"v"` compiled).
      if (right.includes('=')) {
        throw new PathSyntaxError(path, at, alternatives.length > 1
          ? 'an alternative of "|" holds "=": conditions are joined by "&" (quote a value that holds "=")'
          : 'a value holds "=": quote it (k="a=b")');
      }
      if (right.includes('"')) throw new PathSyntaxError(path, at, 'a quote inside a value: quote the whole value (k="a b")');
      return right;
    }
    if (!right.endsWith('"') || right.length < 2) throw new PathSyntaxError(path, at, 'unterminated quote in filter');
    return right.slice(1, -1).replace(/\\(.)/g, '$1');
  });
  return { path: compilePath(left), values, negate };
}

/** `s` split at each `sep` outside quotes and brackets. */
function splitTopLevel(s: string, sep: string): string[] {
  const parts: string[] = [];
  let from = 0;
  for (;;) {
    const at = findTopLevel(s, sep, from);
    if (at < 0) break;
    parts.push(s.slice(from, at));
    from = at + 1;
  }
  parts.push(s.slice(from));
  return parts;
}

/** Where `ch` first stands in `s` from `from`, outside quotes and brackets, or -1. */
function findTopLevel(s: string, ch: string, from = 0): number {
  let inQuote = false;
  let depth = 0;
  for (let j = 0; j < s.length; j++) {
    const c = s[j];
    if (inQuote) {
      if (c === '\\') j++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ch && depth === 0 && j >= from) return j;
  }
  return -1;
}
