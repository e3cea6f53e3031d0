import { EntitySchema } from '@mikro-orm/core';

/** A child placed in a facility over a period. */
export interface Placement {
  id: string;
  childId: string;
  facilityId: string;
  startedOn: string | null;
  endedOn: string | null;
  reason: string | null;
  sourceRecordId: string | null;
  createdAt: Date;
}

export const PlacementEntity = new EntitySchema<Placement>({
  name: 'Placement',
  tableName: 'placement',
  properties: {
    id: { type: 'string', primary: true },
    childId: { type: 'string' },
    facilityId: { type: 'string' },
    startedOn: { type: 'string', columnType: 'date', nullable: true },
    endedOn: { type: 'string', columnType: 'date', nullable: true },
    reason: { type: 'string', nullable: true },
    sourceRecordId: { type: 'string', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
