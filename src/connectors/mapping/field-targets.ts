/**
 * What each mappable field holds: the parse it gets when the mapping names none, the parses a mapping may
 * choose instead, and whether a projection needs it. The schema (for editors and refusals) and the mapper
 * (for defaults and required checks) both read these tables, so they cannot drift apart.
 */
import {
  DISABILITY_SEVERITIES,
  ENROLMENT_STATUSES,
  FACILITY_TYPES,
  LICENCE_STATUSES,
  SCREENING_INTERPRETATIONS,
  SCREENING_KINDS,
  VACCINATION_STATUSES,
} from '../../services/projections/projection-tables.js';
import type { Projections, ProjectionKind } from '../types.js';
import type { z } from 'zod';
import { GROUP_CLAUSES } from '../../domain/source-record-input.js';
import { GROUP_EVIDENCE_FIELDS, sourceRecordInputSchema } from '../../services/ingest/source-record.validator.js';

export const PARSE_KINDS = ['text', 'name', 'sex', 'date', 'datetime', 'commune', 'identityNumber', 'integer', 'boolean'] as const;
export type ParseKind = (typeof PARSE_KINDS)[number];

export interface FieldTarget {
  /** The parse applied when the value names none (and has no `map` or test). */
  parse: ParseKind;
  /** Parses a mapping may name for this field. */
  allowed: readonly ParseKind[];
  /** A projection without this field is a problem that rejects the record. */
  required?: boolean;
  /** The value when absent, for fields that are never null. */
  whenAbsent?: boolean;
  /**
   * The closed list of values the field takes (the projection tables' own list, which the store checks): a
   * constant a mapping gives for it (`value`, a `map` result, a `default`) must be one of them.
   */
  oneOf?: readonly string[];
  /** {@link oneOf} compared with the value lower-cased (NFC), as the mapper compares it. */
  caseless?: boolean;
  /**
   * The store's check of the field's value (its length, a birth date not in the future), where the store has
   * one beyond the parse: a constant a mapping gives for the field must pass it, as every record's value must.
   */
  store?: z.ZodType;
  description: string;
}

const t = (parse: ParseKind, description: string, extra: Partial<FieldTarget> = {}): FieldTarget => ({
  parse,
  allowed: ALLOWED[parse],
  description,
  ...extra,
});

const ALLOWED: Record<ParseKind, readonly ParseKind[]> = {
  text: PARSE_KINDS,
  name: ['name', 'text'],
  sex: ['sex'],
  date: ['date'],
  datetime: ['datetime'],
  commune: ['commune'],
  identityNumber: ['identityNumber', 'text'],
  integer: ['integer'],
  boolean: ['boolean'],
};

/** The store's checks of a child record's fields. */
const STORE = sourceRecordInputSchema.shape;

/** The fields of a child record a mapping may set (SourceRecordInput; precision and code set are derived). */
export const RECORD_FIELDS = {
  fullName: t('name', 'Full name (họ và tên); canonical form by default. Not split here: ingest splits it.', { store: STORE.fullName }),
  familyName: t('name', 'Family name (họ), when the source keeps it apart.', { store: STORE.familyName }),
  middleName: t('name', 'Middle name (chữ đệm), when the source keeps it apart.', { store: STORE.middleName }),
  givenName: t('name', 'Given name (tên), when the source keeps it apart.', { store: STORE.givenName }),
  sex: t('sex', 'Sex: Nam/Nữ, 1/2, M/F, male/female → MALE/FEMALE.'),
  birthDate: t('date', 'Birth date (ngày sinh); its precision (DAY/MONTH/YEAR) becomes birthDatePrecision.', { store: STORE.birthDate }),
  birthDateEstimated: t('boolean', 'Whether the birth date is estimated (e.g. an abandoned child). @defaultValue false'),
  communeCode: t('commune', 'Commune of residence (mã xã): 2025 code, pre-2025 code or name; sets communeCodeSet.'),
  fatherName: t('name', 'Father (cha).', { store: STORE.fatherName }),
  motherName: t('name', 'Mother (mẹ).', { store: STORE.motherName }),
  carerName: t('name', 'Carer or guardian (người giám hộ / người chăm sóc): a person\'s name in canonical form; an institution\'s (Trung tâm…, Mái ấm…, Chùa…, UBND…) kept as written, as `parse: text` keeps any.', { store: STORE.carerName }),
  identityNumber: t('identityNumber', 'Personal identification number (số định danh cá nhân): separators removed, never corrected.', { store: STORE.identityNumber }),
  sourceUpdatedAt: t('datetime', 'When the source last changed the record (ISO date-time; a date means 00:00 Hà Nội time).'),
} as const satisfies Record<string, FieldTarget>;
export type RecordFieldName = keyof typeof RECORD_FIELDS;
export const RECORD_FIELD_NAMES = Object.keys(RECORD_FIELDS) as RecordFieldName[];

/** A projection's fields a mapping gives: not a date's precision, which the date's own parse gives. */
type ProjectionFieldTable = { [K in ProjectionKind]: Record<Exclude<keyof NonNullable<Projections[K]>[number], `${string}Precision`>, FieldTarget> };

const req = { required: true } as const;
/** `A, B or C`, for descriptions. */
const anyOf = (values: readonly string[]) => `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;

export const PROJECTION_FIELDS: ProjectionFieldTable = {
  healthScreening: {
    screenedOn: t('date', 'Date of the screening.'),
    kind: t('text', `What was screened: ${anyOf(SCREENING_KINDS)}.`, { ...req, oneOf: SCREENING_KINDS }),
    code: t('text', 'Code of the observation (LOINC or the ministry code), as given.'),
    result: t('text', 'The result as recorded.'),
    interpretation: t('text', `${anyOf(SCREENING_INTERPRETATIONS)}, when the source says.`, { oneOf: SCREENING_INTERPRETATIONS }),
    performer: t('text', 'Who performed it (station name or code).'),
  },
  vaccination: {
    vaccineCode: t('text', 'Vaccine code.', req),
    vaccineName: t('text', 'Vaccine name.'),
    occurredOn: t('date', 'Date given.'),
    doseNumber: t('integer', 'Dose number (mũi thứ).'),
    status: t('text', `${anyOf(VACCINATION_STATUSES)}.`, { ...req, oneOf: VACCINATION_STATUSES }),
    performer: t('text', 'Who gave it.'),
  },
  disability: {
    type: t('text', 'Disability type (dạng khuyết tật) as coded by the source.'),
    severity: t('text', `${anyOf(DISABILITY_SEVERITIES)} (mức độ khuyết tật).`, { oneOf: DISABILITY_SEVERITIES }),
    assessedOn: t('date', 'Date of assessment or certificate.'),
    inclusiveEducation: t('boolean', 'Receives inclusive-education support (học hòa nhập).'),
  },
  schoolEnrolment: {
    studentCode: t('text', 'Education student code (mã định danh học sinh).', req),
    schoolYear: t('text', 'School year, e.g. 2026-2027.'),
    schoolCode: t('text', 'School code.'),
    schoolName: t('text', 'School name.'),
    level: t('text', 'Mầm non / Tiểu học / THCS / THPT as given.'),
    grade: t('integer', 'Grade (khối).'),
    className: t('text', 'Class (lớp).'),
    status: t('text', `${anyOf(ENROLMENT_STATUSES)}.`, { ...req, oneOf: ENROLMENT_STATUSES }),
    inclusiveEducation: t('boolean', 'Inclusive education (học hòa nhập). @defaultValue false', { whenAbsent: false }),
  },
  birthRegistration: {
    registrationNumber: t('text', 'Registration number (số đăng ký).', req),
    book: t('text', 'Register book (quyển số).'),
    registeredOn: t('date', 'Date registered (ngày đăng ký).'),
    registeredAt: t('text', 'Registering office (nơi đăng ký).'),
    communeCode: t('commune', 'Commune of the registering office.'),
    fatherName: t('name', 'Father as registered.'),
    motherName: t('name', 'Mother as registered.'),
    declarantName: t('name', 'Declarant (người đi khai sinh): a person, or a care facility, whose name `parse: text` keeps as written.'),
    declarantRelation: t('text', 'Declarant relation to the child.'),
    note: t('text', 'Note (ghi chú).'),
  },
  adoptionRegistration: {
    registrationNumber: t('text', 'Registration number (số đăng ký).', req),
    book: t('text', 'Register book (quyển số).'),
    registeredOn: t('date', 'Date registered.'),
    registeredAt: t('text', 'Registering office.'),
    certificateNumber: t('text', 'Certificate number (số giấy chứng nhận nuôi con nuôi).'),
    adoptiveFatherName: t('name', 'Adoptive father (cha nuôi).'),
    adoptiveMotherName: t('name', 'Adoptive mother (mẹ nuôi).'),
    givenBy: t('text', 'Person or institution giving the child (người giao con nuôi), as written; `parse: name` for a source that gives only persons.'),
    priorCircumstance: t('text', 'Circumstance before adoption (hoàn cảnh), as written.'),
    childConsent: t('boolean', 'The child consented (aged 9 or more).'),
  },
  placement: {
    facilityCode: t('text', 'Facility code (mã cơ sở).', req),
    startedOn: t('date', 'Date taken in (ngày tiếp nhận).'),
    reason: t('text', 'Circumstance that brought the child in, as written.'),
    seenOn: t('date', 'Date the child was seen there (inspection date).'),
    inspectionReportNumber: t('text', 'Inspection report number (số biên bản).'),
  },
  facility: {
    code: t('text', 'Facility code (mã cơ sở).', req),
    name: t('text', 'Facility name.', req),
    type: t('text', `${anyOf(FACILITY_TYPES)}.`, { ...req, oneOf: FACILITY_TYPES }),
    communeCode: t('commune', 'Commune of the facility.'),
    licenceStatus: t('text', `${anyOf(LICENCE_STATUSES)}.`, { ...req, oneOf: LICENCE_STATUSES }),
    licenceNumber: t('text', 'Licence number (số giấy phép).'),
    capacity: t('integer', 'Capacity (số chỗ).'),
  },
  inspection: {
    facilityCode: t('text', 'Facility code.', req),
    reportNumber: t('text', 'Report number (số biên bản).', req),
    inspectedOn: t('date', 'Inspection date.', req),
    inspectingUnit: t('text', 'Inspecting unit (cơ quan kiểm tra).'),
    findings: t('text', 'Findings.'),
    childrenPresent: t('integer', 'Children present.'),
  },
};

/** The record's id in its source: text (a number is stringified). */
export const EXTERNAL_ID_TARGET: FieldTarget = t('text', 'The record id in its source system.', { store: STORE.externalId });

/** The targets of group evidence parts. */
export const GROUP_TARGETS = {
  clause: t('text', 'Clause letter of Art. 10, Law on Children 2016 (a, b, c, d, đ, e, g, h, i, k, l, m, n, o).', { oneOf: GROUP_CLAUSES, caseless: true }),
  subType: t('text', 'Sub-type per Decree 56/2017, a free-text code (at most 50 characters).', { store: GROUP_EVIDENCE_FIELDS.subType }),
  since: t('date', 'ISO date the membership started.'),
  until: t(
    'date',
    'ISO date the circumstance ended, when the record says (e.g. the registration date of an adoption, which ends the ' +
      'abandonment or orphanhood it names). The child\'s other evidence of the same clause that started by then ends with it; ' +
      'a membership whose evidence has all ended is history, not a current group.',
  ),
} as const satisfies Record<string, FieldTarget>;
