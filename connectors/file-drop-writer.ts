/**
 * Writing the files agencies drop for file connectors: a streaming CSV writer in the encodings agency
 * software exports (UTF-8 with or without BOM, UTF-16 LE, and the legacy single-byte Windows-1258 the hub must
 * refuse), and the small XLSX conventions the simulators share. Used by the justice-register and
 * facility-inspection simulators; nothing here knows about a particular source.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import ExcelJS from 'exceljs';

/**
 * How a CSV file is encoded.
 * - `utf-8`: no byte-order mark (what most web exports write).
 * - `utf-8-bom`: `EF BB BF` first (what Excel's "CSV UTF-8" writes).
 * - `utf-16le`: `FF FE` first (Excel's "Unicode text" and some desktop registry tools).
 * - `windows-1258`: the legacy Vietnamese code page, one byte per letter, tone marks as combining bytes;
 *   not valid UTF-8, and refused by the hub.
 */
export type CsvEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'windows-1258';
export const CSV_ENCODINGS = ['utf-8', 'utf-8-bom', 'utf-16le', 'windows-1258'] as const satisfies readonly CsvEncoding[];

/** A cell of a CSV row: absent values are written as an empty field. */
export type CsvValue = string | number | null | undefined;

export interface CsvDropWriterOptions {
  /** @defaultValue 'utf-8' */
  encoding?: CsvEncoding;
  /** @defaultValue ',' */
  delimiter?: string;
  /** Line ending; agency exports come from Windows. @defaultValue '\r\n' */
  eol?: string;
  /** Bytes gathered before they are written (bounds memory). @defaultValue 1 MiB */
  chunkBytes?: number;
}

const BOM: Record<CsvEncoding, Buffer> = {
  'utf-8': Buffer.alloc(0),
  'utf-8-bom': Buffer.from([0xef, 0xbb, 0xbf]),
  'utf-16le': Buffer.from([0xff, 0xfe]),
  'windows-1258': Buffer.alloc(0),
};

const QUOTE_OR_BREAK = /["\r\n]/;

/**
 * Writes a CSV file row by row with bounded memory: each row is encoded straight into a chunk buffer (1 MiB by
 * default), and full chunks are handed to the file stream, waiting for it to drain. Building rows this way keeps
 * no large strings alive, which matters at a million rows. Call {@link add} for each row and `await`
 * {@link flushIfFull} now and then (cheap when there is nothing to do), then {@link close}.
 */
export class CsvDropWriter {
  private chunk: Buffer;
  private used = 0;
  private readonly full: Buffer[] = [];
  private lines = 0;
  private readonly needsQuote: RegExp;
  private readonly bytesPerChar: number;

  private constructor(
    private readonly out: WriteStream,
    private readonly encoding: CsvEncoding,
    private readonly delimiter: string,
    private readonly eol: string,
    private readonly chunkBytes: number,
  ) {
    this.needsQuote = new RegExp(`["\\r\\n${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`);
    // Worst case per UTF-16 code unit: 3 bytes in UTF-8, 2 in UTF-16, 2 in CP1258 (base letter + tone mark).
    this.bytesPerChar = encoding === 'utf-16le' || encoding === 'windows-1258' ? 2 : 3;
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** Creates (or truncates) `path` and writes the byte-order mark, if any, and the header line. */
  static async open(path: string, headers: readonly string[], options: CsvDropWriterOptions = {}): Promise<CsvDropWriter> {
    const encoding = options.encoding ?? 'utf-8';
    const out = createWriteStream(path);
    await once(out, 'open');
    const writer = new CsvDropWriter(out, encoding, options.delimiter ?? ',', options.eol ?? '\r\n', options.chunkBytes ?? 1 << 20);
    BOM[encoding].copy(writer.chunk, 0);
    writer.used = BOM[encoding].length;
    writer.add(headers);
    return writer;
  }

  /** Lines written so far, the header included (so the next row's 1-based row number is this + 1). */
  get lineCount(): number {
    return this.lines;
  }

  /** Appends one row, quoting fields that hold the delimiter, a quote or a line break. */
  add(fields: readonly CsvValue[]): void {
    // Fast path (almost every row): joined as is when no field holds a quote, a line break or the delimiter,
    // which one scan of the joined line shows (then it holds exactly one delimiter between each two fields).
    const joined = fields.join(this.delimiter);
    if (!QUOTE_OR_BREAK.test(joined) && this.countDelimiters(joined) === fields.length - 1) {
      this.addRawLine(joined);
      return;
    }
    let line = '';
    for (let i = 0; i < fields.length; i++) {
      const v = fields[i];
      const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v);
      if (i > 0) line += this.delimiter;
      line += this.needsQuote.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    }
    this.addRawLine(line);
  }

  private countDelimiters(line: string): number {
    let n = 0;
    for (let at = line.indexOf(this.delimiter); at >= 0; at = line.indexOf(this.delimiter, at + 1)) n++;
    return n;
  }

  /**
   * Appends a line exactly as given, without quoting: how a careless export writes a field holding a quote or
   * the delimiter (the simulators' broken rows).
   */
  addRawLine(line: string): void {
    const text = line + this.eol;
    const worst = text.length * this.bytesPerChar;
    if (this.used + worst > this.chunk.length) this.rotate(worst);
    switch (this.encoding) {
      case 'utf-8':
      case 'utf-8-bom':
        this.used += this.chunk.write(text, this.used, 'utf8');
        break;
      case 'utf-16le':
        this.used += this.chunk.write(text, this.used, 'utf16le');
        break;
      case 'windows-1258':
        this.used += encodeWindows1258(text).copy(this.chunk, this.used);
        break;
    }
    this.lines++;
  }

  private rotate(atLeast: number): void {
    if (this.used > 0) this.full.push(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(Math.max(this.chunkBytes, atLeast));
    this.used = 0;
  }

  /** Hands full chunks to the file, waiting while the disk catches up. */
  async flushIfFull(): Promise<void> {
    while (this.full.length > 0) {
      if (!this.out.write(this.full.shift()!)) await once(this.out, 'drain');
    }
  }

  /** Writes everything so far. */
  async flush(): Promise<void> {
    this.rotate(0);
    await this.flushIfFull();
  }

  /** Writes what is left and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
  }

  /** Closes the file after a failure without writing what is pending. */
  destroy(): void {
    this.out.destroy();
  }
}

/** Encodes text for a CSV file in `encoding` (without the byte-order mark). */
export function encodeText(text: string, encoding: CsvEncoding): Buffer {
  switch (encoding) {
    case 'utf-8':
    case 'utf-8-bom':
      return Buffer.from(text, 'utf8');
    case 'utf-16le':
      return Buffer.from(text, 'utf16le');
    case 'windows-1258':
      return encodeWindows1258(text);
  }
}

// Windows-1258 (CP1258) is not among Node's encoders, but its decoder (ICU, WHATWG `TextDecoder`) is: the
// encoder is built by decoding the 128 upper bytes once. Vietnamese letters are written as a base letter (the
// code page has â ê ô ă ơ ư đ precomposed) followed by a combining tone mark byte, as Windows itself does.
const TONE_MARKS = new Set(['\u0300', '\u0301', '\u0303', '\u0309', '\u0323']);
let cp1258: Map<string, number> | undefined;
const cp1258Cache = new Map<string, number[]>();

function cp1258Table(): Map<string, number> {
  if (cp1258) return cp1258;
  const table = new Map<string, number>();
  for (let b = 0; b < 0x80; b++) table.set(String.fromCharCode(b), b);
  const decoder = new TextDecoder('windows-1258');
  for (let b = 0x80; b <= 0xff; b++) {
    const ch = decoder.decode(Uint8Array.of(b));
    if (ch !== '\ufffd' && !table.has(ch)) table.set(ch, b);
  }
  cp1258 = table;
  return table;
}

/** The CP1258 bytes of one character (NFC); `?` for a character the code page cannot write. */
function cp1258Bytes(ch: string): number[] {
  const table = cp1258Table();
  const direct = table.get(ch);
  if (direct !== undefined) return [direct];
  const cached = cp1258Cache.get(ch);
  if (cached) return cached;
  // Split into the base with its vowel marks (circumflex, breve, horn) and the tone marks, which CP1258 keeps apart.
  const parts = [...ch.normalize('NFD')];
  const base = parts.filter((c) => !TONE_MARKS.has(c)).join('').normalize('NFC');
  const tones = parts.filter((c) => TONE_MARKS.has(c));
  const baseByte = table.get(base);
  const bytes =
    baseByte === undefined || tones.some((t) => !table.has(t)) ? [0x3f] : [baseByte, ...tones.map((t) => table.get(t)!)];
  cp1258Cache.set(ch, bytes);
  return bytes;
}

/** Encodes text in Windows-1258; characters outside the code page become `?`. */
export function encodeWindows1258(text: string): Buffer {
  const nfc = text.normalize('NFC');
  const out = Buffer.allocUnsafe(nfc.length * 2);
  let n = 0;
  for (const ch of nfc) {
    const code = ch.charCodeAt(0);
    if (code < 0x80) {
      out[n++] = code;
      continue;
    }
    for (const b of cp1258Bytes(ch)) out[n++] = b;
  }
  return out.subarray(0, n);
}

/** One file a simulator wrote. */
export interface DropFile<K extends string = string> {
  path: string;
  /** Data rows written (broken ones included; the header excluded); for a workbook, of its main sheet. */
  rows: number;
  kind: K;
  /** 1-based row numbers (the header is row 1) of the rows written broken. */
  brokenRows: number[];
}

/** A UTC-midnight `Date` for an ISO date, which exceljs writes as that day's Excel serial (no time zone shift). */
export function excelDate(iso: string): Date {
  return new Date(Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))));
}

/** The display format of date cells, as Vietnamese offices set it. */
export const EXCEL_DATE_FORMAT = 'dd/mm/yyyy';

/** A cell the simulators write: text, a number, a date (UTC midnight, see {@link excelDate}) or empty. */
export type XlsxCell = string | number | Date | null;

/**
 * A streaming workbook (rows are written as they are committed, so memory stays bounded) with fixed document
 * dates, so two runs differ only in the zip entries' timestamps.
 */
export function openWorkbook(path: string, creator: string): ExcelJS.stream.xlsx.WorkbookWriter {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useStyles: true, useSharedStrings: false });
  wb.created = new Date('2026-11-01T00:00:00Z');
  wb.modified = wb.created;
  wb.creator = creator;
  wb.lastModifiedBy = creator;
  return wb;
}

/** Adds a sheet whose first row holds `headers` (frozen, columns sized to the headers). */
export function addHeaderSheet(wb: ExcelJS.stream.xlsx.WorkbookWriter, name: string, headers: readonly string[]): ExcelJS.Worksheet {
  const sheet = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  headers.forEach((h, i) => {
    sheet.getColumn(i + 1).width = Math.max(10, Math.min(36, h.length + 4));
  });
  sheet.addRow([...headers]).commit();
  return sheet;
}

/** Adds and commits one row; dates get the `dd/mm/yyyy` display format. */
export function addXlsxRow(sheet: ExcelJS.Worksheet, cells: readonly XlsxCell[]): void {
  const row = sheet.addRow([...cells]);
  cells.forEach((c, i) => {
    if (c instanceof Date) row.getCell(i + 1).numFmt = EXCEL_DATE_FORMAT;
  });
  row.commit();
}

/**
 * The rows (0-based, among `total` data rows) that a simulator writes broken when asked for `broken` of them:
 * spread evenly, so each lies between valid rows and tests can name them.
 */
export function brokenRowIndexes(total: number, broken: number): number[] {
  const n = Math.max(0, Math.min(Math.floor(broken), total));
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(Math.floor(((k + 1) * total) / (n + 1)));
  // With n close to total the spread can repeat an index: shift repeats forward to keep n distinct rows.
  for (let k = 1; k < out.length; k++) if (out[k]! <= out[k - 1]!) out[k] = out[k - 1]! + 1;
  return out;
}
