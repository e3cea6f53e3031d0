import { EntitySchema } from '@mikro-orm/core';

/** The legal basis or consent for processing a child's data for one purpose. */
export interface ConsentRecord {
  id: string;
  childId: string;
  purpose: string;
  legalBasis: string;
  representativeKind: 'PARENT' | 'GUARDIAN' | 'TEMPORARY_CARER' | 'INSTITUTION' | 'SELF' | null;
  representativeRef: string | null;
  validFrom: string;
  validUntil: string | null;
  recordedBy: string;
  recordedAt: Date;
}

export const ConsentRecordEntity = new EntitySchema<ConsentRecord>({
  name: 'ConsentRecord',
  tableName: 'consent_record',
  properties: {
    id: { type: 'string', primary: true },
    childId: { type: 'string' },
    purpose: { type: 'string' },
    legalBasis: { type: 'string' },
    representativeKind: { type: 'string', nullable: true },
    representativeRef: { type: 'string', nullable: true },
    validFrom: { type: 'string', columnType: 'date' },
    validUntil: { type: 'string', columnType: 'date', nullable: true },
    recordedBy: { type: 'string' },
    recordedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
