import { AppError } from '../../errors/app-error.js';

/**
 * Another sync of the same connector holds its lock, or waits for its job's next attempt (`retrying`: a RETRYING
 * run, which its next attempt resumes); one sync per connector runs at a time.
 */
export class SyncAlreadyRunningError extends AppError {
  override readonly name = 'SyncAlreadyRunningError';
  readonly code = 'CONNECTOR_SYNC_RUNNING';
  override readonly messageIsSafe = true;
  constructor(readonly connector: string, readonly retrying?: { runId: string; nextAttemptAt: Date | null }) {
    super(
      retrying
        ? `a sync of connector "${connector}" is waiting for its next attempt (run ${retrying.runId}, RETRYING${retrying.nextAttemptAt ? `, due ${retrying.nextAttemptAt.toISOString()}` : ''}): it resumes from its checkpoint then`
        : `a sync of connector "${connector}" is already running`,
      { connector, ...(retrying ? { retryingRunId: retrying.runId } : {}) },
    );
  }
}
