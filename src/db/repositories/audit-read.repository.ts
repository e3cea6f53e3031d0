import type { PoolClient } from 'pg';
import { QueryTooCostlyError } from '../../errors/index.js';
import type { QueryCounter, Sql } from '../sql.js';

/** An audit event as read for `Query.auditEvents`. */
export interface AuditEventRow {
  id: string;
  occurred_at: Date;
  /** `occurred_at` to the microsecond, ISO 8601 in UTC: with `id`, the page's cursor ({@link TimeKey}). */
  at_key: string;
  action: string;
  operation: string;
  request_id: string | null;
  subject: string;
  officer_id: string | null;
  agency: string | null;
  unit: string | null;
  roles: string[];
  purpose: string | null;
  child_ids: string[];
  field_classes: string[];
  details: Record<string, unknown>;
}

/** A registry call as read for `Query.registryCalls`: ids and codes only, as the call log holds them. */
export interface RegistryCallRow {
  id: string;
  started_at: Date;
  at_key: string;
  recorded_at: Date;
  request_id: string;
  operation: string;
  transport: string;
  child_id: string | null;
  officer_id: string;
  unit: string;
  purpose_code: string;
  case_ref: string;
  outcome: string;
  http_status: number | null;
  latency_ms: number | null;
}

/** Where a page ends: the last row's time (to the microsecond) and id. The next page starts after it. */
export interface TimeKey {
  at: string;
  id: string;
}

/** Which events to read; every filter given must hold. */
export interface AuditEventsFilter {
  childId?: string | null;
  subject?: string | null;
  officerId?: string | null;
  actions?: readonly string[] | null;
  operation?: string | null;
  since?: Date | null;
  until?: Date | null;
}

/** Which registry calls to read; every filter given must hold. */
export interface RegistryCallsFilter {
  childId?: string | null;
  officerId?: string | null;
  outcomes?: readonly string[] | null;
  since?: Date | null;
  until?: Date | null;
}

/**
 * How long one read of the audit may run: a question the indexes cannot narrow (a rare action over years) is stopped
 * rather than left running after the request gave up (QA: the statements of a timed-out request went on).
 */
export const AUDIT_STATEMENT_TIMEOUT_MS = 10_000;

/** How many reads of the logs one gateway runs at once: two of the pool's connections (DB_POOL_SIZE, 10 by default). */
export const MAX_CONCURRENT_READS = 2;

/**
 * Reads the append-only audit and registry call log, newest first: by time, then id (events written together share
 * their time). The statement holds only the conditions given, so each filter is a range of its own index in that
 * order (`Migration20261226020000_audit_read_order`) and a page reads about as many rows as it returns; a
 * child's events come from the GIN index on `child_ids`, sorted.
 */
export class AuditReadRepository {
  /** Reads running now, and those waiting for one to end ({@link MAX_CONCURRENT_READS}). */
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly sql: Sql) {}

  async events(filter: AuditEventsFilter, limit: number, after: TimeKey | null, counter?: QueryCounter): Promise<AuditEventRow[]> {
    const q = new Conditions();
    if (filter.childId) q.add((p) => `child_ids @> ARRAY[${p(filter.childId)}::text]`);
    if (filter.subject) q.add((p) => `subject = ${p(filter.subject)}`);
    if (filter.officerId) q.add((p) => `officer_id = ${p(filter.officerId)}`);
    // One action as an equality, so that its index gives the order; several as a list.
    if (filter.actions?.length === 1) q.add((p) => `action = ${p(filter.actions![0])}`);
    else if (filter.actions?.length) q.add((p) => `action = ANY(${p(filter.actions)}::text[])`);
    if (filter.operation) q.add((p) => `operation = ${p(filter.operation)}`);
    q.window('occurred_at', filter.since, filter.until, after);
    return this.read<AuditEventRow>(
      `SELECT id::text AS id, occurred_at, ${atKey('occurred_at')} AS at_key, action, operation, request_id, subject, officer_id, agency, unit,
              roles, purpose, child_ids, field_classes, details
         FROM audit_event ${q.where()}
        ORDER BY occurred_at DESC, audit_event.id DESC LIMIT ${q.param(limit)}`,
      q.params,
      counter,
    );
  }

  async registryCalls(filter: RegistryCallsFilter, limit: number, after: TimeKey | null, counter?: QueryCounter): Promise<RegistryCallRow[]> {
    const q = new Conditions();
    if (filter.childId) q.add((p) => `child_id = ${p(filter.childId)}`);
    if (filter.officerId) q.add((p) => `officer_id = ${p(filter.officerId)}`);
    // One outcome as an equality, so that its index gives the order (QA: `= ANY` of one walked the whole log); several as a list.
    if (filter.outcomes?.length === 1) q.add((p) => `outcome = ${p(filter.outcomes![0])}`);
    else if (filter.outcomes?.length) q.add((p) => `outcome = ANY(${p(filter.outcomes)}::text[])`);
    q.window('started_at', filter.since, filter.until, after);
    return this.read<RegistryCallRow>(
      `SELECT id::text AS id, started_at, ${atKey('started_at')} AS at_key, recorded_at, request_id, operation, transport, child_id, officer_id,
              unit, purpose_code, case_ref, outcome, http_status, latency_ms
         FROM registry_call ${q.where()}
        ORDER BY started_at DESC, registry_call.id DESC LIMIT ${q.param(limit)}`,
      q.params,
      counter,
    );
  }

  /**
   * One statement within {@link AUDIT_STATEMENT_TIMEOUT_MS}, else QUERY_TOO_COSTLY; at most {@link MAX_CONCURRENT_READS}
   * of this gateway's reads of the logs at once, the others waiting their turn: however many aliases and requests an
   * auditor sends, they hold that many of the pool's connections, and other users' requests go on (QA: fifteen
   * requests of 19 aliases held a steward's read 7 s).
   */
  private async read<T>(text: string, params: unknown[], counter?: QueryCounter): Promise<T[]> {
    if (counter) counter.count++;
    if (this.running >= MAX_CONCURRENT_READS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await readWithin(() => this.sql.tx(async (client: PoolClient) => {
        await client.query(`SET LOCAL statement_timeout = ${AUDIT_STATEMENT_TIMEOUT_MS}`);
        return (await client.query(text, params)).rows as T[];
      }));
    } finally {
      // The turn passes to the next waiting read, if any (the count stays), else it ends.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** A time column to the microsecond, as a cursor holds it. */
const atKey = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A WHERE clause built from the filters given, with their parameters. */
class Conditions {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  param(v: unknown): string {
    return `$${this.params.push(v)}`;
  }

  add(part: (p: (v: unknown) => string) => string): void {
    this.parts.push(part((v) => this.param(v)));
  }

  /** `[since, until)` on `column`, and the rows before the cursor's in (time, id) order. */
  window(column: string, since: Date | null | undefined, until: Date | null | undefined, after: TimeKey | null): void {
    if (since) this.add((p) => `${column} >= ${p(since)}`);
    if (until) this.add((p) => `${column} < ${p(until)}`);
    if (after) this.add((p) => `(${column}, id) < (${p(after.at)}::timestamptz, ${p(after.id)}::bigint)`);
  }

  where(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/** A read stopped by its statement timeout, told as a question to narrow. */
export async function readWithin<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if ((err as { code?: unknown }).code === '57014') {
      throw new QueryTooCostlyError(`The read took over ${AUDIT_STATEMENT_TIMEOUT_MS / 1000} s and was stopped: narrow it (a child, subject or officer, or a shorter time window)`);
    }
    throw err;
  }
}
