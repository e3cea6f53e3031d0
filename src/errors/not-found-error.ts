import { AppError } from './app-error.js';

/** The thing asked for does not exist or is outside the caller's jurisdiction. */
export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
}
