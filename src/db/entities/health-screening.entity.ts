import { EntitySchema } from '@mikro-orm/core';

/** A health screening as a source record states it (projection `healthScreening`); belongs to that record. */
export interface HealthScreening {
  id: string;
  sourceRecordId: string;
  screenedOn: string | null;
  /** MONTH or YEAR when `screenedOn` is known to that only; null: the day. */
  screenedOnPrecision: string | null;
  kind: 'DEVELOPMENT' | 'NUTRITION' | 'HEARING' | 'VISION' | 'DISABILITY' | 'NEWBORN' | 'GENERAL';
  code: string | null;
  result: string | null;
  interpretation: 'NORMAL' | 'ABNORMAL' | 'REFERRED' | null;
  performer: string | null;
  createdAt: Date;
}

export const HealthScreeningEntity = new EntitySchema<HealthScreening>({
  name: 'HealthScreening',
  tableName: 'health_screening',
  properties: {
    id: { type: 'string', primary: true },
    sourceRecordId: { type: 'string' },
    screenedOn: { type: 'string', columnType: 'date', nullable: true },
    screenedOnPrecision: { type: 'string', nullable: true },
    kind: { type: 'string' },
    code: { type: 'string', nullable: true },
    result: { type: 'string', nullable: true },
    interpretation: { type: 'string', nullable: true },
    performer: { type: 'string', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
