/**
 * The record id expressions a connector's stored records were stored under (`connector.record_id_hashes`), and
 * whether the definition now gives other ones. A source record is stored under (source system, external id): a
 * sync reading a source whose `externalId` expression changed would store every record again under a new id, as
 * a new record (each child without an identity number a second time), and leave the stored ones under their old
 * ids as live evidence. So a sync is refused then (`CONNECTOR_RECORD_IDS_CHANGED`) until the mapping is reverted
 * or the stored records are given their new ids (`childhub connectors rekey`, ./record-rekey.ts).
 */
import { createHash } from 'node:crypto';
import type { QueryResult, QueryResultRow } from 'pg';
import { canonicalJson } from '../../services/ingest/source-record.normalizer.js';
import type { RecordMapping } from '../mapping/mapping.schema.js';

/** Per record type, a hash of its mappings' id expressions. */
export type RecordIdHashes = Record<string, string>;

/**
 * The record types whose records are stored by external id (`source_record`). A facility row is stored by its
 * facility code and report number, whatever its id says: its id expression may change freely.
 */
const STORED_RECORD_TYPES: ReadonlySet<string> = new Set(['child']);

/** A PostgreSQL connection or pool. */
export interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * SQL: the connector's (`$2`) stored records of source system `$1`, as `s`: those last stored by its runs (several
 * connectors may feed one system; a record another connector stored last is that one's, as removals count them).
 */
export const OWN_STORED_RECORDS = `source_record s WHERE s.source_system = $1
  AND s.connector_run_id IN (SELECT r.id FROM connector_run r WHERE r.connector_id = $2)`;

/**
 * The id expressions of `records`, per record type stored by id: a hash of the canonical JSON of the record type and
 * the distinct `externalId` specs of its mappings (sorted: the order of the mappings does not make an id). A path
 * written alone is taken as `{ from: path }`, which it means.
 */
export function recordIdHashes(records: readonly RecordMapping[]): RecordIdHashes {
  const out: RecordIdHashes = {};
  for (const recordType of new Set(records.map((m) => m.recordType))) {
    if (!STORED_RECORD_TYPES.has(recordType)) continue;
    const specs = [...new Set(records.filter((m) => m.recordType === recordType).map((m) => canonicalJson(idSpec(m.externalId))))].sort();
    out[recordType] = createHash('sha256').update(canonicalJson({ recordType, externalId: specs })).digest('base64url');
  }
  return out;
}

function idSpec(spec: unknown): unknown {
  if (typeof spec === 'string') return { from: spec };
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return spec;
  const o = { ...(spec as Record<string, unknown>) };
  for (const k of ['join', 'firstOf'] as const) if (Array.isArray(o[k])) o[k] = (o[k] as unknown[]).map(idSpec);
  if (o.when !== undefined) o.when = idSpec(o.when);
  return o;
}

/** What changed since the connector's records were stored: the record types whose id expression differs, and how many records it has stored. */
export interface RecordIdsChange {
  recordTypes: string[];
  stored: number;
}

/**
 * The record types whose id expression differs from the one the connector's stored records were stored under,
 * with the count of those records; null when none differs, none was recorded (a connector that ran before the hub
 * recorded them: the current ones are taken), or the connector has no records stored (nothing to duplicate).
 * Cheap unless something differs: the count is taken only then.
 */
export async function recordIdsChange(db: Queryable, connectorId: string, sourceSystem: string, current: RecordIdHashes): Promise<RecordIdsChange | null> {
  const row = (await db.query<{ h: RecordIdHashes | null }>('SELECT record_id_hashes AS h FROM connector WHERE id = $1', [connectorId])).rows[0];
  const stored = row?.h ?? null;
  if (stored === null) return null;
  const recordTypes = Object.keys(current).filter((t) => stored[t] !== undefined && stored[t] !== current[t]).sort();
  if (!recordTypes.length) return null;
  const n = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${OWN_STORED_RECORDS}`, [sourceSystem, connectorId])).rows[0]!.n;
  return n > 0 ? { recordTypes, stored: n } : null;
}

/**
 * Records `current` as the id expressions of the connector's stored records (a sync going ahead, a rekey done).
 * Merged: a record type the definition no longer maps keeps the expression its stored records have, so mapping
 * it again another way is still told.
 */
export async function keepRecordIdHashes(db: Queryable, connectorId: string, current: RecordIdHashes): Promise<void> {
  await db.query(
    `UPDATE connector SET record_id_hashes = coalesce(record_id_hashes, '{}'::jsonb) || $2::jsonb
      WHERE id = $1 AND record_id_hashes IS DISTINCT FROM coalesce(record_id_hashes, '{}'::jsonb) || $2::jsonb`,
    [connectorId, JSON.stringify(current)]);
}
