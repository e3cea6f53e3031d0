import { describe, expect, it } from 'vitest';
import { createLogger, loggedOutcome, serializeError } from './logger.js';
import { ConnectorRequestRefusedError } from '../connectors/http/errors/connector-request-refused-error.js';
import { FileHeaderError } from '../connectors/file/errors/file-header.error.js';

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } }) };
}

describe('logger redaction', () => {
  it('redacts personal fields at any depth and keeps ids', () => {
    const { lines, logger } = capture();
    logger.info({ childId: 'chd_1', record: { fullName: 'Nguyễn Thị Thu Hà', identityNumber: '001315000123', nested: { address: 'Số 1 Hoàng Diệu', birthDate: '2015-03-02' } }, records: [{ motherName: 'Lê Thị B' }] }, 'ingested');
    const out = lines.join('');
    expect(out).toContain('chd_1');
    for (const secret of ['Nguyễn', '001315000123', 'Hoàng Diệu', '2015-03-02', 'Lê Thị B']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('redacts a record kept as its source wrote it (a CSV row\'s text, JSON as sent)', () => {
    const { lines, logger } = capture();
    const row = 'KS1,NGUYEN VAN AN,01/02/2015,001315000123';
    logger.warn({ record: { text: row, textLayout: { id: 'csv:abc' } }, item: { rawText: { text: row }, rawJson: `{"n":"${row}"}` }, stored: { raw_text: row }, reject: { row } }, 'odd record');
    const out = lines.join('');
    expect(out).toContain('csv:abc');
    expect(out).not.toContain('NGUYEN');
  });

  it('redacts tokens and authorization headers', () => {
    const { lines, logger } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer eyJabc' } }, token: 'eyJdef' }, 'request');
    expect(lines.join('')).not.toMatch(/eyJ/);
  });

  it('strips quoted values from error messages (database errors quote the offending value)', () => {
    const { lines, logger } = capture();
    logger.error({ err: new Error('invalid input syntax for type date: "2015-13-45" near "Trần Văn C"') }, 'failed');
    const out = lines.join('');
    expect(out).toContain('invalid input syntax for type date');
    expect(out).not.toContain('Trần');
    expect(out).not.toContain('2015-13-45');
  });

  it('keeps whole a message made safe where the error was built (storableMessage), on any error, and logs an expected outcome without its stack', () => {
    const safe = 'CONNECTOR_FILES_REFUSED: 1 file(s) refused (read again on the next sync)';
    const rebuilt = Object.assign(new Error(safe), { storableMessage: safe }); // a job's failure, from a safe message
    expect(serializeError(rebuilt).message).toBe(safe);
    expect(serializeError(new Error(safe)).message).not.toContain('(read again');
    const refused = new FileHeaderError('a.csv row 1: the header row is empty', {}, { ownWords: true });
    expect(loggedOutcome(refused)).toEqual({ type: 'FileHeaderError', code: 'CONNECTOR_FILE_HEADERS', message: 'a.csv row 1: the header row is empty', cause: undefined });
    expect(loggedOutcome(new Error('boom'))).toHaveProperty('stack'); // not ours: where it came from matters
  });

  it('keeps whole the message of a hub error whose class vouches for it, and strips the others', () => {
    const { lines, logger } = capture();
    logger.error({ err: new ConnectorRequestRefusedError('POST /oauth/token (page 1) was refused with HTTP 401 Unauthorized (invalid_client)') }, 'refused');
    // A file without a header row: its first row, a child's, is read as the headers and quoted.
    logger.error({ err: new FileHeaderError('a.csv row 1: columns B "NGUYỄN VĂN AN" and C "NGUYỄN VĂN AN" have the same header', {}) }, 'headers');
    const [refused, headers] = lines;
    expect(refused).toContain('(page 1) was refused with HTTP 401 Unauthorized (invalid_client)');
    expect(headers).toContain('columns B [redacted] and C [redacted]');
    expect(headers).not.toContain('NGUYỄN');
  });

  it("never writes a file name's child name or identity number, under any key naming a file or a record's location, at any depth (QA: file names were taken for safe)", () => {
    const { lines, logger } = capture();
    const name = 'khai-sinh-NGUYEN-VAN-AN-001322711590.csv';
    logger.info({ file: name, sizeBytes: 10 }, 'file started');
    logger.warn({ runId: 'run_1', refused: { fileName: name, FILE_NAME: name }, files: [name, 'khai-sinh-2026-11.csv'] }, 'file refused');
    logger.warn({ count: 1, locations: [`${name} row 3`], location: `${name} sheet "Trẻ em" row 4` }, 'records whose id came again');
    const out = lines.join('');
    for (const leak of ['NGUYEN', '001322711590']) expect(out).not.toContain(leak);
    expect(out).toContain('"file":"khai-sinh-[withheld].csv"');
    expect(out).toContain('khai-sinh-[withheld].csv row 3');
    expect(out).toContain('khai-sinh-2026-11.csv'); // an impersonal name stays readable
  });
});
