import { describe, expect, it } from 'vitest';
import { serializeError } from '../../observability/logger.js';
import { fileSystemError, unreadableFileError } from './file-system-errors.js';

const errno = (code: string, syscall = 'read') => Object.assign(new Error(`${code}: something, ${syscall} '/drops/khai-sinh.csv'`), { code, syscall });

describe('unreadableFileError', () => {
  it('names the file, the system error and what to do, with a stable code per cause, kept whole in logs and run history', () => {
    const denied = unreadableFileError(errno('EACCES', 'open'), 'khai-sinh.csv', '*.csv');
    expect(denied.code).toBe('CONNECTOR_FILE_PERMISSION_DENIED');
    expect(denied.message).toMatch(/^khai-sinh\.csv cannot be read: permission denied \(EACCES\)\. Grant the hub's user \(.+\) read access to it/);
    expect(serializeError(denied).message).toBe(denied.message);
    expect(unreadableFileError(errno('EPERM', 'open'), 'a.csv', '*.csv').code).toBe('CONNECTOR_FILE_PERMISSION_DENIED');
    expect(unreadableFileError(errno('EISDIR'), 'a.csv', '*.csv')).toMatchObject({ code: 'CONNECTOR_FILE_NOT_A_FILE', message: expect.stringMatching(/^a\.csv is a directory, not a file/) });
    const io = unreadableFileError(errno('EIO'), 'a.csv', '*.csv');
    expect(io).toMatchObject({ code: 'CONNECTOR_FILE_IO_ERROR', message: expect.stringMatching(/^a\.csv could not be read: EIO in read \(an error of the disk or the network share/) });
    // Not the system's own message: it holds the absolute path.
    expect(io.message).not.toContain('/drops/');
    expect(unreadableFileError(errno('ESTALE'), 'a.csv', '*.csv').code).toBe('CONNECTOR_FILE_IO_ERROR');
  });

  it('tells the file system\'s errors from others', () => {
    expect(fileSystemError(errno('ENOENT'))).not.toBeNull();
    expect(fileSystemError(Object.assign(new Error('x'), { code: 'CONNECTOR_FILE_FORMAT' }))).toBeNull();
    expect(fileSystemError('EIO')).toBeNull();
  });
});
