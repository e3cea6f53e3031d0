/**
 * Schools and the education-sector database (CSDL ngành giáo dục, TT 42/2021): one enrolment row per pupil
 * for school year 2026–2027, keyed by the education student code, which never changes. The personal number
 * is a separate attribute and often still empty.
 */
import type { SourceRecordInput } from '../../domain/source-record-input.js';
import { communeByCode } from '../../reference/admin-units.js';
import { LAST_DAY, addDays, fromDmy, localTimestamp, toDmy } from '../calendar.js';
import type { SyntheticChild } from '../population.js';
import type { Random } from '../random.js';
import type { Variation } from '../variations.js';
import { scrambledId } from './external-ids.js';
import { mapName, mapNumber, mapPersonName, renderBirthDate, renderCommune, renderName, renderNumber, sexFromLabel, sexLabel, type SourceView } from './source-view.js';

/** How often each thing happens in school records. */
export const SCHOOL_RATES = {
  /** Enrolment by level: preschool (the three years before grade 1), grades 1–12. */
  coverage: { preschool: 0.6, school: 0.96 },
  name: { upperCase: 0.05, noDiacritics: 0.03, typo: 0.015, swapped: 0.005 },
  number: { missing: 0.15, wrongDigit: 0.01, formatted: 0.01 },
  dayMonthSwapped: 0.01,
  communeDifferent: 0.05,
  /** Share of children with a disability whose school records it. */
  disabilityRecorded: 0.7,
  fatherRecorded: 0.85,
  motherRecorded: 0.95,
  /** Upper-secondary pupils (THPT) who left school: not group h, since they finished lower secondary. */
  upperSecondaryDropOut: 0.03,
} as const;

export const SCHOOL_YEAR = '2026-2027';

type Level = 'Mầm non' | 'Tiểu học' | 'THCS' | 'THPT';

/** The levels of universal education up to lower secondary (phổ cập giáo dục THCS): leaving during them is group h. */
export const BEFORE_LOWER_SECONDARY_COMPLETED: readonly Level[] = ['Tiểu học', 'THCS'];

/** The last grade of lower secondary (THCS). */
const LAST_LOWER_SECONDARY_GRADE = 9;

/** The raw payload: a student row as the education database exports it. */
export type SchoolStudent = {
  /** Mã định danh học sinh: 10 digits, unique and permanent. */
  ma_dinh_danh_hoc_sinh: string;
  so_dinh_danh_ca_nhan: string | null;
  ho_ten: string;
  /** dd/MM/yyyy */
  ngay_sinh: string;
  gioi_tinh: 'Nam' | 'Nữ';
  nam_hoc: string;
  ma_truong: string;
  ten_truong: string;
  cap_hoc: Level;
  khoi: number | null;
  lop: string;
  ma_tinh_thuong_tru: string;
  ma_xa_thuong_tru: string;
  ho_ten_cha: string | null;
  ho_ten_me: string | null;
  ho_ten_nguoi_giam_ho: string | null;
  khuyet_tat: boolean;
  dang_khuyet_tat: string | null;
  hoc_hoa_nhap: boolean;
  trang_thai: 'Đang học' | 'Thôi học';
  ngay_cap_nhat: string;
};

type MappedFields = Omit<SourceRecordInput, 'sourceSystem' | 'externalId' | 'raw'>;

/** What the school connector's mapping produces from a raw student row. */
export function mapSchoolStudent(raw: SchoolStudent): MappedFields {
  const groups: NonNullable<SourceRecordInput['groups']> = [];
  if (raw.khuyet_tat) groups.push({ clause: 'd', subType: raw.dang_khuyet_tat });
  // Group h (Art. 10 h) is leaving school before finishing lower secondary: not dropping out of THPT.
  if (raw.trang_thai === 'Thôi học' && BEFORE_LOWER_SECONDARY_COMPLETED.includes(raw.cap_hoc)) groups.push({ clause: 'h', subType: 'THOI_HOC', whenGone: 'end' });
  return {
    ...mapName(raw.ho_ten),
    sex: sexFromLabel(raw.gioi_tinh),
    birthDate: fromDmy(raw.ngay_sinh),
    birthDatePrecision: 'DAY',
    communeCode: raw.ma_xa_thuong_tru || null,
    communeCodeSet: raw.ma_xa_thuong_tru ? 'VN-2025' : null,
    fatherName: mapPersonName(raw.ho_ten_cha),
    motherName: mapPersonName(raw.ho_ten_me),
    carerName: mapPersonName(raw.ho_ten_nguoi_giam_ho),
    identityNumber: mapNumber(raw.so_dinh_danh_ca_nhan),
    sourceUpdatedAt: raw.ngay_cap_nhat,
    groups,
  };
}

const PRESCHOOL_CLASS: Record<number, string> = { [-2]: 'Mầm', [-1]: 'Chồi', 0: 'Lá' };
const LEVEL_DIGIT: Record<Level, number> = { 'Mầm non': 0, 'Tiểu học': 1, THCS: 2, THPT: 3 };
const SCHOOL_KIND: Record<Level, string> = { 'Mầm non': 'Trường Mầm non', 'Tiểu học': 'Trường Tiểu học', THCS: 'Trường THCS', THPT: 'Trường THPT' };

function levelOf(grade: number): Level {
  if (grade <= 0) return 'Mầm non';
  if (grade <= 5) return 'Tiểu học';
  if (grade <= 9) return 'THCS';
  return 'THPT';
}

/** The school records of one child (0 or 1). */
export function schoolViews(child: SyntheticChild, rnd: Random): SourceView[] {
  const R = SCHOOL_RATES;
  // Grade 1 starts in September of the year a child turns 6.
  const gradeByAge = Number(SCHOOL_YEAR.slice(0, 4)) - Number(child.birthDate.slice(0, 4)) - 5;
  if (gradeByAge < -2) return [];
  // A child in group h left school before finishing lower secondary: the record shows the grade it left in.
  const leftSchool = child.groups.includes('h');
  const grade = leftSchool ? Math.min(gradeByAge, LAST_LOWER_SECONDARY_GRADE) : gradeByAge;
  if (!rnd.chance(grade <= 0 ? R.coverage.preschool : R.coverage.school)) return [];

  const variations: Variation[] = [];
  const rawName = renderName(child.fullName, R.name, rnd, variations);
  const number = renderNumber(child.identityNumber, R.number, rnd, variations);
  const birthDate = renderBirthDate(child.birthDate, R.dayMonthSwapped, rnd, variations);
  const communeCode = renderCommune(child.communeCode, rnd.chance(R.communeDifferent), rnd, variations);
  const level = levelOf(grade);
  const schoolCommune = communeByCode(communeCode);
  const place = schoolCommune ? schoolCommune.communeName.split(' ').slice(schoolCommune.communeType.split(' ').length).join(' ') : '';
  const disabled = child.disabilityType !== null && rnd.chance(R.disabilityRecorded);
  const fatherName = child.fatherName && rnd.chance(R.fatherRecorded) ? renderName(child.fatherName, R.name, rnd, []) : null;
  const motherName = child.motherName && rnd.chance(R.motherRecorded) ? renderName(child.motherName, R.name, rnd, []) : null;
  const updated = addDays(LAST_DAY, -rnd.int(0, 70));
  const studentCode = `01${scrambledId('school', child.index, 100_000_000)}`;

  const raw: SchoolStudent = {
    ma_dinh_danh_hoc_sinh: studentCode,
    so_dinh_danh_ca_nhan: number === '' ? null : number,
    ho_ten: rawName,
    ngay_sinh: toDmy(birthDate),
    gioi_tinh: sexLabel(child.sex),
    nam_hoc: SCHOOL_YEAR,
    ma_truong: `01${communeCode}${LEVEL_DIGIT[level]}`,
    ten_truong: `${SCHOOL_KIND[level]} ${place}`,
    cap_hoc: level,
    khoi: grade > 0 ? grade : null,
    lop: grade > 0 ? `${grade}A${rnd.int(1, 8)}` : `${PRESCHOOL_CLASS[grade] ?? 'Lá'} ${rnd.int(1, 4)}`,
    ma_tinh_thuong_tru: '01',
    ma_xa_thuong_tru: communeCode,
    ho_ten_cha: fatherName,
    ho_ten_me: motherName,
    ho_ten_nguoi_giam_ho: child.carerName,
    khuyet_tat: disabled,
    dang_khuyet_tat: disabled ? child.disabilityType : null,
    hoc_hoa_nhap: disabled && rnd.chance(0.8),
    trang_thai: leftSchool ? 'Thôi học' : 'Đang học',
    ngay_cap_nhat: localTimestamp(updated, rnd.int(7 * 60, 22 * 60)),
  };
  // Drawn last, so that every other value of the record stays what it was before THPT drop-outs were simulated.
  if (level === 'THPT' && rnd.chance(R.upperSecondaryDropOut)) raw.trang_thai = 'Thôi học';
  return [{ record: { sourceSystem: 'school', externalId: studentCode, raw, ...mapSchoolStudent(raw) }, variations }];
}
