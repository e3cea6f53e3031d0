import { AppError } from '../../../errors/app-error.js';

/**
 * The source did not answer usably after every allowed attempt (429, 5xx, timeouts, connection errors),
 * or could not be reached at all. The sync fails and keeps the checkpoint of the last stored page.
 */
export class ConnectorUpstreamUnavailableError extends AppError {
  override readonly name = 'ConnectorUpstreamUnavailableError';
  readonly code = 'CONNECTOR_UPSTREAM_UNAVAILABLE';
  override readonly messageIsSafe = true;
}
