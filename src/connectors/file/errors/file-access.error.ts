import { AppError } from '../../../errors/app-error.js';

/** The drop directory or a given file does not exist or cannot be read. */
export class FileAccessError extends AppError {
  override readonly name = 'FileAccessError';
  readonly code = 'CONNECTOR_FILE_UNREADABLE';
}
