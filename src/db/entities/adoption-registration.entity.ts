import { EntitySchema } from '@mikro-orm/core';

/** An adoption registration (sổ đăng ký nuôi con nuôi) as a source record states it (projection `adoptionRegistration`). */
export interface AdoptionRegistration {
  id: string;
  sourceRecordId: string;
  registrationNumber: string;
  book: string | null;
  registeredOn: string | null;
  /** MONTH or YEAR when `registeredOn` is known to that only; null: the day. */
  registeredOnPrecision: string | null;
  registeredAt: string | null;
  certificateNumber: string | null;
  adoptiveFatherName: string | null;
  adoptiveMotherName: string | null;
  givenBy: string | null;
  priorCircumstance: string | null;
  childConsent: boolean | null;
  createdAt: Date;
}

export const AdoptionRegistrationEntity = new EntitySchema<AdoptionRegistration>({
  name: 'AdoptionRegistration',
  tableName: 'adoption_registration',
  properties: {
    id: { type: 'string', primary: true },
    sourceRecordId: { type: 'string' },
    registrationNumber: { type: 'string' },
    book: { type: 'string', nullable: true },
    registeredOn: { type: 'string', columnType: 'date', nullable: true },
    registeredOnPrecision: { type: 'string', nullable: true },
    registeredAt: { type: 'string', nullable: true },
    certificateNumber: { type: 'string', nullable: true },
    adoptiveFatherName: { type: 'string', nullable: true },
    adoptiveMotherName: { type: 'string', nullable: true },
    givenBy: { type: 'string', nullable: true },
    priorCircumstance: { type: 'string', nullable: true },
    childConsent: { type: 'boolean', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
