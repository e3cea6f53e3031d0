/**
 * Inspections of care facilities (social-assistance centres and religious establishments) by the
 * Department of Health and the Department of Ethnic and Religious Affairs: one row per child present at
 * each yearly inspection. Children there often have only a birth year and no number.
 */
import type { GroupClause, SourceRecordInput } from '../../domain/source-record-input.js';
import { LAST_DAY, REFERENCE_DATE, fromDmy, isoDate, toDmy } from '../calendar.js';
import { facilityByCode, type SyntheticFacility } from '../facilities.js';
import type { SyntheticChild } from '../population.js';
import type { Random } from '../random.js';
import type { Variation } from '../variations.js';
import { scrambledId } from './external-ids.js';
import { mapName, mapNumber, renderName, renderNumber, sexFromLabel, sexLabel, type SourceView } from './source-view.js';

/** How often each thing happens in inspection records. */
export const FACILITY_INSPECTION_RATES = {
  /** Years in which every facility is inspected once. */
  inspectionYears: [2024, 2025, 2026],
  name: { noDiacritics: 0.1, typo: 0.03, nickname: 0.05 },
  number: { missing: 0.7, wrongDigit: 0.02, formatted: 0.05 },
  /** Only the birth year is written down. */
  yearOnly: 0.7,
  /** For an abandoned child, the estimated year written down is one off the registered one. */
  estimateOff: 0.2,
} as const;

const SITUATION: ReadonlyArray<{ clause: GroupClause; label: string }> = [
  { clause: 'b', label: 'Bị bỏ rơi' },
  { clause: 'a', label: 'Mồ côi cả cha và mẹ' },
  { clause: 'c', label: 'Không nơi nương tựa' },
  { clause: 'o', label: 'Di cư, không có người chăm sóc' },
];

/** The raw payload: the facility and inspection, and the child's row on the list of children present. */
export type FacilityInspectionRow = {
  ma_co_so: string;
  ten_co_so: string;
  loai_hinh_co_so: string;
  so_giay_phep: string | null;
  ma_xa_co_so: string;
  dot_kiem_tra: { so_bien_ban: string; ngay_kiem_tra: string; co_quan_kiem_tra: string };
  tre_em: {
    stt: number;
    ho_ten: string;
    ngay_sinh: string | null;
    nam_sinh: number | null;
    gioi_tinh: 'Nam' | 'Nữ';
    so_dinh_danh: string | null;
    ngay_tiep_nhan: string | null;
    hoan_canh: string;
    khuyet_tat: boolean;
  };
};

type MappedFields = Omit<SourceRecordInput, 'sourceSystem' | 'externalId' | 'raw'>;

/** What the inspection connector's mapping produces from one row. */
export function mapFacilityInspectionRow(raw: FacilityInspectionRow): MappedFields {
  const child = raw.tre_em;
  const fullDate = child.ngay_sinh ? fromDmy(child.ngay_sinh) : null;
  const groups: NonNullable<SourceRecordInput['groups']> = SITUATION.filter((s) => s.label === child.hoan_canh).map((s) => ({
    clause: s.clause,
    since: child.ngay_tiep_nhan ? fromDmy(child.ngay_tiep_nhan) : null,
  }));
  if (child.khuyet_tat) groups.push({ clause: 'd' });
  const abandoned = child.hoan_canh === 'Bị bỏ rơi';
  return {
    ...mapName(child.ho_ten),
    sex: sexFromLabel(child.gioi_tinh),
    birthDate: fullDate ?? (child.nam_sinh ? isoDate(child.nam_sinh, 1, 1) : null),
    birthDatePrecision: fullDate ? 'DAY' : child.nam_sinh ? 'YEAR' : null,
    birthDateEstimated: abandoned,
    communeCode: raw.ma_xa_co_so,
    communeCodeSet: 'VN-2025',
    carerName: raw.ten_co_so,
    identityNumber: mapNumber(child.so_dinh_danh),
    sourceUpdatedAt: `${fromDmy(raw.dot_kiem_tra.ngay_kiem_tra)}T00:00:00+07:00`,
    groups,
  };
}

function inspectionDate(facility: SyntheticFacility, year: number): string {
  const d = new Date(Date.UTC(year, 0, facility.inspectionDayOfYear));
  return d.toISOString().slice(0, 10);
}

/** The inspection rows of one child: one per yearly inspection while the child was in the facility. */
export function facilityInspectionViews(child: SyntheticChild, rnd: Random): SourceView[] {
  const R = FACILITY_INSPECTION_RATES;
  const facility = child.facilityCode ? facilityByCode(child.facilityCode) : null;
  if (!facility || !child.careSince) return [];
  const situation = SITUATION.find((s) => child.groups.includes(s.clause));
  const views: SourceView[] = [];
  for (const year of R.inspectionYears) {
    const date = inspectionDate(facility, year);
    if (date < child.careSince || date > LAST_DAY) continue;
    // An adopted child lives with its family from the registration: later inspections do not find it there.
    if (child.adoption !== null && date >= child.adoption.registeredOn) continue;
    const variations: Variation[] = [];
    // The facility's commune is where the child lived then; an adopted child has moved to its family since.
    if (facility.communeCode !== child.communeCode) variations.push('COMMUNE_DIFFERENT');
    const nickname = `${child.sex === 'MALE' && rnd.chance(0.5) ? 'Cu' : 'Bé'} ${child.givenName}`;
    const rawName = renderName(child.fullName, R.name, rnd, variations, nickname);
    const number = renderNumber(child.identityNumber, R.number, rnd, variations);
    const yearOnly = rnd.chance(R.yearOnly);
    let birthYear = Number(child.birthDate.slice(0, 4));
    if (yearOnly) {
      variations.push('BIRTH_YEAR_ONLY');
      if (child.abandoned && rnd.chance(R.estimateOff)) {
        // One off, but never a year still to come when the facility was inspected (the reference date).
        const later = rnd.chance(0.5) && birthYear < Number(REFERENCE_DATE.slice(0, 4));
        birthYear += later ? 1 : -1;
        variations.push('BIRTH_YEAR_ESTIMATE_OFF');
      }
    }
    const raw: FacilityInspectionRow = {
      ma_co_so: facility.code,
      ten_co_so: facility.name,
      loai_hinh_co_so: facility.kindLabel,
      so_giay_phep: facility.licence,
      ma_xa_co_so: facility.communeCode,
      dot_kiem_tra: {
        so_bien_ban: `${rnd.int(1, 300)}/BB-KT`,
        ngay_kiem_tra: toDmy(date),
        co_quan_kiem_tra: facility.kind.startsWith('RELIGIOUS') ? 'Sở Dân tộc và Tôn giáo Hà Nội' : 'Sở Y tế Hà Nội',
      },
      tre_em: {
        stt: rnd.int(1, Math.max(1, facility.capacity)),
        ho_ten: rawName,
        ngay_sinh: yearOnly ? null : toDmy(child.birthDate),
        nam_sinh: yearOnly ? birthYear : null,
        gioi_tinh: sexLabel(child.sex),
        so_dinh_danh: number === '' ? null : number,
        ngay_tiep_nhan: rnd.chance(0.8) ? toDmy(child.careSince) : null,
        hoan_canh: situation?.label ?? 'Khác',
        khuyet_tat: child.disabilityType !== null,
      },
    };
    const externalId = `KT-${facility.code}-${year}-${scrambledId(`facility-inspection/${year}`, child.index)}`;
    views.push({ record: { sourceSystem: 'facility-inspection', externalId, raw, ...mapFacilityInspectionRow(raw) }, variations });
  }
  return views;
}
