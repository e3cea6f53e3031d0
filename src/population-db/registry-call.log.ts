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

/**
 * The integration log of the population database (`registry_call`, append-only): who called, why, about
 * which child, and what came of it. Data protection (domain guide §8) requires a record of every call.
 */
export class RegistryCallLog {
  constructor(
    private readonly sql: Sql,
    private readonly logger: Logger,
  ) {}

  /** Inserts one entry. Throws when the row cannot be written; callers decide what a lost row means. */
  async record(entry: RegistryCallEntry): Promise<void> {
    await this.sql.query(
      `INSERT INTO registry_call (request_id, operation, transport, child_id, officer_id, unit, purpose_code, case_ref,
         outcome, http_status, latency_ms, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        entry.requestId,
        entry.operation,
        entry.transport,
        entry.childId,
        entry.officerId,
        entry.unit,
        entry.purposeCode,
        entry.caseRef,
        entry.outcome,
        entry.httpStatus,
        // The column is an integer; sub-millisecond precision is noise for a network call.
        Math.round(entry.latencyMs),
        entry.startedAt,
      ],
    );
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
}
