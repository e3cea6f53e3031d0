import { hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { CsvParser, type CsvRowSink } from './csv-parser.js';
import { StreamDecoder, type TextEncodingName } from './encoding.js';
import { FileHeaderError } from './errors/file-header.error.js';
import { normalizeHeaders } from './headers.js';
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
  const parser = new CsvParser({ delimiter: o.delimiter, quote: o.quote, headerRow: o.headerRow });
  const rows = new SheetRowCollector(o);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parser.push(decoder.decode(chunk), rows);
      if (rows.out.length > 0) yield rows.take();
    }
    parser.push(decoder.end(), rows);
    parser.end(rows);
    if (rows.out.length > 0) yield rows.take();
  } finally {
    stream.destroy();
  }
}

/** Turns parsed rows into {@link SheetRow}s as the parser completes them. */
class SheetRowCollector implements CsvRowSink {
  out: SheetRow[] = [];
  private rowNumber = 0;
  private dataRows = 0;
  private headers: string[] | null = null;
  /** See {@link RawRecord.textLayout}: fixed by the header row. */
  private layout = '';
  /** What a recognised row needs to be parsed after all (set with the headers). */
  private rowParser: RowParser | null = null;
  /** The content hash the recogniser computed for the row offered last, which comes to `row` next. */
  private offered: { text: string; hash: string } | null = null;

  constructor(private readonly o: CsvRowsOptions) {}

  get recognising(): boolean {
    return this.headers !== null && this.o.recogniser?.active === true && this.dataRows >= this.o.skipRows;
  }

  known(text: string): boolean {
    if (text.length === 0) return false;
    const r = this.o.recogniser!.recognise(text, this.layout, this.o.recordType);
    if (typeof r !== 'number') {
      if (r !== null) this.offered = { text, hash: r };
      return false;
    }
    this.dataRows++;
    this.out.push(new KnownCsvRow(++this.rowNumber, text, this.layout, r, this.rowParser!));
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
    const headers = this.headers;
    if (headers === null) {
      this.headers = normalizeHeaders(fields, `${this.o.fileName} row ${rowNumber}`);
      this.layout = `csv:${hash('sha256', JSON.stringify([this.o.delimiter, this.o.quote, text]), 'base64url')}`;
      this.rowParser = new RowParser(this.o, this.headers);
      return;
    }
    const offered = this.offered;
    this.offered = null;
    if (++this.dataRows <= this.o.skipRows) return;
    const data = rowData(headers, fields);
    if (data === null) {
      this.out.push({ kind: 'empty', rowNumber });
      return;
    }
    const contentHash = offered !== null && offered.text === text ? offered.hash : undefined;
    this.out.push({ kind: 'record', rowNumber, data, text, textLayout: this.layout, contentHash });
  }

  broken(problem: string, raw: string, line: number): void {
    this.offered = null;
    const rowNumber = ++this.rowNumber;
    if (rowNumber < this.o.headerRow) return;
    if (this.headers === null) {
      throw new FileHeaderError(`${this.o.fileName} row ${rowNumber}: the header row cannot be read (${problem})`, {
        where: this.o.fileName,
        problem: 'UNREADABLE_HEADER_ROW',
      });
    }
    if (++this.dataRows <= this.o.skipRows) return;
    this.out.push({
      kind: 'reject',
      rowNumber,
      payload: { row: raw },
      problems: [{ field: '(row)', code: 'MALFORMED_ROW', message: line !== rowNumber ? `${problem} (line ${line})` : problem }],
    });
  }
}

/** A data row's values by header; null when every cell is empty or blank (absent: values are kept as written, the mapping trims). */
function rowData(headers: readonly string[], fields: readonly string[]): Record<string, string> | null {
  const data: Record<string, string> = {};
  let any = false;
  for (let i = 0; i < fields.length; i++) {
    const v = fields[i]!;
    if (v.length === 0 || (v.charCodeAt(0) <= 32 && v.trim().length === 0)) continue;
    data[headers[i]!] = v;
    any = true;
  }
  return any ? data : null;
}

/** Parses one recognised row's text, should its data be wanted after all (rarely: see `KnownRecords`). */
class RowParser implements CsvRowSink {
  private data: Record<string, string> | null = null;

  constructor(
    private readonly o: CsvRowsOptions,
    private readonly headers: readonly string[],
  ) {}

  parse(text: string): Record<string, unknown> {
    this.data = null;
    const parser = new CsvParser({ delimiter: this.o.delimiter, quote: this.o.quote });
    parser.push(text, this);
    parser.end(this);
    return this.data ?? {};
  }

  row(fields: readonly string[]): void {
    this.data = rowData(this.headers, fields);
  }

  broken(): void {
    // Never: a recognised row has no quote and is one line, so it splits as it did when it was stored.
  }
}

/** A row recognised by its text (see {@link SheetRow}), parsed only if asked. */
class KnownCsvRow {
  readonly kind = 'known' as const;

  constructor(
    readonly rowNumber: number,
    readonly text: string,
    readonly textLayout: string,
    readonly token: number,
    private readonly parser: RowParser,
  ) {}

  parse(): Record<string, unknown> {
    return this.parser.parse(this.text);
  }
}
