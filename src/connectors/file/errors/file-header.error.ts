import { AppError } from '../../../errors/app-error.js';

/** The header row is missing, has an empty header or the same header twice: the file is not read. */
export class FileHeaderError extends AppError {
  override readonly name = 'FileHeaderError';
  readonly code = 'CONNECTOR_FILE_HEADERS';
}
