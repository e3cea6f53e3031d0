import { AppError } from './app-error.js';

/** The caller sent input that cannot be accepted; the message says which field and why. */
export class InvalidInputError extends AppError {
  override readonly name = 'InvalidInputError';
  readonly code = 'BAD_USER_INPUT';
}
