import { EntitySchema } from '@mikro-orm/core';

export type IdentityNumberStatus = 'GIVEN' | 'VERIFIED' | 'SUPERSEDED' | 'REJECTED';

/** A structural finding about a number (evidence, never a correction). */
export interface StructuralFinding {
  code: string;
  message: string;
}

/** One personal identification number a child has carried, with its history. */
export interface IdentityNumber {
  id: string;
  childId: string;
  number: string;
  status: IdentityNumberStatus;
  sourceRecordId: string | null;
  structuralFindings: StructuralFinding[];
  firstSeenAt: Date;
  verifiedAt: Date | null;
  supersededAt: Date | null;
}

export const IdentityNumberEntity = new EntitySchema<IdentityNumber>({
  name: 'IdentityNumber',
  tableName: 'identity_number',
  properties: {
    id: { type: 'string', primary: true },
    childId: { type: 'string' },
    number: { type: 'string' },
    status: { type: 'string' },
    sourceRecordId: { type: 'string', nullable: true },
    structuralFindings: { type: 'json', columnType: 'jsonb' },
    firstSeenAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    verifiedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    supersededAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
  uniques: [{ properties: ['childId', 'number'] }],
});
