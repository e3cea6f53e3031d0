import { AppError } from '../../errors/app-error.js';

/** The definition says `enabled: false`; it is listed but never synced. */
export class ConnectorDisabledError extends AppError {
  override readonly name = 'ConnectorDisabledError';
  readonly code = 'CONNECTOR_DISABLED';
  override readonly messageIsSafe = true;
  constructor(readonly connector: string) {
    super(`connector "${connector}" is disabled in its definition`, { connector });
  }
}
