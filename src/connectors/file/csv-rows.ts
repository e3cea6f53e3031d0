import { hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { CsvParser, type CsvRowSink } from './csv-parser.js';
import { StreamDecoder, type TextEncodingName } from './encoding.js';
import { FileHeaderError } from './errors/file-header.error.js';
import { normalizeHeaders } from './headers.js';
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

  constructor(private readonly o: CsvRowsOptions) {}

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
      return;
    }
    if (++this.dataRows <= this.o.skipRows) return;
    const data: Record<string, string> = {};
    let any = false;
    for (let i = 0; i < fields.length; i++) {
      const v = fields[i]!;
      // Empty and blank cells are absent; values are kept as written (the mapping trims).
      if (v.length === 0 || (v.charCodeAt(0) <= 32 && v.trim().length === 0)) continue;
      data[headers[i]!] = v;
      any = true;
    }
    this.out.push(any ? { kind: 'record', rowNumber, data, text, textLayout: this.layout } : { kind: 'empty', rowNumber });
  }

  broken(problem: string, raw: string, line: number): void {
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
