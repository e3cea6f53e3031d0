import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import ExcelJS from 'exceljs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadBatch } from '../types.js';
import { fileConfigSchema } from './file.schema.js';
import { FileReader } from './file-reader.js';
import { utf8Text } from './xlsx-rows.js';

/*
 * exceljs 4.4's streaming reader decodes each zip chunk on its own, so a multi-byte UTF-8 letter split across
 * two chunks came out as U+FFFD (exceljs/exceljs#2084, #2316). These workbooks hold enough Vietnamese text that
 * it crosses many chunk boundaries, in the shared strings (one file) and inline in the sheet XML (the other).
 */

const ROWS = 20_000;
const HO = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const DEM = ['Văn', 'Thị', 'Hữu', 'Đức', 'Thành', 'Minh', 'Ngọc', 'Thùy', 'Quốc', 'Xuân', 'Bảo', 'Diệu'];
const TEN = ['An', 'Bình', 'Châu', 'Dũng', 'Đạt', 'Giang', 'Hương', 'Khánh', 'Lộc', 'Mỹ', 'Nhung', 'Phúc', 'Quỳnh', 'Sơn', 'Thảo', 'Tuấn', 'Uyên', 'Việt', 'Xuyến', 'Yến', 'Ượng', 'Ửng'];
/** A distinct name for each row, every character class of Vietnamese (2- and 3-byte letters, combined marks). */
const nameOf = (i: number): string => `${HO[i % HO.length]} ${DEM[(i >> 4) % DEM.length]} ${TEN[(i * 7) % TEN.length]} ${i.toString(36)}ữ`;
const placeOf = (i: number): string => `Xã ${TEN[i % TEN.length]}, huyện ${HO[(i >> 3) % HO.length]}, tỉnh Quảng Ngãi — ấp ${i}`;

const logger = pino({ level: 'silent' });
let dir: string;
let shared: string;
let inline: string;

async function writeNames(file: string, useSharedStrings: boolean): Promise<void> {
  const wb = new ExcelJS.Workbook();
  for (const [sheet, offset] of [['Trẻ em', 0], ['Người giám hộ', ROWS]] as const) {
    const ws = wb.addWorksheet(sheet);
    ws.addRow(['Mã', 'Họ và tên', 'Nơi sinh']);
    for (let i = 0; i < ROWS; i++) ws.addRow([`M${offset + i}`, nameOf(offset + i), placeOf(offset + i)]);
  }
  await wb.xlsx.writeFile(file, { useSharedStrings } as Partial<ExcelJS.XlsxWriteOptions>);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-xlsx-utf8-'));
  shared = path.join(dir, 'ten-shared.xlsx');
  inline = path.join(dir, 'ten-inline.xlsx');
  await writeNames(shared, true);
  await writeNames(inline, false);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function reader(file: string): FileReader {
  return new FileReader(
    fileConfigSchema.parse({
      directory: dir,
      settleSeconds: 0,
      pattern: path.basename(file),
      sheets: [
        { sheet: 'Người giám hộ', recordType: 'guardian' },
        { sheet: 'Trẻ em', recordType: 'child' },
      ],
    }),
    { logger, name: 'utf8' },
  );
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Every text cell the plain exceljs streaming reader gives for the file (to show the file does hit the bug). */
async function plainExceljsTexts(file: string): Promise<string[]> {
  const texts: string[] = [];
  const wb = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', worksheets: 'emit' });
  for await (const ws of wb) {
    for await (const row of ws) {
      row.eachCell((cell) => {
        if (typeof cell.value === 'string') texts.push(cell.value);
      });
    }
  }
  return texts;
}

describe('XLSX text is read losslessly', () => {
  for (const [kind, file] of [
    ['shared strings', () => shared],
    ['inline strings', () => inline],
  ] as const) {
    it(`reads back every Vietnamese name of a ${ROWS.toLocaleString('en')}-row two-sheet workbook (${kind})`, { timeout: 120_000 }, async () => {
      // The file is big enough to hit the exceljs bug: the unpatched streaming reader mangles some names.
      expect((await plainExceljsTexts(file())).some((t) => t.includes('\uFFFD'))).toBe(true);

      collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      let retainedPeak = 0;
      const batches: ReadBatch[] = [];
      let n = 0;
      for await (const batch of reader(file()).read(null, {})) {
        expect(batch.rejects ?? []).toEqual([]);
        const offset = batch.records[0]!.recordType === 'guardian' ? ROWS : 0;
        for (const r of batch.records) {
          const i = offset + Number(/ row (\d+)$/.exec(r.location!)![1]!) - 2;
          expect(r.data).toEqual({ Mã: `M${i}`, 'Họ và tên': nameOf(i), 'Nơi sinh': placeOf(i) });
          n++;
        }
        batches.push({ ...batch, records: [] });
        collectGarbage();
        retainedPeak = Math.max(retainedPeak, process.memoryUsage().heapUsed - heapBefore);
      }
      const mb = (x: number) => Math.round(x / 1e6);
      expect(n).toBe(2 * ROWS);
      expect(batches.map((b) => b.location)).toEqual([
        `${path.basename(file())} sheet "Người giám hộ" rows 2-5001`,
        `${path.basename(file())} sheet "Người giám hộ" rows 5002-10001`,
        `${path.basename(file())} sheet "Người giám hộ" rows 10002-15001`,
        `${path.basename(file())} sheet "Người giám hộ" rows 15002-20001`,
        `${path.basename(file())} sheet "Trẻ em" rows 2-5001`,
        `${path.basename(file())} sheet "Trẻ em" rows 5002-10001`,
        `${path.basename(file())} sheet "Trẻ em" rows 10002-15001`,
        `${path.basename(file())} sheet "Trẻ em" rows 15002-20001`,
      ]);
      // One batch of records and the shared strings, not the workbook.
      expect(mb(retainedPeak)).toBeLessThan(60);
    });
  }

  it('utf8Text decodes a sequence split at any byte, and passes text through', async () => {
    const bytes = Buffer.from('Nguyễn Thị Ượng 𝔸 ữ', 'utf8');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parts: string[] = [];
      const chunks = (async function* () {
        yield bytes.subarray(0, cut);
        yield bytes.subarray(cut);
      })();
      for await (const t of utf8Text(chunks)) parts.push(t);
      expect(parts.join('')).toBe('Nguyễn Thị Ượng 𝔸 ữ');
    }
    const out: string[] = [];
    for await (const t of utf8Text((async function* () { yield 'đã là chữ'; yield Buffer.from([0xe1, 0xbb]); yield Buffer.from([0xaf]); })())) out.push(t);
    expect(out.join('')).toBe('đã là chữ' + 'ữ');
  });
});
