import { EntitySchema } from '@mikro-orm/core';

/**
 * A child seen in or taken into a facility, as a source record states it (projection `placement`). It
 * belongs to the record; the child is reached through the record, and the facility by its code (the
 * facility's own record may arrive later).
 */
export interface Placement {
  id: string;
  sourceRecordId: string;
  facilityCode: string;
  startedOn: string | null;
  /** MONTH or YEAR when `startedOn` is known to that only; null: the day. */
  startedOnPrecision: string | null;
  reason: string | null;
  seenOn: string | null;
  /** MONTH or YEAR when `seenOn` is known to that only; null: the day. */
  seenOnPrecision: string | null;
  inspectionReportNumber: string | null;
  createdAt: Date;
}

export const PlacementEntity = new EntitySchema<Placement>({
  name: 'Placement',
  tableName: 'placement',
  properties: {
    id: { type: 'string', primary: true },
    sourceRecordId: { type: 'string' },
    facilityCode: { type: 'string' },
    startedOn: { type: 'string', columnType: 'date', nullable: true },
    startedOnPrecision: { type: 'string', nullable: true },
    reason: { type: 'string', nullable: true },
    seenOn: { type: 'string', columnType: 'date', nullable: true },
    seenOnPrecision: { type: 'string', nullable: true },
    inspectionReportNumber: { type: 'string', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
