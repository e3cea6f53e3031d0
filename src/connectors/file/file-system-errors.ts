/**
 * What the file system's errors reading a file mean for a file connector: a file that is gone (ENOENT:
 * moved away since the directory was listed) is skipped; one the hub may not read, one that is not a file, or
 * one whose reading failed below the hub is refused by name ({@link FileUnreadableError}), so that it does
 * not hold up the rest of its drop directory.
 */
import os from 'node:os';
import { FileUnreadableError } from './errors/file-unreadable.error.js';

/** `error` when it is an error of a system call on a file (it has an errno `code` and a `syscall`), else null. */
export function fileSystemError(error: unknown): NodeJS.ErrnoException | null {
  const e = error as NodeJS.ErrnoException | null;
  return e instanceof Error && typeof e.code === 'string' && typeof e.syscall === 'string' ? e : null;
}

/** Whether the file is gone: removed or moved away since it was listed (or a link to nothing). */
export function isGone(error: NodeJS.ErrnoException): boolean {
  return error.code === 'ENOENT';
}

/** What a directory entry is when it is not a regular file, as a message says it. */
export function entryKind(s: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * A file matching the pattern that is not a file: never opened (a named pipe would block the read until
 * something writes into it).
 */
export function notAFileError(fileName: string, kind: string, pattern: string): FileUnreadableError {
  const move = kind === 'a directory' ? 'Move the files it holds into the drop directory, or rename or remove it' : 'Remove it, or rename it';
  return new FileUnreadableError(
    'CONNECTOR_FILE_NOT_A_FILE',
    `${fileName} is ${kind}, not a file: only files directly in the drop directory are read. ${move} ` +
      `so that it no longer matches ${pattern}; it is tried again on every sync`,
    { fileName, kind },
  );
}

/** A drop directory's entry whose name the hub does not take (see file-names.ts), named `escaped`. */
export function invalidNameError(escaped: string, problem: string, pattern: string): FileUnreadableError {
  return new FileUnreadableError(
    'CONNECTOR_FILE_NAME_INVALID',
    `${escaped}: its name ${problem}, so the file is not read. Rename it with the name its sender meant, ` +
      `or remove it so that nothing matches ${pattern}; it is tried again on every sync`,
    { fileName: escaped },
  );
}

/** The same as {@link notAFileError}, for a file given by name (`--file`): there is no pattern to stop matching. */
export function givenNotAFileError(given: string, kind: string): FileUnreadableError {
  return new FileUnreadableError('CONNECTOR_FILE_NOT_A_FILE', `${given} is ${kind}, not a file: give the path of a CSV or XLSX file`, { kind });
}

/** The refusal a file system error reading `fileName` stands for (not for ENOENT: see {@link isGone}). */
export function unreadableFileError(error: NodeJS.ErrnoException, fileName: string, pattern: string): FileUnreadableError {
  const code = error.code ?? 'unknown';
  if (code === 'EACCES' || code === 'EPERM') {
    return new FileUnreadableError(
      'CONNECTOR_FILE_PERMISSION_DENIED',
      `${fileName} cannot be read: permission denied (${code}). Grant the hub's user (${hubUser()}) read access to it, ` +
        `and have whatever writes the drop directory leave its files readable by that user (their group, or an ACL ` +
        `on the directory); it is tried again on every sync`,
      { fileName, errno: code },
    );
  }
  if (code === 'EISDIR') return notAFileError(fileName, 'a directory', pattern);
  if (code === 'ELOOP') return notAFileError(fileName, 'a symbolic link that loops', pattern);
  return new FileUnreadableError(
    'CONNECTOR_FILE_IO_ERROR',
    `${fileName} could not be read: ${code} in ${error.syscall} (an error of the disk or the network share holding ` +
      `the drop directory). It is tried again on every sync; if the error stays, check that storage and copy the file again`,
    { fileName, errno: code, syscall: error.syscall },
  );
}

/** The user the hub runs as, by name when the system knows it. */
function hubUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}
