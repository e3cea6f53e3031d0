import { AppError } from '../../errors/app-error.js';

/** Another sync of the same connector holds its lock; one sync per connector runs at a time. */
export class SyncAlreadyRunningError extends AppError {
  override readonly name = 'SyncAlreadyRunningError';
  readonly code = 'CONNECTOR_SYNC_RUNNING';
  override readonly messageIsSafe = true;
  constructor(readonly connector: string) {
    super(`a sync of connector "${connector}" is already running`, { connector });
  }
}
