import { AppError } from '../../../errors/app-error.js';

/**
 * A CSV file is not in an encoding the hub reads (UTF-8, UTF-16 LE/BE). The whole file is refused before any
 * of its rows is stored, so nothing is half-ingested; the message names the byte where decoding failed and
 * what the bytes look like, never their content; the file by its label (file-label.ts).
 */
export class FileEncodingError extends AppError {
  override readonly name = 'FileEncodingError';
  readonly code = 'CONNECTOR_FILE_ENCODING';
  override readonly messageIsSafe = true;
}
