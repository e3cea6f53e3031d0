import type { Disagreements } from '../entities/child.entity.js';
import { ISSUANCE_WAITS } from '../issuance-waits.js';
import type { QueryCounter, Row, Sql } from '../sql.js';
import { MAX_MERGE_DEPTH, ProjectionReadRepository, precisionSql } from './projection-read.repository.js';

/** Row shapes returned to the GraphQL layer (camelCase, ready to serve). */
export interface ChildRow {
  id: string;
  status: string;
  mergedIntoId: string | null;
  version: number;
  fullName: string | null;
  familyName: string | null;
  middleName: string | null;
  givenName: string | null;
  sex: string | null;
  birthDate: string | null;
  birthDatePrecision: string | null;
  birthDateEstimated: boolean;
  birthYear: number | null;
  communeCode: string | null;
  identityNumber: string | null;
  identityStatus: string;
  groups: string[];
  provenanceMap: Record<string, { sourceRecordId: string; sourceSystem: string; chosenAt: string }>;
  disagreementMap: Disagreements | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface IssuanceRow {
  childId: string;
  requestedAt: Date;
  dueAt: Date;
  overdueAt: Date | null;
  polls: number;
  lastPolledAt: Date | null;
  nextPollAt: Date | null;
  /** `dueAt` to the microsecond, as stored (ISO 8601, UTC): the page cursor's key (a Date keeps milliseconds). */
  dueKey: string;
}

/** Where a page of overdue issuance requests ends: the last request's sort key, not a reference to its row. */
export interface IssuancePageKey {
  /** ISO 8601 timestamp, to the microsecond ({@link IssuanceRow.dueKey}). */
  dueAt: string;
  childId: string;
}

export interface ChildFilterSql {
  communeCodes?: string[] | null;
  /** null = all communes. */
  scope: string[] | null;
  sex?: string | null;
  birthYearFrom?: number | null;
  birthYearTo?: number | null;
  groupClause?: string | null;
  /** Any of these identity statuses. */
  identityStatuses?: string[] | null;
  /** true: a health screening among the child's facts (its merged children's included); false: none. */
  healthScreened?: boolean | null;
  /** true: the child's latest school enrolment is STUDYING; false: it is not, or there is none. */
  inSchool?: boolean | null;
  /** Folded words that must all appear in the folded name. */
  nameWords?: string[] | null;
  /** true: sources disagree on some golden field; false: on none. */
  sourcesDisagree?: boolean | null;
  /** Golden fields (`GoldenField` names): sources disagree on at least one of them. */
  sourcesDisagreeOn?: string[] | null;
  /** Flag codes: a linked record carries at least one of them. */
  recordFlags?: string[] | null;
  /**
   * A change token's transaction id (src/services/changes/child-changes.ts): children changed by it or a later
   * transaction, MERGED ones included.
   */
  changedSince?: string | null;
}

const CHILD_COLUMNS = `id, status, merged_into_id AS "mergedIntoId", version, full_name AS "fullName", family_name AS "familyName",
  middle_name AS "middleName", given_name AS "givenName", sex, birth_date AS "birthDate", birth_date_precision AS "birthDatePrecision",
  birth_date_estimated AS "birthDateEstimated", birth_year AS "birthYear", commune_code AS "communeCode",
  identity_number AS "identityNumber", identity_status AS "identityStatus", group_clauses AS groups, provenance AS "provenanceMap", disagreements AS "disagreementMap",
  identity_verified_at AS "identityVerifiedAt", identity_checked_at AS "identityCheckedAt",
  identity_mismatched_fields AS "identityMismatchedFields", created_at AS "createdAt", updated_at AS "updatedAt"`;

const SOURCE_RECORD_COLUMNS = `id, child_id AS "childId", source_system AS "sourceSystem", external_id AS "externalId", full_name AS "fullName",
  family_name AS "familyName", middle_name AS "middleName", given_name AS "givenName", sex, birth_date AS "birthDate",
  birth_date_precision AS "birthDatePrecision", birth_date_estimated AS "birthDateEstimated", commune_code AS "communeCode",
  commune_code_set AS "communeCodeSet", father_name AS "fatherName", mother_name AS "motherName", carer_name AS "carerName",
  identity_number AS "identityNumber", groups, flags,
  content_hash AS "contentHash", source_updated_at AS "sourceUpdatedAt", first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt",
  absent_since AS "absentFromSourceSince", link_rule AS "linkRule", link_score AS "linkScore", linked_by AS "linkedBy", linked_at AS "linkedAt"`;

const IDENTITY_NUMBER_COLUMNS = `id, child_id AS "childId", number, status, source_record_id AS "sourceRecordId",
  structural_findings AS "structuralFindings", first_seen_at AS "firstSeenAt", verified_at AS "verifiedAt", superseded_at AS "supersededAt"`;

const SPECIAL_CIRCUMSTANCE_COLUMNS = `id, child_id AS "childId", clause, clause AS "group", sub_type AS "subType", started_on AS "startedOn",
  ${precisionSql('started_on', 'started_on_precision')} AS "startedOnPrecision",
  ended_on AS "endedOn", ${precisionSql('ended_on', 'ended_on_precision')} AS "endedOnPrecision", source_record_id AS "sourceRecordId", evidence->>'sourceSystem' AS "evidenceSource"`;

/**
 * Numbers in conflict, one row per number: a number a child in the scope `$1` (null: every commune) is in
 * CONFLICT over, that more than one active child still carries; with every active child carrying it in the
 * scope, whatever its own status (QA: a holder re-checked since as MISMATCH was left out, and a number no other
 * child carried any more was listed alone), and the first one's id (`first_id`), which orders the pages.
 */
const CONFLICT_GROUPS = `
  SELECT c.identity_number AS number,
         array_agg(c.id ORDER BY c.id) FILTER (WHERE $1::text[] IS NULL OR c.commune_code = ANY($1::text[])) AS "childIds",
         min(c.id) FILTER (WHERE $1::text[] IS NULL OR c.commune_code = ANY($1::text[])) AS first_id
    FROM child c
   WHERE c.status = 'ACTIVE' AND c.identity_number IN (
           SELECT identity_number FROM child
            WHERE status = 'ACTIVE' AND identity_status = 'CONFLICT' AND identity_number IS NOT NULL
              AND ($1::text[] IS NULL OR commune_code = ANY($1::text[])))
   GROUP BY c.identity_number
  HAVING count(*) > 1`;

/** Issuance requests overdue and still open, of active children in the scope `$1` (null: every commune). */
/** An issuance request `i` as {@link IssuanceRow}. */
const ISSUANCE_COLUMNS = `i.child_id AS "childId", i.requested_at AS "requestedAt", i.due_at AS "dueAt", i.overdue_at AS "overdueAt",
  i.polls, i.last_polled_at AS "lastPolledAt", i.next_poll_at AS "nextPollAt",
  to_char(i.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "dueKey"`;

// A request waits while the child has no usable number (ISSUANCE_WAITS): one a source's number stopped stays (its wait goes
// on if the number is dropped again) but is not overdue meanwhile (QA: children with a number were listed overdue).
const OVERDUE_WHERE = `i.issued_at IS NULL AND i.due_at < now() AND c.status = 'ACTIVE' AND ${ISSUANCE_WAITS}
  AND ($1::text[] IS NULL OR c.commune_code = ANY($1::text[]))`;

/** Which relations to fetch together with one child. */
export interface ChildRelations {
  sourceRecords: boolean;
  identityNumbers: boolean;
  specialCircumstances: boolean;
}

export interface ChildWithRelations {
  child: ChildRow & Row;
  sourceRecords?: Row[];
  identityNumbers?: Row[];
  specialCircumstances?: Row[];
}

/**
 * Read queries behind the GraphQL gateway. Every method takes a batch of ids (DataLoader calls them once
 * per request and level), so the number of statements does not grow with page size.
 */
export class ChildReadRepository {
  constructor(private readonly sql: Sql) {}

  private projectionReads?: ProjectionReadRepository;

  /** Which of `codes` some active child is kept under (a former commune code a source gave, flagged). */
  async childCommuneCodes(codes: readonly string[]): Promise<string[]> {
    const rows = await this.sql.query<{ code: string }>(
      `SELECT c.code FROM unnest($1::text[]) c(code) WHERE EXISTS (SELECT 1 FROM child WHERE commune_code = c.code AND status = 'ACTIVE')`, [codes]);
    return rows.map((r) => r.code);
  }

  /** Reads of the connectors' typed projections and facilities, over the same pool and prepared statements. */
  get projections(): ProjectionReadRepository {
    this.projectionReads ??= new ProjectionReadRepository(this.sql);
    return this.projectionReads;
  }

  /**
   * A change token's transaction id, taken now (before the page it goes with is read): the oldest transaction
   * still running, so that every transaction before it has ended and is seen (src/services/changes/child-changes.ts).
   */
  async changeTokenXmin(counter?: QueryCounter): Promise<string> {
    return (await this.sql.one<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin', [], counter))!.xmin;
  }

  /** Whether a change token's transaction id is past every id this database has given: not a token of its own. */
  async changeTokenAhead(xid: string, counter?: QueryCounter): Promise<boolean> {
    return (await this.sql.one<{ ahead: boolean }>('SELECT $1::xid8 > pg_snapshot_xmax(pg_current_snapshot()) AS ahead', [xid], counter))!.ahead;
  }

  childrenByIds(ids: readonly string[], counter?: QueryCounter) {
    return this.sql.query<ChildRow & Record<string, unknown>>(`SELECT ${CHILD_COLUMNS} FROM child WHERE id = ANY($1::text[])`, [ids], counter);
  }

  /** One page in id order; returns up to `limit` rows after `afterId`. */
  childrenPage(filter: ChildFilterSql, limit: number, afterId: string | null, counter?: QueryCounter) {
    const { where, params } = buildWhere(filter);
    if (afterId) {
      params.push(afterId);
      where.push(`id > $${params.length}`);
    }
    params.push(limit);
    return this.sql.query<ChildRow & Record<string, unknown>>(
      `SELECT ${CHILD_COLUMNS} FROM child WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${params.length}`,
      params,
      counter,
    );
  }

  async countChildren(filter: ChildFilterSql, counter?: QueryCounter): Promise<number> {
    const { where, params } = buildWhere(filter);
    const row = await this.sql.one<{ n: string }>(`SELECT count(*) AS n FROM child WHERE ${where.join(' AND ')}`, params, counter);
    return Number(row?.n ?? 0);
  }

  /** Source records of the given children, in a stable order (source system, then id). */
  async sourceRecordsByChildIds(ids: readonly string[], counter?: QueryCounter) {
    // Sorted and shaped here rather than in SQL: this is the gateway's hottest statement.
    const rows = await this.sql.query(`SELECT ${SOURCE_RECORD_COLUMNS} FROM source_record WHERE child_id = ANY($1::text[])`, [ids], counter);
    return rows.map(shapeSourceRecord).sort(bySystemThenId);
  }

  async sourceRecordsByIds(ids: readonly string[], counter?: QueryCounter) {
    return (await this.sql.query(`SELECT ${SOURCE_RECORD_COLUMNS} FROM source_record WHERE id = ANY($1::text[])`, [ids], counter)).map(shapeSourceRecord);
  }

  /**
   * The open reject of each of these source records' records (same source system and external id), when one has
   * one: a newer version the source sent that the hub refused. Ids, reasons and times only, never the payload.
   * One probe each of the index that keeps one open reject per record.
   */
  openRejectsBySourceRecordIds(ids: readonly string[], counter?: QueryCounter) {
    return this.sql.query(
      `SELECT s.id AS "recordId", x.id, x.reasons, x.created_at AS "rejectedAt", x.last_seen_at AS "lastSeenAt", x.last_run_id AS "lastRunId",
              x.times_seen AS "timesSeen"
         FROM source_record s
         JOIN rejected_record x ON x.source_system = s.source_system AND x.external_id = s.external_id AND x.resolved_at IS NULL
        WHERE s.id = ANY($1::text[])`,
      [ids],
      counter,
    );
  }

  identityNumbersByChildIds(ids: readonly string[], counter?: QueryCounter) {
    return this.sql.query(
      `SELECT ${IDENTITY_NUMBER_COLUMNS} FROM identity_number WHERE child_id = ANY($1::text[]) ORDER BY child_id, first_seen_at, id`,
      [ids],
      counter,
    );
  }

  /**
   * The open issuance request (no number issued yet) of each child that waits for one ({@link ISSUANCE_WAITS}): not of a
   * child a source has given a usable number since (its request's polls stopped; it waits again if the number is dropped).
   */
  issuanceByChildIds(ids: readonly string[], counter?: QueryCounter): Promise<IssuanceRow[]> {
    return this.sql.query(
      `SELECT ${ISSUANCE_COLUMNS} FROM identity_issuance i
        WHERE i.child_id = ANY($1::text[]) AND i.issued_at IS NULL
          AND EXISTS (SELECT 1 FROM child c WHERE c.id = i.child_id AND ${ISSUANCE_WAITS})`,
      [ids],
      counter,
    ) as unknown as Promise<IssuanceRow[]>;
  }

  specialCircumstancesByChildIds(ids: readonly string[], counter?: QueryCounter) {
    return this.sql.query(
      `SELECT ${SPECIAL_CIRCUMSTANCE_COLUMNS} FROM special_circumstance WHERE child_id = ANY($1::text[]) ORDER BY child_id, clause, id`,
      [ids],
      counter,
    );
  }

  /**
   * Children in scope whose verified number another active child also carries, one group per number
   * ({@link CONFLICT_GROUPS}), ordered by the group's first (smallest) child id in scope; up to `limit` groups
   * after the one whose first child is `afterId`.
   */
  async identityConflicts(scope: string[] | null, limit: number, afterId: string | null, counter?: QueryCounter): Promise<Array<{ number: string; childIds: string[] }>> {
    return this.sql.query(
      `SELECT number, "childIds" FROM (${CONFLICT_GROUPS}) g
        WHERE $2::text IS NULL OR first_id > $2
        ORDER BY first_id LIMIT $3`,
      [scope, afterId, limit],
      counter,
    ) as Promise<Array<{ number: string; childIds: string[] }>>;
  }

  /** How many numbers `identityConflicts` lists in the scope, over all its pages. */
  async countIdentityConflicts(scope: string[] | null, counter?: QueryCounter): Promise<number> {
    const row = await this.sql.one<{ n: string }>(`SELECT count(*) AS n FROM (${CONFLICT_GROUPS}) g`, [scope], counter);
    return Number(row?.n ?? 0);
  }

  /**
   * Issuance requests past their due date and still without a number, oldest first (due date, then child id);
   * up to `limit` after the key `after`. The key is the last row's (due date, child id) itself, not that row: a
   * request is deleted when it closes (a number found) and its due date reset when it is reopened, and the next
   * page must still start where the last one ended.
   */
  async overdueIssuance(scope: string[] | null, limit: number, after: IssuancePageKey | null, counter?: QueryCounter): Promise<IssuanceRow[]> {
    return this.sql.query(
      `SELECT ${ISSUANCE_COLUMNS}
         FROM identity_issuance i JOIN child c ON c.id = i.child_id
        WHERE ${OVERDUE_WHERE}
          AND ($2::timestamptz IS NULL OR (i.due_at, i.child_id) > ($2::timestamptz, $3::text))
        ORDER BY i.due_at, i.child_id LIMIT $4`,
      [scope, after?.dueAt ?? null, after?.childId ?? null, limit],
      counter,
    ) as unknown as Promise<IssuanceRow[]>;
  }

  /** How many requests `overdueIssuance` lists in the scope, over all its pages. */
  async countOverdueIssuance(scope: string[] | null, counter?: QueryCounter): Promise<number> {
    const row = await this.sql.one<{ n: string }>(
      `SELECT count(*) AS n FROM identity_issuance i JOIN child c ON c.id = i.child_id WHERE ${OVERDUE_WHERE}`, [scope], counter);
    return Number(row?.n ?? 0);
  }

  /**
   * One child and the relations asked for, in one statement (one round trip instead of one per relation:
   * `child(id)` is the gateway's most frequent call). Rows have the same shape as the batch methods'.
   */
  async childWithRelations(id: string, want: ChildRelations, counter?: QueryCounter): Promise<ChildWithRelations | undefined> {
    const row = await this.sql.one<ChildRow & Row & { sourceRecords?: Row[]; identityNumbers?: Row[]; specialCircumstances?: Row[] }>(
      `SELECT ${CHILD_COLUMNS},
         CASE WHEN $2::boolean THEN (SELECT coalesce(json_agg(r), '[]') FROM (SELECT ${SOURCE_RECORD_COLUMNS} FROM source_record WHERE child_id = $1) r) END AS "sourceRecords",
         CASE WHEN $3::boolean THEN (SELECT coalesce(json_agg(r ORDER BY r."firstSeenAt", r.id), '[]') FROM (SELECT ${IDENTITY_NUMBER_COLUMNS} FROM identity_number WHERE child_id = $1) r) END AS "identityNumbers",
         CASE WHEN $4::boolean THEN (SELECT coalesce(json_agg(r ORDER BY r.clause, r.id), '[]') FROM (SELECT ${SPECIAL_CIRCUMSTANCE_COLUMNS} FROM special_circumstance WHERE child_id = $1) r) END AS "specialCircumstances"
       FROM child WHERE id = $1`,
      [id, want.sourceRecords, want.identityNumbers, want.specialCircumstances],
      counter,
    );
    if (!row) return undefined;
    const { sourceRecords, identityNumbers, specialCircumstances, ...child } = row;
    return {
      child: child as ChildRow & Row,
      // json_agg renders timestamps as text; the batch path gives Dates, so revive them.
      sourceRecords: sourceRecords?.map((r) => shapeSourceRecord(reviveDates(r, SOURCE_RECORD_TIMES))).sort(bySystemThenId),
      identityNumbers: identityNumbers?.map((r) => reviveDates(r, IDENTITY_NUMBER_TIMES)),
      specialCircumstances: specialCircumstances ?? undefined,
    };
  }
}

const compare = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);
const bySystemThenId = (a: Row, b: Row) => compare(a.sourceSystem, b.sourceSystem) || compare(a.id, b.id);

const SOURCE_RECORD_TIMES = ['sourceUpdatedAt', 'firstSeenAt', 'lastSeenAt', 'absentFromSourceSince', 'linkedAt'];
const IDENTITY_NUMBER_TIMES = ['firstSeenAt', 'verifiedAt', 'supersededAt'];

function reviveDates(row: Row, keys: string[]): Row {
  for (const k of keys) if (typeof row[k] === 'string') row[k] = new Date(row[k] as string);
  return row;
}

/** `groups` is stored as group evidence objects; the API exposes the clause letters. */
function shapeSourceRecord(row: Row): Row {
  const groups = Array.isArray(row.groups) ? (row.groups as Array<{ clause: string }>).map((g) => g.clause) : [];
  return { ...row, groups };
}

/**
 * The children whose facts are a listed child's: itself and the children merged into it, followed through
 * `merged_into_id` as the projections are read (see projection-read.repository), as CTE `fam(member_id)`.
 * Correlated with the listed `child` row; each step is an index look-up.
 */
const FAMILY = `WITH RECURSIVE fam(member_id, depth) AS (
    SELECT child.id, 0
    UNION ALL
    SELECT m.id, fam.depth + 1 FROM fam JOIN child m ON m.merged_into_id = fam.member_id WHERE fam.depth < ${MAX_MERGE_DEPTH}
  )`;

/** Whether a health screening is among a child's facts (records by child, screenings by record: index look-ups). */
const HAS_HEALTH_SCREENING = `EXISTS (
  ${FAMILY}
  SELECT 1 FROM fam JOIN source_record s ON s.child_id = fam.member_id JOIN health_screening h ON h.source_record_id = s.id
)`;

/**
 * The status of a child's latest school enrolment among its facts (null: none): the one `Child.schoolEnrolments` lists
 * last (by school year, one without a year last; of one year, a record the source still holds over one it no longer
 * does, then the one the source changed last, then as written: see projection-read.repository's order). QA: a pupil's
 * old primary record, `Thôi học` and gone from the source, outranked the lower-secondary record of the same year
 * because the hub happened to write it later.
 */
const LATEST_ENROLMENT_STATUS = `(
  ${FAMILY}
  SELECT e.status FROM fam JOIN source_record s ON s.child_id = fam.member_id JOIN school_enrolment e ON e.source_record_id = s.id
   ORDER BY e.school_year DESC NULLS FIRST, s.absent_since IS NULL DESC, s.source_updated_at DESC NULLS LAST, e.id DESC LIMIT 1
)`;

function buildWhere(f: ChildFilterSql): { where: string[]; params: unknown[] } {
  // A pull of changes lists the children merged since too: that is how the app learns a child it holds is another's.
  const where = [f.changedSince != null ? `status IN ('ACTIVE', 'MERGED')` : `status = 'ACTIVE'`];
  const params: unknown[] = [];
  const add = (clause: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (f.changedSince != null) add((p) => `changed_xid >= ${p}::xid8`, f.changedSince);
  if (f.scope) add((p) => `commune_code = ANY(${p}::text[])`, f.scope);
  if (f.communeCodes?.length) add((p) => `commune_code = ANY(${p}::text[])`, f.communeCodes);
  if (f.sex) add((p) => `sex = ${p}`, f.sex);
  if (f.birthYearFrom != null) add((p) => `birth_year >= ${p}`, f.birthYearFrom);
  if (f.birthYearTo != null) add((p) => `birth_year <= ${p}`, f.birthYearTo);
  if (f.groupClause) add((p) => `group_clauses @> ARRAY[${p}::text]`, f.groupClause);
  if (f.identityStatuses?.length) add((p) => `identity_status = ANY(${p}::text[])`, f.identityStatuses);
  // `disagreements IS NOT NULL` is the partial index's predicate (child_disagreements_idx): said outright, so the
  // planner reads the few children with a disagreement in id order whichever fields are asked for.
  if (f.sourcesDisagree != null) where.push(f.sourcesDisagree ? 'disagreements IS NOT NULL' : 'disagreements IS NULL');
  if (f.sourcesDisagreeOn?.length) {
    where.push('disagreements IS NOT NULL');
    add((p) => `disagreements ?| ${p}::text[]`, f.sourcesDisagreeOn);
  }
  // `flags <> '[]'` is the partial index's predicate (source_record_flagged_idx): the few flagged records of each child.
  if (f.recordFlags?.length) {
    add((p) => `EXISTS (SELECT 1 FROM source_record s WHERE s.child_id = child.id AND s.flags <> '[]'::jsonb
      AND EXISTS (SELECT 1 FROM jsonb_array_elements(s.flags) AS f WHERE f->>'code' = ANY(${p}::text[])))`, f.recordFlags);
  }
  if (f.healthScreened != null) where.push(`${f.healthScreened ? '' : 'NOT '}${HAS_HEALTH_SCREENING}`);
  if (f.inSchool != null) where.push(`${LATEST_ENROLMENT_STATUS} ${f.inSchool ? '=' : 'IS DISTINCT FROM'} 'STUDYING'`);
  if (f.nameWords?.length) {
    // Each word is a whole word of the name (QA: "ha" found Thanh and Khang). The trigram index serves the
    // '%word%' patterns (LIKE wildcards typed by the caller escaped), the word list is then checked on those rows.
    add((p) => `name_folded LIKE ALL(${p}::text[])`, f.nameWords.map((w) => `%${w.replace(/[\\%_]/g, '\\$&')}%`));
    add((p) => `string_to_array(name_folded, ' ') @> ${p}::text[]`, f.nameWords);
  }
  return { where, params };
}
