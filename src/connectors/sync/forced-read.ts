import type { LoadedConnector } from '../definition/connector-catalog.js';

// What makes a connector's next sync a forced read, whatever it asks: its mapping changed since its stored records were
// read ({@link mappingChange}), or a forced read of its files stopped part-way ({@link PENDING_FORCED_FILE_READ_SQL}).
// The sync decides by them, and `check` and `dry-run` tell by them what it will do.

/** The mapping a connector's stored records were read with (`connector.records_mapping_hash`), as a sync decides by it. */
export type RecordsMapping = {
  /** Null: not known. */
  hash: string | null;
  /** Whether any sync of the connector finished. */
  read: boolean;
  /** This sync resumes its own run, which stored pages already. */
  resumesPages: boolean;
};

export const NO_RECORDS_MAPPING: RecordsMapping = { hash: null, read: false, resumesPages: false };

/** {@link RecordsMapping} of the connector whose id is $1, for a sync resuming the run whose id is $2 (or null). */
export const RECORDS_MAPPING_SQL =
  `SELECT c.records_mapping_hash AS hash, EXISTS (SELECT 1 FROM connector_run r WHERE r.connector_id = c.id AND r.status = 'SUCCEEDED') AS read,
          coalesce((SELECT r.batches > 0 FROM connector_run r WHERE r.id = $2), false) AS "resumesPages"
     FROM connector c WHERE c.id = $1`;

/**
 * Whether the connector's stored records were read with another mapping than its definition gives now
 * (`changed`: its records section was edited, or an upgrade changed the hub's `MAPPING_RULES_VERSION`), or
 * with one not known (`unknown`: the connector ran before the hub recorded it, or only files given by name were
 * read), so that this sync must read the whole source again for them to take it: an incremental read sees only
 * records changed at the source, and a file ingested before is skipped. Null when not: the mapping is the one
 * they were read with, or nothing was read yet, or the request reads everything anyway (forced) or only the
 * files it names, or this is a run resumed part-way.
 */
export function mappingChange(recorded: RecordsMapping, loaded: Pick<LoadedConnector, 'mappingHash'>, req: { force?: boolean; files?: readonly string[] }): 'changed' | 'unknown' | null {
  // A run resumed part-way goes on as it was: made forced, it would go on from its checkpoint, not read its first
  // pages again (QA). It does not record the mapping, so the next sync reads everything.
  if (req.force || req.files?.length || recorded.hash === loaded.mappingHash || recorded.resumesPages) return null;
  if (recorded.hash !== null) return 'changed';
  return recorded.read ? 'unknown' : null;
}

/**
 * Whether a forced read of the connector's (id $1) files stopped part-way, its run left RUNNING: the next sync goes on
 * with it as forced, reading files ingested before too (see the sync's `claimRun`).
 */
export const PENDING_FORCED_FILE_READ_SQL =
  `SELECT EXISTS (SELECT 1 FROM connector_run WHERE connector_id = $1 AND status = 'RUNNING' AND options->>'force' = 'true') AS pending`;

/** Why the connector's next sync reads every file again, those ingested already included, or null: for `check`. */
export type FileReread = 'mapping' | 'forced';

/**
 * {@link FileReread} of the connector whose id is `connectorId`, asked with `query` (rows of a statement): the mapping
 * changed since its stored records were read (or is not known), or a forced read of its files stopped part-way.
 */
export async function fileReread(
  query: (text: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>, connectorId: string, loaded: Pick<LoadedConnector, 'mappingHash'>,
): Promise<FileReread | null> {
  const recorded = ((await query(RECORDS_MAPPING_SQL, [connectorId, null]))[0] as RecordsMapping | undefined) ?? NO_RECORDS_MAPPING;
  if (mappingChange(recorded, loaded, {}) !== null) return 'mapping';
  return (await query(PENDING_FORCED_FILE_READ_SQL, [connectorId]))[0]?.['pending'] === true ? 'forced' : null;
}
