import { EntitySchema } from '@mikro-orm/core';

/** A record a connector could not accept, kept with the reasons. */
export interface RejectedRecord {
  id: string;
  connectorId: string | null;
  connectorRunId: string | null;
  sourceSystem: string;
  externalId: string | null;
  location: string | null;
  payload: unknown;
  reasons: Array<{ field: string; code: string; message: string }>;
  createdAt: Date;
  resolvedAt: Date | null;
}

export const RejectedRecordEntity = new EntitySchema<RejectedRecord>({
  name: 'RejectedRecord',
  tableName: 'rejected_record',
  properties: {
    id: { type: 'string', primary: true },
    connectorId: { type: 'string', nullable: true },
    connectorRunId: { type: 'string', nullable: true },
    sourceSystem: { type: 'string' },
    externalId: { type: 'string', nullable: true },
    location: { type: 'string', nullable: true },
    payload: { type: 'json', columnType: 'json' },
    reasons: { type: 'json', columnType: 'jsonb' },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    resolvedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
