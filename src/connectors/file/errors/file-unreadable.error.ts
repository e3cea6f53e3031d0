import { AppError } from '../../../errors/app-error.js';

/**
 * Why a file cannot be read, each a stable code:
 * - `CONNECTOR_FILE_PERMISSION_DENIED`: the hub's user may not read it (EACCES, EPERM);
 * - `CONNECTOR_FILE_NOT_A_FILE`: the name matches the pattern but is a directory, a named pipe, a socket or a
 *   device (EISDIR), which the hub never opens;
 * - `CONNECTOR_FILE_IO_ERROR`: reading it failed below the hub (EIO, a network share gone stale: ESTALE, …);
 * - `CONNECTOR_FILE_NAME_INVALID`: its name is not valid UTF-8 or holds a control character (see file-names.ts).
 */
export type FileUnreadableCode = 'CONNECTOR_FILE_PERMISSION_DENIED' | 'CONNECTOR_FILE_NOT_A_FILE' | 'CONNECTOR_FILE_IO_ERROR' | 'CONNECTOR_FILE_NAME_INVALID';

/**
 * A file of the drop directory (or given by name) that the hub cannot open or read, whatever it holds. In the
 * drop directory it is refused by name and the other files are still read; it is tried again on every sync.
 * The message names the file by its label (its name in the drop directory, escaped if it must be, with a child's name or
 * number withheld: file-label.ts), the system's error
 * code and what to do: the hub's own words, a file's label and an errno code, never the file's content.
 */
export class FileUnreadableError extends AppError {
  override readonly name = 'FileUnreadableError';
  override readonly messageIsSafe = true;

  constructor(
    readonly code: FileUnreadableCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}
