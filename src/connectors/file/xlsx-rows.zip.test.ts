/**
 * How the XLSX reader gets at a workbook's parts. It opens the zip by its central directory and reads the parts
 * it needs in its own order, so what the zip holds first or last, and what the sheet parts are called, does
 * not matter.
 *
 * exceljs's streaming reader, which it replaced, went through the zip in one pass: it parked sheets in
 * temporary files when they came before the shared strings, and that pass could end before the zip's last
 * entry (exceljs/exceljs#3064) — in workbooks written by exceljs, `xl/workbook.xml` with the sheet list — so a
 * valid workbook was now and again refused as having "no sheet" (seen twice in a test run here). The race
 * itself does not reproduce on demand; these tests pin what the new reading guarantees instead.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serializeError } from '../../observability/logger.js';
import { xlsxRows } from './xlsx-rows.js';

const SHEETS = ['Một', 'Hai', 'Ba'];
let dir: string;
let written: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-xlsx-zip-'));
  const wb = new ExcelJS.Workbook();
  for (const name of SHEETS) {
    const ws = wb.addWorksheet(name);
    ws.addRow(['Mã', 'Họ và tên']);
    for (let i = 0; i < 200; i++) ws.addRow([`${name}-${i}`, `Nguyễn Thị ${name} ${i}`]);
  }
  written = Buffer.from(await wb.xlsx.writeBuffer());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every sheet's codes, read one sheet per pass as the file connector does. */
async function readAll(file: string): Promise<string[][]> {
  const out: string[][] = [];
  for (const sheetIndex of SHEETS.keys()) {
    const codes: string[] = [];
    for await (const chunk of xlsxRows({ filePath: file, fileName: path.basename(file), sheets: SHEETS.map((sheet) => ({ sheet })), sheetIndex, headerRow: 1, skipRows: 0 })) {
      for (const r of chunk) if (r.kind === 'record') codes.push(String(r.data['Mã']));
    }
    out.push(codes);
  }
  return out;
}

function expectEverySheet(sheets: string[][]): void {
  expect(sheets.map((codes) => codes.length)).toEqual([200, 200, 200]);
  expect(sheets.map((codes) => codes[0])).toEqual(SHEETS.map((name) => `${name}-0`));
  expect(sheets.map((codes) => codes.at(-1))).toEqual(SHEETS.map((name) => `${name}-199`));
}

/** The workbook re-zipped with its parts in the given order (and any renamed or rewritten). */
async function rezip(name: string, order: (paths: string[]) => string[], edit: (zip: JSZip) => Promise<void> = async () => {}): Promise<string> {
  const src = await JSZip.loadAsync(written);
  await edit(src);
  const out = new JSZip();
  const paths = Object.keys(src.files).filter((p) => !src.files[p]!.dir);
  for (const p of order(paths)) out.file(p, await src.file(p)!.async('nodebuffer'));
  const file = path.join(dir, name);
  await writeFile(file, await out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
  return file;
}

/** Temporary files of this process as exceljs's streaming reader named them (package `tmp`). */
const ownTempFiles = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`tmp-${process.pid}-`));

it('reads every sheet whatever order the zip holds the parts in, the sheet list first or last', async () => {
  const workbookLast = (paths: string[]) => [...paths.filter((p) => p !== 'xl/workbook.xml'), 'xl/workbook.xml'];
  const sheetsFirst = (paths: string[]) => [...paths.filter((p) => p.startsWith('xl/worksheets/')).reverse(), ...paths.filter((p) => !p.startsWith('xl/worksheets/'))];
  const reversed = (paths: string[]) => [...paths].reverse();
  for (const [name, order] of [['workbook-last.xlsx', workbookLast], ['sheets-first.xlsx', sheetsFirst], ['reversed.xlsx', reversed]] as const) {
    expectEverySheet(await readAll(await rezip(name, order)));
  }
});

it('finds a sheet through the workbook\'s relationships, whatever its part is called', async () => {
  const file = await rezip('renamed.xlsx', (paths) => paths, async (zip) => {
    const rels = await zip.file('xl/_rels/workbook.xml.rels')!.async('string');
    const target = /Target="(?:\/xl\/)?worksheets\/sheet2\.xml"/;
    expect(rels).toMatch(target);
    zip.file('xl/_rels/workbook.xml.rels', rels.replace(target, 'Target="/xl/worksheets/tre-em.xml"'));
    zip.file('xl/worksheets/tre-em.xml', await zip.file('xl/worksheets/sheet2.xml')!.async('nodebuffer'));
    zip.remove('xl/worksheets/sheet2.xml');
  });
  expectEverySheet(await readAll(file));
});

it('finds the shared strings and styles through the relationships too', async () => {
  const file = await rezip('renamed-parts.xlsx', (paths) => paths, async (zip) => {
    const rels = await zip.file('xl/_rels/workbook.xml.rels')!.async('string');
    expect(rels).toMatch(/Target="(?:\/xl\/)?sharedStrings\.xml"/);
    expect(rels).toMatch(/Target="(?:\/xl\/)?styles\.xml"/);
    zip.file('xl/_rels/workbook.xml.rels', rels.replace(/Target="(?:\/xl\/)?sharedStrings\.xml"/, 'Target="SharedStrings1.xml"').replace(/Target="(?:\/xl\/)?styles\.xml"/, 'Target="/xl/Styles1.xml"'));
    for (const [from, to] of [['xl/sharedStrings.xml', 'xl/SharedStrings1.xml'], ['xl/styles.xml', 'xl/Styles1.xml']] as const) {
      zip.file(to, await zip.file(from)!.async('nodebuffer'));
      zip.remove(from);
    }
  });
  const sheets = await readAll(file);
  expectEverySheet(sheets);
  // The names are shared strings: without them the cells would read as their indexes.
  const names: string[] = [];
  for await (const chunk of xlsxRows({ filePath: file, fileName: 'renamed-parts.xlsx', sheets: [{ sheet: 'Hai' }], sheetIndex: 0, headerRow: 1, skipRows: 0 })) {
    for (const r of chunk) if (r.kind === 'record') names.push(String(r.data['Họ và tên']));
  }
  expect(names.slice(0, 2)).toEqual(['Nguyễn Thị Hai 0', 'Nguyễn Thị Hai 1']);
});

it('names a sheet whose part is missing from the zip', async () => {
  const file = await rezip('no-part.xlsx', (paths) => paths.filter((p) => p !== 'xl/worksheets/sheet3.xml'));
  await expect(readAll(file)).rejects.toMatchObject({ code: 'CONNECTOR_FILE_SHEET_NOT_FOUND', message: 'no-part.xlsx: the sheet "Ba" has no content part' });
});

it('refuses a zip that is not a workbook, and a truncated workbook, as a file format error', async () => {
  const notWorkbook = path.join(dir, 'not-a-workbook.xlsx');
  const other = new JSZip();
  other.file('readme.txt', 'xin chào');
  await writeFile(notWorkbook, await other.generateAsync({ type: 'nodebuffer' }));
  await expectToldWhole(
    notWorkbook,
    'not-a-workbook.xlsx cannot be read as an XLSX workbook: its zip archive has no xl/workbook.xml, the sheet list every workbook has; it is a zip of something else',
  );
  const truncated = path.join(dir, 'truncated.xlsx');
  await writeFile(truncated, written.subarray(0, Math.floor(written.length / 2)));
  await expectToldWhole(
    truncated,
    'truncated.xlsx cannot be read as an XLSX workbook: the file is cut short or damaged, its zip directory cannot be read; replace it with a complete copy of the export',
  );
});

it('refuses a part cut short before it was zipped (its checksum right): a sheet after a row or mid-row, the shared strings (QA: half the rows read, the run SUCCEEDED)', async () => {
  const cut = (part: string, at: (xml: string) => number) => async (zip: JSZip) => {
    const xml = await zip.file(part)!.async('string');
    zip.file(part, xml.slice(0, at(xml)));
  };
  const afterRow = (xml: string) => xml.indexOf('</row>', xml.length / 2) + '</row>'.length;
  for (const [name, part, at] of [
    ['sheet-after-row.xlsx', 'xl/worksheets/sheet2.xml', afterRow],
    ['sheet-mid-row.xlsx', 'xl/worksheets/sheet2.xml', (xml: string) => afterRow(xml) + 12],
    ['strings-cut.xlsx', 'xl/sharedStrings.xml', (xml: string) => xml.indexOf('</si>', xml.length / 2) + '</si>'.length],
  ] as const) {
    const file = await rezip(name, (paths) => paths, cut(part, at));
    await expectToldWhole(file, `${name} cannot be read as an XLSX workbook: its part ${part} ends before its document does (its root element is never closed): `
      + 'the export was cut short before it was zipped, so what came after the cut is missing; export it again from the program that made it');
  }
  // A dry run's probe of a drop's later files reads the sheet whole too (QA: it named no later file cut short).
  const cutSheet = path.join(dir, 'sheet-after-row.xlsx');
  const probe = (checkWhole: boolean) => (async () => {
    for await (const _ of xlsxRows({ filePath: cutSheet, fileName: 'sheet-after-row.xlsx', sheets: [{ sheet: 'Hai' }], sheetIndex: 0, headerRow: 1, skipRows: 0, headersOnly: true, checkWhole })) {
      // Nothing is given out with `headersOnly`.
    }
  })();
  await expect(probe(true)).rejects.toMatchObject({ code: 'CONNECTOR_FILE_FORMAT', message: expect.stringContaining('its part xl/worksheets/sheet2.xml ends before its document does') });
  await expect(probe(false)).resolves.toBeUndefined();
  // A whole part may end with whitespace or a comment after its root, or be one empty element.
  const spaced = await rezip('spaced.xlsx', (paths) => paths, async (zip) => {
    zip.file('xl/worksheets/sheet2.xml', `${await zip.file('xl/worksheets/sheet2.xml')!.async('string')}\n<!-- exported -->\n`);
  });
  expectEverySheet(await readAll(spaced));
});

/** Expects the workbook refused as a file format error with `message`, kept whole in logs and run history (QA: the hub's words were in parentheses, redacted). */
async function expectToldWhole(file: string, message: string): Promise<void> {
  const error = (await readAll(file).catch((e: unknown) => e)) as Error;
  expect(error).toMatchObject({ code: 'CONNECTOR_FILE_FORMAT', message });
  expect(serializeError(error).message).toBe(message);
}

it('says a binary workbook is one, and names a part that does not inflate', async () => {
  const xlsb = path.join(dir, 'so-dang-ky.xlsx');
  const binary = new JSZip();
  binary.file('[Content_Types].xml', '<Types/>');
  binary.file('xl/workbook.bin', Buffer.alloc(64, 1));
  await writeFile(xlsb, await binary.generateAsync({ type: 'nodebuffer' }));
  await expectToldWhole(xlsb, 'so-dang-ky.xlsx is an Excel binary workbook, .xlsb, not an XLSX workbook: save it as .xlsx');
  // The compressed bytes of the sheet list cut short inside an otherwise whole zip: its size no longer matches.
  const zip = Buffer.from(await (await JSZip.loadAsync(written)).generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
  const { start, size } = partData(zip, 'xl/workbook.xml');
  const damaged = Buffer.from(zip);
  damaged.fill(0xff, start, start + size);
  const file = path.join(dir, 'inflate.xlsx');
  await writeFile(file, damaged);
  await expectToldWhole(
    file,
    'inflate.xlsx cannot be read as an XLSX workbook: its zip archive is damaged, its part xl/workbook.xml cannot be inflated; replace it with a complete copy of the export',
  );
});

/** The third sheet's codes up to the error its reading ended with, if any. */
async function readThirdSheet(file: string): Promise<{ codes: string[]; error?: { code?: string; message: string } }> {
  const codes: string[] = [];
  try {
    for await (const chunk of xlsxRows({ filePath: file, fileName: path.basename(file), sheets: SHEETS.map((sheet) => ({ sheet })), sheetIndex: 2, headerRow: 1, skipRows: 0 })) {
      for (const r of chunk) if (r.kind === 'record') codes.push(String(r.data['Mã']));
    }
    return { codes };
  } catch (error) {
    return { codes, error: error as { code?: string; message: string } };
  }
}

/** Where a part's bytes are in a zip (after its local header), and how many. */
function partData(zip: Buffer, part: string): { start: number; size: number } {
  // The name as a local file header holds it (a stored part's text may name it too: [Content_Types].xml).
  let header = -1;
  for (let at = zip.indexOf(Buffer.from(part)); at >= 0 && header < 0; at = zip.indexOf(Buffer.from(part), at + 1)) {
    if (at >= 30 && zip.readUInt32LE(at - 30) === 0x04034b50 && zip.readUInt16LE(at - 4) === Buffer.byteLength(part)) header = at - 30;
  }
  expect(header).toBeGreaterThanOrEqual(0);
  return { start: header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28), size: zip.readUInt32LE(header + 18) };
}

it('refuses a workbook damaged inside its sheet or its shared strings before giving out any row: compressed, or stored and otherwise read wrong', async () => {
  for (const [compression, part] of [['DEFLATE', 'xl/worksheets/sheet3.xml'], ['STORE', 'xl/worksheets/sheet3.xml'], ['DEFLATE', 'xl/sharedStrings.xml'], ['STORE', 'xl/sharedStrings.xml']] as const) {
    const src = await JSZip.loadAsync(written);
    const out = new JSZip();
    for (const p of Object.keys(src.files).filter((x) => !src.files[x]!.dir)) out.file(p, await src.file(p)!.async('nodebuffer'));
    const zip = Buffer.from(await out.generateAsync({ type: 'nodebuffer', compression }));
    const { start, size } = partData(zip, part);
    expect(size).toBeGreaterThan(1000);
    const damaged = Buffer.from(zip);
    if (compression === 'STORE' && part === 'xl/sharedStrings.xml') {
      // A letter of a name (another name, silently).
      const at = damaged.indexOf(Buffer.from('Nguy'), start + Math.floor(size / 2));
      expect(at).toBeGreaterThan(0);
      damaged[at] = 0x4d; // N → M
    } else if (compression === 'STORE') {
      // A digit of a cell's value near the end (a shared string's index: another name, silently).
      const at = damaged.lastIndexOf(Buffer.from('<v>'), start + size) + 3;
      expect(at).toBeGreaterThan(start + size / 2);
      damaged[at] = damaged[at] === 0x31 ? 0x32 : 0x31;
    } else {
      for (let i = 0; i < 8; i++) damaged[start + Math.floor(size * 0.7) + i]! ^= 0x5a;
    }
    const name = `damaged-${compression}-${path.basename(part, '.xml')}.xlsx`;
    const file = path.join(dir, name);
    await writeFile(file, damaged);
    const read = await readThirdSheet(file);
    expect(read.codes, name).toEqual([]); // not one row before the damage
    expect(read.error, name).toMatchObject({ code: 'CONNECTOR_FILE_FORMAT', message: expect.stringContaining(`${name} cannot be read as an XLSX workbook`) });
    if (compression === 'STORE') {
      // The checksum's verdict, kept whole in logs and run history (the hub's words, the file and the part).
      const message = `${name} cannot be read as an XLSX workbook: its part ${part} is damaged, its checksum does not match the zip's`;
      expect(read.error!.message).toBe(message);
      expect(serializeError(read.error as unknown as Error).message).toBe(message);
    }
    // The same zip undamaged reads whole.
    const whole = path.join(dir, `whole-${compression}.xlsx`);
    await writeFile(whole, zip);
    expect((await readThirdSheet(whole)).codes).toHaveLength(200);
  }
});

it('reads any one sheet repeatedly with no uncaught error, no temporary file, and no file left open', async () => {
  const file = path.join(dir, 'three-sheets.xlsx');
  await writeFile(file, written);
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  const before = new Set(ownTempFiles());
  const fds = () => readdirSync('/proc/self/fd').length;
  const fdsBefore = fds();
  try {
    for (let round = 0; round < 10; round++) expectEverySheet(await readAll(file));
    // A read abandoned part-way (a sync that fails mid-sheet) closes the file too.
    for (let round = 0; round < 10; round++) {
      for await (const chunk of xlsxRows({ filePath: file, fileName: 'three-sheets.xlsx', sheets: [{ sheet: 'Hai' }], sheetIndex: 0, headerRow: 1, skipRows: 0 })) {
        expect(chunk.length).toBeGreaterThan(0);
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  expect(uncaught).toEqual([]);
  expect(ownTempFiles().filter((f) => !before.has(f))).toEqual([]);
  expect(fds()).toBe(fdsBefore);
});

it('gives the file system\'s errors as they are, not as a damaged workbook (the reader refuses them as what they are)', async () => {
  const gone = path.join(dir, 'gone.xlsx');
  await expect(readAll(gone)).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
  await expect(readAll(dir)).rejects.toMatchObject({ code: 'EISDIR' });
});

it('says what is wrong with a part\'s malformed XML in its own words, quoting nothing of it (QA: a cell holding &#0; was refused with a redacted message)', async () => {
  const cases = [
    ['&#0;', 'a character reference names a character XML does not allow, or is not a number'],
    ['&#xD800;', 'a character reference names a character XML does not allow, or is not a number'],
    ['&#x1;', 'a character reference names a character XML does not allow, or is not a number'],
    ['&bogus;', 'a reference to an entity XML does not define, as an ampersand left unescaped or an HTML entity is'],
    ['<b>', 'a tag that does not belong where it is, or is not closed'],
  ] as const;
  for (const [k, [inserted, problem]] of cases.entries()) {
    for (const part of ['xl/sharedStrings.xml', 'xl/worksheets/sheet3.xml']) {
      const name = `malformed-${k}-${path.basename(part, '.xml')}.xlsx`;
      const file = await rezip(name, (paths) => paths, async (zip) => {
        const xml = await zip.file(part)!.async('string');
        // Into a text of the part: a shared string (Ba-5), or an inline string put in the sheet for it.
        const edited = part.endsWith('sharedStrings.xml')
          ? xml.replace('<t>Ba-5</t>', `<t>Ba${inserted}5</t>`)
          : xml.replace(/(<row r="7"[^>]*>)<c r="A7"[^>]*>.*?<\/c>/, `$1<c r="A7" t="inlineStr"><is><t>Ba${inserted}5</t></is></c>`);
        expect(edited, name).not.toBe(xml);
        zip.file(part, edited);
      });
      const read = await readThirdSheet(file);
      const message = `${name} cannot be read as an XLSX workbook: its XML is malformed, ${problem}; export it again from the program that made it`;
      expect(read.error, name).toMatchObject({ code: 'CONNECTOR_FILE_FORMAT', message });
      // Kept whole in logs and run history.
      expect(serializeError(read.error as unknown as Error).message, name).toBe(message);
    }
  }
});
