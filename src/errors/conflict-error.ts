import { AppError } from './app-error.js';

/** The request conflicts with the current state (e.g. a stale version). */
export class ConflictError extends AppError {
  override readonly name = 'ConflictError';
  readonly code = 'CONFLICT';
}
