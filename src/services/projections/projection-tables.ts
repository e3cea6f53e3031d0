import type { ProjectionKind } from '../../connectors/types.js';
import type { IdKind } from '../../db/ids.js';

/** How a projection field is stored: the PostgreSQL array type it is sent as, and how it is checked. */
export type ColumnType = 'text' | 'date' | 'integer' | 'boolean';

export interface ProjectionColumn {
  /** The field of the projection (types.ts). */
  field: string;
  column: string;
  type: ColumnType;
  /** Absent or null is a problem (the `*` fields of docs/connectors.md#projections). */
  required?: true;
  /** The closed list of values the field takes (types.ts documents them; the table CHECKs them). */
  oneOf?: readonly string[];
  /** Smallest allowed integer. */
  min?: number;
  /**
   * The date column whose precision this column holds (DAY, MONTH or YEAR; stored null for DAY): every date column
   * has one, named after it, so a date known only to its month or year is not served as a day.
   */
  precisionOf?: string;
}

export interface ProjectionTable<K extends ProjectionKind = ProjectionKind> {
  kind: K;
  table: string;
  idKind: IdKind;
  columns: readonly ProjectionColumn[];
}

/** The projections a child record carries; each row belongs to the source record it came from. */
export type RecordProjectionKind = Exclude<ProjectionKind, 'facility' | 'inspection'>;
/** The projections a facility record carries, keyed by facility code (and report number). */
export type FacilityProjectionKind = Extract<ProjectionKind, 'facility' | 'inspection'>;

export const SCREENING_KINDS = ['DEVELOPMENT', 'NUTRITION', 'HEARING', 'VISION', 'DISABILITY', 'NEWBORN', 'GENERAL'] as const;
export const SCREENING_INTERPRETATIONS = ['NORMAL', 'ABNORMAL', 'REFERRED'] as const;
export const VACCINATION_STATUSES = ['COMPLETED', 'NOT_DONE'] as const;
export const DISABILITY_SEVERITIES = ['NHE', 'NANG', 'DAC_BIET_NANG'] as const;
export const ENROLMENT_STATUSES = ['STUDYING', 'DROPPED_OUT'] as const;
export const FACILITY_TYPES = ['RELIGIOUS', 'PUBLIC_SOCIAL_ASSISTANCE', 'PRIVATE_SOCIAL_ASSISTANCE', 'OTHER'] as const;
export const LICENCE_STATUSES = ['LICENSED', 'REGISTERED', 'NONE', 'UNKNOWN'] as const;

const text = (field: string, column: string, extra: Partial<ProjectionColumn> = {}): ProjectionColumn => ({ field, column, type: 'text', ...extra });
export const DATE_PRECISIONS = ['DAY', 'MONTH', 'YEAR'] as const;
/** A date column and the column of its precision (`…Precision`, `…_precision`). */
const date = (field: string, column: string, extra: Partial<ProjectionColumn> = {}): ProjectionColumn[] => [
  { field, column, type: 'date', ...extra },
  { field: `${field}Precision`, column: `${column}_precision`, type: 'text', oneOf: DATE_PRECISIONS, precisionOf: column },
];
const int = (field: string, column: string, extra: Partial<ProjectionColumn> = {}): ProjectionColumn => ({ field, column, type: 'integer', ...extra });
const bool = (field: string, column: string): ProjectionColumn => ({ field, column, type: 'boolean' });

/**
 * The record projections' tables, in write order. One list drives validation, the writer's statements
 * and the reader's column names, so a field added to types.ts is added here once.
 */
export const RECORD_PROJECTION_TABLES: readonly ProjectionTable<RecordProjectionKind>[] = [
  {
    kind: 'healthScreening', table: 'health_screening', idKind: 'healthScreening', columns: [
      ...date('screenedOn', 'screened_on'), text('kind', 'kind', { required: true, oneOf: SCREENING_KINDS }), text('code', 'code'),
      text('result', 'result'), text('interpretation', 'interpretation', { oneOf: SCREENING_INTERPRETATIONS }), text('performer', 'performer'),
    ],
  },
  {
    kind: 'vaccination', table: 'vaccination', idKind: 'vaccination', columns: [
      text('vaccineCode', 'vaccine_code', { required: true }), text('vaccineName', 'vaccine_name'), ...date('occurredOn', 'occurred_on'),
      int('doseNumber', 'dose_number', { min: 0 }), text('status', 'status', { required: true, oneOf: VACCINATION_STATUSES }),
      text('performer', 'performer'),
    ],
  },
  {
    kind: 'disability', table: 'disability_record', idKind: 'disabilityRecord', columns: [
      text('type', 'type'), text('severity', 'severity', { oneOf: DISABILITY_SEVERITIES }), ...date('assessedOn', 'assessed_on'),
      bool('inclusiveEducation', 'inclusive_education'),
    ],
  },
  {
    kind: 'schoolEnrolment', table: 'school_enrolment', idKind: 'schoolEnrolment', columns: [
      text('studentCode', 'student_code', { required: true }), text('schoolYear', 'school_year'), text('schoolCode', 'school_code'),
      text('schoolName', 'school_name'), text('level', 'level'), int('grade', 'grade', { min: 0 }), text('className', 'class_name'),
      text('status', 'status', { required: true, oneOf: ENROLMENT_STATUSES }), bool('inclusiveEducation', 'inclusive_education'),
    ],
  },
  {
    kind: 'birthRegistration', table: 'birth_registration', idKind: 'birthRegistration', columns: [
      text('registrationNumber', 'registration_number', { required: true }), text('book', 'book'), ...date('registeredOn', 'registered_on'),
      text('registeredAt', 'registered_at'), text('communeCode', 'commune_code'), text('fatherName', 'father_name'),
      text('motherName', 'mother_name'), text('declarantName', 'declarant_name'), text('declarantRelation', 'declarant_relation'),
      text('note', 'note'),
    ],
  },
  {
    kind: 'adoptionRegistration', table: 'adoption_registration', idKind: 'adoptionRegistration', columns: [
      text('registrationNumber', 'registration_number', { required: true }), text('book', 'book'), ...date('registeredOn', 'registered_on'),
      text('registeredAt', 'registered_at'), text('certificateNumber', 'certificate_number'),
      text('adoptiveFatherName', 'adoptive_father_name'), text('adoptiveMotherName', 'adoptive_mother_name'), text('givenBy', 'given_by'),
      text('priorCircumstance', 'prior_circumstance'), bool('childConsent', 'child_consent'),
    ],
  },
  {
    kind: 'placement', table: 'placement', idKind: 'placement', columns: [
      text('facilityCode', 'facility_code', { required: true }), ...date('startedOn', 'started_on'), text('reason', 'reason'),
      ...date('seenOn', 'seen_on'), text('inspectionReportNumber', 'inspection_report_number'),
    ],
  },
];

export const FACILITY_TABLE: ProjectionTable<'facility'> = {
  kind: 'facility', table: 'facility', idKind: 'facility', columns: [
    text('code', 'code', { required: true }), text('name', 'name', { required: true }),
    text('type', 'type', { required: true, oneOf: FACILITY_TYPES }), text('communeCode', 'commune_code'),
    text('licenceStatus', 'licence_status', { required: true, oneOf: LICENCE_STATUSES }), text('licenceNumber', 'licence_number'),
    int('capacity', 'capacity', { min: 0 }),
  ],
};

export const INSPECTION_TABLE: ProjectionTable<'inspection'> = {
  kind: 'inspection', table: 'inspection', idKind: 'inspection', columns: [
    text('facilityCode', 'facility_code', { required: true }), text('reportNumber', 'report_number', { required: true }),
    ...date('inspectedOn', 'inspected_on', { required: true }), text('inspectingUnit', 'inspecting_unit'), text('findings', 'findings'),
    int('childrenPresent', 'children_present', { min: 0 }),
  ],
};

export const RECORD_PROJECTION_KINDS = RECORD_PROJECTION_TABLES.map((t) => t.kind);
export const FACILITY_PROJECTION_KINDS: readonly FacilityProjectionKind[] = ['facility', 'inspection'];
