import type { PoolClient } from 'pg';
import type { ConnectorDefinition } from '../definition/connector-definition.schema.js';
import { RECORD_PROJECTION_TABLES } from '../../services/projections/projection-tables.js';
import type { RunRemovals } from './removals.js';

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

/** An external id no record has (ids are trimmed, never empty): stands for a record of the file whose id was not read. */
const UNIDENTIFIED = '';

/**
 * Remembers, in the caller's transaction, the external ids of the records one chunk of a file held (stored,
 * unchanged or refused), and whether it held a record whose id could not be read.
 */
export async function rememberListed(client: PoolClient, connectorId: string, checksum: string, externalIds: string[], unidentified: boolean): Promise<void> {
  const ids = unidentified ? [...externalIds, UNIDENTIFIED] : externalIds;
  if (ids.length === 0) return;
  await client.query(
    `INSERT INTO file_listed_record (connector_id, checksum, external_id) SELECT $1, $2, x FROM unnest($3::text[]) AS x ON CONFLICT DO NOTHING`,
    [connectorId, checksum, ids],
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
  /** Records stored before, in the lists the file holds (the file's own included). */
  stored: number;
  /** Records in those lists the file does not hold, marked absent now. */
  marked: number;
  /** Records marked absent before that the file holds again, unmarked. */
  returned: number;
  /** Records not marked because the file held a record whose id could not be read (it may be any of them). */
  held: number;
}

/**
 * Applies the lists of the file just read, in the caller's transaction (the one that records the file as
 * ingested), and forgets what the file held.
 */
export async function applyWholeLists(client: PoolClient, input: WholeListsInput): Promise<WholeListsFound> {
  const { connectorId, checksum, sourceSystem, runId, lists } = input;
  const found: WholeListsFound = { stored: 0, marked: 0, returned: 0, held: 0 };
  const held = (await client.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM file_listed_record WHERE connector_id = $1 AND checksum = $2 AND external_id = '') AS held`, [connectorId, checksum],
  )).rows[0]!.held;
  for (const list of lists) {
    // The lists the file names: those its records' projections give (what the records stored now say, the
    // unchanged ones' included); then every record of those lists, and whether the file holds it.
    const rows = (await client.query<{ id: string; held_by_file: boolean; absent: boolean }>(
      `WITH listed AS (
         SELECT external_id FROM file_listed_record WHERE connector_id = $1 AND checksum = $2 AND external_id <> ''
       ), lists AS (
         SELECT DISTINCT p.${list.column} AS name
           FROM source_record s JOIN ${list.table} p ON p.source_record_id = s.id
          WHERE s.source_system = $3 AND s.external_id IN (SELECT external_id FROM listed) AND p.${list.column} IS NOT NULL
       )
       SELECT DISTINCT s.id, s.external_id IN (SELECT external_id FROM listed) AS held_by_file, s.absent_since IS NOT NULL AS absent
         FROM source_record s JOIN ${list.table} p ON p.source_record_id = s.id
        WHERE s.source_system = $3 AND p.${list.column} IN (SELECT name FROM lists)`,
      [connectorId, checksum, sourceSystem],
    )).rows;
    found.stored += rows.length;
    const gone = rows.filter((r) => !r.held_by_file && !r.absent).map((r) => r.id);
    if (held) found.held += gone.length;
    else if (gone.length) {
      await client.query(`UPDATE source_record SET absent_since = now(), absent_run_id = $2 WHERE id = ANY($1::text[]) AND absent_since IS NULL`, [gone, runId]);
      found.marked += gone.length;
    }
  }
  // Every record the file holds is in its source, whichever list it is in now (or none).
  const back = await client.query(
    `UPDATE source_record s SET absent_since = NULL, absent_run_id = NULL
      WHERE s.source_system = $3 AND s.absent_since IS NOT NULL
        AND s.external_id IN (SELECT external_id FROM file_listed_record WHERE connector_id = $1 AND checksum = $2)`,
    [connectorId, checksum, sourceSystem],
  );
  found.returned += back.rowCount ?? 0;
  await client.query(`DELETE FROM file_listed_record WHERE connector_id = $1 AND checksum = $2`, [connectorId, checksum]);
  return found;
}

/**
 * Adds one file's {@link WholeListsFound} to the run's `removals` (kept on the run row, so a resumed run adds to
 * what it found before it stopped), with the source's records marked absent now; returns the sum.
 */
export async function addToRunRemovals(client: PoolClient, runId: string, sourceSystem: string, found: WholeListsFound): Promise<RunRemovals> {
  const before = (await client.query<{ removals: RunRemovals | null }>(`SELECT removals FROM connector_run WHERE id = $1`, [runId])).rows[0]?.removals ?? null;
  const absent = (await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM source_record WHERE source_system = $1 AND absent_since IS NOT NULL`, [sourceSystem])).rows[0]!.n;
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
