import { EntitySchema } from '@mikro-orm/core';
import type { GroupClause } from '../../domain/source-record-input.js';

/** Membership of one of the 14 groups (Art. 10, Law on Children 2016) with its evidence. */
export interface SpecialCircumstance {
  id: string;
  childId: string;
  clause: GroupClause;
  subType: string | null;
  sourceRecordId: string | null;
  evidence: Record<string, unknown>;
  startedOn: string | null;
  /** MONTH or YEAR when `startedOn` is known to that only; null: the day. */
  startedOnPrecision: string | null;
  endedOn: string | null;
  endedOnPrecision: string | null;
  recordedAt: Date;
}

export const SpecialCircumstanceEntity = new EntitySchema<SpecialCircumstance>({
  name: 'SpecialCircumstance',
  tableName: 'special_circumstance',
  properties: {
    id: { type: 'string', primary: true },
    childId: { type: 'string' },
    clause: { type: 'string' },
    subType: { type: 'string', nullable: true },
    sourceRecordId: { type: 'string', nullable: true },
    evidence: { type: 'json', columnType: 'jsonb' },
    startedOn: { type: 'string', columnType: 'date', nullable: true },
    endedOn: { type: 'string', columnType: 'date', nullable: true },
    startedOnPrecision: { type: 'string', nullable: true },
    endedOnPrecision: { type: 'string', nullable: true },
    recordedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
