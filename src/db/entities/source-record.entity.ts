import { EntitySchema } from '@mikro-orm/core';
import type { CommuneCodeSet, DatePrecision, GroupEvidenceInput, Sex, SourceSystem } from '../../domain/source-record-input.js';

export type LinkRule = 'NEW_CHILD' | 'IDENTITY_NUMBER' | 'MATCHER' | 'STEWARD';

/**
 * One record as a source system holds it: its payload as it came plus the normalised fields. The payload is
 * `raw` (JSON), or for a record read from a CSV file its row as written (`rawText`) with the layout that
 * reads it (`rawLayout`, a `record_layout` id; `parseCsvRecordText` gives its data).
 */
export interface SourceRecord {
  id: string;
  sourceSystem: SourceSystem;
  externalId: string;
  raw: Record<string, unknown> | null;
  rawText: string | null;
  rawLayout: string | null;
  fullName: string | null;
  familyName: string | null;
  middleName: string | null;
  givenName: string | null;
  nameFolded: string | null;
  sex: Sex | null;
  birthDate: string | null;
  birthDatePrecision: DatePrecision | null;
  birthDateEstimated: boolean;
  communeCode: string | null;
  communeCodeSet: CommuneCodeSet | null;
  fatherName: string | null;
  motherName: string | null;
  carerName: string | null;
  identityNumber: string | null;
  groups: GroupEvidenceInput[];
  /** What the record was stored with but a steward should look at: values the mapping kept as given because it could not resolve them (e.g. COMMUNE_UNRESOLVED, COMMUNE_CODE_UNKNOWN), dates that contradict each other (DATES_INCONSISTENT), an id listed again (REPEATED_ID). */
  flags: Array<{ field: string; code: string; message: string }>;
  contentHash: string;
  sourceUpdatedAt: Date | null;
  /** When the hub first stored the record. */
  firstSeenAt: Date;
  /**
   * When the hub last stored the record changed (its content hash differed), not when a sync last read it: an
   * unchanged re-read writes nothing, so a record its source no longer holds keeps its time (docs/connectors.md,
   * "Records no longer in a source"). The column keeps its name.
   */
  lastSeenAt: Date;
  /**
   * Set when a full read of its source (a connector with `removals`) did not return the record: since when it
   * has been missing, and the run that found it so. Cleared when a read returns it again. Nothing is deleted.
   */
  absentSince: Date | null;
  absentRunId: string | null;
  connectorRunId: string | null;
  childId: string | null;
  linkRule: LinkRule | null;
  linkScore: number | null;
  linkedBy: string | null;
  linkedAt: Date | null;
}

export const SourceRecordEntity = new EntitySchema<SourceRecord>({
  name: 'SourceRecord',
  tableName: 'source_record',
  properties: {
    id: { type: 'string', primary: true },
    sourceSystem: { type: 'string' },
    externalId: { type: 'string' },
    raw: { type: 'json', columnType: 'json', nullable: true },
    rawText: { type: 'text', nullable: true },
    rawLayout: { type: 'string', nullable: true },
    fullName: { type: 'string', nullable: true },
    familyName: { type: 'string', nullable: true },
    middleName: { type: 'string', nullable: true },
    givenName: { type: 'string', nullable: true },
    nameFolded: { type: 'string', nullable: true },
    sex: { type: 'string', nullable: true },
    birthDate: { type: 'string', columnType: 'date', nullable: true },
    birthDatePrecision: { type: 'string', nullable: true },
    birthDateEstimated: { type: 'boolean', default: false },
    communeCode: { type: 'string', nullable: true },
    communeCodeSet: { type: 'string', nullable: true },
    fatherName: { type: 'string', nullable: true },
    motherName: { type: 'string', nullable: true },
    carerName: { type: 'string', nullable: true },
    identityNumber: { type: 'string', nullable: true },
    groups: { type: 'json', columnType: 'jsonb' },
    flags: { type: 'json', columnType: 'jsonb', onCreate: () => [] },
    contentHash: { type: 'string' },
    sourceUpdatedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    firstSeenAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    lastSeenAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    absentSince: { type: 'Date', columnType: 'timestamptz', nullable: true },
    absentRunId: { type: 'string', nullable: true },
    connectorRunId: { type: 'string', nullable: true },
    childId: { type: 'string', nullable: true },
    linkRule: { type: 'string', nullable: true },
    linkScore: { type: 'float', columnType: 'real', nullable: true },
    linkedBy: { type: 'string', nullable: true },
    linkedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
  // The unique index also carries content_hash (INCLUDE), for KnownRecords' index-only load: see the migration Migration20261203030000_known_records_index.
  uniques: [{ properties: ['sourceSystem', 'externalId'] }],
});
