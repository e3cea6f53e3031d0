import { AppError } from '../../errors/app-error.js';

/** No connector of that name is defined (or enabled) here. */
export class ConnectorNotFoundError extends AppError {
  override readonly name = 'ConnectorNotFoundError';
  readonly code = 'CONNECTOR_NOT_FOUND';
  override readonly messageIsSafe = true;
  constructor(readonly connector: string, readonly known: string[], readonly workerDirectory?: string) {
    super(
      workerDirectory !== undefined
        ? `no connector named "${connector}" in the worker's connectors directory, ${workerDirectory} (known: ${known.join(', ') || 'none'}): ` +
            `removed since it was asked for, or defined in another directory (CONNECTORS_DIR) than the worker's: sync it where it is defined with ` +
            `\`connectors sync ${connector} --in-process\`, or start the worker with that CONNECTORS_DIR`
        : `no connector named "${connector}" (known: ${known.join(', ') || 'none'})`,
      { connector },
    );
  }

  /**
   * The same error for a queued run a worker took: the run was asked for by a process that knew the connector (its row
   * exists), so its folder was removed since, or the worker reads another directory (QA: a bare CONNECTOR_NOT_FOUND for
   * a connector `validate` had just passed in the shell that queued it).
   */
  inWorker(directory: string): ConnectorNotFoundError {
    return new ConnectorNotFoundError(this.connector, this.known, directory);
  }
}
