import type { PoolClient } from 'pg';

/**
 * Takes, for the caller's transaction, the quarantine lock of each source system (in order): held by a batch
 * that writes rejects and by a dismissal, so the two never interleave. Without it, a batch whose statement
 * began just before a dismissal committed saw the record's row still open, then found it closed when it came
 * to write, and opened a new row: the record a steward had just dismissed was back in the quarantine.
 * Cheap: one statement, taken only by batches that have rejects.
 */
export async function lockQuarantine(client: PoolClient, sourceSystems: Iterable<string>): Promise<void> {
  const systems = [...new Set(sourceSystems)].sort();
  if (systems.length === 0) return;
  await client.query(
    `SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtextextended('childhub:quarantine:' || s, 0)) FROM unnest($1::text[]) AS s ORDER BY s OFFSET 0) AS locked`,
    [systems],
  );
}
