import type { Logger } from 'pino';
import { GroupCommit } from '../db/group-commit.js';
import type { Sql } from '../db/sql.js';
import type { OperationName } from './protocol.js';

/**
 * What a registry call came to, as the `registry_call.outcome` CHECK constraint allows it:
 * - the registry's answer: `MATCH`, `MISMATCH`, `NOT_FOUND` (verify), `FOUND` (lookup, bulk result),
 *   `ACCEPTED` (bulk submit and status);
 * - a failure: `RATE_LIMITED` (429), `UPSTREAM_ERROR` (5xx, network, server fault), `TIMEOUT`,
 *   `MALFORMED` (unparseable or invalid response), `REJECTED` (client fault, `KetQua` 99, other 4xx);
 * - `UNKNOWN`: the call was made (its start was written before it) and what came of it was never written (the
 *   process died, or the database was away when the answer came); written by {@link closeUnfinishedCalls}.
 */
export const REGISTRY_CALL_OUTCOMES = [
  'MATCH',
  'MISMATCH',
  'NOT_FOUND',
  'FOUND',
  'ACCEPTED',
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'TIMEOUT',
  'MALFORMED',
  'REJECTED',
  'UNKNOWN',
] as const;
export type RegistryCallOutcome = (typeof REGISTRY_CALL_OUTCOMES)[number];

/**
 * One row of the integration log. Ids and codes only: never the name, number or birth date that was sent,
 * and never the response (it holds religion, ethnicity, blood group).
 */
export interface RegistryCallEntry {
  /** `MaYeuCau` sent with the call. */
  requestId: string;
  operation: OperationName;
  /** Which transport made the call (`soap` today; a provincial platform later). */
  transport: string;
  childId: string | null;
  officerId: string;
  unit: string;
  purposeCode: string;
  caseRef: string;
  outcome: RegistryCallOutcome;
  /** HTTP status of the answer; null when none came (timeout, network error). */
  httpStatus: number | null;
  latencyMs: number;
  startedAt: Date;
}

/** Options of {@link RegistryCallLog}. */
export interface RegistryCallLogOptions {
  /**
   * How long an outcome entry waits for entries of other calls to share its INSERT, in ms (a call's start never waits). Registry calls run
   * concurrently, one quota slot each; a short wait turns a commit per call into a commit per handful of
   * calls, at the price of that much more time before each call returns. 0: no waiting on purpose, only
   * entries that arrive while a write is in flight share the next one. @defaultValue 0
   */
  batchWindowMs?: number;
  /** Most entries in one INSERT. @defaultValue 500 */
  maxBatch?: number;
}

/** A call about to be made, as `registry_call_pending` holds it until its outcome row replaces it. */
export type RegistryCallStart = Omit<RegistryCallEntry, 'outcome' | 'httpStatus' | 'latencyMs'>;

const DEFAULT_MAX_BATCH = 500;

/** The columns a call's start and its outcome row share, in order. */
const START_COLUMNS = 'request_id, operation, transport, child_id, officer_id, unit, purpose_code, case_ref, started_at';

/**
 * The integration log of the population database (`registry_call`, append-only): who called, why, about
 * which child, and what came of it. Data protection (domain guide §8) requires a record of every call.
 *
 * A call is on record before it is made: {@link begin} writes its start (`registry_call_pending`), and the
 * caller does not call when that fails. {@link record} writes its outcome row and removes the start in one
 * statement. A start left behind (the process died mid-call, or the database was away when the answer came) is
 * closed by {@link closeUnfinishedCalls} as an `UNKNOWN` outcome. Both writes use group commit.
 */
export class RegistryCallLog {
  private readonly starts: GroupCommit<RegistryCallStart>;
  private readonly outcomes: GroupCommit<RegistryCallEntry>;

  constructor(
    private readonly sql: Sql,
    private readonly logger: Logger,
    options: RegistryCallLogOptions = {},
  ) {
    const batchWindowMs = options.batchWindowMs ?? 0;
    const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
    // A start holds its call back until written: it never waits on purpose, only starts arriving while one is written
    // share the next statement (a wait of its own would hold every call that long before it is sent).
    this.starts = new GroupCommit({ write: (items) => this.insertStarts(items), maxBatch });
    this.outcomes = new GroupCommit({ write: (items) => this.insert(items), onWritten: (entry) => this.written(entry), batchWindowMs, maxBatch });
  }

  /** Writes that a call is about to be made. Rejects when it cannot be written: the call must then not be made. */
  begin(start: RegistryCallStart): Promise<void> {
    return this.starts.add(start);
  }

  /** Records one call's outcome (replacing its start). Rejects when its row cannot be written; callers decide what a lost row means. */
  record(entry: RegistryCallEntry): Promise<void> {
    return this.outcomes.add(entry);
  }

  /** Waits until every start and entry recorded so far is written (or failed). */
  async flush(): Promise<void> {
    await this.starts.flush();
    await this.outcomes.flush();
  }

  private written(entry: RegistryCallEntry): void {
    this.logger.debug(
      {
        requestId: entry.requestId,
        operation: entry.operation,
        outcome: entry.outcome,
        httpStatus: entry.httpStatus,
        latencyMs: Math.round(entry.latencyMs),
        childId: entry.childId,
      },
      'population-db call',
    );
  }

  private startColumns(entries: RegistryCallStart[]): unknown[] {
    const col = <T>(f: (e: RegistryCallStart) => T) => entries.map(f);
    return [
      col((e) => e.requestId),
      col((e) => e.operation),
      col((e) => e.transport),
      col((e) => e.childId),
      col((e) => e.officerId),
      col((e) => e.unit),
      col((e) => e.purposeCode),
      col((e) => e.caseRef),
      col((e) => e.startedAt),
    ];
  }

  private async insertStarts(starts: RegistryCallStart[]): Promise<void> {
    await this.sql.query(
      `INSERT INTO registry_call_pending (${START_COLUMNS})
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])`,
      this.startColumns(starts),
    );
  }

  private async insert(entries: RegistryCallEntry[]): Promise<void> {
    await this.sql.query(
      `WITH done AS (DELETE FROM registry_call_pending WHERE request_id = ANY($1::text[]))
       INSERT INTO registry_call (${START_COLUMNS}, outcome, http_status, latency_ms)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::timestamptz[], $10::text[], $11::int[], $12::int[])`,
      [
        ...this.startColumns(entries),
        entries.map((e) => e.outcome),
        entries.map((e) => e.httpStatus),
        // The column is an integer; sub-millisecond precision is noise for a network call.
        entries.map((e) => Math.round(e.latencyMs)),
      ],
    );
  }
}

/**
 * Closes the registry calls started more than `olderThanMs` ago whose outcome was never written (the process died
 * mid-call, or the database was away when the answer came): each becomes a `registry_call` row with the outcome
 * `UNKNOWN`, no status and no latency. Returns how many. Rows another process is closing are skipped; at most
 * `limit` a call. Run by the identity sweep.
 */
export async function closeUnfinishedCalls(sql: Sql, olderThanMs: number, limit = 10_000): Promise<number> {
  const rows = await sql.query(
    `WITH gone AS (
       DELETE FROM registry_call_pending WHERE request_id IN (
         SELECT request_id FROM registry_call_pending WHERE started_at < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY started_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING ${START_COLUMNS})
     INSERT INTO registry_call (${START_COLUMNS}, outcome, http_status, latency_ms)
     SELECT ${START_COLUMNS}, 'UNKNOWN', NULL, NULL FROM gone
     ON CONFLICT (request_id) DO NOTHING
     RETURNING 1`,
    [olderThanMs, limit],
  );
  return rows.length;
}
