/**
 * `childhub connectors rekey`: gives a connector's stored records the ids its definition's record id expressions
 * (`externalId`) give them now, derived from each record's stored payload (`source_record.raw`, or a CSV row's
 * `raw_text` under its `raw_layout`), in place: the record keeps its row, its child, its projections and its
 * group evidence, so the next sync finds it under its new id (unchanged or updated, never new). Also renamed: the
 * ids the hub keeps of those records elsewhere, the connector's open and dismissed rejects. All in one transaction,
 * on the connection that holds the connector's sync lock (no sync of it runs meanwhile); nothing is written when
 * two records would take one id, or a record's new id cannot be derived.
 */
import type { PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { RecordLayout } from '../../domain/record-layout.js';
import type { LoadedConnector } from '../definition/connector-catalog.js';
import { parseCsvRecordText } from '../file/csv-rows.js';
import { DEFAULT_RECORD_TYPE } from '../file/file.schema.js';
import { compileRecordMapper, type RecordMapper } from '../mapping/record-mapper.js';
import type { RawRecord } from '../types.js';
import { keepRecordIdHashes, OWN_STORED_RECORDS, recordIdHashes, recordIdsChange } from './record-ids.js';
import { markChildrenChanged } from '../../services/changes/child-changes.js';

/** How many stored record ids a refusal names, of each kind (ids `src_…`: never a name, number or payload value). */
const NAMED = 5;
/** Stored records read at a time. */
const CHUNK = 2000;

/** Records of one kind of refusal: how many, and the first few stored record ids. */
export interface RekeyProblem {
  records: number;
  /** `src_…` ids, with what kept the id from being derived where it says (`externalId REQUIRED`). */
  first: Array<{ id: string; problem?: string }>;
}

export interface RekeyResult {
  connector: string;
  dryRun: boolean;
  /** The record types whose id expression changed since the records were stored (empty: none, or none recorded). */
  recordTypes: string[];
  /** The connector's stored records, each read again. */
  stored: number;
  /** Records whose id changes (renamed, or would be with `dryRun`). */
  renamed: number;
  /** Records whose new id is the one they have. */
  unchanged: number;
  /** Open and dismissed rejects of the connector whose id changes with their record's (or their payload's). */
  rejectsRenamed: number;
  /** Open and dismissed rejects of the connector whose new id cannot be told (a broken row's text, a payload no mapping takes): kept as they are. */
  rejectsKept: number;
  /** Why nothing was (or would be) written; null when the rekey went (or would go) ahead. */
  refused: null | {
    /** Records whose new id another of its records would take too. */
    collisions: RekeyProblem & { ids: number };
    /** Records whose new id a record the connector did not store last already has (another connector of the system). */
    taken: RekeyProblem;
    /** Records whose new id cannot be derived from what is stored (a field missing, a value the id cannot take). */
    underivable: RekeyProblem;
  };
  /** Whether anything was written (false for a dry run or a refusal). */
  applied: boolean;
}

interface StoredRow {
  id: string;
  external_id: string;
  raw: unknown;
  raw_text: string | null;
  raw_layout: string | null;
}

interface RejectRow {
  id: string;
  external_id: string;
  open: boolean;
  by_record: string | null;
  payload: unknown;
}

/**
 * Rekeys connector `connectorId`'s stored records with `loaded`'s mapping, in a transaction on `client`, which must
 * hold the connector's sync lock and have no transaction open. Refused (nothing written) as {@link RekeyResult.refused}
 * says; with `dryRun`, everything is worked out and nothing is written.
 */
export async function rekeyRecords(client: PoolClient, loaded: LoadedConnector, connectorId: string, opts: { dryRun: boolean; logger: Logger }): Promise<RekeyResult> {
  const { definition } = loaded;
  const sourceSystem = definition.sourceSystem;
  const mapper = compileRecordMapper(sourceSystem, definition.records);
  // What the reader gives a stored record's kind: a file's rows the record type of their sheet (child records come
  // from child sheets), an API's records none.
  const recordType = definition.kind === 'file' ? DEFAULT_RECORD_TYPE : undefined;
  const current = recordIdHashes(definition.records);
  const result: RekeyResult = {
    connector: definition.name, dryRun: opts.dryRun, recordTypes: [], stored: 0, renamed: 0, unchanged: 0, rejectsRenamed: 0, rejectsKept: 0,
    refused: null, applied: false,
  };
  await client.query('BEGIN');
  try {
    result.recordTypes = (await recordIdsChange(client, connectorId, sourceSystem, current))?.recordTypes ?? [];
    await client.query(`CREATE TEMP TABLE rekey_record (id text PRIMARY KEY, old_id text NOT NULL, new_id text, problem text) ON COMMIT DROP`);
    await client.query(`DECLARE rekey_stored NO SCROLL CURSOR FOR
      SELECT s.id, s.external_id, s.raw, s.raw_text, s.raw_layout FROM ${OWN_STORED_RECORDS.replace('$1', client.escapeLiteral(sourceSystem)).replace('$2', client.escapeLiteral(connectorId))}`);
    const layouts = new Map<string, RecordLayout | null>();
    for (;;) {
      const rows = (await client.query<StoredRow>(`FETCH ${CHUNK} FROM rekey_stored`)).rows;
      if (!rows.length) break;
      const ids: string[] = [];
      const olds: string[] = [];
      const news: Array<string | null> = [];
      const problems: Array<string | null> = [];
      for (const row of rows) {
        const data = await storedData(client, row, layouts);
        const derived = data === null ? { id: null, problem: 'payload UNREADABLE' } : deriveId(mapper, { data, recordType });
        ids.push(row.id);
        olds.push(row.external_id);
        news.push(derived.id);
        problems.push(derived.problem);
      }
      await client.query(
        'INSERT INTO rekey_record (id, old_id, new_id, problem) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])',
        [ids, olds, news, problems]);
      result.stored += rows.length;
    }
    await client.query('CLOSE rekey_stored');
    await client.query('ANALYZE rekey_record');

    const underivable = await problemOf(client, `SELECT id, problem FROM rekey_record WHERE new_id IS NULL`);
    const collided = await client.query<{ records: number; ids: number }>(
      `SELECT coalesce(sum(n), 0)::int AS records, count(*)::int AS ids FROM (SELECT count(*) AS n FROM rekey_record WHERE new_id IS NOT NULL GROUP BY new_id HAVING count(*) > 1) d`);
    const collisions = {
      ...(await problemOf(client, `SELECT k.id, NULL AS problem FROM rekey_record k
          WHERE k.new_id IN (SELECT new_id FROM rekey_record WHERE new_id IS NOT NULL GROUP BY new_id HAVING count(*) > 1)`)),
      ids: collided.rows[0]!.ids,
    };
    const taken = await problemOf(client, `SELECT k.id, NULL AS problem FROM rekey_record k
        JOIN source_record s ON s.source_system = ${client.escapeLiteral(sourceSystem)} AND s.external_id = k.new_id
       WHERE NOT EXISTS (SELECT 1 FROM rekey_record o WHERE o.id = s.id)`);
    if (underivable.records || collisions.records || taken.records) {
      result.refused = { collisions, taken, underivable };
      await client.query('ROLLBACK');
      opts.logger.warn({ connector: definition.name, stored: result.stored, collisions: collisions.records, taken: taken.records, underivable: underivable.records, dryRun: opts.dryRun },
        'connector rekey refused: nothing written');
      return result;
    }
    const counted = (await client.query<{ renamed: number }>('SELECT count(*)::int AS renamed FROM rekey_record WHERE new_id <> old_id')).rows[0]!;
    result.renamed = counted.renamed;
    result.unchanged = result.stored - counted.renamed;

    const rejects = await rejectRenames(client, mapper, recordType, sourceSystem, connectorId);
    result.rejectsRenamed = rejects.renames.size;
    result.rejectsKept = rejects.kept;

    if (opts.dryRun) {
      await client.query('ROLLBACK');
      return result;
    }
    // Through a name no record can have, so that ids swapped or shifted between records never meet the unique key.
    await client.query(`UPDATE source_record s SET external_id = 'rekey' || chr(1) || s.id FROM rekey_record k WHERE s.id = k.id AND k.new_id <> k.old_id`);
    const renamed = await client.query<{ child_id: string | null }>(
      `UPDATE source_record s SET external_id = k.new_id FROM rekey_record k WHERE s.id = k.id AND k.new_id <> k.old_id RETURNING s.child_id`);
    // Each fact names its record's id in its source (`source.externalId`): the children holding them have changed.
    await markChildrenChanged(client, renamed.rows.map((r) => r.child_id));
    if (rejects.renames.size) {
      const ids = [...rejects.renames.keys()];
      const news = [...rejects.renames.values()];
      await client.query(`UPDATE rejected_record SET external_id = 'rekey' || chr(1) || id WHERE id = ANY($1::text[])`, [ids]);
      await client.query(
        'UPDATE rejected_record x SET external_id = n.new_id FROM unnest($1::text[], $2::text[]) AS n(id, new_id) WHERE x.id = n.id', [ids, news]);
    }
    await keepRecordIdHashes(client, connectorId, current);
    await client.query('COMMIT');
    result.applied = true;
    opts.logger.info({ connector: definition.name, stored: result.stored, renamed: result.renamed, rejectsRenamed: result.rejectsRenamed, rejectsKept: result.rejectsKept },
      'connector records rekeyed');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** A stored record's data as the reader gave it to the mapping: its JSON, or its CSV row read under its layout; null when neither can be read. */
async function storedData(client: PoolClient, row: StoredRow, layouts: Map<string, RecordLayout | null>): Promise<Record<string, unknown> | null> {
  if (row.raw_text !== null && row.raw_layout !== null) {
    let layout = layouts.get(row.raw_layout);
    if (layout === undefined) {
      const found = await client.query<{ delimiter: string; quote: string; header: string; columns: string[] }>(
        'SELECT delimiter, quote, header, columns FROM record_layout WHERE id = $1', [row.raw_layout]);
      const l = found.rows[0];
      layout = l ? { id: row.raw_layout, format: 'csv', delimiter: l.delimiter, quote: l.quote, header: l.header, columns: l.columns } : null;
      layouts.set(row.raw_layout, layout);
    }
    return layout ? parseCsvRecordText(row.raw_text, layout) : null;
  }
  return row.raw !== null && typeof row.raw === 'object' && !Array.isArray(row.raw) ? (row.raw as Record<string, unknown>) : null;
}

/**
 * The id the mapping gives a child record now, or what keeps it from giving one: the problem's field and code
 * (`externalId REQUIRED`, `(record) NO_MAPPING`), never a value.
 */
function deriveId(mapper: RecordMapper, raw: RawRecord): { id: string | null; problem: string | null } {
  const id = mapper.identify(raw);
  if (id !== null && id !== '') return { id, problem: null };
  const mapped = mapper(raw);
  if (!mapped.ok) {
    const p = mapped.problems.find((x) => x.field === 'externalId' || x.field.startsWith('externalId.') || x.field === '(record)' || x.field === 'when') ?? mapped.problems[0];
    if (p) return { id: null, problem: `${p.field} ${p.code}` };
  }
  if (mapped.ok && mapped.type !== 'child') return { id: null, problem: `(record) ${mapped.type.toUpperCase()}` };
  return { id: null, problem: 'externalId REQUIRED' };
}

/** Count and first few of the rows of `sql` (`id`, `problem`), by id. */
async function problemOf(client: PoolClient, sql: string): Promise<RekeyProblem> {
  const n = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) p`)).rows[0]!.n;
  if (!n) return { records: 0, first: [] };
  const first = (await client.query<{ id: string; problem: string | null }>(`SELECT * FROM (${sql}) p ORDER BY id LIMIT ${NAMED}`)).rows
    .map((r) => (r.problem === null ? { id: r.id } : { id: r.id, problem: r.problem }));
  return { records: n, first };
}

/**
 * The new id of each open or dismissed reject of the connector whose id changes: its record's new id when the
 * record is stored under the reject's id, else what the mapping gives its payload (a record read by the mapping:
 * its data, or, refused by validation, the mapped record's `raw`). `kept`: those whose new id cannot be told, which
 * keep theirs. An open reject whose new id another open reject of the system would have keeps its own too (one open
 * reject per record id), as does the other, if it was to be renamed.
 */
async function rejectRenames(
  client: PoolClient, mapper: RecordMapper, recordType: string | undefined, sourceSystem: string, connectorId: string,
): Promise<{ renames: Map<string, string>; kept: number }> {
  const rows = (await client.query<RejectRow>(
    `SELECT x.id, x.external_id, x.resolved_at IS NULL AS open, k.new_id AS by_record, CASE WHEN k.id IS NULL THEN x.payload END AS payload
       FROM rejected_record x LEFT JOIN rekey_record k ON k.old_id = x.external_id
      WHERE x.source_system = $1 AND x.connector_id = $2 AND x.external_id IS NOT NULL AND (x.resolved_at IS NULL OR x.resolution = 'DISMISSED')`,
    [sourceSystem, connectorId])).rows;
  const renames = new Map<string, string>();
  let kept = 0;
  for (const r of rows) {
    const next = r.by_record ?? payloadId(mapper, recordType, sourceSystem, r.payload);
    if (next === null) kept++;
    else if (next !== r.external_id) renames.set(r.id, next);
  }
  if (!renames.size) return { renames, kept };
  // One open reject per (source system, id): the system's open rejects as they would stand, until no two share one.
  const open = (await client.query<{ id: string; external_id: string }>(
    'SELECT id, external_id FROM rejected_record WHERE source_system = $1 AND resolved_at IS NULL AND external_id IS NOT NULL', [sourceSystem])).rows;
  for (;;) {
    const holders = new Map<string, string[]>();
    for (const o of open) {
      const id = renames.get(o.id) ?? o.external_id;
      holders.set(id, [...(holders.get(id) ?? []), o.id]);
    }
    const clashing = [...holders.values()].filter((h) => h.length > 1).flat().filter((id) => renames.has(id));
    if (!clashing.length) break;
    for (const id of clashing) {
      renames.delete(id);
      kept++;
    }
  }
  return { renames, kept };
}

/** The id the mapping gives a reject's payload now, or null. */
function payloadId(mapper: RecordMapper, recordType: string | undefined, sourceSystem: string, payload: unknown): string | null {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null;
  const p = payload as Record<string, unknown>;
  // A record refused by validation keeps the record the mapping made of it, its data under `raw`.
  const data = p.sourceSystem === sourceSystem && typeof p.externalId === 'string' && p.raw !== null && typeof p.raw === 'object' && !Array.isArray(p.raw)
    ? (p.raw as Record<string, unknown>)
    : p;
  const id = mapper.identify({ data, recordType });
  return id === '' ? null : id;
}
