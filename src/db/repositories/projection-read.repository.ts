import {
  RECORD_PROJECTION_TABLES,
  type ProjectionTable,
  type RecordProjectionKind,
} from '../../services/projections/projection-tables.js';
import type { QueryCounter, Row } from '../sql.js';
import type { Sql } from '../sql.js';

/** One projection row, ready to serve: its fields (camelCase), the child it is read for, and its source. */
export interface ProjectionRow extends Row {
  /** Which projection the row is (not `kind`: health screenings have a field of that name). */
  projection: RecordProjectionKind;
  /** The child the row was asked for (the survivor when the record's child was merged into it). */
  childId: string;
  source: ProjectionSourceRow & { recordId: string };
}

/** A fact's source as served (GraphQL ProjectionSource). */
export interface ProjectionSourceRow {
  recordId: string | null;
  sourceSystem: string;
  externalId: string;
  absentFromSourceSince: Date | null;
  fetchedAt: Date;
  sourceUpdatedAt: Date | null;
}

export interface FacilityFilterSql {
  communeCodes?: string[] | null;
  licenceStatus?: string | null;
  type?: string | null;
}

/** How deep a chain of merges (A into B, B into C) is followed; a chain is normally one step long. */
export const MAX_MERGE_DEPTH = 8;

/** A date's precision as served: DAY unless stored otherwise (null with the date). */
export const precisionSql = (date: string, precision: string) => `CASE WHEN ${date} IS NULL THEN NULL ELSE coalesce(${precision}, 'DAY') END`;

/** The date (or school year) a kind's rows are listed by, oldest first. */
const SORT_KEY: Record<RecordProjectionKind, string> = {
  healthScreening: 'p.screened_on::text',
  vaccination: 'p.occurred_on::text',
  disability: 'p.assessed_on::text',
  schoolEnrolment: 'p.school_year',
  birthRegistration: 'p.registered_on::text',
  adoptionRegistration: 'p.registered_on::text',
  placement: 'coalesce(p.started_on, p.seen_on)::text',
};

function branch(t: ProjectionTable<RecordProjectionKind>): string {
  // json_build_object keeps one result shape across the UNION ALL; dates come out as ISO text.
  const fields = t.columns.map((c) => `'${c.field}', ${c.precisionOf ? precisionSql(`p.${c.precisionOf}`, `p.${c.column}`) : `p.${c.column}`}`).join(', ');
  return `SELECT '${t.kind}' AS kind, r.child_id AS "childId", ${SORT_KEY[t.kind]} AS sort_key, p.id,
    json_build_object(${fields}) AS fields, r.id AS record_id, r.source_system, r.external_id, r.absent_since,
    r.last_seen_at, r.source_updated_at
  FROM rec r JOIN ${t.table} p ON p.source_record_id = r.id
  WHERE '${t.kind}' = ANY($2::text[])`;
}

/**
 * Every record projection kind the caller asks for, for a batch of children, in one statement. A child's
 * projections are those of the source records linked to it or to a child merged into it (followed through
 * `merged_into_id`), so they follow records through merges and splits without being rewritten. A kind not
 * asked for is cut by its one-time filter and costs nothing.
 */
const PROJECTIONS_SQL = `
WITH RECURSIVE fam(child_id, member_id, depth) AS (
  SELECT k, k, 0 FROM unnest($1::text[]) AS k
  UNION ALL
  SELECT f.child_id, c.id, f.depth + 1 FROM fam f JOIN child c ON c.merged_into_id = f.member_id WHERE f.depth < ${MAX_MERGE_DEPTH}
), rec AS MATERIALIZED (
  SELECT f.child_id, s.id, s.source_system, s.external_id, s.absent_since, s.last_seen_at, s.source_updated_at FROM fam f JOIN source_record s ON s.child_id = f.member_id
)
SELECT * FROM (
${RECORD_PROJECTION_TABLES.map(branch).join('\nUNION ALL\n')}
) u
-- Oldest first: by date (or school year); of one date, a record the source no longer holds before one it does, then
-- by when the source last changed the record, then as written. The last is the latest (LATEST_ENROLMENT_STATUS).
ORDER BY kind, "childId", sort_key NULLS LAST, absent_since IS NULL, source_updated_at NULLS FIRST, id`;

/** A date as the start of that day in Hà Nội (as a date mapped to `sourceUpdatedAt` is read: `parse: datetime`). */
const HA_NOI_DAY = (date: string) => `(${date})::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'`;

/**
 * Facility records are not source records (they carry a facility's and its inspections' facts, keyed by the facility
 * code): their source's own time is the date the facility's facts are as of (its latest inspection's, when that
 * inspection kept them; null while it did not), an inspection's its date.
 */
const FACILITY_COLUMNS = `id, code, name, type, commune_code AS "communeCode", licence_status AS "licenceStatus",
  licence_number AS "licenceNumber", capacity, source_system AS "sourceSystem", external_id AS "externalId",
  created_at AS "createdAt", updated_at AS "updatedAt", ${HA_NOI_DAY('facts_as_of')} AS "sourceUpdatedAt"`;

const INSPECTION_COLUMNS = `id, facility_code AS "facilityCode", report_number AS "reportNumber", inspected_on AS "inspectedOn",
  ${precisionSql('inspected_on', 'inspected_on_precision')} AS "inspectedOnPrecision",
  inspecting_unit AS "inspectingUnit", findings, children_present AS "childrenPresent", source_system AS "sourceSystem",
  external_id AS "externalId", updated_at AS "fetchedAt", ${HA_NOI_DAY('inspected_on')} AS "sourceUpdatedAt"`;

/** The facilities filter ($1 commune codes, $2 licence status, $3 type; null: any), shared by a page and its count. */
const FACILITY_FILTER = `($1::text[] IS NULL OR commune_code = ANY($1::text[]))
  AND ($2::text IS NULL OR licence_status = $2) AND ($3::text IS NULL OR type = $3)`;

function facilityFilterParams(filter: FacilityFilterSql): [string[] | null, string | null, string | null] {
  return [filter.communeCodes?.length ? filter.communeCodes : null, filter.licenceStatus ?? null, filter.type ?? null];
}

/**
 * Placements in the given facilities, each with the child it is about now: the record's child, or the
 * child that one was merged into. Only children in `$2` (the caller's communes; null = all) are returned,
 * and records not linked to a child yet are left out (they have no jurisdiction).
 */
const PLACEMENTS_BY_FACILITY_SQL = `
WITH RECURSIVE p AS (
  SELECT pl.id, pl.facility_code, pl.started_on, pl.started_on_precision, pl.reason, pl.seen_on, pl.seen_on_precision, pl.inspection_report_number,
         s.id AS record_id, s.source_system, s.external_id, s.child_id, s.last_seen_at, s.source_updated_at, s.absent_since
    FROM placement pl JOIN source_record s ON s.id = pl.source_record_id
   WHERE pl.facility_code = ANY($1::text[]) AND s.child_id IS NOT NULL
), up(start_id, id, merged_into_id, commune_code, depth) AS (
  SELECT c.id, c.id, c.merged_into_id, c.commune_code, 0 FROM child c WHERE c.id IN (SELECT child_id FROM p)
  UNION ALL
  SELECT up.start_id, c.id, c.merged_into_id, c.commune_code, up.depth + 1
    FROM up JOIN child c ON c.id = up.merged_into_id WHERE up.depth < ${MAX_MERGE_DEPTH}
)
SELECT p.id, p.facility_code AS "facilityCode", p.started_on AS "startedOn", ${precisionSql('p.started_on', 'p.started_on_precision')} AS "startedOnPrecision",
       p.reason, p.seen_on AS "seenOn", ${precisionSql('p.seen_on', 'p.seen_on_precision')} AS "seenOnPrecision",
       p.inspection_report_number AS "inspectionReportNumber", root.id AS "childId",
       p.record_id AS "recordId", p.source_system AS "sourceSystem", p.external_id AS "externalId",
       p.last_seen_at AS "fetchedAt", p.source_updated_at AS "sourceUpdatedAt", p.absent_since AS "absentFromSourceSince"
  FROM p JOIN up root ON root.start_id = p.child_id AND root.merged_into_id IS NULL
 WHERE $2::text[] IS NULL OR root.commune_code = ANY($2::text[])
 ORDER BY p.facility_code, coalesce(p.started_on, p.seen_on) NULLS LAST, p.id`;

/**
 * Read queries for projections, facilities and inspections behind the GraphQL gateway. Like
 * ChildReadRepository, every method takes a batch of keys so DataLoader can call it once per request level.
 */
export class ProjectionReadRepository {
  constructor(private readonly sql: Sql) {}

  /** The projections of the given kinds for the given children, ordered by kind, child, date, id. */
  async projectionsByChildIds(kinds: readonly RecordProjectionKind[], childIds: readonly string[], counter?: QueryCounter): Promise<ProjectionRow[]> {
    const rows = await this.sql.query<{
      kind: RecordProjectionKind; childId: string; fields: Row; record_id: string; source_system: string; external_id: string; absent_since: Date | null;
      last_seen_at: Date; source_updated_at: Date | null;
    }>(PROJECTIONS_SQL, [childIds, kinds], counter);
    return rows.map((r) => ({
      ...r.fields,
      projection: r.kind,
      childId: r.childId,
      source: {
        recordId: r.record_id, sourceSystem: r.source_system, externalId: r.external_id, absentFromSourceSince: r.absent_since,
        fetchedAt: r.last_seen_at, sourceUpdatedAt: r.source_updated_at,
      },
    }));
  }

  facilitiesByCodes(codes: readonly string[], counter?: QueryCounter) {
    return this.sql.query(`SELECT ${FACILITY_COLUMNS} FROM facility WHERE code = ANY($1::text[])`, [codes], counter);
  }

  /** Which of `codes` some facility is kept under (a former commune code an inspection gave, flagged). */
  async facilityCommuneCodes(codes: readonly string[]): Promise<string[]> {
    const rows = await this.sql.query<{ code: string }>(
      'SELECT c.code FROM unnest($1::text[]) c(code) WHERE EXISTS (SELECT 1 FROM facility WHERE commune_code = c.code)', [codes]);
    return rows.map((r) => r.code);
  }

  /** One page in id order; returns up to `limit` rows after `afterId`. */
  facilitiesPage(filter: FacilityFilterSql, limit: number, afterId: string | null, counter?: QueryCounter) {
    return this.sql.query(
      `SELECT ${FACILITY_COLUMNS} FROM facility WHERE ${FACILITY_FILTER} AND ($4::text IS NULL OR id > $4) ORDER BY id LIMIT $5`,
      [...facilityFilterParams(filter), afterId, limit],
      counter,
    );
  }

  /** How many facilities match the filter: every page of {@link facilitiesPage}, whatever `afterId`. */
  async countFacilities(filter: FacilityFilterSql, counter?: QueryCounter): Promise<number> {
    const row = await this.sql.one<{ n: string }>(`SELECT count(*) AS n FROM facility WHERE ${FACILITY_FILTER}`, facilityFilterParams(filter), counter);
    return Number(row?.n ?? 0);
  }

  /** Inspections of the given facilities, newest first. */
  async inspectionsByFacilityCodes(codes: readonly string[], counter?: QueryCounter): Promise<Row[]> {
    const rows = await this.sql.query(
      `SELECT ${INSPECTION_COLUMNS} FROM inspection WHERE facility_code = ANY($1::text[]) ORDER BY facility_code, inspected_on DESC, id`,
      [codes],
      counter,
    );
    return rows.map(({ sourceSystem, externalId, fetchedAt, sourceUpdatedAt, ...r }) => ({
      ...r, source: { recordId: null, sourceSystem, externalId, absentFromSourceSince: null, fetchedAt, sourceUpdatedAt },
    }));
  }

  /** Placements in the given facilities of children in `scope` (null = all communes). */
  async placementsByFacilityCodes(codes: readonly string[], scope: readonly string[] | null, counter?: QueryCounter): Promise<Row[]> {
    const rows = await this.sql.query(PLACEMENTS_BY_FACILITY_SQL, [codes, scope], counter);
    // A placement's record is marked absent when a later report no longer lists the child (`wholeLists`), as on the child's placements.
    return rows.map(({ recordId, sourceSystem, externalId, fetchedAt, sourceUpdatedAt, absentFromSourceSince, ...r }) => ({
      ...r, source: { recordId, sourceSystem, externalId, absentFromSourceSince, fetchedAt, sourceUpdatedAt },
    }));
  }
}
