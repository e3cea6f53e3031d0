import { AppError } from '../../../errors/app-error.js';

/** A configured sheet is not in the workbook; the message lists the sheets that are. */
export class SheetNotFoundError extends AppError {
  override readonly name = 'SheetNotFoundError';
  readonly code = 'CONNECTOR_FILE_SHEET_NOT_FOUND';
}
