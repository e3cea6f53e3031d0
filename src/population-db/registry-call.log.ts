import type { Logger } from 'pino';
import type { Sql } from '../db/sql.js';
import type { OperationName } from './protocol.js';

/**
 * What a registry call came to, as the `registry_call.outcome` CHECK constraint allows it:
 * - the registry's answer: `MATCH`, `MISMATCH`, `NOT_FOUND` (verify), `FOUND` (lookup, bulk result),
 *   `ACCEPTED` (bulk submit and status);
 * - a failure: `RATE_LIMITED` (429), `UPSTREAM_ERROR` (5xx, network, server fault), `TIMEOUT`,
 *   `MALFORMED` (unparseable or invalid response), `REJECTED` (client fault, `KetQua` 99, other 4xx).
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
   * How long an entry waits for entries of other calls to share its INSERT, in ms. Registry calls run
   * concurrently, one quota slot each; a short wait turns a commit per call into a commit per handful of
   * calls, at the price of that much more time before each call returns. 0: no waiting on purpose, only
   * entries that arrive while a write is in flight share the next one. @defaultValue 0
   */
  batchWindowMs?: number;
  /** Most entries in one INSERT. @defaultValue 500 */
  maxBatch?: number;
}

interface PendingEntry {
  entry: RegistryCallEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const DEFAULT_MAX_BATCH = 500;

/**
 * The integration log of the population database (`registry_call`, append-only): who called, why, about
 * which child, and what came of it. Data protection (domain guide §8) requires a record of every call.
 *
 * Writes use group commit: entries of concurrent calls go into one multi-row INSERT, and each caller's
 * promise settles only once its own row is durable (or could not be written). When a shared INSERT fails,
 * its entries are written one by one, so one bad entry fails only its own call's write.
 */
export class RegistryCallLog {
  private pending: PendingEntry[] = [];
  private running: Promise<void> | null = null;
  private readonly batchWindowMs: number;
  private readonly maxBatch: number;

  constructor(
    private readonly sql: Sql,
    private readonly logger: Logger,
    options: RegistryCallLogOptions = {},
  ) {
    this.batchWindowMs = options.batchWindowMs ?? 0;
    this.maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
  }

  /** Records one entry. Rejects when its row cannot be written; callers decide what a lost row means. */
  record(entry: RegistryCallEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
      this.drain();
    });
  }

  /** Waits until every entry recorded so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private drain(): void {
    if (this.running) return;
    this.running = (async () => {
      // Entries of calls finishing meanwhile join the first batch.
      if (this.pending.length < this.maxBatch) {
        await new Promise<void>((r) => (this.batchWindowMs > 0 ? setTimeout(r, this.batchWindowMs) : setImmediate(r)));
      }
      while (this.pending.length) await this.write(this.pending.splice(0, this.maxBatch));
    })().finally(() => {
      this.running = null;
      // An entry that arrived after the loop's last check, before this ran, still gets written.
      if (this.pending.length) this.drain();
    });
  }

  private async write(batch: PendingEntry[]): Promise<void> {
    try {
      await this.insert(batch.map((p) => p.entry));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      for (const p of batch) {
        try {
          await this.insert([p.entry]);
        } catch (one) {
          p.reject(one);
          continue;
        }
        this.written(p);
      }
      return;
    }
    for (const p of batch) this.written(p);
  }

  private written(p: PendingEntry): void {
    const { entry } = p;
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
    p.resolve();
  }

  private async insert(entries: RegistryCallEntry[]): Promise<void> {
    const col = <T>(f: (e: RegistryCallEntry) => T) => entries.map(f);
    await this.sql.query(
      `INSERT INTO registry_call (request_id, operation, transport, child_id, officer_id, unit, purpose_code, case_ref,
         outcome, http_status, latency_ms, started_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::text[], $10::int[], $11::int[], $12::timestamptz[])`,
      [
        col((e) => e.requestId),
        col((e) => e.operation),
        col((e) => e.transport),
        col((e) => e.childId),
        col((e) => e.officerId),
        col((e) => e.unit),
        col((e) => e.purposeCode),
        col((e) => e.caseRef),
        col((e) => e.outcome),
        col((e) => e.httpStatus),
        // The column is an integer; sub-millisecond precision is noise for a network call.
        col((e) => Math.round(e.latencyMs)),
        col((e) => e.startedAt),
      ],
    );
  }
}
