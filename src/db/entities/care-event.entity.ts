import { EntitySchema } from '@mikro-orm/core';

/** One step of the abandoned-child chain, with its time and responsible unit. */
export interface CareEvent {
  id: string;
  childId: string;
  step: 'DETECTION' | 'INTAKE' | 'NOTICE_POSTED' | 'HEALTH_SCREENING' | 'INITIAL_CARE' | 'BIRTH_REGISTERED' | 'NUMBER_ISSUED' | 'HANDOVER' | 'FOSTER_CARE' | 'ADOPTION';
  occurredAt: Date;
  responsibleUnit: string | null;
  communeCode: string | null;
  sourceRecordId: string | null;
  details: Record<string, unknown>;
  recordedAt: Date;
}

export const CareEventEntity = new EntitySchema<CareEvent>({
  name: 'CareEvent',
  tableName: 'care_event',
  properties: {
    id: { type: 'string', primary: true },
    childId: { type: 'string' },
    step: { type: 'string' },
    occurredAt: { type: 'Date', columnType: 'timestamptz' },
    responsibleUnit: { type: 'string', nullable: true },
    communeCode: { type: 'string', nullable: true },
    sourceRecordId: { type: 'string', nullable: true },
    details: { type: 'json', columnType: 'jsonb' },
    recordedAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
