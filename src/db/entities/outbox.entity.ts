import { EntitySchema } from '@mikro-orm/core';

/** A unit of work committed with the change that caused it, relayed to BullMQ by the worker. */
export interface OutboxMessage {
  id: string;
  topic: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  relayedAt: Date | null;
  attempts: number;
  lastError: string | null;
}

export const OutboxMessageEntity = new EntitySchema<OutboxMessage>({
  name: 'OutboxMessage',
  tableName: 'outbox',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true, columnType: 'bigint' },
    topic: { type: 'string' },
    aggregateId: { type: 'string' },
    payload: { type: 'json', columnType: 'jsonb' },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    relayedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    attempts: { type: 'integer' },
    lastError: { type: 'string', nullable: true },
  },
});
