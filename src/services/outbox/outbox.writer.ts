import type { PoolClient } from 'pg';

/** Topics of outbox messages, each relayed to one BullMQ queue. Payloads carry ids only. */
export const OUTBOX_TOPICS = {
  goldenRecordRecompute: 'golden-record.recompute',
  identityReconcile: 'identity.reconcile',
  connectorSync: 'connector.sync',
} as const;
export type OutboxTopic = (typeof OUTBOX_TOPICS)[keyof typeof OUTBOX_TOPICS];

/**
 * Most aggregate ids one outbox row carries. A batch of records touches thousands of children: one row per
 * child cost PostgreSQL a row, two index entries and a later UPDATE each (about 14 µs per child, as much as
 * storing the record itself); one row per hundred ids costs a hundredth of that. The relay splits a row's
 * ids into jobs of its queue's size.
 */
export const OUTBOX_IDS_PER_ROW = 100;

/**
 * Writes the aggregate ids inside the caller's transaction, so the work is committed together with the
 * change that needs it (or not at all). One id makes one row (`aggregate_id`); more are grouped, up to
 * {@link OUTBOX_IDS_PER_ROW} per row, in `payload.ids` (`aggregate_id` is then the first of them).
 */
export async function writeOutbox(client: PoolClient, topic: OutboxTopic, aggregateIds: string[]): Promise<void> {
  if (aggregateIds.length === 0) return;
  if (aggregateIds.length === 1) {
    await client.query(`INSERT INTO outbox (topic, aggregate_id) VALUES ($1, $2)`, [topic, aggregateIds[0]]);
    return;
  }
  const payloads: string[] = [];
  const firsts: string[] = [];
  for (let i = 0; i < aggregateIds.length; i += OUTBOX_IDS_PER_ROW) {
    const ids = aggregateIds.slice(i, i + OUTBOX_IDS_PER_ROW);
    firsts.push(ids[0]!);
    payloads.push(JSON.stringify({ ids }));
  }
  await client.query(`INSERT INTO outbox (topic, aggregate_id, payload) SELECT $1, a, p FROM unnest($2::text[], $3::jsonb[]) AS u(a, p)`, [topic, firsts, payloads]);
}
