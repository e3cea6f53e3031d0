import { AppError } from '../../errors/app-error.js';

/** No connector of that name is defined (or enabled) here. */
export class ConnectorNotFoundError extends AppError {
  override readonly name = 'ConnectorNotFoundError';
  readonly code = 'CONNECTOR_NOT_FOUND';
  override readonly messageIsSafe = true;
  constructor(readonly connector: string, readonly known: string[], readonly workerDirectory?: string | { gateway: true }) {
    super(
      typeof workerDirectory === 'string'
        ? `no connector named "${connector}" in the worker's connectors directory, ${workerDirectory} (known: ${known.join(', ') || 'none'}): ` +
            `removed since it was asked for, or defined in another directory (CONNECTORS_DIR) than the worker's: sync it where it is defined with ` +
            `\`connectors sync ${connector} --in-process\`, or start the worker with that CONNECTORS_DIR`
        : workerDirectory !== undefined
          ? `no connector named "${connector}" in this gateway's connectors directory (its CONNECTORS_DIR; known: ${known.join(', ') || 'none'}), though it has synced ` +
              `here: its folder was removed, or it is defined in another directory: sync it where it is defined with ` +
              `\`connectors sync ${connector} --in-process\`, or start the gateway and a worker with that CONNECTORS_DIR`
          : `no connector named "${connector}" (known: ${known.join(', ') || 'none'})`,
      { connector },
    );
  }

  /**
   * The same error for a sync asked of the gateway, of a connector that has runs here (QA: `syncConnector` answered a bare
   * "no connector named" for a connector `connectorRuns` on the same gateway listed, synced from a shell with its own
   * CONNECTORS_DIR). The gateway's directory is not named: callers are API clients, not the server's operators.
   */
  inGateway(): ConnectorNotFoundError {
    return new ConnectorNotFoundError(this.connector, this.known, { gateway: true });
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
