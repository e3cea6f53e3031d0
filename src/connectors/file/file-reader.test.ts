import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeError } from '../../observability/logger.js';
import type { ReadBatch, ReadContext, ReaderEvent, ReaderPosition, TextRecogniser } from '../types.js';
import { recordMappingsSchema, type RecordMappingInput } from '../mapping/mapping.schema.js';
import { parseCsvRecordText } from './csv-rows.js';
import { fileConfigSchema, type FileConfigInput } from './file.schema.js';
import { CHECKSUM_WORKER_BYTES, FileReader, checksumKey, keepsChangeTimes, sha256 } from './file-reader.js';
import type { FileAccessError } from './errors/file-access.error.js';

const logger = pino({ level: 'silent' });
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-file-reader-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A reader of `dir`; its files are written just before they are read, whole (no settling unless a test asks). */
function reader(file: Partial<FileConfigInput> = {}, env: NodeJS.ProcessEnv = {}): FileReader {
  return new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, ...file }), { logger, name: 'justice-register', env });
}

/** A reader of `dir` that knows the connector's mappings (as a sync's reader does). */
function mappedReader(file: Partial<FileConfigInput>, ...records: RecordMappingInput[]): FileReader {
  return new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, ...file }), {
    logger, name: 'justice-register', records: recordMappingsSchema.parse(records),
  });
}
const BIRTHS: RecordMappingInput = { recordType: 'child', externalId: { from: 'Mã hồ sơ' }, fields: { fullName: { from: 'Họ và tên' } } };

async function collect(source: AsyncIterable<ReadBatch>): Promise<ReadBatch[]> {
  const out: ReadBatch[] = [];
  for await (const batch of source) out.push(batch);
  return out;
}

async function drop(name: string, content: string | Buffer, mtime?: Date): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, content);
  if (mtime) await utimes(p, mtime, mtime);
  return p;
}

const HEADER = 'Số định danh,Họ và tên,Ngày sinh,Hoàn cảnh';
function rows(n: number, from = 1): string {
  return Array.from({ length: n }, (_, k) => `ID${from + k},Trẻ ${from + k},01/02/2015,`).join('\r\n');
}
const ids = (batches: ReadBatch[]) => batches.flatMap((b) => b.records.map((r) => r.data['Số định danh']));

describe('FileReader (CSV)', () => {
  it('reads UTF-8 with and without BOM into records keyed by the headers as written, empty cells absent', async () => {
    const body = `${HEADER}\r\nKS1,Nguyễn Thị Ánh,01/02/2015,Mồ côi cả cha và mẹ\r\nKS2,Trần Văn Bình,,\r\n`;
    await drop('a.csv', body, new Date('2026-01-01'));
    await drop('b.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body.replaceAll('KS', 'BOM'))]), new Date('2026-01-02'));
    const events: ReaderEvent[] = [];
    const batches = await collect(reader().read(null, { onEvent: (e) => events.push(e) }));
    expect(batches.map((b) => b.location)).toEqual(['a.csv rows 2-3', 'b.csv rows 2-3']);
    const layout = batches[0]!.records[0]!.textLayout!;
    expect(layout).toEqual({ id: expect.stringMatching(/^csv:[\w-]{43}$/), format: 'csv', delimiter: ',', quote: '"', header: HEADER, columns: ['Số định danh', 'Họ và tên', 'Ngày sinh', 'Hoàn cảnh'] });
    expect(batches[0]!.records).toEqual([
      {
        data: { 'Số định danh': 'KS1', 'Họ và tên': 'Nguyễn Thị Ánh', 'Ngày sinh': '01/02/2015', 'Hoàn cảnh': 'Mồ côi cả cha và mẹ' },
        recordType: 'child',
        location: 'a.csv row 2',
        text: 'KS1,Nguyễn Thị Ánh,01/02/2015,Mồ côi cả cha và mẹ',
        textLayout: layout,
      },
      { data: { 'Số định danh': 'KS2', 'Họ và tên': 'Trần Văn Bình' }, recordType: 'child', location: 'a.csv row 3', text: 'KS2,Trần Văn Bình,,', textLayout: layout },
    ]);
    // A row's text under its layout gives its data back (what a source record stored as text holds).
    for (const r of batches[0]!.records) expect(parseCsvRecordText(r.text!, r.textLayout!)).toEqual(r.data);
    // Same header row (the BOM is not part of it): same layout, so equal rows in either file hash alike.
    expect(batches[1]!.records[0]!.textLayout).toEqual(layout);
    expect(Object.keys(batches[1]!.records[0]!.data)[0]).toBe('Số định danh'); // the BOM is not part of the first header
    // Listed (with their total size) before they are checksummed and read.
    expect(events[0]).toEqual({ type: 'files-listed', files: 2, waiting: 0, sizeBytes: Buffer.byteLength(body) + Buffer.byteLength(body.replaceAll('KS', 'BOM')) + 3 });
    expect(events.filter((e) => e.type === 'file-started')).toEqual([
      { type: 'file-started', fileName: 'a.csv', sizeBytes: Buffer.byteLength(body), encoding: 'utf-8' },
      { type: 'file-started', fileName: 'b.csv', sizeBytes: Buffer.byteLength(body.replaceAll('KS', 'BOM')) + 3, encoding: 'utf-8 with BOM' },
    ]);
    expect(batches[0]!.fileCompleted).toEqual({ checksum: await sha256(path.join(dir, 'a.csv')), fileName: 'a.csv', sizeBytes: Buffer.byteLength(body) });
  });

  it('reads UTF-16 LE and BE with a BOM', async () => {
    const body = `\uFEFF${HEADER}\r\nKS1,Nguyễn Thị Ánh,01/02/2015,\r\n`;
    await drop('le.csv', Buffer.from(body, 'utf16le'), new Date('2026-01-01'));
    await drop('be.csv', Buffer.from(body.replace('KS1', 'KS2'), 'utf16le').swap16(), new Date('2026-01-02'));
    const batches = await collect(reader().read(null, {}));
    expect(batches.map((b) => b.records[0]!.data)).toEqual([
      { 'Số định danh': 'KS1', 'Họ và tên': 'Nguyễn Thị Ánh', 'Ngày sinh': '01/02/2015' },
      { 'Số định danh': 'KS2', 'Họ và tên': 'Nguyễn Thị Ánh', 'Ngày sinh': '01/02/2015' },
    ]);
  });

  it('refuses a Windows-1258 file whole, naming the byte, before any row is given out', async () => {
    // "Họ và tên" in Windows-1258 on row 3 of 3: rows 1-2 are fine, yet nothing is yielded.
    const bytes = Buffer.concat([
      Buffer.from('ma,ten\nKS1,An\nKS2,'),
      Buffer.from([0x48, 0x6f, 0xf2, 0x20, 0x76, 0xe0, 0x20, 0x74, 0xea, 0x6e]),
      Buffer.from('\n'),
    ]);
    const file = await drop('cp1258.csv', bytes);
    const got: ReadBatch[] = [];
    const error = await (async () => {
      for await (const b of reader().read(null, { files: [file] })) got.push(b);
    })().catch((e: unknown) => e as Error & { code: string });
    expect(got).toEqual([]);
    expect(error).toMatchObject({ code: 'CONNECTOR_FILE_ENCODING' });
    expect(error!.message).toMatch(
      /^cp1258\.csv is not valid UTF-8 at byte 20 \(line 3\); it looks like a single-byte Vietnamese encoding \(Windows-1258, TCVN3\/ABC or VNI\)\. Save it as UTF-8/,
    );
  });

  it('keys records by headers trimmed and in NFC, whatever the file had', async () => {
    await drop('nfd.csv', ` ${'Họ và tên'.normalize('NFD')} ,Giới tính\nAn,Nam\n`);
    const [batch] = await collect(reader().read(null, {}));
    expect(batch!.records[0]!.data).toEqual({ 'Họ và tên': 'An', 'Giới tính': 'Nam' });
  });

  it('reads quoted fields with delimiters, quotes and line breaks', async () => {
    await drop('q.csv', 'ma,dia_chi,ghi_chu\nKS1,"Số 5, ngõ 12, Ba Đình","dòng 1\r\ndòng 2"\nKS2,"nói ""chào""",\n');
    const [batch] = await collect(reader().read(null, {}));
    expect(batch!.records.map((r) => r.data)).toEqual([
      { ma: 'KS1', dia_chi: 'Số 5, ngõ 12, Ba Đình', ghi_chu: 'dòng 1\r\ndòng 2' },
      { ma: 'KS2', dia_chi: 'nói "chào"' },
    ]);
    expect(batch!.records[1]!.location).toBe('q.csv row 3'); // spreadsheet rows: the multi-line row is one
  });

  it('rejects a broken row with its row number while the rows around it still come through', async () => {
    await drop('broken.csv', 'ma,ten,ngay\nKS1,An,01/01/2015\nKS2,Bình\nKS3,"Chi "C" Lê",x\nKS4,Dũng,03/03/2015\n');
    const [batch] = await collect(reader().read(null, {}));
    expect(batch!.records.map((r) => r.data.ma)).toEqual(['KS1', 'KS4']);
    expect(batch!.rejects).toEqual([
      {
        payload: { row: 'KS2,Bình' },
        location: 'broken.csv row 3',
        problems: [{ field: '(row)', code: 'MALFORMED_ROW', message: 'expected 3 fields, found 2' }],
      },
      {
        payload: { row: 'KS3,"Chi "C" Lê",x' },
        location: 'broken.csv row 4',
        problems: [{ field: '(row)', code: 'MALFORMED_ROW', message: 'text after the closing quote of field 2' }],
      },
    ]);
    expect(batch!.position).toMatchObject({ rowsDone: 0, sheetIndex: 1, completed: true });
  });

  it('refuses a copy of a refused file by its own name, not as already ingested (QA)', async () => {
    const cp1258 = Buffer.concat([Buffer.from('ma,ten\nKS9,'), Buffer.from([0x48, 0x6f, 0xf2]), Buffer.from('\n')]);
    await drop('cp1258.csv', cp1258, new Date('2026-02-01'));
    await drop('cp1258-copy.csv', cp1258, new Date('2026-02-02'));
    const events: ReaderEvent[] = [];
    await collect(reader().read(null, { onEvent: (e) => events.push(e) }));
    expect(events.filter((e) => e.type === 'file-refused' || e.type === 'file-skipped').map((e) => [e.type, (e as { fileName: string }).fileName]))
      .toEqual([['file-refused', 'cp1258.csv'], ['file-refused', 'cp1258-copy.csv']]);
  });

  it('refuses a file of the drop directory by name with its error, and still reads the files before and after it', async () => {
    const cp1258 = Buffer.concat([Buffer.from('ma,ten\nKS9,'), Buffer.from([0x48, 0x6f, 0xf2]), Buffer.from('\n')]);
    await drop('old.csv', `${HEADER}\n${rows(2)}\n`, new Date('2026-01-01'));
    await drop('cp1258.csv', cp1258, new Date('2026-02-01'));
    await drop('dup.csv', 'ma,Họ và tên,ma\nKS1,An,x\n', new Date('2026-02-02'));
    await drop('zip.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), new Date('2026-02-03'));
    await drop('new.csv', `${HEADER}\n${rows(2, 100)}\n`, new Date('2026-03-01'));
    const events: ReaderEvent[] = [];
    const batches = await collect(reader().read(null, { onEvent: (e) => events.push(e) }));
    expect(batches.map((b) => [b.location, b.fileCompleted?.fileName])).toEqual([
      ['old.csv rows 2-3', 'old.csv'],
      ['new.csv rows 2-3', 'new.csv'],
    ]);
    expect(events.filter((e) => e.type === 'file-refused')).toEqual([
      {
        type: 'file-refused', fileName: 'cp1258.csv', realName: 'cp1258.csv', checksum: await sha256(path.join(dir, 'cp1258.csv')), code: 'CONNECTOR_FILE_ENCODING',
        message: expect.stringMatching(/^cp1258\.csv is not valid UTF-8 at byte 13 \(line 2\)/),
        // An encoding refusal holds nothing from the file: stored whole.
        storedMessage: expect.stringMatching(/^cp1258\.csv is not valid UTF-8 at byte 13 \(line 2\)/),
      },
      {
        type: 'file-refused', fileName: 'dup.csv', realName: 'dup.csv', checksum: await sha256(path.join(dir, 'dup.csv')), code: 'CONNECTOR_FILE_HEADERS',
        message: expect.stringMatching(/^dup\.csv row 1: the header "ma" appears twice/),
        // A header row may be a child's row: its text is not stored.
        storedMessage: expect.stringMatching(/^dup\.csv row 1: the header \[redacted\] appears twice/),
      },
      {
        type: 'file-refused', fileName: 'zip.csv', realName: 'zip.csv', checksum: expect.any(String), code: 'CONNECTOR_FILE_FORMAT', message: expect.stringMatching(/zip archive/),
        storedMessage: expect.stringMatching(/zip archive/),
      },
    ]);
    // Encoding and format are checked before a file is started; headers when its first row is read.
    expect(events.filter((e) => e.type === 'file-started').map((e) => (e as { fileName: string }).fileName)).toEqual(['old.csv', 'dup.csv', 'new.csv']);
    // Given by name, the same file fails the read, as asked.
    await expect(collect(reader().read(null, { files: ['old.csv', 'cp1258.csv', 'new.csv'] }))).rejects.toMatchObject({ code: 'CONNECTOR_FILE_ENCODING' });
  });

  it('refuses whole a file whose dates a mapping reads are written month first, as a spreadsheet set to English saves them (QA)', async () => {
    const dated: RecordMappingInput = { recordType: 'child', externalId: { from: 'Số định danh' }, fields: { fullName: { from: 'Họ và tên' }, birthDate: { from: 'Ngày sinh' } } };
    const us = ['6/27/2015', '11/1/2022', '1/13/2019', '12/31/2020', '3/4/2016'].map((d, k) => `ID${k},Trẻ ${k},${d},`).join('\r\n');
    await drop('us.csv', `${HEADER}\r\n${us}\r\n`, new Date('2026-01-01'));
    await drop('vn.csv', `${HEADER}\r\n${rows(3)}\r\nID9,Trẻ 9,27/06/2015,\r\n`, new Date('2026-02-01'));
    const events: ReaderEvent[] = [];
    const batches = await collect(mappedReader({}, dated).read(null, { onEvent: (e) => events.push(e) }));
    // Nothing of it given out, the other file read.
    expect(batches.map((b) => b.fileCompleted?.fileName).filter(Boolean)).toEqual(['vn.csv']);
    expect(ids(batches)).toEqual(['ID1', 'ID2', 'ID3', 'ID9']);
    expect(events.filter((e) => e.type === 'file-refused')).toEqual([expect.objectContaining({
      fileName: 'us.csv', code: 'CONNECTOR_FILE_FORMAT',
      message: 'us.csv: column «Ngày sinh» has dates written month first: 3 of its 5 dates in the first rows can only be month/day/year (rows 2, 4, 5) '
        + '(their second number is past 12), and none only day/month/year, as a spreadsheet set to English (United States) saves dates; read day first, '
        + 'as the hub reads dates, those would be refused and those whose day is 12 or less stored with day and month swapped, so the file is refused: '
        + 'save it with the dates as dd/MM/yyyy (or the column as text) and drop it again (if those rows are typing slips in a day-first file, correct them)',
    })]);
  });

  it('refuses duplicate or empty headers', async () => {
    const dup = await drop('dup.csv', 'ma,Họ và tên,ma \nKS1,An,x\n');
    const dupError = await collect(reader().read(null, { files: [dup] })).catch((e: Error) => e);
    expect(dupError).toMatchObject({
      code: 'CONNECTOR_FILE_HEADERS',
      message: 'dup.csv row 1: the header "ma" appears twice, in columns A (1) and C (3); headers must be unique',
    });
    expect(serializeError(dupError as Error).message).not.toContain('"ma"');
    await rm(path.join(dir, 'dup.csv'));
    const empty = await drop('empty.csv', 'ma,,ten\nKS1,x,An\n');
    const emptyHeader = await collect(reader().read(null, { files: [empty] })).catch((e: Error) => e);
    expect(emptyHeader).toMatchObject({ code: 'CONNECTOR_FILE_HEADERS', message: expect.stringMatching(/column B \(2\) has no header/) });
    // The hub's own words, kept whole by logs and run history; a message quoting a header is not (it may be a record).
    expect(serializeError(emptyHeader as Error).message).toBe('empty.csv row 1: column B (2) has no header; give every column a header, or delete the empty columns');
  });

  it('reads a file whose every line ends in empty fields (Excel\'s used range), refusing only a row with a value there', async () => {
    const file = await drop('excel.csv', 'ma,ten,ngay,,\r\nKS1,An,01/01/2015,,\r\nKS2,Bình,, ,\r\nKS3,Chi,03/03/2015,,ngoài bảng\r\n,,,,\r\nKS4,Dũng,04/04/2015\r\nKS5,Em,05/05/2015,\r\n');
    const events: ReaderEvent[] = [];
    const [batch] = await collect(reader().read(null, { files: [file], onEvent: (e) => e.type === 'sheet-headers' && events.push(e) }));
    expect(events).toMatchObject([{ columns: ['ma', 'ten', 'ngay'] }]);
    // A row may end at the last named column too (a tool leaving out empty fields at the end: QA re-check).
    expect(batch!.records.map((r) => r.data)).toEqual([{ ma: 'KS1', ten: 'An', ngay: '01/01/2015' }, { ma: 'KS2', ten: 'Bình' }, { ma: 'KS4', ten: 'Dũng', ngay: '04/04/2015' }]);
    expect(batch!.rejects).toEqual([
      {
        payload: { row: 'KS3,Chi,03/03/2015,,ngoài bảng' },
        location: 'excel.csv row 4',
        problems: [{ field: '(row)', code: 'MALFORMED_ROW', message: 'a value in column E (5), which has no header (the header row names 3 columns)' }],
        readable: { data: { ma: 'KS3', ten: 'Chi', ngay: '03/03/2015' }, location: 'excel.csv row 4', recordType: 'child' },
      },
      // Any other number of fields is a broken row, as ever: a delimiter too many or too few moves the values.
      { payload: { row: 'KS5,Em,05/05/2015,' }, location: 'excel.csv row 7', problems: [{ field: '(row)', code: 'MALFORMED_ROW', message: 'expected 5 fields, found 4' }] },
    ]);
    // A stored row reads back as it was read, whichever of the two widths it has.
    for (const stored of [batch!.records[0]!, batch!.records[2]!]) expect(parseCsvRecordText(stored.text!, stored.textLayout!)).toEqual(stored.data);
    // An empty header between named ones is still refused: which column is which is not sure.
    const inner = await drop('inner.csv', 'ma,,ten,,\nKS1,x,An,,\n');
    await expect(collect(reader().read(null, { files: [inner] }))).rejects.toMatchObject({ details: { problem: 'EMPTY_HEADER', columns: [2] } });
  });

  it('refuses a header holding a NUL character, naming its column, in words kept whole (QA: accepted without comment)', async () => {
    const file = await drop('nul.csv', 'ma,ho va\u0000 ten,ngay\nKS1,An,01/02/2015\n');
    const error = (await collect(reader().read(null, { files: [file] })).catch((e: unknown) => e)) as Error;
    const message = 'nul.csv row 1: the header of column B (2) holds a control character, such as a NUL byte, which no title holds; export the file again, or retype the header';
    expect(error).toMatchObject({ code: 'CONNECTOR_FILE_HEADERS', message, details: { problem: 'CONTROL_CHARACTER_HEADER', columns: [2] } });
    expect(serializeError(error).message).toBe(message);
  });

  it('splits a file at the delimiter its first line names (Excel\'s `sep=`), showing rows from the next line as Excel does', async () => {
    const file = await drop('sep.csv', Buffer.from('\uFEFFsep=;\r\nma;ten;ghi chu\r\nKS1;Nguyễn, An;x\r\nKS2;Bình\r\n', 'utf8'));
    const [batch] = await collect(reader().read(null, { files: [file] }));
    expect(batch!.records.map((r) => [r.location, r.data])).toEqual([['sep.csv row 2', { ma: 'KS1', ten: 'Nguyễn, An', 'ghi chu': 'x' }]]);
    expect(batch!.records[0]!.textLayout).toMatchObject({ delimiter: ';', header: 'ma;ten;ghi chu' });
    // Row numbers as Excel shows them, and the line in the file.
    expect(batch!.rejects).toMatchObject([{ location: 'sep.csv row 3', problems: [{ message: 'expected 3 fields, found 2 (line 4)' }] }]);
    // A quoted `sep=` line, as some tools write it, says the same; a first line that is more than that is a header.
    const quoted = await drop('quoted.csv', '"sep=|"\nma|ten\nKS1|An\n');
    expect((await collect(reader().read(null, { files: [quoted] })))[0]!.records.map((r) => r.data)).toEqual([{ ma: 'KS1', ten: 'An' }]);
    const header = await drop('header.csv', 'sep=;x,ten\nKS1,An\n');
    expect((await collect(reader().read(null, { files: [header] })))[0]!.records.map((r) => r.data)).toEqual([{ 'sep=;x': 'KS1', ten: 'An' }]);
  });

  describe('header row against the mappings', () => {
    it('reads headers that match the mapped columns only up to letter case (and NFC) as those columns', async () => {
      const upper = 'MÃ HỒ SƠ,' + 'HỌ VÀ TÊN'.normalize('NFD') + ',Ghi chú';
      const file = await drop('hoa.csv', `${upper}\nKS1,Nguyễn An,x\n`);
      const headers: ReaderEvent[] = [];
      const [batch] = await collect(mappedReader({}, BIRTHS).read(null, { files: [file], onEvent: (e) => e.type === 'sheet-headers' && headers.push(e) }));
      expect(batch!.records[0]!.data).toEqual({ 'Mã hồ sơ': 'KS1', 'Họ và tên': 'Nguyễn An', 'Ghi chú': 'x' });
      expect(headers).toMatchObject([{ columns: ['Mã hồ sơ', 'Họ và tên', 'Ghi chú'] }]);
      const layout = batch!.records[0]!.textLayout!;
      expect(parseCsvRecordText(batch!.records[0]!.text!, layout)).toEqual(batch!.records[0]!.data);
      // The same header row read as written is another layout: its rows give other data.
      const [plain] = await collect(reader().read(null, { files: [file] }));
      expect(plain!.records[0]!.textLayout!.id).not.toBe(layout.id);
    });

    it('names a column a mapping reads that is written twice in the definition\'s words, kept whole in logs and run history (QA: [redacted])', async () => {
      const file = await drop('lap.csv', 'Mã hồ sơ,Họ và tên,Họ và tên\nKS1,An,An\n');
      const error = await collect(mappedReader({}, BIRTHS).read(null, { files: [file] })).catch((e: Error) => e);
      const message = 'lap.csv row 1: the header «Họ và tên» appears twice, in columns B (2) and C (3); headers must be unique';
      expect(error).toMatchObject({ code: 'CONNECTOR_FILE_HEADERS', message });
      expect(serializeError(error as Error).message).toBe(message);
      // A header no mapping reads is the file's text: not kept.
      const other = await drop('lap2.csv', 'Mã hồ sơ,Họ và tên,Ghi chú,Ghi chú\nKS1,An,x,y\n');
      const otherError = await collect(mappedReader({}, BIRTHS).read(null, { files: [other] })).catch((e: Error) => e);
      expect(otherError).toMatchObject({ message: 'lap2.csv row 1: the header "Ghi chú" appears twice, in columns C (3) and D (4); headers must be unique' });
      expect(serializeError(otherError as Error).message).not.toContain('Ghi chú');
    });

    it('refuses two headers equal up to case where a mapping reads one, naming the columns, not the file\'s text', async () => {
      const file = await drop('hai.csv', 'Mã hồ sơ,Họ và tên,MÃ HỒ SƠ\nKS1,An,KS1\n');
      const error = await collect(mappedReader({}, BIRTHS).read(null, { files: [file] })).catch((e: Error) => e);
      expect(error).toMatchObject({
        code: 'CONNECTOR_FILE_HEADERS',
        details: { problem: 'AMBIGUOUS_HEADER', columns: [1, 3] },
        message: 'hai.csv row 1: columns A (1) and C (3) have the same header up to letter case and spacing, that of the column «Mã hồ sơ» the mapping reads; headers must differ by more than case and spaces (rename or delete one)',
      });
      expect(serializeError(error as Error).message).toBe((error as Error).message);
      // Columns no mapping reads may differ by case only: they are simply other columns.
      const other = await drop('khac.csv', 'Mã hồ sơ,Họ và tên,Ghi chú,GHI CHÚ\nKS1,An,a,b\n');
      expect((await collect(mappedReader({}, BIRTHS).read(null, { files: [other] })))[0]!.records).toHaveLength(1);
    });

    it('reads headers that match the mapped columns up to spacing as those columns (QA: a later export\'s `Ngày  sinh` and `Xã / Phường` were missing)', async () => {
      const mapping: RecordMappingInput = {
        ...BIRTHS,
        fields: { fullName: { from: 'Họ và tên' }, birthDate: { from: 'Ngày sinh' }, communeCode: { from: 'Xã/Phường' } },
      };
      const file = await drop('cach.csv', '"Mã hồ  sơ","Họ và\u00a0tên","Ngày\nsinh","Xã / Phường"\nKS1,Nguyễn An,01/02/2015,Ba Đình\n');
      const [batch] = await collect(mappedReader({}, mapping).read(null, { files: [file] }));
      expect(batch!.records[0]!.data).toEqual({ 'Mã hồ sơ': 'KS1', 'Họ và tên': 'Nguyễn An', 'Ngày sinh': '01/02/2015', 'Xã/Phường': 'Ba Đình' });
    });

    it('refuses a file lacking a column the mapping reads, before any row, unless file.optionalColumns lists it (QA: a renamed header wiped stored birth dates, and the run succeeded)', async () => {
      const mapping: RecordMappingInput = {
        ...BIRTHS,
        fields: { fullName: { from: 'Họ và tên' }, birthDate: { firstOf: ['Ngày sinh', 'Năm sinh'] }, sex: { from: 'Giới tính' }, communeCode: { from: 'Xã/Phường' } },
      };
      // One alternative of a firstOf is enough.
      const whole = await drop('du.csv', 'Mã hồ sơ,Họ và tên,Năm sinh,Giới tính,Xã/Phường\nKS1,An,2015,Nam,Ba Đình\n');
      expect((await collect(mappedReader({}, mapping).read(null, { files: [whole] })))[0]!.records).toHaveLength(1);
      const renamed = await drop('doi-ten.csv', 'Mã hồ sơ,Họ và tên,Ngày tháng năm sinh,Giới tính,Xã\nKS1,An,01/02/2015,Nam,Ba Đình\n');
      const batches: ReadBatch[] = [];
      const error = await (async () => {
        for await (const b of mappedReader({}, mapping).read(null, { files: [renamed] })) batches.push(b);
      })().catch((e: Error) => e);
      expect(error).toMatchObject({
        code: 'CONNECTOR_FILE_HEADERS',
        details: { problem: 'MISSING_COLUMN', missing: ['Ngày sinh', 'Năm sinh', 'Xã/Phường'] },
        message: 'doi-ten.csv row 1: the header row (5 columns) does not have columns «Ngày sinh», «Năm sinh», «Xã/Phường» in any letter case or spacing, ' +
          'which the mapping reads: every record would be stored with the fields they feed empty, over what earlier files said; the file was not read ' +
          '(name the columns as the mapping does; if the agency\'s files may lack them, list them in file.optionalColumns)',
      });
      expect(serializeError(error as Error).message).toBe((error as Error).message);
      expect(batches.flatMap((b) => b.records)).toEqual([]);
      // Listed as optional (in any case or spacing), they may be absent: read, their fields empty.
      const optional = mappedReader({ optionalColumns: ['ngày sinh', 'Năm sinh', 'Xã / Phường'] }, mapping);
      const [batch] = await collect(optional.read(null, { files: [renamed] }));
      expect(batch!.records.map((r) => r.data['Mã hồ sơ'])).toEqual(['KS1']);
    });

    it('refuses a file whose header row lacks the id column before any row, naming the column and the delimiter that splits it out', async () => {
      // A comma export dropped for a connector whose files use ";".
      await drop('phay.csv', 'Mã hồ sơ,Họ và tên,Ngày sinh\nKS1,Nguyễn Thị Ánh,01/02/2015\n', new Date('2026-01-01'));
      await drop('tot.csv', 'Mã hồ sơ;Họ và tên\nKS2;Trần Bình\n', new Date('2026-01-02'));
      const events: ReaderEvent[] = [];
      const batches = await collect(mappedReader({ csv: { delimiter: ';' } }, BIRTHS).read(null, { onEvent: (e) => events.push(e) }));
      expect(batches.flatMap((b) => b.records.map((r) => r.data['Mã hồ sơ']))).toEqual(['KS2']);
      expect(batches.flatMap((b) => b.rejects ?? [])).toEqual([]);
      const message =
        'phay.csv row 1: no mapping can give its rows a record id: it needs column «Mã hồ sơ», which the header row (1 column) does not have in any letter case or spacing; ' +
        'the header row splits into 3 columns at ",", «Mã hồ sơ» among them: the file looks ","-delimited (set file.csv.delimiter, or export it with the connector\'s delimiter); ' +
        'the file was not read (its every row would be rejected without an id)';
      expect(events.filter((e) => e.type === 'file-refused')).toEqual([
        { type: 'file-refused', fileName: 'phay.csv', realName: 'phay.csv', checksum: expect.any(String), code: 'CONNECTOR_FILE_HEADERS', message, storedMessage: message },
      ]);
    });

    it('says when the headers lack their diacritics, or were decoded twice, rather than pointing at a title row (QA)', async () => {
      const bare = await drop('khong-dau.csv', 'Ma ho so,Ho va ten,Ngay sinh\nKS1,Nguyen Thi Anh,01/02/2015\n');
      const plain = await collect(mappedReader({}, BIRTHS).read(null, { files: [bare] })).catch((e: Error) => e);
      expect((plain as Error).message).toContain(
        'does not have in any letter case or spacing; the header row has them without their diacritics (Ma ho so for Mã hồ sơ): columns are found with their diacritics, '
          + 'so export the file with its headers as the agency writes them, or name the columns so in the mapping; the file was not read');
      expect((plain as Error).message).not.toMatch(/headerRow|Nguyen/);
      // UTF-8 read as Windows-1252 and saved again as UTF-8.
      const twice = Buffer.from('Mã hồ sơ,Họ và tên,Ngày sinh', 'utf8').toString('latin1');
      const mangled = await drop('hai-lan.csv', `${twice}\nKS1,An,01/02/2015\n`);
      const decoded = await collect(mappedReader({}, BIRTHS).read(null, { files: [mangled] })).catch((e: Error) => e);
      expect((decoded as Error).message).toContain('; the headers look decoded twice (MÃ£ for Mã: UTF-8 read as Windows-1252 and saved again as UTF-8): export the file again from its source;');
    });

    it('says so when no other delimiter explains it, and never quotes the file\'s first row (a file without its header row has a record there)', async () => {
      const file = await drop('khong-tieu-de.csv', 'KS1,Nguyễn Thị Ánh,01/02/2015\nKS2,Trần Văn Bình,02/03/2016\n');
      const error = await collect(mappedReader({}, BIRTHS).read(null, { files: [file] })).catch((e: Error) => e);
      expect(error).toMatchObject({ code: 'CONNECTOR_FILE_HEADERS', details: { problem: 'MISSING_ID_COLUMN', missing: ['Mã hồ sơ'] } });
      expect((error as Error).message).toBe(
        'khong-tieu-de.csv row 1: no mapping can give its rows a record id: it needs column «Mã hồ sơ», which the header row (3 columns) does not have in any letter case or spacing; ' +
          'if the headers are on a later row (a title above them), set file.headerRow to its number; the file was not read (its every row would be rejected without an id)',
      );
      // A register's title above its headers: the hint's way out reads it.
      const titled = await drop('tieu-de.csv', 'SỔ ĐĂNG KÝ KHAI SINH,,\nMã hồ sơ,Họ và tên,\nKS1,Nguyễn Thị Ánh,\n');
      await expect(collect(mappedReader({}, BIRTHS).read(null, { files: [titled] }))).rejects.toMatchObject({
        message: expect.stringContaining('the header row (1 column) does not have in any letter case or spacing; if the headers are on a later row'),
      });
      const [batch] = await collect(mappedReader({ headerRow: 2 }, BIRTHS).read(null, { files: [titled] }));
      expect(batch!.records.map((r) => [r.location, r.data])).toEqual([['tieu-de.csv row 3', { 'Mã hồ sơ': 'KS1', 'Họ và tên': 'Nguyễn Thị Ánh' }]]);
      // A `firstOf` id needs one of its columns; a `when` column is needed too.
      const either = await drop('either.csv', 'Số định danh,Họ và tên\n001,An\n');
      const firstOf = mappedReader({}, { ...BIRTHS, externalId: { firstOf: ['Mã hồ sơ', 'Số định danh'] } });
      expect((await collect(firstOf.read(null, { files: [either] })))[0]!.records).toHaveLength(1);
      const when = mappedReader({}, { ...BIRTHS, externalId: { from: 'Số định danh' }, when: { from: 'Loại', equals: 'KS' } });
      await expect(collect(when.read(null, { files: [either] }))).rejects.toMatchObject({ details: { missing: ['Loại'] } });
    });
  });

  it('keeps what of a broken row surely holds its id: the first field of a row with a field too many or a quote broken after it, nothing of one with fields missing', async () => {
    await drop('vo.csv', [
      'Mã hồ sơ,Họ và tên,Ghi chú',
      'KS1,An,Số 12, phố Huế', // a field too many
      'KS2,Bình', // a field missing
      'KS3,"Chi "C" Lê",x', // text after a closing quote, in the second field (QA: kept no id)
      '"KS4"b,Dũng,x', // …in the first
      'KS5,"Em "E" Lê"', // …with a field missing too: the delimiter after the id may be the one missing
      'KS6,"Gia "G" Lê",x,y', // …with a field to spare
      'KS7,"Hà, never closed', // a quote never closed: its first line alone
      'KS8,Hải,x',
    ].join('\n') + '\n');
    const [batch] = await collect(mappedReader({}, BIRTHS).read(null, {}));
    const kept = (id: string, row: number) => ({ data: { 'Mã hồ sơ': id }, recordType: 'child', location: `vo.csv row ${row}` });
    expect(batch!.records.map((r) => r.data['Mã hồ sơ'])).toEqual(['KS8']);
    expect(batch!.rejects!.map((r) => r.readable ?? null)).toEqual([kept('KS1', 2), null, kept('KS3', 4), null, null, kept('KS6', 7), null]);
    // An id read from another column than the first could have moved: not kept.
    const [second] = await collect(mappedReader({}, { ...BIRTHS, externalId: { from: 'Họ và tên' } }).read(null, { files: ['vo.csv'] }));
    expect(second!.rejects!.map((r) => r.readable ?? null)).toEqual([null, null, null, null, null, null, null]);
  });

  it('keeps the id of a line too long to be a row when it has fields to spare, as of a row with a field too many (QA)', async () => {
    await drop('dai.csv', `Mã hồ sơ,Họ và tên,Ghi chú\nKS1,An,x\nKSLONG,Bình,${'y,'.repeat(600_000)}\nKS3,Chi,z\n`);
    const [batch] = await collect(mappedReader({}, BIRTHS).read(null, {}));
    expect(batch!.records.map((r) => r.data['Mã hồ sơ'])).toEqual(['KS1', 'KS3']);
    expect(batch!.rejects!.map((r) => [r.problems[0]!.message, r.readable?.data ?? null])).toEqual([
      ['row longer than 1048576 characters, the most a row may hold', { 'Mã hồ sơ': 'KSLONG' }],
    ]);
  });

  it('keeps the id of a line too long to be a row, without a quote, whose first 65,536 characters hold every column (QA: a last field of 2 M characters lost it)', async () => {
    const long = 'y'.repeat(2_000_000);
    await drop('dai.csv', `Mã hồ sơ,Họ và tên,Ghi chú\nKS1,An,x\nKSDU,Bình,${long}\nKSTHIEU,${long}\nKS3,Chi,z\n`);
    const [batch] = await collect(mappedReader({}, BIRTHS).read(null, {}));
    expect(batch!.records.map((r) => r.data['Mã hồ sơ'])).toEqual(['KS1', 'KS3']);
    // A head with a field missing may have lost the delimiter after the id: none kept.
    expect(batch!.rejects!.map((r) => [r.location, r.readable?.data ?? null])).toEqual([
      ['dai.csv row 3', { 'Mã hồ sơ': 'KSDU' }],
      ['dai.csv row 4', null],
    ]);
  });

  it('reads in chunks of chunkRows, oldest file first, the last batch of each file marking it completed', async () => {
    await drop('new.csv', `${HEADER}\n${rows(2, 100)}\n`, new Date('2026-03-01'));
    await drop('old.csv', `${HEADER}\n${rows(5)}`, new Date('2026-01-01'));
    const batches = await collect(reader({ chunkRows: 2 }).read(null, {}));
    expect(batches.map((b) => [b.location, b.records.length, Boolean(b.fileCompleted)])).toEqual([
      ['old.csv rows 2-3', 2, false],
      ['old.csv rows 4-5', 2, false],
      ['old.csv row 6', 1, true],
      ['new.csv rows 2-3', 2, true], // full last chunk: no empty batch after it
    ]);
    expect(batches[1]!.position).toEqual({ file: { checksum: await sha256(path.join(dir, 'old.csv')), name: 'old.csv' }, sheetIndex: 0, rowsDone: 4 });
  });

  it('ends a chunk early when its rows hold CHUNK_CHARS characters of text, and resumes after it as after any chunk (QA: 400 lines of 1 MB ran a sync out of heap)', async () => {
    // 12 rows of a million-character note: 5 of them pass CHUNK_CHARS (4 Mi), 4 do not.
    const note = 'x'.repeat(1_000_000);
    await drop('ghi-chu-dai.csv', `${HEADER}\r\n${Array.from({ length: 12 }, (_, k) => `ID${k + 1},Trẻ ${k + 1},01/02/2015,${note}`).join('\r\n')}\r\n${rows(2, 13)}`);
    const batches = await collect(reader().read(null, {}));
    expect(batches.map((b) => [b.location, b.records.length, Boolean(b.fileCompleted)])).toEqual([
      ['ghi-chu-dai.csv rows 2-6', 5, false],
      ['ghi-chu-dai.csv rows 7-11', 5, false],
      ['ghi-chu-dai.csv rows 12-15', 4, true],
    ]);
    expect(batches[0]!.position).toMatchObject({ sheetIndex: 0, rowsDone: 5 });
    const resumed = await collect(reader().read(batches[0]!.position, {}));
    expect(ids(resumed)).toEqual(Array.from({ length: 9 }, (_, k) => `ID${k + 6}`));
    expect(resumed.at(-1)!.fileCompleted?.fileName).toBe('ghi-chu-dai.csv');
  });

  it('gives a file with only headers a single empty batch that completes it, and refuses a file of 0 bytes, not even a header (QA: taken as read)', async () => {
    await drop('empty.csv', '', new Date('2026-01-01'));
    await drop('bom-only.csv', '\uFEFF', new Date('2026-01-01'));
    await drop('headers-only.csv', `${HEADER}\r\n`, new Date('2026-01-02'));
    const events: ReaderEvent[] = [];
    const batches = await collect(reader().read(null, { onEvent: (e) => events.push(e) }));
    expect(batches.map((b) => [b.location, b.records.length, b.fileCompleted?.fileName])).toEqual([
      ['headers-only.csv (no more rows)', 0, 'headers-only.csv'],
    ]);
    const refused = events.filter((e) => e.type === 'file-refused').map((e) => e.type === 'file-refused' && [e.fileName, e.code, e.message]);
    expect(refused.sort()).toEqual([
      ['bom-only.csv', 'CONNECTOR_FILE_FORMAT', 'bom-only.csv is empty, with not even a header row: a failed or interrupted export? Replace it with the export'],
      ['empty.csv', 'CONNECTOR_FILE_FORMAT', 'empty.csv is empty, with not even a header row: a failed or interrupted export? Replace it with the export'],
    ]);
  });

  it('skips files whose checksum was already ingested', async () => {
    const done = await drop('done.csv', `${HEADER}\n${rows(2)}`, new Date('2026-01-01'));
    await drop('copy-of-new.csv', `${HEADER}\n${rows(1, 50)}`, new Date('2026-01-03'));
    await drop('new.csv', `${HEADER}\n${rows(1, 50)}`, new Date('2026-01-02'));
    const ingested = new Set([await sha256(done)]);
    const events: ReaderEvent[] = [];
    const batches = await collect(
      reader().read(null, { isFileIngested: async (c) => ingested.has(c), onEvent: (e) => events.push(e) }),
    );
    expect(batches.map((b) => b.fileCompleted?.fileName)).toEqual(['new.csv']);
    expect(events.filter((e) => e.type === 'file-skipped')).toEqual([
      { type: 'file-skipped', fileName: 'done.csv', checksum: expect.stringMatching(/^[0-9a-f]{64}$/), reason: 'ALREADY_INGESTED' },
      // Same content, same run: told as a copy of the file read (QA: a dry run said "already ingested").
      { type: 'file-skipped', fileName: 'copy-of-new.csv', checksum: expect.stringMatching(/^[0-9a-f]{64}$/), reason: 'COPY_IN_DROP', sameAs: 'new.csv' },
    ]);
  });

  it('trusts file descriptions only on file systems that keep change times, and for one mount', async () => {
    expect(await keepsChangeTimes(path.join(dir, 'no-such-file'))).toBe(false);
    // This machine's temporary folder: ext4, xfs, btrfs or tmpfs wherever the tests run.
    expect(await keepsChangeTimes(dir)).toBe(true);
    const p = await drop('a.csv', 'x');
    const { dev, ino, size, mtimeMs, ctimeMs } = await stat(p);
    // The mount's id (another volume mounted in its place gets another), then the file's description.
    expect(await checksumKey(p)).toMatch(new RegExp(`^m\\d+:${dev}:${ino}:${size}:${mtimeMs}:${ctimeMs}$`.replace(/\./g, '\\.')));
  });

  describe('checksums taken before (knownChecksums)', () => {
    /** Every file of `dir` as the reader describes it, by name. */
    const stats = async (...names: string[]) => Promise.all(names.map(async (n) => (await checksumKey(path.join(dir, n)))!));
    /** A reader whose clock is `aheadMs` ahead: the files written just now changed that long ago. */
    const readerAhead = (aheadMs: number) => new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0 }), {
      logger, name: 'justice-register', now: () => Date.now() + aheadMs,
    });

    it('skips a file unchanged since its checksum was taken, without reading it, when that checksum was ingested', async () => {
      await drop('old.csv', `${HEADER}\n${rows(2)}`, new Date('2026-01-01'));
      await drop('new.csv', `${HEADER}\n${rows(1, 50)}`, new Date('2026-01-02'));
      const [oldStat, newStat] = await stats('old.csv', 'new.csv');
      // A checksum no read of old.csv could give: it is skipped by what was taken before, not by its bytes.
      const earlier = 'e'.repeat(64);
      const remembered: Array<[ReadonlyArray<{ stat: string; checksum: string }>, readonly string[] | null]> = [];
      const events: ReaderEvent[] = [];
      const batches = await collect(readerAhead(10_000).read(null, {
        isFileIngested: async (c) => c === earlier,
        knownChecksums: new Map([[oldStat!, earlier]]),
        onChecksums: async (taken, listed) => void remembered.push([taken, listed]),
        onEvent: (e) => events.push(e),
      }));
      expect(batches.map((b) => b.fileCompleted?.fileName)).toEqual(['new.csv']);
      expect(events.filter((e) => e.type === 'file-skipped')).toEqual([{ type: 'file-skipped', fileName: 'old.csv', checksum: earlier, reason: 'ALREADY_INGESTED' }]);
      // Only the checksum taken now is told, with every file listed.
      expect(remembered).toEqual([[[{ stat: newStat, checksum: await sha256(path.join(dir, 'new.csv')) }], [oldStat, newStat]]]);
    });

    it('reads a file again once it changed (its description with it), and hashes afresh one whose earlier checksum was not ingested', async () => {
      const p = await drop('a.csv', `${HEADER}\n${rows(2)}`, new Date('2026-01-01'));
      const [before] = await stats('a.csv');
      const earlier = await sha256(p);
      // Rewritten with other rows, the same size and the same modification time: the change time still moves.
      await new Promise((r) => setTimeout(r, 20));
      await drop('a.csv', `${HEADER}\n${rows(2, 3)}`, new Date('2026-01-01'));
      const [after] = await stats('a.csv');
      expect(after).not.toEqual(before);
      const read = await collect(reader().read(null, { isFileIngested: async (c) => c === earlier, knownChecksums: new Map([[before!, earlier]]) }));
      expect(ids(read)).toEqual(['ID3', 'ID4']);
      expect(read.at(-1)!.fileCompleted!.checksum).toBe(await sha256(p));

      // Known, but that checksum was never ingested (forgotten, or a forced read's): the file is hashed and read.
      const taken: string[] = [];
      const again = await collect(readerAhead(10_000).read(null, {
        isFileIngested: async () => false,
        knownChecksums: new Map([[after!, 'f'.repeat(64)]]),
        onChecksums: async (t) => void taken.push(...t.map((x) => x.checksum)),
      }));
      expect(again.at(-1)!.fileCompleted!.checksum).toBe(await sha256(p));
      expect(taken).toEqual([await sha256(p)]);
    });

    it('keeps no checksum of a file changed less than 3 s before it was hashed: a change right after could date the same (QA: coarse file times)', async () => {
      await drop('a.csv', `${HEADER}\n${rows(1)}`, new Date('2026-01-01'));
      const kept = async (aheadMs: number) => {
        const taken: string[] = [];
        await collect(readerAhead(aheadMs).read(null, { onChecksums: async (t) => void taken.push(...t.map((x) => x.stat)) }));
        return taken;
      };
      // Its modification time is old, its change time (the write) is now.
      expect(await kept(0)).toEqual([]);
      expect(await kept(2_000)).toEqual([]);
      expect(await kept(4_000)).toEqual(await stats('a.csv'));
    });

    it('tells no listing when files are given by name', async () => {
      await drop('a.csv', `${HEADER}\n${rows(1)}`);
      const told: Array<readonly string[] | null> = [];
      await collect(reader().read(null, { files: ['a.csv'], onChecksums: async (_t, listed) => void told.push(listed) }));
      expect(told).toEqual([null]);
    });
  });

  it('gives rows a recogniser knows as records unparsed, which parse on demand: same rows, numbers, batches and positions', async () => {
    const body = `${HEADER}\r\n${rows(4)}\r\n"ID5",Trẻ 5,01/02/2015,\r\nbroken"x\r\n\r\n${rows(3, 6)}`;
    await drop('a.csv', body);
    const plain = await collect(reader({ chunkRows: 3 }).read(null, {}));
    const offered: Array<{ text: string; layout: string; recordType: string | undefined }> = [];
    // Recognises ID2 and ID7 (token: the row's number), gives the others a content hash of its own.
    const recogniser: TextRecogniser = {
      active: true,
      recognise: (text, layout, recordType) => {
        offered.push({ text, layout, recordType });
        const m = /^ID(2|7),/.exec(text);
        return m ? Number(m[1]) : `hash of ${text}`;
      },
    };
    const known = await collect(reader({ chunkRows: 3 }).read(null, { recogniser }));
    expect(known.map((b) => [b.location, b.position, b.rejects])).toEqual(plain.map((b) => [b.location, b.position, b.rejects]));
    const records = known.flatMap((b) => b.records);
    const plainRecords = plain.flatMap((b) => b.records);
    expect(records.map((r) => r.known)).toEqual([undefined, 2, undefined, undefined, undefined, undefined, 7, undefined]);
    // A recognised record reads like any other: its data is parsed when asked for.
    for (const [k, r] of records.entries()) {
      const p = plainRecords[k]!;
      expect([r.data, r.location, r.text, r.textLayout, r.recordType]).toEqual([p.data, p.location, p.text, p.textLayout, p.recordType]);
      expect(r.contentHash).toBe(r.known === undefined && offered.some((o) => o.text === r.text) ? `hash of ${r.text}` : undefined);
    }
    // Offered: data rows of one line without quotes, ended by a line break (not the last one here), under the
    // file's layout and the sheet's record type.
    expect(offered.map((o) => o.text)).toEqual(['ID1,Trẻ 1,01/02/2015,', 'ID2,Trẻ 2,01/02/2015,', 'ID3,Trẻ 3,01/02/2015,', 'ID4,Trẻ 4,01/02/2015,', 'ID6,Trẻ 6,01/02/2015,', 'ID7,Trẻ 7,01/02/2015,']);
    expect(new Set(offered.map((o) => `${o.layout} ${o.recordType}`))).toEqual(new Set([`${plainRecords[0]!.textLayout!.id} child`]));

    // Resumed after the first batch: the rows skipped are not offered.
    offered.length = 0;
    const resumed = await collect(reader({ chunkRows: 3 }).read(known[0]!.position, { recogniser }));
    expect(resumed.flatMap((b) => b.records).map((r) => r.data['Số định danh'])).toEqual(['ID4', 'ID5', 'ID6', 'ID7', 'ID8']);
    expect(offered.map((o) => o.text.split(',')[0])).toEqual(['ID4', 'ID6', 'ID7']);
  });

  it('resumes inside a file from a stored position with no row lost or repeated', async () => {
    await drop('other.csv', `${HEADER}\n${rows(3, 900)}`, new Date('2026-01-01'));
    // Broken and empty rows count as rows done too.
    await drop('big.csv', `${HEADER}\n${rows(4)}\nbroken\n\n${rows(6, 5)}\n`, new Date('2026-02-01'));
    const all = await collect(reader({ chunkRows: 3 }).read(null, { maxBatches: 100 }));
    const bigBatches = all.filter((b) => b.location.startsWith('big.csv'));
    // A run killed after storing the second batch of big.csv, while other.csv had not been reached.
    for (const [k, stored] of bigBatches.slice(0, -1).entries()) {
      const resumed = await collect(reader({ chunkRows: 3 }).read(stored.position, {}));
      const before = bigBatches.slice(0, k + 1);
      expect(resumed[0]!.location.startsWith('big.csv')).toBe(true); // the interrupted file comes first
      const bigAfter = resumed.filter((b) => b.location.startsWith('big.csv'));
      expect([...ids(before), ...ids(bigAfter)]).toEqual(ids(bigBatches));
      expect([...before, ...bigAfter].flatMap((b) => b.rejects ?? []).map((r) => r.location)).toEqual(['big.csv row 6']);
      expect(ids(resumed.filter((b) => b.location.startsWith('other.csv')))).toEqual(['ID900', 'ID901', 'ID902']);
    }
    expect(ids(bigBatches)).toEqual(Array.from({ length: 10 }, (_, k) => `ID${k + 1}`));
  });

  it("names a file named after a child by its label in positions, locations, events, messages and logs, and resumes it by checksum (QA: the child's name and number reached run history)", async () => {
    const personal = 'khai-sinh-NGUYEN-VAN-AN-001322711590.csv';
    const shown = 'khai-sinh-[withheld].csv';
    await drop(personal, `${HEADER}\n${rows(2)}\nbroken\n${rows(3, 3)}\n`, new Date('2026-01-01'));
    await drop('TRAN-THI-HA-013227115.csv', Buffer.from([...Buffer.from(`${HEADER}\nKS1,Tr`), 0xea, 0xcc, 0x80, 0x0a]), new Date('2026-01-02'));
    const lines: string[] = [];
    const log = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });
    const read = (position: ReaderPosition | null, events: ReaderEvent[] = []) =>
      collect(new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, chunkRows: 2 }), { logger: log, name: 'justice-register' })
        .read(position, { onEvent: (e) => events.push(e) }));
    const events: ReaderEvent[] = [];
    const batches = await read(null, events);
    expect(batches.map((b) => b.location)).toEqual([`${shown} rows 2-3`, `${shown} rows 4-5`, `${shown} rows 6-7`]);
    expect(batches.flatMap((b) => b.rejects ?? []).map((r) => r.location)).toEqual([`${shown} row 4`]);
    expect(batches.flatMap((b) => b.records).every((r) => r.location!.startsWith(`${shown} row `))).toBe(true);
    for (const b of batches) expect((b.position as { file: { name: string } }).file.name).toBe(shown);
    // The real name only where the hub records the file as ingested (a protected table, shown nowhere).
    expect(batches.at(-1)!.fileCompleted?.fileName).toBe(personal);
    const refused = events.find((e): e is Extract<ReaderEvent, { type: 'file-refused' }> => e.type === 'file-refused')!;
    expect(refused).toMatchObject({ fileName: '[withheld].csv', realName: 'TRAN-THI-HA-013227115.csv', code: 'CONNECTOR_FILE_ENCODING' });
    expect(refused.message.startsWith('[withheld].csv is not valid UTF-8')).toBe(true);
    const { realName: _real, ...told } = refused;
    const shownText = JSON.stringify(events.map((e) => ('realName' in e ? { ...e, realName: undefined } : e))) + JSON.stringify(told) + lines.join('');
    for (const leak of ['NGUYEN', 'TRAN', '001322711590', '013227115']) expect(shownText).not.toContain(leak);
    // A run killed after the first batch resumes inside the file, found by its checksum: the label in the position is for people.
    const resumed = await read(batches[0]!.position);
    expect(ids(resumed)).toEqual(['ID3', 'ID4', 'ID5']);
    expect(resumed[0]!.location).toBe(`${shown} rows 4-5`);
  });

  it('starts over when the file of the stored position is gone', async () => {
    await drop('a.csv', `${HEADER}\n${rows(2)}`);
    const position: ReaderPosition = { file: { checksum: 'f'.repeat(64), name: 'gone.csv' }, sheetIndex: 0, rowsDone: 1 };
    const events: ReaderEvent[] = [];
    expect(ids(await collect(reader().read(position, { onEvent: (e) => events.push(e) })))).toEqual(['ID1', 'ID2']);
    // Told, so that a sync does not take what it stored from that file for earlier copies of this read's records (QA).
    expect(events.filter((e) => e.type === 'resume-file-gone')).toEqual([{ type: 'resume-file-gone', fileName: 'gone.csv' }]);
  });

  it('reads the files given explicitly, in the given order, instead of the directory', async () => {
    await drop('in-dir.csv', `${HEADER}\n${rows(1, 1)}`);
    const other = await mkdtemp(path.join(tmpdir(), 'childhub-given-'));
    try {
      await writeFile(path.join(other, 'x.txt'), `${HEADER}\n${rows(1, 7)}`);
      const batches = await collect(reader().read(null, { files: [path.join(other, 'x.txt'), 'in-dir.csv'] }));
      expect(ids(batches)).toEqual(['ID7', 'ID1']);
      await expect(collect(reader().read(null, { files: ['missing.csv'] }))).rejects.toMatchObject({ code: 'CONNECTOR_FILE_UNREADABLE' });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('lists only the files matching the pattern', async () => {
    await drop('khai-sinh-2026.CSV', `${HEADER}\n${rows(1, 1)}`, new Date('2026-01-01'));
    await drop('nhan-nuoi-2026.csv', `${HEADER}\n${rows(1, 2)}`, new Date('2026-01-02'));
    await drop('khai-sinh-2026.csv.bak', 'x');
    await drop('~$khai-sinh.xlsx', 'lock');
    expect(ids(await collect(reader({ pattern: 'khai-sinh-*.{csv,tsv}' }).read(null, {})))).toEqual(['ID1']);
    expect(ids(await collect(reader().read(null, {})))).toEqual(['ID1', 'ID2']);
  });

  it('honours the delimiter, the header row and maxBatches', async () => {
    await drop('semi.csv', `DANH SÁCH TRẺ EM;;\n;;\nma;ten;ngay\n${Array.from({ length: 5 }, (_, k) => `KS${k};An;`).join('\n')}`);
    const batches = await collect(reader({ csv: { delimiter: ';' }, headerRow: 3, chunkRows: 2 }).read(null, { maxBatches: 1 }));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.location).toBe('semi.csv rows 4-5');
    expect(batches[0]!.records.map((r) => r.data)).toEqual([
      { ma: 'KS0', ten: 'An' },
      { ma: 'KS1', ten: 'An' },
    ]);
  });

  it('tags CSV records with the one configured record type and refuses a CSV for a multi-sheet connector', async () => {
    await drop('a.csv', `${HEADER}\n${rows(1)}`);
    const [batch] = await collect(reader({ sheets: [{ sheet: 1, recordType: 'facility' }] }).read(null, {}));
    expect(batch!.records[0]!.recordType).toBe('facility');
    const multi = reader({ sheets: [{ sheet: 1, recordType: 'facility' }, { sheet: 2, recordType: 'child' }] });
    await expect(collect(multi.read(null, { files: [path.join(dir, 'a.csv')] }))).rejects.toMatchObject({ code: 'CONNECTOR_FILE_FORMAT' });
  });

  it('refuses a file whose extension names no format it reads, the extension kept in logs and run history', async () => {
    const thrown = await collect(reader({}).read(null, { files: [await drop('so-lieu.pdf', `${HEADER}\n${rows(1)}`)] })).catch((e: Error) => e);
    const told = 'so-lieu.pdf: cannot tell the format from the extension .pdf; set file.format to csv or xlsx';
    expect(thrown).toMatchObject({ code: 'CONNECTOR_FILE_FORMAT', message: told });
    expect(serializeError(thrown as Error).message).toBe(told);
  });

  it('refuses a file no `sheets` entry takes, naming the entries\' `files` patterns, with the whole message kept in logs and run history', async () => {
    const byName = reader({
      sheets: [
        { files: 'khai-sinh-*', sheet: 'Sổ đăng ký khai sinh', recordType: 'child' },
        { files: 'nuoi-con-nuoi-*', sheet: 'Nuôi con nuôi', recordType: 'child' },
        { files: 'khai-sinh-*', sheet: 2, recordType: 'child' },
      ],
    });
    const told = 'x.csv matches no `sheets` entry of connector justice-register: their `files` patterns are `khai-sinh-*`, `nuoi-con-nuoi-*`';
    // Given by name (`connectors sync --file x.csv`): the sync fails with it.
    const thrown = await collect(byName.read(null, { files: [await drop('x.csv', `${HEADER}\n${rows(1)}`)] })).catch((e: Error) => e);
    expect(thrown).toMatchObject({ code: 'CONNECTOR_FILE_FORMAT', message: told });
    // What connector_run.error and the logs keep: the hub's words, not `[redacted]`.
    expect(serializeError(thrown as Error).message).toBe(told);
    // Found in the drop directory: refused, the others read.
    const events: ReaderEvent[] = [];
    await collect(byName.read(null, { onEvent: (e) => void events.push(e) }));
    expect(events.filter((e) => e.type === 'file-refused')).toEqual([expect.objectContaining({ fileName: 'x.csv', code: 'CONNECTOR_FILE_FORMAT', message: told, storedMessage: told })]);
  });

  it('says what a file named .xlsx that is no zip is, in words kept whole in logs and run history (QA: [redacted])', async () => {
    const told = async (name: string, content: Buffer | string) => {
      const error = (await collect(reader({ pattern: '*' }).read(null, { files: [await drop(name, content)] })).catch((e: unknown) => e)) as Error;
      expect(error).toMatchObject({ code: 'CONNECTOR_FILE_FORMAT' });
      expect(serializeError(error).message).toBe(error.message);
      return error.message;
    };
    // What Excel saves a workbook with a password as, and an .xls renamed.
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
    expect(await told('mat-khau.xlsx', ole)).toBe(
      'mat-khau.xlsx is not an XLSX workbook: it is an OLE compound file, as a password-protected workbook or an Excel 97-2003 workbook is; remove the password, or save it as .xlsx',
    );
    expect(await told('csv.xlsx', `${HEADER}\n${rows(1)}\n`)).toBe('csv.xlsx is not an XLSX workbook: an XLSX file is a zip archive, and this one is not');
    expect(await told('zip.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]))).toBe('zip.csv is a zip archive, not a CSV file: an XLSX workbook named as CSV? Drop it as .xlsx');
    expect(await told('cu.xls', 'x')).toBe('cu.xls is an Excel 97-2003 workbook, .xls, which is not read; save it as .xlsx');
  });

  it('refuses an XLSX named .csv and an unknown extension', async () => {
    const zip = await drop('a.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]));
    await expect(collect(reader().read(null, { files: [zip] }))).rejects.toMatchObject({ code: 'CONNECTOR_FILE_FORMAT', message: expect.stringMatching(/zip archive/) });
    await expect(collect(reader({ pattern: '*' }).read(null, { files: [await drop('b.dat', 'x')] }))).rejects.toMatchObject({
      code: 'CONNECTOR_FILE_FORMAT',
    });
  });

  it('resolves the directory from the environment, relative to the project root', async () => {
    await drop('a.csv', `${HEADER}\n${rows(1)}`);
    const r = new FileReader(fileConfigSchema.parse({ directory: { env: 'DROP_DIR', default: 'nowhere' }, settleSeconds: 0 }), {
      logger,
      name: 'x',
      env: { DROP_DIR: path.basename(dir) },
      projectRoot: path.dirname(dir),
    });
    expect(r.directory()).toBe(dir);
    expect(ids(await collect(r.read(null, {})))).toEqual(['ID1']);
    const missing = new FileReader(fileConfigSchema.parse({ directory: { env: 'DROP_DIR' } }), { logger, name: 'x', env: {} });
    await expect(collect(missing.read(null, {}))).rejects.toMatchObject({ code: 'CONNECTOR_SETTING_MISSING', variable: 'DROP_DIR' });
    // Every unset variable named at once, by a sync and by check alike (QA: each named one, not the same one).
    const both = new FileReader(fileConfigSchema.parse({ directory: { env: 'DROP_DIR' }, settleSeconds: { env: 'DROP_SETTLE' } }), { logger, name: 'x', env: {} });
    await expect(collect(both.read(null, {}))).rejects.toMatchObject({
      message: 'connector x: file.directory needs the environment variable DROP_DIR, which is not set; the definition also needs DROP_SETTLE, not set either',
    });
    expect((await both.check({})).steps).toEqual([{
      step: 'settings', ok: false,
      detail: 'connector x: file.settleSeconds needs the environment variable DROP_SETTLE, which is not set; the definition also needs DROP_DIR, not set either',
    }]);
  });

  it('refuses a drop directory that its variable sets to blanks, saying what to set (QA: an empty one listed the project root)', async () => {
    const config = fileConfigSchema.parse({ directory: { env: 'DROP_DIR', default: 'var/drops/x' }, settleSeconds: 0 });
    const blank = new FileReader(config, { logger, name: 'x', env: { DROP_DIR: '  ' }, projectRoot: dir });
    const detail = 'connector x: file.directory is empty, which would be the project root itself: give the drop directory\'s path (absolute, or relative to the project root): correct the environment variable DROP_DIR';
    expect(() => blank.directory()).toThrow(detail);
    expect(await blank.check({})).toMatchObject({ ok: false, steps: [{ step: 'drop directory', ok: false, detail }] });
    await expect(collect(blank.read(null, {}))).rejects.toMatchObject({ code: 'CONNECTOR_SETTING_INVALID', message: detail });
  });

  it('says where a missing drop directory came from: the variable, or the default as the variable is not set (QA: a queued sync did not say the worker lacked it)', async () => {
    const config = fileConfigSchema.parse({ directory: { env: 'DROP_DIR', default: 'var/drops/x' }, settleSeconds: 0 });
    const fallback = new FileReader(config, { logger, name: 'x', env: {}, projectRoot: dir });
    const refused = await collect(fallback.read(null, {})).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'CONNECTOR_FILE_UNREADABLE',
      message: `the drop directory ${path.join(dir, 'var/drops/x')} does not exist; the path is the default of file.directory, var/drops/x, as DROP_DIR is not set in this process's environment`,
    });
    expect((refused as FileAccessError).in("the worker's environment").message).toMatch(/as DROP_DIR is not set in the worker's environment$/);
    expect(serializeError(refused as Error).message).toBe((refused as Error).message); // kept whole in logs and run history
    const set = new FileReader(config, { logger, name: 'x', env: { DROP_DIR: 'elsewhere' }, projectRoot: dir });
    expect(await set.check({})).toMatchObject({ ok: false, steps: [{ step: 'drop directory', detail: `the drop directory ${path.join(dir, 'elsewhere')} does not exist; the path was taken from DROP_DIR` }] });
  });

  it('does not complete a file that changed while it was being read', async () => {
    const p = await drop('growing.csv', `${HEADER}\n${rows(4)}\n`);
    const got: ReadBatch[] = [];
    const error = await (async () => {
      for await (const b of reader({ chunkRows: 2 }).read(null, {})) {
        got.push(b);
        if (got.length === 1) await writeFile(p, `${HEADER}\n${rows(6)}\n`); // still being copied in
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONNECTOR_FILE_CHANGED' });
    // The sizes kept in logs and run history (QA: they were in parentheses, redacted).
    const sizes = `${Buffer.byteLength(`${HEADER}\n${rows(4)}\n`)} bytes when listed, ${Buffer.byteLength(`${HEADER}\n${rows(6)}\n`)} now`;
    expect(serializeError(error as Error).message).toBe(`growing.csv changed while it was being read: ${sizes}; it was not recorded as ingested and will be read again`);
    expect(got.some((b) => b.fileCompleted)).toBe(false);
  });

  it('does not complete a file rewritten while it was read with the same size and its modification time put back (QA re-check)', async () => {
    const when = new Date('2026-01-01');
    const p = await drop('same-size.csv', `${HEADER}\n${rows(4)}\n`, when);
    const got: ReadBatch[] = [];
    const error = await (async () => {
      for await (const b of reader({ chunkRows: 2 }).read(null, {})) {
        got.push(b);
        if (got.length === 1) await drop('same-size.csv', `${HEADER}\n${rows(4, 5)}\n`, when);
      }
    })().catch((e: unknown) => e);
    expect((await readFile(p, 'utf8')).length).toBe(`${HEADER}\n${rows(4)}\n`.length);
    expect(error).toMatchObject({ code: 'CONNECTOR_FILE_CHANGED', message: 'same-size.csv changed while it was being read: written to or replaced since it was listed; it was not recorded as ingested and will be read again' });
    expect(got.some((b) => b.fileCompleted)).toBe(false);
  });

  it('stops when the signal is aborted', async () => {
    await drop('a.csv', `${HEADER}\n${rows(10)}`);
    const controller = new AbortController();
    const got: ReadBatch[] = [];
    const error = await (async () => {
      for await (const b of reader({ chunkRows: 2 }).read(null, { signal: controller.signal })) {
        got.push(b);
        controller.abort(new Error('shutting down'));
      }
    })().catch((e: unknown) => e);
    expect(got).toHaveLength(1);
    expect(error).toMatchObject({ message: 'shutting down' });
  });

  it('complete() leaves no position (files are remembered by checksum)', () => {
    expect(reader().complete()).toBeNull();
  });

  describe('check', () => {
    it('reports the directory, the files and the first chunk of the first file', async () => {
      await drop('a.csv', `${HEADER}\n${rows(7)}\nbroken`, new Date('2026-01-01'));
      await drop('b.csv', `${HEADER}\n${rows(1)}`, new Date('2026-01-02'));
      const result = await reader({ chunkRows: 5 }).check({});
      expect(result).toEqual({
        ok: true,
        sampleCount: 5,
        steps: [
          { step: 'drop directory', ok: true, detail: `${dir} exists and is readable` },
          { step: 'files', ok: true, detail: '2 file(s) match *.{csv,xlsx}' },
          { step: 'first file', ok: true, detail: 'a.csv (utf-8): headers read; 5 record(s) in the first chunk' },
          { step: 'other files', ok: true, detail: '1 of 1 open as a sync would read them (format, encoding, headers)' },
        ],
      });
    });

    it('opens the other files as a sync would, naming each it would refuse (QA: passed with the first fine and four others refused)', async () => {
      await drop('a.csv', `${HEADER}\n${rows(2)}`, new Date('2026-01-01'));
      await drop('b.csv', Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xe0, 0xf2, 0x2c, 0x63, 0x0a]), new Date('2026-01-02'));
      await drop('c.csv', `${HEADER}\n${rows(1)}`, new Date('2026-01-03'));
      const result = await reader().check({});
      expect(result.ok).toBe(false);
      expect(result.steps.slice(2)).toEqual([
        { step: 'first file', ok: true, detail: 'a.csv (utf-8): headers read; 2 record(s) in the first chunk' },
        { step: 'b.csv', ok: false, detail: expect.stringMatching(/not valid UTF-8 at byte 4 \(line 2\)/) },
        { step: 'other files', ok: false, detail: '1 of 2 open as a sync would read them (format, encoding, headers); 1 would be refused whole (above)' },
      ]);
    });

    it('passes a file it would refuse that the connector ingested already, as a sync skips it, asking only for such files (QA)', async () => {
      const bytes = Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xe0, 0xf2, 0x2c, 0x63, 0x0a]);
      await drop('a.csv', bytes, new Date('2026-01-01'));
      await drop('b.csv', `${HEADER}\n${rows(2)}`, new Date('2026-01-02'));
      await drop('c.csv', Buffer.concat([bytes, Buffer.from('x')]), new Date('2026-01-03'));
      const asked: string[] = [];
      const archived = createHash('sha256').update(bytes).digest('hex');
      const result = await reader().check({ isFileIngested: async (checksum) => (asked.push(checksum), checksum === archived) });
      expect(asked).toHaveLength(2); // a.csv and c.csv, refused; not b.csv, which opens
      expect(result.ok).toBe(false);
      expect(result.steps.slice(2)).toEqual([
        { step: 'first file', ok: true, detail: expect.stringMatching(/^a\.csv: already ingested \(the same bytes\): a sync skips it; read again \(--force\), it would be refused \(CONNECTOR_FILE_ENCODING: .*not valid UTF-8/) },
        { step: 'c.csv', ok: false, detail: expect.stringMatching(/not valid UTF-8 at byte 4 \(line 2\)/) },
        { step: 'other files', ok: false, detail: '1 of 2 open as a sync would read them (format, encoding, headers); 1 would be refused whole (above)' },
      ]);
      // Another file ingested already, among the others: counted apart.
      await rm(path.join(dir, 'c.csv'));
      await drop('d.csv', bytes, new Date('2026-01-04'));
      const passed = await reader().check({ isFileIngested: async (checksum) => checksum === archived });
      expect(passed.ok).toBe(true);
      expect(passed.steps.at(-1)).toEqual({
        step: 'other files', ok: true, detail: '1 of 2 open as a sync would read them (format, encoding, headers); 1 ingested already, which a sync skips (above)',
      });
    });

    it('fails on a missing directory and on a file it cannot read', async () => {
      const gone = reader({ directory: path.join(dir, 'nope') });
      expect(await gone.check({})).toMatchObject({ ok: false, steps: [{ step: 'drop directory', ok: false, detail: expect.stringMatching(/does not exist/) }] });
      await drop('a.csv', Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xe0, 0xf2, 0x2c, 0x63, 0x0a]));
      const bad = await reader().check({});
      expect(bad.ok).toBe(false);
      expect(bad.steps.at(-1)).toMatchObject({ step: 'first file', ok: false, detail: expect.stringMatching(/not valid UTF-8 at byte 4 \(line 2\)/) });
    });

    it('leaves files still settling unopened, as a sync does, and fails on an entry a sync would refuse (QA re-check)', async () => {
      await drop('a.csv', `${HEADER}\n${rows(2)}`, new Date('2026-01-01'));
      await drop('b.csv', Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xe0]));
      const settling = await reader({ settleSeconds: 60 }).check({});
      expect(settling.ok).toBe(true);
      expect(settling.steps.map((x) => x.step)).toEqual(['drop directory', 'files', 'files waiting', 'first file']);
      expect(settling.steps[2]!.detail).toBe('1 file(s) modified less than file.settleSeconds (60 s) ago, left for a later sync as a sync leaves them: not opened');
      await mkdir(path.join(dir, 'c.csv'));
      const entry = await reader({ settleSeconds: 60 }).check({});
      expect(entry.ok).toBe(false);
      expect(entry.steps.find((x) => x.step === 'c.csv')).toMatchObject({ ok: false, detail: expect.stringMatching(/^CONNECTOR_FILE_NOT_A_FILE: /) });
    });

    it('is fine with an empty drop directory', async () => {
      expect(await reader().check({})).toMatchObject({ ok: true, sampleCount: 0 });
    });
  });
});

describe('FileReader: files that cannot be read, files still being written, relative paths', () => {
  const events = () => {
    const got: ReaderEvent[] = [];
    return { got, onEvent: (e: ReaderEvent) => got.push(e) };
  };

  it('leaves a file of the drop directory modified less than settleSeconds ago for a later read, and counts it as waiting', async () => {
    const old = await drop('a.csv', `${HEADER}\n${rows(1, 1)}`, new Date(Date.now() - 120_000));
    const fresh = await drop('b.csv', `${HEADER}\n${rows(1, 2)}`); // modified now: still being copied in
    await drop('c.csv', `${HEADER}\n${rows(1, 3)}`, new Date(Date.now() + 3_600_000)); // a clock ahead
    const e = events();
    const batches = await collect(reader({ settleSeconds: 60 }).read(null, { onEvent: e.onEvent }));
    expect(ids(batches)).toEqual(['ID1']);
    expect(batches.filter((b) => b.fileCompleted).map((b) => b.fileCompleted!.fileName)).toEqual(['a.csv']);
    expect(e.got.filter((x) => x.type === 'file-waiting').map((x) => (x as { fileName: string }).fileName).sort()).toEqual(['b.csv', 'c.csv']);
    expect(e.got.find((x) => x.type === 'files-listed')).toMatchObject({ files: 1, waiting: 2 });
    expect(e.got.some((x) => x.type === 'file-refused')).toBe(false);
    // Once it has settled it is read; a file given by name is never held back.
    await utimes(fresh, new Date(Date.now() - 61_000), new Date(Date.now() - 61_000));
    expect(ids(await collect(reader({ settleSeconds: 60 }).read(null, {})))).toEqual(['ID1', 'ID2']);
    await drop('d.csv', `${HEADER}\n${rows(1, 4)}`);
    expect(ids(await collect(reader({ settleSeconds: 60 }).read(null, { files: ['d.csv'] })))).toEqual(['ID4']);
    // Not even one whose modification time is in the future.
    expect(ids(await collect(reader({ settleSeconds: 60 }).read(null, { files: ['c.csv'] })))).toEqual(['ID3']);
    expect(old).toBeTruthy();
  });

  it('does not count as waiting a recent file whose bytes were ingested already (synced by name a moment ago): it is skipped', async () => {
    const fresh = await drop('e.csv', `${HEADER}\n${rows(1, 5)}`);
    const { sha256 } = await import('./file-reader.js');
    const ingested = new Set([await sha256(fresh)]);
    const e = events();
    const batches = await collect(reader({ settleSeconds: 60 }).read(null, { onEvent: e.onEvent, isFileIngested: async (c) => ingested.has(c) }));
    expect(ids(batches)).toEqual([]);
    expect(e.got.some((x) => x.type === 'file-waiting')).toBe(false);
    expect(e.got.find((x) => x.type === 'files-listed')).toMatchObject({ files: 1, waiting: 0 });
    expect(e.got.filter((x) => x.type === 'file-skipped').map((x) => (x as { fileName: string }).fileName)).toEqual(['e.csv']);
  });

  it('does not read a recent file to checksum it when no file of its size was ingested (it may still be being written)', async () => {
    const fresh = await drop('g.csv', `${HEADER}\n${rows(1, 5)}`);
    const { sha256 } = await import('./file-reader.js');
    const checksum = await sha256(fresh);
    const asked: string[] = [];
    const e = events();
    const read = (sizes: number[]) => collect(reader({ settleSeconds: 60 }).read(null, {
      onEvent: e.onEvent,
      isSizeIngested: async (size) => sizes.includes(size),
      isFileIngested: async (c) => (asked.push(c), c === checksum),
    }));
    // No file of its size ingested: left waiting, unread (its checksum was never asked about).
    expect(ids(await read([1, 2]))).toEqual([]);
    expect(asked).toEqual([]);
    expect(e.got.filter((x) => x.type === 'file-waiting').map((x) => (x as { fileName: string }).fileName)).toEqual(['g.csv']);
    // One of its size was: it is checksummed, found ingested, and skipped.
    e.got.length = 0;
    expect(ids(await read([(await stat(fresh)).size]))).toEqual([]);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((c) => c === checksum)).toBe(true);
    expect(e.got.filter((x) => x.type === 'file-skipped').map((x) => (x as { fileName: string }).fileName)).toEqual(['g.csv']);
  });

  it('waits 60 s by default, and takes settleSeconds from the environment, refusing a value that is not a whole number of seconds', async () => {
    await drop('a.csv', `${HEADER}\n${rows(1, 1)}`);
    const byDefault = new FileReader(fileConfigSchema.parse({ directory: dir }), { logger, name: 'x' });
    expect(ids(await collect(byDefault.read(null, {})))).toEqual([]);
    const fromEnv = (value: string | undefined) => reader({ settleSeconds: { env: 'DROP_SETTLE_SECONDS', default: '60' } }, { DROP_SETTLE_SECONDS: value });
    expect(ids(await collect(fromEnv(undefined).read(null, {})))).toEqual([]);
    expect(ids(await collect(fromEnv('0').read(null, {})))).toEqual(['ID1']);
    await expect(collect(fromEnv('1m').read(null, {}))).rejects.toMatchObject({
      code: 'CONNECTOR_SETTING_INVALID',
      message: 'connector justice-register: file.settleSeconds must be a whole number of seconds from 0 to 86400: correct the environment variable DROP_SETTLE_SECONDS',
    });
    // `check` reads it as a sync does (QA: it said ok, and every sync failed).
    expect(await fromEnv('abc').check({})).toEqual({
      ok: false,
      steps: [{ step: 'settings', ok: false, detail: 'connector justice-register: file.settleSeconds must be a whole number of seconds from 0 to 86400: correct the environment variable DROP_SETTLE_SECONDS' }],
    });
  });

  it('refuses a directory and a named pipe matching the pattern by name, without opening them, and reads the other files', async () => {
    await drop('a.csv', `${HEADER}\n${rows(1, 1)}`, new Date('2026-01-01'));
    await mkdir(path.join(dir, 'archive.csv'));
    execFileSync('mkfifo', [path.join(dir, 'pipe.csv')]); // opening it would block until something writes into it
    await drop('b.csv', `${HEADER}\n${rows(1, 2)}`, new Date('2026-01-02'));
    const e = events();
    const batches = await collect(reader().read(null, { onEvent: e.onEvent }));
    expect(ids(batches)).toEqual(['ID1', 'ID2']);
    const refused = e.got.filter((x): x is Extract<ReaderEvent, { type: 'file-refused' }> => x.type === 'file-refused');
    expect(refused.map(({ fileName, code, checksum }) => ({ fileName, code, checksum }))).toEqual([
      { fileName: 'archive.csv', code: 'CONNECTOR_FILE_NOT_A_FILE', checksum: undefined },
      { fileName: 'pipe.csv', code: 'CONNECTOR_FILE_NOT_A_FILE', checksum: undefined },
    ]);
    expect(refused[0]!.message).toBe(
      'archive.csv is a directory, not a file: only files directly in the drop directory are read. Move the files it holds into the drop directory, ' +
        'or rename or remove it so that it no longer matches *.{csv,xlsx}; it is tried again on every sync',
    );
    expect(refused[1]!.message).toBe(
      'pipe.csv is a named pipe (FIFO), not a file: only files directly in the drop directory are read. Remove it, or rename it ' +
        'so that it no longer matches *.{csv,xlsx}; it is tried again on every sync',
    );
    // The message is the hub's own words and a file name: kept whole where a run's error is kept.
    expect(refused[1]!.storedMessage).toBe(refused[1]!.message);
    // Given by name, each is refused as what it is.
    for (const [name, kind] of [['archive.csv', 'a directory'], ['pipe.csv', 'a named pipe (FIFO)']]) {
      await expect(collect(reader().read(null, { files: [name!] }))).rejects.toMatchObject({
        code: 'CONNECTOR_FILE_NOT_A_FILE', message: `${name} is ${kind}, not a file: give the path of a CSV or XLSX file`,
      });
    }
  });

  it('refuses a file whose name is not UTF-8 or holds a line break, by its name escaped, and reads the others (QA: skipped on every sync, or never matched, with the run SUCCEEDED)', async () => {
    await drop('a.csv', `${HEADER}\n${rows(1, 1)}`);
    const content = `${HEADER}\n${rows(1, 2)}`;
    await writeFile(Buffer.concat([Buffer.from(`${dir}/khai-sinh-`), Buffer.from([0xff, 0xfe]), Buffer.from('.csv')]), content);
    await drop('khai-sinh-new\nline.csv', content);
    await drop('khai-sinh-\u202Evsc.exe', content); // a bidirectional override: reads as khai-sinh-exe.csv
    await drop('notes\n.txt', content); // matching no pattern however it is written: not the connector's
    const e = events();
    expect(ids(await collect(reader({ pattern: '*.{csv,exe}' }).read(null, { onEvent: e.onEvent })))).toEqual(['ID1']);
    const refused = e.got.filter((x): x is Extract<ReaderEvent, { type: 'file-refused' }> => x.type === 'file-refused');
    expect(refused.map(({ fileName, code, message, storedMessage }) => ({ fileName, code, message, kept: storedMessage === message })).sort((x, y) => (x.fileName < y.fileName ? -1 : 1))).toEqual([
      {
        fileName: 'khai-sinh-\\u{202E}vsc.exe', code: 'CONNECTOR_FILE_NAME_INVALID', kept: true,
        message: 'khai-sinh-\\u{202E}vsc.exe: its name holds a control character, such as a line break, so the file is not read. ' +
          'Rename it with the name its sender meant, or remove it so that nothing matches *.{csv,exe}; it is tried again on every sync',
      },
      {
        fileName: 'khai-sinh-\\xFF\\xFE.csv', code: 'CONNECTOR_FILE_NAME_INVALID', kept: true,
        message: 'khai-sinh-\\xFF\\xFE.csv: its name is not valid UTF-8, so the file is not read. ' +
          'Rename it with the name its sender meant, or remove it so that nothing matches *.{csv,exe}; it is tried again on every sync',
      },
      {
        fileName: 'khai-sinh-new\\nline.csv', code: 'CONNECTOR_FILE_NAME_INVALID', kept: true,
        message: 'khai-sinh-new\\nline.csv: its name holds a control character, such as a line break, so the file is not read. ' +
          'Rename it with the name its sender meant, or remove it so that nothing matches *.{csv,exe}; it is tried again on every sync',
      },
    ]);
  });

  it('refuses a link to a file outside the drop directory, without reading it, and reads a link to one inside (a link out could read the hub\'s own files into rejected rows)', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'childhub-file-outside-'));
    try {
      await writeFile(path.join(outside, 'secret.csv'), `${HEADER}\n${rows(1, 9)}`);
      await symlink(path.join(outside, 'secret.csv'), path.join(dir, 'khai-sinh-out.csv'));
      await mkdir(path.join(dir, 'kho'));
      await writeFile(path.join(dir, 'kho', 'in.txt'), `${HEADER}\n${rows(1, 3)}`);
      await symlink(path.join('kho', 'in.txt'), path.join(dir, 'khai-sinh-in.csv'));
      const e = events();
      expect(ids(await collect(reader().read(null, { onEvent: e.onEvent })))).toEqual(['ID3']);
      const refused = e.got.filter((x): x is Extract<ReaderEvent, { type: 'file-refused' }> => x.type === 'file-refused');
      expect(refused.map(({ fileName, code, message, storedMessage }) => ({ fileName, code, message, storedMessage }))).toEqual([
        {
          fileName: 'khai-sinh-out.csv', code: 'CONNECTOR_FILE_NOT_A_FILE',
          message: 'khai-sinh-out.csv is a link to a file outside the drop directory, not a file: only files directly in the drop directory are read. ' +
            'Remove it, or rename it so that it no longer matches *.{csv,xlsx}; it is tried again on every sync',
          storedMessage: expect.stringMatching(/^khai-sinh-out\.csv is a link to a file outside the drop directory/),
        },
      ]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('skips with a warning a file gone since the directory was listed, and a link to nothing; neither is refused nor read', async () => {
    await drop('a.csv', `${HEADER}\n${rows(1, 1)}`, new Date('2026-01-01'));
    const moved = await drop('b.csv', `${HEADER}\n${rows(1, 2)}`, new Date('2026-01-02'));
    await symlink(path.join(dir, 'nowhere.csv'), path.join(dir, 'link.csv'));
    const e = events();
    const logged: Array<{ file?: string; msg?: string; level?: number }> = [];
    const r = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0 }), {
      logger: pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
      name: 'x',
    });
    const batches = await collect(r.read(null, {
      onEvent: (x) => {
        e.onEvent(x);
        // Moved away by the agency's tooling between the listing and the reading.
        if (x.type === 'files-listed') rmSync(moved);
      },
    }));
    expect(ids(batches)).toEqual(['ID1']);
    expect(batches.filter((b) => b.fileCompleted).map((b) => b.fileCompleted!.fileName)).toEqual(['a.csv']);
    expect(e.got.some((x) => x.type === 'file-refused')).toBe(false);
    expect(logged.filter((l) => l.level === 40).map((l) => [l.file, l.msg])).toEqual([
      ['link.csv', 'file skipped: gone since the drop directory was listed (moved away), or a link to nothing'],
      ['b.csv', 'file skipped: gone since the drop directory was listed (moved away); not ingested'],
    ]);
  });

  it('finds a relative --file in the drop directory, never in the current directory of the process reading it (a worker\'s is not the engineer\'s)', async () => {
    // This process's directory (the project root) has a package.json; the drop directory has its own.
    expect(existsSync(path.resolve('package.json'))).toBe(true);
    await drop('package.json', `${HEADER}\n${rows(1, 5)}`);
    expect(ids(await collect(reader({ format: 'csv' }).read(null, { files: ['package.json'] })))).toEqual(['ID5']);
    await expect(collect(reader({ format: 'csv' }).read(null, { files: ['tsconfig.json'] }))).rejects.toMatchObject({
      code: 'CONNECTOR_FILE_UNREADABLE',
      message: `the file tsconfig.json does not exist or is not a file; looked for in the drop directory, as ${path.join(dir, 'tsconfig.json')}`,
    });
  });
});

describe('sha256', () => {
  it('hashes a large file in a worker thread exactly as here, and reports a missing file as reading it here would', async () => {
    const big = await drop('big.csv', Buffer.alloc(CHECKSUM_WORKER_BYTES + 12_345, 'Nguyễn Thị Ánh,01/02/2015\n'));
    const here = await sha256(big);
    expect(here).toBe(createHash('sha256').update(await readFile(big)).digest('hex'));
    expect(await sha256(big, CHECKSUM_WORKER_BYTES + 12_345)).toBe(here);
    const gone = path.join(dir, 'gone.csv');
    const inThread = await sha256(gone).catch((e: NodeJS.ErrnoException) => e);
    const inWorker = await sha256(gone, CHECKSUM_WORKER_BYTES).catch((e: NodeJS.ErrnoException) => e);
    expect(inThread).toMatchObject({ code: 'ENOENT' });
    expect(inWorker).toMatchObject({ code: 'ENOENT', message: (inThread as Error).message });
  });
});

// Keep the context type in use for readers of this file: every option above is a ReadContext field.
export type _Ctx = ReadContext;
