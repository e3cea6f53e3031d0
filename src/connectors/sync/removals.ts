import type { PoolClient } from 'pg';
import pgCopy from 'pg-copy-streams';
import { decodeCopyFields, eachCopyRow } from '../../db/copy-text.js';
import type { Sql } from '../../db/sql.js';
import { markChildrenChanged } from '../../services/changes/child-changes.js';
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
  /** The connector's records stored when the read began (what it was compared with), those marked absent then included. */
  stored: number;
  /** Records not read that this run marked absent. */
  marked: number;
  /**
   * Records marked absent when the read began that are not any more: returned by the read, unchanged or changed (a changed one is
   * also counted as updated), or, rarely, written meanwhile by another connector feeding the same system.
   */
  returned: number;
  /** Records not read and not marked, because of `heldReason`. */
  held: number;
  heldReason: RemovalsHeldReason | null;
  /** The source's records marked absent once this run was done: this run's and earlier runs' still not read. */
  absent: number;
  /**
   * The connector's open quarantined records this read did not meet again, closed by it (`NOT_SENT_AGAIN`): the
   * source sent neither their id nor, without an id, their payload. Absent from runs before the hub closed them,
   * and from a file connector's lists.
   */
  rejectsClosed?: number;
}

/**
 * The records a connector's full read is compared with, as they stood when the read began: see
 * {@link removalsBaseline}.
 */
export interface RemovalsBaseline {
  /** Another connector stores records of the same source system: only this connector's records are compared. */
  shared: boolean;
  /** This connector's records stored when the read began, counted when the system is shared; null: all the source system's, the loaded table's size. */
  stored: number | null;
  /** Of them, those marked absent then. */
  absent: number;
}

export interface RemovalsInput {
  sourceSystem: string;
  connectorId: string;
  runId: string;
  /** The stored records as loaded before the read's first batch, with what the read did to each. */
  table: KnownRecords;
  /** `removals.maxShare` of the definition. */
  maxShare: number;
  /** Taken before the read's first batch ({@link removalsBaseline}). */
  baseline: RemovalsBaseline;
}

/**
 * The records of `sourceSystem` a full read of connector `connectorId` is to be compared with, taken before it
 * reads anything. Several connectors may feed one source system (`shared`: another connector defined now has the
 * same system, an API and an export): a record another connector stores is not this connector's to call gone, so
 * then only the records last stored by this connector's runs count (a record both send, last written by the
 * other, is not marked by this one: the safe side). `stored` is counted only then (otherwise the loaded table's
 * size is it); the absent ones are found by their partial index.
 */
export async function removalsBaseline(sql: Sql, sourceSystem: string, connectorId: string, shared: boolean): Promise<RemovalsBaseline> {
  const mine = shared ? OWN_RECORDS : '';
  const absent = (await sql.one<{ n: number }>(
    `SELECT count(*)::int AS n FROM source_record s WHERE s.source_system = $1 AND s.absent_since IS NOT NULL ${mine}`,
    shared ? [sourceSystem, connectorId] : [sourceSystem]))!.n;
  const stored = shared
    ? (await sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM source_record s WHERE s.source_system = $1 ${mine}`, [sourceSystem, connectorId]))!.n
    : null;
  return { shared, stored, absent };
}

/** Whether source record `s` was last stored by a run of the connector `connector` (a parameter or a literal) names. */
export const lastStoredBy = (connector: string) => `s.connector_run_id IN (SELECT r.id FROM connector_run r WHERE r.connector_id = ${connector})`;

/** The records last stored by a run of connector `$2` (for a source system several connectors feed). */
const OWN_RECORDS = `AND ${lastStoredBy('$2')}`;

/**
 * Compares the connector's records with what a full read of it did ({@link KnownRecords.isUnread}) and marks
 * the unread ones absent, unmarks the ones read again, and keeps the result on the run, in one transaction.
 * Called once the read stored its last batch, holding the connector's lock, so no sync of the connector
 * writes meanwhile.
 *
 * Safe by construction: a record is marked only when the table surely knows it unread (its key's 32 bits
 * and 64 bits of its content match an entry no read or write touched); records stored after the table was
 * loaded have no entry. A read that quarantined records without an id, or that would mark more than
 * `maxShare` of the records the source still had (stored and not marked absent when the read began: a source
 * answering with part of its data), marks nothing new.
 */
export async function markRemovals(sql: Sql, input: RemovalsInput): Promise<RunRemovals> {
  const { sourceSystem, connectorId, runId, table, maxShare, baseline } = input;
  const stored = baseline.stored ?? table.size;
  if (stored === 0) {
    // Nothing of the connector's was stored when the read began (a first read): nothing can be gone.
    const none: RunRemovals = { stored: 0, marked: 0, returned: 0, held: 0, heldReason: null, absent: 0, rejectsClosed: 0 };
    await sql.query(`UPDATE connector_run SET removals = $2 WHERE id = $1`, [runId, JSON.stringify(none)]);
    return none;
  }
  const mine = baseline.shared ? OWN_RECORDS : '';
  const params = (...more: unknown[]) => (baseline.shared ? [sourceSystem, connectorId, ...more] : [sourceSystem, ...more]);
  const next = baseline.shared ? 3 : 2;
  return sql.tx(async (client) => {
    // The records marked absent now: few, found by their partial index. Those the read met came back unchanged;
    // those it wrote changed were unmarked as they were written (absent when the read began, not now).
    const before = await client.query<{ external_id: string; content_hash: string }>(
      `SELECT s.external_id, s.content_hash FROM source_record s WHERE s.source_system = $1 AND s.absent_since IS NOT NULL ${mine}`, params());
    const absentBefore = new Set(before.rows.map((r) => r.external_id));
    const readAgain = before.rows.filter((r) => !table.isUnread(r.external_id, r.content_hash)).map((r) => r.external_id);
    const returnedChanged = Math.max(0, baseline.absent - absentBefore.size);
    // Every record, by the keys and hashes alone (for a source system one connector feeds, an index-only scan of
    // the key index, which includes the hash: as the table was loaded). A string only for a record not met.
    const unread: string[] = [];
    await eachStored(client, `SELECT s.external_id, s.content_hash FROM source_record s WHERE s.source_system = ${client.escapeLiteral(sourceSystem)} ${
      baseline.shared ? `AND ${lastStoredBy(client.escapeLiteral(connectorId))}` : ''}`, (buf, start, end) => {
      if (!table.isUnreadRow(buf, start, end)) return;
      const externalId = decodeCopyFields(buf.subarray(start, end))[0];
      if (externalId != null && !absentBefore.has(externalId)) unread.push(externalId);
    });
    const unidentified = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM rejected_record WHERE last_run_id = $1 AND source_system = $2 AND external_id IS NULL`,
      [runId, sourceSystem],
    );
    // The share is of what the source still had: records marked absent earlier cannot go again.
    const present = stored - baseline.absent;
    let heldReason: RemovalsHeldReason | null = null;
    if (unread.length > 0 && (unidentified.rows[0]?.n ?? 0) > 0) heldReason = 'UNIDENTIFIED_REJECTS';
    else if (unread.length > maxShare * present) heldReason = 'OVER_MAX_SHARE';
    const marked = heldReason ? 0 : unread.length;
    // The connector's open rejects this read did not meet: what the source sends now is whole, so they are no longer
    // sent as they were (fixed, under their id or, without one, as a payload no longer broken; or removed). Not when
    // the source answered with part of its data. Records quarantined without an id this read are no obstacle: it
    // met them, and the open rows of other payloads are not sent again whichever record each becomes.
    const rejectsClosed = heldReason === 'OVER_MAX_SHARE' ? 0 : await closeRejectsNotSentAgain(client, sourceSystem, connectorId, runId);
    // A record's facts tell whether its source still vouches for them: the children holding them have changed.
    const changedChildren: Array<string | null> = [];
    if (marked) {
      const res = await client.query<{ child_id: string | null }>(
        `UPDATE source_record s SET absent_since = now(), absent_run_id = $${next}
          WHERE s.source_system = $1 AND s.external_id = ANY($${next + 1}::text[]) AND s.absent_since IS NULL ${mine}
          RETURNING s.child_id`,
        params(runId, unread),
      );
      changedChildren.push(...res.rows.map((r) => r.child_id));
    }
    if (readAgain.length) {
      const res = await client.query<{ child_id: string | null }>(
        `UPDATE source_record s SET absent_since = NULL, absent_run_id = NULL WHERE s.source_system = $1 AND s.external_id = ANY($${next}::text[]) ${mine}
          RETURNING s.child_id`,
        params(readAgain));
      changedChildren.push(...res.rows.map((r) => r.child_id));
    }
    await markChildrenChanged(client, changedChildren);
    const removals: RunRemovals = {
      stored, marked, returned: returnedChanged + readAgain.length, held: heldReason ? unread.length : 0, heldReason,
      absent: absentBefore.size - readAgain.length + marked, rejectsClosed,
    };
    await client.query(`UPDATE connector_run SET removals = $2 WHERE id = $1`, [runId, JSON.stringify(removals)]);
    return removals;
  });
}

/**
 * Streams the rows of `select` (`external_id, content_hash`), one COPY row at a time, to `fn` as the bytes
 * {@link KnownRecords.isUnreadRow} takes. No row object is made.
 */
async function eachStored(client: PoolClient, select: string, fn: (buf: Buffer, start: number, end: number) => void): Promise<void> {
  await eachCopyRow(client.query(pgCopy.to(`COPY (${select}) TO STDOUT`)) as AsyncIterable<Buffer>, fn);
}

/**
 * Closes the open rejects of connector `connectorId` (of `sourceSystem`) that run `runId`, a complete read of the
 * whole source, did not read again (`last_run_id`): `NOT_SENT_AGAIN`, resolved by the run. One statement, on the
 * open rows' partial indexes. Returns how many it closed.
 */
async function closeRejectsNotSentAgain(client: PoolClient, sourceSystem: string, connectorId: string, runId: string): Promise<number> {
  const res = await client.query(
    `UPDATE rejected_record x SET resolved_at = now(), resolution = 'NOT_SENT_AGAIN', resolved_by_run_id = $3
      WHERE x.resolved_at IS NULL AND x.source_system = $1 AND x.connector_id = $2 AND x.last_run_id IS DISTINCT FROM $3`,
    [sourceSystem, connectorId, runId]);
  return res.rowCount ?? 0;
}
