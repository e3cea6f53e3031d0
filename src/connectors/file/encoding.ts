/**
 * Text encodings of CSV files: which one a file is in (by its byte-order mark, or by the byte pattern when
 * there is none), and a streaming decoder that refuses anything else with the byte where decoding failed
 * and what the bytes look like.
 *
 * Vietnamese agency exports still come in legacy single-byte encodings (Windows-1258, TCVN3/ABC, VNI) whose
 * bytes are mostly invalid UTF-8. Decoding them with a replacement character would store mangled names for
 * good, so a file that does not decode is refused whole, before any of its rows is stored.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { TextDecoder } from 'node:util';
import { FileEncodingError } from './errors/file-encoding.error.js';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be';
export type EncodingSetting = 'auto' | TextEncodingName;

export interface DetectedEncoding {
  encoding: TextEncodingName;
  /** Whether the file starts with a byte-order mark (the decoder drops it). */
  bom: boolean;
}

/** How many leading bytes {@link detectEncoding} looks at. */
export const ENCODING_SNIFF_BYTES = 4096;

const ADVICE = 'Save it as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited)") and drop it again; the file was not ingested.';
const ASCII_TEXT = /^[\x00-\x7f]*$/;
const DAMAGED_ADVICE = 'Correct that line (retype its accented text), or export the file again, and drop it again; the file was not ingested.';

/** Whether the bytes of `sample` after the line holding `at` (as far as the sample goes, a cut character aside) are valid UTF-8. */
function validAfterLine(sample: Uint8Array, at: number): boolean {
  const nl = sample.indexOf(0x0a, at);
  if (nl < 0) return true;
  const rest = sample.subarray(nl + 1);
  return isUtf8(rest.subarray(0, completeLength(rest)));
}


/**
 * The encoding of a file from its first bytes: a byte-order mark when there is one; without one, UTF-16 when
 * the bytes show its pattern beyond doubt (ASCII-range text has a zero in every other byte), else UTF-8 (which
 * {@link StreamDecoder} then verifies). A configured encoding wins, unless a byte-order mark contradicts it.
 */
export function detectEncoding(head: Uint8Array, setting: EncodingSetting, fileName: string): DetectedEncoding {
  const bom = bomOf(head);
  if (bom === 'utf-32le' || bom === 'utf-32be') {
    throw new FileEncodingError(`${fileName} is UTF-32 (found its byte-order mark), which is not read. ${ADVICE}`, {
      fileName,
      found: bom,
    });
  }
  if (setting !== 'auto') {
    if (bom && bom !== setting) {
      throw new FileEncodingError(
        `${fileName}: the connector is set to ${label(setting)} but the file starts with a ${label(bom)} byte-order mark. ` +
          'Set csv.encoding to auto, or save the file in the configured encoding.',
        { fileName, expected: setting, found: bom },
      );
    }
    // A UTF-8 or 8-bit file read as UTF-16 decodes to other characters, often without an error: the header
    // row was then reported as missing its columns (QA). A UTF-16 text has a zero byte in every code unit of
    // the ASCII range (commas, digits, Latin letters, line ends); a file with none in its first bytes is not one.
    if (!bom && setting !== 'utf-8' && !hasAsciiUnit(head, setting)) {
      // Zero bytes in the other byte order's places: UTF-16 of the other order, even with few ASCII characters (QA re-check).
      const other = setting === 'utf-16le' ? 'utf-16be' : 'utf-16le';
      const looks = utf16Pattern(head) ?? (hasAsciiUnit(head, other) ? other : null);
      throw new FileEncodingError(
        `${fileName}: the connector is set to ${label(setting)} but the file is not ${label(setting)}: its first ${Math.min(head.length, ENCODING_SNIFF_BYTES)} bytes ` +
          `have none of the zero bytes ${label(setting)} writes in every comma, digit and Latin letter ` +
          `(${looks ? `it looks like ${label(looks)}` : 'it looks like UTF-8 or an 8-bit encoding'}). Set csv.encoding to auto, or save the file in the configured encoding.`,
        { fileName, expected: setting, found: looks ?? 'not UTF-16' },
      );
    }
    return { encoding: setting, bom: bom === setting };
  }
  if (bom) return { encoding: bom, bom: true };
  return { encoding: utf16Pattern(head) ?? 'utf-8', bom: false };
}

function bomOf(b: Uint8Array): TextEncodingName | 'utf-32le' | 'utf-32be' | null {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xff && b[1] === 0xfe) return b[2] === 0 && b[3] === 0 && b.length >= 4 ? 'utf-32le' : 'utf-16le';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'utf-32be';
  return null;
}

/**
 * UTF-16 without a byte-order mark: text in the ASCII range has a zero high byte in every code unit. Zero bytes
 * never occur in UTF-8 text, so at least half the code units with a zero on one side and (almost) none on the
 * other is unambiguous. The small allowance covers combining marks such as U+0300, whose low byte is zero.
 */
function utf16Pattern(head: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const units = Math.floor(Math.min(head.length, ENCODING_SNIFF_BYTES) / 2);
  if (units < 2) return null;
  let zeroLow = 0;
  let zeroHigh = 0;
  for (let k = 0; k < units; k++) {
    if (head[2 * k] === 0) zeroLow++;
    if (head[2 * k + 1] === 0) zeroHigh++;
  }
  const few = Math.floor(units * 0.02);
  if (zeroHigh >= units / 2 && zeroLow <= few) return 'utf-16le';
  if (zeroLow >= units / 2 && zeroHigh <= few) return 'utf-16be';
  return null;
}

/** Whether the first bytes hold a UTF-16 code unit of the ASCII range in `encoding`'s byte order (a zero high byte). */
function hasAsciiUnit(head: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): boolean {
  const units = Math.floor(Math.min(head.length, ENCODING_SNIFF_BYTES) / 2);
  // Too short to tell: decoding says what is wrong with it.
  if (units < 4) return true;
  const high = encoding === 'utf-16le' ? 1 : 0;
  for (let k = 0; k < units; k++) if (head[2 * k + high] === 0) return true;
  return false;
}

function label(encoding: string): string {
  return encoding.toUpperCase().replace('UTF-16LE', 'UTF-16 LE').replace('UTF-16BE', 'UTF-16 BE').replace('UTF-32', 'UTF-32 ');
}

/**
 * Decodes a file chunk by chunk with a fatal `TextDecoder` in stream mode (sequences split across chunks are
 * carried over), so a file is checked without being held in memory. On failure it throws
 * {@link FileEncodingError} with the byte offset (0-based, from the start of the file), the line when
 * `trackLines` is on, and a guess at the encoding the bytes are really in.
 */
export class StreamDecoder {
  private readonly decoder: TextDecoder;
  /** Bytes before the current chunk. */
  private offset = 0;
  /**
   * The bytes just before the current chunk (the last chunk decoded, and up to 3 bytes before it), to locate
   * a failure in a sequence that began in earlier chunks.
   */
  private previous: Uint8Array = new Uint8Array(0);
  /** Line at `offset` (only counted when tracking lines; UTF-8 only). */
  private line = 1;

  constructor(
    readonly encoding: TextEncodingName,
    private readonly fileName: string,
    private readonly trackLines = false,
  ) {
    this.decoder = new TextDecoder(encoding, { fatal: true });
  }

  decode(chunk: Uint8Array): string {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      throw this.failure(chunk, false);
    }
    if (this.trackLines && this.encoding === 'utf-8') this.line += countLineFeeds(chunk, 0, chunk.length);
    // Of the text decoded: a sequence begun at the chunk's end is not known good yet.
    if (!this.sawAccents && this.encoding === 'utf-8' && !ASCII_TEXT.test(text)) this.sawAccents = true;
    this.offset += chunk.length;
    this.previous = chunk.length >= 3 ? joinTail(this.previous, chunk) : concat(this.previous.subarray(-3), chunk);
    return text;
  }

  /** Flushes the decoder: a sequence cut off by the end of the file is an error too. */
  end(): string {
    try {
      return this.decoder.decode();
    } catch {
      throw this.failure(new Uint8Array(0), true);
    }
  }

  /** Whether a chunk read well held text past ASCII: UTF-8 accented text, before any failure. */
  private sawAccents = false;

  /** Notes bytes found valid UTF-8: whether they hold accented text (one native pass, until the first such bytes). */
  private noteText(valid: Uint8Array): void {
    if (!this.sawAccents && this.encoding === 'utf-8' && !isAscii(valid)) this.sawAccents = true;
  }

  /** Bytes of a UTF-8 sequence begun at the end of the last chunk {@link check}ed. */
  private carry: Uint8Array = new Uint8Array(0);

  /**
   * Checks a chunk without producing text (the pass that vets a whole file before it is read). UTF-8 is
   * checked natively (`buffer.isUtf8`, the same rules as the fatal decoder, without building strings a
   * third the speed); UTF-16 goes through the decoder. Use either `check` or `decode` on one instance.
   */
  check(chunk: Uint8Array): void {
    if (this.encoding !== 'utf-8') {
      this.decode(chunk);
      return;
    }
    // A sequence split across chunks is completed by copying its first bytes in front of the next chunk.
    const data = this.carry.length > 0 ? concat(this.carry, chunk) : chunk;
    const base = this.offset - this.carry.length;
    const cut = completeLength(data);
    if (!isUtf8(data.subarray(0, cut))) throw this.failureIn(data, base, false);
    this.carry = data.slice(cut);
    this.noteText(data.subarray(0, cut));
    if (this.trackLines) this.line += countLineFeeds(chunk, 0, chunk.length);
    this.offset += chunk.length;
  }

  /** The end of a {@link check}ed file: a sequence cut off by it is an error. */
  checkEnd(): void {
    if (this.encoding !== 'utf-8') {
      this.end();
      return;
    }
    if (this.carry.length > 0) throw this.failureIn(this.carry, this.offset - this.carry.length, true);
  }

  /** A UTF-8 failure in `data`, which starts at a character boundary at file offset `base`, on line `this.line`. */
  private failureIn(data: Uint8Array, base: number, final: boolean): FileEncodingError {
    const at = findInvalidUtf8(data, 0, final);
    const index = at < 0 ? data.length : at;
    const line = this.trackLines ? this.line + countLineFeeds(data, 0, index) : undefined;
    return this.utf8Error(base + index, line, data.subarray(Math.max(0, index - 4096), index + 65536), Math.min(index, 4096));
  }

  /** `sample`: bytes around the first invalid one, which is at `at` in it (the bytes before it are valid UTF-8). */
  private utf8Error(byteOffset: number, line: number | undefined, sample: Uint8Array, at: number): FileEncodingError {
    const { fileName } = this;
    // Accented text correctly written just before: a UTF-8 file with a damaged stretch, not a file in another encoding
    // (QA: one Latin-1 byte on line 1501 of a UTF-8 file was told as a Vietnamese single-byte encoding, sending the
    // officer to re-export a file already in UTF-8).
    // …and valid again after the line it is on: a body in a legacy encoding under a UTF-8 header is no damaged stretch (QA re-check).
    const looksLike: LooksLike = (this.sawAccents || !isAscii(sample.subarray(0, at))) && validAfterLine(sample, at) ? 'damaged-utf-8' : guessSingleByteEncoding(sample);
    const where = line === undefined ? `at byte ${byteOffset}` : `at byte ${byteOffset} (line ${line})`;
    const advice = looksLike === 'damaged-utf-8' ? DAMAGED_ADVICE : ADVICE;
    return new FileEncodingError(`${fileName} is not valid UTF-8 ${where}; it looks like ${LOOKS_LIKE[looksLike]}. ${advice}`, {
      fileName,
      expected: 'utf-8',
      byteOffset,
      ...(line === undefined ? {} : { line }),
      looksLike,
    });
  }

  private failure(chunk: Uint8Array, final: boolean): FileEncodingError {
    const prev = this.previous;
    const bytes = concat(prev, chunk);
    const base = this.offset - prev.length;
    const { fileName } = this;
    if (this.encoding === 'utf-8') {
      // The previous chunk decoded, so it starts at a character boundary or inside a character begun before it.
      let start = 0;
      while (start < 3 && start < prev.length && (bytes[start]! & 0xc0) === 0x80) start++;
      const at = findInvalidUtf8(bytes, start, final);
      const index = at < 0 ? bytes.length : at;
      const byteOffset = base + index;
      let line: number | undefined;
      if (this.trackLines) {
        line =
          index >= prev.length
            ? this.line + countLineFeeds(bytes, prev.length, index)
            : this.line - countLineFeeds(bytes, index, prev.length);
      }
      return this.utf8Error(byteOffset, line, bytes.subarray(Math.max(0, index - 4096), index + 65536), Math.min(index, 4096));
    }
    const le = this.encoding === 'utf-16le';
    const found = findInvalidUtf16(bytes, base % 2 === 0 ? 0 : 1, le, final);
    const byteOffset = base + (found?.index ?? bytes.length);
    const reason = found?.reason ?? 'a broken character';
    return new FileEncodingError(
      `${fileName} is not valid ${label(this.encoding)} at byte ${byteOffset} (${reason}). ${ADVICE}`,
      { fileName, expected: this.encoding, byteOffset },
    );
  }
}

/**
 * Reads a whole file through a {@link StreamDecoder}, discarding the text: throws {@link FileEncodingError}
 * when any byte does not decode. Memory stays at one read buffer.
 */
export async function assertFileDecodes(filePath: string, fileName: string, encoding: TextEncodingName): Promise<void> {
  const decoder = new StreamDecoder(encoding, fileName, true);
  const stream = createReadStream(filePath, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) decoder.check(chunk);
    decoder.checkEnd();
  } finally {
    stream.destroy();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * `chunk` with the 3 bytes before it. Kept as a view with a small copied prefix only when the sequence could
 * have started earlier, so the common case copies nothing.
 */
function joinTail(before: Uint8Array, chunk: Uint8Array): Uint8Array {
  // A sequence is at most 4 bytes: if the chunk's first 3 bytes hold no continuation byte, nothing before matters.
  if ((chunk[0]! & 0xc0) !== 0x80 && (chunk[1]! & 0xc0) !== 0x80 && (chunk[2]! & 0xc0) !== 0x80) return chunk;
  return concat(before.subarray(-3), chunk);
}

/** The length of `data` without a UTF-8 sequence cut off at its end. */
function completeLength(data: Uint8Array): number {
  const n = data.length;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const b = data[n - k]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    return length > k ? n - k : n;
  }
  return n;
}

function countLineFeeds(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = buf.indexOf(10, from); i >= 0 && i < to; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * The index of the first byte that is not part of a well-formed UTF-8 sequence (WHATWG rules: no overlongs,
 * no surrogates, nothing above U+10FFFF), or -1. A sequence cut off at the end counts only when `final`.
 */
export function findInvalidUtf8(b: Uint8Array, start: number, final: boolean): number {
  const n = b.length;
  let i = start;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return final ? i : -1;
      const d = b[i + k]!;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

function findInvalidUtf16(
  b: Uint8Array,
  start: number,
  le: boolean,
  final: boolean,
): { index: number; reason: string } | null {
  const unitAt = (i: number) => (le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!);
  let i = start;
  for (; i + 1 < b.length; i += 2) {
    const u = unitAt(i);
    if (u >= 0xdc00 && u <= 0xdfff) return { index: i, reason: 'a low surrogate without a high one' };
    if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 3 >= b.length) return final ? { index: i, reason: 'a character cut off by the end of the file' } : null;
      const next = unitAt(i + 2);
      if (next < 0xdc00 || next > 0xdfff) return { index: i, reason: 'a high surrogate without a low one' };
      i += 2;
    }
  }
  if (final && i < b.length) return { index: i, reason: 'an odd number of bytes' };
  return null;
}

type LooksLike = 'vietnamese-single-byte' | 'western-single-byte' | 'binary' | 'damaged-utf-8';
const LOOKS_LIKE: Record<LooksLike, string> = {
  'damaged-utf-8': 'a UTF-8 file with a damaged stretch (accented text before it is valid UTF-8): text pasted in from another encoding, or bytes changed',
  'vietnamese-single-byte': 'a single-byte Vietnamese encoding (Windows-1258, TCVN3/ABC or VNI)',
  'western-single-byte': 'a single-byte Western encoding (Windows-1252/Latin-1)',
  binary: 'binary data rather than text',
};

/**
 * Bytes that are rare in Western single-byte text but frequent in Vietnamese written in a legacy encoding:
 * Windows-1258's ă ơ ư đ (and capitals) and its combining tone marks; TCVN3's letters in 0xA1–0xBF (symbols
 * in Latin-1); VNI's tone-mark bytes written after the base letter.
 */
const VIETNAMESE_MARKERS = new Uint8Array(256);
for (const b of [0xc3, 0xd0, 0xd5, 0xdd, 0xe3, 0xf0, 0xf5, 0xfd, 0xcc, 0xec, 0xd2, 0xde, 0xf2, 0xf8, 0xf9, 0xfb, 0xef]) {
  VIETNAMESE_MARKERS[b] = 1;
}
for (let b = 0xa1; b <= 0xbf; b++) VIETNAMESE_MARKERS[b] = 1;

function guessSingleByteEncoding(sample: Uint8Array): LooksLike {
  let high = 0;
  let markers = 0;
  let control = 0;
  for (const b of sample) {
    if (b >= 0x80) {
      high++;
      markers += VIETNAMESE_MARKERS[b]!;
    } else if (b < 0x09 || (b > 0x0d && b < 0x20)) control++;
  }
  if (control > sample.length / 100) return 'binary';
  return high > 0 && markers / high >= 0.25 ? 'vietnamese-single-byte' : 'western-single-byte';
}
