import type { CommuneCodeSet } from '../../domain/source-record-input.js';
import { foldName } from '../../domain/vietnamese-name.js';
import { fileLabel } from '../file/file-label.js';
import { HANOI_PROVINCE_CODE, communeByCode, communes2025, resolveCommuneByName } from '../../reference/admin-units.js';
import { CommuneValue } from './parsed-values.js';
import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

export interface CommuneParseOptions {
  /**
   * Which code list the source's codes come from. Without it a code is read as a 2025 code when the 2025 list
   * has it, else as a pre-2025 code. `VN-PRE2025` is for old exports: 2025 codes reuse predecessor codes, so an
   * old code can look like a valid 2025 one.
   */
  codeSet?: CommuneCodeSet;
}

/** A commune the mapping could not resolve to a 2025 commune: a pre-2025 code kept as given, or a name not found. */
export const COMMUNE_UNRESOLVED = 'COMMUNE_UNRESOLVED';
/** A commune code in no list the hub has (`99999`): kept as given, with no code set. */
export const COMMUNE_CODE_UNKNOWN = 'COMMUNE_CODE_UNKNOWN';
/**
 * A commune resolved by its name from an address written before 1 July 2025 (it names a district): the 2025
 * commune of that name and type may not be where the old one was, as no table of the old units is bundled.
 */
export const COMMUNE_FROM_OLD_ADDRESS = 'COMMUNE_FROM_OLD_ADDRESS';

const SHORT_CODE = /^\d{1,5}$/;
const HAS_LETTER = /\p{L}/u;
const NAME_CACHE_LIMIT = 20_000;

export type CommuneParser = (v: unknown) => CommuneValue | ParseFailure | undefined;

/**
 * Compiles `parse: commune`: a 5-digit code (a shorter one, as a spreadsheet prints `00097`, is padded), or a
 * commune name (`Phường Ba Đình`, `ba dinh`, `P. Ba Đình, Thành phố Hà Nội`) looked up among Hà Nội's communes,
 * or another province's when the text names it after a comma (`Phường Sài Gòn, Thành phố Hồ Chí Minh`). Never
 * anywhere: QA's `Xã Vân Canh`, a Hà Nội commune merged away in 2025, became Gia Lai's Vân Canh, and its child
 * no Hà Nội officer's. What cannot be resolved is not an error, and is flagged:
 * - a code of a source whose codes are pre-2025 (`codeSet: VN-PRE2025`) is kept as given with that code set,
 *   `COMMUNE_UNRESOLVED` (no pre-2025 → 2025 table is bundled yet, so it is always kept so);
 * - any other code missing from the 2025 list is kept as given with no code set, `COMMUNE_CODE_UNKNOWN`: no
 *   pre-2025 list is bundled either, so the hub cannot tell an old code from a typing slip (`99999`), and
 *   calling it pre-2025 would be a guess. A source that sends old codes says so with `codeSet: VN-PRE2025`;
 * - a name not found (or not unique) is dropped, `COMMUNE_UNRESOLVED`;
 * - a name from an address that names a pre-2025 district resolves only to a commune of the type that district
 *   held, and is flagged `COMMUNE_FROM_OLD_ADDRESS` when it does (see {@link resolveOldAddress}).
 */
export function compileCommuneParser(options: CommuneParseOptions = {}): CommuneParser {
  const byName = new Map<string, CommuneValue>();
  const fromCode = (code: string): CommuneValue => {
    if (options.codeSet === 'VN-PRE2025') {
      return new CommuneValue(code, 'VN-PRE2025', 'pre-2025 commune code kept as given (no mapping to the 2025 communes is available)');
    }
    if (communeByCode(code)) return new CommuneValue(code, 'VN-2025');
    return new CommuneValue(code, null, 'commune code not in the 2025 list (nor known as a pre-2025 code: no list of those is bundled); kept as given', COMMUNE_CODE_UNKNOWN);
  };
  const fail = (v: unknown) => new ParseFailure('INVALID_COMMUNE', `expected a commune code of up to 5 digits or a commune name; got ${describeValue(v)}`);

  return (v) => {
    if (v === undefined || v === null) return undefined;
    if (v instanceof CommuneValue) return v;
    if (typeof v === 'number') {
      return Number.isInteger(v) && v >= 0 && v <= 99_999 ? fromCode(String(v).padStart(5, '0')) : fail(v);
    }
    if (typeof v !== 'string') return fail(v);
    const t = v.trim();
    if (t === '') return undefined;
    if (SHORT_CODE.test(t)) return fromCode(t.length === 5 ? t : t.padStart(5, '0'));
    if (!HAS_LETTER.test(t)) return fail(v);
    let hit = byName.get(t);
    if (!hit) {
      hit = resolveName(t);
      if (byName.size >= NAME_CACHE_LIMIT) byName.clear();
      byName.set(t, hit);
    }
    return hit;
  };
}

function resolveName(name: string): CommuneValue {
  const parts = name.split(',').map((p) => p.trim()).filter((p) => p !== '');
  // The flag says what the source gave, so a steward can see what to correct (QA: "not found" named nothing): a
  // commune's, district's and province's names are no one's personal data. Text with digits or longer than such
  // names is not repeated: it may hold a house address (`Số 12 ngõ 5, …`), and flags are BASIC data.
  // Nor is text that reads as a person's name, with no place's type before it (QA: a column shifted by one put a
  // parent's name, `Trần Thị Mai`, in the commune's place, and the flag repeated it); `Xã Thanh Xuân` is a place's.
  const given = /\d/.test(name) || name.length > 100 ? '(not repeated here: it holds digits or is long, as a house address is)'
    : readsAsPersonsName(parts) ? '(not repeated here: it reads as a person\'s name, as a column shifted by one would put there)' : `"${name}"`;
  // "Phường Ba Đình, Thành phố Hà Nội": the commune is the first part of an address, its province a later part
  // (the parts between may be a pre-2025 district: "Xã Vân Canh, Huyện Hoài Đức, Hà Nội"). A later part that is
  // neither a 2025 province nor a district's or commune's name leaves the commune unresolved: a pre-2025
  // province ("Tỉnh Hà Nam"), an abbreviation ("TP HCM") or two provinces named it elsewhere than Hà Nội, and
  // Hà Nội has communes of the same name as theirs (QA).
  const named = new Set<string>();
  let district: string | null = null;
  for (const part of parts.slice(1)) {
    const province = provinceNamed(part);
    if (province) {
      named.add(province);
      continue;
    }
    const folded = foldName(part);
    if (!SUB_PROVINCE.test(folded)) {
      return new CommuneValue(null, null, `commune name ${given} not resolved: the address names a place that is neither a province of the 2025 list nor written as a district or commune ("Huyện …", "Quận …", "Phường …"): a district without its type, a pre-2025 province, an abbreviation? A province written as the 2025 list has it ("Tỉnh Phú Thọ", "Thành phố Hồ Chí Minh") resolves`);
    }
    district ??= districtType(folded) === undefined ? null : part;
  }
  if (named.size > 1) return new CommuneValue(null, null, `commune name ${given} not resolved: the address names more than one province`);
  const province = named.size === 1 ? [...named][0]! : HANOI_PROVINCE_CODE;
  const where = province === HANOI_PROVINCE_CODE ? "Hà Nội's" : `${provinceNames().get(province)}'s`;
  if (district !== null) return resolveOldAddress(parts[0]!, district, province, given, where);
  for (const candidate of parts.length > 1 ? [name, parts[0]!] : [name]) {
    const unit = resolveCommuneByName(candidate, province);
    if (unit) return new CommuneValue(unit.communeCode, 'VN-2025');
  }
  return new CommuneValue(null, null, `commune name ${given} not found, or not unique, among ${where} 2025 communes`);
}

/**
 * A commune of an address that names a district (`Hồng Hà, Huyện Đan Phượng`): written before 1 July 2025, when
 * districts were abolished, so its commune name is a pre-2025 one. Matched by name alone it can be another
 * place: QA's `Hồng Hà, Huyện Đan Phượng` (a commune of that district) became central Hà Nội's Phường Hồng Hà, and
 * `Chương Dương, Quận Hoàn Kiếm` (a ward) Thường Tín's Xã Chương Dương, with nothing said. So the commune's type
 * must agree with the district's: a ward (phường) under a `Quận`, a commune (xã) under a `Huyện` (a town, thị
 * trấn, is no 2025 type), either under a `Thị xã` only when written. What resolves so is still flagged
 * `COMMUNE_FROM_OLD_ADDRESS`: no table of the old units is bundled, so the hub cannot tell that the 2025 unit of
 * that name is where the old one was.
 */
function resolveOldAddress(commune: string, district: string, province: string, given: string, where: string): CommuneValue {
  const implied = districtType(foldName(district)) ?? null;
  const typed = communeTypeWritten(commune);
  // No type (a thị xã's unit written without one), a thị trấn, or a type the district did not hold: no match.
  const type = typed === undefined ? implied : implied !== null && typed !== implied ? null : typed;
  const unit = type === null ? null : resolveCommuneByName(typed === undefined ? `${type === 'phường' ? 'Phường' : 'Xã'} ${commune}` : commune, province);
  if (!unit) {
    return new CommuneValue(null, null, `commune name ${given} not resolved: the address names a district (${district}), so it was written before the 2025 reorganisation, and no 2025 commune of ${where} has that name and type; give the commune's 2025 code or name`);
  }
  return new CommuneValue(
    unit.communeCode, 'VN-2025',
    `commune name ${given} resolved by its name to ${unit.communeName}: the address names a district (${district}), so it was written before the 2025 reorganisation, and the 2025 commune of that name may not be where the old one was; check`,
    COMMUNE_FROM_OLD_ADDRESS,
  );
}

/** The commune type a pre-2025 district held (folded part): `phường` under a quận, `xã` under a huyện; null for a thị xã (either); undefined for no district. */
function districtType(folded: string): 'phường' | 'xã' | null | undefined {
  if (/^quan(\s|$)|^q\./.test(folded)) return 'phường';
  if (/^huyen(\s|$)|^h\./.test(folded)) return 'xã';
  if (/^(thi xa|tx)(\s|$)|^tx\./.test(folded)) return null;
  return undefined;
}

/** The type word a commune's name starts with (`Phường …`, `P. …`, `Xã …`, `X. …`), null for a thị trấn; undefined when none. */
function communeTypeWritten(commune: string): 'phường' | 'xã' | null | undefined {
  const folded = foldName(commune);
  if (/^phuong(\s|$)|^p\./.test(folded)) return 'phường';
  if (/^xa(\s|$)|^x\./.test(folded)) return 'xã';
  if (/^(thi tran|tt)(\s|$)|^tt\./.test(folded)) return null;
  return undefined;
}

/**
 * A part of an address below a province, or the country, read past (folded): a pre-2025 district (`Quận`, `Huyện`,
 * `Thị xã`, `Q.`, `H.`, `TX`), a commune or town (`Phường`, `Xã`, `Thị trấn`), or `Việt Nam`.
 */
/**
 * `name` reads as a person's name: its first part (where the commune stands) has three words or more (a family, middle
 * and given name: two are as often a commune's without its type, `Tân Triều`), the file-name rules withhold it, and it
 * is not written as a place (`Xã …`). A province after it does not make it a place (QA re-check: `Trần Thị Mai, Hà Nội`
 * was repeated). A place named after a person and written without its type (`Trần Hưng Đạo`) reads as a name too.
 */
function readsAsPersonsName(parts: readonly string[]): boolean {
  const first = parts[0] ?? '';
  if (first.split(/\s+/).length < 3 || fileLabel(first) === first) return false;
  const folded = foldName(first);
  return !SUB_PROVINCE.test(folded) && !PROVINCE_TYPE.test(folded) && provinceNamed(first) === null;
}

const SUB_PROVINCE = /^(quan|huyen|thi xa|thi tran|phuong|xa|tx|tt)(\s|$)|^(q|h|tx|tt|p|x)\.|^(viet ?nam|vn)$/;
/** Leading words of a province's name that a text may write or leave out (`Tỉnh`, `Thành phố`, `TP.`). */
const PROVINCE_TYPE = /^(tinh|thanh pho|tp\.?|t\.)\s*/;
let provinceIndex: Map<string, string> | null = null;
let provinceNameIndex: Map<string, string> | null = null;

function provinceNames(): Map<string, string> {
  if (!provinceNameIndex) {
    provinceNameIndex = new Map();
    for (const u of communes2025()) provinceNameIndex.set(u.provinceCode, u.provinceName);
  }
  return provinceNameIndex;
}

/** The 2-digit code of the province a text names (`Thành phố Hà Nội`, `ha noi`, `Tỉnh Gia Lai`), or null. */
export function provinceNamed(text: string): string | null {
  if (!provinceIndex) {
    provinceIndex = new Map();
    for (const [code, name] of provinceNames()) provinceIndex.set(foldName(name).replace(PROVINCE_TYPE, ''), code);
  }
  return provinceIndex.get(foldName(text).replace(PROVINCE_TYPE, '')) ?? null;
}
