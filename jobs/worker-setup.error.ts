/**
 * The worker cannot start as configured: a registered queue has no processor, or an unknown queue was
 * asked for. A programming or deployment mistake, reported before any job is taken.
 */
export class WorkerSetupError extends Error {
  override readonly name = 'WorkerSetupError';
  readonly code = 'WORKER_SETUP';
  constructor(
    message: string,
    /** The queue the problem is about. */
    readonly queue: string,
  ) {
    super(message);
  }
}
