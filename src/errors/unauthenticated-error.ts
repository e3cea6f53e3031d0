import { AppError } from './app-error.js';

/** No valid bearer token came with the request. */
export class UnauthenticatedError extends AppError {
  override readonly name = 'UnauthenticatedError';
  readonly code = 'UNAUTHENTICATED';
}
