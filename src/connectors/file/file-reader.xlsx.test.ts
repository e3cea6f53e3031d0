import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellError } from '../cell-error.js';
import type { ReadBatch, ReaderEvent } from '../types.js';
import { recordMappingsSchema } from '../mapping/mapping.schema.js';
import { fileConfigSchema, type FileConfigInput } from './file.schema.js';
import { formulaResultsKept } from './formula-results.js';
import { FileReader } from './file-reader.js';
import { withoutEmptyValues } from './xlsx-rows.js';
import type { FileHeaderError } from './errors/file-header.error.js';
import { PROJECT_ROOT } from '../../config/config.js';
import { ConnectorCatalog } from '../definition/connector-catalog.js';
import { headersWarning } from '../mapping/mapping-columns.js';

const logger = pino({ level: 'silent' });
let dir: string;
let inspection: string;

const FACILITIES = [
  ['CS-001', 'Chùa Bồ Đề', 120, new Date(Date.UTC(2019, 4, 20))],
  ['CS-002', 'Trung tâm Bảo trợ xã hội 1', 250, new Date(Date.UTC(2021, 0, 5))],
  ['CS-003', 'Mái ấm Hoa Hồng', 35, null],
] as const;

/** A workbook as the inspection team sends it: the children's sheet first, a title row, odd cell kinds. */
async function writeInspectionWorkbook(file: string): Promise<void> {
  const wb = new ExcelJS.Workbook();
  const children = wb.addWorksheet('Trẻ em');
  children.addRow(['BIÊN BẢN KIỂM TRA CƠ SỞ — DANH SÁCH TRẺ EM']);
  children.addRow(['Mã cơ sở', 'Họ và tên', 'Ngày sinh', 'Ngày tiếp nhận', 'Số tuổi', 'Ghi chú']);
  children.addRow(['CS-001', 'Nguyễn Văn An', new Date(Date.UTC(2015, 1, 1)), new Date(Date.UTC(2024, 10, 25)), 11, null]);
  // A formula saved without its result or with an empty one (absent: the two cannot be told apart), and an error cell.
  const rich = children.addRow(['CS-001', null, new Date(Date.UTC(2016, 6, 31)), { formula: 'TODAY()' }, { formula: '2026-2016', result: 10 }, { error: '#N/A' }]);
  rich.getCell(2).value = { richText: [{ text: 'Trần ' }, { font: { bold: true }, text: 'Thị Bình' }] };
  children.addRow([]); // an empty row in the middle
  children.addRow(['CS-002', 'Lê Minh Châu', null, null, null, { text: 'hồ sơ', hyperlink: 'https://example.invalid/hs' }]);
  children.addRow(['CS-003', 'Phạm Dũng', null, null, null, '   ', 'ngoài bảng']); // a value with no header
  const facilities = wb.addWorksheet('Cơ sở');
  facilities.addRow(['']);
  facilities.addRow(['Mã cơ sở', 'Tên cơ sở', 'Sức chứa', 'Ngày cấp phép']);
  for (const f of FACILITIES) facilities.addRow([...f]);
  children.getColumn(3).numFmt = 'dd/mm/yyyy';
  children.getColumn(4).numFmt = 'dd/mm/yyyy';
  facilities.getColumn(4).numFmt = 'dd/mm/yyyy';
  await wb.xlsx.writeFile(file);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-xlsx-reader-'));
  inspection = path.join(dir, 'kiem-tra-2026.xlsx');
  await writeInspectionWorkbook(inspection);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SHEETS = [
  { sheet: 'cơ sở', recordType: 'facility' }, // case differs from the tab: still found
  { sheet: 'Trẻ em', recordType: 'child' },
];

function reader(file: Partial<FileConfigInput> = {}): FileReader {
  return new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, pattern: 'kiem-tra-*.xlsx', headerRow: 2, sheets: SHEETS, ...file }), {
    logger,
    name: 'facility-inspection',
  });
}

async function collect(source: AsyncIterable<ReadBatch>): Promise<ReadBatch[]> {
  const out: ReadBatch[] = [];
  for await (const batch of source) out.push(batch);
  return out;
}

describe('FileReader (XLSX)', () => {
  it('reads the configured sheets in the configured order, tagged with their record types', async () => {
    const batches = await collect(reader().read(null, {}));
    expect(batches.map((b) => [b.location, b.records.map((r) => r.recordType).join(','), Boolean(b.fileCompleted)])).toEqual([
      ['kiem-tra-2026.xlsx sheet "Cơ sở" rows 3-5', 'facility,facility,facility', false],
      ['kiem-tra-2026.xlsx sheet "Trẻ em" rows 3-7', 'child,child,child', true],
    ]);
    expect(batches[0]!.records.map((r) => r.data)).toEqual(
      FACILITIES.map(([code, name, capacity, date]) => ({
        'Mã cơ sở': code,
        'Tên cơ sở': name,
        'Sức chứa': capacity,
        ...(date ? { 'Ngày cấp phép': date } : {}),
      })),
    );
    expect(batches[0]!.position).toMatchObject({ sheetIndex: 1, rowsDone: 0 });
  });

  it('gives dates as Date, numbers as numbers, formulas as their result, rich text and links as text, error cells as CellError', async () => {
    const [, children] = await collect(reader().read(null, {}));
    const data = children!.records.map((r) => r.data);
    expect(data[0]).toEqual({
      'Mã cơ sở': 'CS-001',
      'Họ và tên': 'Nguyễn Văn An',
      'Ngày sinh': new Date(Date.UTC(2015, 1, 1)),
      'Ngày tiếp nhận': new Date(Date.UTC(2024, 10, 25)),
      'Số tuổi': 11,
    });
    expect(data[0]!['Ngày sinh']).toBeInstanceOf(Date);
    // An error cell is not an empty one: kept, for a mapping that reads it to refuse (QA).
    expect(data[1]).toEqual({ 'Mã cơ sở': 'CS-001', 'Họ và tên': 'Trần Thị Bình', 'Ngày sinh': new Date(Date.UTC(2016, 6, 31)), 'Số tuổi': 10, 'Ghi chú': new CellError('#N/A') });
    expect(JSON.stringify(data[1]!['Ghi chú'])).toBe('{"cellError":"#N/A"}');
    expect(data[2]).toEqual({ 'Mã cơ sở': 'CS-002', 'Họ và tên': 'Lê Minh Châu', 'Ghi chú': 'hồ sơ' });
    expect(children!.records.map((r) => r.location)).toEqual([
      'kiem-tra-2026.xlsx sheet "Trẻ em" row 3',
      'kiem-tra-2026.xlsx sheet "Trẻ em" row 4',
      'kiem-tra-2026.xlsx sheet "Trẻ em" row 6',
    ]);
  });

  it('rejects a row with a value under no header, naming the column, with its other cells (in place) to read its id from', async () => {
    const [, children] = await collect(reader().read(null, {}));
    expect(children!.rejects).toEqual([
      {
        payload: { row: ['CS-003', 'Phạm Dũng', null, null, null, null, 'ngoài bảng'] },
        location: 'kiem-tra-2026.xlsx sheet "Trẻ em" row 7',
        problems: [
          {
            field: '(row)',
            code: 'MALFORMED_ROW',
            message: 'a value in column G (7), which has no header (kiem-tra-2026.xlsx sheet "Trẻ em" has 6 columns)',
          },
        ],
        readable: { data: { 'Mã cơ sở': 'CS-003', 'Họ và tên': 'Phạm Dũng' }, recordType: 'child', location: 'kiem-tra-2026.xlsx sheet "Trẻ em" row 7' },
      },
    ]);
  });

  it('chunks within sheets and resumes inside the second sheet with nothing lost or repeated', async () => {
    const all = await collect(reader({ chunkRows: 2 }).read(null, {}));
    expect(all.map((b) => b.location)).toEqual([
      'kiem-tra-2026.xlsx sheet "Cơ sở" rows 3-4',
      'kiem-tra-2026.xlsx sheet "Cơ sở" row 5',
      'kiem-tra-2026.xlsx sheet "Trẻ em" rows 3-4',
      'kiem-tra-2026.xlsx sheet "Trẻ em" rows 6-7', // row 5 is empty: not in the file at all
    ]);
    const key = (b: ReadBatch[]) => b.flatMap((x) => [...x.records.map((r) => r.location), ...(x.rejects ?? []).map((r) => r.location)]);
    for (let k = 0; k < all.length - 1; k++) {
      const resumed = await collect(reader({ chunkRows: 2 }).read(all[k]!.position, {}));
      expect([...key(all.slice(0, k + 1)), ...key(resumed)]).toEqual(key(all));
      expect(resumed.at(-1)!.fileCompleted?.fileName).toBe('kiem-tra-2026.xlsx');
    }
  });

  it('takes a sheet by its position and defaults to the first sheet as child records', async () => {
    const [byIndex] = await collect(reader({ sheets: [{ sheet: 2, recordType: 'facility' }] }).read(null, {}));
    expect(byIndex!.location).toBe('kiem-tra-2026.xlsx sheet "Cơ sở" rows 3-5');
    const [first] = await collect(reader({ sheets: undefined }).read(null, {}));
    expect(first!.location).toBe('kiem-tra-2026.xlsx sheet "Trẻ em" rows 3-7');
    expect(first!.records[0]!.recordType).toBe('child');
  });

  it('names a header a mapping reads written twice on a sheet the definition names in its words, kept whole in run history (QA re-check)', async () => {
    const file = path.join(dir, 'lap-tieu-de.xlsx');
    const wb = new ExcelJS.Workbook();
    const children = wb.addWorksheet('TRẺ EM');
    children.addRow(['']);
    children.addRow(['Mã cơ sở', 'Họ và tên', 'Họ và tên']);
    children.addRow(['CS-009', 'An', 'An']);
    await wb.xlsx.writeFile(file);
    try {
      const mapped = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, pattern: 'lap-*.xlsx', headerRow: 2, sheets: [{ sheet: 'Trẻ em', recordType: 'child' }] }), {
        logger, name: 'facility-inspection',
        records: recordMappingsSchema.parse([{ recordType: 'child', externalId: { from: 'Mã cơ sở' }, fields: { fullName: { from: 'Họ và tên' } } }]),
      });
      const error = await collect(mapped.read(null, { files: [file] })).catch((e: unknown) => e as FileHeaderError);
      const message = 'lap-tieu-de.xlsx sheet "Trẻ em" row 2: the header «Họ và tên» appears twice, in columns B (2) and C (3); headers must be unique';
      expect(error).toMatchObject({ code: 'CONNECTOR_FILE_HEADERS', message, storableMessage: message });
    } finally {
      await rm(file);
    }
  });

  it('refuses a missing sheet before any row, naming the sheets present', async () => {
    const got: ReadBatch[] = [];
    const error = await (async () => {
      for await (const b of reader({ sheets: [SHEETS[0]!, { sheet: 'Trẻ  em 2026', recordType: 'child' }, { sheet: 5, recordType: 'x' }] }).read(null, { files: [inspection] })) got.push(b);
    })().catch((e: unknown) => e as Error);
    expect(got).toEqual([]);
    expect(error).toMatchObject({
      code: 'CONNECTOR_FILE_SHEET_NOT_FOUND',
      message: 'kiem-tra-2026.xlsx: no sheet "Trẻ  em 2026", number 5; the sheets present are "Trẻ em", "Cơ sở"',
      // What logs and run history keep: the definition's sheets named, the file's counted (QA: all of it was [redacted]).
      // The configured sheet that is there named too, not counted among the others (QA).
      storableMessage: 'kiem-tra-2026.xlsx: no sheet "Trẻ  em 2026", number 5, as the definition names them; the workbook has the definition\'s "cơ sở" '
        + 'and 1 other sheet, named by `connectors dry-run <name> --file <file>`',
    });
  });

  it('reads empty formula results as empty cells, and a row whose only values are those or error cells as an empty row (QA)', async () => {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('Trẻ em');
    sheet.addRow(['Mã cơ sở', 'Họ và tên', 'Tra cứu']);
    sheet.addRow(['CS-001', { formula: 'TRIM("")', result: '' }, { error: '#N/A' }]);
    sheet.addRow([{ formula: 'IF(A4="","",1)', result: '' }, null, { error: '#N/A' }]);
    await wb.xlsx.writeFile(path.join(dir, 'tra-cuu-2026.xlsx'));
    const read = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, pattern: 'tra-cuu-*.xlsx', sheets: [{ sheet: 'Trẻ em', recordType: 'child' }] }), { logger, name: 'facility-inspection' });
    const [batch] = await collect(read.read(null, {}));
    expect(batch!.records.map((r) => r.data)).toEqual([{ 'Mã cơ sở': 'CS-001', 'Tra cứu': new CellError('#N/A') }]);
    expect(batch!.rejects ?? []).toEqual([]);
  });

  it('reads a formula\'s result of 0 or FALSE as 0, and one that is an error as an error cell, its code unknown (QA: each read as an empty cell, the value lost with nothing said)', async () => {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('Trẻ em');
    sheet.addRow(['Mã cơ sở', 'Ngày sinh', 'Mã xã', 'Số trẻ', 'Có giấy phép']);
    sheet.getColumn(2).numFmt = 'dd/mm/yyyy';
    sheet.addRow(['CS-001', { formula: 'VLOOKUP(A2,X!A:B,2,0)', result: { error: '#N/A' } }, { formula: 'B2/0', result: { error: '#DIV/0!' } }, { formula: 'D9-D9', result: 0 }, { formula: '1>2', result: false }]);
    sheet.addRow(['CS-002', { formula: 'IF(A3="","",1)', result: '' }, { formula: 'A3&""', result: 'CS-002' }, { formula: '3' }, { formula: '2>1', result: true }]);
    // A date cell's formula pointing at an empty cell gives 0: empty, not 30/12/1899 (QA re-check); another serial is its date.
    sheet.addRow(['CS-003', { formula: 'Z4', result: 0 }]);
    sheet.addRow(['CS-004', { formula: 'Z5', result: 45000 }]);
    await wb.xlsx.writeFile(path.join(dir, 'loi-cong-thuc-2026.xlsx'));
    const read = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, pattern: 'loi-cong-thuc-*.xlsx', sheets: [{ sheet: 'Trẻ em', recordType: 'child' }] }), { logger, name: 'facility-inspection' });
    const [batch] = await collect(read.read(null, {}));
    expect(formulaResultsKept).toBe(true);
    expect(batch!.records.map((r) => r.data)).toEqual([
      { 'Mã cơ sở': 'CS-001', 'Ngày sinh': new CellError(''), 'Mã xã': new CellError(''), 'Số trẻ': 0, 'Có giấy phép': 0 },
      { 'Mã cơ sở': 'CS-002', 'Mã xã': 'CS-002', 'Có giấy phép': 1 },
      { 'Mã cơ sở': 'CS-003' },
      { 'Mã cơ sở': 'CS-004', 'Ngày sinh': new Date(Date.UTC(2023, 2, 15)) },
    ]);
    expect(new CellError('').describe()).toBe('an Excel error cell');
  });

  it('reads a formula saved with an empty value element, as openpyxl writes one it has not calculated, as an empty cell (QA: it read as an error cell)', async () => {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('Trẻ em');
    sheet.addRow(['Mã cơ sở', 'Số trẻ', 'Giới tính']);
    sheet.addRow(['CS-001', { formula: "COUNTIF('Trẻ em'!C:C,A2)" }, { formula: 'IF(1=1,"Nữ","Nam")' }]);
    sheet.addRow(['CS-002', { formula: 'NA()', result: { error: '#N/A' } }, 'Nam']);
    const file = path.join(dir, 'openpyxl-2026.xlsx');
    const zip = await JSZip.loadAsync(Buffer.from(await wb.xlsx.writeBuffer()));
    const xml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    // No cached result, as openpyxl writes it: `<f>…</f><v></v>` (and `<v/>`).
    const openpyxl = xml.replace('</f></c>', '</f><v></v></c>').replace('</f></c>', '</f><v/></c>');
    expect(openpyxl.match(/<v><\/v>|<v\/>/g)).toHaveLength(2);
    zip.file('xl/worksheets/sheet1.xml', openpyxl);
    await writeFile(file, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
    const read = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, pattern: 'openpyxl-*.xlsx', sheets: [{ sheet: 'Trẻ em', recordType: 'child' }] }), { logger, name: 'facility-inspection' });
    const [batch] = await collect(read.read(null, {}));
    expect(batch!.records.map((r) => r.data)).toEqual([{ 'Mã cơ sở': 'CS-001' }, { 'Mã cơ sở': 'CS-002', 'Số trẻ': new CellError(''), 'Giới tính': 'Nam' }]);
  });


  it('reads a workbook as the Open XML SDK writes one: every element prefixed, rows and cells without references (QA: read as a workbook without sheets, or failed)', async () => {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('Trẻ em');
    sheet.addRow(['Mã cơ sở', 'Họ và tên', 'Ngày tiếp nhận']);
    sheet.addRow(['CS-001', 'Nguyễn Văn An', new Date(Date.UTC(2024, 10, 25))]);
    sheet.addRow(['CS-002', null, null]);
    sheet.getColumn(3).numFmt = 'dd/mm/yyyy';
    const zip = await JSZip.loadAsync(Buffer.from(await wb.xlsx.writeBuffer()));
    const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
    for (const part of Object.keys(zip.files).filter((p) => /^xl\/[^_].*\.xml$/.test(p))) {
      let xml = (await zip.file(part)!.async('string'))
        .replace(`xmlns="${main}"`, `xmlns:x="${main}"`)
        .replace(/<(\/?)([A-Za-z]\w*)(?=[\s/>])/g, '<$1x:$2');
      if (part.startsWith('xl/worksheets/')) xml = xml.replace(/(<x:(?:row|c)\b[^>]*?) r="[A-Z]*\d+"/g, '$1');
      zip.file(part, xml);
    }
    const written = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    expect(written).toMatch(/<x:sheetData><x:row[ >]/);
    expect(written).not.toMatch(/ r="/);
    await writeFile(path.join(dir, 'sdk-2026.xlsx'), await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
    const read = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, pattern: 'sdk-*.xlsx', sheets: [{ sheet: 'Trẻ em', recordType: 'child' }] }), { logger, name: 'facility-inspection' });
    const [batch] = await collect(read.read(null, {}));
    expect(batch!.records.map((r) => [r.location, r.data])).toEqual([
      ['sdk-2026.xlsx sheet "Trẻ em" row 2', { 'Mã cơ sở': 'CS-001', 'Họ và tên': 'Nguyễn Văn An', 'Ngày tiếp nhận': new Date(Date.UTC(2024, 10, 25)) }],
      ['sdk-2026.xlsx sheet "Trẻ em" row 3', { 'Mã cơ sở': 'CS-002' }],
    ]);
  });
  it('refuses a sheet without a column whose absence the mapping turns into a value, naming it, kept whole (QA: a renamed header downgraded the stored facilities to licence NONE, type OTHER)', async () => {
    const { records } = ConnectorCatalog.load(path.join(PROJECT_ROOT, 'connectors')).get('facility-inspection').definition;
    const write = async (name: string, licence: string, type: string, byPosition = false) => {
      const wb = new ExcelJS.Workbook();
      wb.addWorksheet('Cơ sở').addRows([
        ['Mã cơ sở', 'Tên cơ sở', type, 'Xã/phường', licence, 'Công suất', 'Số biên bản', 'Ngày kiểm tra', 'Đơn vị kiểm tra', 'Kết luận', 'Số trẻ hiện có'],
        ['CS-001', 'Mái ấm Bình Minh', 'Cơ sở trợ giúp xã hội công lập', 'Phường Ba Đình', '757/GP-SYT', 30, 'BB-01', '12/03/2026', 'Sở Y tế', 'Đạt', 12],
      ]);
      wb.addWorksheet('Trẻ em').addRows([
        ['Mã phiếu', 'Mã cơ sở', 'Họ và tên', 'Giới tính', 'Ngày sinh', 'Năm sinh', 'Hoàn cảnh', 'Mã xã', 'Tên cơ sở', 'Số định danh', 'Ngày kiểm tra', 'Ngày tiếp nhận', 'Khuyết tật', 'Số biên bản'],
        ['P-1', 'CS-001', 'Nguyễn Văn An'],
      ]);
      await wb.xlsx.writeFile(path.join(dir, name));
      const sheets = byPosition ? [{ sheet: 1, recordType: 'facility' }, { sheet: 2, recordType: 'child' }] : [{ sheet: 'Cơ sở', recordType: 'facility' }, { sheet: 'Trẻ em', recordType: 'child' }];
      const config = fileConfigSchema.parse({ directory: dir, settleSeconds: 0, pattern: name, sheets });
      return collect(new FileReader(config, { logger, name: 'facility-inspection', records }).read(null, { files: [name] }));
    };
    const read = await write('dung-2026.xlsx', 'GIẤY PHÉP/ĐĂNG KÝ', 'Loại hình');
    expect(read.flatMap((b) => b.records).map((r) => r.data['Giấy phép/Đăng ký'] ?? r.data['Họ và tên'])).toEqual(['757/GP-SYT', 'Nguyễn Văn An']);
    // Spaces around the slash, or doubled, are the same column (QA: `Giấy phép / Đăng ký` was missing).
    const spaced = await write('cach-2026.xlsx', 'Giấy  phép / Đăng ký', 'Loại hình');
    expect(spaced.flatMap((b) => b.records).map((r) => r.data['Giấy phép/Đăng ký'] ?? r.data['Họ và tên'])).toEqual(['757/GP-SYT', 'Nguyễn Văn An']);
    const error = await write('doi-ten-2026.xlsx', 'Số giấy phép', 'Loại hình cơ sở').catch((e: FileHeaderError) => e);
    expect(error).toMatchObject({
      code: 'CONNECTOR_FILE_HEADERS',
      details: { problem: 'MISSING_COLUMN', missing: ['Loại hình', 'Giấy phép/Đăng ký'] },
      message:
        'doi-ten-2026.xlsx sheet "Cơ sở" row 1: the header row (11 columns) does not have columns «Loại hình», «Giấy phép/Đăng ký» in any letter case or spacing, ' +
        'and the mapping gives a value when they are empty (a `present: false` test, or a `map`\'s `default`): every record would be stored as if they were empty; ' +
        'the file was not read (name the columns as the mapping does, or change the mapping)',
    });
    expect((error as FileHeaderError).storableMessage).toBe((error as FileHeaderError).message);
    // A sheet configured by position is named by its number, and the message kept whole too (QA re-check).
    const byPosition = await write('vi-tri-2026.xlsx', 'Số giấy phép', 'Loại hình', true).catch((e: FileHeaderError) => e);
    expect((byPosition as FileHeaderError).message).toMatch(/^vi-tri-2026\.xlsx sheet 1 row 1: the header row \(11 columns\) does not have column «Giấy phép\/Đăng ký»/);
    expect((byPosition as FileHeaderError).storableMessage).toBe((byPosition as FileHeaderError).message);
  });

  it('drops empty value elements however the XML is cut into chunks, and nothing else', async () => {
    const xml = '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><f>X</f><v></v></c><c r="C2"><f>Y</f><v/></c><c r="D2"><v>7</v></c><c r="E2"><f>Z</f><v /></c></row>';
    const want = '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><f>X</f></c><c r="C2"><f>Y</f></c><c r="D2"><v>7</v></c><c r="E2"><f>Z</f></c></row>';
    const join = async (chunks: string[]) => {
      let out = '';
      for await (const t of withoutEmptyValues((async function* () { yield* chunks; })())) out += t;
      return out;
    };
    for (let i = 0; i <= xml.length; i++) {
      for (const j of [i, Math.min(xml.length, i + 1), Math.min(xml.length, i + 3)]) {
        expect(await join([xml.slice(0, i), xml.slice(i, j), xml.slice(j)])).toBe(want);
      }
    }
  });

  it('refuses a header row holding an error value, saying so (QA: told as a column without a header)', async () => {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('Trẻ em');
    sheet.addRow(['Mã cơ sở', { error: '#REF!' }, 'Họ và tên']);
    sheet.addRow(['CS-001', 'x', 'Nguyễn Văn An']);
    await wb.xlsx.writeFile(path.join(dir, 'loi-tieu-de-2026.xlsx'));
    const read = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, pattern: 'loi-tieu-de-*.xlsx', sheets: [{ sheet: 'Trẻ em', recordType: 'child' }] }), { logger, name: 'facility-inspection' });
    await expect(collect(read.read(null, { files: [path.join(dir, 'loi-tieu-de-2026.xlsx')] }))).rejects.toMatchObject({
      code: 'CONNECTOR_FILE_HEADERS',
      message: 'loi-tieu-de-2026.xlsx sheet "Trẻ em" row 1: column B (2) is an Excel error cell (#REF!) where its header should be; type the header in, or paste the header row as values',
      // The sheet told as the definition names it: kept whole in run history and logs (QA second re-check: [redacted]).
      storableMessage: 'loi-tieu-de-2026.xlsx sheet "Trẻ em" row 1: column B (2) is an Excel error cell (#REF!) where its header should be; type the header in, or paste the header row as values',
    });
  });

  it('refuses an empty or duplicated header in a sheet', async () => {
    await expect(collect(reader({ headerRow: 1 }).read(null, { files: [inspection] }))).rejects.toMatchObject({
      code: 'CONNECTOR_FILE_HEADERS',
      // The sheet as the definition names it (`cơ sở`), kept whole in run history (QA second re-check: [redacted]).
      message: 'kiem-tra-2026.xlsx sheet "cơ sở": the header row 1 is empty',
      storableMessage: 'kiem-tra-2026.xlsx sheet "cơ sở": the header row 1 is empty',
    });
  });

  it('tells a configured sheet left blank as a sheet without headers, which a sync warns of (QA: it read as nothing, with nothing said)', async () => {
    /** A report whose facilities sheet holds one facility and whose children's sheet is as `blank` leaves it: what is read, and the headers told. */
    const read = async (name: string, blank: (sheet: ExcelJS.Worksheet) => void) => {
      const wb = new ExcelJS.Workbook();
      const facilities = wb.addWorksheet('Cơ sở');
      facilities.addRow(['']);
      facilities.addRow(['Mã cơ sở', 'Tên cơ sở']);
      facilities.addRow(['CS-001', 'Chùa Bồ Đề']);
      blank(wb.addWorksheet('Trẻ em'));
      const file = path.join(dir, name);
      await wb.xlsx.writeFile(file);
      const events: ReaderEvent[] = [];
      const batches = await collect(reader().read(null, { files: [file], onEvent: (e) => e.type === 'sheet-headers' && events.push(e) }));
      return { ids: batches.flatMap((b) => b.records.map((r) => r.data['Mã cơ sở'])), events };
    };
    const { ids, events } = await read('trong-2026.xlsx', () => {});
    expect(ids).toEqual(['CS-001']);
    expect(events.map((e) => (e as { columns: readonly string[] }).columns)).toEqual([['Mã cơ sở', 'Tên cơ sở'], []]);
    const { records } = ConnectorCatalog.load(path.join(PROJECT_ROOT, 'connectors')).get('facility-inspection').definition;
    expect(headersWarning(records, { ...events[1]!, where: 'trong-2026.xlsx' } as ReaderEvent)).toBe(
      'trong-2026.xlsx: the sheet has no header row: nothing was read from it (was the sheet filled in? check file.headerRow)',
    );
    // So is one whose rows are formatted but hold nothing (a template's: QA re-check, it was refused).
    const formatted = await read('mau-2026.xlsx', (blank) => {
      blank.getCell('A1').value = '';
      blank.getCell('B1').style = { font: { bold: true } };
      blank.getRow(2).getCell(1).style = { fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFFF00' } } };
    });
    expect(formatted.ids).toEqual(['CS-001']);
    expect(formatted.events.map((e) => (e as { columns: readonly string[] }).columns)).toEqual([['Mã cơ sở', 'Tên cơ sở'], []]);
  });

  it('fits each sheet\'s headers to its mappings before any row: capitals read as the mapped columns, a later sheet without its id column refused', async () => {
    const records = recordMappingsSchema.parse([
      { recordType: 'facility', externalId: { from: 'Mã cơ sở' }, projections: { facility: [{ fields: { code: { from: 'Mã cơ sở' }, name: { from: 'Tên cơ sở' }, type: { value: 'OTHER' }, licenceStatus: { value: 'NONE' } } }] } },
      { recordType: 'child', externalId: { join: ['Mã cơ sở', 'Họ và tên'] }, fields: { fullName: { from: 'Họ và tên' } } },
    ]);
    const mapped = (name: string) => new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0, pattern: name, headerRow: 2, sheets: SHEETS, chunkRows: 1 }), { logger, name: 'facility-inspection', records });
    const write = async (name: string, childHeaders: string[]) => {
      const wb = new ExcelJS.Workbook();
      const facilities = wb.addWorksheet('Cơ sở');
      facilities.addRow(['']);
      facilities.addRow(['MÃ CƠ SỞ', 'TÊN CƠ SỞ']);
      facilities.addRow(['CS-009', 'Mái ấm Bình Minh']);
      const children = wb.addWorksheet('Trẻ em');
      children.addRow(['']);
      children.addRow(childHeaders);
      children.addRow(['CS-009', 'Nguyễn Văn An']);
      await wb.xlsx.writeFile(path.join(dir, name));
    };
    await write('hoa-2026.xlsx', ['Mã Cơ Sở', 'HỌ VÀ TÊN']);
    const batches = await collect(mapped('hoa-2026.xlsx').read(null, {}));
    expect(batches.flatMap((b) => b.records.map((r) => r.data))).toEqual([
      { 'Mã cơ sở': 'CS-009', 'Tên cơ sở': 'Mái ấm Bình Minh' },
      { 'Mã cơ sở': 'CS-009', 'Họ và tên': 'Nguyễn Văn An' },
    ]);
    // The children's sheet (read second) lacks a column of its id: refused before the first sheet's rows.
    await write('thieu-2026.xlsx', ['Mã cơ sở', 'Tên']);
    const error = await collect(mapped('thieu-2026.xlsx').read(null, { files: ['thieu-2026.xlsx'] })).catch((e: Error) => e);
    expect(error).toMatchObject({
      code: 'CONNECTOR_FILE_HEADERS',
      details: { problem: 'MISSING_ID_COLUMN', missing: ['Họ và tên'] },
      message: expect.stringMatching(/^thieu-2026\.xlsx sheet "Trẻ em" row 2: no mapping can give its rows a record id: it needs column «Họ và tên», which the header row \(2 columns\)/),
    });
    // The sheet named as the definition names it, and the mapping's columns: kept whole in logs and run history (QA).
    expect((error as FileHeaderError).storableMessage).toBe((error as FileHeaderError).message);
  });

  it('refuses a workbook whose later sheet has no usable header before giving out any of its rows, and reads the next workbook', async () => {
    const bad = path.join(dir, 'kiem-tra-2025.xlsx');
    const wb = new ExcelJS.Workbook();
    const facilities = wb.addWorksheet('Cơ sở');
    facilities.addRow(['']);
    facilities.addRow(['Mã cơ sở', 'Tên cơ sở']);
    facilities.addRow(['CS-009', 'Mái ấm Bình Minh']);
    facilities.addRow(['CS-010', 'Mái ấm Hướng Dương']);
    const children = wb.addWorksheet('Trẻ em');
    children.addRow(['']);
    children.addRow(['Mã cơ sở', 'Họ và tên', 'Mã cơ sở']); // the same header twice, on the sheet read second
    children.addRow(['CS-009', 'Nguyễn Văn An', 'x']);
    await wb.xlsx.writeFile(bad);
    await utimes(bad, new Date('2026-01-01'), new Date('2026-01-01')); // older: read first
    try {
      const events: ReaderEvent[] = [];
      // One row per chunk: without the headers checked first, the first sheet's rows would go out before the second is reached.
      const batches = await collect(reader({ chunkRows: 1 }).read(null, { onEvent: (e) => events.push(e) }));
      expect(batches.filter((b) => !b.location.startsWith('kiem-tra-2026.xlsx '))).toEqual([]);
      expect(batches.at(-1)!.fileCompleted?.fileName).toBe('kiem-tra-2026.xlsx');
      expect(events.filter((e) => e.type === 'file-refused')).toEqual([
        {
          type: 'file-refused', fileName: 'kiem-tra-2025.xlsx', realName: 'kiem-tra-2025.xlsx', checksum: expect.stringMatching(/^[0-9a-f]{64}$/), code: 'CONNECTOR_FILE_HEADERS',
          message: expect.stringMatching(/^kiem-tra-2025\.xlsx sheet "Trẻ em" row 2: the header "Mã cơ sở" appears twice/),
          storedMessage: expect.stringMatching(/^kiem-tra-2025\.xlsx sheet \[redacted\] row 2: the header \[redacted\] appears twice/),
        },
      ]);
    } finally {
      await rm(bad);
    }
  });

  it('reads a workbook written by the streaming writer, with shared strings and many rows', async () => {
    const file = path.join(dir, 'kiem-tra-stream.xlsx');
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true, useStyles: true });
    const ws = wb.addWorksheet('Trẻ em');
    ws.addRow(['Mã', 'Họ và tên', 'Ngày sinh']).commit();
    for (let i = 1; i <= 2500; i++) {
      const row = ws.addRow([`KS${i}`, `Trẻ ${i}`, new Date(Date.UTC(2015, 0, 1 + (i % 365)))]);
      row.getCell(3).numFmt = 'dd/mm/yyyy';
      row.commit();
    }
    ws.commit();
    await wb.commit();
    try {
      const batches = await collect(
        new FileReader(fileConfigSchema.parse({ directory: dir, chunkRows: 1000 }), { logger, name: 'x' }).read(null, { files: [file] }),
      );
      expect(batches.map((b) => b.records.length)).toEqual([1000, 1000, 500]);
      expect(batches[2]!.records.at(-1)!.data).toEqual({ Mã: 'KS2500', 'Họ và tên': 'Trẻ 2500', 'Ngày sinh': new Date(Date.UTC(2015, 0, 1 + (2500 % 365))) });
      expect(batches[2]!.fileCompleted?.fileName).toBe('kiem-tra-stream.xlsx');
    } finally {
      // Not left in the drop directory the later tests list (its only sheet is the children's).
      await rm(file);
    }
  });

  it('ends a chunk early when its cells hold CHUNK_CHARS characters of text, and resumes after it (QA: 150 rows of a million-character cell ran a sync out of heap)', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'childhub-xlsx-big-'));
    try {
      const file = path.join(other, 'ghi-chu-dai.xlsx');
      const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false });
      const ws = wb.addWorksheet('Trẻ em');
      ws.addRow(['Mã', 'Ghi chú 1', 'Ghi chú 2', 'Ghi chú 3', 'Số']).commit();
      // 3 cells of 400,000 characters a row, numbers not counted: 4 rows pass CHUNK_CHARS (4 Mi), 3 do not.
      const note = 'x'.repeat(400_000);
      for (let i = 1; i <= 9; i++) ws.addRow([`KS${i}`, note, note, note, 12345]).commit();
      ws.commit();
      await wb.commit();
      const read = (from: ReadBatch['position'] | null) =>
        collect(new FileReader(fileConfigSchema.parse({ directory: other, settleSeconds: 0 }), { logger, name: 'x' }).read(from, { files: [file] }));
      const batches = await read(null);
      expect(batches.map((b) => [b.location, b.records.length])).toEqual([
        ['ghi-chu-dai.xlsx sheet "Trẻ em" rows 2-5', 4],
        ['ghi-chu-dai.xlsx sheet "Trẻ em" rows 6-9', 4],
        ['ghi-chu-dai.xlsx sheet "Trẻ em" row 10', 1],
      ]);
      const resumed = await read(batches[0]!.position);
      expect(resumed.flatMap((b) => b.records.map((r) => r.data['Mã']))).toEqual(['KS5', 'KS6', 'KS7', 'KS8', 'KS9']);
      expect(resumed.at(-1)!.fileCompleted?.fileName).toBe('ghi-chu-dai.xlsx');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('stops cleanly in the middle of a sheet (maxBatches) and checks a workbook', async () => {
    const [only, ...more] = await collect(reader({ chunkRows: 2 }).read(null, { maxBatches: 1 }));
    expect(more).toEqual([]);
    expect(only!.location).toBe('kiem-tra-2026.xlsx sheet "Cơ sở" rows 3-4');
    const checked = await reader({ chunkRows: 2 }).check({});
    expect(checked).toMatchObject({ ok: true, sampleCount: 2 });
    expect(checked.steps.at(-1)).toEqual({ step: 'first file', ok: true, detail: 'kiem-tra-2026.xlsx (xlsx): headers read; 2 record(s) in the first chunk' });
    const missing = await reader({ sheets: [{ sheet: 'Tổng hợp', recordType: 'child' }] }).check({});
    expect(missing.ok).toBe(false);
    expect(missing.steps.at(-1)!.detail).toMatch(/no sheet "Tổng hợp"; the sheets present are "Trẻ em", "Cơ sở"/);
  });

  it('samples the first chunk of each sheet for a dry run (sampleSheets), completing nothing', async () => {
    const sample = await collect(reader({ chunkRows: 2 }).read(null, { sampleSheets: true, maxBatches: 1 }));
    expect(sample.map((b) => b.location)).toEqual(['kiem-tra-2026.xlsx sheet "Cơ sở" rows 3-4', 'kiem-tra-2026.xlsx sheet "Trẻ em" rows 3-4']);
    expect(sample.map((b) => b.records.length + (b.rejects?.length ?? 0))).toEqual([2, 2]);
    expect(sample.some((b) => b.fileCompleted)).toBe(false);
  });

  it('refuses a file that is not a workbook', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'childhub-xlsx-bad-'));
    try {
      const file = path.join(other, 'hong.xlsx');
      await (await import('node:fs/promises')).writeFile(file, 'Mã,Tên\n1,An\n');
      await expect(collect(reader().read(null, { files: [file] }))).rejects.toMatchObject({ code: 'CONNECTOR_FILE_FORMAT' });
      await (await import('node:fs/promises')).writeFile(file, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 7)]));
      await expect(collect(reader().read(null, { files: [file] }))).rejects.toMatchObject({ code: expect.stringMatching(/^CONNECTOR_FILE_/) });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
