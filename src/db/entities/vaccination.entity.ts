import { EntitySchema } from '@mikro-orm/core';

/** A vaccination as a source record states it (projection `vaccination`); belongs to that record. */
export interface Vaccination {
  id: string;
  sourceRecordId: string;
  vaccineCode: string;
  vaccineName: string | null;
  occurredOn: string | null;
  /** MONTH or YEAR when `occurredOn` is known to that only; null: the day. */
  occurredOnPrecision: string | null;
  doseNumber: number | null;
  status: 'COMPLETED' | 'NOT_DONE';
  performer: string | null;
  createdAt: Date;
}

export const VaccinationEntity = new EntitySchema<Vaccination>({
  name: 'Vaccination',
  tableName: 'vaccination',
  properties: {
    id: { type: 'string', primary: true },
    sourceRecordId: { type: 'string' },
    vaccineCode: { type: 'string' },
    vaccineName: { type: 'string', nullable: true },
    occurredOn: { type: 'string', columnType: 'date', nullable: true },
    occurredOnPrecision: { type: 'string', nullable: true },
    doseNumber: { type: 'integer', nullable: true },
    status: { type: 'string' },
    performer: { type: 'string', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
