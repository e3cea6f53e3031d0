import { AppError } from './app-error.js';

/** The population database refused a request permanently (bad request, not authorised): retrying will not help. */
export class RegistryRejectedError extends AppError {
  override readonly name = 'RegistryRejectedError';
  readonly code = 'REGISTRY_REJECTED';
}
