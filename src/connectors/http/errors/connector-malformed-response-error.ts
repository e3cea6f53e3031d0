import { AppError } from '../../../errors/app-error.js';

/**
 * A response the reader cannot use: not JSON, no records array at `records`, a token response without a
 * token, a next-page link that goes nowhere or elsewhere. The message says what was wrong, never the content.
 */
export class ConnectorMalformedResponseError extends AppError {
  override readonly name = 'ConnectorMalformedResponseError';
  readonly code = 'CONNECTOR_MALFORMED_RESPONSE';
  override readonly messageIsSafe = true;
}
