/**
 * Commune health stations (trạm y tế), electronic health records per QĐ 831/QĐ-BYT, delivered as
 * FHIR-Patient-like JSON. Almost every child has one; some have a second one after moving.
 */
import type { SourceRecordInput } from '../../domain/source-record-input.js';
import { communeByCode } from '../../reference/admin-units.js';
import { LAST_DAY, addDays, ageOn, localTimestamp, toDayNumber } from '../calendar.js';
import type { SyntheticChild } from '../population.js';
import type { Random } from '../random.js';
import type { Variation } from '../variations.js';
import { scrambledId } from './external-ids.js';
import { mapName, mapNumber, mapPersonName, renderBirthDate, renderCommune, renderName, renderNumber, type SourceView } from './source-view.js';

/** How often each thing happens in health-station records. */
export const HEALTH_STATION_RATES = {
  /** Children with a health record at all. */
  coverage: 0.97,
  /** Children with a second record at another station (moved); that record lacks the number more often. */
  duplicate: 0.01,
  name: { nfd: 0.1, toneModern: 0.15, noDiacritics: 0.01, typo: 0.01 },
  number: { missing: 0.05, wrongDigit: 0.005, formatted: 0.03 },
  duplicateNumberMissing: 0.3,
  dayMonthSwapped: 0.005,
  communeDifferent: 0.03,
  /** Share of children in a group whose health record shows it (d disability, n serious illness, đ HIV, b abandoned). */
  groupRecorded: { d: 0.8, n: 0.9, đ: 0.95, b: 0.9 },
} as const;

/** Identifier systems and extension URLs of the health-station FHIR payload (invented URNs). */
export const FHIR_SYSTEMS = {
  recordId: 'urn:vn:byt:ma-ho-so-suc-khoe',
  personalNumber: 'urn:vn:so-dinh-danh-ca-nhan',
  insurance: 'urn:vn:bhyt',
  communeCode: 'urn:vn:ma-don-vi-hanh-chinh-xa',
  roleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  disability: 'urn:vn:byt:khuyet-tat',
  seriousIllness: 'urn:vn:byt:benh-hiem-ngheo',
  hiv: 'urn:vn:byt:hiv',
  abandoned: 'urn:vn:byt:tre-bi-bo-roi',
  estimatedBirthDate: 'urn:vn:byt:ngay-sinh-uoc-tinh',
} as const;

export type FhirIdentifier = { system: string; value: string };
export type FhirExtension = { url: string; valueCode?: string; valueBoolean?: boolean };
export type FhirContact = {
  relationship: Array<{ coding: Array<{ system: string; code: 'FTH' | 'MTH' | 'GUARD' }>; text: string }>;
  name: { text: string };
};

/** The raw payload: a FHIR R4 Patient with Vietnamese identifier systems and extensions. */
export type HealthPatient = {
  resourceType: 'Patient';
  id: string;
  meta: { lastUpdated: string };
  identifier: FhirIdentifier[];
  active: boolean;
  name: Array<{ use: 'official'; text: string; family?: string; given?: string[] }>;
  gender: 'male' | 'female';
  birthDate: string;
  address: Array<{ use: 'home'; text: string; city: string; extension: FhirExtension[] }>;
  contact: FhirContact[];
  extension: FhirExtension[];
};

type MappedFields = Omit<SourceRecordInput, 'sourceSystem' | 'externalId' | 'raw'>;

function extensionOf(raw: HealthPatient, url: string): FhirExtension | undefined {
  return raw.extension.find((e) => e.url === url);
}

function contactName(raw: HealthPatient, code: string): string | null {
  const contact = raw.contact.find((c) => c.relationship.some((r) => r.coding.some((k) => k.code === code)));
  return mapPersonName(contact?.name.text);
}

/** What the health-station connector's mapping produces from a raw Patient. */
export function mapHealthPatient(raw: HealthPatient): MappedFields {
  const groups: NonNullable<SourceRecordInput['groups']> = [];
  if (extensionOf(raw, FHIR_SYSTEMS.abandoned)?.valueBoolean) groups.push({ clause: 'b' });
  const disability = extensionOf(raw, FHIR_SYSTEMS.disability)?.valueCode;
  if (disability) groups.push({ clause: 'd', subType: disability });
  if (extensionOf(raw, FHIR_SYSTEMS.hiv)?.valueBoolean) groups.push({ clause: 'đ' });
  if (extensionOf(raw, FHIR_SYSTEMS.seriousIllness)?.valueBoolean) groups.push({ clause: 'n' });
  const commune = raw.address[0]?.extension.find((e) => e.url === FHIR_SYSTEMS.communeCode)?.valueCode ?? null;
  return {
    ...mapName(raw.name[0]?.text),
    sex: raw.gender === 'male' ? 'MALE' : 'FEMALE',
    birthDate: raw.birthDate,
    birthDatePrecision: 'DAY',
    birthDateEstimated: extensionOf(raw, FHIR_SYSTEMS.estimatedBirthDate)?.valueBoolean === true,
    communeCode: commune,
    communeCodeSet: commune ? 'VN-2025' : null,
    fatherName: contactName(raw, 'FTH'),
    motherName: contactName(raw, 'MTH'),
    carerName: contactName(raw, 'GUARD'),
    identityNumber: mapNumber(raw.identifier.find((i) => i.system === FHIR_SYSTEMS.personalNumber)?.value),
    sourceUpdatedAt: raw.meta.lastUpdated,
    groups,
  };
}

function contactOf(code: 'FTH' | 'MTH' | 'GUARD', text: string, name: string): FhirContact {
  return { relationship: [{ coding: [{ system: FHIR_SYSTEMS.roleCode, code }], text }], name: { text: name } };
}

function insuranceNumber(child: SyntheticChild, rnd: Random): string {
  // Children under 6 hold a "TE1" card; pupils an "HS4" card; then province 01 and 10 digits.
  const kind = ageOn(child.birthDate) < 6 ? 'TE1' : 'HS4';
  return `${kind}01${String(rnd.int(0, 99_999)).padStart(5, '0')}${String(rnd.int(0, 99_999)).padStart(5, '0')}`;
}

/** Whether the child is in the group and the station has written it down. */
function recorded(child: SyntheticChild, clause: keyof typeof HEALTH_STATION_RATES.groupRecorded, rnd: Random): boolean {
  return child.groups.includes(clause) && rnd.chance(HEALTH_STATION_RATES.groupRecorded[clause]);
}

function patient(child: SyntheticChild, rnd: Random, externalId: string, duplicate: boolean, variations: Variation[]): HealthPatient {
  const R = HEALTH_STATION_RATES;
  const rawName = renderName(child.fullName, R.name, rnd, variations);
  const number = renderNumber(
    child.identityNumber,
    duplicate ? { ...R.number, missing: R.duplicateNumberMissing } : R.number,
    rnd,
    variations,
  );
  const birthDate = renderBirthDate(child.birthDate, R.dayMonthSwapped, rnd, variations);
  const communeCode = renderCommune(child.communeCode, duplicate || rnd.chance(R.communeDifferent), rnd, variations);
  const words = rawName.split(' ');
  const identifier: FhirIdentifier[] = [{ system: FHIR_SYSTEMS.recordId, value: externalId }];
  if (number !== '') identifier.push({ system: FHIR_SYSTEMS.personalNumber, value: number });
  identifier.push({ system: FHIR_SYSTEMS.insurance, value: insuranceNumber(child, rnd) });
  const contact: FhirContact[] = [];
  if (child.fatherName) contact.push(contactOf('FTH', 'Cha', child.fatherName));
  if (child.motherName) contact.push(contactOf('MTH', 'Mẹ', child.motherName));
  if (child.carerName) contact.push(contactOf('GUARD', 'Người giám hộ', child.carerName));
  const extension: FhirExtension[] = [];
  if (recorded(child, 'b', rnd)) extension.push({ url: FHIR_SYSTEMS.abandoned, valueBoolean: true });
  if (recorded(child, 'd', rnd)) extension.push({ url: FHIR_SYSTEMS.disability, valueCode: child.disabilityType ?? 'KHAC' });
  if (recorded(child, 'đ', rnd)) extension.push({ url: FHIR_SYSTEMS.hiv, valueBoolean: true });
  if (recorded(child, 'n', rnd)) extension.push({ url: FHIR_SYSTEMS.seriousIllness, valueBoolean: true });
  if (child.birthDateEstimated) extension.push({ url: FHIR_SYSTEMS.estimatedBirthDate, valueBoolean: true });
  const from = Math.max(toDayNumber(child.birthDate), toDayNumber('2024-01-01'));
  const updated = addDays(LAST_DAY, -rnd.int(0, Math.max(0, toDayNumber(LAST_DAY) - from)));
  return {
    resourceType: 'Patient',
    id: externalId,
    meta: { lastUpdated: localTimestamp(updated, rnd.int(7 * 60, 17 * 60)) },
    identifier,
    active: true,
    name: [{ use: 'official', text: rawName, family: words[0], given: words.slice(1) }],
    gender: child.sex === 'MALE' ? 'male' : 'female',
    birthDate,
    address: [
      {
        use: 'home',
        text: `${communeByCode(communeCode)?.communeName ?? ''}, Thành phố Hà Nội`,
        city: 'Hà Nội',
        extension: [{ url: FHIR_SYSTEMS.communeCode, valueCode: communeCode }],
      },
    ],
    contact,
    extension,
  };
}

function view(raw: HealthPatient, variations: Variation[]): SourceView {
  return {
    record: { sourceSystem: 'health-station', externalId: raw.id, raw, ...mapHealthPatient(raw) },
    variations,
  };
}

/** The health-station records of one child (0, 1 or 2). */
export function healthStationViews(child: SyntheticChild, rnd: Random): SourceView[] {
  if (!rnd.chance(HEALTH_STATION_RATES.coverage)) return [];
  const hasDuplicate = rnd.chance(HEALTH_STATION_RATES.duplicate);
  const primaryVariations: Variation[] = [];
  const views = [view(patient(child, rnd, `SK01${scrambledId('health-station', child.index)}`, false, primaryVariations), primaryVariations)];
  if (hasDuplicate) {
    const variations: Variation[] = ['DUPLICATE_IN_SOURCE'];
    const id = `SK01${scrambledId('health-station', child.index + 500_000_000)}`;
    views.push(view(patient(child, rnd, id, true, variations), variations));
  }
  return views;
}
