/**
 * exceljs's streaming reader parks a worksheet in a temporary file when the zip holds it before the shared
 * strings (its own writer's order), opens that file again when the sheet's turn comes, and deletes it as soon
 * as the consumer moves on. A sheet the reader skipped was deleted while its file stream was still opening:
 * the stream's ENOENT had no listener and became an uncaught exception (seen in CI as a failed run). A read
 * that stopped after its sheet left the other sheets' temporary files behind until the process exited.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { xlsxRows } from './xlsx-rows.js';

let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-xlsx-temp-'));
  file = path.join(dir, 'three-sheets.xlsx');
  const wb = new ExcelJS.Workbook();
  for (const name of ['Một', 'Hai', 'Ba']) {
    const ws = wb.addWorksheet(name);
    ws.addRow(['Mã', 'Họ và tên']);
    for (let i = 0; i < 200; i++) ws.addRow([`${name}-${i}`, `Nguyễn Thị ${name} ${i}`]);
  }
  await wb.xlsx.writeFile(file);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** exceljs's temporary files (package `tmp`: `tmp-<pid>-…` in the OS temp directory) of this process. */
const ownTempFiles = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`tmp-${process.pid}-`));

it('reads any one sheet without an uncaught error and leaves no temporary file behind', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  const before = new Set(ownTempFiles());
  try {
    for (let round = 0; round < 10; round++) {
      for (const [sheetIndex, name] of ['Một', 'Hai', 'Ba'].entries()) {
        const rows: string[] = [];
        for await (const chunk of xlsxRows({
          filePath: file, fileName: 'three-sheets.xlsx', sheets: [{ sheet: 'Một' }, { sheet: 'Hai' }, { sheet: 'Ba' }], sheetIndex, headerRow: 1, skipRows: 0,
        })) {
          for (const r of chunk) if (r.kind === 'record') rows.push(String(r.data['Mã']));
        }
        expect(rows).toHaveLength(200);
        expect(rows[0]).toBe(`${name}-0`);
      }
    }
    // A deleted file's failed open is reported on a later turn of the event loop.
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  expect(uncaught).toEqual([]);
  expect(ownTempFiles().filter((f) => !before.has(f))).toEqual([]);
});
