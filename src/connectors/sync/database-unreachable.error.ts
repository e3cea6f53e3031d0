import { AppError } from '../../errors/app-error.js';

/**
 * A queued or scheduled sync's attempt could not reach PostgreSQL to begin (down, restarting): nothing was read. Its
 * job tries again with its backoff; the attempt is recorded on the run by the attempt that reaches it.
 */
export class DatabaseUnreachableError extends AppError {
  override readonly name = 'DatabaseUnreachableError';
  readonly code = 'CONNECTOR_DATABASE_UNREACHABLE';
  override readonly messageIsSafe = true;
  constructor() {
    super('the sync could not reach the database to begin (PostgreSQL down or restarting): its job tries again, and the attempt that reaches it records this one');
  }
}
