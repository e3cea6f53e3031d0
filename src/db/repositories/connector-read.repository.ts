import { WITHHELD_CODE, WITHHELD_FIELD } from '../../auth/reason-classes.js';
import type { RunRemovals } from '../../connectors/sync/removals.js';
import type { RejectResolution } from '../entities/rejected-record.entity.js';
import type { Sql } from '../sql.js';

export interface ConnectorRow {
  id: string;
  name: string;
  kind: string;
  source_system: string;
  title: string | null;
  schedule: string | null;
  enabled: boolean;
  state: Record<string, unknown> | null;
  state_updated_at: Date | null;
}

export interface ConnectorRunRow {
  id: string;
  connector_name: string;
  trigger: string;
  status: string;
  requested_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  heartbeat_at: Date | null;
  batches: number;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  files_ingested: number;
  files_skipped: number;
  files_waiting: number;
  repeated_ids: number;
  resumed: number;
  removals: RunRemovals | null;
  checkpoint: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  files_refused: Array<{ fileName: string; checksum?: string; code: string; message: string; ingestedBefore?: boolean }>;
  forced: boolean;
  mapping_changed: boolean;
  max_attempts: number | null;
  next_attempt_at: Date | null;
  failed_attempts: Array<{ attempt: number | null; code: string; message: string; failedAt: string }>;
}

export interface RejectedRecordRow {
  id: string;
  connector_name: string | null;
  connector_run_id: string | null;
  source_system: string;
  external_id: string | null;
  location: string | null;
  reasons: Array<{ field: string; code: string; message: string }>;
  created_at: Date;
  last_seen_at: Date;
  last_run_id: string | null;
  times_seen: number;
  resolved_at: Date | null;
  resolved_by_run_id: string | null;
  resolution: RejectResolution | null;
  resolved_by: string | null;
  resolved_by_subject: string | null;
  resolution_note: string | null;
  payload_erased_at: Date | null;
}

export interface AbsentRecordRow {
  id: string;
  external_id: string;
  child_id: string | null;
  absent_since: Date;
  absent_run_id: string;
}

/** Which quarantined records to list. */
export interface RejectsFilter {
  /** The connector's name. */
  connector: string | null;
  /** The records this run quarantined or read again still invalid (`rejected_record_run`). */
  runId: string | null;
  /** Only the open ones (ignored when `resolution` is given). */
  unresolvedOnly: boolean;
  /** Only those resolved this way. */
  resolution?: RejectResolution | null;
  /** Only those with a reason of this code (with `field`: one reason of both). */
  code?: string | null;
  /** Only those with a reason about this field. */
  field?: string | null;
  /**
   * The fields of the reasons the caller may see, as an anchored regular expression (`visibleFieldsPattern`):
   * `code` and `field` then match only reasons the caller is shown, and the marker (field `(withheld)`, code
   * `WITHHELD`) a record none of whose reasons it is shown, so a filter finds no more than the list shows. Null (or
   * absent): every reason as it is stored.
   */
  visibleFields?: string | null;
  /** Only those a run last read (`last_seen_at`) at or after this instant. */
  since?: Date | null;
  /** Only those a run last read before this instant. */
  until?: Date | null;
}

/**
 * When a connector last got something new from its source: the end of its latest run that stored a new or changed
 * record, and, for a file connector, when a file not ingested before was last read whole.
 */
export interface ConnectorFreshnessRow {
  name: string;
  last_new_data_at: Date | null;
  last_file_ingested_at: Date | null;
}

/** What `/metrics` samples of each connector at scrape time (times in seconds since the epoch). */
export interface ConnectorHealthRow {
  name: string;
  /** The status of its newest run; null when it has none. */
  last_status: string | null;
  last_success_at: number | null;
  last_new_data_at: number | null;
  open_rejects: number;
  /**
   * How long its longest-waiting run has waited for a worker: a QUEUED run since it was queued, a RETRYING one since
   * its next attempt was due (its wait for that attempt, and its attempts' running time, are not waiting); 0 when none.
   */
  queued_seconds: number;
}

/**
 * The latest ended run of connector `c` that stored a new or changed record (`inserted + updated > 0`; its end,
 * whatever its status: a FAILED run's stored batches are kept), read backwards from the partial index
 * `connector_run_new_data_idx`; and the latest file first ingested (`ingested_file_connector_at_idx`).
 */
const LAST_NEW_DATA = `(SELECT max(n.finished_at) FROM connector_run n
    WHERE n.connector_id = c.id AND n.inserted + n.updated > 0 AND n.finished_at IS NOT NULL)`;
const LAST_FILE_INGESTED = '(SELECT max(f.ingested_at) FROM ingested_file f WHERE f.connector_id = c.id)';

/** How many open rejects a connector has. */
export interface ConnectorRejectsSummary {
  name: string;
  open_rejects: number;
}

/**
 * The condition on quarantined records (`x`, joined to its connector `c`) that a filter sets, from parameter
 * `$1`, and the parameters: the same for a page and for its count. A reason is matched by containment
 * (`reasons @> [{code, field}]`), which the GIN index on `reasons` answers, and then as the caller sees it
 * (`visibleFields`): a reason of a class the caller lacks is not shown, so `code` does not find a record by a
 * reason it would not be shown, and `code: WITHHELD` (or `field: "(withheld)"`) finds the records shown with the
 * marker: those none of whose reasons the caller is shown.
 */
function rejectsWhere(filter: RejectsFilter): { where: string; params: unknown[] } {
  const code = filter.code ?? null;
  const field = filter.field ?? null;
  // What is asked as stored, the markers left out: a reason shown with that code or field is stored with it.
  const reason: Record<string, string> = {};
  if (code !== null && code !== WITHHELD_CODE) reason.code = code;
  if (field !== null && field !== WITHHELD_FIELD) reason.field = field;
  return {
    where: `($1::text IS NULL OR c.name = $1)
      AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM rejected_record_run rr WHERE rr.run_id = $2 AND rr.reject_id = x.id))
      AND (($4::text IS NULL AND (NOT $3::boolean OR x.resolved_at IS NULL)) OR x.resolution = $4)
      AND ($5::jsonb IS NULL OR x.reasons @> $5::jsonb)
      AND ($6::timestamptz IS NULL OR x.last_seen_at >= $6) AND ($7::timestamptz IS NULL OR x.last_seen_at < $7)
      AND (($8::text IS NULL AND $9::text IS NULL) OR CASE
        WHEN coalesce($8::text = '${WITHHELD_CODE}', false) OR coalesce($9::text = '${WITHHELD_FIELD}', false)
          -- The marker: a record none of whose reasons the caller is shown.
          THEN ($8::text IS NULL OR $8::text = '${WITHHELD_CODE}') AND ($9::text IS NULL OR $9::text = '${WITHHELD_FIELD}')
            AND $10::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(x.reasons) e WHERE coalesce(e->>'field', '') ~ $10::text)
        ELSE EXISTS (
          SELECT 1 FROM jsonb_array_elements(x.reasons) e
           WHERE ($10::text IS NULL OR coalesce(e->>'field', '') ~ $10::text)
             AND ($8::text IS NULL OR e->>'code' = $8) AND ($9::text IS NULL OR e->>'field' = $9))
        END)`,
    params: [
      filter.connector, filter.runId, filter.unresolvedOnly, filter.resolution ?? null,
      Object.keys(reason).length ? JSON.stringify([reason]) : null, filter.since ?? null, filter.until ?? null,
      code, field, filter.visibleFields ?? null,
    ],
  };
}

const RUN_COLUMNS = `r.id, c.name AS connector_name, r.trigger, r.status, r.requested_by, r.created_at, r.started_at, r.finished_at, r.heartbeat_at,
  r.batches, r.fetched, r.inserted, r.updated, r.unchanged, r.rejected, r.files_ingested, r.files_skipped, r.files_waiting, r.repeated_ids, r.resumed, r.checkpoint, r.error,
  r.files_refused, r.removals, coalesce((r.options->>'force')::boolean, false) AS forced,
  coalesce((r.options->>'mappingChanged')::boolean, false) AS mapping_changed, r.max_attempts, r.next_attempt_at, r.failed_attempts`;

const REJECT_COLUMNS = `x.id, c.name AS connector_name, x.connector_run_id, x.source_system, x.external_id, x.location, x.reasons, x.created_at,
  x.last_seen_at, x.last_run_id, x.times_seen, x.resolved_at, x.resolved_by_run_id, x.resolution, x.resolved_by, x.resolved_by_subject, x.resolution_note,
  x.payload_erased_at`;

/** Reads of connectors, their runs and quarantined records, for integration engineers (keyset paging by id). */
export class ConnectorReadRepository {
  constructor(private readonly sql: Sql) {}

  connectors(): Promise<ConnectorRow[]> {
    return this.sql.query<ConnectorRow & Record<string, unknown>>(
      'SELECT id, name, kind, source_system, title, schedule, enabled, state, state_updated_at FROM connector ORDER BY name',
    );
  }

  /** True when a connector of that name has synced here (it has a row, though its definition may be gone). */
  async hasConnector(name: string): Promise<boolean> {
    return (await this.sql.one('SELECT 1 FROM connector WHERE name = $1', [name])) !== undefined;
  }

  /**
   * Runs newest first; `before` is the id of the last run of the previous page; `statuses`: only runs with one of
   * these statuses now (null: any).
   */
  async runs(connector: string | null, first: number, before: string | null, statuses: readonly string[] | null = null): Promise<ConnectorRunRow[]> {
    const where = `($2::text IS NULL OR r.id < $2) AND ($4::text[] IS NULL OR r.status = ANY($4::text[]))`;
    if (connector === null) {
      return this.sql.query<ConnectorRunRow & Record<string, unknown>>(
        `SELECT ${RUN_COLUMNS} FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE $1::text IS NULL AND ${where}
          ORDER BY r.id DESC LIMIT $3`,
        [connector, before, first, statuses],
      );
    }
    // One connector's runs: planned for that connector (an unnamed statement), so one run rarely among others' many is
    // read along its own index (`connector_run_connector_id_idx`); a plan for any connector walked every run backwards
    // (QA soak: a connector run monthly among others run hourly had its last run found by walking them all).
    const id = (await this.sql.one<{ id: string }>('SELECT id FROM connector WHERE name = $1', [connector]))?.id;
    if (id === undefined) return [];
    const res = await this.sql.pool.query<ConnectorRunRow & Record<string, unknown>>(
      `SELECT ${RUN_COLUMNS} FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE r.connector_id = $1 AND ${where}
        ORDER BY r.id DESC LIMIT $3`,
      [id, before, first, statuses],
    );
    return res.rows;
  }

  async run(id: string): Promise<ConnectorRunRow | null> {
    return (await this.sql.one<ConnectorRunRow & Record<string, unknown>>(
      `SELECT ${RUN_COLUMNS} FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE r.id = $1`, [id])) ?? null;
  }

  /**
   * Quarantined records newest first, without their payloads. `runId`: the rows the run quarantined or read
   * again still invalid, whatever runs read them since.
   */
  rejects(filter: RejectsFilter, first: number, before: string | null): Promise<RejectedRecordRow[]> {
    const { where, params } = rejectsWhere(filter);
    return this.sql.query<RejectedRecordRow & Record<string, unknown>>(
      `SELECT ${REJECT_COLUMNS}
         FROM rejected_record x LEFT JOIN connector c ON c.id = x.connector_id
        WHERE ${where} AND ($${params.length + 1}::text IS NULL OR x.id < $${params.length + 1})
        ORDER BY x.id DESC LIMIT $${params.length + 2}`,
      [...params, before, first],
    );
  }

  /** How many quarantined records `filter` matches, on every page. */
  async countRejects(filter: RejectsFilter): Promise<number> {
    const { where, params } = rejectsWhere(filter);
    const row = await this.sql.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM rejected_record x LEFT JOIN connector c ON c.id = x.connector_id WHERE ${where}`, params);
    return row!.n;
  }

  /** Each connector's open rejects (connectors with none are left out): one index scan of the open rows. */
  openRejectCounts(): Promise<ConnectorRejectsSummary[]> {
    return this.sql.query<ConnectorRejectsSummary & Record<string, unknown>>(
      `SELECT c.name, x.n AS open_rejects
         FROM (SELECT connector_id, count(*)::int AS n FROM rejected_record WHERE resolved_at IS NULL GROUP BY connector_id) x
         JOIN connector c ON c.id = x.connector_id`,
    );
  }

  /** Each connector's newest SUCCEEDED run (connectors that never succeeded are left out). */
  lastSucceededRuns(): Promise<ConnectorRunRow[]> {
    return this.sql.query<ConnectorRunRow & Record<string, unknown>>(
      `SELECT ${RUN_COLUMNS} FROM connector c
         JOIN LATERAL (SELECT * FROM connector_run s WHERE s.connector_id = c.id AND s.status = 'SUCCEEDED'
                        ORDER BY s.created_at DESC, s.id DESC LIMIT 1) r ON true`,
    );
  }

  /** Each connector's last new data and last file ingested (one statement, each an index probe per connector). */
  freshness(): Promise<ConnectorFreshnessRow[]> {
    return this.sql.query<ConnectorFreshnessRow & Record<string, unknown>>(
      `SELECT c.name, ${LAST_NEW_DATA} AS last_new_data_at, ${LAST_FILE_INGESTED} AS last_file_ingested_at FROM connector c`,
    );
  }

  /**
   * What `/metrics` shows of each connector that has synced here, in one statement: its last run's status, when a run
   * last succeeded (as `lastSucceededRun`) and last brought new data (as `lastNewDataAt`), its open rejects (as
   * `openRejects`), and how long a run of it has waited QUEUED or RETRYING. Each an index probe per connector.
   */
  health(): Promise<ConnectorHealthRow[]> {
    return this.sql.query<ConnectorHealthRow & Record<string, unknown>>(
      `SELECT c.name,
              (SELECT l.status FROM connector_run l WHERE l.connector_id = c.id ORDER BY l.created_at DESC, l.id DESC LIMIT 1) AS last_status,
              extract(epoch FROM (SELECT s.finished_at FROM connector_run s WHERE s.connector_id = c.id AND s.status = 'SUCCEEDED'
                                   ORDER BY s.created_at DESC, s.id DESC LIMIT 1))::float8 AS last_success_at,
              extract(epoch FROM ${LAST_NEW_DATA})::float8 AS last_new_data_at,
              (SELECT count(*) FROM rejected_record x WHERE x.connector_id = c.id AND x.resolved_at IS NULL)::int AS open_rejects,
              coalesce(extract(epoch FROM now() - (SELECT min(CASE WHEN q.status = 'QUEUED' THEN q.created_at ELSE q.next_attempt_at END)
                                                     FROM connector_run q
                                                    WHERE q.connector_id = c.id AND (q.status = 'QUEUED'
                                                      OR (q.status = 'RETRYING' AND q.next_attempt_at < now())))), 0)::float8 AS queued_seconds
         FROM connector c`,
    );
  }

  /**
   * The records the connector's full reads marked absent from its source (still marked), newest record id first:
   * ids and dates only. A record counts for the connector whose run marked it (`absent_run_id`).
   */
  absentRecords(connector: string, first: number, before: string | null): Promise<AbsentRecordRow[]> {
    return this.sql.query<AbsentRecordRow & Record<string, unknown>>(
      `SELECT s.id, s.external_id, s.child_id, s.absent_since, s.absent_run_id
         FROM source_record s JOIN connector c ON c.source_system = s.source_system AND c.name = $1
        WHERE s.absent_since IS NOT NULL AND s.absent_run_id IN (SELECT r.id FROM connector_run r WHERE r.connector_id = c.id)
          AND ($2::text IS NULL OR s.id < $2)
        ORDER BY s.id DESC LIMIT $3`,
      [connector, before, first],
    );
  }

  /** The quarantined records with these ids (those that exist), without their payloads. */
  rejectsByIds(ids: string[]): Promise<RejectedRecordRow[]> {
    return this.sql.query<RejectedRecordRow & Record<string, unknown>>(
      `SELECT ${REJECT_COLUMNS} FROM rejected_record x LEFT JOIN connector c ON c.id = x.connector_id WHERE x.id = ANY($1::text[]) ORDER BY x.id DESC`,
      [ids],
    );
  }

  /**
   * The payload of a quarantined record, with the child of the record stored under the same key (null: none stored, or
   * not linked), whose data the payload is a version of; undefined when there is none to release (erased past its
   * retention, or no such row).
   */
  /** The child the record of a reject is stored for (by its source and external id), if any. */
  async rejectChild(id: string): Promise<string | null> {
    const row = await this.sql.one<{ child_id: string | null }>(
      `SELECT s.child_id FROM rejected_record x JOIN source_record s ON s.source_system = x.source_system AND s.external_id = x.external_id
        WHERE x.id = $1`, [id]);
    return row?.child_id ?? null;
  }

  async rejectPayload(id: string): Promise<{ payload: unknown; childId: string | null } | undefined> {
    const row = await this.sql.one<{ payload: unknown; erased: boolean; child_id: string | null }>(
      `SELECT x.payload, x.payload_erased_at IS NOT NULL AS erased, s.child_id
         FROM rejected_record x LEFT JOIN source_record s ON s.source_system = x.source_system AND s.external_id = x.external_id
        WHERE x.id = $1`, [id]);
    return !row || row.erased ? undefined : { payload: row.payload, childId: row.child_id };
  }
}
