/**
 * The facility-inspection file drop: one workbook per yearly inspection round, `kiem-tra-co-so-<year>.xlsx`,
 * as the inspecting departments (Sở Y tế, Sở Dân tộc và Tôn giáo) compile it. Sheet "Cơ sở" has one row per
 * facility inspected that year (type, licence, capacity, the inspection and its findings); sheet "Trẻ em" lists
 * the children found there, one row each, repeating the facility and inspection columns a row mapping needs.
 * The children are the synthetic population's facility-inspection records (`src/sample`), so they are the
 * same children the other sources hold, written the way inspection lists write them (birth year only, no
 * number, nicknames …). A revised report (`newRecords`) adds children found in care since: the population's next
 * children (the same children the other simulators add, see src/connectors/simulator/population-growth.ts).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NewSourceRecords, type AddedRecords } from '../../src/connectors/simulator/population-growth.js';
import { communeByCode } from '../../src/reference/admin-units.js';
import { LAST_DAY, fromDmy } from '../../src/sample/calendar.js';
import { syntheticFacilities, type SyntheticFacility } from '../../src/sample/facilities.js';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import { FACILITY_INSPECTION_RATES, type FacilityInspectionRow } from '../../src/sample/sources/facility-inspection.js';
import { addHeaderSheet, addXlsxRow, brokenRowIndexes, excelDate, openWorkbook, type DropFile, type XlsxCell } from '../file-drop-writer.js';

export const FACILITY_SHEET = 'Cơ sở';
export const CHILD_SHEET = 'Trẻ em';

/** Headers of sheet "Cơ sở", in order (the mapping reads them by this exact text). */
export const FACILITY_HEADERS = [
  'Mã cơ sở',
  'Tên cơ sở',
  'Loại hình',
  'Xã/phường',
  'Mã xã',
  'Giấy phép/Đăng ký',
  'Công suất',
  'Ngày kiểm tra',
  'Số biên bản',
  'Đơn vị kiểm tra',
  'Kết luận',
  'Số trẻ hiện có',
] as const;

/** Headers of sheet "Trẻ em", in order. */
export const CHILD_HEADERS = [
  'STT',
  'Mã phiếu',
  'Mã cơ sở',
  'Tên cơ sở',
  'Mã xã',
  'Ngày kiểm tra',
  'Số biên bản',
  'Họ và tên',
  'Ngày sinh',
  'Năm sinh',
  'Giới tính',
  'Số định danh',
  'Hoàn cảnh',
  'Khuyết tật',
  'Ngày tiếp nhận',
] as const;

const BIRTH_DATE = CHILD_HEADERS.indexOf('Ngày sinh');
const BIRTH_YEAR = CHILD_HEADERS.indexOf('Năm sinh');

export interface FacilityInspectionDropOptions {
  /** Directory to write into (created if missing). */
  dir: string;
  /** Population seed (`src/sample`). @defaultValue 1 */
  seed?: number;
  /** Population size (about one child in 200 lives in a facility). @defaultValue 5000 */
  count?: number;
  /** Only this inspection round (2024, 2025 or 2026); otherwise one workbook per round. @defaultValue every round */
  year?: number;
  /**
   * Child rows per workbook to write broken, spread evenly over sheet "Trẻ em" (their row numbers are returned):
   * the birth date written as `khoảng <year>` ("about …", as inspectors note an abandoned child's age), which
   * no date format accepts. @defaultValue 0
   */
  brokenRows?: number;
  /**
   * A revised report: also list this many child rows of children found in care since, those of the population's
   * next children (children `count`, `count + 1`, …: the same children, in the same order, that the other
   * simulators add) in the rounds written; the facility rows count them. Their ids come back in `added`.
   * @defaultValue 0
   */
  newRecords?: number;
}

export interface FacilityInspectionFile extends DropFile<'facility-inspection'> {
  /** The inspection round. */
  year: number;
  /** Rows of sheet "Cơ sở" (`rows` counts sheet "Trẻ em", whose rows `brokenRows` numbers). */
  facilityRows: number;
}

export interface FacilityInspectionDrop {
  files: FacilityInspectionFile[];
  /** The `newRecords` child rows written (external ids, and the synthetic children they are about). */
  added: AddedRecords;
}

/** The inspection date of a facility in a round (the facility's own day of the year), ISO. */
export function inspectionDate(facility: SyntheticFacility, year: number): string {
  return new Date(Date.UTC(year, 0, facility.inspectionDayOfYear)).toISOString().slice(0, 10);
}

/**
 * The report number (số biên bản) of a facility's inspection in a round: one per facility and round, written on
 * the facility row and on each of its children's rows. (The generator draws a number per child row; a workbook
 * needs the facility's, so the drop uses this one on both sheets. No mapped child field depends on it.)
 */
export function reportNumber(facility: SyntheticFacility, year: number): string {
  const index = syntheticFacilities().indexOf(facility);
  return `${String(index + 1).padStart(2, '0')}/${year}/BB-KT`;
}

function inspectingUnit(facility: SyntheticFacility): string {
  return facility.kind.startsWith('RELIGIOUS') ? 'Sở Dân tộc và Tôn giáo Hà Nội' : 'Sở Y tế Hà Nội';
}

function findings(facility: SyntheticFacility, children: number): string {
  const over = children > facility.capacity ? ' Số trẻ vượt công suất được phép.' : '';
  switch (facility.kind) {
    case 'RELIGIOUS_UNLICENSED':
      return children > 0
        ? `Cơ sở tôn giáo nuôi dưỡng ${children} trẻ em khi chưa được cấp phép hoặc đăng ký. Yêu cầu dừng tiếp nhận trẻ; UBND xã phối hợp đưa trẻ đến cơ sở trợ giúp xã hội.`
        : 'Không phát hiện trẻ em được nuôi dưỡng tại cơ sở.';
    case 'RELIGIOUS_REGISTERED':
      return `Cơ sở đã đăng ký hoạt động nuôi dưỡng trẻ em; đề nghị hoàn thiện hồ sơ trẻ và đăng ký khai sinh cho trẻ chưa có số định danh.${over}`;
    default:
      return `Cơ sở hoạt động đúng giấy phép; cơ bản bảo đảm điều kiện chăm sóc trẻ em.${over}`;
  }
}

/** One facility row of sheet "Cơ sở", in {@link FACILITY_HEADERS} order. */
export function facilityRow(facility: SyntheticFacility, year: number, childrenPresent: number): XlsxCell[] {
  return [
    facility.code,
    facility.name,
    facility.kindLabel,
    communeByCode(facility.communeCode)?.communeName ?? null,
    facility.communeCode,
    facility.licence,
    facility.capacity,
    excelDate(inspectionDate(facility, year)),
    reportNumber(facility, year),
    inspectingUnit(facility),
    findings(facility, childrenPresent),
    childrenPresent,
  ];
}

/** One child row of sheet "Trẻ em", in {@link CHILD_HEADERS} order (`stt`: the row's number in its facility's list). */
export function childRow(externalId: string, raw: FacilityInspectionRow, facility: SyntheticFacility, year: number, stt: number): XlsxCell[] {
  const child = raw.tre_em;
  const date = (dmy: string | null): Date | null => {
    const iso = dmy ? fromDmy(dmy) : null;
    return iso ? excelDate(iso) : null;
  };
  return [
    stt,
    externalId,
    raw.ma_co_so,
    raw.ten_co_so,
    raw.ma_xa_co_so,
    date(raw.dot_kiem_tra.ngay_kiem_tra),
    reportNumber(facility, year),
    child.ho_ten,
    date(child.ngay_sinh),
    child.nam_sinh,
    child.gioi_tinh,
    child.so_dinh_danh,
    child.hoan_canh,
    child.khuyet_tat ? 'Có' : 'Không',
    date(child.ngay_tiep_nhan),
  ];
}

interface ChildEntry {
  externalId: string;
  raw: FacilityInspectionRow;
}

/**
 * Writes one inspection workbook per round. The children of a round are gathered first (a few per thousand
 * children of the population, so memory stays small), because sheet "Cơ sở" counts them and comes first; the
 * workbooks themselves are streamed.
 */
export async function writeFacilityInspectionDrop(options: FacilityInspectionDropOptions): Promise<FacilityInspectionDrop> {
  const { dir, seed = 1, count = 5000, year, brokenRows = 0, newRecords = 0 } = options;
  if (!Number.isInteger(newRecords) || newRecords < 0) throw new RangeError('newRecords must be a non-negative integer');
  const rounds: readonly number[] = FACILITY_INSPECTION_RATES.inspectionYears;
  if (year !== undefined && !rounds.includes(year)) {
    throw new RangeError(`year must be one of the inspection rounds ${rounds.join(', ')}`);
  }
  const years = year === undefined ? rounds : [year];
  await mkdir(dir, { recursive: true });

  const byRound = new Map<number, Map<string, ChildEntry[]>>(years.map((y) => [y, new Map()]));
  const roundOf = (raw: FacilityInspectionRow) => byRound.get(Number(fromDmy(raw.dot_kiem_tra.ngay_kiem_tra)!.slice(0, 4)));
  const added = new NewSourceRecords(seed, count, 'facility-inspection').take(newRecords, (r) => roundOf(r.record.raw as FacilityInspectionRow) !== undefined);
  for (const { record } of [...generateSourceRecords({ seed, count, sources: ['facility-inspection'] }), ...added]) {
    const raw = record.raw as FacilityInspectionRow;
    const round = roundOf(raw);
    if (!round) continue;
    const list = round.get(raw.ma_co_so) ?? [];
    list.push({ externalId: record.externalId, raw });
    round.set(raw.ma_co_so, list);
  }

  const files: FacilityInspectionFile[] = [];
  for (const y of years) {
    const round = byRound.get(y)!;
    // A facility whose inspection date is past the end of the simulation has not been inspected yet that round.
    const facilities = syntheticFacilities().filter((f) => inspectionDate(f, y) <= LAST_DAY);
    const path = join(dir, `kiem-tra-co-so-${y}.xlsx`);
    const wb = openWorkbook(path, 'Đoàn kiểm tra liên ngành');

    const facilitySheet = addHeaderSheet(wb, FACILITY_SHEET, FACILITY_HEADERS);
    for (const f of facilities) addXlsxRow(facilitySheet, facilityRow(f, y, round.get(f.code)?.length ?? 0));
    facilitySheet.commit();

    const total = facilities.reduce((n, f) => n + (round.get(f.code)?.length ?? 0), 0);
    const broken = new Set(brokenRowIndexes(total, brokenRows));
    const brokenLines: number[] = [];
    const childSheet = addHeaderSheet(wb, CHILD_SHEET, CHILD_HEADERS);
    let written = 0;
    for (const f of facilities) {
      const list = round.get(f.code) ?? [];
      for (let i = 0; i < list.length; i++) {
        const { externalId, raw } = list[i]!;
        const cells = childRow(externalId, raw, f, y, i + 1);
        if (broken.has(written)) {
          const birthYear = raw.tre_em.nam_sinh ?? Number(raw.tre_em.ngay_sinh!.slice(6));
          cells[BIRTH_DATE] = `khoảng ${birthYear}`;
          cells[BIRTH_YEAR] = null;
          brokenLines.push(written + 2);
        }
        addXlsxRow(childSheet, cells);
        written++;
      }
    }
    childSheet.commit();
    await wb.commit();
    files.push({ path, rows: written, kind: 'facility-inspection', brokenRows: brokenLines, year: y, facilityRows: facilities.length });
  }
  return { files, added: { ids: added.map((a) => a.record.externalId), truthIds: added.map((a) => a.child.truthId) } };
}

