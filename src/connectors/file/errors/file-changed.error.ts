import { AppError } from '../../../errors/app-error.js';

/**
 * The file changed while it was being read (still being copied into the drop directory, or overwritten):
 * its checksum no longer describes what was read, so it is not recorded as ingested. The next sync reads
 * the file as it then is.
 */
export class FileChangedError extends AppError {
  override readonly name = 'FileChangedError';
  readonly code = 'CONNECTOR_FILE_CHANGED';
  /** The file's label (file-label.ts), its sizes and the hub's words. */
  override readonly messageIsSafe = true;
}
