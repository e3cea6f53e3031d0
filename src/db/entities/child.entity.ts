import { EntitySchema } from '@mikro-orm/core';
import type { CommuneCodeSet, DatePrecision, GroupClause, Sex } from '../../domain/source-record-input.js';

export type ChildStatus = 'ACTIVE' | 'MERGED';
export const IDENTITY_STATUSES = ['NO_NUMBER', 'UNVERIFIED', 'VERIFIED', 'MISMATCH', 'NOT_FOUND', 'CONFLICT', 'PENDING_ISSUANCE', 'ISSUED'] as const;
export type IdentityStatus = (typeof IDENTITY_STATUSES)[number];

/** Which source record supplied a golden field, and when it was chosen. */
export interface FieldProvenance {
  sourceRecordId: string;
  sourceSystem: string;
  chosenAt: string;
}
export const GOLDEN_FIELDS = ['fullName', 'sex', 'birthDate', 'communeCode', 'identityNumber'] as const;
export type GoldenField = (typeof GOLDEN_FIELDS)[number];

/** A source record on one side of a disagreement: which record, of which system (no value: that is in the record). */
export interface DisagreeingRecord {
  sourceRecordId: string;
  sourceSystem: string;
}
/**
 * The golden fields whose linked source records give values that genuinely disagree, each with its sides: the
 * records giving one value (a birth date known only to the year or month is on every side it fits). Absent
 * (null) when the sources agree on every field, as they do for most children.
 */
export type Disagreements = Partial<Record<GoldenField, DisagreeingRecord[][]>>;

/** The unified (golden) record of one child. */
export interface Child {
  id: string;
  status: ChildStatus;
  mergedIntoId: string | null;
  version: number;
  fullName: string | null;
  familyName: string | null;
  middleName: string | null;
  givenName: string | null;
  nameFolded: string | null;
  sex: Sex | null;
  birthDate: string | null;
  birthDatePrecision: DatePrecision | null;
  birthDateEstimated: boolean;
  birthYear: number | null;
  communeCode: string | null;
  communeCodeSet: CommuneCodeSet | null;
  identityNumber: string | null;
  identityStatus: IdentityStatus;
  groupClauses: GroupClause[];
  provenance: Partial<Record<GoldenField, FieldProvenance>>;
  disagreements: Disagreements | null;
  createdAt: Date;
  updatedAt: Date;
}

export const ChildEntity = new EntitySchema<Child>({
  name: 'Child',
  tableName: 'child',
  properties: {
    id: { type: 'string', primary: true },
    status: { type: 'string', default: 'ACTIVE' },
    mergedIntoId: { type: 'string', nullable: true },
    version: { type: 'integer', version: true },
    fullName: { type: 'string', nullable: true },
    familyName: { type: 'string', nullable: true },
    middleName: { type: 'string', nullable: true },
    givenName: { type: 'string', nullable: true },
    nameFolded: { type: 'string', nullable: true },
    sex: { type: 'string', nullable: true },
    birthDate: { type: 'string', columnType: 'date', nullable: true },
    birthDatePrecision: { type: 'string', nullable: true },
    birthDateEstimated: { type: 'boolean', default: false },
    birthYear: { type: 'smallint', nullable: true },
    communeCode: { type: 'string', nullable: true },
    communeCodeSet: { type: 'string', nullable: true },
    identityNumber: { type: 'string', nullable: true },
    identityStatus: { type: 'string', default: 'NO_NUMBER' },
    groupClauses: { type: 'string[]', columnType: 'text[]', default: [] },
    provenance: { type: 'json', columnType: 'jsonb' },
    disagreements: { type: 'json', columnType: 'jsonb', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    updatedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});
