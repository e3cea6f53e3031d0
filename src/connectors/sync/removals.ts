import type { PoolClient } from 'pg';
import pgCopy from 'pg-copy-streams';
import { decodeCopyFields, eachCopyRow } from '../../db/copy-text.js';
import type { Sql } from '../../db/sql.js';
import type { KnownRecords } from './known-records.js';

/** Why a full read marked none of the records it did not read. */
export type RemovalsHeldReason =
  /** More of the stored records went unread than `removals.maxShare` allows. */
  | 'OVER_MAX_SHARE'
  /** The read quarantined records whose id could not be read: any of the unread records may be one of them. */
  | 'UNIDENTIFIED_REJECTS';

/**
 * What a full read of an HTTP source with `removals` found about records the source no longer returns. A
 * record is never deleted: it is marked absent from its source (`source_record.absent_since`), and unmarked
 * when a read returns it again.
 */
export interface RunRemovals {
  /** The source's records stored when the read began (what it was compared with). */
  stored: number;
  /** Records not read that this run marked absent. */
  marked: number;
  /** Records marked absent by an earlier run that this run read again unchanged, unmarked here (one read changed is unmarked as it is written, and counted as updated). */
  returned: number;
  /** Records not read and not marked, because of `heldReason`. */
  held: number;
  heldReason: RemovalsHeldReason | null;
  /** The source's records marked absent once this run was done: this run's and earlier runs' still not read. */
  absent: number;
}

export interface RemovalsInput {
  sourceSystem: string;
  runId: string;
  /** The stored records as loaded before the read's first batch, with what the read did to each. */
  table: KnownRecords;
  /** `removals.maxShare` of the definition. */
  maxShare: number;
}

/**
 * Compares the records of `sourceSystem` with what a full read of it did ({@link KnownRecords.isUnread}) and
 * marks the unread ones absent, unmarks the ones read again, and keeps the result on the run, in one
 * transaction. Called once the read stored its last batch, holding the connector's lock, so nothing else
 * writes the source's records meanwhile.
 *
 * Safe by construction: a record is marked only when the table surely knows it unread (its key's 32 bits
 * and 64 bits of its content match an entry no read or write touched); records stored after the table was
 * loaded have no entry. A read that quarantined records without an id, or that would mark more than
 * `maxShare` of the stored records (a source answering with part of its data), marks nothing new.
 */
export async function markRemovals(sql: Sql, input: RemovalsInput): Promise<RunRemovals> {
  const { sourceSystem, runId, table, maxShare } = input;
  if (table.size === 0) {
    // Nothing was stored when the read began (a first read): nothing can be gone, nor marked from before.
    const none: RunRemovals = { stored: 0, marked: 0, returned: 0, held: 0, heldReason: null, absent: 0 };
    await sql.query(`UPDATE connector_run SET removals = $2 WHERE id = $1`, [runId, JSON.stringify(none)]);
    return none;
  }
  return sql.tx(async (client) => {
    // The records marked absent before: few, found by their partial index. Those the read met came back.
    const before = await client.query<{ external_id: string; content_hash: string }>(
      `SELECT external_id, content_hash FROM source_record WHERE source_system = $1 AND absent_since IS NOT NULL`, [sourceSystem]);
    const absentBefore = new Set(before.rows.map((r) => r.external_id));
    const readAgain = before.rows.filter((r) => !table.isUnread(r.external_id, r.content_hash)).map((r) => r.external_id);
    // Every record, by the keys and hashes alone (an index-only scan of the key index, which includes the
    // hash: as the table was loaded). A string is made only for a record the read did not meet.
    const unread: string[] = [];
    await eachStored(client, sourceSystem, (buf, start, end) => {
      if (!table.isUnreadRow(buf, start, end)) return;
      const externalId = decodeCopyFields(buf.subarray(start, end))[0];
      if (externalId != null && !absentBefore.has(externalId)) unread.push(externalId);
    });
    const stored = table.size;
    const unidentified = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM rejected_record WHERE last_run_id = $1 AND source_system = $2 AND external_id IS NULL`,
      [runId, sourceSystem],
    );
    let heldReason: RemovalsHeldReason | null = null;
    if (unread.length > 0 && (unidentified.rows[0]?.n ?? 0) > 0) heldReason = 'UNIDENTIFIED_REJECTS';
    else if (unread.length > maxShare * stored) heldReason = 'OVER_MAX_SHARE';
    const marked = heldReason ? 0 : unread.length;
    if (marked) {
      await client.query(
        `UPDATE source_record SET absent_since = now(), absent_run_id = $3
          WHERE source_system = $1 AND external_id = ANY($2::text[]) AND absent_since IS NULL`,
        [sourceSystem, unread, runId],
      );
    }
    if (readAgain.length) {
      await client.query(
        `UPDATE source_record SET absent_since = NULL, absent_run_id = NULL WHERE source_system = $1 AND external_id = ANY($2::text[])`,
        [sourceSystem, readAgain]);
    }
    const removals: RunRemovals = {
      stored, marked, returned: readAgain.length, held: heldReason ? unread.length : 0, heldReason,
      absent: absentBefore.size - readAgain.length + marked,
    };
    await client.query(`UPDATE connector_run SET removals = $2 WHERE id = $1`, [runId, JSON.stringify(removals)]);
    return removals;
  });
}

/**
 * Streams every record of the source, one COPY row `external_id \t content_hash` at a time, to `fn` as the bytes
 * {@link KnownRecords.isUnreadRow} takes. No row object is made.
 */
async function eachStored(client: PoolClient, sourceSystem: string, fn: (buf: Buffer, start: number, end: number) => void): Promise<void> {
  const stream = client.query(pgCopy.to(
    `COPY (SELECT external_id, content_hash FROM source_record WHERE source_system = ${client.escapeLiteral(sourceSystem)}) TO STDOUT`,
  ));
  await eachCopyRow(stream as AsyncIterable<Buffer>, fn);
}
