import type { PoolClient } from 'pg';
import type { ConnectorDefinition } from '../definition/connector-definition.schema.js';
import { RECORD_PROJECTION_TABLES } from '../../services/projections/projection-tables.js';
import { markChildrenChanged } from '../../services/changes/child-changes.js';
import { lastStoredBy, type RunRemovals } from './removals.js';

/**
 * `wholeLists` of a file connector's mapping: a projection field whose value names a list that a file holds
 * whole (an inspection report's children: `placement.inspectionReportNumber`). When a file has been read, the
 * records stored earlier whose projection names a list the file holds, and which the file does not hold, are
 * marked absent from their source (`source_record.absent_since`): a report corrected and sent again without a
 * child no longer leaves that child placed as if the report still listed it. Records the file holds are
 * unmarked. Nothing is deleted.
 *
 * What a file held is kept, per file, in `file_listed_record` by the transactions that store its chunks (with
 * their checkpoints), so a sync killed mid-file and resumed still knows the file's first chunks; the rows go
 * when the file is done.
 */
export interface WholeList {
  /** The projection table and the column of the field that names the list. */
  table: string;
  column: string;
}

/** The lists of a definition's mappings (file connectors only; the schema refuses them elsewhere). */
export function wholeListsOf(definition: ConnectorDefinition): WholeList[] {
  if (definition.kind !== 'file') return [];
  const out: WholeList[] = [];
  for (const m of definition.records) {
    if (!m.wholeLists) continue;
    const table = RECORD_PROJECTION_TABLES.find((t) => t.kind === m.wholeLists!.projection);
    const column = table?.columns.find((c) => c.field === m.wholeLists!.field);
    if (!table || !column) continue;
    if (!out.some((l) => l.table === table.table && l.column === column.column)) out.push({ table: table.table, column: column.column });
  }
  return out;
}

/**
 * The record types (and sheets) whose records the lists are made of: the mappings with `wholeLists`. A record of
 * another type (a facility row) whose id cannot be read cannot be one of a list's records.
 */
export function wholeListTypes(definition: ConnectorDefinition): Set<string> {
  const out = new Set<string>();
  for (const m of definition.records) {
    if (!m.wholeLists) continue;
    out.add(m.recordType);
    if (m.sheet !== undefined) out.add(String(m.sheet));
  }
  return out;
}

/** An external id no record has (ids are trimmed, never empty): stands for a record of the file whose id was not read. */
const UNIDENTIFIED = '';

/** What one chunk of a file held, for {@link rememberListed}. */
export interface ChunkListed {
  /** Every external id the chunk held: read valid (stored or unchanged) or refused with its id. */
  held: string[];
  /** Of them, those read valid: their stored projections name the file's lists (a refused row's stored ones are its old version's). */
  valid: ReadonlySet<string>;
  /** Whether the chunk held a record of a list's type whose id could not be read. */
  unidentified: boolean;
}

/**
 * Remembers, in the caller's transaction and before the chunk's records are stored (so that a record a changed row
 * unmarks as it is written still counts as returned), what one chunk of a file held: each external id, whether it
 * was read valid, and whether its record was marked absent.
 */
export async function rememberListed(client: PoolClient, connectorId: string, checksum: string, sourceSystem: string, chunk: ChunkListed): Promise<void> {
  const ids = chunk.unidentified ? [...chunk.held, UNIDENTIFIED] : chunk.held;
  if (ids.length === 0) return;
  await client.query(
    `INSERT INTO file_listed_record (connector_id, checksum, external_id, valid, was_absent)
     SELECT $1, $2, x.id, x.valid,
            EXISTS (SELECT 1 FROM source_record s WHERE s.source_system = $3 AND s.external_id = x.id AND s.absent_since IS NOT NULL)
       FROM unnest($4::text[], $5::boolean[]) AS x(id, valid)
     ON CONFLICT (connector_id, checksum, external_id) DO UPDATE
        SET valid = file_listed_record.valid OR excluded.valid, was_absent = file_listed_record.was_absent OR excluded.was_absent`,
    [connectorId, checksum, sourceSystem, ids, ids.map((id) => chunk.valid.has(id))],
  );
}

export interface WholeListsInput {
  connectorId: string;
  checksum: string;
  sourceSystem: string;
  runId: string;
  lists: readonly WholeList[];
}

/** What one file's lists did (added to the run's `removals`). */
export interface WholeListsFound {
  /** Records this connector stored before in the lists the file names (the file's own included). */
  stored: number;
  /** Records in those lists the file does not hold, marked absent now. */
  marked: number;
  /** Records marked absent before that the file holds again, unmarked (as they were written, or now). */
  returned: number;
  /** Records not marked because the file held a record whose id could not be read (it may be any of them). */
  held: number;
}


/**
 * Applies the lists of the file just read, in the caller's transaction (the one that records the file as
 * ingested), and forgets what the file held.
 *
 * The lists the file names are those the projections of the records it held valid give, as stored now (the
 * unchanged ones' included). Of the records in those lists, only those this connector's runs last stored are
 * marked: a record another connector feeding the same source system sent is not this file's to call gone.
 */
export async function applyWholeLists(client: PoolClient, input: WholeListsInput): Promise<WholeListsFound> {
  const { connectorId, checksum, sourceSystem, runId, lists } = input;
  const found: WholeListsFound = { stored: 0, marked: 0, returned: 0, held: 0 };
  const changedChildren: Array<string | null> = [];
  const held = (await client.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM file_listed_record WHERE connector_id = $1 AND checksum = $2 AND external_id = '') AS held`, [connectorId, checksum],
  )).rows[0]!.held;
  for (const list of lists) {
    const rows = (await client.query<{ id: string; held_by_file: boolean; absent: boolean }>(
      `WITH listed AS (
         SELECT external_id, valid FROM file_listed_record WHERE connector_id = $1 AND checksum = $2 AND external_id <> ''
       ), lists AS (
         SELECT DISTINCT p.${list.column} AS name
           FROM source_record s JOIN ${list.table} p ON p.source_record_id = s.id
          WHERE s.source_system = $3 AND s.external_id IN (SELECT external_id FROM listed WHERE valid) AND p.${list.column} IS NOT NULL
       )
       SELECT DISTINCT s.id, s.external_id IN (SELECT external_id FROM listed) AS held_by_file, s.absent_since IS NOT NULL AS absent
         FROM source_record s JOIN ${list.table} p ON p.source_record_id = s.id
        WHERE s.source_system = $3 AND p.${list.column} IN (SELECT name FROM lists) AND ${lastStoredBy('$1')}`,
      [connectorId, checksum, sourceSystem],
    )).rows;
    found.stored += rows.length;
    const gone = rows.filter((r) => !r.held_by_file && !r.absent).map((r) => r.id);
    if (held) found.held += gone.length;
    else if (gone.length) {
      const res = await client.query<{ child_id: string | null }>(
        `UPDATE source_record SET absent_since = now(), absent_run_id = $2 WHERE id = ANY($1::text[]) AND absent_since IS NULL RETURNING child_id`, [gone, runId]);
      changedChildren.push(...res.rows.map((r) => r.child_id));
      found.marked += gone.length;
    }
  }
  // Every record the file holds is in its source, whichever list it is in now (or none): those a changed row
  // wrote were unmarked then; the rest now.
  const returned = await client.query<{ child_id: string | null }>(
    `UPDATE source_record s SET absent_since = NULL, absent_run_id = NULL
      WHERE s.source_system = $3 AND s.absent_since IS NOT NULL
        AND s.external_id IN (SELECT external_id FROM file_listed_record WHERE connector_id = $1 AND checksum = $2)
      RETURNING s.child_id`,
    [connectorId, checksum, sourceSystem],
  );
  changedChildren.push(...returned.rows.map((r) => r.child_id));
  // A placement left out of a corrected report, or listed again, shows so on the child: the child has changed.
  await markChildrenChanged(client, changedChildren);
  found.returned = (await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM file_listed_record WHERE connector_id = $1 AND checksum = $2 AND was_absent`, [connectorId, checksum],
  )).rows[0]!.n;
  await client.query(`DELETE FROM file_listed_record WHERE connector_id = $1 AND checksum = $2`, [connectorId, checksum]);
  return found;
}

/**
 * Adds one file's {@link WholeListsFound} to the run's `removals` (kept on the run row, so a resumed run adds to
 * what it found before it stopped), with the records this connector's runs marked absent that still are (as
 * `absentSourceRecords(connector:)` lists them); returns the sum.
 */
export async function addToRunRemovals(client: PoolClient, runId: string, connectorId: string, found: WholeListsFound): Promise<RunRemovals> {
  const before = (await client.query<{ removals: RunRemovals | null }>(`SELECT removals FROM connector_run WHERE id = $1`, [runId])).rows[0]?.removals ?? null;
  const absent = (await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM source_record s
      WHERE s.absent_since IS NOT NULL AND s.absent_run_id IN (SELECT r.id FROM connector_run r WHERE r.connector_id = $1)`, [connectorId])).rows[0]!.n;
  const held = (before?.held ?? 0) + found.held;
  const sum: RunRemovals = {
    stored: (before?.stored ?? 0) + found.stored,
    marked: (before?.marked ?? 0) + found.marked,
    returned: (before?.returned ?? 0) + found.returned,
    held,
    heldReason: held > 0 ? 'UNIDENTIFIED_REJECTS' : null,
    absent,
  };
  await client.query(`UPDATE connector_run SET removals = $2 WHERE id = $1`, [runId, JSON.stringify(sum)]);
  return sum;
}
