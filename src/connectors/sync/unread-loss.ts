import type { Sql } from '../../db/sql.js';
import { RECORD_PROJECTION_TABLES } from '../../services/projections/projection-tables.js';
import type { LoadedConnector } from '../definition/connector-catalog.js';
import { readPathKey, readingsNoRecordHas, sparseReadingsNoRecordHas, type SparseTarget, type UnreadReading } from '../mapping/mapping-columns.js';
import type { RecordMapper } from '../mapping/record-mapper.js';
import type { RawRecord } from '../types.js';
import type { UnreadField } from './mapping-unread.error.js';

/**
 * The fewest records of an API's page on which any record stored with a value in a field the page leaves unread holds
 * the page; on a smaller page every record of it must have been ({@link unreadLoss}).
 */
export const FEW_RECORDS_FOR_PATH_CHECK = 10;

/** The record fields a page can empty, and their `source_record` columns. */
const STORED_COLUMNS: ReadonlyMap<string, string> = new Map([
  ['fullName', 'full_name'], ['familyName', 'family_name'], ['middleName', 'middle_name'], ['givenName', 'given_name'],
  ['sex', 'sex'], ['birthDate', 'birth_date'], ['communeCode', 'commune_code'], ['fatherName', 'father_name'],
  ['motherName', 'mother_name'], ['carerName', 'carer_name'], ['identityNumber', 'identity_number'],
]);

/** What a run (or a dry run) knows when it judges the paths of groups and projections a page leaves unread. */
export interface SparseJudging {
  /**
   * The paths the mapping the stored records were read with reads ({@link recordedPaths}): a path not among them is new
   * in the definition. Null when not known.
   */
  recorded: ReadonlySet<string> | null;
  /** Readings some record of the run had (then no misspelling): not judged again. */
  seen: Set<string>;
}

/**
 * What a page of an API would lose to paths of the mapping that none of its records has (the key absent from every
 * record; a key sent as null is the source saying "empty", not a misspelt path: QA re-check, a guardian cleared on a
 * page where every record sends the key was held). A page of one record (an incremental read's single change) is never
 * held. Paths in `http.optionalPaths` are not judged.
 *
 * - A record field (`fullName`): lost when records of the page were stored before with a value in it: on a page of
 *   {@link FEW_RECORDS_FOR_PATH_CHECK} records or more, any such record; on a smaller page, every record of it (QA
 *   re-check: pages of 5 emptied 216 names unchecked).
 * - A value of a group or projection (`groups.d`, `projections.schoolEnrolment.schoolName`), often absent from a whole
 *   page by nature (a disability, a flag a few children have; a record's evidence removed for good): lost when every
 *   record of the page had a stored value it feeds (a value the page's records all had), or when a path of it is new
 *   since the stored records were read (`judging.recorded`: an edited definition's misspelling) and any record of the
 *   page had one (QA: `schoolName: { from: ten_truongg }` emptied 216 enrolments' school names, and `when: { from:
 *   khuyet_tatt }` took group d's evidence from every disabled child, with no word).
 *
 * Costs nothing but the checks in the common case; one query when a path is unread.
 */
export async function unreadLoss(
  sql: Sql,
  definition: LoadedConnector['definition'],
  records: readonly RawRecord[],
  mapper: RecordMapper,
  judging?: SparseJudging,
): Promise<{ unread: UnreadReading[]; lost: UnreadField[] }> {
  if (definition.kind !== 'http' || records.length === 0) return { unread: [], lost: [] };
  const data = records.map((r) => r.data);
  const unread = readingsNoRecordHas(definition.records, data, { present: true });
  const sparse = judging ? sparseReadingsNoRecordHas(definition.records, data, judging.seen) : [];
  if ((unread.length === 0 && sparse.length === 0) || records.length < 2) return { unread, lost: [] };
  const optional = new Set((definition.http?.optionalPaths ?? []).map(readPathKey));
  const notOptional = (paths: readonly string[]) => !paths.every((p) => optional.has(readPathKey(p)));
  const judged = unread.filter((u) => notOptional(u.paths));
  // Without its id no record is stored: each is quarantined (MISSING_EXTERNAL_ID), nothing is emptied.
  const fields = [...new Set(judged.flatMap((u) => u.fields))].filter((f) => STORED_COLUMNS.has(f));
  const params: unknown[] = [definition.sourceSystem];
  const counted = sparse.filter((s) => notOptional(s.paths)).map((s) => ({ reading: s, count: storedCount(s.target, params) }))
    .filter((x): x is { reading: typeof x.reading; count: string } => x.count !== null);
  const ids = [...new Set(records.map((r) => mapper.externalIdOf(r)).filter((id): id is string => id !== null))];
  if ((fields.length === 0 && counted.length === 0) || ids.length === 0) return { unread, lost: [] };
  params.push(ids);
  const counts = (await sql.query<Record<string, number>>(
    `SELECT ${[...fields.map((f, i) => `count(s.${STORED_COLUMNS.get(f)})::int AS c${i}`), ...counted.map((x, j) => `${x.count} AS s${j}`)].join(', ')}
       FROM source_record s WHERE s.source_system = $1 AND s.external_id = ANY($${params.length}::text[])`,
    params))[0] ?? {};
  const few = records.length < FEW_RECORDS_FOR_PATH_CHECK;
  const lost: UnreadField[] = [];
  for (const u of judged) {
    for (const f of u.fields) {
      const i = fields.indexOf(f);
      const stored = i < 0 ? 0 : counts[`c${i}`] ?? 0;
      if (stored > 0 && (!few || stored >= ids.length)) lost.push({ paths: u.paths, field: f, stored });
    }
  }
  const recorded = judging?.recorded ?? null;
  counted.forEach(({ reading }, j) => {
    const stored = counts[`s${j}`] ?? 0;
    if (stored === 0) return;
    const isNew = recorded !== null && reading.paths.some((p) => !recorded.has(readPathKey(p)));
    const everyRecord = !reading.relative && ids.length >= 2 && stored >= ids.length;
    if (isNew || everyRecord) lost.push({ paths: reading.paths, field: reading.field, stored, ...(isNew ? { newPath: true as const } : {}) });
  });
  return { unread, lost };
}

/**
 * The SQL counting the page's stored records (`s`) with a value `target` feeds; parameters it needs are pushed on
 * `params`. Null for a projection the hub keeps no record rows of.
 */
function storedCount(target: SparseTarget, params: unknown[]): string | null {
  if (target.kind === 'group') {
    const clause = target.clause === null ? null : `$${params.push(target.clause)}::text`;
    if (target.part === 'evidence') {
      return clause === null ? `count(*) FILTER (WHERE jsonb_array_length(s.groups) > 0)::int` : `count(*) FILTER (WHERE s.groups @> jsonb_build_array(jsonb_build_object('clause', ${clause})))::int`;
    }
    return `count(*) FILTER (WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(s.groups) g WHERE ${clause === null ? 'true' : `g->>'clause' = ${clause}`} AND g->>'${target.part}' IS NOT NULL))::int`;
  }
  const table = RECORD_PROJECTION_TABLES.find((t) => t.kind === target.projection);
  if (!table) return null;
  const column = target.field === null ? null : table.columns.find((c) => c.field === target.field)?.column;
  if (column === undefined) return null;
  return `count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ${table.table} p WHERE p.source_record_id = s.id${column === null ? '' : ` AND p.${column} IS NOT NULL`}))::int`;
}

/**
 * The paths the mapping a connector's stored records were read with reads: its own, recorded by its last whole read;
 * else, for a connector with none recorded (a new one, perhaps a copy of another: QA), those of every connector feeding
 * the same source system (whose records it would rewrite). Null when none is known.
 */
export async function recordedPaths(sql: Sql, connectorId: string | null, sourceSystem: string): Promise<Set<string> | null> {
  const row = await sql.one<{ paths: string[] | null }>(
    `SELECT coalesce(
        (SELECT records_mapping_paths FROM connector WHERE id = $1),
        (SELECT jsonb_agg(DISTINCT p.path) FROM connector c, jsonb_array_elements_text(c.records_mapping_paths) AS p(path)
          WHERE c.source_system = $2 AND c.id IS DISTINCT FROM $1 AND c.records_mapping_paths IS NOT NULL)) AS paths`,
    [connectorId, sourceSystem],
  );
  return row?.paths ? new Set(row.paths) : null;
}
