import { column, readReferenceCsv } from './csv.js';

/** One of the 63 legacy province codes used as digits 1–3 of the personal identification number. */
export interface IdProvinceCode {
  /** 3 digits, e.g. `001`. */
  readonly code: string;
  /** Short name as in Circular 07/2016/TT-BCA, e.g. `Hà Nội`, `Hồ Chí Minh`. */
  readonly provinceName: string;
}

/** How a legacy ID province code relates to the pre-2025 province and the 2025 province it merged into. */
export interface IdProvinceMerge {
  readonly idCode: string;
  readonly pre2025ProvinceCode: string;
  readonly pre2025ProvinceName: string;
  readonly provinceCode2025: string;
  readonly provinceName2025: string;
}

let codes: { list: readonly IdProvinceCode[]; byCode: ReadonlyMap<string, IdProvinceCode> } | undefined;
let merges: readonly IdProvinceMerge[] | undefined;

function loadCodes(): NonNullable<typeof codes> {
  if (codes) return codes;
  const list = readReferenceCsv('id-province-codes.csv').map((row) =>
    Object.freeze({ code: column(row, 'code'), provinceName: column(row, 'province_name') }),
  );
  codes = { list: Object.freeze(list), byCode: new Map(list.map((c) => [c.code, c])) };
  return codes;
}

/** The 63 legacy codes (province where the birth was registered), sorted by code. */
export function idProvinceCodes(): readonly IdProvinceCode[] {
  return loadCodes().list;
}

/** The province name for a 3-digit code, or null when the code is not one of the 63. */
export function idProvinceName(code: string): string | null {
  return loadCodes().byCode.get(code)?.provinceName ?? null;
}

/** Whether `code` is one of the 63 legacy 3-digit province codes. All 63 stay valid after the 2025 merger. */
export function isKnownIdProvinceCode(code: string): boolean {
  return loadCodes().byCode.has(code);
}

/**
 * ID code → pre-2025 province → 2025 province (Resolution 202/2025/QH15). For reporting only: the prefix is
 * where a birth was registered, so it must not be used to infer where a child lives now.
 */
export function idProvinceMerges(): readonly IdProvinceMerge[] {
  if (merges) return merges;
  merges = Object.freeze(
    readReferenceCsv('province-merge-2025.csv').map((row) =>
      Object.freeze({
        idCode: column(row, 'id_code'),
        pre2025ProvinceCode: column(row, 'pre2025_province_code'),
        pre2025ProvinceName: column(row, 'pre2025_province_name'),
        provinceCode2025: column(row, 'province_code_2025'),
        provinceName2025: column(row, 'province_name_2025'),
      }),
    ),
  );
  return merges;
}
