import { AppError } from '../../../errors/app-error.js';

/**
 * The file is not something the connector can read: an unknown extension with `format: auto`, a workbook
 * given as CSV (or the reverse), a damaged XLSX, a CSV file for a connector that reads several sheets.
 */
export class FileFormatError extends AppError {
  override readonly name = 'FileFormatError';
  readonly code = 'CONNECTOR_FILE_FORMAT';
}
