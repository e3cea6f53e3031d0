import { ISSUANCE_WAITS } from '../db/issuance-waits.js';
import type { Sql } from '../db/sql.js';
import { REGISTRY_CALL_OUTCOMES, type RegistryCallOutcome } from '../population-db/registry-call.log.js';
import type { Metrics } from './metrics.js';

/** The window `childhub_registry_calls_recent` and the latency count calls over. */
export const REGISTRY_WINDOW_SECONDS = 300;

/** What the population database's calls and the identity work look like now, read from PostgreSQL at scrape time. */
export interface IdentityHealth {
  /** Calls started in the last {@link REGISTRY_WINDOW_SECONDS}, by outcome (an UNKNOWN one only if the sweep wrote it that soon). */
  recent: Array<{ outcome: string; calls: number; p95Seconds: number | null }>;
  /** When the registry last answered a call (any answer but a failure); null: never. */
  lastAnsweredAt: number | null;
  /** Issuance requests the children still wait for, those flagged overdue, and those whose next poll is late. */
  issuancePending: number;
  issuanceOverdue: number;
  issuancePollLate: number;
  /** Checks officers asked for, still open. */
  requestsOpen: number;
  /**
   * Calls started over a minute ago whose outcome is not written yet (`registry_call_pending`): in flight too long, or
   * lost with a worker killed mid-call (the identity sweep writes those UNKNOWN after five minutes, with the time they started).
   */
  callsUnfinished: number;
}

/** Outcomes that are an answer of the registry (not a failure to get one). */
const ANSWERED: readonly RegistryCallOutcome[] = ['MATCH', 'MISMATCH', 'NOT_FOUND', 'FOUND', 'ACCEPTED'];

/** A next poll this late is late (a poll waits for its quota slot behind other work; minutes of retries). */
const POLL_LATE_SECONDS = 15 * 60;

/** Reads {@link IdentityHealth}: five statements on indexed or small tables (the call log by its time index and its key). */
export async function identityHealth(sql: Sql): Promise<IdentityHealth> {
  const [recent, last, issuance, requests, unfinished] = await Promise.all([
    sql.query<{ outcome: string; calls: number; p95: number | null }>(
      `SELECT outcome, count(*)::int AS calls, percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) / 1000.0 AS p95
         FROM registry_call WHERE started_at > now() - $1::int * interval '1 second' GROUP BY outcome`, [REGISTRY_WINDOW_SECONDS]),
    sql.one<{ at: number | null }>(
      // Newest first by key: stops at the first answer (through an outage, after the failures since).
      `SELECT extract(epoch FROM started_at)::float8 AS at FROM registry_call WHERE outcome = ANY($1::text[]) ORDER BY id DESC LIMIT 1`, [ANSWERED]),
    sql.one<{ pending: number; overdue: number; late: number }>(
      // Requests children still wait for (ISSUANCE_WAITS); late, of those polled (a child with no number: one a source's
      // number stopped is not polled; QA: poll_late stayed 1 for good).
      `SELECT count(*)::int AS pending, count(*) FILTER (WHERE i.overdue_at IS NOT NULL)::int AS overdue,
              count(*) FILTER (WHERE c.identity_number IS NULL AND coalesce(i.next_poll_at, i.requested_at) < now() - $1::int * interval '1 second')::int AS late
         FROM identity_issuance i JOIN child c ON c.id = i.child_id
        WHERE i.issued_at IS NULL AND c.status = 'ACTIVE' AND ${ISSUANCE_WAITS}`, [POLL_LATE_SECONDS]),
    sql.one<{ open: number }>(`SELECT count(*)::int AS open FROM identity_request WHERE answered_at IS NULL`),
    sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM registry_call_pending WHERE started_at < now() - interval '1 minute'`),
  ]);
  return {
    recent: recent.map((r) => ({ outcome: r.outcome, calls: r.calls, p95Seconds: r.p95 })),
    lastAnsweredAt: last?.at ?? null,
    issuancePending: issuance!.pending,
    issuanceOverdue: issuance!.overdue,
    issuancePollLate: issuance!.late,
    requestsOpen: requests!.open,
    callsUnfinished: unfinished!.n,
  };
}

/**
 * Sets the identity gauges from this scrape's reading, or clears them when PostgreSQL did not answer (null). Every
 * outcome has a series (0 when none), so an alert on failures tells "none" from "not scraped".
 */
export function setIdentityGauges(metrics: Metrics, health: IdentityHealth | null): void {
  for (const g of [metrics.registryCallsRecent, metrics.registryLatencyP95, metrics.registryLastAnswered, metrics.identityIssuance, metrics.identityRequestsOpen, metrics.registryCallsUnfinished]) g.reset();
  if (health === null) return;
  // UNKNOWN is written minutes after the call started (by the sweep): `childhub_registry_calls_unfinished` tells of those.
  for (const outcome of REGISTRY_CALL_OUTCOMES) if (outcome !== 'UNKNOWN') metrics.registryCallsRecent.set({ outcome }, 0);
  for (const r of health.recent) {
    metrics.registryCallsRecent.set({ outcome: r.outcome }, r.calls);
    if (r.p95Seconds !== null) metrics.registryLatencyP95.set({ outcome: r.outcome }, r.p95Seconds);
  }
  metrics.registryLastAnswered.set(health.lastAnsweredAt ?? 0);
  metrics.identityIssuance.set({ state: 'pending' }, health.issuancePending);
  metrics.identityIssuance.set({ state: 'overdue' }, health.issuanceOverdue);
  metrics.identityIssuance.set({ state: 'poll_late' }, health.issuancePollLate);
  metrics.identityRequestsOpen.set(health.requestsOpen);
  metrics.registryCallsUnfinished.set(health.callsUnfinished);
}
