import type { Sql } from '../../db/sql.js';
import { compilePath } from '../paths.js';
import { RECORD_PROJECTION_TABLES } from '../../services/projections/projection-tables.js';
import type { LoadedConnector } from '../definition/connector-catalog.js';
import { optionalPathsOf, readingsNoRecordHas, sparsePathsRead, sparseReadingsNoRecordHas, type SparseReading, type SparseTarget, type UnreadReading } from '../mapping/mapping-columns.js';
import type { RecordMapper } from '../mapping/record-mapper.js';
import type { MappedRecord, RawRecord } from '../types.js';
import type { SourceRecordInput } from '../../domain/source-record-input.js';
import type { UnreadField } from './mapping-unread.error.js';

/**
 * A page of an API this small may lack a path by chance. Under it, a record field the page leaves unread holds it only
 * when every record had a value there; a group's or projection's value is held by the every-record rule only when this
 * many had it ({@link unreadLoss}); and a dry run of an incremental read does not warn of paths none of its records has
 * (QA: a misspelt `from` was never flagged over a pilot API's pages of 3 and 7 records, read from the beginning).
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
   * What the groups and projections of the mapping the stored records were read with read ({@link recordedPaths}, as
   * `sparsePathsRead` names them: `groups.d ← khuyet_tat`). Null when not known.
   */
  recorded: ReadonlySet<string> | null;
  /** The run reads the source from its beginning (a page mixes changed and unchanged records), not changes since a mark. */
  fullRead: boolean;
  /** Readings some record of the run had (then no misspelling): not judged again. */
  seen: Set<string>;
  /** Whether a mapped child record would be stored (valid, its projections too): a refused one is quarantined, emptying nothing. */
  wouldStore: (mapped: MappedChild) => boolean;
}

/** A record the mapper took as a child record. */
export type MappedChild = Extract<MappedRecord, { ok: true }> & { record: SourceRecordInput };

/**
 * What a page of an API would lose to paths of the mapping that none of its records has (the key absent from every
 * record; a key sent as null is the source saying "empty", not a misspelt path: QA re-check, a guardian cleared on a
 * page where every record sends the key was held). A page of one record (an incremental read's single change) is never
 * held. Paths in `http.optionalPaths` are not judged.
 *
 * - A record field (`fullName`): lost when records of the page were stored before with a value in it: on a page of
 *   {@link FEW_RECORDS_FOR_PATH_CHECK} records or more, any such record; on a smaller page, every record of it (QA
 *   re-check: pages of 5 emptied 216 names unchecked).
 * - A path of a group or projection (`groups.d`, `projections.schoolEnrolment.schoolName`), often absent from a whole
 *   page by nature (a disability, a flag a few children have; evidence the source ended): the page's records are
 *   mapped, and a record loses what the path feeds when it was stored with a value there, maps to none, and would be
 *   stored (values another entry or alternative gives are not lost: QA, the health station's disability rows come from
 *   the assessment or from the flag). The page is held when
 *   - in a read of the whole source, every record of the page stored with such a value, {@link FEW_RECORDS_FOR_PATH_CHECK}
 *     or more of them, would lose it (an incremental page holds the records changed, which a correction may all have
 *     changed alike: QA re-checks, two flags corrected in the same hour, twelve cleared at once, held for good); or
 *   - the path is new for what it feeds since the stored records were read, while a path that fed it then does no more
 *     (`judging.recorded`: a path renamed or misspelt, by an edit or in a copy), and a record would lose a value whose
 *     stored payload has one at that replaced path (QA: `schoolName: { from: ten_truongg }` emptied 216 enrolments'
 *     school names, and `when: { from: khuyet_tatt }` took group d's evidence, with no word). A path only added beside
 *     those read before, or renamed where it gave no record the value, is not blamed for evidence the source ended.
 *
 * Costs nothing but the checks in the common case; one query when a path is unread, mapping the page when a group's or
 * projection's path is and records of the page were stored with a value it feeds, and one more query when a new path's
 * value would be lost.
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
  const optional = optionalPathsOf(definition.http?.optionalPaths);
  const judged = unread.filter((u) => !optional.listsAll(u.paths));
  // Without its id no record is stored: each is quarantined (MISSING_EXTERNAL_ID), nothing is emptied.
  const fields = [...new Set(judged.flatMap((u) => u.fields))].filter((f) => STORED_COLUMNS.has(f));
  const params: unknown[] = [definition.sourceSystem];
  // A path within `each` is listed as optional by its qualified name (`each » path`): the same words elsewhere are another path.
  const suspects = sparse.filter((s) => !optional.lists(s.qualified));
  // One query per target (what several paths feed is asked once).
  const targets = new Map<string, { target: SparseTarget; sql: string }>();
  for (const s of suspects) {
    if (targets.has(s.field)) continue;
    const count = storedWith(s.target, params);
    if (count !== null) targets.set(s.field, { target: s.target, sql: count });
  }
  const ids = [...new Set(records.map((r) => mapper.externalIdOf(r)).filter((id): id is string => id !== null))];
  if ((fields.length === 0 && targets.size === 0) || ids.length === 0) return { unread, lost: [] };
  params.push(ids);
  const named = [...targets.keys()];
  const row = (await sql.query<Record<string, number | string[] | null>>(
    `SELECT ${[...fields.map((f, i) => `count(s.${STORED_COLUMNS.get(f)})::int AS c${i}`), ...named.map((f, j) => `${targets.get(f)!.sql} AS s${j}`)].join(', ')}
       FROM source_record s WHERE s.source_system = $1 AND s.external_id = ANY($${params.length}::text[])`,
    params))[0] ?? {};
  const few = records.length < FEW_RECORDS_FOR_PATH_CHECK;
  const lost: UnreadField[] = [];
  for (const u of judged) {
    for (const f of u.fields) {
      const i = fields.indexOf(f);
      const stored = i < 0 ? 0 : Number(row[`c${i}`] ?? 0);
      if (stored > 0 && (!few || stored >= ids.length)) lost.push({ paths: u.paths, field: f, stored });
    }
  }
  const storedIds = new Map<string, string[]>(named.map((f, j) => [f, (row[`s${j}`] as string[] | null) ?? []]));
  if (judging && [...storedIds.values()].some((x) => x.length > 0)) lost.push(...(await sparseLoss(sql, definition, records, mapper, judging, suspects, targets, storedIds)));
  return { unread, lost };
}

/** {@link unreadLoss} for the paths of groups and projections: the page mapped, each target's losing records counted. */
async function sparseLoss(
  sql: Sql,
  definition: LoadedConnector['definition'],
  records: readonly RawRecord[],
  mapper: RecordMapper,
  judging: SparseJudging,
  suspects: readonly SparseReading[],
  targets: ReadonlyMap<string, { target: SparseTarget }>,
  storedIds: ReadonlyMap<string, string[]>,
): Promise<UnreadField[]> {
  // The page as the sync would store it (the last copy of an id wins, as there).
  const mapped = new Map<string, MappedChild | null>();
  for (const r of records) {
    const m = mapper(r);
    if (m.ok && m.type === 'child' && m.record) mapped.set(m.record.externalId, judging.wouldStore(m as MappedChild) ? (m as MappedChild) : null);
    else if (!m.ok && m.externalId !== null) mapped.set(m.externalId, null);
  }
  // Per target: the page's records stored with a value there that would be stored again, and those of them that would lose it.
  const losing = new Map<string, { had: number; lose: string[] }>();
  for (const [field, was] of storedIds) {
    const { target } = targets.get(field)!;
    // A record that would not be stored (refused, quarantined) empties nothing.
    const kept = was.filter((id) => { const m = mapped.get(id); return m !== undefined && m !== null; });
    losing.set(field, { had: kept.length, lose: kept.filter((id) => !hasValue(mapped.get(id)!, target)) });
  }
  const { recorded } = judging;
  // What feeds a target now; the paths that fed it when the stored records were read and do no more were replaced.
  const current = recorded ? new Set(sparsePathsRead(definition.records)) : null;
  const replacedPaths = (field: string) => [...recorded!].filter((k) => k.startsWith(`${field} ← `) && !current!.has(k)).map((k) => k.slice(field.length + 3));
  // A new path is blamed for the records whose stored payload had a value at a path it replaced: what they lose came
  // from there (QA fourth round: a renamed path that gave no one group d was blamed for a flag the source ended).
  const fromReplaced = new Map<string, number>();
  for (const s of suspects) {
    const lose = losing.get(s.field)?.lose ?? [];
    if (recorded === null || !lose.length || recorded.has(s.key) || fromReplaced.has(s.field)) continue;
    const old = replacedPaths(s.field);
    fromReplaced.set(s.field, old.length ? await countHaving(sql, definition.sourceSystem, lose, old) : 0);
  }
  const byField = new Map<string, { all: UnreadField[]; fresh: UnreadField[] }>();
  for (const s of suspects) {
    const { had, lose } = losing.get(s.field) ?? { had: 0, lose: [] };
    if (lose.length === 0) continue;
    const blamed = recorded !== null && !recorded.has(s.key) ? fromReplaced.get(s.field) ?? 0 : 0;
    const isNew = blamed > 0;
    const n = isNew ? blamed : lose.length;
    // Every record of a page of a whole read: an incremental page holds the records changed, which a bulk correction
    // may all have changed alike (QA: twelve flags cleared at once).
    // Of the records that had a value there: a new record, or one stored without it, has nothing to lose (QA fourth round:
    // one new pupil on the page let eleven school names go).
    const everyRecord = judging.fullRead && had >= FEW_RECORDS_FOR_PATH_CHECK && lose.length >= had;
    if (!isNew && !everyRecord) continue;
    const entry: UnreadField = { paths: [s.relative ? s.qualified : s.paths[0]!], field: s.field, stored: n, ...(isNew ? { newPath: true as const } : {}) };
    const found = byField.get(s.field) ?? { all: [], fresh: [] };
    found.all.push(entry);
    if (isNew) found.fresh.push(entry);
    byField.set(s.field, found);
  }
  // Held for a new path: that is what is named (the field's other paths may be absent by nature).
  return [...byField.values()].flatMap((f) => (f.fresh.length ? f.fresh : f.all));
}

/**
 * How many of the stored records `ids` of `sourceSystem` have, in their stored payload (`raw`), a value at one of `paths`
 * (as `sparsePathsRead` names them: `each » path` within a projection's `each`). A record kept as a file's row has none.
 */
async function countHaving(sql: Sql, sourceSystem: string, ids: readonly string[], paths: readonly string[]): Promise<number> {
  const rows = await sql.query<{ raw: unknown }>('SELECT raw FROM source_record WHERE source_system = $1 AND external_id = ANY($2::text[]) AND raw IS NOT NULL', [sourceSystem, ids]);
  const readers = paths.map((p) => {
    const [each, inner] = p.includes(' » ') ? p.split(' » ') as [string, string] : [null, p];
    try {
      const path = compilePath(inner);
      const within = each === null ? null : compilePath(each);
      return (raw: unknown) => (within ? within(raw) : [raw]).some((x) => path(x).some((v) => v !== null));
    } catch {
      return () => false;
    }
  });
  return rows.filter((r) => readers.some((has) => has(r.raw))).length;
}

/** Whether a mapped record has a value where `target` points. */
function hasValue(m: MappedChild, target: SparseTarget): boolean {
  if (target.kind === 'group') {
    return (m.record?.groups ?? []).some((g) => (target.clause === null || g.clause === target.clause) && (target.part === 'evidence' || (g[target.part] ?? null) !== null));
  }
  const rows = (m.projections as Record<string, Array<Record<string, unknown>> | undefined>)[target.projection] ?? [];
  return rows.some((r) => target.field === null || (r[target.field] ?? null) !== null);
}

/**
 * The SQL giving the external ids of the page's stored records (`s`) with a value `target` points at; parameters it
 * needs are pushed on `params`. Null for a projection the hub keeps no record rows of.
 */
function storedWith(target: SparseTarget, params: unknown[]): string | null {
  let where: string;
  if (target.kind === 'group') {
    const clause = target.clause === null ? null : `$${params.push(target.clause)}::text`;
    where = target.part === 'evidence'
      ? (clause === null ? 'jsonb_array_length(s.groups) > 0' : `s.groups @> jsonb_build_array(jsonb_build_object('clause', ${clause}))`)
      : `EXISTS (SELECT 1 FROM jsonb_array_elements(s.groups) g WHERE ${clause === null ? 'true' : `g->>'clause' = ${clause}`} AND g->>'${target.part}' IS NOT NULL)`;
  } else {
    const table = RECORD_PROJECTION_TABLES.find((t) => t.kind === target.projection);
    if (!table) return null;
    const column = target.field === null ? null : table.columns.find((c) => c.field === target.field)?.column;
    if (column === undefined) return null;
    where = `EXISTS (SELECT 1 FROM ${table.table} p WHERE p.source_record_id = s.id${column === null ? '' : ` AND p.${column} IS NOT NULL`})`;
  }
  return `coalesce(array_agg(s.external_id) FILTER (WHERE ${where}), '{}')`;
}

/**
 * What a whole read records as the paths its stored records were read with (`connector.records_mapping_paths`,
 * {@link recordedPaths}): the mapping's ({@link sparsePathsRead}), except a path new for what it feeds since the stored
 * records were read that no record of the read had. For what such a path feeds, the paths recorded before that the
 * mapping reads no more are kept in its place: nothing has shown the new one right, so the next reads still judge it
 * new (QA third round: a misspelt group test whose whole read refused every record it touched was recorded as read,
 * and not told after, when those records came back valid and lost their evidence). A path some record had, or one the
 * stored records were read with, is recorded as the mapping reads it. Without what the stored records were read with
 * (`judging` null, or its `recorded`), the mapping's paths.
 */
export function pathsToRecord(mappings: Parameters<typeof sparsePathsRead>[0], judging: Pick<SparseJudging, 'recorded' | 'seen'> | null): string[] {
  const current = sparsePathsRead(mappings);
  const recorded = judging?.recorded;
  if (!judging || !recorded) return current;
  const unproven = new Set(current.filter((k) => !recorded.has(k) && !judging.seen.has(k)));
  if (unproven.size === 0) return current;
  const fieldOf = (key: string) => key.slice(0, key.indexOf(' ← '));
  const fields = new Set([...unproven].map(fieldOf));
  const now = new Set(current);
  return [...current.filter((k) => !unproven.has(k)), ...[...recorded].filter((k) => !now.has(k) && fields.has(fieldOf(k)))];
}

/**
 * The paths the mapping a connector's stored records were read with reads: its own, recorded by its last whole read;
 * else, for a connector that never finished a sync (a new one, perhaps a copy of another: QA), those of every connector
 * feeding the same source system (whose records it would rewrite). Null when none is known (a connector that synced
 * before this hub recorded them, until its next whole read).
 */
export async function recordedPaths(sql: Sql, connectorId: string | null, sourceSystem: string): Promise<Set<string> | null> {
  const row = await sql.one<{ paths: string[] | null }>(
    `SELECT CASE
        WHEN EXISTS (SELECT 1 FROM connector_run r WHERE r.connector_id = $1 AND r.status = 'SUCCEEDED')
          THEN (SELECT records_mapping_paths FROM connector WHERE id = $1)
        ELSE (SELECT jsonb_agg(DISTINCT p.path) FROM connector c, jsonb_array_elements_text(c.records_mapping_paths) AS p(path)
               WHERE c.source_system = $2 AND c.id IS DISTINCT FROM $1 AND c.records_mapping_paths IS NOT NULL)
      END AS paths`,
    [connectorId, sourceSystem],
  );
  return row?.paths ? new Set(row.paths) : null;
}
