import { once } from 'node:events';
import type { PoolClient } from 'pg';
import pgCopy from 'pg-copy-streams';

/**
 * Bulk inserts through `COPY … FROM STDIN` in its text format, on the caller's connection (so inside the
 * caller's transaction). PostgreSQL takes COPY rows two to three times cheaper than the same rows as
 * `INSERT … SELECT FROM unnest($arrays)` (no array literals to parse and unpack), which matters where
 * ingest writes a row per record. COPY cannot upsert: it is for rows known to be new.
 */

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const UNESCAPES: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r' };

/** A text value as one COPY field: `\N` for null, backslash escapes for the four characters COPY reads. */
export function copyText(v: string | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  return SPECIAL.test(v) ? v.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : v;
}

/** A boolean as one COPY field. */
export function copyBool(v: boolean | null | undefined): string {
  return v === null || v === undefined ? '\\N' : v ? 't' : 'f';
}

/** A number as one COPY field. */
export function copyNumber(v: number | null | undefined): string {
  return v === null || v === undefined ? '\\N' : String(v);
}

/** A value as a jsonb COPY field (JSON text, escaped like any text). */
export function copyJson(v: unknown): string {
  return copyText(JSON.stringify(v ?? null));
}

/**
 * The fields of one COPY text row as written by the helpers above: `\N` is null, the four escapes undone.
 * Lets a row encoded once for COPY be sent another way (as statement parameters) when COPY cannot take it.
 */
export function decodeCopyFields(row: string | Buffer): Array<string | null> {
  const text = typeof row === 'string' ? row : row.toString('utf8');
  return text.split('\t').map((f) => (f === '\\N' ? null : f.includes('\\') ? f.replace(/\\(.)/g, (_, c: string) => UNESCAPES[c] ?? c) : f));
}

/** Size of a {@link CopyEncoder} slab; a row longer than this gets a slab of its own. */
const SLAB_BYTES = 1 << 20;

/**
 * Encodes COPY text rows as UTF-8 straight into large slabs outside the JavaScript heap, a row at a time:
 * {@link start}, {@link put} its text (already COPY-escaped, fields joined by tabs) in as many pieces as is
 * convenient, {@link finish} to get its bytes — a view of the slab, valid for as long as it is referenced. A
 * batch waiting for its transaction then holds its rows as a few slabs of bytes instead of a string (and a
 * buffer) per row, which the garbage collector had to copy from space to space.
 */
export class CopyEncoder {
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private at = 0;
  private rowStart = 0;

  start(): void {
    this.rowStart = this.at;
  }

  /** Appends COPY text to the current row. */
  put(text: string): void {
    // At most three bytes per UTF-16 unit (a surrogate pair is four bytes for two units).
    const need = text.length * 3;
    if (this.at + need > this.slab.length) this.grow(need);
    this.at += this.slab.write(text, this.at, 'utf8');
  }

  /**
   * Appends JSON text given as UTF-8 bytes (as a source sent it) as a COPY field: copied as they are, unless
   * they hold a character COPY reads (a backslash in an escape, a tab or line break between tokens), then
   * escaped like any text.
   */
  putJson(json: Buffer): void {
    const plain = json.indexOf(0x5c) < 0 && json.indexOf(0x0a) < 0 && json.indexOf(0x09) < 0 && json.indexOf(0x0d) < 0;
    // Escaping at most doubles a byte.
    const need = plain ? json.length : json.length * 2;
    if (this.at + need > this.slab.length) this.grow(need);
    if (plain) {
      this.at += json.copy(this.slab, this.at);
      return;
    }
    const slab = this.slab;
    let at = this.at;
    let from = 0;
    for (let i = 0; i < json.length; i++) {
      const c = json[i]!;
      if (c !== 0x5c && c !== 0x0a && c !== 0x09 && c !== 0x0d) continue;
      at += json.copy(slab, at, from, i);
      slab[at++] = 0x5c;
      slab[at++] = c === 0x5c ? 0x5c : c === 0x0a ? 0x6e : c === 0x09 ? 0x74 : 0x72; // \\ \n \t \r
      from = i + 1;
    }
    this.at = at + json.copy(slab, at, from);
  }

  /** The current row's bytes. */
  finish(): Buffer {
    return this.slab.subarray(this.rowStart, this.at);
  }

  /** Moves the row begun so far to a new slab with room for `need` more bytes (older rows keep the old one). */
  private grow(need: number): void {
    const begun = this.at - this.rowStart;
    const next = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, begun + need));
    this.slab.copy(next, 0, this.rowStart, this.at);
    this.slab = next;
    this.rowStart = 0;
    this.at = begun;
  }
}

/** The JSON text of a value as a COPY field: JSON escapes every control character, so only backslashes are doubled. */
export function copyJsonText(json: string): string {
  return json.includes('\\') ? json.replace(/\\/g, '\\\\') : json;
}

/** Bytes sent to the COPY stream at a time: big enough to amortise a write, small enough not to pile up. */
const WRITE_BYTES = 256 * 1024;
/** Room past {@link WRITE_BYTES} in each chunk, so the row that crosses it rarely needs a bigger one. */
const CHUNK_SLACK = 64 * 1024;
const NL = 0x0a;

/**
 * Writes `rows` (each a row without its newline: fields joined by tabs, built with the helpers above, as
 * text or as UTF-8 bytes, or as several pieces to join) into `table`. Columns not listed take their defaults.
 * Resolves once PostgreSQL has stored every row; a refused row (a constraint, a value of the wrong type)
 * rejects the whole COPY and leaves the caller's transaction aborted. Waits for the connection to drain, so
 * a large batch is never held twice in memory.
 *
 * Rows are written straight into the chunk being filled (text encoded in place, bytes copied), with no
 * buffer per piece: two small allocations a record fewer on the ingest path.
 */
export async function copyRows(client: PoolClient, table: string, columns: readonly string[], rows: Iterable<string | Buffer | ReadonlyArray<string | Buffer>>): Promise<number> {
  let stream: ReturnType<typeof pgCopy.from> | null = null;
  let failed: unknown;
  let chunk = Buffer.allocUnsafe(WRITE_BYTES + CHUNK_SLACK);
  let at = 0;
  let count = 0;
  const open = () => {
    const s = client.query(pgCopy.from(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
    s.on('error', (err) => {
      failed ??= err;
    });
    return s;
  };
  const flush = async () => {
    if (at === 0) return;
    // The stream keeps the bytes until the socket has taken them: the next rows go to a new chunk.
    const out = chunk.subarray(0, at);
    chunk = Buffer.allocUnsafe(WRITE_BYTES + CHUNK_SLACK);
    at = 0;
    stream ??= open();
    // `once` of 'drain' also settles (rejecting) on 'error', and removes its listeners either way; racing it with a
    // `once` of 'error' left that listener behind at every wait (MaxListenersExceededWarning on a large batch).
    if (!stream.write(out) && failed === undefined) await once(stream, 'drain').catch(() => undefined);
    if (failed !== undefined) throw failed;
  };
  /** Makes room for `need` more bytes in the chunk (a row longer than the slack moves to a bigger one). */
  const room = (need: number) => {
    if (at + need <= chunk.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(chunk.length * 2, at + need));
    chunk.copy(bigger, 0, 0, at);
    chunk = bigger;
  };
  const add = (piece: string | Buffer) => {
    if (typeof piece === 'string') {
      // At most three bytes per UTF-16 unit (a surrogate pair is four bytes for two units).
      room(piece.length * 3);
      at += chunk.write(piece, at, 'utf8');
    } else {
      room(piece.length);
      at += piece.copy(chunk, at);
    }
  };
  for (const row of rows) {
    if (typeof row === 'string' || Buffer.isBuffer(row)) add(row);
    else for (const piece of row) add(piece);
    room(1);
    chunk[at++] = NL;
    count++;
    if (at >= WRITE_BYTES) await flush();
  }
  if (count === 0) return 0;
  await flush();
  const s = stream as ReturnType<typeof pgCopy.from> | null;
  if (!s) return 0;
  if (failed !== undefined) throw failed;
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.once('finish', resolve);
    s.end();
  });
  return count;
}

/**
 * Hands each row of a `COPY … TO STDOUT` (text format) to `fn` as bytes `start` to `end` (its newline excluded)
 * of a buffer valid during the call, with no string or object per row. `fn` returning false stops the read:
 * this then resolves false, and the caller must drop the connection (it is still in COPY).
 */
export async function eachCopyRow(stream: AsyncIterable<Buffer>, fn: (buf: Buffer, start: number, end: number) => boolean | void): Promise<boolean> {
  let rest: Buffer | null = null;
  for await (const chunk of stream) {
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const nl = buf.indexOf(NL, at);
      if (nl < 0) break;
      if (fn(buf, at, nl) === false) return false;
      at = nl + 1;
    }
    rest = at < buf.length ? Buffer.from(buf.subarray(at)) : null;
  }
  return true;
}
