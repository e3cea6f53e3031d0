/**
 * Civil-status registers kept by commune People's Committees and the Department of Justice: birth
 * registrations (sổ đăng ký khai sinh) and adoption registrations (sổ đăng ký nuôi con nuôi). Registry style:
 * upper-case names, often without diacritics, dates as dd/MM/yyyy.
 */
import { makeIdentityNumber } from '../../domain/identity-number.js';
import type { SourceRecordInput } from '../../domain/source-record-input.js';
import { communeByCode } from '../../reference/admin-units.js';
import { LAST_DAY, addDays, fromDmy, toDmy, toDayNumber } from '../calendar.js';
import type { SyntheticChild } from '../population.js';
import type { Random } from '../random.js';
import { otherHanoiCommune, stripDiacritics, type Variation } from '../variations.js';
import { scrambledId } from './external-ids.js';
import { mapName, mapNumber, mapPersonName, renderBirthDate, renderName, renderNumber, sexFromLabel, sexLabel, type SourceView } from './source-view.js';

/** How often each thing happens in the civil-status registers. */
export const JUSTICE_REGISTER_RATES = {
  /** Registry names are upper case; this share also lost their diacritics. */
  name: { upperCase: 1, noDiacritics: 0.3, typo: 0.005 },
  /** Registrations from 2016 on carry the number; most earlier ones were never updated with it. */
  number: { missing: 0.02, wrongDigit: 0.002, formatted: 0 },
  numberMissingBefore2016: 0.8,
  dayMonthSwapped: 0.002,
  /** Registered in another commune than where the child lives now (moved since). */
  communeDifferent: 0.1,
  /** Registration delay after birth: most within the 60 days the law allows, some late. */
  lateRegistration: 0.12,
  veryLateRegistration: 0.03,
} as const;

/** The raw payload of a birth registration. */
export type BirthRegistration = {
  LOAI_SO: 'KHAI_SINH';
  SO_DANG_KY: string;
  QUYEN_SO: string;
  NGAY_DANG_KY: string;
  NOI_DANG_KY: string;
  MA_XA_DANG_KY: string;
  HO_TEN: string;
  NGAY_SINH: string;
  GIOI_TINH: 'Nam' | 'Nữ';
  DAN_TOC: string;
  QUOC_TICH: string;
  SO_DINH_DANH: string;
  HO_TEN_CHA: string;
  HO_TEN_ME: string;
  NGUOI_DI_KHAI: string;
  QUAN_HE_NGUOI_DI_KHAI: string;
  GHI_CHU: string;
};

/** The raw payload of an adoption registration. */
export type AdoptionRegistration = {
  LOAI_SO: 'NUOI_CON_NUOI';
  SO_DANG_KY: string;
  QUYEN_SO: string;
  NGAY_DANG_KY: string;
  NOI_DANG_KY: string;
  MA_XA_DANG_KY: string;
  SO_GIAY_CHUNG_NHAN: string;
  HO_TEN_CON_NUOI: string;
  NGAY_SINH_CON_NUOI: string;
  GIOI_TINH_CON_NUOI: 'Nam' | 'Nữ';
  SO_DINH_DANH_CON_NUOI: string;
  /** Hoàn cảnh of the child before adoption. */
  HOAN_CANH_CON_NUOI: string;
  HO_TEN_CHA_NUOI: string;
  SO_DINH_DANH_CHA_NUOI: string;
  HO_TEN_ME_NUOI: string;
  SO_DINH_DANH_ME_NUOI: string;
  NGUOI_GIAO_CON_NUOI: string;
  /** A child aged 9 or more must consent. */
  CON_NUOI_DONG_Y: 'Có' | 'Không áp dụng';
};

type MappedFields = Omit<SourceRecordInput, 'sourceSystem' | 'externalId' | 'raw'>;

const ABANDONED_NOTE = 'Trẻ bị bỏ rơi';

/** `Quan hệ với người được khai sinh` when a care facility declares the birth (the declarant is then the facility). */
const FACILITY_DECLARANT = 'Cơ sở nuôi dưỡng';

const SITUATION_LABEL = { b: 'Trẻ bị bỏ rơi', a: 'Mồ côi cả cha và mẹ', c: 'Không nơi nương tựa' } as const;

/** The declarant as a mapping keeps it: a care facility's name as written, a person's name in canonical form. */
export function declarantOf(raw: BirthRegistration): string | null {
  if (raw.QUAN_HE_NGUOI_DI_KHAI === FACILITY_DECLARANT) return raw.NGUOI_DI_KHAI.trim() || null;
  return mapPersonName(raw.NGUOI_DI_KHAI);
}

/** What the justice connector's mapping produces from a birth registration. */
export function mapBirthRegistration(raw: BirthRegistration): MappedFields {
  const abandoned = raw.GHI_CHU.includes(ABANDONED_NOTE);
  return {
    ...mapName(raw.HO_TEN),
    sex: sexFromLabel(raw.GIOI_TINH),
    birthDate: fromDmy(raw.NGAY_SINH),
    birthDatePrecision: 'DAY',
    birthDateEstimated: abandoned,
    communeCode: raw.MA_XA_DANG_KY || null,
    communeCodeSet: raw.MA_XA_DANG_KY ? 'VN-2025' : null,
    fatherName: mapPersonName(raw.HO_TEN_CHA),
    motherName: mapPersonName(raw.HO_TEN_ME),
    carerName: abandoned ? declarantOf(raw) : null,
    identityNumber: mapNumber(raw.SO_DINH_DANH),
    sourceUpdatedAt: `${fromDmy(raw.NGAY_DANG_KY)}T00:00:00+07:00`,
    groups: abandoned ? [{ clause: 'b', since: fromDmy(raw.NGAY_SINH) }] : [],
  };
}

/** What the justice connector's mapping produces from an adoption registration. */
export function mapAdoptionRegistration(raw: AdoptionRegistration): MappedFields {
  const clause = (Object.keys(SITUATION_LABEL) as Array<keyof typeof SITUATION_LABEL>).find(
    (k) => SITUATION_LABEL[k] === raw.HOAN_CANH_CON_NUOI,
  );
  return {
    ...mapName(raw.HO_TEN_CON_NUOI),
    sex: sexFromLabel(raw.GIOI_TINH_CON_NUOI),
    birthDate: fromDmy(raw.NGAY_SINH_CON_NUOI),
    birthDatePrecision: 'DAY',
    birthDateEstimated: clause === 'b',
    communeCode: raw.MA_XA_DANG_KY || null,
    communeCodeSet: raw.MA_XA_DANG_KY ? 'VN-2025' : null,
    // After adoption the adoptive parents are the legal representatives.
    carerName: mapPersonName(raw.HO_TEN_ME_NUOI) ?? mapPersonName(raw.HO_TEN_CHA_NUOI),
    identityNumber: mapNumber(raw.SO_DINH_DANH_CON_NUOI),
    sourceUpdatedAt: `${fromDmy(raw.NGAY_DANG_KY)}T00:00:00+07:00`,
    // The circumstance before the adoption, ended by it.
    groups: clause ? [{ clause, until: fromDmy(raw.NGAY_DANG_KY) }] : [],
  };
}

/**
 * How a civil-status book writes the child's name: always upper case, sometimes without diacritics
 * (then every name on the record is), sometimes with a typo.
 */
function registryName(fullName: string, rnd: Random, variations: Variation[]): { stripped: boolean; rawName: string } {
  const R = JUSTICE_REGISTER_RATES;
  const stripped = rnd.chance(R.name.noDiacritics);
  const rawName = renderName(fullName, { typo: R.name.typo }, rnd, variations);
  if (stripped) variations.push('NO_DIACRITICS');
  variations.push('UPPER_CASE');
  return { stripped, rawName };
}

/** Registry style: upper case, and without diacritics when `stripped`; '' for no name. */
function registryUpper(name: string | null, stripped: boolean): string {
  if (!name) return '';
  const upper = name.toUpperCase();
  return stripped ? stripDiacritics(upper) : upper;
}

function officeName(communeCode: string): string {
  return `UBND ${communeByCode(communeCode)?.communeName ?? communeCode}`;
}

function registrationDate(child: SyntheticChild, rnd: Random): string {
  const R = JUSTICE_REGISTER_RATES;
  // An abandoned child is registered after the 7-day notice by the carer.
  if (child.abandoned) return addDays(child.birthDate, rnd.int(8, 40));
  const u = rnd.next();
  if (u < R.veryLateRegistration) return addDays(child.birthDate, rnd.int(366, 5 * 365));
  if (u < R.veryLateRegistration + R.lateRegistration) return addDays(child.birthDate, rnd.int(61, 365));
  return addDays(child.birthDate, rnd.int(3, 60));
}

function birthRegistration(child: SyntheticChild, rnd: Random): SourceView | null {
  const R = JUSTICE_REGISTER_RATES;
  // No number means no registered birth for an abandoned child (the number is issued on registration).
  if (child.abandoned && child.identityNumber === null) return null;
  const registered = registrationDate(child, rnd);
  if (registered > LAST_DAY) return null;

  const variations: Variation[] = [];
  const { stripped, rawName } = registryName(child.fullName, rnd, variations);
  const before2016 = registered < '2016-01-01';
  const number = renderNumber(
    child.identityNumber,
    { ...R.number, missing: before2016 ? R.numberMissingBefore2016 : R.number.missing },
    rnd,
    variations,
  );
  const birthDate = renderBirthDate(child.birthDate, R.dayMonthSwapped, rnd, variations);
  // The birth was registered where the child lived then: an adopted child has moved to its family since.
  const communeCode = renderCommuneThen(child.adoption?.previousCommuneCode ?? child.communeCode, child.communeCode, rnd.chance(R.communeDifferent), rnd, variations);
  const declarant = child.abandoned ? (child.adoption?.previousCarerName ?? child.carerName) : rnd.chance(0.6) ? child.fatherName : child.motherName;
  const relation = child.abandoned
    ? child.facilityCode
      ? FACILITY_DECLARANT
      : 'Người nhận nuôi dưỡng tạm thời'
    : declarant === child.fatherName
      ? 'Cha'
      : 'Mẹ';
  const raw: BirthRegistration = {
    LOAI_SO: 'KHAI_SINH',
    SO_DANG_KY: String(rnd.int(1, 2400)),
    QUYEN_SO: `${String(rnd.int(1, 3)).padStart(2, '0')}/${registered.slice(0, 4)}`,
    NGAY_DANG_KY: toDmy(registered),
    NOI_DANG_KY: officeName(communeCode),
    MA_XA_DANG_KY: communeCode,
    HO_TEN: registryUpper(rawName, stripped),
    NGAY_SINH: toDmy(birthDate),
    GIOI_TINH: sexLabel(child.sex),
    DAN_TOC: child.ethnicity ?? '',
    QUOC_TICH: 'Việt Nam',
    SO_DINH_DANH: number,
    HO_TEN_CHA: registryUpper(child.fatherName, stripped),
    HO_TEN_ME: registryUpper(child.motherName, stripped),
    NGUOI_DI_KHAI: registryUpper(declarant, stripped),
    QUAN_HE_NGUOI_DI_KHAI: relation,
    GHI_CHU: child.abandoned ? ABANDONED_NOTE : '',
  };
  const externalId = `KS${scrambledId('justice-register/birth', child.index)}`;
  return { record: { sourceSystem: 'justice-register', externalId, raw, ...mapBirthRegistration(raw) }, variations };
}

function adultNumber(rnd: Random, sex: 'MALE' | 'FEMALE'): string {
  return makeIdentityNumber({ provinceCode: '001', sex, birthYear: rnd.int(1972, 1996), random6: rnd.int(0, 999_999) });
}

/**
 * The commune a registration names: where the child lived then (`then`), or another one (`moved`: registered
 * elsewhere), against where it lives now (`now`), which a different commune is a variation from.
 */
function renderCommuneThen(then: string, now: string, moved: boolean, rnd: Random, variations: Variation[]): string {
  const code = moved ? otherHanoiCommune(then, rnd) : then;
  if (code !== now) variations.push('COMMUNE_DIFFERENT');
  return code;
}

function adoption(child: SyntheticChild, rnd: Random): SourceView | null {
  const R = JUSTICE_REGISTER_RATES;
  const adopted = child.adoption;
  const situation = child.abandoned ? 'b' : child.groups.includes('a') ? 'a' : child.groups.includes('c') ? 'c' : null;
  if (adopted === null || situation === null || child.identityNumber === null) return null;
  const registered = adopted.registeredOn;

  const variations: Variation[] = [];
  const { stripped, rawName } = registryName(child.fullName, rnd, variations);
  const number = renderNumber(child.identityNumber, { missing: 0, wrongDigit: R.number.wrongDigit, formatted: 0 }, rnd, variations);
  // Registered in the adoptive family's commune, where the child lives now (the law also allows the child's own:
  // Law on Adoption 2010, Art. 9; the register does not say which).
  const communeCode = child.communeCode;
  const ageAtAdoption = (toDayNumber(registered) - toDayNumber(child.birthDate)) / 365.25;
  const raw: AdoptionRegistration = {
    LOAI_SO: 'NUOI_CON_NUOI',
    SO_DANG_KY: String(rnd.int(1, 60)),
    QUYEN_SO: `01/${registered.slice(0, 4)}`,
    NGAY_DANG_KY: toDmy(registered),
    NOI_DANG_KY: officeName(communeCode),
    MA_XA_DANG_KY: communeCode,
    SO_GIAY_CHUNG_NHAN: `${rnd.int(1, 60)}/${registered.slice(0, 4)}/NCN`,
    HO_TEN_CON_NUOI: registryUpper(rawName, stripped),
    NGAY_SINH_CON_NUOI: toDmy(child.birthDate),
    GIOI_TINH_CON_NUOI: sexLabel(child.sex),
    SO_DINH_DANH_CON_NUOI: number,
    HOAN_CANH_CON_NUOI: SITUATION_LABEL[situation],
    HO_TEN_CHA_NUOI: registryUpper(adopted.fatherName, stripped),
    SO_DINH_DANH_CHA_NUOI: adopted.fatherName === null ? '' : adultNumber(rnd, 'MALE'),
    HO_TEN_ME_NUOI: registryUpper(adopted.motherName, stripped),
    SO_DINH_DANH_ME_NUOI: adultNumber(rnd, 'FEMALE'),
    // Whoever looked after the child until then: the facility, a temporary carer or a relative.
    NGUOI_GIAO_CON_NUOI: registryUpper(adopted.previousCarerName, stripped),
    CON_NUOI_DONG_Y: ageAtAdoption >= 9 ? 'Có' : 'Không áp dụng',
  };
  const externalId = `NCN${scrambledId('justice-register/adoption', child.index)}`;
  return { record: { sourceSystem: 'justice-register', externalId, raw, ...mapAdoptionRegistration(raw) }, variations };
}

/** The civil-status records of one child: a birth registration for most, an adoption entry for a few. */
export function justiceRegisterViews(child: SyntheticChild, rnd: Random): SourceView[] {
  const views: SourceView[] = [];
  const birth = birthRegistration(child, rnd);
  if (birth) views.push(birth);
  const adopted = adoption(child, rnd);
  if (adopted) views.push(adopted);
  return views;
}
