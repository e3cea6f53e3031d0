/**
 * The normalised shape of one record as a source system holds it. Connectors (and, until they exist, the
 * synthetic sample loader) map each source's raw payload into this shape; the ingest service stores it as a
 * `source_record` row beside the raw payload.
 */

/** The agency systems the hub reads from. */
export const SOURCE_SYSTEMS = ['health-station', 'school', 'justice-register', 'facility-inspection'] as const;
export type SourceSystem = (typeof SOURCE_SYSTEMS)[number];

export type Sex = 'MALE' | 'FEMALE';

/** How much of a birth date is known: a full day, a month, or only a year. */
export type DatePrecision = 'DAY' | 'MONTH' | 'YEAR';

/** Which administrative-unit code list a commune code belongs to (2025 codes reuse pre-2025 codes). */
export type CommuneCodeSet = 'VN-2025' | 'VN-PRE2025';

/** The 14 groups of children in special circumstances, by clause letter of Art. 10, Law on Children 2016. */
export const GROUP_CLAUSES = ['a', 'b', 'c', 'd', 'đ', 'e', 'g', 'h', 'i', 'k', 'l', 'm', 'n', 'o'] as const;
export type GroupClause = (typeof GROUP_CLAUSES)[number];

export interface GroupEvidenceInput {
  clause: GroupClause;
  /** Sub-type per Decree 56/2017 where the source states one (free text code). */
  subType?: string | null;
  /** ISO date the membership started, when the source says. */
  since?: string | null;
  /**
   * ISO date the circumstance ended, when the source says (an adoption registered ends the abandonment or
   * orphanhood it names). It ends the child's other evidence of the same clause that started by then too.
   */
  until?: string | null;
  /** How much of `since` is known when less than the day (MONTH, YEAR); absent or null: the day. */
  sincePrecision?: DatePrecision | null;
  /** How much of `until` is known when less than the day (MONTH, YEAR); absent or null: the day. */
  untilPrecision?: DatePrecision | null;
  /**
   * `end`: when the record no longer gives this evidence, the circumstance ended (a pupil back at school), and the
   * membership is kept, ended on the day the source last changed the record; absent or null: the evidence is removed
   * (the source corrected the record). The mapping's `whenGone`.
   */
  whenGone?: 'end' | null;
}

export interface SourceRecordInput {
  sourceSystem: SourceSystem;
  /** The record's id in its source system; unique per source system. */
  externalId: string;
  /** The payload exactly as the source delivered it. */
  raw: Record<string, unknown>;
  fullName?: string | null;
  familyName?: string | null;
  middleName?: string | null;
  givenName?: string | null;
  sex?: Sex | null;
  /** ISO `yyyy-mm-dd`; for MONTH precision the day is 01, for YEAR precision month and day are 01. */
  birthDate?: string | null;
  birthDatePrecision?: DatePrecision | null;
  /** True when the source says the date is estimated (e.g. an abandoned child's age assessed at intake). */
  birthDateEstimated?: boolean;
  communeCode?: string | null;
  communeCodeSet?: CommuneCodeSet | null;
  fatherName?: string | null;
  motherName?: string | null;
  carerName?: string | null;
  /** The personal identification number exactly as given (normalised for spaces/dots only, never "fixed"). */
  identityNumber?: string | null;
  /** When the source last changed the record, if it says. */
  sourceUpdatedAt?: string | null;
  /** Special-circumstance group evidence this record carries. */
  groups?: GroupEvidenceInput[];
}
