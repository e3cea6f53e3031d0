import type { PoolClient } from 'pg';

/** Topics of outbox messages, each relayed to one BullMQ queue. Payloads carry ids only. */
export const OUTBOX_TOPICS = {
  goldenRecordRecompute: 'golden-record.recompute',
  identityReconcile: 'identity.reconcile',
  connectorSync: 'connector.sync',
} as const;
export type OutboxTopic = (typeof OUTBOX_TOPICS)[keyof typeof OUTBOX_TOPICS];

/**
 * Writes one outbox row per aggregate id inside the caller's transaction, so the work is committed
 * together with the change that needs it (or not at all).
 */
export async function writeOutbox(client: PoolClient, topic: OutboxTopic, aggregateIds: string[]): Promise<void> {
  if (aggregateIds.length === 0) return;
  await client.query(`INSERT INTO outbox (topic, aggregate_id) SELECT $1, unnest($2::text[])`, [topic, aggregateIds]);
}
