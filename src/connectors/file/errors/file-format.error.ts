import { AppError } from '../../../errors/app-error.js';

/**
 * The file is not something the connector can read: an unknown extension with `format: auto`, a workbook
 * given as CSV (or the reverse), a damaged XLSX, a CSV file for a connector that reads several sheets.
 */
export class FileFormatError extends AppError {
  override readonly name = 'FileFormatError';
  readonly code = 'CONNECTOR_FILE_FORMAT';
  declare readonly storableMessage?: string;

  /**
   * `ownWords`: the message is the hub's own words, the file's label (fileLabel: a child's name or number in it withheld) and a workbook part's path, never a
   * library's message or the file's text, so logs and run history keep it whole.
   */
  constructor(message: string, details: Record<string, unknown> = {}, opts: { ownWords?: boolean } = {}) {
    super(message, details);
    if (opts.ownWords) this.storableMessage = message;
  }
}
