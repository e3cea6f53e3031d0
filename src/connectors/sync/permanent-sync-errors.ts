/**
 * Codes of the errors that end a sync which running it again cannot fix: the definition or the connector
 * itself is wrong (unknown, invalid, disabled, a secret missing, a mapping that does not compile or makes
 * projections that cannot be stored, a checkpoint that is not its reader's), a 4xx
 * refused the request, or a file is refused for what it holds (its encoding, format, headers, sheets; the
 * drop directory or a file given by name missing or unreadable). The `connector-sync` worker fails such a
 * job at once instead of retrying it, and a queued run they end is marked FAILED.
 *
 * Not here, as a later attempt can succeed: a sync already running, a source unavailable or answering
 * garbage, a file that changed while it was read (still being copied in), a file given by name whose reading
 * failed below the hub (CONNECTOR_FILE_IO_ERROR: a network share back a minute later), database errors.
 */
export const PERMANENT_SYNC_ERROR_CODES: ReadonlySet<string> = new Set([
  'CONNECTOR_NOT_FOUND',
  'CONNECTOR_DEFINITION_INVALID',
  'CONNECTOR_DISABLED',
  'CONNECTOR_MAPPING_INVALID',
  'CONNECTOR_SECRET_MISSING',
  'CONNECTOR_SETTING_MISSING',
  // A setting's value it cannot use (a base URL that is not one): until someone corrects it.
  'CONNECTOR_SETTING_INVALID',
  'CONNECTOR_REQUEST_REFUSED',
  'CONNECTOR_FILE_ENCODING',
  'CONNECTOR_FILE_FORMAT',
  'CONNECTOR_FILE_HEADERS',
  'CONNECTOR_FILE_SHEET_NOT_FOUND',
  'CONNECTOR_FILE_UNREADABLE',
  // A file given by name that the hub may not read, or that is not a file: until someone changes that.
  'CONNECTOR_FILE_PERMISSION_DENIED',
  'CONNECTOR_FILE_NOT_A_FILE',
  'CONNECTOR_FILES_REFUSED',
  // The stored checkpoint is not this reader's: every attempt would read it the same way.
  'CONNECTOR_CHECKPOINT_INVALID',
  // A path of the definition that does not compile (`validate` refuses such a definition, so only a definition
  // that bypassed it).
  'CONNECTOR_PATH_INVALID',
  // A mapping made a projection the writer cannot store: the same records would make it again.
  'PROJECTION_INVALID',
  // The record id expressions changed since the records were stored: until the mapping is reverted or they are rekeyed.
  'CONNECTOR_RECORD_IDS_CHANGED',
  // A path of the mapping no record of a page has, whose stored values the page would empty: until the mapping is corrected.
  'CONNECTOR_MAPPING_UNREAD',
  // Records another connector enabled here stored, with values the mapping gives none of: until the mapping gives them, or that one is disabled.
  'CONNECTOR_MAPPING_NARROWER',
]);

/** Whether `err` carries one of {@link PERMANENT_SYNC_ERROR_CODES}. */
export function isPermanentSyncError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && PERMANENT_SYNC_ERROR_CODES.has(code);
}
