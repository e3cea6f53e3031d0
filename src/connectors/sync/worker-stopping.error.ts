import { AppError } from '../../errors/app-error.js';

/**
 * The worker running a queued or scheduled sync is stopping (SIGTERM, a deploy): the sync stops at its last stored
 * batch, and its job goes back to the queue at once, for another worker (or this one, restarted) to go on from the
 * checkpoint. Not a failure: no attempt of the job is used, and none is recorded on the run (QA: a stopped worker
 * read on through its whole shutdown grace, exited 1, and left its run RUNNING until another worker's stalled-job
 * check about a minute later).
 */
export class WorkerStoppingError extends AppError {
  override readonly name = 'WorkerStoppingError';
  readonly code = 'CONNECTOR_WORKER_STOPPING';
  override readonly messageIsSafe = true;
  constructor() {
    super('the worker running the sync is stopping: the run stopped at its last stored batch, and its job went back to the queue to go on from the checkpoint', {});
  }
}
