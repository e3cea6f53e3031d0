import { EntitySchema } from '@mikro-orm/core';

/** A birth registration (hộ tịch) as a source record states it (projection `birthRegistration`). */
export interface BirthRegistration {
  id: string;
  sourceRecordId: string;
  registrationNumber: string;
  book: string | null;
  registeredOn: string | null;
  /** MONTH or YEAR when `registeredOn` is known to that only; null: the day. */
  registeredOnPrecision: string | null;
  registeredAt: string | null;
  communeCode: string | null;
  fatherName: string | null;
  motherName: string | null;
  declarantName: string | null;
  declarantRelation: string | null;
  note: string | null;
  createdAt: Date;
}

export const BirthRegistrationEntity = new EntitySchema<BirthRegistration>({
  name: 'BirthRegistration',
  tableName: 'birth_registration',
  properties: {
    id: { type: 'string', primary: true },
    sourceRecordId: { type: 'string' },
    registrationNumber: { type: 'string' },
    book: { type: 'string', nullable: true },
    registeredOn: { type: 'string', columnType: 'date', nullable: true },
    registeredOnPrecision: { type: 'string', nullable: true },
    registeredAt: { type: 'string', nullable: true },
    communeCode: { type: 'string', nullable: true },
    fatherName: { type: 'string', nullable: true },
    motherName: { type: 'string', nullable: true },
    declarantName: { type: 'string', nullable: true },
    declarantRelation: { type: 'string', nullable: true },
    note: { type: 'string', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
