import { EntitySchema } from '@mikro-orm/core';

/** A care facility (public, private or religious) that children may be placed in. */
export interface Facility {
  id: string;
  code: string;
  name: string;
  type: 'RELIGIOUS' | 'PUBLIC_SOCIAL_ASSISTANCE' | 'PRIVATE_SOCIAL_ASSISTANCE' | 'OTHER';
  communeCode: string | null;
  communeCodeSet: string | null;
  licenceStatus: 'LICENSED' | 'REGISTERED' | 'NONE' | 'UNKNOWN';
  licenceNumber: string | null;
  capacity: number | null;
  raw: Record<string, unknown> | null;
  /** The record that last described the facility. */
  sourceSystem: string | null;
  externalId: string | null;
  /** The date of the latest inspection that record gave for the facility: what its facts are as of. */
  factsAsOf: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const FacilityEntity = new EntitySchema<Facility>({
  name: 'Facility',
  tableName: 'facility',
  properties: {
    id: { type: 'string', primary: true },
    code: { type: 'string', unique: true },
    name: { type: 'string' },
    type: { type: 'string' },
    communeCode: { type: 'string', nullable: true },
    communeCodeSet: { type: 'string', nullable: true },
    licenceStatus: { type: 'string' },
    licenceNumber: { type: 'string', nullable: true },
    capacity: { type: 'integer', nullable: true },
    raw: { type: 'json', columnType: 'jsonb', nullable: true },
    sourceSystem: { type: 'string', nullable: true },
    externalId: { type: 'string', nullable: true },
    factsAsOf: { type: 'string', columnType: 'date', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    updatedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
