import { AppError } from './app-error.js';

/** The caller is known but their role, sector or commune scope does not allow this. */
export class ForbiddenError extends AppError {
  override readonly name = 'ForbiddenError';
  readonly code = 'FORBIDDEN';
}
