import { AppError } from '../../errors/app-error.js';
import { describeUnreadPaths } from '../mapping/mapping-columns.js';

/** A value the mapping reads that none of a page's records has, with what it would have emptied. */
export interface UnreadField {
  /** The paths it reads, as the mapping writes them. */
  paths: string[];
  /**
   * What it feeds (a record field, `groups.d`, `projections.schoolEnrolment.schoolName`, `projections.vaccination` for
   * whole rows), and how many of the page's records were stored before with a value there.
   */
  field: string;
  stored: number;
  /** A path of it is new for what it feeds: the mapping the stored records were read with read another path there. */
  newPath?: true;
}

/**
 * A page of an API in which no record has a path the mapping reads, whose records were stored before with a value in
 * the field it feeds: stored, each of them would lose that value (QA: a copy of the school connector with `ho_tenn`
 * for `ho_ten` emptied 216 children's names, the run SUCCEEDED, and no word was said but in a dry run). The page is
 * held, nothing of it stored, and the sync fails; the checkpoint stays before it. Retrying cannot help until the
 * mapping is corrected, or the path is listed in `http.optionalPaths`.
 */
export class MappingUnreadError extends AppError {
  override readonly name = 'MappingUnreadError';
  readonly code = 'CONNECTOR_MAPPING_UNREAD';
  // Paths and field names of the definition, counts and the page's place: the hub's words and configuration only.
  override readonly messageIsSafe = true;
  constructor(readonly connector: string, location: string, records: number, unread: readonly UnreadField[]) {
    // A path feeding several fields (a group's test and a projection's) is named once.
    const paths = describeUnreadPaths([...new Map(unread.map((u) => [JSON.stringify(u.paths), u.paths])).values()]);
    // Each field once (several of its paths may be unread).
    const lost = [...new Map(unread.map((u) => [u.field, `${u.field} of ${u.stored}`])).values()].join(', ');
    const fresh = [...new Set(unread.filter((u) => u.newPath).flatMap((u) => u.paths))];
    super(
      `connector ${connector}, ${location}: the mapping reads ${paths}, which none of the page's ${records} records has, ` +
        `and records of the page were stored before with a value there (${lost}): stored, they would lose it. ` +
        (fresh.length ? `${fresh.map((p) => `«${p}»`).join(', ')} ${fresh.length > 1 ? 'are' : 'is'} new there: the mapping they were stored with read another path. ` : '') +
        'The page was not stored, and the sync stopped before it (the checkpoint is kept). A misspelt path: correct it in the definition ' +
        '(connectors dry-run shows what a page maps to). If the API leaves it out when empty, and a whole page may lack it, list it in http.optionalPaths',
      { connector, location, records, unread: unread.map((u) => ({ paths: u.paths, field: u.field, stored: u.stored, ...(u.newPath ? { newPath: true } : {}) })) },
    );
  }
}
