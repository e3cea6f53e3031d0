import { AppError } from '../../../errors/app-error.js';

/**
 * The source refused the request with a 4xx other than 429 (or a redirect): a configuration problem
 * (path, parameters, credentials) that retrying will not fix. The message names the status, the method
 * and path, and the reason the server gave — never a response body.
 */
export class ConnectorRequestRefusedError extends AppError {
  override readonly name = 'ConnectorRequestRefusedError';
  readonly code = 'CONNECTOR_REQUEST_REFUSED';
  override readonly messageIsSafe = true;
}
