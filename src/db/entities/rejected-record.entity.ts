import { EntitySchema } from '@mikro-orm/core';

/** A record a connector could not accept, kept with the reasons. */
export interface RejectedRecord {
  id: string;
  connectorId: string | null;
  connectorRunId: string | null;
  sourceSystem: string;
  externalId: string | null;
  location: string | null;
  /** The record as it arrived; null once erased (`payloadErasedAt`). */
  payload: unknown;
  /** When the payload of this closed reject was erased, its retention past (`REJECT_PAYLOAD_RETENTION_DAYS`). */
  payloadErasedAt: Date | null;
  reasons: Array<{ field: string; code: string; message: string }>;
  createdAt: Date;
  /** SHA-256 of the payload's JSON: identifies a record that has no external id. */
  payloadHash: string;
  /** When a run last read the record, still invalid (see `times_seen`). */
  lastSeenAt: Date;
  lastRunId: string | null;
  /** How many runs read the record while this row was open. */
  timesSeen: number;
  resolvedAt: Date | null;
  /** The run that stored the record (`STORED`) or read it again otherwise invalid (`SUPERSEDED`). */
  resolvedByRunId: string | null;
  resolution: RejectResolution | null;
  /** Who dismissed it (`DISMISSED`): their officer number, else their token's subject (as a run's requestedBy). */
  resolvedBy: string | null;
  /** The subject of the token that dismissed it: the note's author, to whom the note is released. */
  resolvedBySubject: string | null;
  /** Why it was dismissed, as the person wrote it: never logged. */
  resolutionNote: string | null;
}

/**
 * How an open reject was closed: a run stored the record, a run read it again with another payload, a
 * person dismissed it by hand (see `dismissRejectedRecords`), or a complete read of the whole source did not
 * meet it again (`NOT_SENT_AGAIN`: connectors with `removals`).
 */
export type RejectResolution = 'STORED' | 'SUPERSEDED' | 'DISMISSED' | 'NOT_SENT_AGAIN';

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
    payload: { type: 'json', columnType: 'json', nullable: true },
    payloadErasedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    reasons: { type: 'json', columnType: 'jsonb' },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    payloadHash: { type: 'string' },
    lastSeenAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    lastRunId: { type: 'string', nullable: true },
    timesSeen: { type: 'number', default: 1 },
    resolvedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    resolvedByRunId: { type: 'string', nullable: true },
    resolution: { type: 'string', nullable: true },
    resolvedBy: { type: 'string', nullable: true },
    resolvedBySubject: { type: 'string', nullable: true },
    resolutionNote: { type: 'string', nullable: true },
  },
});
