import { compilePath, firstMatch, type CompiledPath } from '../paths.js';
import type { RawRecord, ReaderReject } from '../types.js';
import { ConnectorMalformedResponseError } from './errors/connector-malformed-response-error.js';
import { MAX_RECORD_DEPTH } from './parse-json-bytes.js';
import { LONE_SURROGATE_MESSAGE, isWellFormed } from '../../services/ingest/storable-text.js';

export interface IncludeDefinition {
  path: string;
  key: string;
  equals: string;
  /** `reference`: the key and the template compare as FHIR references (see {@link fhirReference}). */
  match?: 'exact' | 'reference';
}

/** What a page body holds: its records (with `_include` when configured) and the entries that are not records. */
export interface PageContent {
  records: RawRecord[];
  /** The record objects as the source gave them (without `_include`), for the high-water mark. */
  objects: Array<Record<string, unknown>>;
  rejects: ReaderReject[];
  /**
   * Related records of the page that no record of it took, by include name (only names with some): a key or
   * template that does not match what the source writes, which leaves every record's related list empty.
   */
  unattached?: Record<string, number>;
}

interface CompiledInclude {
  name: string;
  path: CompiledPath;
  picksElements: boolean;
  key: CompiledPath;
  /** The `equals` template: literal text and placeholders (paths into the record), alternating. */
  parts: Array<string | CompiledPath>;
  /** How a key and the rendered template are compared: as written, or as the FHIR reference they write. */
  normalize: (key: string) => string;
}

/**
 * Takes the records out of a page body (`records`) and attaches to each the related records of the same body
 * (`include`). Paths are compiled once; related records are indexed by key once per page, so the join is
 * linear in the page size.
 */
export class PageRecords {
  private readonly records: CompiledPath;
  /** Whether `records` names one array (`data`) or picks elements itself (`entry[…].resource`, `items[*]`). */
  private readonly picksElements: boolean;
  private readonly includes: CompiledInclude[];

  /**
   * `maxRecords`: the most entries a page may count (`http.maxPageRecords`); a page with more is refused whole
   * before anything is made of its records, as what the sync makes of them is held while it stores them.
   */
  constructor(
    recordsPath: string,
    include: Readonly<Record<string, IncludeDefinition>> | undefined,
    private readonly maxRecords: number,
  ) {
    this.records = compilePath(recordsPath);
    this.picksElements = picksElements(recordsPath);
    this.includes = Object.entries(include ?? {}).map(([name, def]) => ({
      name,
      path: compilePath(def.path),
      picksElements: picksElements(def.path),
      key: compilePath(def.key),
      parts: parseTemplate(def.equals),
      normalize: def.match === 'reference' ? fhirReference : asWritten,
    }));
  }

  /**
   * Throws {@link ConnectorMalformedResponseError} when the body has no records array at `records`, or more than
   * `maxRecords` entries there.
   * `sources`: the bytes each parsed object came from (`parseJsonBytes`); a record found there with
   * nothing attached keeps them as {@link RawRecord.json}.
   */
  extract(body: unknown, page: number, what: string, sources?: WeakMap<object, Buffer>, tooDeep?: WeakSet<object>): PageContent {
    const found = this.findRecords(body, what);
    if (found.length > this.maxRecords) {
      throw new ConnectorMalformedResponseError(
        `${what} answered with ${found.length} records, more than the ${this.maxRecords} a page may hold, refused: ` +
          'ask for fewer records a page, with the pagination\'s size or the source\'s page-size parameter in request.params, or raise http.maxPageRecords',
        { records: found.length, maxPageRecords: this.maxRecords },
      );
    }
    const fullUrls = this.includes.some((inc) => inc.normalize === fhirReference) ? bundleFullUrls(body) : undefined;
    const indexes = this.includes.map((inc) => this.index(inc, body, fullUrls));
    const taken = this.includes.map(() => new Set<string>());
    const records: RawRecord[] = [];
    const objects: Array<Record<string, unknown>> = [];
    const rejects: ReaderReject[] = [];
    for (let i = 0; i < found.length; i++) {
      const entry = found[i];
      const location = `page ${page} entry ${i + 1}`;
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
        rejects.push({
          payload: entry,
          location,
          problems: [{ field: '(record)', code: 'NOT_AN_OBJECT', message: `expected a JSON object; got ${kindOf(entry)}` }],
        });
        continue;
      }
      const record = entry as Record<string, unknown>;
      if (tooDeep?.has(record)) {
        // Kept down to a depth any store takes, which holds its id (QA re-check: kept as a constant note, every deep
        // record was one reject without an id, never resolved): the sync reads the id from it as from the record.
        const kept = keptToDepth(record, KEPT_DEPTH) as Record<string, unknown>;
        rejects.push({
          payload: kept,
          location,
          problems: [{ field: '(record)', code: 'TOO_DEEP', message: `is nested more than ${MAX_RECORD_DEPTH} levels deep, deeper than a record is stored with` }],
          readable: { data: kept, location },
        });
        continue;
      }
      const json = sources?.get(record);
      let data = record;
      if (this.includes.length > 0) {
        const included: Record<string, unknown[]> = {};
        for (let k = 0; k < this.includes.length; k++) {
          const inc = this.includes[k]!;
          const rendered = render(inc.parts, record);
          const key = rendered === undefined ? undefined : inc.normalize(rendered);
          const related = key === undefined ? undefined : indexes[k]!.get(key);
          if (related) taken[k]!.add(key!);
          included[inc.name] = related ? related.slice() : [];
        }
        data = { ...record, _include: included };
      }
      // Only a record whose bytes hold an escape can hold a lone surrogate; related records have no bytes of their own.
      const illFormed = json === undefined || json.includes(UNICODE_ESCAPE) || data !== record ? illFormedTextAt(data) : undefined;
      if (illFormed !== undefined) {
        rejects.push({
          // As the source sent it: the quarantine writes the surrogate out as its escape, which json can hold.
          payload: data,
          location,
          problems: [{ field: illFormed, code: 'INVALID_TEXT', message: LONE_SURROGATE_MESSAGE }],
          readable: { data, location },
        });
        continue;
      }
      objects.push(record);
      // A record with something attached is no longer the JSON the source sent: it keeps no bytes.
      records.push(json && data === record ? { data, location, json } : { data, location });
    }
    let unattached: Record<string, number> | undefined;
    for (let k = 0; k < this.includes.length; k++) {
      let left = 0;
      for (const [key, list] of indexes[k]!) if (!taken[k]!.has(key)) left += list.length;
      if (left > 0) (unattached ??= {})[this.includes[k]!.name] = left;
    }
    return unattached ? { records, objects, rejects, unattached } : { records, objects, rejects };
  }

  private findRecords(body: unknown, what: string): unknown[] {
    if (body === null || typeof body !== 'object') {
      throw new ConnectorMalformedResponseError(`${what} answered with JSON that is not an object or array`, {});
    }
    const matches = this.records(body);
    // A path that picks elements finds the records themselves (none is a valid, empty page: FHIR leaves
    // `entry` out of an empty Bundle); a plain path must name one array.
    if (this.picksElements) return matches;
    if (matches.length === 1 && Array.isArray(matches[0])) return matches[0];
    throw new ConnectorMalformedResponseError(`${what} answered without an array at ${JSON.stringify(this.records.source)}`, {
      records: this.records.source,
    });
  }

  /** `fullUrls`: a FHIR Bundle's entries' `fullUrl` → `Type/id`, which a related record's reference may be written as. */
  private index(inc: CompiledInclude, body: unknown, fullUrls?: ReadonlyMap<string, string>): Map<string, unknown[]> {
    const normalize = fullUrls?.size ? (key: string) => fullUrls.get(key) ?? inc.normalize(key) : inc.normalize;
    const index = new Map<string, unknown[]>();
    const matches = inc.path(body);
    // Like `records`: a plain path names an array of related records.
    const all = !inc.picksElements && matches.length === 1 && Array.isArray(matches[0]) ? matches[0] : matches;
    for (const related of all) {
      const keys = inc.key(related);
      for (let j = 0; j < keys.length; j++) {
        const key = keys[j];
        if (key === null || typeof key === 'object') continue;
        const k = normalize(String(key));
        // A related record whose key path finds the same value twice is attached once.
        if (j > 0 && keys.slice(0, j).some((x) => x !== null && typeof x !== 'object' && normalize(String(x)) === k)) continue;
        const list = index.get(k);
        if (list) list.push(related);
        else index.set(k, [related]);
      }
    }
    return index;
  }
}

/**
 * `Patient/{id}` → ['Patient/', path(id), '']; `{{` and `}}` are literal braces. Throws on an unclosed `{` or a
 * placeholder that is not a path (`validate` reports both: see http.schema.ts).
 */
export function parseTemplate(template: string): Array<string | CompiledPath> {
  const parts: Array<string | CompiledPath> = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      literal += c;
      i++;
    } else if (c === '{') {
      const close = template.indexOf('}', i);
      if (close < 0) throw new Error(`unclosed "{" in include template ${JSON.stringify(template)}`);
      parts.push(literal, compilePath(template.slice(i + 1, close).trim()));
      literal = '';
      i = close;
    } else {
      literal += c;
    }
  }
  parts.push(literal);
  return parts;
}

/** The template over `record`; undefined when a placeholder finds nothing (such a record has no related records). */
function render(parts: ReadonlyArray<string | CompiledPath>, record: Record<string, unknown>): string | undefined {
  if (parts.length === 1) return parts[0] as string;
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const v = firstMatch(part, record);
    if (v === undefined || v === null || typeof v === 'object') return undefined;
    out += String(v);
  }
  return out;
}

const asWritten = (key: string) => key;

/**
 * A FHIR reference as `Type/id`: a reference may be relative (`Patient/123`), absolute
 * (`https://ehr.example/fhir/Patient/123`, as HAPI FHIR writes them behind some setups) or versioned
 * (`Patient/123/_history/3`), all to the same resource (FHIR R4 §2.3.0). Anything else is kept as written.
 */
export function fhirReference(key: string): string {
  const m = FHIR_REFERENCE.exec(key);
  return m ? m[1]! : key;
}
const FHIR_REFERENCE = /(?:^|\/)([A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * A FHIR Bundle's entries' `fullUrl` → the `Type/id` of the resource it holds, for references written as an entry's
 * fullUrl: `urn:uuid:…` (a Bundle's own identifiers, FHIR R4 §2.36.4.1) or the resource's absolute URL. Empty for a
 * body that is not a Bundle.
 */
function bundleFullUrls(body: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const entries = (body as { resourceType?: unknown; entry?: unknown } | null)?.entry;
  if ((body as { resourceType?: unknown }).resourceType !== 'Bundle' || !Array.isArray(entries)) return out;
  for (const e of entries) {
    if (e === null || typeof e !== 'object') continue;
    const { fullUrl, resource } = e as { fullUrl?: unknown; resource?: { resourceType?: unknown; id?: unknown } | null };
    if (typeof fullUrl !== 'string' || resource === null || typeof resource !== 'object') continue;
    const { resourceType, id } = resource;
    if (typeof resourceType === 'string' && (typeof id === 'string' || typeof id === 'number')) out.set(fullUrl, `${resourceType}/${id}`);
  }
  return out;
}

/** Whether a path picks elements of arrays (`[*]` or a filter) rather than naming one value. */
function picksElements(path: string): boolean {
  const unquoted = path.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return /\[\s*\*\s*\]/.test(unquoted) || /\[[^\]]*=/.test(unquoted);
}

/**
 * A lone surrogate can only come from a JSON escape (`\ud800` alone: the body is valid UTF-8, see parseBody): it
 * is half of a character, no text. Stored, it was a replacement character in a child's name without a word (QA);
 * the record is quarantined instead, naming the field, and the rest of the page is kept (storable-text.ts).
 */
const UNICODE_ESCAPE = '\\u';

/**
 * The path of the first string in `record` holding a lone surrogate (the object's path when a member name
 * does), or undefined. Walked without recursion: a record may nest deeper than the stack.
 */
export function illFormedTextAt(record: Record<string, unknown>): string | undefined {
  const stack: Array<[unknown, string]> = [[record, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (!isWellFormed(value)) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}[${i}]`]);
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (!isWellFormed(key)) return path || '(record)';
        stack.push([(value as Record<string, unknown>)[key], path ? `${path}.${key}` : key]);
      }
    }
  }
  return undefined;
}

/** How deep a record too deep to store is kept in its reject. */
const KEPT_DEPTH = 16;

/** `v` down to `depth` levels, a value nested deeper replaced by a note saying so. */
function keptToDepth(v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (depth === 0) return `(nested deeper: not kept)`;
  if (Array.isArray(v)) return v.map((e) => keptToDepth(e, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(v)) Object.defineProperty(out, k, { value: keptToDepth(e, depth - 1), writable: true, enumerable: true, configurable: true });
  return out;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
