import { AppError } from '../../../errors/app-error.js';

/** Where the drop directory's path came from, when the definition takes it from the environment. */
export interface DirectorySettingOrigin {
  /** The variable `file.directory` names. */
  variable: string;
  /** The definition's default, when the variable was not set (or empty) and the default was used. */
  defaultPath?: string;
}

/**
 * The drop directory or a given file does not exist or cannot be read. For the drop directory, the message
 * says where its path came from: the variable, or the definition's default because the variable was not set
 * in the environment of the process that read it (QA: a queued sync said only that the directory did not
 * exist, when the worker lacked the variable its shell had).
 */
export class FileAccessError extends AppError {
  override readonly name = 'FileAccessError';
  readonly code = 'CONNECTOR_FILE_UNREADABLE';
  // With an origin, the message is the hub's words, the configured path, an errno code and a variable's name.
  override readonly messageIsSafe: boolean;

  constructor(
    readonly problem: string,
    details: Record<string, unknown> = {},
    readonly origin?: DirectorySettingOrigin,
    readonly environment = "this process's environment",
  ) {
    super(origin ? `${problem}; ${originText(origin, environment)}` : problem, details);
    this.messageIsSafe = origin !== undefined;
  }

  /** The same error naming whose environment was read: a sync queued from one shell runs in the worker. */
  in(environment: string): FileAccessError {
    return this.origin?.defaultPath !== undefined ? new FileAccessError(this.problem, this.details, this.origin, environment) : this;
  }
}

function originText(origin: DirectorySettingOrigin, environment: string): string {
  return origin.defaultPath === undefined
    ? `the path was taken from ${origin.variable}`
    : `the path is the default of file.directory, ${origin.defaultPath}, as ${origin.variable} is not set in ${environment}`;
}
