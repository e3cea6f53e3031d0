import type { Sql } from '../../db/sql.js';

/** Rows one statement erases at most, so a first pass over a large backlog holds no lock for long. */
const ERASE_BATCH = 5_000;

/**
 * Erases the payloads of quarantined records closed more than `days` ago because their record was stored
 * (`STORED`), read again otherwise (`SUPERSEDED`) or no longer sent by a complete read of the whole source
 * (`NOT_SENT_AGAIN`): the record as it arrived (names, numbers, health facts) is a copy of personal data the hub
 * no longer needs once the source has sent the record valid, sent a newer reading (which has a row of its own), or
 * stopped sending it. The row stays, with its ids, location, reasons, resolution and the
 * payload's hash, and says when (`payload_erased_at`). Open rejects keep their payload (still to be mended), and so
 * do dismissed ones (a later change of the connector's record ids rekeys them by their payload: record-rekey.ts).
 *
 * Oldest first, a batch per statement, skipping rows a sync holds; safe to run from several workers at once.
 * `days` 0 erases nothing (the setting keeps every payload). Returns how many payloads it erased.
 */
export async function eraseClosedRejectPayloads(sql: Sql, days: number, batch = ERASE_BATCH): Promise<number> {
  if (!(days > 0)) return 0;
  let erased = 0;
  for (;;) {
    const rows = await sql.query<{ n: number }>(
      `WITH e AS (
         UPDATE rejected_record SET payload = NULL, payload_erased_at = now()
          WHERE id IN (SELECT id FROM rejected_record
                        WHERE payload_erased_at IS NULL AND resolution IN ('STORED', 'SUPERSEDED', 'NOT_SENT_AGAIN')
                          AND resolved_at < now() - make_interval(days => $1::int)
                        ORDER BY resolved_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING 1)
       SELECT count(*)::int AS n FROM e`,
      [days, batch],
    );
    const n = rows[0]!.n;
    erased += n;
    if (n < batch) return erased;
  }
}
