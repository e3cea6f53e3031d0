/**
 * The civil-status (hộ tịch) file drop: what a commune justice officer exports from the registry software
 * and drops for the hub. Birth registrations go to `khai-sinh-<tag>.csv` (or `.xlsx`, sheet "Sổ đăng ký khai
 * sinh"), adoption registrations to `nuoi-con-nuoi-<tag>.xlsx` (sheet "Nuôi con nuôi"). The rows are the
 * synthetic population's justice-register records (`src/sample`), so the same children appear here as in the
 * other sources, with the register's own variations (upper case, missing diacritics, missing numbers …).
 *
 * A later export adds registrations: `newRecords` writes the registrations of the population's next children
 * (the same children the HTTP simulators add, see src/connectors/simulator/population-growth.ts) after the
 * population's own, or alone with `onlyNew`, so a second drop brings new records to an incremental sync.
 *
 * For benchmarks, `rows` asks for an exact number of birth rows: past the population's own records the rows
 * are recombined from further synthetic children by a fast path ({@link DerivedBirthRows}), because the
 * generator's justice view is too slow for a million-row file.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NewSourceRecords, type AddedRecords, type NewSourceRecord } from '../../src/connectors/simulator/population-growth.js';
import type { SourceRecordInput } from '../../src/domain/source-record-input.js';
import { fromDmy } from '../../src/sample/calendar.js';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import type { AdoptionRegistration, BirthRegistration } from '../../src/sample/sources/justice-register.js';
import { DerivedBirthRows } from './derived-birth-rows.js';
import {
  addHeaderSheet,
  addXlsxRow,
  brokenRowIndexes,
  CsvDropWriter,
  excelDate,
  openWorkbook,
  type CsvEncoding,
  type DropFile,
  type XlsxCell,
} from '../file-drop-writer.js';

/** Column headers of the birth register export, in order (the mapping reads them by this exact text). */
export const BIRTH_HEADERS = [
  'Mã hồ sơ',
  'Số đăng ký',
  'Quyển số',
  'Ngày đăng ký',
  'Nơi đăng ký',
  'Mã xã nơi đăng ký',
  'Họ và tên',
  'Ngày sinh',
  'Giới tính',
  'Dân tộc',
  'Quốc tịch',
  'Số định danh cá nhân',
  'Họ tên cha',
  'Họ tên mẹ',
  'Người đi khai sinh',
  'Quan hệ với người được khai sinh',
  'Ghi chú',
] as const;

/** Column headers of the adoption register export, in order. */
export const ADOPTION_HEADERS = [
  'Mã hồ sơ',
  'Số đăng ký',
  'Quyển số',
  'Ngày đăng ký',
  'Nơi đăng ký',
  'Mã xã nơi đăng ký',
  'Số giấy chứng nhận nuôi con nuôi',
  'Họ và tên con nuôi',
  'Ngày sinh con nuôi',
  'Giới tính con nuôi',
  'Số định danh cá nhân con nuôi',
  'Hoàn cảnh con nuôi',
  'Họ tên cha nuôi',
  'Số định danh cá nhân cha nuôi',
  'Họ tên mẹ nuôi',
  'Số định danh cá nhân mẹ nuôi',
  'Người giao con nuôi',
  'Con nuôi đồng ý (từ đủ 9 tuổi)',
] as const;

export const BIRTH_SHEET = 'Sổ đăng ký khai sinh';
export const ADOPTION_SHEET = 'Nuôi con nuôi';

/** Header columns (0-based) holding dates, written as real date cells in XLSX. */
const BIRTH_DATE_COLUMNS = new Set([BIRTH_HEADERS.indexOf('Ngày đăng ký'), BIRTH_HEADERS.indexOf('Ngày sinh')]);
const ADOPTION_DATE_COLUMNS = new Set([ADOPTION_HEADERS.indexOf('Ngày đăng ký'), ADOPTION_HEADERS.indexOf('Ngày sinh con nuôi')]);
const BIRTH_DATE_OF_BIRTH = BIRTH_HEADERS.indexOf('Ngày sinh');
const BIRTH_NOTE = BIRTH_HEADERS.indexOf('Ghi chú');
/** The `creator` of the workbooks, as the registry software would set it. */
const REGISTRY_SOFTWARE = 'Phần mềm đăng ký, quản lý hộ tịch';

export interface JusticeRegisterDropOptions {
  /** Directory to write into (created if missing). */
  dir: string;
  /** Population seed (`src/sample`). @defaultValue 1 */
  seed?: number;
  /** Population size: children 0 … count-1 and their registrations. @defaultValue 5000 */
  count?: number;
  /** Format of the birth register file; the adoption register is always XLSX. @defaultValue 'csv' */
  format?: 'csv' | 'xlsx';
  /** Encoding of the CSV file (ignored for XLSX). `windows-1258` writes a file the hub must refuse. @defaultValue 'utf-8-bom' */
  encoding?: CsvEncoding;
  /**
   * Birth rows to write broken, spread evenly through the file (their row numbers are returned). CSV: the note
   * run into the column before it (a delimiter missing: one field too few, a reject without an id), quoted without
   * doubling the quotes inside it (a broken quote: text after the closing quote), or with an unquoted comma in it
   * (one field too many), in turn; each breaks only its own line. XLSX: the birth
   * date typed as text with a two-digit year (`15/03/18`), which no date format accepts. @defaultValue 0
   */
  brokenRows?: number;
  /**
   * Write exactly this many birth rows (benchmarks): the population's own birth records first (at most this
   * many), then rows recombined from further synthetic children ({@link DerivedBirthRows}, external ids `KSX…`)
   * until the number is reached. External ids stay unique. @defaultValue all birth records of the population
   */
  rows?: number;
  /** Part of the file names: `khai-sinh-<tag>.csv`, `nuoi-con-nuoi-<tag>.xlsx`. @defaultValue '20261101' */
  tag?: string;
  /**
   * A later export: also write this many registrations made since, those of the population's next children
   * (children `count`, `count + 1`, …: the same children, in the same order, that the HTTP simulators add),
   * after the population's rows; births in the birth register, adoptions in the adoption register. Their ids
   * come back in `added`. Not with `rows`. @defaultValue 0
   */
  newRecords?: number;
  /**
   * Write only the `newRecords` registrations (an export of what was registered since the last one); a register
   * with none of them is not written. @defaultValue false
   */
  onlyNew?: boolean;
}

export type JusticeRegisterFileKind = 'birth' | 'adoption';

export interface JusticeRegisterDrop {
  files: Array<DropFile<JusticeRegisterFileKind>>;
  /** The `newRecords` registrations written (external ids, and the synthetic children they are about). */
  added: AddedRecords;
}

/** One birth registration as a row of the export, in {@link BIRTH_HEADERS} order (dates as dd/MM/yyyy text). */
export function birthRow(externalId: string, raw: BirthRegistration): string[] {
  return [
    externalId,
    raw.SO_DANG_KY,
    raw.QUYEN_SO,
    raw.NGAY_DANG_KY,
    raw.NOI_DANG_KY,
    raw.MA_XA_DANG_KY,
    raw.HO_TEN,
    raw.NGAY_SINH,
    raw.GIOI_TINH,
    raw.DAN_TOC,
    raw.QUOC_TICH,
    raw.SO_DINH_DANH,
    raw.HO_TEN_CHA,
    raw.HO_TEN_ME,
    raw.NGUOI_DI_KHAI,
    raw.QUAN_HE_NGUOI_DI_KHAI,
    raw.GHI_CHU,
  ];
}

/** One adoption registration as a row of the export, in {@link ADOPTION_HEADERS} order. */
export function adoptionRow(externalId: string, raw: AdoptionRegistration): string[] {
  return [
    externalId,
    raw.SO_DANG_KY,
    raw.QUYEN_SO,
    raw.NGAY_DANG_KY,
    raw.NOI_DANG_KY,
    raw.MA_XA_DANG_KY,
    raw.SO_GIAY_CHUNG_NHAN,
    raw.HO_TEN_CON_NUOI,
    raw.NGAY_SINH_CON_NUOI,
    raw.GIOI_TINH_CON_NUOI,
    raw.SO_DINH_DANH_CON_NUOI,
    raw.HOAN_CANH_CON_NUOI,
    raw.HO_TEN_CHA_NUOI,
    raw.SO_DINH_DANH_CHA_NUOI,
    raw.HO_TEN_ME_NUOI,
    raw.SO_DINH_DANH_ME_NUOI,
    raw.NGUOI_GIAO_CON_NUOI,
    raw.CON_NUOI_DONG_Y,
  ];
}

const isAdoption = (raw: BirthRegistration | AdoptionRegistration): raw is AdoptionRegistration => raw.LOAI_SO === 'NUOI_CON_NUOI';

/** The registrations an export holds: the population's (unless `onlyNew`), then the new ones. */
function* registrations(seed: number, count: number, added: readonly NewSourceRecord[], onlyNew: boolean): Generator<{ record: SourceRecordInput }> {
  if (!onlyNew) yield* generateSourceRecords({ seed, count, sources: ['justice-register'] });
  yield* added;
}

/**
 * Birth rows in file order: the population's records (unless `onlyNew`), then the new ones, then (with `rows`)
 * derived ones; adoptions are collected.
 */
function* birthRows(
  seed: number,
  count: number,
  rows: number | undefined,
  adoptions: string[][],
  added: readonly NewSourceRecord[],
  onlyNew: boolean,
): Generator<string[]> {
  let written = 0;
  for (const { record } of registrations(seed, count, added, onlyNew)) {
    const raw = record.raw as BirthRegistration | AdoptionRegistration;
    if (isAdoption(raw)) {
      adoptions.push(adoptionRow(record.externalId, raw));
    } else if (rows === undefined || written < rows) {
      written++;
      yield birthRow(record.externalId, raw);
    }
  }
  if (rows === undefined || written >= rows) return;
  const derived = new DerivedBirthRows(seed, count);
  for (let j = 0; written < rows; j++, written++) yield derived.row(j);
}

/**
 * The CSV broken-row variants, as a careless export writes a note: run into the column before it, the delimiter
 * between them lost (one field too few: the reader cannot tell where, so the reject keeps no id), wrapped in quotes
 * without doubling the quotes inside it (text after a closing quote: a broken quote, after the id: the reject keeps
 * it), or not quoted although it holds a comma (one field too many: the reject keeps the id). Each breaks only its
 * own line.
 */
function brokenCsvLine(fields: string[], k: number): string {
  const note = fields[BIRTH_NOTE] ? `${fields[BIRTH_NOTE]}; ` : '';
  const broken = [...fields];
  if (k % 3 === 0) {
    broken.splice(BIRTH_NOTE - 1, 2, `${broken[BIRTH_NOTE - 1]} ${note}Đăng ký lại`);
    return broken.join(',');
  }
  broken[BIRTH_NOTE] =
    k % 3 === 1 ? `"${note}Đã cấp bản sao "trích lục" theo yêu cầu"` : `${note}Đăng ký lại, theo Nghị định 123/2015`;
  return broken.join(',');
}

function xlsxCells(fields: readonly string[], dateColumns: ReadonlySet<number>): XlsxCell[] {
  return fields.map((v, i) => {
    if (v === '') return null;
    if (dateColumns.has(i)) {
      const iso = fromDmy(v);
      return iso ? excelDate(iso) : v;
    }
    return v;
  });
}

/**
 * Writes a civil-status drop: the birth register (CSV or XLSX) and the adoption register (XLSX). Memory stays
 * bounded whatever `rows` is (the CSV is streamed in 1 MiB chunks, the XLSX through exceljs's streaming
 * writer); only the adoption rows, a few per ten thousand children, are held until the end.
 */
export async function writeJusticeRegisterDrop(options: JusticeRegisterDropOptions): Promise<JusticeRegisterDrop> {
  const { dir, seed = 1, count = 5000, format = 'csv', encoding = 'utf-8-bom', brokenRows = 0, rows, tag = '20261101', newRecords = 0, onlyNew = false } = options;
  if (rows !== undefined && (!Number.isInteger(rows) || rows < 0)) throw new RangeError('rows must be a non-negative integer');
  if (!Number.isInteger(newRecords) || newRecords < 0) throw new RangeError('newRecords must be a non-negative integer');
  if (rows !== undefined && newRecords > 0) throw new RangeError('rows and newRecords cannot be combined');
  const added = new NewSourceRecords(seed, count, 'justice-register').take(newRecords);
  const newBirths = added.filter((a) => !isAdoption(a.record.raw as BirthRegistration | AdoptionRegistration)).length;
  const writeBirths = !onlyNew || newBirths > 0;
  await mkdir(dir, { recursive: true });
  const adoptions: string[][] = [];
  // Where the broken rows go: spread over the expected number of rows (98% of children have a registration;
  // 0.9 keeps every position inside the file). The returned row numbers are the ones actually written.
  const expected = rows ?? (onlyNew ? newBirths : Math.floor(count * 0.9));
  const broken = new Map(brokenRowIndexes(expected, brokenRows).map((index, k) => [index, k]));
  const brokenLines: number[] = [];
  let written = 0;
  const files: Array<DropFile<JusticeRegisterFileKind>> = [];

  const birthPath = join(dir, `khai-sinh-${tag}.${format}`);
  if (!writeBirths) {
    // Every new record is an adoption.
    for (const { record } of added) adoptions.push(adoptionRow(record.externalId, record.raw as AdoptionRegistration));
  } else if (format === 'csv') {
    const csv = await CsvDropWriter.open(birthPath, BIRTH_HEADERS, { encoding });
    try {
      for (const fields of birthRows(seed, count, rows, adoptions, added, onlyNew)) {
        const k = broken.get(written);
        if (k === undefined) csv.add(fields);
        else {
          csv.addRawLine(brokenCsvLine(fields, k));
          brokenLines.push(written + 2);
        }
        written++;
        if ((written & 1023) === 0) await csv.flushIfFull();
      }
      await csv.close();
    } catch (err) {
      csv.destroy();
      throw err;
    }
  } else {
    const wb = openWorkbook(birthPath, REGISTRY_SOFTWARE);
    const sheet = addHeaderSheet(wb, BIRTH_SHEET, BIRTH_HEADERS);
    for (const fields of birthRows(seed, count, rows, adoptions, added, onlyNew)) {
      const cells = xlsxCells(fields, BIRTH_DATE_COLUMNS);
      if (broken.has(written)) {
        // Typed as text with a two-digit year (15/03/18), which no date format of the mapping accepts.
        const dmy = fields[BIRTH_DATE_OF_BIRTH]!;
        cells[BIRTH_DATE_OF_BIRTH] = `${dmy.slice(0, 6)}${dmy.slice(8)}`;
        brokenLines.push(written + 2);
      }
      addXlsxRow(sheet, cells);
      written++;
    }
    sheet.commit();
    await wb.commit();
  }
  if (writeBirths) files.push({ path: birthPath, rows: written, kind: 'birth', brokenRows: brokenLines });

  if (!onlyNew || adoptions.length > 0) {
    const adoptionPath = join(dir, `nuoi-con-nuoi-${tag}.xlsx`);
    const wb = openWorkbook(adoptionPath, REGISTRY_SOFTWARE);
    const sheet = addHeaderSheet(wb, ADOPTION_SHEET, ADOPTION_HEADERS);
    for (const fields of adoptions) addXlsxRow(sheet, xlsxCells(fields, ADOPTION_DATE_COLUMNS));
    sheet.commit();
    await wb.commit();
    files.push({ path: adoptionPath, rows: adoptions.length, kind: 'adoption', brokenRows: [] });
  }

  return { files, added: { ids: added.map((a) => a.record.externalId), truthIds: added.map((a) => a.child.truthId) } };
}
