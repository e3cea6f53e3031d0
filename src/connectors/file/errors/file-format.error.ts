import { AppError } from '../../../errors/app-error.js';

/**
 * The file is not something the connector can read: an unknown extension with `format: auto`, a workbook
 * given as CSV (or the reverse), a damaged XLSX, a CSV file for a connector that reads several sheets.
 */
export class FileFormatError extends AppError {
  override readonly name = 'FileFormatError';
  readonly code = 'CONNECTOR_FILE_FORMAT';
}

/**
 * A workbook part whose bytes do not match the checksum its zip records: the message is the hub's own words,
 * the file's name and the part's path in the zip, so logs and run history keep it whole.
 */
export class DamagedWorkbookError extends FileFormatError {
  override readonly messageIsSafe = true;
}
