import { AppError } from './app-error.js';

/** A system the hub depends on did not answer usably. */
export class UpstreamUnavailableError extends AppError {
  override readonly name = 'UpstreamUnavailableError';
  readonly code = 'UPSTREAM_UNAVAILABLE';
}
