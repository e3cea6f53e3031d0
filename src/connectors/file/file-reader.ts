/**
 * The reader of `kind: file` connectors (docs/connectors.md#kind-file): CSV and XLSX files dropped in a
 * directory, read oldest first in chunks of `chunkRows` rows, each chunk yielded with the position to resume
 * from (the file's checksum, the sheet and the rows done). Files already ingested (by SHA-256) are skipped.
 *
 * Memory is bounded whatever the file size: batches are produced as the consumer pulls them (async
 * iteration), and only the current chunk's rows and one read buffer are held.
 *
 * A file is refused whole, before any of its rows is given out, when it cannot be read as a whole: wrong
 * encoding (the whole file is decoded first), unknown format, missing sheet, a header row that cannot be
 * used (every configured XLSX sheet's is checked first). Only damage inside an XLSX sheet's data (a broken
 * zip entry) is found where it is, after the rows before it were given out. Reading the drop directory, a
 * refused file is reported (`file-refused`) and the next file is read; a file given by name fails the read.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { z } from 'zod';
import { serializeError } from '../../observability/logger.js';
import { PROJECT_ROOT } from '../../config/config.js';
import type { RecordLayout } from '../../domain/record-layout.js';
import { resolveSetting } from '../definition/env-ref.js';
import type {
  CheckResult,
  RawRecord,
  ReadBatch,
  ReadContext,
  ReaderPosition,
  ReaderReject,
  SourceReader,
} from '../types.js';
import { csvRows } from './csv-rows.js';
import { assertFileDecodes, detectEncoding, ENCODING_SNIFF_BYTES, type DetectedEncoding } from './encoding.js';
import { FileAccessError } from './errors/file-access.error.js';
import { FileChangedError } from './errors/file-changed.error.js';
import { FileEncodingError } from './errors/file-encoding.error.js';
import { FileFormatError } from './errors/file-format.error.js';
import { FileHeaderError } from './errors/file-header.error.js';
import { SheetNotFoundError } from './errors/sheet-not-found.error.js';
import { DEFAULT_RECORD_TYPE, type FileConfig, type FileSheet } from './file.schema.js';
import { compileGlob } from './glob.js';
import type { SheetRow } from './sheet-row.js';

export interface FileReaderDeps {
  /** Where `{ env: … }` settings are looked up. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** The connector's name (for messages and logs). */
  name: string;
  /** Relative directories are taken from here. @defaultValue PROJECT_ROOT */
  projectRoot?: string;
}

/**
 * The checkpoint of a file connector: the file being read (by checksum; the name is for people), the sheet
 * (index into the configured sheets, 0 for CSV) and the data rows of that sheet already stored (good rows,
 * rejected rows and empty rows alike). `completed` marks the position after a file's last batch.
 */
export const filePositionSchema = z.object({
  file: z.object({ checksum: z.string().regex(/^[0-9a-f]{64}$/), name: z.string() }),
  sheetIndex: z.number().int().min(0),
  rowsDone: z.number().int().min(0),
  completed: z.boolean().optional(),
});
export type FilePosition = z.infer<typeof filePositionSchema>;

interface FileEntry {
  path: string;
  name: string;
  sizeBytes: number;
  mtimeMs: number;
}
interface ChecksummedFile extends FileEntry {
  checksum: string;
}
type FileFormat = 'csv' | 'xlsx';

/** One batch being filled. */
interface Chunk {
  label: string;
  records: RawRecord[];
  rejects: ReaderReject[];
  rows: number;
  firstRow: number;
  lastRow: number;
  sheetIndex: number;
  /** Where the position after this chunk is: the sheet and its rows done (kept as numbers, built once). */
  nextSheet: number;
  nextRowsDone: number;
}

export class FileReader implements SourceReader {
  private readonly matches: (fileName: string) => boolean;
  private readonly log: Logger;

  constructor(
    private readonly config: FileConfig,
    private readonly deps: FileReaderDeps,
  ) {
    this.matches = compileGlob(config.pattern);
    this.log = deps.logger.child({ connector: deps.name });
  }

  /** The drop directory, absolute. Throws MissingSecretError when its variable is unset without a default. */
  directory(): string {
    const dir = resolveSetting(this.config.directory, `connector ${this.deps.name}: file.directory`, this.deps.env);
    return path.resolve(this.deps.projectRoot ?? PROJECT_ROOT, dir);
  }

  async *read(position: ReaderPosition | null, ctx: ReadContext): AsyncGenerator<ReadBatch> {
    const resume = this.parsePosition(position);
    const listed = await this.listFiles(ctx.files);
    ctx.onEvent?.({ type: 'files-listed', files: listed.length, sizeBytes: listed.reduce((n, f) => n + f.sizeBytes, 0) });
    const files: ChecksummedFile[] = [];
    for (const file of listed) {
      ctx.signal?.throwIfAborted();
      files.push({ ...file, checksum: await sha256(file.path, file.sizeBytes) });
    }
    // The file a killed run was inside goes first, from where it stopped; if it is gone, start over.
    let start: { checksum: string; sheetIndex: number; rowsDone: number } | null = null;
    if (resume && !resume.completed) {
      const at = files.findIndex((f) => f.checksum === resume.file.checksum);
      if (at >= 0) {
        files.unshift(...files.splice(at, 1));
        start = { checksum: resume.file.checksum, sheetIndex: resume.sheetIndex, rowsDone: resume.rowsDone };
      } else {
        this.log.info({ file: resume.file.name }, 'the file the last run stopped in is gone; reading the directory afresh');
      }
    }

    let batches = 0;
    const seen = new Set<string>();
    for (const file of files) {
      ctx.signal?.throwIfAborted();
      // A second copy of a file in the same listing is the same data: read once.
      const copy = seen.has(file.checksum);
      if (copy || (await ctx.isFileIngested?.(file.checksum))) {
        this.log.info(
          { file: file.name, sizeBytes: file.sizeBytes },
          copy ? 'file skipped: same content as a file read in this run' : 'file skipped: already ingested',
        );
        ctx.onEvent?.({ type: 'file-skipped', fileName: file.name, reason: 'ALREADY_INGESTED' });
        continue;
      }
      seen.add(file.checksum);
      const from = start?.checksum === file.checksum ? start : { sheetIndex: 0, rowsDone: 0 };
      try {
        let gaveRows = false;
        for await (const batch of this.readFile(file, from, ctx)) {
          ctx.signal?.throwIfAborted();
          yield batch;
          gaveRows ||= batch.records.length > 0 || (batch.rejects?.length ?? 0) > 0;
          if (!ctx.sampleSheets && ctx.maxBatches !== undefined && ++batches >= ctx.maxBatches) return;
        }
        // A sample is the first file that has rows.
        if (ctx.sampleSheets && gaveRows) return;
      } catch (error) {
        // A file the connector cannot read is refused by name and the directory's other files are still
        // read: one bad drop must not hold up the rest. A file asked for by name fails the read, as asked.
        if (ctx.files || !isFileRefusal(error)) throw error;
        this.log.warn({ file: file.name, err: error }, 'file refused; the other files are read');
        ctx.onEvent?.({
          type: 'file-refused', fileName: file.name, checksum: file.checksum, code: error.code, message: error.message,
          storedMessage: String(serializeError(error).message),
        });
      }
    }
  }

  /** Files are remembered by checksum in the database: there is no position to carry to the next run. */
  complete(): ReaderPosition | null {
    return null;
  }

  async check(ctx: ReadContext): Promise<CheckResult> {
    const steps: CheckResult['steps'] = [];
    const fail = (step: string, error: unknown): CheckResult => {
      steps.push({ step, ok: false, detail: (error as Error).message });
      return { ok: false, steps };
    };
    let files: FileEntry[];
    if (ctx.files) {
      try {
        files = await this.listFiles(ctx.files);
      } catch (error) {
        return fail('files given', error);
      }
      steps.push({ step: 'files given', ok: true, detail: `${files.length} file(s) readable` });
    } else {
      let dir: string;
      try {
        dir = this.directory();
        const s = await stat(dir).catch((e: NodeJS.ErrnoException) => {
          throw accessError(e, dir, 'the drop directory');
        });
        if (!s.isDirectory()) throw new FileAccessError(`the drop directory ${dir} is not a directory`, { path: dir });
        await access(dir, constants.R_OK | constants.X_OK).catch((e: NodeJS.ErrnoException) => {
          throw accessError(e, dir, 'the drop directory');
        });
      } catch (error) {
        return fail('drop directory', error);
      }
      steps.push({ step: 'drop directory', ok: true, detail: `${dir} exists and is readable` });
      try {
        files = await this.listFiles(undefined);
      } catch (error) {
        return fail('files', error);
      }
      // An empty drop directory is the normal state between deliveries, not a fault.
      steps.push({
        step: 'files',
        ok: true,
        detail:
          files.length > 0
            ? `${files.length} file(s) match ${this.config.pattern}`
            : `no file matches ${this.config.pattern} yet (nothing to read)`,
      });
    }
    const first = files[0];
    if (!first) return { ok: true, steps, sampleCount: 0 };
    try {
      const file = { ...first, checksum: await sha256(first.path, first.sizeBytes) };
      let encoding = '';
      const probe: ReadContext = {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onEvent: (e) => {
          if (e.type === 'file-started') encoding = e.encoding;
          if (e.type === 'sheet-headers') ctx.onEvent?.(e);
        },
      };
      let sample: ReadBatch | undefined;
      for await (const batch of this.readFile(file, { sheetIndex: 0, rowsDone: 0 }, probe)) {
        sample = batch;
        break;
      }
      const records = sample?.records.length ?? 0;
      const rejects = sample?.rejects?.length ?? 0;
      steps.push({
        step: 'first file',
        ok: true,
        detail: `${first.name} (${encoding}): headers read; ${records} record(s)${rejects ? ` and ${rejects} broken row(s)` : ''} in the first chunk`,
      });
      return { ok: true, steps, sampleCount: records };
    } catch (error) {
      return fail('first file', error);
    }
  }

  private parsePosition(position: ReaderPosition | null): FilePosition | null {
    if (position === null) return null;
    const parsed = filePositionSchema.safeParse(position);
    if (parsed.success) return parsed.data;
    this.log.warn('the stored position is not a file position; reading the directory afresh');
    return null;
  }

  /** The files to read: the given ones in the given order, or the directory's matching files oldest first. */
  private async listFiles(given: string[] | undefined): Promise<FileEntry[]> {
    if (given) {
      const dir = given.some((f) => !path.isAbsolute(f)) ? this.directory() : '';
      const out: FileEntry[] = [];
      for (const f of given) out.push(await this.givenFile(f, dir));
      return out;
    }
    const dir = this.directory();
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true }))
        .filter((d) => (d.isFile() || d.isSymbolicLink()) && this.matches(d.name))
        .map((d) => d.name);
    } catch (error) {
      throw accessError(error as NodeJS.ErrnoException, dir, 'the drop directory');
    }
    const out: FileEntry[] = [];
    for (const name of names) {
      const p = path.join(dir, name);
      const s = await stat(p).catch(() => null); // gone since the listing, or a dangling link
      if (s?.isFile()) out.push({ path: p, name, sizeBytes: s.size, mtimeMs: s.mtimeMs });
    }
    return out.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A file given by path: absolute, or relative to the current directory, else to the drop directory. */
  private async givenFile(given: string, dir: string): Promise<FileEntry> {
    const candidates = path.isAbsolute(given) ? [given] : [path.resolve(given), path.resolve(dir, given)];
    for (const p of candidates) {
      const s = await stat(p).catch(() => null);
      if (s?.isFile()) return { path: p, name: path.basename(p), sizeBytes: s.size, mtimeMs: s.mtimeMs };
    }
    throw new FileAccessError(`the file ${given} does not exist or is not a file (looked in ${candidates.join(' and ')})`, {
      path: given,
    });
  }

  private formatOf(file: FileEntry): FileFormat {
    if (this.config.format !== 'auto') return this.config.format;
    const ext = path.extname(file.name).toLowerCase();
    if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
    if (ext === '.xlsx' || ext === '.xlsm') return 'xlsx';
    if (ext === '.xls') {
      throw new FileFormatError(`${file.name} is an Excel 97-2003 workbook (.xls), which is not read; save it as .xlsx`, {
        fileName: file.name,
      });
    }
    throw new FileFormatError(`${file.name}: cannot tell the format from the extension "${ext}"; set file.format`, {
      fileName: file.name,
    });
  }

  /** The sheets a file is read as, in order (a CSV file is its own only sheet). */
  private sheetsOf(file: FileEntry, format: FileFormat): FileSheet[] {
    const sheets = this.config.sheets?.filter((s) => s.files === undefined || compileGlob(s.files)(file.name));
    if (this.config.sheets && sheets?.length === 0) {
      throw new FileFormatError(`${file.name} matches no \`sheets\` entry of connector ${this.deps.name} (by their \`files\` patterns)`, { file: file.name });
    }
    if (format === 'xlsx') return sheets ?? [{ sheet: 1, recordType: DEFAULT_RECORD_TYPE }];
    if (sheets && sheets.length > 1 && sheets.every((s) => s.files === undefined)) {
      throw new FileFormatError(
        `${file.name} is a CSV file (one sheet) but connector ${this.deps.name} reads ${sheets.length} sheets; drop the workbook as .xlsx`,
        { file: file.name },
      );
    }
    return [{ sheet: 1, recordType: sheets?.[0]?.recordType ?? DEFAULT_RECORD_TYPE }];
  }


  /** Checks what can be checked before any row is given out; returns the label of the file's encoding. */
  private async prepare(file: FileEntry, format: FileFormat): Promise<{ encoding: string; textEncoding?: DetectedEncoding }> {
    const head = await readHead(file.path, ENCODING_SNIFF_BYTES);
    const zip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
    if (format === 'xlsx') {
      if (!zip) {
        throw new FileFormatError(`${file.name} is not an XLSX workbook (an XLSX file is a zip archive; this one is not)`, {
          fileName: file.name,
        });
      }
      return { encoding: 'xlsx' };
    }
    if (zip) {
      throw new FileFormatError(`${file.name} is a zip archive (an XLSX workbook?), not a CSV file`, { fileName: file.name });
    }
    const detected = detectEncoding(head, this.config.csv.encoding, file.name);
    // The whole file is decoded once before any row is given out, so a file is refused whole or read whole.
    await assertFileDecodes(file.path, file.name, detected.encoding);
    return { encoding: `${detected.encoding}${detected.bom ? ' with BOM' : ''}`, textEncoding: detected };
  }

  /**
   * The header rows of the sheets after the first one read, checked before any row is given out: a workbook
   * whose second sheet has no usable header is refused whole rather than after its first sheet was stored.
   * Costs one more parse of the workbook's shared strings per later sheet (the sheets are read one by one
   * anyway). Damage inside a later sheet's data can still only be found when it is reached.
   */
  private async checkLaterSheets(file: FileEntry, sheets: FileSheet[], first: number): Promise<void> {
    if (sheets.length <= first + 1) return;
    const { xlsxRows } = await import('./xlsx-rows.js');
    for (let s = first + 1; s < sheets.length; s++) {
      const rows = xlsxRows({ filePath: file.path, fileName: file.name, sheets, sheetIndex: s, headerRow: this.config.headerRow, skipRows: 0, headersOnly: true });
      for await (const _ of rows) {
        // Nothing is given out with `headersOnly`.
      }
    }
  }

  private async *readFile(
    file: ChecksummedFile,
    from: { sheetIndex: number; rowsDone: number },
    ctx: ReadContext,
  ): AsyncGenerator<ReadBatch> {
    const started = performance.now();
    const format = this.formatOf(file);
    const sheets = this.sheetsOf(file, format);
    const { encoding, textEncoding } = await this.prepare(file, format);
    if (format === 'xlsx') await this.checkLaterSheets(file, sheets, from.sheetIndex);
    ctx.onEvent?.({ type: 'file-started', fileName: file.name, sizeBytes: file.sizeBytes, encoding });
    this.log.info(
      { file: file.name, sizeBytes: file.sizeBytes, encoding, sheetIndex: from.sheetIndex, rowsDone: from.rowsDone },
      from.rowsDone > 0 || from.sheetIndex > 0 ? 'file resumed' : 'file started',
    );
    const fileRef = { checksum: file.checksum, name: file.name };
    const toBatch = (chunk: Chunk, completed = false): ReadBatch => ({
      records: chunk.records,
      rejects: chunk.rejects,
      position: {
        file: { ...fileRef },
        sheetIndex: chunk.nextSheet,
        rowsDone: chunk.nextRowsDone,
        ...(completed ? { completed: true } : {}),
      } satisfies FilePosition,
      location: locationOf(chunk),
    });
    let totals = { records: 0, rejects: 0 };
    let chunk: Chunk | null = null;
    for (let s = from.sheetIndex; s < sheets.length; s++) {
      const sheet = sheets[s]!;
      let done = s === from.sheetIndex ? from.rowsDone : 0;
      let label = file.name;
      const source: AsyncIterable<SheetRow[]> =
        format === 'csv'
          ? csvRows({
              filePath: file.path,
              fileName: file.name,
              encoding: textEncoding!.encoding,
              delimiter: this.config.csv.delimiter,
              quote: this.config.csv.quote,
              headerRow: this.config.headerRow,
              skipRows: done,
              recogniser: ctx.recogniser,
              recordType: sheet.recordType,
              onHeaders: (columns) => ctx.onEvent?.({ type: 'sheet-headers', fileName: file.name, where: label, recordType: sheet.recordType, columns }),
            })
          : (await import('./xlsx-rows.js')).xlsxRows({
              filePath: file.path,
              fileName: file.name,
              sheets,
              sheetIndex: s,
              headerRow: this.config.headerRow,
              skipRows: done,
              onSheetName: (name) => (label = `${file.name} sheet "${name}"`),
              onHeaders: (columns) => ctx.onEvent?.({ type: 'sheet-headers', fileName: file.name, where: label, recordType: sheet.recordType, columns }),
            });
      sheetRows: for await (const rows of source) {
        for (const row of rows) {
          // A dry run's sample: the first chunk of each sheet (the rest of the sheet is not read).
          if (ctx.sampleSheets && chunk !== null && chunk.sheetIndex === s && chunk.rows >= this.config.chunkRows) break sheetRows;
          // A full chunk goes out only when another row follows, so the last rows of a file always travel
          // with `fileCompleted` (no empty batch after them).
          if (chunk !== null && (chunk.rows >= this.config.chunkRows || chunk.sheetIndex !== s)) {
            totals = addTotals(totals, chunk);
            yield toBatch(chunk);
            chunk = null;
          }
          chunk ??= {
            label,
            records: [],
            rejects: [],
            rows: 0,
            firstRow: row.rowNumber,
            lastRow: row.rowNumber,
            sheetIndex: s,
            nextSheet: s,
            nextRowsDone: done,
          };
          done++;
          chunk.rows++;
          chunk.lastRow = row.rowNumber;
          chunk.nextRowsDone = done;
          if (row.kind === 'known') {
            chunk.records.push(new RecognisedRecord(row, sheet.recordType, label));
          } else if (row.kind === 'record') {
            const location = `${label} row ${row.rowNumber}`;
            chunk.records.push({ data: row.data, recordType: sheet.recordType, location, text: row.text, textLayout: row.textLayout, contentHash: row.contentHash });
          } else if (row.kind === 'reject') {
            chunk.rejects.push({ payload: row.payload, location: `${label} row ${row.rowNumber}`, problems: row.problems });
          }
        }
      }
      if (chunk !== null) {
        chunk.nextSheet = s + 1;
        chunk.nextRowsDone = 0;
      }
      if (ctx.sampleSheets && chunk !== null) {
        yield toBatch(chunk);
        chunk = null;
      }
    }
    // A sample is not the whole file: nothing is completed.
    if (ctx.sampleSheets) return;
    await assertUnchanged(file);
    const last: Chunk = chunk ?? {
      label: file.name,
      records: [],
      rejects: [],
      rows: 0,
      firstRow: 0,
      lastRow: 0,
      sheetIndex: sheets.length,
      nextSheet: sheets.length,
      nextRowsDone: 0,
    };
    last.nextSheet = sheets.length;
    last.nextRowsDone = 0;
    totals = addTotals(totals, last);
    this.log.info(
      { file: file.name, records: totals.records, rejects: totals.rejects, ms: Math.round(performance.now() - started) },
      'file read',
    );
    yield { ...toBatch(last, true), fileCompleted: { checksum: file.checksum, fileName: file.name, sizeBytes: file.sizeBytes } };
  }
}

/**
 * A row recognised by its text as stored unchanged (see `RawRecord.known`): what a sync reads of it is the
 * token; its data is parsed, and its location named, only if asked for.
 */
class RecognisedRecord implements RawRecord {
  private parsed: Record<string, unknown> | undefined;

  constructor(
    private readonly row: Extract<SheetRow, { kind: 'known' }>,
    readonly recordType: string | undefined,
    private readonly label: string,
  ) {}

  get known(): number {
    return this.row.token;
  }

  get text(): string {
    return this.row.text;
  }

  get textLayout(): RecordLayout {
    return this.row.textLayout;
  }

  get data(): Record<string, unknown> {
    return (this.parsed ??= this.row.parse());
  }

  get location(): string {
    return `${this.label} row ${this.row.rowNumber}`;
  }
}

function locationOf(chunk: Chunk): string {
  if (chunk.rows === 0) return `${chunk.label} (no more rows)`;
  if (chunk.firstRow === chunk.lastRow) return `${chunk.label} row ${chunk.firstRow}`;
  return `${chunk.label} rows ${chunk.firstRow}-${chunk.lastRow}`;
}

function addTotals(t: { records: number; rejects: number }, chunk: Chunk) {
  return { records: t.records + chunk.records.length, rejects: t.rejects + chunk.rejects.length };
}

/** Files from this size (when known) are checksummed in a worker thread; below it, starting one costs more than it frees. */
export const CHECKSUM_WORKER_BYTES = 16 * 1024 * 1024;

/**
 * SHA-256 of a file (hex), streamed. A large file is hashed in a worker thread: reading and hashing it
 * (about 1 ms per MB here, more when the file is not in the page cache) then runs beside the event loop,
 * which meanwhile takes in the stored keys a sync loads for the files listed (`KnownRecordsHandover`).
 */
export async function sha256(filePath: string, sizeBytes?: number): Promise<string> {
  if (sizeBytes !== undefined && sizeBytes >= CHECKSUM_WORKER_BYTES) return sha256InWorker(filePath);
  return sha256Here(filePath);
}

/**
 * Reads through one reused 1 MB buffer: a stream allocates a fresh buffer per chunk, and a fresh megabyte is
 * mapped and zeroed by the kernel page by page (the 1M-row re-read of a 191 MB file: ~20,000 more page faults).
 */
async function sha256Here(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(filePath, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = (await handle.read(buf, 0, buf.length, null)).bytesRead; n > 0; n = (await handle.read(buf, 0, buf.length, null)).bytesRead) {
      hash.update(buf.subarray(0, n));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Plain JavaScript, so the worker needs no build step: the path in, the digest or the read error out (as {@link sha256Here}). */
const CHECKSUM_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
try {
  const hash = require('node:crypto').createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = fs.openSync(workerData, 'r');
  try {
    for (let n = fs.readSync(fd, buf, 0, buf.length, null); n > 0; n = fs.readSync(fd, buf, 0, buf.length, null)) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  parentPort.postMessage({ digest: hash.digest('hex') });
} catch (err) {
  parentPort.postMessage({ error: { message: err.message, code: err.code, syscall: err.syscall, path: err.path } });
}
`;

function sha256InWorker(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answered = false;
    // A worker that cannot start or dies without answering (never the file's fault: its errors are answers)
    // leaves the file to be hashed here.
    const here = () => {
      if (answered) return;
      answered = true;
      sha256Here(filePath).then(resolve, reject);
    };
    let worker: Worker;
    try {
      worker = new Worker(CHECKSUM_WORKER, { eval: true, workerData: filePath });
    } catch {
      here();
      return;
    }
    worker.once('message', (m: { digest?: string; error?: { message: string; code?: string; syscall?: string; path?: string } }) => {
      if (answered) return;
      answered = true;
      if (m.digest) resolve(m.digest);
      // The read error as reading the file here gives it (code included).
      else reject(Object.assign(new Error(m.error?.message ?? 'the file could not be read'), m.error));
    });
    worker.once('error', here);
    worker.once('exit', here);
  });
}

async function readHead(filePath: string, bytes: number): Promise<Uint8Array> {
  const handle = await open(filePath, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The checksum was taken before reading: a file that changed since (still being copied in) is not recorded. */
async function assertUnchanged(file: FileEntry): Promise<void> {
  const s = await stat(file.path).catch(() => null);
  if (!s || s.size !== file.sizeBytes || s.mtimeMs !== file.mtimeMs) {
    throw new FileChangedError(
      `${file.name} changed while it was being read (${s ? `${file.sizeBytes} → ${s.size} bytes` : 'removed'}); it was not recorded as ingested and will be read again`,
      { fileName: file.name },
    );
  }
}

/**
 * Errors that refuse one file whole, whatever the other files hold: its encoding, format, headers or sheets.
 * They are about the file's content, so reading it again gives the same answer until the file is replaced.
 */
export function isFileRefusal(error: unknown): error is FileEncodingError | FileFormatError | FileHeaderError | SheetNotFoundError {
  return error instanceof FileEncodingError || error instanceof FileFormatError || error instanceof FileHeaderError || error instanceof SheetNotFoundError;
}

function accessError(error: NodeJS.ErrnoException, p: string, what: string): FileAccessError {
  const reason =
    error.code === 'ENOENT'
      ? 'does not exist'
      : error.code === 'EACCES' || error.code === 'EPERM'
        ? 'cannot be read (permission denied)'
        : error.code === 'ENOTDIR'
          ? 'is not a directory'
          : `cannot be read (${error.code ?? error.message})`;
  return new FileAccessError(`${what} ${p} ${reason}`, { path: p, reason: error.code });
}
