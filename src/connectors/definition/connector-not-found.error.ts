import { AppError } from '../../errors/app-error.js';

/** No connector of that name is defined (or enabled) here. */
export class ConnectorNotFoundError extends AppError {
  override readonly name = 'ConnectorNotFoundError';
  readonly code = 'CONNECTOR_NOT_FOUND';
  override readonly messageIsSafe = true;
  constructor(readonly connector: string, known: string[]) {
    super(`no connector named "${connector}" (known: ${known.join(', ') || 'none'})`, { connector });
  }
}
