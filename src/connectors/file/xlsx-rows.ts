import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import { AppError } from '../../errors/app-error.js';
import { CellError } from '../cell-error.js';
import { MAX_RAW_CHARS } from './csv-parser.js';
import { FileFormatError } from './errors/file-format.error.js';
import { FileHeaderError } from './errors/file-header.error.js';
import { SheetNotFoundError } from './errors/sheet-not-found.error.js';
import type { FileSheet } from './file.schema.js';
import { fileSystemError } from './file-system-errors.js';
import { type MergeRange, MergeRangeScanner } from './merge-ranges.js';
import { MergedCells } from './merged-cells.js';
import { boundedPart, PartRefused } from './part-bounds.js';
import { xmlProblem } from './xml-problem.js';
// Results of 0, FALSE and errors kept on formula cells (exceljs drops them): before any workbook is read.
import './formula-results.js';
import type { HeaderFitter } from './header-fit.js';
import { columnName, normalizeHeaders } from './headers.js';
import type { SheetRow } from './sheet-row.js';
import { withCellReferences, withoutNamespacePrefix } from './sheet-xml.js';
import { zeroPaddedText } from './zero-padded-format.js';
import { fileLabel } from './file-label.js';

export interface XlsxRowsOptions {
  filePath: string;
  fileName: string;
  /** Every configured sheet (all are checked to exist before any row is given out). */
  sheets: ReadonlyArray<Pick<FileSheet, 'sheet'>>;
  /** Which of `sheets` to read. */
  sheetIndex: number;
  headerRow: number;
  /** Data rows already stored (a resumed read): parsed again, not given out. */
  skipRows: number;
  /** Told the sheet's actual name once the workbook's sheet list is read. */
  onSheetName?: (name: string) => void;
  /** Told the header row's columns (trimmed, NFC, fitted) once it is read. */
  onHeaders?: (columns: readonly string[]) => void;
  /** Fits the sheet's header row to the mappings (case, a record id's columns); absent: the headers as written. */
  fitter?: HeaderFitter;
  /** Only check the sheet: stop once its header row is read, giving out no row. @defaultValue false */
  headersOnly?: boolean;
  /**
   * With `headersOnly`: the sheet's part is still read whole first, for its checksum and its end, as a read does (a
   * dry run's probe of a drop's later files names one cut short: QA). @defaultValue false
   */
  checkWhole?: boolean;
}

/** What exceljs's streaming reader exposes beyond its typings (filled in by the parts it parses). */
interface WorkbookState {
  model?: { sheets?: Array<{ name: string; rId?: string; state?: string }> };
  workbookRels?: Array<{ Id: string; Target: string; Type?: string }>;
  properties?: { model?: { date1904?: boolean } };
}
interface StreamingWorksheet {
  name: string;
  parse(): AsyncIterable<Array<{ eventType: string; value: unknown }>>;
}
interface StreamingRow {
  number: number;
  eachCell(opts: { includeEmpty: boolean }, f: (cell: StreamingCell, col: number) => void): void;
}
interface StreamingCell {
  value: unknown;
  numFmt?: string;
}

/** The parts of exceljs 4.4's streaming `WorkbookReader` (lib/stream/xlsx/workbook-reader.js) that decode XML. */
interface WorkbookReaderParts {
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: string): Generator<{ eventType: string; value: unknown }>;
}
const WorkbookReaderBase = ExcelJS.stream.xlsx.WorkbookReader as unknown as new (input: Readable | undefined, options: object) => WorkbookReaderParts;
for (const method of ['_parseRels', '_parseWorkbook', '_parseSharedStrings', '_parseStyles', '_parseWorksheet']) {
  // Overriding a method exceljs no longer has would silently bring the U+FFFD corruption back: fail loudly.
  if (typeof (WorkbookReaderBase.prototype as unknown as Record<string, unknown>)[method] !== 'function') {
    throw new Error(`exceljs's WorkbookReader has no ${method}: the XLSX reader in xlsx-rows.ts needs revisiting`);
  }
}

/**
 * exceljs's XML decoding for the parts of a workbook, fed part by part (see {@link xlsxRows}), decoded so
 * that no character is lost.
 *
 * exceljs 4.4 turns each chunk of a zip entry into text on its own (`utils/parse-sax.js` calls
 * `TextDecoder.decode(chunk)` without `stream: true`), so a multi-byte UTF-8 letter split across two chunks
 * becomes two U+FFFD (exceljs/exceljs#2084, #2316) — Vietnamese names were silently corrupted every few
 * thousand cells. parse-sax passes string chunks through untouched, so every XML part is handed to it already
 * decoded, by a decoder that carries an incomplete sequence over to the next chunk: entry streams through
 * Node's own `setEncoding('utf8')` (a `StringDecoder`), the worksheet's through {@link utf8Text}. Loading
 * this module fails if a future exceljs lacks one of these methods; `xlsx-rows.utf8.test.ts` checks the result.
 */
class LosslessWorkbookParts extends WorkbookReaderBase {
  override _parseRels(entry: Readable): Promise<void> {
    return super._parseRels(plainPart(entry));
  }
  override _parseWorkbook(entry: Readable): Promise<void> {
    return super._parseWorkbook(plainPart(entry));
  }
  override _parseSharedStrings(entry: Readable): AsyncGenerator<unknown> {
    return super._parseSharedStrings(plainPart(entry));
  }
  override _parseStyles(entry: Readable): Promise<void> {
    return super._parseStyles(plainPart(entry));
  }
  override _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: string): Generator<{ eventType: string; value: unknown }> {
    return super._parseWorksheet(withoutEmptyValues(withCellReferences(withoutNamespacePrefix(utf8Text(iterator)))), sheetNo);
  }
}

/** A part's text, decoded losslessly, its elements' namespace prefix removed (see {@link withoutNamespacePrefix}). */
function plainPart(entry: Readable): Readable {
  return Readable.from(withoutNamespacePrefix(entry.setEncoding('utf8')), { objectMode: true });
}

/** An empty value element: what openpyxl writes for a formula it has not calculated (`<f>…</f><v></v>`). */
const EMPTY_VALUE = /<v><\/v>|<v ?\/>/g;
const EMPTY_VALUE_FORMS = ['<v></v>', '<v/>', '<v />'];

/**
 * A worksheet's XML without empty value elements. exceljs reads an empty `<v>` of a formula as the number NaN,
 * which is also what an error result reads as (see {@link plain}): a formula saved without its result by a
 * program that does not calculate (openpyxl) read as an error cell (QA). Without the element it is a formula
 * with no result, an empty cell, as it is when the element is left out; an empty `<v>` of any other cell
 * read as empty already. Markup only: `<` in a cell's text is always escaped.
 */
export async function* withoutEmptyValues(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of chunks) {
    const text = carry + chunk;
    // Held back: an end that may be the start of an empty value element the next chunk completes.
    let cut = text.length;
    for (let p = Math.max(0, text.length - 6); p < text.length; p++) {
      if (text.charCodeAt(p) !== 60 /* < */) continue;
      const tail = text.slice(p);
      if (EMPTY_VALUE_FORMS.some((f) => f.startsWith(tail))) {
        cut = p;
        break;
      }
    }
    carry = text.slice(cut);
    const out = text.slice(0, cut).replace(EMPTY_VALUE, '');
    if (out !== '') yield out;
  }
  if (carry !== '') yield carry.replace(EMPTY_VALUE, '');
}

/** The chunks as text, a UTF-8 sequence split between two chunks decoded whole. */
export async function* utf8Text(chunks: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

/** A part whose bytes do not match the CRC-32 the zip records for it. */
class PartDamaged extends Error {
  constructor(readonly part: string) {
    super(`its part ${part} is damaged: its checksum does not match the zip's`);
  }
}

/**
 * A zip that cannot be read: its directory (the file cut short, or damaged), or, with `part`, that part's
 * compressed bytes. The zip library's message (`End of central directory record signature not found`, `not
 * enough bytes in the stream`) says no more than that, and is left out.
 */
class ZipUnreadable extends Error {
  constructor(readonly part: string | undefined) {
    super(part === undefined ? 'its zip directory cannot be read' : `its part ${part} cannot be inflated`);
  }
}

/** The zip library's error as the workbook's ({@link ZipUnreadable}); the file system's as it is. */
function zipError(error: unknown, part?: string): unknown {
  return fileSystemError(error) ? error : new ZipUnreadable(part);
}

/** A workbook's zip, opened by its central directory: any part can be read, in any order, as a stream. */
class WorkbookZip {
  private readonly open = new Set<Readable>();

  private constructor(
    private readonly zip: yauzl.ZipFile,
    /** Entries by their path in the zip. */
    readonly entries: ReadonlyMap<string, yauzl.Entry>,
  ) {}

  static async open(filePath: string): Promise<WorkbookZip> {
    const zip = await yauzl.openPromise(filePath, { lazyEntries: true, autoClose: false, strictFileNames: false }).catch((error: unknown) => {
      throw zipError(error);
    });
    // The listing's errors fail the open; one after it (closing the file, once every part was read) has
    // nothing left to spoil and must not become an uncaught exception. Errors reading a part reach its stream.
    let fail: (error: Error) => void = () => {};
    zip.on('error', (error: Error) => fail(error));
    try {
      const entries = new Map<string, yauzl.Entry>();
      await new Promise<void>((resolve, reject) => {
        fail = reject;
        zip.on('entry', (entry: yauzl.Entry) => {
          entries.set(entry.fileName, entry);
          zip.readEntry();
        });
        zip.once('end', resolve);
        zip.readEntry();
      });
      fail = () => {};
      return new WorkbookZip(zip, entries);
    } catch (error) {
      zip.close();
      throw zipError(error);
    }
  }

  /**
   * A part's bytes, inflated, as a stream (destroyed by {@link close} if not read to its end), refused as they
   * come at the first of its bounds passed ({@link boundedPart}): `held`, a part the reader holds whole.
   */
  async stream(part: string, kind: 'held' | 'sheet'): Promise<Readable> {
    const entry = this.entries.get(part);
    if (entry === undefined) throw new Error(`the zip has no ${part}`);
    const raw = await this.zip.openReadStreamPromise(entry).catch((error: unknown) => {
      throw zipError(error, part);
    });
    const stream = boundedPart(part, kind);
    // A part that does not inflate reaches whoever reads it as the workbook's damage; the bounds' own refusal is the stream's.
    raw.once('error', (error) => stream.destroy(zipError(error, part) as Error));
    stream.once('close', () => raw.destroy());
    raw.pipe(stream);
    this.open.add(stream);
    stream.once('close', () => this.open.delete(stream));
    return stream;
  }

  /**
   * Reads a part whole and checks it against the CRC-32 and size the zip records for it: throws if it is
   * damaged. The reader does this for the sheet before giving out its first row, so a workbook damaged inside
   * (a bad copy, a truncated download repaired by a zip tool) is refused whole rather than read up to the
   * damage (rows before it stored, the rest refused) or, for a part stored uncompressed, read wrong without a
   * word (the zip library checks sizes, not checksums). Inflating a sheet costs a fraction of parsing it.
   * `observe` is given each inflated chunk, in order (the sheet's merged ranges are found so).
   */
  async verify(part: string, kind: 'held' | 'sheet', observe?: (chunk: Buffer) => void): Promise<void> {
    const entry = this.entries.get(part);
    if (entry === undefined) throw new Error(`the zip has no ${part}`);
    let crc = 0;
    for await (const chunk of await this.stream(part, kind)) {
      crc = zlib.crc32(chunk as Buffer, crc);
      observe?.(chunk as Buffer);
    }
    if ((crc >>> 0) !== (entry.crc32 >>> 0)) throw new PartDamaged(part);
  }

  /** Closes the file once every part's stream is done with (streams still open are destroyed). */
  close(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
    this.zip.close();
  }
}

/** The zip path of a part a relationship of `xl/workbook.xml` targets (relative to `xl/`, or absolute). */
function workbookPartPath(target: string): string {
  const t = target.replace(/\\/g, '/');
  return t.startsWith('/') ? path.posix.normalize(t.slice(1)) : path.posix.normalize(path.posix.join('xl', t));
}

/**
 * The data rows of one sheet of a workbook. The zip is read by its central directory (random access), so the
 * workbook's sheet list, shared strings and styles are parsed first, whatever their order in the file, and
 * then only the one sheet asked for is streamed: memory holds the shared strings and one parsed piece of the
 * sheet, never the workbook, and nothing is written to temporary files.
 *
 * exceljs's own streaming reader goes through the zip in one pass, entry by entry, and parks sheets in
 * temporary files when they come before the parts they need; that pass can end before the zip's last entry
 * (exceljs/exceljs#3064), which in files written by exceljs is `xl/workbook.xml` with the sheet list: a valid
 * workbook was then, now and again, refused as having no sheets at all. Only its XML decoding is used here.
 *
 * Values: text as text (rich text joined), numbers as numbers (a whole number in a zero-padded format as the
 * text Excel shows: see zero-padded-format.ts), booleans, date-formatted cells as `Date`
 * (exceljs gives the wall-clock date and time as UTC), formulas as their cached result, hyperlinks as their
 * text; empty and blank cells are absent; an error cell (`#N/A` typed or pasted as a value) is a {@link CellError},
 * which a mapping reading it refuses; so is a formula whose result is an error, though its code is not known
 * (exceljs's streaming reader drops it). A formula's result of 0 is 0, of FALSE or TRUE 0 or 1 (see
 * formula-results.ts). A formula without a result or with an empty one is absent: the reader
 * gives neither (QA: `=IF(A2="","",…)` filled down is common, and must stay empty), so they cannot be told apart
 * here. A row whose only values are error cells is an empty row. Row numbers are the sheet's own. A cell of
 * a merged range holds the range's value, as Excel shows it (see {@link MergedCells}).
 */
export async function* xlsxRows(o: XlsxRowsOptions): AsyncGenerator<SheetRow[]> {
  let zip: WorkbookZip | undefined;
  try {
    zip = await WorkbookZip.open(o.filePath);
    const parts = new LosslessWorkbookParts(undefined, {
      worksheets: 'emit',
      sharedStrings: 'cache',
      styles: 'cache', // number formats: which numbers are dates
      hyperlinks: 'ignore',
      entries: 'ignore',
    });
    const workbook = parts as unknown as WorkbookState;
    if (!zip.entries.has('xl/workbook.xml')) {
      throw new FileFormatError(
        zip.entries.has('xl/workbook.bin')
          ? `${o.fileName} is an Excel binary workbook, .xlsb, not an XLSX workbook: save it as .xlsx`
          : `${o.fileName} cannot be read as an XLSX workbook: its zip archive has no xl/workbook.xml, the sheet list every workbook has; it is a zip of something else`,
        { fileName: o.fileName },
        { ownWords: true },
      );
    }
    // Every part read is checked against the zip's CRC-32 before it is parsed (see WorkbookZip.verify): the
    // shared strings hold an Excel workbook's text, the styles say which numbers are dates.
    const read = async (part: string) => {
      await zip!.verify(part, 'held');
      return zip!.stream(part, 'held');
    };
    if (zip.entries.has('xl/_rels/workbook.xml.rels')) await parts._parseRels(await read('xl/_rels/workbook.xml.rels'));
    await parts._parseWorkbook(await read('xl/workbook.xml'));
    const sheets = workbook.model?.sheets ?? [];
    const target = resolveSheetNames(sheets, o.sheets, o.fileName)[o.sheetIndex]!;
    o.onSheetName?.(target);
    const sheet = sheets.find((s) => s.name === target)!;
    const rel = workbook.workbookRels?.find((r) => r.Id === sheet.rId);
    const part = rel ? workbookPartPath(rel.Target) : undefined;
    if (part === undefined || !zip.entries.has(part)) {
      throw new SheetNotFoundError(`${o.fileName}: the sheet "${target}" has no content part`, { fileName: o.fileName, sheet: target });
    }
    // The shared strings and styles are where the workbook's relationships say (some exporters name the
    // parts differently), or at exceljs's usual paths.
    const related = (type: string, usual: string) => {
      const r = workbook.workbookRels?.find((x) => x.Type?.endsWith(`/relationships/${type}`));
      return r ? workbookPartPath(r.Target) : usual;
    };
    const sharedStrings = related('sharedStrings', 'xl/sharedStrings.xml');
    if (zip.entries.has(sharedStrings)) {
      for await (const _ of parts._parseSharedStrings(await read(sharedStrings))) {
        // With `sharedStrings: 'cache'` the strings are kept on the reader, not yielded.
      }
    }
    const styles = related('styles', 'xl/styles.xml');
    if (zip.entries.has(styles)) await parts._parseStyles(await read(styles));
    // The whole sheet is checked before its first row is given out (not when checking the headers only), and
    // its merged ranges, listed after its rows, found on the way.
    const scanner = o.headersOnly ? undefined : new MergeRangeScanner(part);
    if (scanner) await zip.verify(part, 'sheet', (chunk) => scanner.push(chunk));
    else if (o.checkWhole) await zip.verify(part, 'sheet');
    // exceljs names the sheet from its number only for parts called sheetN.xml; the name is set here instead.
    const [event] = [...parts._parseWorksheet(await zip.stream(part, 'sheet'), /sheet(\d+)\.xml$/i.exec(part)?.[1] ?? '0')];
    const worksheet = event!.value as StreamingWorksheet;
    worksheet.name = target;
    const date1904 = workbook.properties?.model?.date1904 === true;
    yield* sheetRows(worksheet, o, date1904, scanner && { part, ranges: () => scanner.ranges() });
  } catch (error) {
    // The file system's errors (a file the hub may not read, gone, an I/O error) are not the workbook's damage.
    if (error instanceof AppError || fileSystemError(error)) throw error;
    if (error instanceof PartDamaged) {
      throw new FileFormatError(`${o.fileName} cannot be read as an XLSX workbook: its part ${error.part} is damaged, its checksum does not match the zip's`, {
        fileName: o.fileName, part: error.part,
      }, { ownWords: true });
    }
    if (error instanceof ZipUnreadable) {
      const what = error.part === undefined ? 'the file is cut short or damaged, its zip directory cannot be read' : `its zip archive is damaged, its part ${error.part} cannot be inflated`;
      throw new FileFormatError(`${o.fileName} cannot be read as an XLSX workbook: ${what}; replace it with a complete copy of the export`, {
        fileName: o.fileName, ...(error.part === undefined ? {} : { part: error.part }),
      }, { ownWords: true });
    }
    if (error instanceof PartRefused) {
      throw new FileFormatError(`${o.fileName} cannot be read as an XLSX workbook: ${error.message}`, { fileName: o.fileName, part: error.part }, { ownWords: true });
    }
    const problem = xmlProblem(error);
    if (problem !== undefined) {
      throw new FileFormatError(`${o.fileName} cannot be read as an XLSX workbook: its XML is malformed, ${problem}; export it again from the program that made it`, {
        fileName: o.fileName, problem: 'MALFORMED_XML',
      }, { ownWords: true });
    }
    throw new FileFormatError(`${o.fileName} cannot be read as an XLSX workbook (${(error as Error).message})`, {
      fileName: o.fileName,
    });
  } finally {
    zip?.close();
  }
}

/**
 * The actual sheet names for the configured sheets (by name ignoring case and Unicode normalisation, or by
 * position from 1); throws {@link SheetNotFoundError} listing the sheets present when one is missing.
 */
export function resolveSheetNames(
  present: ReadonlyArray<{ name: string }>,
  sheets: ReadonlyArray<Pick<FileSheet, 'sheet'>>,
  fileName: string,
): string[] {
  const key = (s: string) => s.normalize('NFC').trim().toLocaleLowerCase('vi');
  const names = present.map((s) => s.name);
  const missing: string[] = [];
  const resolved = sheets.map(({ sheet }) => {
    const name = typeof sheet === 'number' ? names[sheet - 1] : names.find((n) => key(n) === key(sheet));
    if (name === undefined) missing.push(typeof sheet === 'number' ? `number ${sheet}` : `"${sheet}"`);
    return name ?? '';
  });
  if (missing.length > 0) {
    const list = names.length > 0 ? names.map((n) => `"${n}"`).join(', ') : 'none';
    // The sheets present are the file's text: the stored message counts them, and names the definition's sheets only.
    throw new SheetNotFoundError(`${fileName}: no sheet ${missing.join(', ')}; the sheets present are ${list}`, {
      fileName,
      missing,
      sheetsPresent: names,
    }, storedSheetMessage(fileName, missing, sheets, resolved, names.length));
  }
  return resolved;
}

/**
 * {@link resolveSheetNames}' refusal as logs and run history keep it: the definition's words only (QA: it counted a
 * configured sheet that was there among the "other" sheets, and named none): the configured sheets missing and
 * found, and how many more the workbook has, whose names (the file's text) `connectors dry-run` shows.
 */
function storedSheetMessage(
  fileName: string, missing: string[], sheets: ReadonlyArray<Pick<FileSheet, 'sheet'>>, resolved: string[], present: number,
): string {
  const named = (sheet: string | number) => (typeof sheet === 'number' ? `number ${sheet}` : `"${sheet}"`);
  const found = sheets.flatMap(({ sheet }, i) => (resolved[i] ? [named(sheet)] : []));
  const others = present - new Set(resolved.filter(Boolean)).size;
  const sheetsWord = (n: number) => `${n} ${found.length ? 'other ' : ''}sheet${n === 1 ? '' : 's'}`;
  const has = found.length === 0 ? sheetsWord(others)
    : `the definition's ${found.join(', ')}${others > 0 ? ` and ${sheetsWord(others)}` : ' only'}`;
  return `${fileName}: no sheet ${missing.join(', ')}, as the definition names ${missing.length === 1 ? 'it' : 'them'}; the workbook has ${has}`
    + (others > 0 ? ', named by `connectors dry-run <name> --file <file>`' : '');
}

async function* sheetRows(
  worksheet: StreamingWorksheet,
  o: XlsxRowsOptions,
  date1904: boolean,
  /** The sheet's merged ranges, found as its part was checked; absent when checking its headers only. */
  merges: { part: string; ranges: () => MergeRange[] } | undefined,
): AsyncGenerator<SheetRow[]> {
  // A sheet may be named after a child as a file may: labelled alike (file-label.ts).
  const where = `${o.fileName} sheet "${fileLabel(worksheet.name)}"`;
  // A sheet the definition names is told in header messages by the definition's name for it, so they are kept whole
  // in logs and run history (QA: its quoted name, the file's text, was redacted there); one configured by position, by
  // its number (QA re-check: redacted too). Else by its own name, the file's text: such messages are not kept whole.
  const configured = o.sheets[o.sheetIndex]?.sheet;
  const sheetTold = typeof configured === 'string' ? { where: `${o.fileName} sheet "${configured}"`, ownWords: true }
    : typeof configured === 'number' ? { where: `${o.fileName} sheet ${configured}`, ownWords: true }
    : { where, ownWords: !where.includes('"') };
  let headers: string[] | null = null;
  let merged = new MergedCells([], 0, 0, '');
  let dataRows = 0;
  for await (const events of worksheet.parse()) {
    const out: SheetRow[] = [];
    for (const { eventType, value } of events) {
      if (eventType !== 'row') continue;
      const row = value as StreamingRow;
      const rowNumber = row.number;
      if (rowNumber < o.headerRow) continue;
      if (headers === null) {
        // A row holding nothing (a formatted row of a blank sheet, a template's) leaves the sheet blank so far
        // (QA re-check: refused); one holding something below a header row without any is refused.
        if (!holdsValue(row, date1904)) continue;
        if (rowNumber > o.headerRow) {
          throw new FileHeaderError(`${sheetTold.where}: the header row ${o.headerRow} is empty`, { where, problem: 'EMPTY_HEADER_ROW' }, { ownWords: sheetTold.ownWords });
        }
        const cells: string[] = [];
        const errors: Array<[number, CellError]> = [];
        row.eachCell({ includeEmpty: false }, (cell, col) => {
          const v = cellValue(cell, date1904);
          if (v instanceof CellError) errors.push([col, v]);
          cells[col - 1] = v === undefined || v instanceof CellError ? '' : v instanceof Date ? v.toISOString() : String(v);
        });
        if (errors.length) {
          // Not "no header" (QA): the cell holds an error value where the header should be.
          throw new FileHeaderError(
            `${sheetTold.where} row ${rowNumber}: ${errors.map(([col, e]) => `column ${columnName(col)} is ${e.describe()}`).join(', ')} ` +
              'where its header should be; type the header in, or paste the header row as values',
            { where, problem: 'ERROR_HEADER', columns: errors.map(([col]) => col) },
            { ownWords: sheetTold.ownWords },
          );
        }
        const headerWhere = `${sheetTold.where} row ${rowNumber}`;
        const fitter = o.fitter;
        const written = normalizeHeaders(Array.from(cells, (c) => c ?? ''), headerWhere, {
          mapped: fitter && ((h) => fitter.reads(h)),
          whereOwnWords: sheetTold.ownWords,
        });
        headers = fitter?.fit(written, headerWhere, undefined, sheetTold.ownWords) ?? written;
        o.onHeaders?.(headers);
        if (o.headersOnly) return;
        merged = new MergedCells(merges?.ranges() ?? [], rowNumber, headers.length, merges?.part ?? '');
        continue;
      }
      // Rows skipped (stored by an earlier read) are read for the merged ranges they start, so that the rows
      // after them are filled as on the first read.
      const skipped = ++dataRows <= o.skipRows;
      if (skipped && !merged.any) continue;
      const values = rowValues(row, date1904);
      const own = holdsOwnValue(values.values, headers);
      merged.fill(rowNumber, values.values);
      if (skipped) continue;
      out.push(toSheetRow(rowNumber, values, own, headers, where));
    }
    if (out.length > 0) yield out;
  }
  // A blank sheet (a report's sheet left unfilled) holds no record, but is told as one without headers, not
  // passed over in silence.
  if (headers === null) o.onHeaders?.([]);
}

/** Whether a row holds a value other than blank text (an error cell is one). */
function holdsValue(row: StreamingRow, date1904: boolean): boolean {
  let found = false;
  row.eachCell({ includeEmpty: false }, (cell) => {
    if (found) return;
    const v = cellValue(cell, date1904);
    found = v !== undefined && !(typeof v === 'string' && v.trim() === '');
  });
  return found;
}

/** A row's cells' own values, by column (1-based); `width`: its last cell written, even one read as empty. */
interface RowValues {
  values: CellValue[];
  width: number;
}

function rowValues(row: StreamingRow, date1904: boolean): RowValues {
  const values: CellValue[] = [];
  let width = 0;
  row.eachCell({ includeEmpty: false }, (cell, col) => {
    width = col;
    const v = cellValue(cell, date1904);
    if (v !== undefined) values[col] = v;
  });
  return { values, width };
}

/** Whether a row holds a value of its own: one under no header, or one under a header that is not an error cell. */
function holdsOwnValue(values: readonly CellValue[], headers: readonly string[]): boolean {
  return values.some((v, col) => v !== undefined && (headers[col - 1] === undefined || !(v instanceof CellError)));
}

/**
 * A data row from its values (merged cells filled in): a record, an empty row when it holds no value of its own
 * (`own`: a row whose only values are a merged range's, spanning it, is as empty as a row absent from the
 * sheet), or a reject when a value is under no header. Columns in order, so a row's data (and the content hash
 * of a workbook without merged cells) is what it was before merged cells were filled.
 */
function toSheetRow(rowNumber: number, { values, width }: RowValues, own: boolean, headers: string[], where: string): SheetRow {
  if (!own) return { kind: 'empty', rowNumber };
  const data: Record<string, unknown> = {};
  let any = false;
  let stray: number | undefined;
  let chars = 0;
  values.forEach((v, col) => {
    if (v === undefined) return;
    if (typeof v === 'string') chars += v.length;
    const header = headers[col - 1];
    if (header === undefined) {
      stray ??= col;
      return;
    }
    data[header] = v;
    if (!(v instanceof CellError)) any = true;
  });
  if (stray !== undefined) {
    // The other cells are in their columns whatever the stray value is: they give the reject its id.
    const readable = any ? { readable: data } : {};
    const kept = keptValues(Array.from({ length: Math.max(width, values.length - 1) }, (_, i) => values[i + 1] ?? null));
    return {
      kind: 'reject',
      rowNumber,
      payload: { row: kept.values, ...(kept.cut ? { cutAtChars: MAX_RAW_CHARS } : {}) },
      problems: [
        {
          field: '(row)',
          code: 'MALFORMED_ROW',
          message: `a value in column ${columnName(stray)}, which has no header (${where} has ${headers.length} columns)`,
        },
      ],
      ...readable,
      chars,
    };
  }
  return any ? { kind: 'record', rowNumber, data, chars } : { kind: 'empty', rowNumber };
}

/**
 * A rejected row's values as its payload keeps them: text cut so that all of it stays within
 * {@link MAX_RAW_CHARS}, as a broken CSV row's text is (QA: a 10 MB cell was stored whole in a reject); `cut`
 * says it was.
 */
function keptValues(values: unknown[]): { values: unknown[]; cut: boolean } {
  let room = MAX_RAW_CHARS;
  let cut = false;
  const kept = values.map((v) => {
    if (typeof v !== 'string') return v;
    if (v.length <= room) {
      room -= v.length;
      return v;
    }
    cut = true;
    const part = v.slice(0, room);
    room = 0;
    return part;
  });
  return { values: kept, cut };
}

/** A cell's value as a record holds it (see {@link xlsxRows}); undefined for an empty cell. */
export function cellValue(cell: StreamingCell, date1904: boolean): CellValue {
  return plain(cell.value, cell.numFmt, date1904);
}

type CellValue = string | number | boolean | Date | CellError | undefined;

function plain(v: unknown, numFmt: string | undefined, date1904: boolean): CellValue {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  // A whole number in a zero-padded format is the text Excel shows (`001203004567`): see zero-padded-format.ts.
  if (typeof v === 'number') return Number.isFinite(v) ? zeroPaddedText(v, numFmt) ?? v : undefined;
  if (typeof v === 'boolean') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.richText)) {
      return plain((o.richText as Array<{ text?: unknown }>).map((r) => (typeof r.text === 'string' ? r.text : '')).join(''), undefined, date1904);
    }
    if ('formula' in o || 'sharedFormula' in o) {
      const result = o.result;
      // The streaming reader reads a formula's cached result as a number unless it is text: an error result
      // (`#N/A` from a lookup that found nothing) comes as NaN, its code dropped (and FALSE/TRUE as 0/1). An
      // error all the same (QA: it read as an empty cell, and the value was missing with nothing said).
      if (typeof result === 'number' && Number.isNaN(result)) return new CellError('');
      // The streaming reader gives a formula's result as a bare number even in a date-formatted cell. A result
      // of 0 there is a formula pointing at an empty cell (`=Z11`), which Excel shows blank or as 00/01/1900:
      // empty, not 30/12/1899 (QA re-check).
      if (typeof result === 'number' && isDateFormat(numFmt)) return result === 0 ? undefined : excelDate(result, date1904);
      return plain(result, numFmt, date1904);
    }
    if ('error' in o) return new CellError(typeof o.error === 'string' ? o.error : '');
    if ('text' in o) return plain(o.text, undefined, date1904);
  }
  return undefined;
}

/** Same test as exceljs applies to plain number cells. */
function isDateFormat(fmt: string | undefined): boolean {
  if (!fmt) return false;
  return /[ymdhMsb]+/.test(fmt.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, ''));
}

function excelDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 86_400_000));
}
