import { AppError } from '../../errors/app-error.js';
import { fileLabel } from '../file/file-label.js';

/** A file of the drop directory that a sync refused whole, with the error that refused it. */
export interface RefusedFile {
  /** The file's name as shown ({@link fileLabel}): stored in run history, shown by GraphQL to any engineer. */
  fileName: string;
  /** SHA-256 of the file as it was read (hex); absent when the file could not be read. */
  checksum?: string;
  /**
   * The refusal's stable code: CONNECTOR_FILE_ENCODING, CONNECTOR_FILE_FORMAT, CONNECTOR_FILE_HEADERS,
   * CONNECTOR_FILE_SHEET_NOT_FOUND (what it holds); CONNECTOR_FILE_PERMISSION_DENIED, CONNECTOR_FILE_NOT_A_FILE,
   * CONNECTOR_FILE_IO_ERROR (it cannot be opened or read), CONNECTOR_FILE_NAME_INVALID (its name, escaped in `fileName`).
   */
  code: string;
  /** The error's message, whole (the CLI prints it). */
  message: string;
  /**
   * The connector ingested these very bytes before (`checksum`), and a forced read refused them now (a definition
   * since edited, a stricter rule): a plain sync skips the file, and the records stored from it stay as they were read.
   */
  ingestedBefore?: boolean;
  /**
   * The message as the run stores it and logs may show it: whole when the error's class vouches for it
   * (an encoding refusal), else with quoted and parenthesised fragments removed (a header row that was
   * really a data row would be quoted).
   */
  storedMessage: string;
}

/**
 * A file sync read every file of its drop directory it could, but refused some (kept on the run as
 * `files_refused`). The run ends FAILED so that the refusal is seen; the refused files are not recorded as
 * ingested and are tried again on every sync until they are replaced or removed (or made readable), except a
 * file a forced read refused that was ingested before (`ingestedBefore`): a plain sync skips it, as ingested, and
 * only another forced read tries it again. Retrying the run at once cannot help: the files are refused for what
 * they hold or for how they are kept.
 */
export class FilesRefusedError extends AppError {
  override readonly name = 'FilesRefusedError';
  readonly code = 'CONNECTOR_FILES_REFUSED';
  /** The hub's words around each file's stored message: kept whole by logs and the run's error. */
  override readonly storableMessage: string;

  constructor(
    readonly files: RefusedFile[],
    done: { filesIngested: number; fetched: number; filesWaiting?: number },
    /** With files left waiting to settle: the connector, and ms until the first of them has (see RunSummary.settlesInMs). */
    readonly waiting?: { connector: string; settlesInMs: number },
  ) {
    // Labelled by the reader already; labelled again (a label is its own), as this message goes to Redis and run history.
    const shown = files.map((f) => ({ ...f, fileName: fileLabel(f.fileName) }));
    const before = shown.filter((f) => f.ingestedBefore).length;
    const fresh = shown.length - before;
    // What becomes of them, as a plain sync treats them (QA: files a forced read refused that were ingested before
    // were said to be "read again on the next sync", which skips them as ingested).
    const fate = [
      ...(fresh ? [`${before ? `${fresh} ` : ''}not ingested (read again on the next sync until replaced or removed)`] : []),
      ...(before ? [`${fresh ? `${before} ` : ''}ingested before, the same bytes${fresh ? ' (marked so)' : ''}: a plain sync skips ${before === 1 ? 'it' : 'them'}, `
        + `the records stored from ${before === 1 ? 'it' : 'them'} stay as they were read, and a forced sync tries ${before === 1 ? 'it' : 'them'} again`] : []),
    ].join('; ');
    const text = (message: (f: RefusedFile) => string) =>
      `${shown.length} file(s) of the drop directory refused, ${fate}; ` +
      `the other files were read (${done.filesIngested} ingested, ${done.fetched} records fetched` +
      `${done.filesWaiting ? `, ${done.filesWaiting} left waiting to settle` : ''}): ` +
      shown.map((f) => `${f.fileName}${f.ingestedBefore && fresh ? ' (ingested before)' : ''} — ${f.code}: ${message(f)}`).join('; ');
    super(text((f) => f.message), { files: shown.map((f) => ({ fileName: f.fileName, code: f.code })) });
    this.storableMessage = text((f) => f.storedMessage);
  }
}
