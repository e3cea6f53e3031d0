import { hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { CsvParser, type BrokenSplit, type CsvRowSink } from './csv-parser.js';
import { StreamDecoder, type TextEncodingName } from './encoding.js';
import { FileHeaderError } from './errors/file-header.error.js';
import { COMMON_DELIMITERS, type HeaderFitter, type OtherReading } from './header-fit.js';
import { columnName, normalizeHeaders } from './headers.js';
import type { RecordLayout } from '../../domain/record-layout.js';
import { hasColumn } from '../mapping/mapping-columns.js';
import type { TextRecogniser } from '../types.js';
import type { SheetRow } from './sheet-row.js';

export interface CsvRowsOptions {
  filePath: string;
  fileName: string;
  encoding: TextEncodingName;
  delimiter: string;
  quote: string;
  /** The row (from 1) holding the headers; rows above it are ignored. */
  headerRow: number;
  /** Data rows already stored (a resumed read): parsed again, not given out. */
  skipRows: number;
  /** Recognises rows stored unchanged by their text: those come out as `known`, not split into fields. */
  recogniser?: TextRecogniser;
  /** The sheet's record type, for the recogniser. */
  recordType?: string;
  /** Told the header row's columns (trimmed, NFC, fitted) once it is read. */
  onHeaders?: (columns: readonly string[]) => void;
  /** Fits the header row to the mappings (case, a record id's columns); absent: the headers as written. */
  fitter?: HeaderFitter;
}

/** Bytes read at a time: large enough that per-chunk overheads vanish, small enough to stay out of the way. */
const READ_BYTES = 1 << 16;

/**
 * The data rows of a CSV file as {@link SheetRow}s, one group per chunk read, so memory holds one chunk's
 * rows however large the file. Row numbers count rows as a spreadsheet shows them (the header row is
 * `headerRow`, a row whose quoted field holds line breaks is one row); a broken row's problem also names
 * its line in the file when that differs.
 */
export async function* csvRows(o: CsvRowsOptions): AsyncGenerator<SheetRow[]> {
  const stream = createReadStream(o.filePath, { highWaterMark: READ_BYTES });
  const decoder = new StreamDecoder(o.encoding, o.fileName);
  let parser: CsvParser | null = null;
  /** The file's start, until it holds its first line break (or cannot be a `sep=` line). */
  let start = '';
  const rows = new SheetRowCollector(o);
  const push = (text: string, final: boolean) => {
    if (parser === null) {
      start += text;
      if (!final && start.length < SEP_LINE_MAX && !/[\r\n]/.test(start)) return;
      const sep = sepLine(start, o.quote);
      rows.delimiter = sep?.delimiter ?? o.delimiter;
      parser = new CsvParser({ delimiter: rows.delimiter, quote: o.quote, headerRow: o.headerRow, firstLine: sep ? 2 : 1 });
      rows.parser = parser;
      text = sep ? start.slice(sep.length) : start;
      start = '';
    }
    parser.push(text, rows);
    if (final) parser.end(rows);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      push(decoder.decode(chunk), false);
      if (rows.out.length > 0) yield rows.take();
    }
    push(decoder.end(), true);
    if (rows.out.length > 0) yield rows.take();
  } finally {
    stream.destroy();
  }
}

/** Longer than any `sep=` line. */
const SEP_LINE_MAX = 16;

/**
 * Excel's delimiter line: a file starting `sep=;` (a line of its own, maybe quoted) is split at `;`, and
 * Excel shows it from the next line, as row 1. The file says how it is written, so its word wins over the
 * definition's `delimiter`. Its length is that of the line with its line break.
 */
export function sepLine(text: string, quote: string): { delimiter: string; length: number } | null {
  const m = /^"?sep=([^\r\n])"?(?:\r\n|\n|\r|$)/i.exec(text);
  if (!m || m[1] === quote) return null;
  return { delimiter: m[1]!, length: m[0].length };
}

/** Turns parsed rows into {@link SheetRow}s as the parser completes them. */
class SheetRowCollector implements CsvRowSink {
  out: SheetRow[] = [];
  private rowNumber = 0;
  private dataRows = 0;
  /** See {@link RawRecord.textLayout}: fixed by the header row. */
  private layout: RecordLayout | null = null;
  /** The header row's columns up to its last header; the layout's further columns have none. */
  private named = 0;
  /** The delimiter the file is split at: the definition's, or the one its `sep=` line names. */
  delimiter: string;
  /** The parser feeding this collector, told the header row's named width (see {@link CsvParser.alsoFields}). */
  parser: CsvParser | null = null;
  /** The content hash the recogniser computed for the row offered last, which comes to `row` next. */
  private offered: { text: string; hash: string } | null = null;

  constructor(private readonly o: CsvRowsOptions) {
    this.delimiter = o.delimiter;
  }

  get recognising(): boolean {
    return this.layout !== null && this.o.recogniser?.active === true && this.dataRows >= this.o.skipRows;
  }

  known(text: string): boolean {
    if (text.length === 0) return false;
    const layout = this.layout!;
    const r = this.o.recogniser!.recognise(text, layout.id, this.o.recordType);
    if (typeof r !== 'number') {
      if (r !== null) this.offered = { text, hash: r };
      return false;
    }
    this.dataRows++;
    this.out.push(new KnownCsvRow(++this.rowNumber, text, layout, r));
    return true;
  }

  take(): SheetRow[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  row(fields: readonly string[], _line: number, text: string): void {
    const rowNumber = ++this.rowNumber;
    if (rowNumber < this.o.headerRow) return;
    const layout = this.layout;
    if (layout === null) {
      const where = `${this.o.fileName} row ${rowNumber}`;
      // Excel saves its used range: a column once formatted gives every line an empty field at its end. Such
      // trailing columns without a header are no columns; a value in one is refused with its row (below).
      this.named = namedWidth(fields);
      const fitter = this.o.fitter;
      const written = normalizeHeaders(this.named < fields.length ? fields.slice(0, this.named) : fields, where, { mapped: fitter && ((h) => fitter.reads(h)) });
      const columns = this.o.fitter?.fit(written, where, () => otherReadings(text, this.delimiter, this.o.quote)) ?? written;
      const unnamed = fields.length - this.named;
      // A row may also end at the last named column: a tool that leaves out empty fields at the end of a line.
      if (unnamed > 0 && this.parser) this.parser.alsoFields = this.named;
      this.layout = csvLayout(
        this.delimiter, this.o.quote, text, unnamed > 0 ? [...columns, ...Array<string>(unnamed).fill('')] : columns,
        columns.some((c, i) => c !== written[i]),
      );
      this.o.onHeaders?.(columns);
      return;
    }
    const offered = this.offered;
    this.offered = null;
    if (++this.dataRows <= this.o.skipRows) return;
    if (this.named < fields.length) {
      const stray = fields.findIndex((v, i) => i >= this.named && !isBlank(v));
      if (stray >= 0) {
        // The other fields are in their columns: they give the reject its id.
        const readable = rowData(layout.columns, fields.slice(0, this.named));
        this.out.push({
          kind: 'reject',
          rowNumber,
          payload: { row: text },
          problems: [{
            field: '(row)', code: 'MALFORMED_ROW',
            message: `a value in column ${columnName(stray + 1)}, which has no header (the header row names ${this.named} columns)`,
          }],
          ...(readable ? { readable } : {}),
        });
        return;
      }
    }
    const data = rowData(layout.columns, fields);
    if (data === null) {
      this.out.push({ kind: 'empty', rowNumber });
      return;
    }
    const contentHash = offered !== null && offered.text === text ? offered.hash : undefined;
    this.out.push({ kind: 'record', rowNumber, data, text, textLayout: layout, contentHash });
  }

  broken(problem: string, raw: string, line: number, fields?: readonly string[], how?: BrokenSplit): void {
    this.offered = null;
    const rowNumber = ++this.rowNumber;
    if (rowNumber < this.o.headerRow) return;
    if (this.layout === null) {
      throw new FileHeaderError(`${this.o.fileName} row ${rowNumber}: the header row cannot be read (${problem})`, {
        where: this.o.fileName,
        problem: 'UNREADABLE_HEADER_ROW',
      });
    }
    if (++this.dataRows <= this.o.skipRows) return;
    const readable = fields && how ? this.readable(fields, how) : undefined;
    this.out.push({
      kind: 'reject',
      rowNumber,
      payload: { row: raw },
      problems: [{ field: '(row)', code: 'MALFORMED_ROW', message: line !== rowNumber ? `${problem} (line ${line})` : problem }],
      ...(readable ? { readable } : {}),
    });
  }

  /**
   * What of a row split into the wrong number of fields is surely in place, when that holds its record id:
   * only the first field of a row with fields to spare. A delimiter too many (an unquoted comma in an address)
   * moves every field after it, and nothing says where it was, so only the first column cannot have moved (at
   * worst it is cut at a delimiter inside it). A row with fields missing may have lost a delimiter anywhere,
   * the one after the first field included (joining its value to the next, which may be a name), or be cut
   * short: none of it is sure.
   *
   * A line too long to be a row, without a quote (`overLong`: the fields of its kept head, the last one cut),
   * has at least the fields its head shows. When those are as many as a row may have (the header's named
   * columns), and at least two, no delimiter is missing before the head's end, as in any row of the right
   * width read as a record, and the first field ends at a delimiter within the head, where no quote can have
   * moved it: its first field is as sure as any record's (QA: a last field of 2 million characters in a row
   * of the header's 17 fields lost the id, an 18th field kept it).
   *
   * A row with text after a closing quote in a later field on its first line (`KS-1,"Nguyễn "An" Văn",…`), read on
   * leniently (that text kept in its field), is like it: with at least the fields a row may have, no delimiter is
   * missing, and the first field was read before the quote broke, as in any row (QA: such a row kept no id, though
   * its first column was intact). Broken in the first field, or with fields missing, it keeps none.
   */
  private readable(fields: readonly string[], how: BrokenSplit): Record<string, string> | undefined {
    const columns = this.layout!.columns;
    const ids = this.o.fitter?.idColumns;
    if (!ids || ids.size === 0) return undefined;
    const wide = fields.length >= Math.max(this.named, 2);
    const whole = (how.kind === 'overLong' && wide) || (how.kind === 'quote' && how.field > 1 && wide);
    if (how.kind === 'quote' && !whole) return undefined;
    if (fields.length <= columns.length && !whole) return undefined;
    const first = new Set([columns[0]!]);
    for (const c of ids) if (!hasColumn(first, c)) return undefined;
    return rowData(columns.slice(0, 1), fields.slice(0, 1)) ?? undefined;
  }
}

/** The header row read with each other common delimiter (see {@link HeaderFitter.fit}). */
function otherReadings(header: string, delimiter: string, quote: string): OtherReading[] {
  return COMMON_DELIMITERS.filter((d) => d !== delimiter && d !== quote).map((d) => {
    const sink = new FirstRowCells();
    const parser = new CsvParser({ delimiter: d, quote });
    parser.push(header, sink);
    parser.end(sink);
    return { delimiter: d, columns: sink.cells };
  });
}

/** Takes the cells (trimmed, NFC) of the first row parsed. */
class FirstRowCells implements CsvRowSink {
  cells: string[] = [];
  private done = false;

  row(fields: readonly string[]): void {
    if (!this.done) this.cells = fields.map((f) => f.trim().normalize('NFC'));
    this.done = true;
  }

  broken(): void {
    this.done = true;
  }
}

/** A data row's values by header; null when every cell is empty or blank (absent: values are kept as written, the mapping trims). */
function rowData(headers: readonly string[], fields: readonly string[]): Record<string, string> | null {
  const data: Record<string, string> = {};
  let any = false;
  for (let i = 0; i < fields.length; i++) {
    const v = fields[i]!;
    if (isBlank(v)) continue;
    data[headers[i]!] = v;
    any = true;
  }
  return any ? data : null;
}

/** A field with nothing but spaces or control characters in it, which a record leaves out. */
function isBlank(v: string): boolean {
  return v.length === 0 || (v.charCodeAt(0) <= 32 && v.trim().length === 0);
}

/** The number of fields up to the last one that is not blank: the columns a header row names. */
function namedWidth(fields: readonly string[]): number {
  let n = fields.length;
  while (n > 1 && isBlank(fields[n - 1]!)) n--;
  return n;
}

/**
 * The layout of a CSV file's rows: its delimiter, quote and header row (as written, and the column names it
 * gives). The id is a digest of the first three (and of the column names, when some are not the header row's
 * own: `renamed`), which is what content hashes of the file's rows name.
 */
export function csvLayout(delimiter: string, quote: string, header: string, columns: readonly string[], renamed = false): RecordLayout {
  // Columns read under other names than the header row writes (a header matched up to case) name the layout
  // too: the same header row read under another mapping's spelling gives other data.
  const key = renamed ? [delimiter, quote, header, columns] : [delimiter, quote, header];
  return { id: `csv:${hash('sha256', JSON.stringify(key), 'base64url')}`, format: 'csv', delimiter, quote, header, columns };
}

/**
 * A CSV row's data from its text (one row, as a file wrote it: see `RawRecord.text`) under its layout: the
 * same values the reader gave when it read the row, blank cells left out. Null when the text is not one
 * well-formed row of the layout's columns.
 */
export function parseCsvRecordText(text: string, layout: RecordLayout): Record<string, string> | null {
  const sink = new OneRow(layout.columns);
  const parser = new CsvParser({ delimiter: layout.delimiter, quote: layout.quote });
  parser.expectedFields = layout.columns.length;
  parser.alsoFields = namedWidth(layout.columns);
  parser.push(text, sink);
  parser.end(sink);
  return sink.rows === 1 && !sink.broke ? sink.data : null;
}

/** Takes the one row {@link parseCsvRecordText} parses. */
class OneRow implements CsvRowSink {
  data: Record<string, string> | null = null;
  rows = 0;
  broke = false;

  constructor(private readonly columns: readonly string[]) {}

  row(fields: readonly string[]): void {
    this.rows++;
    this.data = rowData(this.columns, fields) ?? {};
  }

  broken(): void {
    this.rows++;
    this.broke = true;
  }
}

/** A row recognised by its text (see {@link SheetRow}), parsed only if asked. */
class KnownCsvRow {
  readonly kind = 'known' as const;

  constructor(
    readonly rowNumber: number,
    readonly text: string,
    readonly textLayout: RecordLayout,
    readonly token: number,
  ) {}

  parse(): Record<string, unknown> {
    // A recognised row has no quote and is one line, so it splits as it did when it was stored.
    return parseCsvRecordText(this.text, this.textLayout) ?? {};
  }
}
