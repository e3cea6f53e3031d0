/**
 * Test support for the XLSX reader's tests: small workbooks written with exceljs into a folder of their own, and
 * their rows as `xlsxRows` reads them. Not part of the product (imported by tests only).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll } from 'vitest';
import type { SheetRow } from '../sheet-row.js';
import { xlsxRows } from '../xlsx-rows.js';

/** A folder for the test file's workbooks, made before its tests and removed after; `dir()` is its path. */
export function workbookDir(prefix: string): { dir: () => string; written: (name: string, fill: (ws: ExcelJS.Worksheet) => void) => Promise<string> } {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    /** A one-sheet workbook filled by `fill`, written as `name`; its path. */
    written: async (name, fill) => {
      const wb = new ExcelJS.Workbook();
      fill(wb.addWorksheet('Sổ đăng ký khai sinh'));
      const file = path.join(dir, name);
      await wb.xlsx.writeFile(file);
      return file;
    },
  };
}

/** The rows of a workbook's first sheet, as the reader gives them. */
export async function rowsOf(file: string, headerRow = 1, skipRows = 0): Promise<SheetRow[]> {
  const out: SheetRow[] = [];
  for await (const rows of xlsxRows({ filePath: file, fileName: path.basename(file), sheets: [{ sheet: 1 }], sheetIndex: 0, headerRow, skipRows })) out.push(...rows);
  return out;
}

/** Each row's data, or its kind when it is not a record. */
export const dataOf = (rows: SheetRow[]) => rows.map((r) => (r.kind === 'record' ? r.data : r.kind));
