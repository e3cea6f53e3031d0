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

  it('says what a plain sync does with files a forced read refused that were ingested before: skips them (QA: said "read again")', () => {
    const file = (name: string, ingestedBefore?: boolean) => ({
      fileName: name, checksum: 'ab'.repeat(32), code: 'CONNECTOR_FILE_HEADERS', message: 'm', storedMessage: 'm', ...(ingestedBefore ? { ingestedBefore } : {}),
    });
    expect(new FilesRefusedError([file('a.csv', true)], { filesIngested: 0, fetched: 0 }).message).toBe(
      '1 file(s) of the drop directory refused, ingested before, the same bytes: a plain sync skips it, the records stored from it stay as they '
        + 'were read, and a forced sync tries it again; the other files were read (0 ingested, 0 records fetched): a.csv — CONNECTOR_FILE_HEADERS: m');
    expect(new FilesRefusedError([file('a.csv', true), file('b.csv'), file('c.csv', true)], { filesIngested: 1, fetched: 9 }).message).toBe(
      '3 file(s) of the drop directory refused, 1 not ingested (read again on the next sync until replaced or removed); 2 ingested before, the '
        + 'same bytes (marked so): a plain sync skips them, the records stored from them stay as they were read, and a forced sync tries them '
        + 'again; the other files were read (1 ingested, 9 records fetched): a.csv (ingested before) — CONNECTOR_FILE_HEADERS: m; '
        + 'b.csv — CONNECTOR_FILE_HEADERS: m; c.csv (ingested before) — CONNECTOR_FILE_HEADERS: m');
  });
});
