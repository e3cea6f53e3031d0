import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import type { AdoptionRegistration, BirthRegistration } from '../../src/sample/sources/justice-register.js';
import {
  ADOPTION_HEADERS,
  ADOPTION_SHEET,
  BIRTH_HEADERS,
  BIRTH_SHEET,
  adoptionRow,
  birthRow,
  writeJusticeRegisterDrop,
} from './simulator.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-justice-drop-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The population's justice-register records, as the export writes them. */
function expectedRows(seed: number, count: number): { births: string[][]; adoptions: string[][] } {
  const births: string[][] = [];
  const adoptions: string[][] = [];
  for (const { record } of generateSourceRecords({ seed, count, sources: ['justice-register'] })) {
    const raw = record.raw as BirthRegistration | AdoptionRegistration;
    if (raw.LOAI_SO === 'KHAI_SINH') births.push(birthRow(record.externalId, raw));
    else adoptions.push(adoptionRow(record.externalId, raw));
  }
  return { births, adoptions };
}

function parseCsv(text: string): string[][] {
  return parse(text, { bom: true, relax_column_count: false }) as string[][];
}

async function readSheet(file: string, sheetName: string): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  expect(wb.worksheets.map((w) => w.name)).toEqual([sheetName]);
  const ws = wb.getWorksheet(sheetName)!;
  const rows: unknown[][] = [];
  ws.eachRow({ includeEmpty: true }, (row) => {
    const values = row.values as unknown[];
    rows.push(Array.from({ length: ws.columnCount }, (_, i) => values[i + 1] ?? null));
  });
  return rows;
}

const dmy = (d: unknown): string => {
  expect(d).toBeInstanceOf(Date);
  const iso = (d as Date).toISOString();
  expect(iso.endsWith('T00:00:00.000Z')).toBe(true);
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
};

describe('writeJusticeRegisterDrop', () => {
  it('writes the population’s births as CSV (exact headers, one row per registration) and its adoptions as XLSX', async () => {
    const { files } = await writeJusticeRegisterDrop({ dir, seed: 3, count: 20_000 });
    const expected = expectedRows(3, 20_000);
    expect(expected.adoptions.length).toBeGreaterThan(0);
    expect(files.map((f) => [path.basename(f.path), f.kind, f.rows, f.brokenRows])).toEqual([
      ['khai-sinh-20261101.csv', 'birth', expected.births.length, []],
      ['nuoi-con-nuoi-20261101.xlsx', 'adoption', expected.adoptions.length, []],
    ]);

    const bytes = await readFile(files[0]!.path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // Excel's "CSV UTF-8"
    const [header, ...rows] = parseCsv(bytes.toString('utf8'));
    expect(header).toEqual([...BIRTH_HEADERS]);
    expect(rows).toEqual(expected.births);
    // Registry style: upper-case names, dd/MM/yyyy dates.
    for (const row of rows.slice(0, 200)) {
      expect(row[6]).toBe(row[6]!.toUpperCase());
      expect(row[7]).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    }

    const sheet = await readSheet(files[1]!.path, ADOPTION_SHEET);
    expect(sheet[0]).toEqual([...ADOPTION_HEADERS]);
    expect(sheet).toHaveLength(expected.adoptions.length + 1);
    const dates = [ADOPTION_HEADERS.indexOf('Ngày đăng ký'), ADOPTION_HEADERS.indexOf('Ngày sinh con nuôi')];
    sheet.slice(1).forEach((cells, i) => {
      const want = expected.adoptions[i]!;
      // Dates are real date cells; text cells (numbers with leading zeros) stay text.
      expect(cells.map((c, k) => (dates.includes(k) ? dmy(c) : (c ?? '')))).toEqual(want);
    });
  });

  it('is deterministic: the same options write the same bytes (CSV) and the same cells (XLSX)', async () => {
    const a = await writeJusticeRegisterDrop({ dir: path.join(dir, 'a'), seed: 9, count: 3000, brokenRows: 3 });
    const b = await writeJusticeRegisterDrop({ dir: path.join(dir, 'b'), seed: 9, count: 3000, brokenRows: 3 });
    expect(await readFile(a.files[0]!.path)).toEqual(await readFile(b.files[0]!.path));
    expect(await readSheet(a.files[1]!.path, ADOPTION_SHEET)).toEqual(await readSheet(b.files[1]!.path, ADOPTION_SHEET));
    const c = await writeJusticeRegisterDrop({ dir: path.join(dir, 'c'), seed: 10, count: 3000 });
    expect(await readFile(c.files[0]!.path)).not.toEqual(await readFile(a.files[0]!.path));
  });

  it('writes broken rows (a delimiter missing, a broken quote, one field too many, in turn) at the row numbers it returns, each breaking only its line', async () => {
    const { files } = await writeJusticeRegisterDrop({ dir, seed: 1, count: 1000, brokenRows: 4 });
    const birth = files[0]!;
    expect(birth.brokenRows).toHaveLength(4);
    // No field holds a line break, so each row is one line: parse them one by one.
    const lines = (await readFile(birth.path, 'utf8')).replace(/^\uFEFF/, '').split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(birth.rows + 1);
    const problems: Array<[number, string]> = [];
    lines.forEach((line, i) => {
      try {
        const [fields] = parse(line) as string[][];
        if (fields!.length !== BIRTH_HEADERS.length) problems.push([i + 1, 'FIELD_COUNT']);
      } catch (err) {
        problems.push([i + 1, (err as { code: string }).code]);
      }
    });
    expect(problems).toEqual([
      [birth.brokenRows[0], 'FIELD_COUNT'], // one field too few
      [birth.brokenRows[1], 'CSV_INVALID_CLOSING_QUOTE'],
      [birth.brokenRows[2], 'FIELD_COUNT'], // one too many
      [birth.brokenRows[3], 'FIELD_COUNT'], // too few again
    ]);
    const width = (row: number) => lines[row - 1]!.split(',').length;
    expect([width(birth.brokenRows[0]!), width(birth.brokenRows[2]!), width(birth.brokenRows[3]!)]).toEqual(
      [BIRTH_HEADERS.length - 1, BIRTH_HEADERS.length + 1, BIRTH_HEADERS.length - 1]);
    // The broken rows are real registrations, in their place; every other row is the population's own.
    const all = expectedRows(1, 1000).births;
    expect(lines.length - 1).toBe(all.length);
    lines.slice(1).forEach((line, i) => {
      if (!birth.brokenRows.includes(i + 2)) expect(parse(line)).toEqual([all[i]]);
      else expect(line.startsWith(`${all[i]![0]},`)).toBe(true);
    });
  });

  it('writes UTF-16 LE with its BOM, and plain UTF-8, with the same text', async () => {
    const utf8 = await writeJusticeRegisterDrop({ dir: path.join(dir, 'u8'), seed: 2, count: 500, encoding: 'utf-8' });
    const utf16 = await writeJusticeRegisterDrop({ dir: path.join(dir, 'u16'), seed: 2, count: 500, encoding: 'utf-16le' });
    const plain = await readFile(utf8.files[0]!.path);
    const wide = await readFile(utf16.files[0]!.path);
    expect([...plain.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    expect([...wide.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(new TextDecoder('utf-16le').decode(wide)).toBe(plain.toString('utf8'));
  });

  it('writes Windows-1258 (legacy single-byte Vietnamese): not valid UTF-8, and decodes back to the same text', async () => {
    const utf8 = await writeJusticeRegisterDrop({ dir: path.join(dir, 'u8'), seed: 2, count: 500, encoding: 'utf-8' });
    const legacy = await writeJusticeRegisterDrop({ dir: path.join(dir, 'cp'), seed: 2, count: 500, encoding: 'windows-1258' });
    const bytes = await readFile(legacy.files[0]!.path);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    expect(bytes.length).toBeLessThan((await readFile(utf8.files[0]!.path)).length);
    const decoded = new TextDecoder('windows-1258').decode(bytes).normalize('NFC');
    expect(decoded).toBe((await readFile(utf8.files[0]!.path, 'utf8')).normalize('NFC'));
  });

  it('writes the birth register as XLSX: sheet "Sổ đăng ký khai sinh", date cells, broken rows with a two-digit year', async () => {
    const { files } = await writeJusticeRegisterDrop({ dir, seed: 4, count: 800, format: 'xlsx', brokenRows: 2 });
    const birth = files[0]!;
    expect(path.basename(birth.path)).toBe('khai-sinh-20261101.xlsx');
    const sheet = await readSheet(birth.path, BIRTH_SHEET);
    expect(sheet[0]).toEqual([...BIRTH_HEADERS]);
    const expected = expectedRows(4, 800).births;
    expect(sheet).toHaveLength(expected.length + 1);
    expect(birth.rows).toBe(expected.length);
    const birthDate = BIRTH_HEADERS.indexOf('Ngày sinh');
    const registered = BIRTH_HEADERS.indexOf('Ngày đăng ký');
    sheet.slice(1).forEach((cells, i) => {
      const want = expected[i]!;
      if (birth.brokenRows.includes(i + 2)) {
        expect(cells[birthDate]).toBe(`${want[birthDate]!.slice(0, 6)}${want[birthDate]!.slice(8)}`);
        return;
      }
      expect(cells.map((c, k) => (k === birthDate || k === registered ? dmy(c) : (c ?? '')))).toEqual(want);
    });
    expect(birth.brokenRows).toHaveLength(2);
  });

  it('writes exactly `rows` birth rows: the population’s first, then derived ones, all with unique ids', async () => {
    const few = await writeJusticeRegisterDrop({ dir: path.join(dir, 'few'), seed: 1, count: 600, rows: 100 });
    const [, ...fewRows] = parseCsv(await readFile(few.files[0]!.path, 'utf8'));
    expect(fewRows).toEqual(expectedRows(1, 600).births.slice(0, 100));

    const many = await writeJusticeRegisterDrop({ dir: path.join(dir, 'many'), seed: 1, count: 600, rows: 20_000 });
    expect(many.files[0]!.rows).toBe(20_000);
    const [header, ...rows] = parseCsv(await readFile(many.files[0]!.path, 'utf8'));
    expect(header).toEqual([...BIRTH_HEADERS]);
    expect(rows).toHaveLength(20_000);
    expect(rows.every((r) => r.length === BIRTH_HEADERS.length)).toBe(true);
    const population = expectedRows(1, 600).births;
    expect(rows.slice(0, population.length)).toEqual(population);
    expect(new Set(rows.map((r) => r[0])).size).toBe(20_000);
    const derived = rows.slice(population.length);
    expect(derived.every((r) => /^KSX\d{9}$/.test(r[0]!))).toBe(true);
    // Derived rows look like the register and do not repeat each other.
    expect(new Set(derived.map((r) => `${r[6]}|${r[7]}`)).size).toBeGreaterThan(derived.length * 0.99);
    const numbers = derived.map((r) => r[11]).filter((n) => n !== '');
    expect(numbers.every((n) => /^\d{12}$/.test(n!))).toBe(true);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const r of derived.slice(0, 500)) {
      expect(r[6]).toBe(r[6]!.toUpperCase());
      expect(r[3]).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
      expect(r[3]!.split('/').reverse().join('') >= r[7]!.split('/').reverse().join('')).toBe(true); // registered after birth
    }
  });

  it('streams a large CSV in bounded memory', { timeout: 120_000 }, async () => {
    // 600k rows make a ~110 MB file: a writer holding it (twice that as JS strings) would far exceed the bound,
    // while the streaming writer grows by the young generation and a few 1 MiB chunks (~60 MB measured).
    const rows = 600_000;
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const { files } = await writeJusticeRegisterDrop({ dir, seed: 1, count: 1000, rows });
      expect(files[0]!.rows).toBe(rows);
      const { size } = await stat(files[0]!.path);
      expect(size).toBeGreaterThan(100 * 2 ** 20);
    } finally {
      clearInterval(timer);
    }
    expect(peak - before).toBeLessThan(160 * 2 ** 20);
  });

  it('writes a later export: the population\'s registrations, then those of its next children; or those alone', async () => {
    const expected = expectedRows(3, 2000);
    // The registrations of the children after the population's, as a larger population holds them.
    const later = [...generateSourceRecords({ seed: 3, count: 4000, sources: ['justice-register'], start: 2000 })].slice(0, 12);
    const laterBirths = later.filter((l) => (l.record.raw as BirthRegistration).LOAI_SO === 'KHAI_SINH');
    expect(laterBirths.length).toBeGreaterThan(0);

    const full = await writeJusticeRegisterDrop({ dir, seed: 3, count: 2000, tag: '20261102', newRecords: 12 });
    expect(full.added).toEqual({ ids: later.map((l) => l.record.externalId), truthIds: later.map((l) => l.truthId) });
    expect(full.files.map((f) => path.basename(f.path))).toEqual(['khai-sinh-20261102.csv', 'nuoi-con-nuoi-20261102.xlsx']);
    const [, ...rows] = parseCsv(await readFile(full.files[0]!.path, 'utf8'));
    expect(rows).toEqual([...expected.births, ...laterBirths.map((l) => birthRow(l.record.externalId, l.record.raw as BirthRegistration))]);
    expect(full.files[1]!.rows).toBe(expected.adoptions.length + later.length - laterBirths.length);

    const delta = await writeJusticeRegisterDrop({ dir: path.join(dir, 'delta'), seed: 3, count: 2000, tag: '20261103', newRecords: 12, onlyNew: true });
    expect(delta.added).toEqual(full.added);
    const [header, ...newRows] = parseCsv(await readFile(delta.files[0]!.path, 'utf8'));
    expect(header).toEqual([...BIRTH_HEADERS]);
    expect(newRows).toEqual(rows.slice(expected.births.length));
    // A register without new registrations is not written (these 12 are all births).
    expect(later).toEqual(laterBirths);
    expect(delta.files.map((f) => f.kind)).toEqual(['birth']);
  });

  it('refuses newRecords that is not a count, and with rows', async () => {
    await expect(writeJusticeRegisterDrop({ dir, newRecords: 1.5 })).rejects.toThrow(RangeError);
    await expect(writeJusticeRegisterDrop({ dir, newRecords: 3, rows: 10 })).rejects.toThrow(/cannot be combined/);
  });
});
