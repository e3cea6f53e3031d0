/**
 * The bounds on a workbook part's XML (part-bounds.ts). A small zip can inflate to a cell, a run of whitespace
 * or shared strings of gigabytes, which the XML parser or the reader holds whole: QA's 1 MB workbook of one
 * 1 GB cell crashed the process at its heap limit. The fixtures here pass each bound by a little, which is
 * all it takes to be refused, while the same workbook within the bound reads.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeError } from '../../observability/logger.js';
import type { ReaderEvent } from '../types.js';
import { fileConfigSchema } from './file.schema.js';
import { MAX_RAW_CHARS } from './csv-parser.js';
import { FileReader } from './file-reader.js';
import { columnLetters } from './headers.js';
import { MAX_HELD_PART_BYTES, MAX_ROW_XML_BYTES, MAX_XML_RUN_BYTES } from './part-bounds.js';
import { xlsxRows } from './xlsx-rows.js';

let dir: string;
let workbook: Buffer;
const SHEET = 'xl/worksheets/sheet1.xml';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-xlsx-bounds-'));
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sổ đăng ký khai sinh');
  ws.addRow(['Mã hồ sơ', 'Họ và tên']);
  ws.addRow(['KS-1', 'Nguyễn Văn An']);
  workbook = Buffer.from(await wb.xlsx.writeBuffer());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The workbook with its sheet's XML (or another part) edited, written as `name`. */
async function edited(name: string, edit: (xml: string) => string, part = SHEET): Promise<string> {
  const zip = await JSZip.loadAsync(workbook);
  zip.file(part, edit(await zip.file(part)!.async('string')));
  const file = path.join(dir, name);
  await writeFile(file, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 1 } }));
  return file;
}

/** A row of inline-string cells, one per text. */
const row = (r: number, texts: string[]) =>
  `<row r="${r}">${texts.map((t, i) => `<c r="${columnLetters(i + 1)}${r}" t="inlineStr"><is><t>${t}</t></is></c>`).join('')}</row>`;
const beforeSheetEnd = (xml: string, add: string) => xml.replace('</sheetData>', `${add}</sheetData>`);

/** The ids of the rows read, records and rejects (a row with values under no header) alike. */
async function codes(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of xlsxRows({ filePath: file, fileName: path.basename(file), sheets: [{ sheet: 1 }], sheetIndex: 0, headerRow: 1, skipRows: 0 })) {
    for (const r of chunk) {
      if (r.kind === 'record') out.push(String(r.data['Mã hồ sơ']));
      if (r.kind === 'reject') out.push(String(r.readable?.['Mã hồ sơ']));
    }
  }
  return out;
}

/** Expects the workbook refused with a message starting with `message`, kept whole in logs and run history. */
async function expectRefused(file: string, message: string): Promise<void> {
  const error = await codes(file).then(() => null, (e: unknown) => e as Error & { code: string });
  expect(error).toMatchObject({ code: 'CONNECTOR_FILE_FORMAT' });
  expect(error!.message.startsWith(message), error!.message).toBe(true);
  expect(serializeError(error!).message).toBe(error!.message);
}

describe('XLSX part bounds', () => {
  it('refuses a cell longer than the bound, and reads one at the bound', async () => {
    const atBound = await edited('cell-ok.xlsx', (xml) => beforeSheetEnd(xml, row(3, ['KS-2', 'a'.repeat(MAX_XML_RUN_BYTES - 200)])));
    expect(await codes(atBound)).toEqual(['KS-1', 'KS-2']);
    const over = await edited('cell-2mb.xlsx', (xml) => beforeSheetEnd(xml, row(3, ['KS-2', 'a'.repeat(2 * MAX_XML_RUN_BYTES)])));
    await expectRefused(
      over,
      `cell-2mb.xlsx cannot be read as an XLSX workbook: its part ${SHEET} has more than 1,048,576 bytes between two tags: ` +
        "a cell's text far longer than Excel's 32,767 characters, or a file made to exhaust memory",
    );
  });

  it('refuses whitespace between two rows longer than the bound (QA: gigabytes of it crashed the process)', async () => {
    const file = await edited('whitespace.xlsx', (xml) => beforeSheetEnd(xml, ' '.repeat(MAX_XML_RUN_BYTES + 1) + row(3, ['KS-2', 'Lê Thị Bình'])));
    await expectRefused(file, `whitespace.xlsx cannot be read as an XLSX workbook: its part ${SHEET} has more than 1,048,576 bytes between two tags`);
  });

  it('refuses a row longer than the bound, its cells each within theirs', async () => {
    const cells = Array.from({ length: Math.ceil(MAX_ROW_XML_BYTES / (MAX_XML_RUN_BYTES / 2)) + 1 }, () => 'b'.repeat(MAX_XML_RUN_BYTES / 2));
    const file = await edited('wide-row.xlsx', (xml) => beforeSheetEnd(xml, row(3, ['KS-2', ...cells.slice(0, 24)]) + row(4, ['KS-3', ...cells.slice(24)])));
    // Two rows of about 12 MB each read; the same cells in one row do not.
    expect(await codes(file)).toEqual(['KS-1', 'KS-2', 'KS-3']);
    const one = await edited('one-wide-row.xlsx', (xml) => beforeSheetEnd(xml, row(3, ['KS-2', ...cells])));
    await expectRefused(
      one,
      `one-wide-row.xlsx cannot be read as an XLSX workbook: its part ${SHEET} has a row of more than 16,777,216 bytes, more than the hub holds in memory for one row`,
    );
  });

  it('refuses shared strings inflating past the bound', async () => {
    const strings = Math.ceil(MAX_HELD_PART_BYTES / (MAX_XML_RUN_BYTES / 2)) + 1;
    const file = await edited(
      'shared-strings.xlsx',
      (xml) => xml.replace('</sst>', `${`<si><t>${'c'.repeat(MAX_XML_RUN_BYTES / 2)}</t></si>`.repeat(strings)}</sst>`),
      'xl/sharedStrings.xml',
    );
    await expectRefused(
      file,
      'shared-strings.xlsx cannot be read as an XLSX workbook: its part xl/sharedStrings.xml inflates to more than 67,108,864 bytes, ' +
        'more than the hub holds in memory for a workbook; export it as CSV',
    );
  });

  it('refuses a part declaring a DOCTYPE, saying so (QA: entity expansion refused as [redacted])', async () => {
    const file = await edited('doctype.xlsx', (xml) => xml.replace('<worksheet', '<!DOCTYPE x [ <!ENTITY a "aaaa"> ]><worksheet'));
    await expectRefused(
      file,
      `doctype.xlsx cannot be read as an XLSX workbook: its part ${SHEET} declares a DOCTYPE, which no spreadsheet program writes: ` +
        'its entities could expand without end, so it is not read',
    );
  });

  it('keeps at most 65,536 characters of a rejected row, saying it was cut, as for a broken CSV row (QA: a 10 MB cell stored whole in a reject)', async () => {
    const file = await edited('stray.xlsx', (xml) => beforeSheetEnd(xml, row(3, ['KS-2', 'Lê Thị Bình', 'x'.repeat(100_000)]) + row(4, ['KS-3', 'An', 'ngắn'])));
    const rejects: Array<{ payload: unknown; readable?: Record<string, unknown> }> = [];
    for await (const chunk of xlsxRows({ filePath: file, fileName: 'stray.xlsx', sheets: [{ sheet: 1 }], sheetIndex: 0, headerRow: 1, skipRows: 0 })) {
      for (const r of chunk) if (r.kind === 'reject') rejects.push(r);
    }
    expect(rejects.map((r) => r.readable?.['Mã hồ sơ'])).toEqual(['KS-2', 'KS-3']);
    expect(rejects[0]!.payload).toEqual({ row: ['KS-2', 'Lê Thị Bình', 'x'.repeat(MAX_RAW_CHARS - 'KS-2Lê Thị Bình'.length)], cutAtChars: MAX_RAW_CHARS });
    expect(rejects[1]!.payload).toEqual({ row: ['KS-3', 'An', 'ngắn'] });
  });

  it('refuses the workbook in the drop directory and reads the file next to it', async () => {
    const drop = await mkdtemp(path.join(tmpdir(), 'childhub-xlsx-bounds-drop-'));
    try {
      const bomb = await edited('khai-sinh-bomb.xlsx', (xml) => beforeSheetEnd(xml, row(3, ['KS-2', 'a'.repeat(2 * MAX_XML_RUN_BYTES)])));
      await writeFile(path.join(drop, 'khai-sinh-bomb.xlsx'), await (await import('node:fs/promises')).readFile(bomb));
      await writeFile(path.join(drop, 'khai-sinh-good.csv'), 'Mã hồ sơ,Họ và tên\nKS-9,Trần Thị Cúc\n');
      const reader = new FileReader(fileConfigSchema.parse({ directory: drop, settleSeconds: 0 }), { logger: pino({ level: 'silent' }), name: 'bounds' });
      const events: ReaderEvent[] = [];
      const ids: unknown[] = [];
      for await (const batch of reader.read(null, { onEvent: (e) => events.push(e) })) ids.push(...batch.records.map((r) => r.data['Mã hồ sơ']));
      expect(ids).toEqual(['KS-9']);
      expect(events.filter((e) => e.type === 'file-refused')).toMatchObject([
        { fileName: 'khai-sinh-bomb.xlsx', code: 'CONNECTOR_FILE_FORMAT', storedMessage: expect.stringContaining('has more than 1,048,576 bytes between two tags') },
      ]);
    } finally {
      await rm(drop, { recursive: true, force: true });
    }
  });
});
