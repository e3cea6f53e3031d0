import { AppError } from '../../../errors/app-error.js';

/** The stored position handed to the reader is not one an http reader wrote (a checkpoint of another kind). */
export class ConnectorCheckpointInvalidError extends AppError {
  override readonly name = 'ConnectorCheckpointInvalidError';
  readonly code = 'CONNECTOR_CHECKPOINT_INVALID';
}
