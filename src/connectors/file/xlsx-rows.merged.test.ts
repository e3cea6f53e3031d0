/**
 * Merged cells read as Excel shows them (QA's mapping pass, khai-sinh-qx1.xlsx rows XA12-XA13): every cell of a
 * merged range holds its master's value; every row of a merged "Nơi đăng ký" but the first was stored without a
 * commune.
 */
import { readFile, writeFile } from 'node:fs/promises';
import JSZip from 'jszip';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ReadBatch } from '../types.js';
import { fileConfigSchema } from './file.schema.js';
import { FileReader } from './file-reader.js';
import { MAX_MERGE_RANGES, MergeRangeScanner } from './merge-ranges.js';
import { MAX_HELD_MERGE_CHARS, MergedCells } from './merged-cells.js';
import { PartRefused } from './part-bounds.js';
import type { SheetRow } from './sheet-row.js';
import { xlsxRows } from './xlsx-rows.js';
import { dataOf, rowsOf, workbookDir } from './testing/xlsx-workbooks.js';

const logger = pino({ level: 'silent' });
const workbooks = workbookDir('childhub-xlsx-merged-');
const { written } = workbooks;

/** The QA register's shape: the place of registration merged over the rows of one commune. */
async function register(name: string): Promise<string> {
  return written(name, (ws) => {
    ws.addRow(['Mã hồ sơ', 'Họ và tên', 'Nơi đăng ký', 'Mã xã nơi đăng ký', 'Ghi chú']);
    ws.addRow(['KS-1', 'Nguyễn Văn An', 'UBND Xã Thanh Oai', '10114']);
    ws.addRow(['KS-2', 'Trần Thị Bình']);
    ws.addRow(['KS-3', 'Lê Minh Châu']);
    ws.addRow(['KS-4', 'Phạm Dũng', 'UBND Phường Ba Đình', '00004', 'chuyển đến']);
    ws.addRow(['KS-5', 'Hoàng Yến']);
    ws.addRow(['KS-6', 'Vũ Hà', 'UBND Xã Đông Anh']);
    ws.mergeCells('C2:C4'); // three rows
    ws.mergeCells('D2:D4');
    ws.mergeCells('C5:C6'); // two rows
    ws.mergeCells('D5:D6');
    ws.mergeCells('E5:F5'); // into a column without a header: nothing under no header
    ws.mergeCells('C7:D7'); // across columns
  });
}

describe('merged cells', () => {
  it('hold their master\'s value in every row and column of the range, as Excel shows it (QA XA12-XA13: the second row had no commune)', async () => {
    const rows = await rowsOf(await register('gop-o.xlsx'));
    expect(dataOf(rows)).toEqual([
      { 'Mã hồ sơ': 'KS-1', 'Họ và tên': 'Nguyễn Văn An', 'Nơi đăng ký': 'UBND Xã Thanh Oai', 'Mã xã nơi đăng ký': '10114' },
      { 'Mã hồ sơ': 'KS-2', 'Họ và tên': 'Trần Thị Bình', 'Nơi đăng ký': 'UBND Xã Thanh Oai', 'Mã xã nơi đăng ký': '10114' },
      { 'Mã hồ sơ': 'KS-3', 'Họ và tên': 'Lê Minh Châu', 'Nơi đăng ký': 'UBND Xã Thanh Oai', 'Mã xã nơi đăng ký': '10114' },
      { 'Mã hồ sơ': 'KS-4', 'Họ và tên': 'Phạm Dũng', 'Nơi đăng ký': 'UBND Phường Ba Đình', 'Mã xã nơi đăng ký': '00004', 'Ghi chú': 'chuyển đến' },
      { 'Mã hồ sơ': 'KS-5', 'Họ và tên': 'Hoàng Yến', 'Nơi đăng ký': 'UBND Phường Ba Đình', 'Mã xã nơi đăng ký': '00004' },
      { 'Mã hồ sơ': 'KS-6', 'Họ và tên': 'Vũ Hà', 'Nơi đăng ký': 'UBND Xã Đông Anh', 'Mã xã nơi đăng ký': 'UBND Xã Đông Anh' },
    ]);
    // A chunk's size counts the values filled in as the record holds them.
    expect(rows.map((r) => (r.kind === 'record' ? r.chars : null))).toEqual([4 + 13 + 17 + 5, 4 + 13 + 17 + 5, 4 + 12 + 17 + 5, 4 + 9 + 19 + 5 + 10, 4 + 9 + 19 + 5, 4 + 5 + 16 + 16]);
  });

  it('fill nothing from a range starting in the header row or above it; a merged header reads as before', async () => {
    const titled = await written('gop-tieu-de.xlsx', (ws) => {
      ws.addRow(['SỔ ĐĂNG KÝ KHAI SINH']);
      ws.addRow(['Mã hồ sơ', 'Họ và tên', 'Ghi chú']);
      ws.addRow(['KS-1', 'Nguyễn Văn An']);
      ws.addRow(['KS-2', 'Trần Thị Bình']);
      ws.mergeCells('A1:C1'); // the title, across the table
      ws.mergeCells('C2:C3'); // a header merged down into the first data row
    });
    expect(dataOf(await rowsOf(titled, 2))).toEqual([
      { 'Mã hồ sơ': 'KS-1', 'Họ và tên': 'Nguyễn Văn An' },
      { 'Mã hồ sơ': 'KS-2', 'Họ và tên': 'Trần Thị Bình' },
    ]);
    // A header merged across two columns leaves the second without a header: refused as before, naming it.
    const across = await written('gop-tieu-de-ngang.xlsx', (ws) => {
      ws.addRow(['Mã hồ sơ', 'Họ và tên', null, 'Ngày sinh']);
      ws.addRow(['KS-1', 'Nguyễn', 'Văn An', '01/02/2015']);
      ws.mergeCells('B1:C1');
    });
    await expect(rowsOf(across)).rejects.toMatchObject({
      code: 'CONNECTOR_FILE_HEADERS',
      // The sheet told as the definition names it (by its position here), as the header fit tells it: kept whole in run history.
      message: 'gop-tieu-de-ngang.xlsx sheet 1 row 1: column C (3) has no header; give every column a header, or delete the empty columns',
    });
    // Merged across the last header's column and the next: the header row is the merged header's.
    const last = await written('gop-tieu-de-cuoi.xlsx', (ws) => {
      ws.addRow(['Mã hồ sơ', 'Ghi chú']);
      ws.addRow(['KS-1', 'chuyển đến']);
      ws.mergeCells('B1:C1');
      ws.mergeCells('B2:C2');
    });
    expect(dataOf(await rowsOf(last))).toEqual([{ 'Mã hồ sơ': 'KS-1', 'Ghi chú': 'chuyển đến' }]);
  });

  it('are in a rejected row\'s payload, its readable data and its size; a row whose only values are a range\'s is empty', async () => {
    const file = await written('gop-loi.xlsx', (ws) => {
      ws.addRow(['Mã hồ sơ', 'Họ và tên', 'Nơi đăng ký']);
      ws.addRow(['KS-1', 'Nguyễn Văn An', 'UBND Xã Thanh Oai']);
      ws.addRow(['KS-2', 'Trần Thị Bình', null, 'ngoài bảng']);
      ws.addRow([]);
      ws.mergeCells('C2:C4');
    });
    const rows = await rowsOf(file);
    expect(rows[1]).toEqual({
      kind: 'reject',
      rowNumber: 3,
      payload: { row: ['KS-2', 'Trần Thị Bình', 'UBND Xã Thanh Oai', 'ngoài bảng'] },
      problems: [expect.objectContaining({ code: 'MALFORMED_ROW', message: expect.stringMatching(/^a value in column D \(4\)/) })],
      readable: { 'Mã hồ sơ': 'KS-2', 'Họ và tên': 'Trần Thị Bình', 'Nơi đăng ký': 'UBND Xã Thanh Oai' },
      chars: 4 + 13 + 17 + 10,
    });
    // Row 4 holds the range's last cell only (written, empty): no record of its own.
    expect(rows.slice(2)).toEqual([{ kind: 'empty', rowNumber: 4 }]);
  });

  it('are filled the same on a resumed read, the rows stored before it read again for their ranges', async () => {
    const file = await register('gop-o-tiep.xlsx');
    const read = (from: ReadBatch['position'] | null) =>
      (async () => {
        const out: ReadBatch[] = [];
        const config = fileConfigSchema.parse({ directory: workbooks.dir(), settleSeconds: 0, chunkRows: 1, pattern: 'gop-o-tiep.xlsx' });
        for await (const b of new FileReader(config, { logger, name: 'x' }).read(from, { files: [file] })) out.push(b);
        return out;
      })();
    const all = await read(null);
    const place = (b: ReadBatch[]) => b.flatMap((x) => x.records.map((r) => `${r.data['Mã hồ sơ']} ${r.data['Nơi đăng ký']}`));
    expect(place(all)).toEqual([
      'KS-1 UBND Xã Thanh Oai', 'KS-2 UBND Xã Thanh Oai', 'KS-3 UBND Xã Thanh Oai', 'KS-4 UBND Phường Ba Đình', 'KS-5 UBND Phường Ba Đình', 'KS-6 UBND Xã Đông Anh',
    ]);
    for (let k = 0; k < all.length - 1; k++) {
      expect([...place(all.slice(0, k + 1)), ...place(await read(all[k]!.position))]).toEqual(place(all));
    }
  });

  it('are refused past MAX_MERGE_RANGES, naming the limit, before any row', async () => {
    const file = await register('gop-qua-nhieu.xlsx');
    const zip = await JSZip.loadAsync(await readFile(file));
    const part = 'xl/worksheets/sheet1.xml';
    const many = Array.from({ length: MAX_MERGE_RANGES + 1 }, (_, i) => `<mergeCell ref="H${i + 10}:I${i + 10}"/>`).join('');
    zip.file(part, (await zip.file(part)!.async('string')).replace(/<mergeCells count="\d+">/, `$&${many}`));
    await writeFile(file, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
    const got: SheetRow[] = [];
    const error = await (async () => {
      for await (const rows of xlsxRows({ filePath: file, fileName: 'gop-qua-nhieu.xlsx', sheets: [{ sheet: 1 }], sheetIndex: 0, headerRow: 1, skipRows: 0 })) got.push(...rows);
    })().catch((e: unknown) => e);
    expect(got).toEqual([]);
    expect(error).toMatchObject({
      code: 'CONNECTOR_FILE_FORMAT',
      message: 'gop-qua-nhieu.xlsx cannot be read as an XLSX workbook: its part xl/worksheets/sheet1.xml has more than 100,000 merged cell ranges, more than the hub reads in a sheet; unmerge the cells (or export the sheet as CSV)',
    });
  });

  it('are found after the rows only, however the part is cut into chunks, with or without a namespace prefix', () => {
    const xml = (p: string) =>
      `<${p}worksheet><${p}sheetData><${p}row r="2"><${p}c r="A2" t="inlineStr"><${p}is><${p}t><![CDATA[<mergeCell ref="A1:Z9"/>]]></${p}t></${p}is></${p}c></${p}row></${p}sheetData>` +
      `<${p}mergeCells count="2"><${p}mergeCell ref="E13:E14"/><${p}mergeCell ref="$b$3:A2"/><${p}mergeCell ref="C5"/></${p}mergeCells></${p}worksheet>`;
    for (const p of ['', 'x:']) {
      const bytes = Buffer.from(xml(p));
      for (let i = 0; i <= bytes.length; i += 3) {
        for (const j of [i, Math.min(bytes.length, i + 7)]) {
          const scanner = new MergeRangeScanner('xl/worksheets/sheet1.xml');
          for (const chunk of [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]) scanner.push(chunk);
          expect(scanner.ranges()).toEqual([
            { top: 2, bottom: 3, left: 1, right: 2 },
            { top: 13, bottom: 14, left: 5, right: 5 },
          ]);
        }
      }
    }
  });

  it('are not taken from a cell\'s text that holds an end of the rows and ranges, in CDATA or a comment (QA re-check)', () => {
    const xml =
      '<worksheet><sheetData><row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[x</sheetData><mergeCell ref="G2:G6"/>]]></t></is></c></row>' +
      '<!-- </sheetData><mergeCells><mergeCell ref="H2:H6"/></mergeCells> --><row r="3"><c r="A3"><v>1</v></c></row></sheetData>' +
      '<mergeCells count="1"><mergeCell ref="E13:E14"/></mergeCells></worksheet>';
    const bytes = Buffer.from(xml);
    for (let i = 0; i <= bytes.length; i += 5) {
      const scanner = new MergeRangeScanner('xl/worksheets/sheet1.xml');
      for (const chunk of [bytes.subarray(0, i), bytes.subarray(i)]) scanner.push(chunk);
      expect(scanner.ranges(), `cut at ${i}`).toEqual([{ top: 13, bottom: 14, left: 5, right: 5 }]);
    }
  });

  it('are refused before any row when Excel-sized values of the ranges going on at once could pass MAX_HELD_MERGE_CHARS (QA re-check: 3,057 rows stored, then the file failed)', () => {
    const columns = (n: number) => Array.from({ length: n }, (_, i) => ({ top: 2, bottom: 9_000, left: i + 1, right: i + 1 }));
    expect(() => new MergedCells(columns(513), 1, 600, 'xl/worksheets/sheet1.xml')).toThrow(
      'has 513 merged cell ranges going on over the same rows at once, whose values could hold more than 16,777,216 characters',
    );
    // 512 at once fit; ranges one after another do not add up.
    expect(() => new MergedCells(columns(512), 1, 600, 'p')).not.toThrow();
    const stacked = Array.from({ length: 2_000 }, (_, i) => ({ top: 2 + 2 * i, bottom: 3 + 2 * i, left: 1, right: 1 }));
    expect(() => new MergedCells(stacked, 1, 1, 'p')).not.toThrow();
  });

  it('going on over rows hold at most MAX_HELD_MERGE_CHARS characters at once', () => {
    const merged = new MergedCells([{ top: 2, left: 1, bottom: 3, right: 1 }, { top: 2, left: 2, bottom: 3, right: 2 }], 1, 2, 'xl/worksheets/sheet1.xml');
    const half = 'x'.repeat(MAX_HELD_MERGE_CHARS / 2);
    expect(() => merged.fill(2, [undefined, half, `${half}x`])).toThrow(PartRefused);
    // Held only while the range goes on: the same text, row after row, is never held twice.
    const next = new MergedCells([{ top: 2, left: 1, bottom: 3, right: 1 }, { top: 4, left: 1, bottom: 5, right: 1 }], 1, 1, 'p');
    const row3: unknown[] = [];
    next.fill(2, [undefined, half]);
    next.fill(3, row3);
    next.fill(4, [undefined, `${half}x`]);
    expect(row3[1]).toBe(half);
  });

  it('leave a workbook without any as it was read before: the same data, in the same order, which its records\' content hash is made of', async () => {
    const file = await written('khong-gop-2026.xlsx', (ws) => {
      ws.addRow(['Mã hồ sơ', 'Họ và tên', 'Ngày sinh', 'Số', 'Tỷ lệ', 'Mã xã', 'Tra cứu']);
      ws.addRow(['KS-1', 'Nguyễn Văn An', new Date(Date.UTC(2015, 1, 1)), 42, 1.5, '00097', { formula: 'A2&""', result: 'KS-1' }]);
      ws.addRow(['KS-2', { richText: [{ text: 'Trần ' }, { text: 'Thị Bình', font: { bold: true } }] }, null, 1203004567, 3, 97, { error: '#N/A' }]);
      ws.addRow([]);
      ws.addRow(['KS-3', 'Lê Minh Châu', null, { formula: '1+1', result: 2 }, null, null, null, 'ngoài bảng', '  ']);
      ws.addRow([null, null, null, null, null, null, { error: '#REF!' }]);
      ws.getColumn(3).numFmt = 'dd/mm/yyyy';
      ws.getCell('D2').numFmt = '0';
      ws.getCell('E2').numFmt = '0.00';
      ws.getCell('E3').numFmt = '#,##0';
      ws.getCell('F2').numFmt = '00000';
    });
    const rows: SheetRow[] = [];
    for await (const r of xlsxRows({ filePath: file, fileName: 'x.xlsx', sheets: [{ sheet: 1 }], sheetIndex: 0, headerRow: 1, skipRows: 0 })) rows.push(...r);
    // Written by the reader before merged cells and padded numbers were read (commit dcc55c0), byte for byte.
    expect(JSON.stringify(rows)).toBe(
      '[{"kind":"record","rowNumber":2,"data":{"Mã hồ sơ":"KS-1","Họ và tên":"Nguyễn Văn An","Ngày sinh":"2015-02-01T00:00:00.000Z","Số":42,"Tỷ lệ":1.5,"Mã xã":"00097","Tra cứu":"KS-1"},"chars":26},' +
        '{"kind":"record","rowNumber":3,"data":{"Mã hồ sơ":"KS-2","Họ và tên":"Trần Thị Bình","Số":1203004567,"Tỷ lệ":3,"Mã xã":97,"Tra cứu":{"cellError":"#N/A"}},"chars":17},' +
        '{"kind":"reject","rowNumber":5,"payload":{"row":["KS-3","Lê Minh Châu",null,2,null,null,null,"ngoài bảng",null]},"problems":[{"field":"(row)","code":"MALFORMED_ROW","message":"a value in column H (8), which has no header (x.xlsx sheet \\"Sổ đăng ký khai sinh\\" has 7 columns)"}],"readable":{"Mã hồ sơ":"KS-3","Họ và tên":"Lê Minh Châu","Số":2},"chars":26},' +
        '{"kind":"empty","rowNumber":6}]',
    );
  });
});
