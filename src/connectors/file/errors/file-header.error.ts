import { AppError } from '../../../errors/app-error.js';

/** The header row is missing, has an empty header or the same header twice: the file is not read. */
export class FileHeaderError extends AppError {
  override readonly name = 'FileHeaderError';
  readonly code = 'CONNECTOR_FILE_HEADERS';
  declare readonly storableMessage?: string;

  /**
   * `ownWords`: the message holds no text of the file (only its label, fileLabel, row and column numbers and the hub's
   * words), so logs and run history keep it whole. A message quoting a header does not: a file without its
   * header row has a record where its headers should be.
   */
  constructor(message: string, details: Record<string, unknown> = {}, opts: { ownWords?: boolean } = {}) {
    super(message, details);
    if (opts.ownWords) this.storableMessage = message;
  }
}
