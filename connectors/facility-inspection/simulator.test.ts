import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { facilityByCode, syntheticFacilities } from '../../src/sample/facilities.js';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import type { FacilityInspectionRow } from '../../src/sample/sources/facility-inspection.js';
import { CHILD_HEADERS, CHILD_SHEET, FACILITY_HEADERS, FACILITY_SHEET, writeFacilityInspectionDrop } from './simulator.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-facility-drop-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Row = Record<string, unknown>;

/** Each sheet's rows keyed by header (empty cells absent), after checking the header row is exactly `headers`. */
async function readWorkbook(file: string): Promise<{ names: string[]; facilities: Row[]; children: Row[] }> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const sheet = (name: string, headers: readonly string[]): Row[] => {
    const ws = wb.getWorksheet(name)!;
    const rows: Row[] = [];
    ws.eachRow((row, n) => {
      const values = (row.values as unknown[]).slice(1);
      if (n === 1) {
        expect(values).toEqual([...headers]);
        return;
      }
      const record: Row = {};
      headers.forEach((h, i) => {
        if (values[i] !== undefined && values[i] !== null) record[h] = values[i];
      });
      rows.push(record);
    });
    return rows;
  };
  return {
    names: wb.worksheets.map((w) => w.name),
    facilities: sheet(FACILITY_SHEET, FACILITY_HEADERS),
    children: sheet(CHILD_SHEET, CHILD_HEADERS),
  };
}

const iso = (d: unknown): string => {
  expect(d).toBeInstanceOf(Date);
  return (d as Date).toISOString().slice(0, 10);
};
const dmyToIso = (dmy: string): string => `${dmy.slice(6)}-${dmy.slice(3, 5)}-${dmy.slice(0, 2)}`;

function generated(seed: number, count: number): Map<string, FacilityInspectionRow> {
  const out = new Map<string, FacilityInspectionRow>();
  for (const { record } of generateSourceRecords({ seed, count, sources: ['facility-inspection'] })) {
    out.set(record.externalId, record.raw as FacilityInspectionRow);
  }
  return out;
}

describe('writeFacilityInspectionDrop', () => {
  it('writes one workbook per round with sheets "Cơ sở" and "Trẻ em" holding every child the population has in care', async () => {
    const { files } = await writeFacilityInspectionDrop({ dir, seed: 5, count: 20_000 });
    expect(files.map((f) => path.basename(f.path))).toEqual(['kiem-tra-co-so-2024.xlsx', 'kiem-tra-co-so-2025.xlsx', 'kiem-tra-co-so-2026.xlsx']);
    const truth = generated(5, 20_000);
    const seen = new Set<string>();

    for (const file of files) {
      const { names, facilities, children } = await readWorkbook(file.path);
      expect(names).toEqual([FACILITY_SHEET, CHILD_SHEET]);
      expect(file.facilityRows).toBe(facilities.length);
      expect(file.rows).toBe(children.length);
      expect(facilities.map((f) => f['Mã cơ sở'])).toEqual(syntheticFacilities().map((f) => f.code));

      for (const f of facilities) {
        const facility = facilityByCode(f['Mã cơ sở'] as string)!;
        const mine = children.filter((c) => c['Mã cơ sở'] === facility.code);
        expect(f['Số trẻ hiện có']).toBe(mine.length);
        expect(f['Công suất']).toBe(facility.capacity);
        expect(f['Giấy phép/Đăng ký']).toBe(facility.licence ?? undefined);
        expect(f['Loại hình']).toBe(facility.kindLabel);
        expect(f['Mã xã']).toBe(facility.communeCode);
        expect(typeof f['Xã/phường']).toBe('string');
        expect(iso(f['Ngày kiểm tra']).slice(0, 4)).toBe(String(file.year));
        // The children's rows carry their facility's inspection: same date, same report number; STT counts 1, 2, …
        expect(mine.map((c) => c['STT'])).toEqual(mine.map((_, i) => i + 1));
        for (const c of mine) {
          expect(iso(c['Ngày kiểm tra'])).toBe(iso(f['Ngày kiểm tra']));
          expect(c['Số biên bản']).toBe(f['Số biên bản']);
          expect(c['Mã xã']).toBe(facility.communeCode);
          expect(c['Tên cơ sở']).toBe(facility.name);
        }
      }

      for (const c of children) {
        const raw = truth.get(c['Mã phiếu'] as string)!;
        expect(raw).toBeDefined();
        seen.add(c['Mã phiếu'] as string);
        const child = raw.tre_em;
        expect(c['Họ và tên']).toBe(child.ho_ten);
        expect(c['Giới tính']).toBe(child.gioi_tinh);
        expect(c['Hoàn cảnh']).toBe(child.hoan_canh);
        expect(c['Khuyết tật']).toBe(child.khuyet_tat ? 'Có' : 'Không');
        expect(c['Số định danh']).toBe(child.so_dinh_danh ?? undefined);
        expect(iso(c['Ngày kiểm tra'])).toBe(dmyToIso(raw.dot_kiem_tra.ngay_kiem_tra));
        // Dates an inspector types are date cells; a birth year alone is a number.
        if (child.ngay_sinh) expect(iso(c['Ngày sinh'])).toBe(dmyToIso(child.ngay_sinh));
        else expect(c['Ngày sinh']).toBeUndefined();
        expect(c['Năm sinh']).toBe(child.nam_sinh ?? undefined);
        if (child.ngay_tiep_nhan) expect(iso(c['Ngày tiếp nhận'])).toBe(dmyToIso(child.ngay_tiep_nhan));
        else expect(c['Ngày tiếp nhận']).toBeUndefined();
      }
    }
    expect(seen.size).toBe(truth.size);
  });

  it('is deterministic', async () => {
    const a = await writeFacilityInspectionDrop({ dir: path.join(dir, 'a'), seed: 2, count: 8000, brokenRows: 2 });
    const b = await writeFacilityInspectionDrop({ dir: path.join(dir, 'b'), seed: 2, count: 8000, brokenRows: 2 });
    expect(a.files.map(({ path: _, ...rest }) => rest)).toEqual(b.files.map(({ path: _, ...rest }) => rest));
    for (let i = 0; i < a.files.length; i++) {
      expect(await readWorkbook(a.files[i]!.path)).toEqual(await readWorkbook(b.files[i]!.path));
    }
  });

  it('writes one round when asked for a year, and refuses a year without an inspection round', async () => {
    const { files } = await writeFacilityInspectionDrop({ dir, seed: 1, count: 5000, year: 2025 });
    expect(files.map((f) => [path.basename(f.path), f.year])).toEqual([['kiem-tra-co-so-2025.xlsx', 2025]]);
    await expect(writeFacilityInspectionDrop({ dir, year: 2023 })).rejects.toThrow(/inspection rounds/);
  });

  it('writes broken child rows (birth date "khoảng <year>") at the row numbers it returns', async () => {
    const { files } = await writeFacilityInspectionDrop({ dir, seed: 7, count: 20_000, brokenRows: 3 });
    for (const file of files) {
      expect(file.brokenRows).toHaveLength(3);
      const { children } = await readWorkbook(file.path);
      children.forEach((c, i) => {
        const broken = file.brokenRows.includes(i + 2);
        if (broken) {
          expect(c['Ngày sinh']).toMatch(/^khoảng \d{4}$/);
          expect(c['Năm sinh']).toBeUndefined();
        } else if (c['Ngày sinh'] !== undefined) {
          expect(c['Ngày sinh']).toBeInstanceOf(Date);
        }
      });
    }
  });

  it('writes a revised report listing children found in care since: the population\'s next children, counted on their facility', async () => {
    const first = await writeFacilityInspectionDrop({ dir: path.join(dir, 'a'), seed: 1, count: 5000 });
    const revised = await writeFacilityInspectionDrop({ dir: path.join(dir, 'b'), seed: 1, count: 5000, newRecords: 6 });
    expect(first.added).toEqual({ ids: [], truthIds: [] });
    // The rows of the children after the population's, as a larger population holds them.
    const later = [...generateSourceRecords({ seed: 1, count: 8000, sources: ['facility-inspection'], start: 5000 })].slice(0, 6);
    expect(revised.added).toEqual({ ids: later.map((l) => l.record.externalId), truthIds: later.map((l) => l.truthId) });
    const rowsOf = async (files: typeof first.files) => (await Promise.all(files.map((f) => readWorkbook(f.path))));
    const before = await rowsOf(first.files);
    const after = await rowsOf(revised.files);
    const ids = (books: typeof before) => books.flatMap((b) => b.children.map((c) => c['Mã phiếu'] as string));
    expect(ids(after).sort()).toEqual([...ids(before), ...revised.added.ids].sort());
    expect(revised.files.reduce((n, f) => n + f.rows, 0)).toBe(first.files.reduce((n, f) => n + f.rows, 0) + 6);
    for (const [i, book] of after.entries()) {
      for (const f of book.facilities) {
        const listed = book.children.filter((c) => c['Mã cơ sở'] === f['Mã cơ sở']).length;
        expect(f['Số trẻ hiện có'] ?? 0).toBe(listed);
      }
      // Every earlier row is still there as it was (a new child comes last in its facility's list).
      for (const row of before[i]!.children) expect(book.children).toContainEqual(row);
    }
    const oneRound = await writeFacilityInspectionDrop({ dir: path.join(dir, 'c'), seed: 1, count: 5000, year: 2026, newRecords: 2 });
    expect(oneRound.added.ids).toHaveLength(2);
    for (const id of oneRound.added.ids) expect(id).toMatch(/^KT-.+-2026-/);
    await expect(writeFacilityInspectionDrop({ dir, newRecords: -1 })).rejects.toThrow(RangeError);
  });
});
