import { AppError } from './app-error.js';

/** A rate limit was hit; retry later. */
export class RateLimitedError extends AppError {
  override readonly name = 'RateLimitedError';
  readonly code = 'RATE_LIMITED';
}
