import { AppError } from './app-error.js';

/** A question that would take the database too long (as the cost limit refuses one before it runs): narrow it. */
export class QueryTooCostlyError extends AppError {
  override readonly name = 'QueryTooCostlyError';
  readonly code = 'QUERY_TOO_COSTLY';
}
