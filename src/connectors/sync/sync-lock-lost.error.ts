import { AppError } from '../../errors/app-error.js';

/**
 * The PostgreSQL connection holding a sync's lock was lost (PostgreSQL restarted, the backend was terminated):
 * the lock went with it, so another sync of the connector could start. The run stops at its last stored batch
 * and checkpoint; the next one resumes there.
 */
export class SyncLockLostError extends AppError {
  override readonly name = 'SyncLockLostError';
  readonly code = 'CONNECTOR_LOCK_LOST';
  override readonly messageIsSafe = true;
  constructor(readonly connector: string) {
    super(
      `the connection to PostgreSQL that held the sync's lock of connector "${connector}" was lost (PostgreSQL restarted, or the session was ended): the run stopped at its last stored batch, and the next sync resumes from its checkpoint`,
      { connector },
    );
  }
}
