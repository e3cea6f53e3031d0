import { describe, expect, it } from 'vitest';
import { serializeError } from '../../observability/logger.js';
import { FilesRefusedError } from './files-refused.error.js';

describe('FilesRefusedError', () => {
  const error = new FilesRefusedError(
    [
      { fileName: 'khai-sinh-fifo.csv', code: 'CONNECTOR_FILE_NOT_A_FILE', message: 'khai-sinh-fifo.csv is a named pipe (FIFO), not a file', storedMessage: 'khai-sinh-fifo.csv is a named pipe (FIFO), not a file' },
      { fileName: 'a.csv', code: 'CONNECTOR_FILE_HEADERS', message: 'a.csv row 1: the header "NGUYỄN VĂN AN" appears twice', storedMessage: 'a.csv row 1: the header [redacted] appears twice' },
    ],
    { filesIngested: 2, fetched: 40, filesWaiting: 1 },
  );

  it('keeps the hub\'s own words whole where it is stored and logged, and each file\'s message as that file\'s refusal stores it', () => {
    expect(serializeError(error).message).toBe(
      '2 file(s) of the drop directory refused, not ingested (read again on the next sync until replaced or removed); ' +
        'the other files were read (2 ingested, 40 records fetched, 1 left waiting to settle): ' +
        'khai-sinh-fifo.csv — CONNECTOR_FILE_NOT_A_FILE: khai-sinh-fifo.csv is a named pipe (FIFO), not a file; ' +
        'a.csv — CONNECTOR_FILE_HEADERS: a.csv row 1: the header [redacted] appears twice',
    );
  });

  it('tells the engineer at the terminal each message whole', () => {
    expect(error.message).toContain('the header "NGUYỄN VĂN AN" appears twice');
  });
});
