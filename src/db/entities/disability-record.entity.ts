import { EntitySchema } from '@mikro-orm/core';

/** A disability assessment as a source record states it (projection `disability`); belongs to that record. */
export interface DisabilityRecord {
  id: string;
  sourceRecordId: string;
  type: string | null;
  severity: 'NHE' | 'NANG' | 'DAC_BIET_NANG' | null;
  assessedOn: string | null;
  /** MONTH or YEAR when `assessedOn` is known to that only; null: the day. */
  assessedOnPrecision: string | null;
  inclusiveEducation: boolean | null;
  createdAt: Date;
}

export const DisabilityRecordEntity = new EntitySchema<DisabilityRecord>({
  name: 'DisabilityRecord',
  tableName: 'disability_record',
  properties: {
    id: { type: 'string', primary: true },
    sourceRecordId: { type: 'string' },
    type: { type: 'string', nullable: true },
    severity: { type: 'string', nullable: true },
    assessedOn: { type: 'string', columnType: 'date', nullable: true },
    assessedOnPrecision: { type: 'string', nullable: true },
    inclusiveEducation: { type: 'boolean', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
