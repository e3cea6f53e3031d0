import { isUtf8 } from 'node:buffer';
import { yieldIfBusy } from '../../services/ingest/yield.js';

/**
 * `JSON.parse` of a UTF-8 body without first decoding the whole body into one string, letting the event
 * loop in between members.
 *
 * A page of a thousand records is about a megabyte. Decoded at once it is one string of two megabytes
 * (any Vietnamese letter makes it UTF-16) in V8's large-object space: memory mapped fresh from the system
 * for every page and faulted in 4 KB at a time, which was more than half the page faults of an HTTP sync
 * and, on a busy host, several percent of its CPU. Here the body's outer value (an object or an array, as
 * every paging API answers) is walked over its bytes, and each member is decoded and parsed on its own
 * (the elements of an array among an object's members one by one): small strings, in the young generation.
 *
 * The result is `JSON.parse`'s: same values, same key order, a duplicate key's last value, `__proto__` as a
 * plain member. Invalid JSON rejects with a `SyntaxError` (without quoting the body). Bodies under
 * {@link SPLIT_FROM_BYTES} are parsed whole: there the one string is cheap.
 *
 * Parsing a page at once held the event loop for 3 ms. A sync stages its next page while the current one
 * is stored: each statement of that transaction waited for the parse to let its answer in. Parsed member by
 * member, the parse yields like the rest of the staging ({@link yieldIfBusy}).
 *
 * Given `sources`, every object that is an element of the outer array, or of an array member of the outer
 * object (a page's records), is mapped to its own bytes in the body (if they are valid UTF-8): the record
 * as the source sent it, which a sync hashes and stores instead of serialising the parsed object again.
 * Such a body is always walked (whatever its size), so a record gets its bytes whichever page it comes in.
 */
export async function parseJsonBytes(body: Buffer, sources?: WeakMap<object, Buffer>, tooDeep?: WeakSet<object>): Promise<unknown> {
  let start = 0;
  // A byte-order mark (some Windows servers send one) is not JSON, but is no reason to fail a page.
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) start = 3;
  if (body.length - start < SPLIT_FROM_BYTES && sources === undefined) return parseWhole(body, start);
  return new Splitter(body, start, sources, tooDeep).document();
}

/**
 * The deepest nesting a record is stored with. PostgreSQL's JSON parser runs out of stack between 10,000 and
 * 30,000 levels (`54001`), which failed a whole page for one record (QA); no agency record nests beyond a
 * few dozen. A record deeper than this is added to `tooDeep` (with `sources`), for the page to quarantine it.
 */
export const MAX_RECORD_DEPTH = 1_000;

/** Below this size a body is decoded and parsed in one go. */
export const SPLIT_FROM_BYTES = 64 * 1024;

function parseWhole(body: Buffer, start: number): unknown {
  const text = body.toString('utf8', start);
  if (text.trim() === '') throw new SyntaxError('empty body');
  return JSON.parse(text);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

class Splitter {
  private at: number;
  private readonly end: number;

  /** The deepest nesting {@link valueEnd} met since it was last reset. */
  private deepest = 0;

  constructor(
    private readonly b: Buffer, start: number,
    private readonly sources: WeakMap<object, Buffer> | undefined, private readonly tooDeep: WeakSet<object> | undefined,
  ) {
    this.at = start;
    this.end = b.length;
  }

  async document(): Promise<unknown> {
    this.space();
    const c = this.b[this.at];
    let value: unknown;
    if (c === OPEN_OBJECT) value = await this.object();
    else if (c === OPEN_ARRAY) value = await this.array();
    else return parseWhole(this.b, this.at);
    this.space();
    if (this.at !== this.end) this.fail('unexpected data after the JSON value');
    return value;
  }

  /** The outer object, each member parsed on its own; members that are arrays element by element. */
  private async object(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    if (this.opened(CLOSE_OBJECT)) return out;
    for (;;) {
      if (this.b[this.at] !== QUOTE) this.fail('expected a member name');
      const keyEnd = this.stringEnd(this.at);
      const key = JSON.parse(this.b.toString('utf8', this.at, keyEnd)) as string;
      this.at = keyEnd;
      this.space();
      if (this.b[this.at] !== COLON) this.fail('expected a colon');
      this.at++;
      this.space();
      const value = this.b[this.at] === OPEN_ARRAY ? await this.array() : this.value();
      if (key === '__proto__') Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      else out[key] = value;
      if (this.closed(CLOSE_OBJECT)) return out;
    }
  }

  /** An array, each element parsed on its own. */
  private async array(): Promise<unknown[]> {
    const out: unknown[] = [];
    if (this.opened(CLOSE_ARRAY)) return out;
    for (;;) {
      const y = yieldIfBusy();
      if (y) await y;
      const from = this.at;
      this.deepest = 0;
      const value = this.value();
      if (this.sources !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        if (this.deepest > MAX_RECORD_DEPTH) this.tooDeep?.add(value);
        // Bytes that are not UTF-8 were decoded with replacement characters: the object is not their JSON.
        const bytes = this.b.subarray(from, this.at);
        if (isUtf8(bytes)) this.sources.set(value, bytes);
      }
      out.push(value);
      if (this.closed(CLOSE_ARRAY)) return out;
    }
  }

  /** Steps into the object or array opening here; true if it is empty (and stepped past its end). */
  private opened(close: number): boolean {
    this.at++;
    this.space();
    if (this.b[this.at] !== close) return false;
    this.at++;
    return true;
  }

  /** After a member: true at the container's end (stepped past it), false after a comma. */
  private closed(close: number): boolean {
    this.space();
    const c = this.b[this.at++];
    if (c === close) return true;
    if (c !== COMMA) this.fail(`expected a comma or ${close === CLOSE_OBJECT ? 'a closing brace' : 'a closing bracket'}`);
    this.space();
    return false;
  }

  /** The value starting here, parsed from its own bytes. */
  private value(): unknown {
    const from = this.at;
    const to = this.valueEnd(from);
    this.at = to;
    return JSON.parse(this.b.toString('utf8', from, to));
  }

  /**
   * Where the value starting at `from` ends. Only strings and nesting are followed; whatever else is
   * wrong inside a value is for `JSON.parse` of its bytes to find.
   */
  private valueEnd(from: number): number {
    const b = this.b;
    const end = this.end;
    const first = b[from];
    if (first === QUOTE) return this.stringEnd(from);
    if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
      let depth = 0;
      for (let i = from; i < end; i++) {
        const c = b[i]!;
        if (c === QUOTE) {
          i = this.stringEnd(i) - 1;
        } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
          if (++depth > this.deepest) this.deepest = depth;
        } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
          if (--depth === 0) return i + 1;
        }
      }
      return this.fail('unterminated object or array');
    }
    let i = from;
    while (i < end) {
      const c = b[i]!;
      if (c === COMMA || c === CLOSE_ARRAY || c === CLOSE_OBJECT || isSpace(c)) break;
      i++;
    }
    if (i === from) this.fail('expected a value');
    return i;
  }

  /** Just past the closing quote of the string whose opening quote is at `from`. */
  private stringEnd(from: number): number {
    const b = this.b;
    const end = this.end;
    for (let i = from + 1; i < end; i++) {
      const c = b[i]!;
      if (c === QUOTE) return i + 1;
      if (c === BACKSLASH) i++;
    }
    return this.fail('unterminated string');
  }

  private space(): void {
    while (this.at < this.end && isSpace(this.b[this.at]!)) this.at++;
  }

  private fail(reason: string): never {
    throw new SyntaxError(`invalid JSON at byte ${this.at}: ${reason}`);
  }
}
