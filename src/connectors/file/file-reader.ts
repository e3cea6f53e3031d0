/**
 * The reader of `kind: file` connectors (docs/connectors.md#kind-file): CSV and XLSX files dropped in a
 * directory, read oldest first in chunks of `chunkRows` rows (fewer when their text passes
 * {@link CHUNK_CHARS} characters), each chunk yielded with the position to resume from (the file's checksum,
 * the sheet and the rows done). Files already ingested (by SHA-256) are skipped.
 *
 * Memory is bounded whatever the file size: batches are produced as the consumer pulls them (async
 * iteration), and only the current chunk's rows and one read buffer are held.
 *
 * A file is refused whole, before any of its rows is given out, when it cannot be read as a whole: wrong
 * encoding (the whole file is decoded first), unknown format, missing sheet, a header row that cannot be
 * used (every configured XLSX sheet's is checked first). Only damage inside an XLSX sheet's data (a broken
 * zip entry) is found where it is, after the rows before it were given out. A file that cannot be opened or
 * read (permission denied, not a file, an I/O error) is refused too. Reading the drop directory, a refused
 * file is reported (`file-refused`) and the next file is read; a file given by name fails the read (a dry run reports it as such and goes on). A file
 * gone since the listing is skipped with a warning, and one modified less than `settleSeconds` ago (still
 * being written) is left for a later read (`file-waiting`).
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream, type Stats } from 'node:fs';
import { access, lstat, open, readdir, readFile, realpath, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { z } from 'zod';
import { loggedOutcome, serializeError } from '../../observability/logger.js';
import { PROJECT_ROOT } from '../../config/config.js';
import type { RecordLayout } from '../../domain/record-layout.js';
import type { RecordMapping } from '../mapping/mapping.schema.js';
import { monthFirstColumn } from './date-order.js';
import { MissingSettingError, resolveSetting, SettingInvalidError } from '../definition/env-ref.js';
import { missingVariables } from '../definition/missing-variables.js';
import type {
  CheckResult,
  RawRecord,
  ReadBatch,
  ReadContext,
  ReaderPosition,
  ReaderReject,
  SourceReader,
} from '../types.js';
import { csvRows, type CsvRowsOptions } from './csv-rows.js';
import { assertFileDecodes, detectEncoding, ENCODING_SNIFF_BYTES, type DetectedEncoding } from './encoding.js';
import { FileAccessError, type DirectorySettingOrigin } from './errors/file-access.error.js';
import { FileChangedError } from './errors/file-changed.error.js';
import { FileEncodingError } from './errors/file-encoding.error.js';
import { FileFormatError } from './errors/file-format.error.js';
import { FileMatchesNoSheetError } from './errors/file-matches-no-sheet.error.js';
import { FileHeaderError } from './errors/file-header.error.js';
import { FileUnreadableError } from './errors/file-unreadable.error.js';
import { HeaderFitter } from './header-fit.js';
import { SheetNotFoundError } from './errors/sheet-not-found.error.js';
import { DEFAULT_RECORD_TYPE, EMPTY_DIRECTORY, SETTLE_SECONDS_TEXT, type FileConfig, type FileSheet } from './file.schema.js';
import { entryName } from './file-names.js';
import { fileLabel, pathLabel } from './file-label.js';
import { entryKind, fileSystemError, givenNotAFileError, invalidNameError, isGone, notAFileError, unreadableFileError } from './file-system-errors.js';
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
  /**
   * The connector's mappings: each sheet's header row is fitted to those that may take its rows (headers
   * matched up to letter case and spacing; a sheet from which no record id, or a column the mapping reads, can be read refused: {@link HeaderFitter}).
   * @defaultValue none: headers are read as written, unchecked
   */
  records?: readonly RecordMapping[];
  /** The time (ms since the epoch), for how long ago a file changed. @defaultValue Date.now */
  now?: () => number;
}

/**
 * The checkpoint of a file connector: the file being read (by checksum; the name is for people, and shown
 * to any engineer or operator: its label, {@link fileLabel}, never the real name), the sheet
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
  /** The name in the drop directory: to match patterns and record the file as ingested. */
  name: string;
  /** The name as messages, logs, locations and checkpoints show it ({@link fileLabel}). */
  shown: string;
  sizeBytes: number;
  mtimeMs: number;
  /** The file as the file system describes it ({@link fileStat}): the key of a checksum taken before. */
  stat: string;
  /** Its last change as the file system dates it: the later of its modification and change times (ms since the epoch). */
  changedMs: number;
  /**
   * What a checksum taken of it is kept under: {@link stat} on the mount the file is on ({@link volumeOf}); null where
   * descriptions are not trusted (no checksum is kept or used).
   */
  key: string | null;
}
interface ChecksummedFile extends FileEntry {
  checksum: string;
}
type FileFormat = 'csv' | 'xlsx';

/**
 * The characters of row text after which a chunk ends before its `chunkRows` rows: rows each within the
 * reader's bounds (a CSV line of 1 MiB, an XLSX cell of a million characters) can still make 5,000 of them
 * far more than a heap holds (QA: 150 rows of a million-character cell, 187 KB zipped, took a 512 MB heap
 * down). A sync holds two chunks (it reads the next while storing the current) and each row's text several
 * times over (as read, as data, as stored), so 4 Mi characters (up to 8 MiB as UTF-16) per chunk keeps that
 * well inside the heap; ordinary rows (a few hundred characters) fill `chunkRows` long before it.
 */
export const CHUNK_CHARS = 4 * 1024 * 1024;

/** One batch being filled. */
interface Chunk {
  label: string;
  records: RawRecord[];
  rejects: ReaderReject[];
  rows: number;
  /** The characters of text its rows hold (see {@link rowChars}). */
  chars: number;
  firstRow: number;
  lastRow: number;
  sheetIndex: number;
  /** Where the position after this chunk is: the sheet and its rows done (kept as numbers, built once). */
  nextSheet: number;
  nextRowsDone: number;
}

/** A file's refusal as `check` tells it: its code, then its message (as an entry the listing refuses is told). */
function checkFailure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' && /^CONNECTOR_/.test(code) ? `${code}: ` : ''}${(error as Error).message}`;
}

/** How many files of a drop beyond the first `check` opens as a sync would (each read whole for its encoding). */
const CHECKED_FILES = 50;

export class FileReader implements SourceReader {
  private readonly matches: (fileName: string) => boolean;
  private readonly log: Logger;
  private readonly fitters = new Map<string | undefined, HeaderFitter>();

  constructor(
    private readonly config: FileConfig,
    private readonly deps: FileReaderDeps,
  ) {
    this.matches = compileGlob(config.pattern);
    // The factory's logger names the connector already (a second `connector` key would be invalid JSON for strict log pipelines).
    this.log = deps.logger.bindings()['connector'] === deps.name ? deps.logger : deps.logger.child({ connector: deps.name });
  }

  /** The fitter of the header rows of sheets read as `recordType`; undefined without mappings. */
  private fitter(recordType: string | undefined): HeaderFitter | undefined {
    if (!this.deps.records) return undefined;
    let fitter = this.fitters.get(recordType);
    if (!fitter) this.fitters.set(recordType, (fitter = new HeaderFitter(this.deps.records, recordType, this.config.optionalColumns)));
    return fitter;
  }

  /** Where the drop directory's path comes from, when the definition takes it from the environment. */
  private directoryOrigin(): DirectorySettingOrigin | undefined {
    const setting = this.config.directory;
    if (typeof setting === 'string') return undefined;
    const value = (this.deps.env ?? process.env)[setting.env];
    return value !== undefined && value !== '' ? { variable: setting.env } : { variable: setting.env, defaultPath: setting.default ?? '' };
  }

  /** {@link accessError} for the drop directory, saying where its path came from. */
  private directoryError(error: NodeJS.ErrnoException, dir: string): FileAccessError {
    const e = accessError(error, dir, 'the drop directory');
    return new FileAccessError(e.message, e.details, this.directoryOrigin());
  }

  /** The drop directory, absolute. Throws MissingSettingError when its variable is unset without a default. */
  directory(): string {
    const where = `connector ${this.deps.name}: file.directory`;
    const dir = this.namingAllMissing(() => resolveSetting(this.config.directory, where, this.deps.env));
    // A variable set to blanks: the definition's own path is checked when it is loaded.
    if (!dir.trim()) throw new SettingInvalidError(where, this.config.directory, EMPTY_DIRECTORY);
    return path.resolve(this.deps.projectRoot ?? PROJECT_ROOT, dir);
  }

  async *read(position: ReaderPosition | null, ctx: ReadContext): AsyncGenerator<ReadBatch> {
    const resume = this.parsePosition(position);
    const { files: listed, unreadable } = ctx.files ? { files: await this.listFiles(ctx.files), unreadable: [] } : await this.listDirectory();
    // A file of the drop directory modified too recently is still being written: read next time, whole.
    // Files given by name are read as they are: whoever names one says it is complete.
    // (Even with a modification time in the future.)
    const settleMs = ctx.files ? 0 : this.settleMs();
    const now = Date.now();
    // With no settling asked for, a file is ready whatever its time: one written this millisecond can be dated a
    // fraction of it after `Date.now()`, which counts whole milliseconds (a test's file was left for later).
    const settled = (f: FileEntry) => ctx.files !== undefined || settleMs === 0 || now - f.mtimeMs >= settleMs;
    const ready = listed.filter(settled);
    // Checksums taken already (of recent files found ingested), not to read those files twice.
    const checksummed = new Map<FileEntry, string>();
    for (const f of listed) {
      if (settled(f)) continue;
      // A recent file that is already ingested (a file synced by name a moment ago) is not waiting for
      // anything: it goes on, to be skipped as such. Any other is left for later.
      const checksum = await this.ingestedChecksum(f, ctx);
      if (checksum) {
        checksummed.set(f, checksum);
        ready.push(f);
      } else this.leaveForLater(f, now, settleMs, ctx);
    }
    if (checksummed.size) ready.sort(byAgeThenName);
    ctx.onEvent?.({ type: 'files-listed', files: ready.length, sizeBytes: ready.reduce((n, f) => n + f.sizeBytes, 0), waiting: listed.length - ready.length });
    for (const u of unreadable) this.refuse(u, undefined, u.error, ctx);
    const files: ChecksummedFile[] = [];
    /** Checksums taken now (not known from an earlier read), for the sync to remember. */
    const taken: Array<{ stat: string; checksum: string }> = [];
    /** Checksums found ingested already while checksumming: not asked about again below. */
    const ingested = new Set<string>(checksummed.values());
    for (const file of ready) {
      ctx.signal?.throwIfAborted();
      try {
        let checksum = checksummed.get(file);
        if (checksum === undefined) {
          checksum = await this.knownIngested(file, ctx);
          if (checksum !== undefined) ingested.add(checksum);
        }
        if (checksum === undefined) {
          const hashedAt = (this.deps.now ?? Date.now)();
          checksum = await sha256(file.path, file.sizeBytes);
          // Kept only when the file's last change is well before the hashing began: a file system that dates changes
          // to the second (or two) could give a rewrite made just after it the same times (QA: a same-size rewrite in
          // the second the sync read the file, its modification time put back, was skipped on every later sync). Such
          // a file is hashed again next time, and kept then.
          if (file.key !== null && file.changedMs < hashedAt - RACY_MS) taken.push({ stat: file.key, checksum });
        }
        files.push({ ...file, checksum });
      } catch (error) {
        const refusal = this.readError(error, file, ctx);
        if (refusal === null) continue;
        if (!(refusal instanceof FileUnreadableError)) throw refusal;
        this.refuse(file, undefined, refusal, ctx);
      }
    }
    await ctx.onChecksums?.(taken, ctx.files ? null : listed.flatMap((f) => (f.key === null ? [] : [f.key])));
    // The file a killed run was inside goes first, from where it stopped; if it is gone, start over.
    let start: { checksum: string; sheetIndex: number; rowsDone: number } | null = null;
    if (resume && !resume.completed) {
      const at = files.findIndex((f) => f.checksum === resume.file.checksum);
      if (at >= 0) {
        files.unshift(...files.splice(at, 1));
        start = { checksum: resume.file.checksum, sheetIndex: resume.sheetIndex, rowsDone: resume.rowsDone };
      } else {
        this.log.info({ file: fileLabel(resume.file.name) }, 'the file the last run stopped in is gone; reading the directory afresh');
        ctx.onEvent?.({ type: 'resume-file-gone', fileName: fileLabel(resume.file.name) });
      }
    }

    let batches = 0;
    /** A sample was taken (a dry run): the files after it are only opened. */
    let sampled = false;
    /** The files read in this listing, by checksum: their names, as shown. */
    const seen = new Map<string, string>();
    // Files skipped as already ingested are logged one by one at debug level, and counted in one line (a drop
    // keeping a year of daily exports would otherwise log a year of lines each run).
    let skipped = 0;
    const logSkipped = () => {
      if (skipped) this.log.info({ files: skipped }, 'files skipped: already ingested (the same bytes)');
      skipped = 0;
    };
    for (const file of files) {
      ctx.signal?.throwIfAborted();
      // A second copy of a file in the same listing is the same data: read once.
      const copy = seen.get(file.checksum);
      if (copy !== undefined || ingested.has(file.checksum) || (await ctx.isFileIngested?.(file.checksum))) {
        this.log.debug(
          { file: file.shown, sizeBytes: file.sizeBytes },
          copy !== undefined ? 'file skipped: same content as a file read in this run' : 'file skipped: already ingested',
        );
        skipped++;
        // A copy of a file of this listing is told as one (QA: a dry run of two identical new files said the second was "already ingested").
        ctx.onEvent?.(copy !== undefined
          ? { type: 'file-skipped', fileName: file.shown, checksum: file.checksum, reason: 'COPY_IN_DROP', sameAs: copy }
          : { type: 'file-skipped', fileName: file.shown, checksum: file.checksum, reason: 'ALREADY_INGESTED' });
        continue;
      }
      logSkipped();
      seen.set(file.checksum, file.shown);
      const from = start?.checksum === file.checksum ? start : { sheetIndex: 0, rowsDone: 0 };
      try {
        // The files after a sample are opened as a sync would open them, not read: a refusal is told now, not by
        // the sync after a clean dry run (QA).
        if (sampled) {
          await this.probeFile(file);
          continue;
        }
        let gaveRows = false;
        for await (const batch of this.readFile(file, from, ctx)) {
          ctx.signal?.throwIfAborted();
          yield batch;
          gaveRows ||= batch.records.length > 0 || (batch.rejects?.length ?? 0) > 0;
          if (!ctx.sampleSheets && ctx.maxBatches !== undefined && ++batches >= ctx.maxBatches) return;
        }
        // A sample is the first file that has rows.
        if (ctx.sampleSheets && gaveRows) sampled = true;
      } catch (caught) {
        // A file the connector cannot read is refused by name and the directory's other files are still
        // read: one bad drop must not hold up the rest. A file asked for by name fails the read, as asked.
        const error = this.readError(caught, file, ctx);
        // Not read after all: a copy of it later in the listing is read (and refused) by its own name, not skipped as
        // "already ingested" (QA).
        seen.delete(file.checksum);
        if (error === null) continue;
        // A dry run tells every file given by name that a sync would refuse, beside its sample (QA re-check: it ended at
        // the first, and the sample already read was not shown).
        if ((ctx.files && !ctx.sampleSheets) || !isFileRefusal(error)) throw error;
        this.refuse(file, file.checksum, error, ctx);
      }
    }
    logSkipped();
  }

  /**
   * What an error reading `file` means: the file system's errors become the file's refusal
   * ({@link FileUnreadableError}), other errors are returned as they are; null for a file of the drop
   * directory that is gone (moved away since it was listed), which is skipped with a warning, not ingested.
   * Throws for a file given by name that cannot be read: it was asked for.
   */
  private readError(error: unknown, file: FileEntry, ctx: ReadContext): unknown {
    const fsError = fileSystemError(error);
    if (!fsError) return error;
    if (isGone(fsError)) {
      if (ctx.files) throw accessError(fsError, file.path, 'the file');
      this.log.warn({ file: file.shown }, 'file skipped: gone since the drop directory was listed (moved away); not ingested');
      return null;
    }
    const refusal = unreadableFileError(fsError, file.shown, this.config.pattern);
    if (ctx.files) throw refusal;
    return refusal;
  }

  /** Reports a file of the drop directory refused whole; the read goes on with the next file. */
  private refuse(file: { name: string; shown: string }, checksum: string | undefined, error: unknown, ctx: ReadContext): void {
    const e = error as Error & { code: string };
    this.log.warn({ file: file.shown, err: loggedOutcome(e) }, 'file refused; the other files are read');
    ctx.onEvent?.({
      type: 'file-refused', fileName: file.shown, realName: file.name, ...(checksum ? { checksum } : {}), code: e.code, message: e.message,
      storedMessage: String(serializeError(e).message),
    });
  }

  /**
   * The checksum taken before of the file as it is now ({@link ReadContext.knownChecksums}), when the file with
   * that checksum was ingested: the file is then skipped unread. Undefined otherwise: a file to be read is
   * hashed afresh, so a checksum taken before never stands for bytes that are read.
   */
  private async knownIngested(file: FileEntry, ctx: ReadContext): Promise<string | undefined> {
    const known = file.key === null ? undefined : ctx.knownChecksums?.get(file.key);
    return known !== undefined && (await ctx.isFileIngested?.(known)) ? known : undefined;
  }

  /** The file's checksum when its bytes as they are now were ingested already; undefined otherwise, or when they cannot be read now. */
  private async ingestedChecksum(file: FileEntry, ctx: ReadContext): Promise<string | undefined> {
    if (!ctx.isFileIngested) return undefined;
    const known = await this.knownIngested(file, ctx);
    if (known !== undefined) return known;
    // No file of its size was ingested: it is not one, and a file being written is not read while it is.
    if (ctx.isSizeIngested && !(await ctx.isSizeIngested(file.sizeBytes))) return undefined;
    try {
      const checksum = await sha256(file.path, file.sizeBytes);
      return (await ctx.isFileIngested(checksum)) ? checksum : undefined;
    } catch {
      return undefined; // changed or gone while being read: it is waiting, or it is not there
    }
  }

  /** Reports a file of the drop directory modified too recently to be read (see `file.settleSeconds`). */
  private leaveForLater(file: FileEntry, now: number, settleMs: number, ctx: ReadContext): void {
    const ageSeconds = Math.floor((now - file.mtimeMs) / 1000);
    const fields = { file: file.shown, modifiedSecondsAgo: ageSeconds, settleSeconds: settleMs / 1000 };
    // A time in the future is the writer's clock, or a date set by hand: the file waits until it has passed.
    if (ageSeconds < -settleMs / 1000) this.log.warn(fields, 'file left for a later sync: its modification time is in the future (the clock of what wrote it?)');
    else this.log.info(fields, 'file left for a later sync: modified too recently (still being written?)');
    ctx.onEvent?.({ type: 'file-waiting', fileName: file.shown, modifiedSecondsAgo: ageSeconds, settleSeconds: settleMs / 1000 });
  }

  settings(): void {
    this.directory();
    this.settleMs();
  }

  /**
   * `resolve`, a setting's value; a variable it finds unset is told with the definition's other unset ones, so that all are
   * set at once (QA: check named the settle seconds' variable, a sync the directory's, each alone).
   */
  private namingAllMissing(resolve: () => string): string {
    try {
      return resolve();
    } catch (err) {
      throw err instanceof MissingSettingError ? err.withOthers(missingVariables(this.config, this.deps.env ?? process.env)) : err;
    }
  }

  /** How long a file of the drop directory must have gone unmodified before it is read (`file.settleSeconds`), in ms. */
  private settleMs(): number {
    const setting = this.config.settleSeconds;
    if (typeof setting === 'number') return setting * 1000;
    const text = this.namingAllMissing(() => resolveSetting(setting, `connector ${this.deps.name}: file.settleSeconds`, this.deps.env)).trim();
    if (!SETTLE_SECONDS_TEXT.test(text)) {
      throw new SettingInvalidError(`connector ${this.deps.name}: file.settleSeconds`, setting, 'must be a whole number of seconds from 0 to 86400');
    }
    return Number(text) * 1000;
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
    // The settings taken from the environment, as a sync reads them (QA: a bad one passed check, and every sync failed).
    let settleMs: number;
    try {
      settleMs = this.settleMs();
    } catch (error) {
      return fail('settings', error);
    }
    let ok = true;
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
          throw this.directoryError(e, dir);
        });
        if (!s.isDirectory()) throw new FileAccessError(`the drop directory ${dir} is not a directory`, { path: dir }, this.directoryOrigin());
        await access(dir, constants.R_OK | constants.X_OK).catch((e: NodeJS.ErrnoException) => {
          throw this.directoryError(e, dir);
        });
      } catch (error) {
        return fail('drop directory', error);
      }
      steps.push({ step: 'drop directory', ok: true, detail: `${dir} exists and is readable` });
      let unreadable: Unreadable[];
      try {
        ({ files, unreadable } = await this.listDirectory());
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
      // A sync refuses them (CONNECTOR_FILES_REFUSED): so does check (QA re-check: named, and exit 0).
      for (const u of unreadable) steps.push({ step: `${u.shown}`, ok: false, detail: `${u.error.code}: ${u.error.message}` });
      if (unreadable.length) ok = false;
      // Files still being copied in are left for a later sync, as a sync leaves them: not opened (QA re-check: a file
      // cut short mid-copy was called another encoding, and check failed where the sync would wait).
      const now = Date.now();
      const waiting = settleMs > 0 ? files.filter((f) => now - f.mtimeMs < settleMs) : [];
      if (waiting.length) {
        files = files.filter((f) => !waiting.includes(f));
        steps.push({
          step: 'files waiting', ok: true,
          detail: `${waiting.length} file(s) modified less than file.settleSeconds (${settleMs / 1000} s) ago, left for a later sync as a sync leaves them: not opened`,
        });
      }
    }
    const first = files[0];
    if (!first) return { ok, steps, sampleCount: 0 };
    let sampleCount = 0;
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
      sampleCount = sample?.records.length ?? 0;
      const rejects = sample?.rejects?.length ?? 0;
      steps.push({
        step: 'first file',
        ok: true,
        detail: `${first.shown} (${encoding}): headers read; ${sampleCount} record(s)${rejects ? ` and ${rejects} broken row(s)` : ''} in the first chunk`,
      });
    } catch (error) {
      const skipped = await this.skippedAsIngested(first, error, ctx);
      ok &&= skipped !== null;
      steps.push({ step: 'first file', ok: skipped !== null, detail: skipped ? `${first.shown}: ${skipped}` : checkFailure(error) });
    }
    // The others as a sync would open them (format, encoding, sheets and headers), each refusal named (QA: check passed
    // a drop whose first file was fine and whose four others would each be refused). Up to CHECKED_FILES of them.
    const others = files.slice(1, 1 + CHECKED_FILES);
    let refused = 0;
    let ingested = 0;
    for (const other of others) {
      try {
        await this.probeFile(other);
      } catch (error) {
        const skipped = await this.skippedAsIngested(other, error, ctx);
        if (skipped === null) refused++;
        else ingested++;
        steps.push({ step: other.shown, ok: skipped !== null, detail: skipped ?? checkFailure(error) });
      }
    }
    if (others.length) {
      const unchecked = files.length - 1 - others.length;
      steps.push({
        step: 'other files',
        ok: refused === 0,
        detail: `${others.length - refused - ingested} of ${others.length} open as a sync would read them (format, encoding, headers)`
          + (refused ? `; ${refused} would be refused whole (above)` : '') + (ingested ? `; ${ingested} ingested already, which a sync skips (above)` : '')
          + (unchecked > 0 ? `; ${unchecked} more not checked` : ''),
      });
    }
    return { ok: ok && refused === 0, steps, sampleCount };
  }

  /**
   * For `check`: what to say of a file it would refuse that this connector ingested already (the same bytes), which a
   * sync skips unread, or null when it did not (or the check has no database to ask). Hashed only then: a file that
   * opens is not (QA: after a header change, an archived file failed check though every sync skipped it).
   */
  private async skippedAsIngested(file: FileEntry, error: unknown, ctx: ReadContext): Promise<string | null> {
    if (!ctx.isFileIngested || !isFileRefusal(error)) return null;
    try {
      if (!(await ctx.isFileIngested(await sha256(file.path, file.sizeBytes)))) return null;
    } catch {
      return null;
    }
    return `already ingested (the same bytes): a sync skips it; read again (--force), it would be refused (${checkFailure(error)})`;
  }

  private parsePosition(position: ReaderPosition | null): FilePosition | null {
    if (position === null) return null;
    const parsed = filePositionSchema.safeParse(position);
    if (parsed.success) return parsed.data;
    this.log.warn('the stored position is not a file position; reading the directory afresh');
    return null;
  }

  /** The given files, in the given order. */
  private async listFiles(given: string[]): Promise<FileEntry[]> {
    const dir = given.some((f) => !path.isAbsolute(f)) ? this.directory() : '';
    const out: FileEntry[] = [];
    for (const f of given) out.push(await this.givenFile(f, dir));
    return out;
  }

  /**
   * The drop directory's files matching the pattern, oldest first (then by name), and the entries matching it
   * that cannot be read as files (a directory, a named pipe, a link the hub may not follow, a name it does not
   * take), each with its refusal. A file gone since the listing (or a link to nothing) is skipped with a warning.
   */
  private async listDirectory(): Promise<{ files: FileEntry[]; unreadable: Unreadable[] }> {
    const dir = this.directory();
    const names: string[] = [];
    const unreadable: Unreadable[] = [];
    let realDir: string;
    try {
      // The names as bytes: one that is not UTF-8 would otherwise come back mangled, to a path that does not exist.
      for (const raw of await readdir(dir, { encoding: 'buffer' })) {
        const entry = entryName(raw);
        if (entry.ok) {
          if (this.matches(entry.name)) names.push(entry.name);
        } else if (this.matches(entry.escaped)) {
          const shown = fileLabel(entry.escaped);
          unreadable.push({ name: entry.escaped, shown, error: invalidNameError(shown, entry.problem, this.config.pattern) });
        }
      }
      realDir = await realpath(dir);
    } catch (error) {
      throw this.directoryError(error as NodeJS.ErrnoException, dir);
    }
    const files: FileEntry[] = [];
    // The mount of each file's device and real folder, looked up once for all the files they share.
    const volumes = new Map<string, Promise<string | null>>();
    const volume = async (p: string, dev: number) => {
      const at = `${dev}\0${path.dirname(await realpath(p))}`;
      if (!volumes.has(at)) volumes.set(at, volumeOf(p, dev));
      return volumes.get(at)!;
    };
    for (const name of names) {
      const p = path.join(dir, name);
      const shown = fileLabel(name);
      try {
        // A link is taken for what it points to, if that is in the drop directory: agencies write the directory,
        // and a link out of it would read the hub's own files into rejected rows anyone with the API could see.
        if ((await lstat(p)).isSymbolicLink() && !isWithin(realDir, await realpath(p))) {
          unreadable.push({ name, shown, error: notAFileError(shown, 'a link to a file outside the drop directory', this.config.pattern) });
          continue;
        }
        const s = await stat(p);
        if (s.isFile()) files.push(fileEntry(p, name, s, await volume(p, s.dev)));
        else unreadable.push({ name, shown, error: notAFileError(shown, entryKind(s), this.config.pattern) });
      } catch (error) {
        const fsError = fileSystemError(error);
        if (!fsError) throw error;
        if (isGone(fsError)) this.log.warn({ file: shown }, 'file skipped: gone since the drop directory was listed (moved away), or a link to nothing');
        else unreadable.push({ name, shown, error: unreadableFileError(fsError, shown, this.config.pattern) });
      }
    }
    files.sort(byAgeThenName);
    return { files, unreadable };
  }

  /**
   * A file given by path: absolute, or relative to the drop directory. Never relative to this process's
   * directory: a worker's is not the one of whoever asked (the CLI sends a path it found from its own
   * directory as an absolute one).
   */
  private async givenFile(given: string, dir: string): Promise<FileEntry> {
    const p = path.isAbsolute(given) ? given : path.resolve(dir, given);
    const s = await stat(p).catch(() => null);
    if (s?.isFile()) return fileEntry(p, path.basename(p), s, await volumeOf(p, s.dev));
    if (s) throw givenNotAFileError(pathLabel(given), entryKind(s));
    throw new FileAccessError(
      // Not in parentheses: a run's stored error loses parenthesised fragments (redactMessage), as values (QA: "[redacted]").
      `the file ${pathLabel(given)} does not exist or is not a file${path.isAbsolute(given) ? '' : `; looked for in the drop directory, as ${pathLabel(p)}`}`,
      { path: pathLabel(given) },
    );
  }

  private formatOf(file: FileEntry): FileFormat {
    if (this.config.format !== 'auto') return this.config.format;
    const ext = path.extname(file.name).toLowerCase();
    if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
    if (ext === '.xlsx' || ext === '.xlsm') return 'xlsx';
    if (ext === '.xls') {
      throw new FileFormatError(`${file.shown} is an Excel 97-2003 workbook, .xls, which is not read; save it as .xlsx`, {
        fileName: file.shown,
      });
    }
    // The extension unquoted: logs and run history redact quoted text, and this is the hub's own word on a file name.
    throw new FileFormatError(`${file.shown}: cannot tell the format from ${ext ? `the extension ${ext}` : 'a name without an extension'}; set file.format to csv or xlsx`, {
      fileName: file.shown,
    });
  }

  /** The sheets a file is read as, in order (a CSV file is its own only sheet). */
  private sheetsOf(file: FileEntry, format: FileFormat): FileSheet[] {
    const sheets = this.config.sheets?.filter((s) => s.files === undefined || compileGlob(s.files)(file.name));
    if (this.config.sheets && sheets?.length === 0) {
      // Every entry has a `files` pattern here (one without takes every file).
      throw new FileMatchesNoSheetError(file.shown, this.deps.name, [...new Set(this.config.sheets.map((s) => s.files!))]);
    }
    if (format === 'xlsx') return sheets ?? [{ sheet: 1, recordType: DEFAULT_RECORD_TYPE }];
    if (sheets && sheets.length > 1 && sheets.every((s) => s.files === undefined)) {
      throw new FileFormatError(
        `${file.shown} is a CSV file, one sheet, but connector ${this.deps.name} reads ${sheets.length} sheets; drop the workbook as .xlsx`,
        { file: file.shown },
      );
    }
    return [{ sheet: 1, recordType: sheets?.[0]?.recordType ?? DEFAULT_RECORD_TYPE }];
  }


  /** Checks what can be checked before any row is given out; returns the label of the file's encoding. */
  private async prepare(file: FileEntry, format: FileFormat): Promise<{ encoding: string; textEncoding?: DetectedEncoding }> {
    // Not even a header row: an export that failed or was cut off, not a file of no records (that has its
    // header). Taken as read, it was recorded as ingested, and every empty file after it skipped as the same (QA).
    const empty = () => new FileFormatError(`${file.shown} is empty, with not even a header row: a failed or interrupted export? Replace it with the export`, {
      fileName: file.shown,
    });
    if (file.sizeBytes === 0) throw empty();
    const head = await readHead(file.path, ENCODING_SNIFF_BYTES);
    const zip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
    // The hub's own words, not in parentheses, which logs and run history remove (see givenFile).
    const ownWords = { ownWords: true };
    if (format === 'xlsx') {
      if (!zip) {
        // An OLE compound file: what Excel saves a password-protected workbook as, whatever its extension, and an .xls.
        const ole = OLE_SIGNATURE.every((b, i) => head[i] === b);
        throw new FileFormatError(
          ole
            ? `${file.shown} is not an XLSX workbook: it is an OLE compound file, as a password-protected workbook or an Excel 97-2003 workbook is; remove the password, or save it as .xlsx`
            : `${file.shown} is not an XLSX workbook: an XLSX file is a zip archive, and this one is not`,
          { fileName: file.shown },
          ownWords,
        );
      }
      return { encoding: 'xlsx' };
    }
    if (zip) {
      throw new FileFormatError(`${file.shown} is a zip archive, not a CSV file: an XLSX workbook named as CSV? Drop it as .xlsx`, { fileName: file.shown }, ownWords);
    }
    const detected = detectEncoding(head, this.config.csv.encoding, file.shown);
    // A byte-order mark alone is as empty (QA).
    if (detected.bom && file.sizeBytes <= (detected.encoding === 'utf-8' ? 3 : 2)) throw empty();
    // The whole file is decoded once before any row is given out, so a file is refused whole or read whole.
    await assertFileDecodes(file.path, file.shown, detected.encoding);
    return { encoding: `${detected.encoding}${detected.bom ? ' with BOM' : ''}`, textEncoding: detected };
  }

  /**
   * The header rows of the sheets after the first one read (`first`; -1: every sheet), checked before any row is given out: a workbook
   * whose second sheet has no usable header is refused whole rather than after its first sheet was stored.
   * Costs one more parse of the workbook's shared strings per later sheet (the sheets are read one by one
   * anyway). Damage inside a later sheet's data can still only be found when it is reached.
   */
  private async checkLaterSheets(file: FileEntry, sheets: FileSheet[], first: number, checkWhole = false): Promise<void> {
    if (sheets.length <= first + 1) return;
    const { xlsxRows } = await import('./xlsx-rows.js');
    for (let s = first + 1; s < sheets.length; s++) {
      const rows = xlsxRows({
        filePath: file.path, fileName: file.shown, sheets, sheetIndex: s, headerRow: this.config.headerRow, skipRows: 0, headersOnly: true, checkWhole,
        fitter: this.fitter(sheets[s]!.recordType),
      });
      for await (const _ of rows) {
        // Nothing is given out with `headersOnly`.
      }
    }
  }

  /**
   * Opens `file` as a read would, up to its first rows, and gives nothing out: what refuses a file whole (its format,
   * its encoding, which is checked over the whole file, a sheet not found, headers the mapping cannot read, in every
   * sheet, a workbook's sheet damaged or cut short) throws as it would in a sync. Damage in the rows themselves is
   * found only when they are read.
   */
  private async probeFile(file: FileEntry): Promise<void> {
    const format = this.formatOf(file);
    const sheets = this.sheetsOf(file, format);
    const { textEncoding } = await this.prepare(file, format);
    if (format === 'xlsx') {
      // Every sheet's headers, the first one's too; each sheet's part read whole, as a CSV file is decoded whole (a
      // part cut short refuses the file in a sync: QA).
      await this.checkLaterSheets(file, sheets, -1, true);
      return;
    }
    // The header row is fitted before the first rows come out.
    for await (const _ of this.csvSource(file, textEncoding!, sheets[0]!.recordType, { skipRows: 0 })) break;
  }

  /** A CSV file's rows, read with the definition's settings: one place for a read and a probe. */
  private csvSource(
    file: FileEntry,
    textEncoding: DetectedEncoding,
    recordType: string,
    opts: Pick<CsvRowsOptions, 'skipRows' | 'recogniser' | 'onHeaders'>,
  ): AsyncIterable<SheetRow[]> {
    return csvRows({
      filePath: file.path,
      fileName: file.shown,
      encoding: textEncoding.encoding,
      delimiter: this.config.csv.delimiter,
      quote: this.config.csv.quote,
      headerRow: this.config.headerRow,
      recordType,
      fitter: this.fitter(recordType),
      ...opts,
    });
  }

  /**
   * Refuses the file whole when a sheet's first chunk shows a column the mapping reads written month first
   * ({@link monthFirstColumn}), before any of its rows is given out. Names the column (the definition's word) and
   * counts, never a date.
   */
  private refuseMonthFirstDates(chunk: Chunk, recordType: string | undefined, file: FileEntry): void {
    const fitter = this.fitter(recordType);
    const rows = chunk.records.flatMap((r) => (r instanceof RecognisedRecord ? [] : [{ data: r.data, location: r.location }]));
    const found = monthFirstColumn(rows, (column) => fitter?.reads(column) ?? true);
    if (!found) return;
    const rowsOf = found.where.map((w) => w.replace(/^.* row /, '')).join(', ');
    const where = rowsOf ? ` (row${found.where.length > 1 ? 's' : ''} ${rowsOf}${found.monthFirst > found.where.length ? '…' : ''})` : '';
    throw new FileFormatError(
      `${chunk.label}: column «${found.column}» has dates written month first: ${found.monthFirst} of its ${found.dates} dates in the first rows can only be `
        + `month/day/year${where} (their second number is past 12), and ${found.dayFirst === 0 ? 'none' : found.dayFirst} only day/month/year, `
        + 'as a spreadsheet set to English (United States) saves dates; read day first, as the hub reads dates, those would be refused and those whose day '
        + 'is 12 or less stored with day and month swapped, so the file is refused: save it with the dates as dd/MM/yyyy (or the column as text) and drop it '
        + 'again (if those rows are typing slips in a day-first file, correct them)',
      { fileName: file.shown, column: found.column },
      { ownWords: true },
    );
  }

  /** Whether a chunk holds its `chunkRows` rows, or rows of {@link CHUNK_CHARS} characters. */
  private isFull(chunk: Chunk): boolean {
    return chunk.rows >= this.config.chunkRows || chunk.chars >= CHUNK_CHARS;
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
    ctx.onEvent?.({ type: 'file-started', fileName: file.shown, sizeBytes: file.sizeBytes, encoding });
    this.log.info(
      { file: file.shown, sizeBytes: file.sizeBytes, encoding, sheetIndex: from.sheetIndex, rowsDone: from.rowsDone },
      from.rowsDone > 0 || from.sheetIndex > 0 ? 'file resumed' : 'file started',
    );
    const fileRef = { checksum: file.checksum, name: file.shown };
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
    /** The sheets whose first chunk was looked at for dates written month first (a sheet resumed mid-way was, when it started). */
    const dateOrderChecked = new Set<number>(from.rowsDone > 0 ? [from.sheetIndex] : []);
    const checkDateOrder = (c: Chunk) => {
      if (dateOrderChecked.has(c.sheetIndex)) return;
      dateOrderChecked.add(c.sheetIndex);
      this.refuseMonthFirstDates(c, sheets[c.sheetIndex]?.recordType, file);
    };
    for (let s = from.sheetIndex; s < sheets.length; s++) {
      const sheet = sheets[s]!;
      let done = s === from.sheetIndex ? from.rowsDone : 0;
      let label = file.shown;
      const source: AsyncIterable<SheetRow[]> =
        format === 'csv'
          ? this.csvSource(file, textEncoding!, sheet.recordType, {
              skipRows: done,
              recogniser: ctx.recogniser,
              onHeaders: (columns) => ctx.onEvent?.({ type: 'sheet-headers', fileName: file.shown, where: label, recordType: sheet.recordType, columns }),
            })
          : (await import('./xlsx-rows.js')).xlsxRows({
              filePath: file.path,
              fileName: file.shown,
              sheets,
              sheetIndex: s,
              headerRow: this.config.headerRow,
              skipRows: done,
              onSheetName: (name) => (label = `${file.shown} sheet "${fileLabel(name)}"`),
              fitter: this.fitter(sheet.recordType),
              onHeaders: (columns) => ctx.onEvent?.({ type: 'sheet-headers', fileName: file.shown, where: label, recordType: sheet.recordType, columns }),
            });
      sheetRows: for await (const rows of source) {
        for (const row of rows) {
          // A dry run's sample: the first chunk of each sheet (the rest of the sheet is not read).
          if (ctx.sampleSheets && chunk !== null && chunk.sheetIndex === s && this.isFull(chunk)) break sheetRows;
          // A full chunk goes out only when another row follows, so the last rows of a file always travel
          // with `fileCompleted` (no empty batch after them). Positions count rows, so a chunk ended early by
          // its size resumes as any other.
          if (chunk !== null && (this.isFull(chunk) || chunk.sheetIndex !== s)) {
            checkDateOrder(chunk);
            totals = addTotals(totals, chunk);
            yield toBatch(chunk);
            chunk = null;
          }
          chunk ??= {
            label,
            records: [],
            rejects: [],
            rows: 0,
            chars: 0,
            firstRow: row.rowNumber,
            lastRow: row.rowNumber,
            sheetIndex: s,
            nextSheet: s,
            nextRowsDone: done,
          };
          done++;
          chunk.rows++;
          chunk.chars += rowChars(row);
          chunk.lastRow = row.rowNumber;
          chunk.nextRowsDone = done;
          if (row.kind === 'known') {
            chunk.records.push(new RecognisedRecord(row, sheet.recordType, label));
          } else if (row.kind === 'record') {
            const location = `${label} row ${row.rowNumber}`;
            chunk.records.push({ data: row.data, recordType: sheet.recordType, location, text: row.text, textLayout: row.textLayout, contentHash: row.contentHash });
          } else if (row.kind === 'reject') {
            const location = `${label} row ${row.rowNumber}`;
            const readable = row.readable ? { readable: { data: row.readable, recordType: sheet.recordType, location } } : {};
            chunk.rejects.push({ payload: row.payload, location, problems: row.problems, ...readable });
          }
        }
      }
      if (chunk !== null) {
        chunk.nextSheet = s + 1;
        chunk.nextRowsDone = 0;
      }
      if (ctx.sampleSheets && chunk !== null) {
        checkDateOrder(chunk);
        yield toBatch(chunk);
        chunk = null;
      }
    }
    // A sample is not the whole file: nothing is completed.
    if (ctx.sampleSheets) return;
    await assertUnchanged(file);
    const last: Chunk = chunk ?? {
      label: file.shown,
      records: [],
      rejects: [],
      rows: 0,
      chars: 0,
      firstRow: 0,
      lastRow: 0,
      sheetIndex: sheets.length,
      nextSheet: sheets.length,
      nextRowsDone: 0,
    };
    last.nextSheet = sheets.length;
    last.nextRowsDone = 0;
    if (chunk !== null) checkDateOrder(chunk);
    totals = addTotals(totals, last);
    this.log.info(
      { file: file.shown, records: totals.records, rejects: totals.rejects, ms: Math.round(performance.now() - started) },
      'file read',
    );
    yield { ...toBatch(last, true), fileCompleted: { checksum: file.checksum, fileName: file.name, sizeBytes: file.sizeBytes } };
  }
}

/** The characters of text a row holds, from a length it carries (nothing is counted again). */
function rowChars(row: SheetRow): number {
  switch (row.kind) {
    case 'known':
      return row.text.length;
    case 'record':
      return row.text?.length ?? row.chars ?? 0;
    case 'reject':
      return row.chars ?? (typeof row.payload.row === 'string' ? row.payload.row.length : 0);
    default:
      return 0;
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

/** The first bytes of an OLE compound file (CFB): an Excel 97-2003 workbook, or any workbook saved with a password. */
const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

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

/**
 * A file as the file system describes it: device, inode, size, and modification and change times (to the
 * fraction of a millisecond the file system keeps). On the file systems {@link CHANGE_TIME_FILE_SYSTEMS} lists,
 * writing to a file, replacing it, renaming it or changing its mode moves its change time, which no program sets
 * back, so a checksum taken of the file stands for it while this holds (as `rsync`'s quick check, with the change
 * time too): kept for files changed well before they were hashed ({@link RACY_MS}), on one mount ({@link volumeOf}),
 * for a day (another volume mounted in the drop's place can hold a file described alike).
 */
export function fileStat(s: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/**
 * File systems (`statfs` types) known to keep a change time that moves on every write and that no program sets
 * back: there a file's description stands for its bytes. Elsewhere (FAT and exFAT, whose "change time" is the
 * creation time or the modification time a program may put back; NTFS through FUSE; SMB shares, whose server may
 * let a program set it) every file is hashed on every sync, as before checksums were kept.
 */
const CHANGE_TIME_FILE_SYSTEMS: ReadonlySet<number> = new Set([
  0xef53, // ext2, ext3, ext4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x2fc12fc1, // zfs
  0xf2f52010, // f2fs
  0x6969, // nfs
]);

/**
 * The mount a file is on, when its file system keeps change times ({@link keepsChangeTimes}): the id of the mount
 * (`/proc/self/mountinfo`) of the file's device (`dev`, its `stat`'s) at the longest mount point above the file's
 * real path (a link's target's). A device number and an inode say where a file is on whatever volume is mounted
 * there, and another volume mounted in its place (a loop device, a USB stick, an iSCSI disk attached again) can
 * hold a file with the same description and other bytes (QA: an image swapped under the drop was skipped as
 * ingested). A new mount usually has a new id, so its files are hashed again; but the kernel reuses the id of a mount
 * just gone, so a kept checksum also stands for a day only (ConnectorSyncService.dropChecksums). Null when it cannot
 * be told (not Linux): nothing is kept.
 */
async function volumeOf(p: string, dev: number): Promise<string | null> {
  if (!(await keepsChangeTimes(p))) return null;
  try {
    const real = await realpath(p);
    let best: { id: string; point: string } | null = null;
    for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
      const [id, , majorMinor, , escaped] = line.split(' ');
      if (!id || !majorMinor || !escaped) continue;
      const [major, minor] = majorMinor.split(':').map(Number);
      // Only mounts of the file's own device: a mount hidden under a later one, or one a link leads out of, is another's.
      if (major === undefined || minor === undefined || makedev(major, minor) !== dev) continue;
      const point = escaped.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      const within = point === '/' || real === point || real.startsWith(`${point}/`);
      // The last mount listed at the longest matching point is the one in force (mounts stacked on one point).
      if (within && (!best || point.length >= best.point.length)) best = { id, point };
    }
    return best ? `m${best.id}` : null;
  } catch {
    return null;
  }
}

/** A device number as `stat` gives it, from its major and minor numbers (glibc's `makedev`). */
function makedev(major: number, minor: number): number {
  const M = BigInt(major);
  const m = BigInt(minor);
  return Number(((M & 0xfffff000n) << 32n) | ((M & 0xfffn) << 8n) | ((m & 0xffffff00n) << 12n) | (m & 0xffn));
}

/** What a checksum of the file at `p` is kept under now (`FileEntry.key`): null where none is kept. */
export async function checksumKey(p: string): Promise<string | null> {
  const s = await stat(p);
  const volume = await volumeOf(p, s.dev);
  return volume === null ? null : `${volume}:${fileStat(s)}`;
}

/** A file of the drop as the reader lists it, from its `stat` and the mount it is on ({@link volumeOf}). */
function fileEntry(p: string, name: string, s: Stats, volume: string | null): FileEntry {
  const statKey = fileStat(s);
  return {
    path: p, name, shown: fileLabel(name), sizeBytes: s.size, mtimeMs: s.mtimeMs, stat: statKey,
    changedMs: Math.max(s.mtimeMs, s.ctimeMs), key: volume === null ? null : `${volume}:${statKey}`,
  };
}

/** Whether the file system holding `p` is one of {@link CHANGE_TIME_FILE_SYSTEMS}; false when that cannot be told. */
export async function keepsChangeTimes(p: string): Promise<boolean> {
  try {
    return CHANGE_TIME_FILE_SYSTEMS.has((await statfs(p)).type);
  } catch {
    return false;
  }
}

/**
 * How long before a file is hashed its last change must be for its checksum to be kept by its description
 * ({@link fileStat}): more than the coarsest dating of changes file systems have (FAT's 2 seconds), so a change after
 * the hashing always dates differently. (Git's "racily clean" entries are the same problem.)
 */
const RACY_MS = 3_000;

/**
 * The checksum was taken before reading: a file that changed since (still being copied in) is not recorded. Compared
 * by its whole description (QA: size and modification time alone missed a same-size rewrite with that time put back).
 */
async function assertUnchanged(file: FileEntry): Promise<void> {
  const s = await stat(file.path).catch(() => null);
  if (!s || fileStat(s) !== file.stat) {
    throw new FileChangedError(
      `${file.shown} changed while it was being read: ${!s ? 'removed' : s.size !== file.sizeBytes ? `${file.sizeBytes} bytes when listed, ${s.size} now` : 'written to or replaced since it was listed'}; it was not recorded as ingested and will be read again`,
      { fileName: file.shown },
    );
  }
}

/**
 * Errors that refuse one file whole, whatever the other files hold: its encoding, format, headers or sheets
 * (its content: reading it again gives the same answer until the file is replaced), or the file cannot be
 * opened or read at all (its permissions, not a file, an I/O error: until someone fixes that).
 */
export function isFileRefusal(error: unknown): error is FileEncodingError | FileFormatError | FileHeaderError | SheetNotFoundError | FileUnreadableError {
  return (
    error instanceof FileEncodingError ||
    error instanceof FileFormatError ||
    error instanceof FileHeaderError ||
    error instanceof SheetNotFoundError ||
    error instanceof FileUnreadableError
  );
}

function accessError(error: NodeJS.ErrnoException, fullPath: string, what: string): FileAccessError {
  // A file's path is shown with its name labelled (the drop directory's name is configuration, and stays).
  const p = what === 'the drop directory' ? fullPath : pathLabel(fullPath);
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

/** Whether `target` is `dir` or anything under it (both real paths). */
function isWithin(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** An entry of the drop directory that cannot be read as a file, with its refusal (named by `shown`). */
interface Unreadable {
  name: string;
  shown: string;
  error: FileUnreadableError;
}

/** Oldest first, then by name: the order a drop directory's files are read in. */
function byAgeThenName(a: FileEntry, b: FileEntry): number {
  return a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
