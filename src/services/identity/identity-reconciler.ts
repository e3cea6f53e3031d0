import type { PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { IdentityStatus } from '../../db/entities/child.entity.js';
import { newId } from '../../db/ids.js';
import type { Sql } from '../../db/sql.js';
import { checkIdentityNumber } from '../../domain/identity-number.js';
import { RateLimitedError } from '../../errors/index.js';
import type { CallContext, PersonQuery, PopulationDbClient } from '../../population-db/population-db.client.js';
import { OUTBOX_TOPICS, writeOutbox } from '../outbox/outbox.writer.js';

/** Waits for a slot of the registry's quota, shared by every worker process. */
export interface QuotaGate {
  acquire(signal?: AbortSignal): Promise<void>;
  penalize(ms: number): Promise<void>;
}

export interface JobRef {
  /** Unique per job (not per attempt): a re-run after a crash records nothing twice. */
  key: string;
  enqueuedAt: Date;
  signal?: AbortSignal;
}

export type ReconcileOutcome =
  | { kind: 'CHECKED'; status: IdentityStatus; recorded: boolean }
  | { kind: 'ISSUANCE_STARTED' | 'ISSUANCE_ALREADY_RUNNING' | 'ALREADY_RECORDED' | 'SKIPPED' | 'INSUFFICIENT_DATA' };

export type IssuanceOutcome =
  | { kind: 'ISSUED'; recorded: boolean }
  | { kind: 'WAITING'; nextPollInMs: number; overdue: boolean }
  | { kind: 'DONE' };

interface ChildIdentityRow {
  id: string;
  status: string;
  full_name: string | null;
  birth_date: string | null;
  birth_date_precision: 'DAY' | 'MONTH' | 'YEAR' | null;
  birth_year: number | null;
  sex: 'MALE' | 'FEMALE' | null;
  identity_number: string | null;
  identity_status: IdentityStatus;
  group_clauses: string[];
}

const MAX_RATE_LIMIT_RETRIES = 5;

/**
 * Reconciles children's personal identification numbers with the national population database, and keeps
 * abandoned children's (and any child's) missing numbers moving until one is issued. Structural checks are
 * evidence, never corrections; every result is recorded once per job (`identity_check.job_key`).
 */
export class IdentityReconciler {
  constructor(
    private readonly sql: Sql,
    private readonly registry: PopulationDbClient,
    private readonly quota: QuotaGate,
    private readonly config: Pick<Config, 'ISSUANCE_OVERDUE_DAYS' | 'ISSUANCE_POLL_INITIAL_MS' | 'ISSUANCE_POLL_MAX_MS' | 'POPULATION_DB_OFFICER_ID' | 'POPULATION_DB_OFFICER_NAME' | 'POPULATION_DB_UNIT' | 'POPULATION_DB_PURPOSE'>,
    private readonly logger: Logger,
  ) {}

  /** Verifies a child's current number, or starts issuance when the child has none. */
  async reconcile(childId: string, job: JobRef): Promise<ReconcileOutcome> {
    if (await this.alreadyRecorded(job.key)) return { kind: 'ALREADY_RECORDED' };
    const child = await this.loadChild(childId);
    if (!child || child.status !== 'ACTIVE') return { kind: 'SKIPPED' };
    if (!child.identity_number) return (await this.startIssuance(child)) ? { kind: 'ISSUANCE_STARTED' } : { kind: 'ISSUANCE_ALREADY_RUNNING' };

    const number = child.identity_number;
    const abandoned = child.group_clauses.includes('b');
    const structure = checkIdentityNumber(number, { sex: child.sex ?? undefined, birthYear: child.birth_year ?? undefined, abandoned });
    let status: IdentityStatus;
    let mismatched: string[] = [];
    let requestId: string | null = null;
    if (!structure.wellFormed) {
      // A number that cannot exist is not sent: the structural findings are the evidence.
      status = 'NOT_FOUND';
    } else {
      if (!child.full_name || !child.birth_date) return { kind: 'INSUFFICIENT_DATA' };
      const result = await this.call(job, () =>
        this.registry.verifyCitizen({ number, fullName: child.full_name!, birth: birthOf(child) }, this.callContext(child.id)),
      );
      requestId = result.requestId;
      const o = result.outcome;
      if (o.kind === 'MATCH') status = 'VERIFIED';
      else if (o.kind === 'MISMATCH') {
        // Abandoned children's registered birth data is the date and place found: not evidence against them.
        mismatched = abandoned ? o.fields.filter((f) => f !== 'NgayThangNamSinh' && f !== 'GioiTinh') : o.fields;
        status = mismatched.length ? 'MISMATCH' : 'VERIFIED';
      } else status = 'NOT_FOUND';
    }

    return this.sql.tx(async (client) => {
      const locked = await client.query<{ identity_number: string | null }>('SELECT identity_number FROM child WHERE id = $1 FOR UPDATE', [childId]);
      const stillCurrent = locked.rows[0]?.identity_number === number;
      let finalStatus: IdentityStatus = status;
      let conflictWith: string[] = [];
      if (stillCurrent && status === 'VERIFIED') {
        conflictWith = await this.conflicts(client, childId, number);
        if (conflictWith.length) finalStatus = 'CONFLICT';
      }
      const recorded = await this.recordCheck(client, {
        childId, job, kind: 'RECONCILE', number, status: finalStatus, mismatched, findings: structure.findings, requestId,
      });
      if (!recorded) return { kind: 'CHECKED', status: finalStatus, recorded: false } as const;
      // A number that changed while we asked is reconciled by the job its change enqueued.
      if (stillCurrent) {
        await client.query(
          `UPDATE child SET identity_status = $2, identity_mismatched_fields = $3, identity_checked_at = now(),
                  identity_verified_at = CASE WHEN $2 IN ('VERIFIED', 'CONFLICT') THEN now() ELSE identity_verified_at END
            WHERE id = $1`,
          [childId, finalStatus, mismatched],
        );
        if (status === 'VERIFIED') {
          await client.query(
            `UPDATE identity_number SET status = 'VERIFIED', verified_at = now() WHERE child_id = $1 AND number = $2 AND status = 'GIVEN'`,
            [childId, number],
          );
        }
        if (conflictWith.length) {
          await client.query(`UPDATE child SET identity_status = 'CONFLICT' WHERE id = ANY($1::text[])`, [conflictWith]);
        }
      }
      return { kind: 'CHECKED', status: finalStatus, recorded: true } as const;
    });
  }

  /**
   * One issuance poll: looks the child up by registered name and birth data; records the number when the
   * registry has issued one, otherwise says when to ask again (growing intervals) and flags the request
   * overdue after ISSUANCE_OVERDUE_DAYS.
   */
  async pollIssuance(childId: string, poll: number, job: JobRef): Promise<IssuanceOutcome> {
    if (await this.alreadyRecorded(job.key)) return { kind: 'DONE' };
    const child = await this.loadChild(childId);
    const issuance = await this.sql.one<{ due_at: Date; issued_at: Date | null; overdue_at: Date | null }>(
      'SELECT due_at, issued_at, overdue_at FROM identity_issuance WHERE child_id = $1', [childId]);
    if (!child || child.status !== 'ACTIVE' || !issuance || issuance.issued_at) return { kind: 'DONE' };
    // A source has given a number meanwhile: verification takes over.
    if (child.identity_number) return { kind: 'DONE' };

    let found: string | null = null;
    let requestId: string | null = null;
    if (child.full_name && child.birth_date) {
      const result = await this.call(job, () =>
        this.registry.lookupCitizen({ number: null, fullName: child.full_name!, birth: birthOf(child) }, this.callContext(child.id)));
      requestId = result.requestId;
      if (result.outcome.kind === 'FOUND') {
        const candidates = result.outcome.citizens.filter((c) => !child.sex || !c.sex || c.sex === child.sex);
        // More than one citizen with the same name and birth: not this hub's guess to make.
        if (candidates.length === 1) found = candidates[0]!.number;
      }
    }

    const nextPollInMs = Math.min(this.config.ISSUANCE_POLL_MAX_MS, this.config.ISSUANCE_POLL_INITIAL_MS * 2 ** Math.min(poll, 30));
    return this.sql.tx(async (client) => {
      if (found) {
        const recorded = await this.recordCheck(client, { childId, job, kind: 'ISSUANCE', number: found, status: 'ISSUED', mismatched: [], findings: [], requestId });
        if (!recorded) return { kind: 'ISSUED', recorded: false } as const;
        await client.query(
          `INSERT INTO identity_number (id, child_id, number, status, verified_at) VALUES ($1, $2, $3, 'VERIFIED', now())
           ON CONFLICT (child_id, number) DO UPDATE SET status = 'VERIFIED', verified_at = now()`,
          [newId('identityNumber'), childId, found],
        );
        await client.query(
          `UPDATE child SET identity_number = $2, identity_status = 'ISSUED', identity_verified_at = now(), identity_checked_at = now(),
                  version = version + 1, updated_at = now() WHERE id = $1`, [childId, found]);
        await client.query(`UPDATE identity_issuance SET issued_at = now(), issued_number = $2, polls = polls + 1, last_polled_at = now(), next_poll_at = NULL WHERE child_id = $1`, [childId, found]);
        await client.query(
          `INSERT INTO care_event (id, child_id, step, occurred_at, responsible_unit, details) VALUES ($1, $2, 'NUMBER_ISSUED', now(), $3, '{}')`,
          [newId('careEvent'), childId, this.config.POPULATION_DB_UNIT]);
        return { kind: 'ISSUED', recorded: true } as const;
      }
      const recorded = await this.recordCheck(client, { childId, job, kind: 'ISSUANCE', number: null, status: 'PENDING_ISSUANCE', mismatched: [], findings: [], requestId });
      const overdue = Date.now() > issuance.due_at.getTime();
      if (recorded) {
        await client.query(
          `UPDATE identity_issuance SET polls = polls + 1, last_polled_at = now(), next_poll_at = now() + ($2::text || ' milliseconds')::interval,
                  overdue_at = CASE WHEN $3 AND overdue_at IS NULL THEN now() ELSE overdue_at END
            WHERE child_id = $1`,
          [childId, String(nextPollInMs), overdue]);
        if (overdue && !issuance.overdue_at) this.logger.warn({ childId, poll }, 'identity issuance overdue: escalate to the responsible commune');
      }
      return { kind: 'WAITING', nextPollInMs, overdue } as const;
    });
  }

  /**
   * The safety net behind the outbox: finds children whose number was never checked or is due for
   * re-verification, and children without a number and no issuance request, and enqueues them through the
   * outbox; flags issuance requests that passed their due date. Returns counts.
   */
  async sweep(reverifyDays: number, limit = 10_000): Promise<{ enqueued: number; overdue: number }> {
    return this.sql.tx(async (client) => {
      // Never checked, verified long ago, or without a number and no issuance request yet.
      const due = await client.query<{ id: string }>(
        `SELECT id FROM child c
          WHERE status = 'ACTIVE' AND (
            (identity_number IS NOT NULL AND (identity_checked_at IS NULL
               OR (identity_status = 'VERIFIED' AND identity_checked_at < now() - ($1::text || ' days')::interval)))
            OR (identity_number IS NULL AND NOT EXISTS (SELECT 1 FROM identity_issuance i WHERE i.child_id = c.id)))
          ORDER BY identity_checked_at NULLS FIRST LIMIT $2`,
        [String(reverifyDays), limit]);
      await writeOutbox(client, OUTBOX_TOPICS.identityReconcile, due.rows.map((r) => r.id));
      const overdue = await client.query(
        `UPDATE identity_issuance SET overdue_at = now() WHERE issued_at IS NULL AND overdue_at IS NULL AND due_at < now()`);
      return { enqueued: due.rowCount ?? 0, overdue: overdue.rowCount ?? 0 };
    });
  }

  /** Opens an issuance request once per child; true when this call opened it. */
  private async startIssuance(child: ChildIdentityRow): Promise<boolean> {
    return this.sql.tx(async (client) => {
      const opened = await client.query(
        `INSERT INTO identity_issuance (child_id, due_at) VALUES ($1, now() + ($2::text || ' days')::interval) ON CONFLICT (child_id) DO NOTHING`,
        [child.id, String(this.config.ISSUANCE_OVERDUE_DAYS)]);
      await client.query(`UPDATE child SET identity_status = 'PENDING_ISSUANCE' WHERE id = $1 AND identity_number IS NULL`, [child.id]);
      return (opened.rowCount ?? 0) > 0;
    });
  }

  /** Other active children already verified with the same number, and this child's other verified numbers. */
  private async conflicts(client: PoolClient, childId: string, number: string): Promise<string[]> {
    const others = await client.query<{ id: string }>(
      `SELECT id FROM child WHERE identity_number = $1 AND id <> $2 AND status = 'ACTIVE' AND identity_status IN ('VERIFIED', 'ISSUED', 'CONFLICT')`,
      [number, childId]);
    const twoNumbers = await client.query(
      `SELECT 1 FROM identity_number WHERE child_id = $1 AND number <> $2 AND status = 'VERIFIED' LIMIT 1`, [childId, number]);
    if (others.rowCount || twoNumbers.rowCount) return others.rows.map((r) => r.id);
    return [];
  }

  private async recordCheck(
    client: PoolClient,
    r: { childId: string; job: JobRef; kind: 'RECONCILE' | 'ISSUANCE'; number: string | null; status: IdentityStatus; mismatched: string[]; findings: unknown[]; requestId: string | null },
  ): Promise<boolean> {
    const res = await client.query(
      `INSERT INTO identity_check (child_id, job_key, kind, number, status, mismatched_fields, structural_findings, request_id, enqueued_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (job_key) DO NOTHING`,
      [r.childId, r.job.key, r.kind, r.number, r.status, r.mismatched, JSON.stringify(r.findings), r.requestId, r.job.enqueuedAt]);
    return (res.rowCount ?? 0) > 0;
  }

  /** A registry call within the shared quota; a 429 slows every process down and the call is retried. */
  private async call<T>(job: JobRef, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.quota.acquire(job.signal);
      try {
        return await fn();
      } catch (err) {
        if (err instanceof RateLimitedError && attempt < MAX_RATE_LIMIT_RETRIES) {
          await this.quota.penalize(Number(err.details.retryAfterMs ?? 1000));
          continue;
        }
        throw err;
      }
    }
  }

  /** A job resumed after a crash, or retried, whose result is already recorded: nothing to do, no quota spent. */
  private async alreadyRecorded(jobKey: string): Promise<boolean> {
    return (await this.sql.one('SELECT 1 AS found FROM identity_check WHERE job_key = $1', [jobKey])) !== undefined;
  }

  private callContext(childId: string): CallContext {
    return {
      officerId: this.config.POPULATION_DB_OFFICER_ID,
      officerName: this.config.POPULATION_DB_OFFICER_NAME,
      unit: this.config.POPULATION_DB_UNIT,
      purposeCode: this.config.POPULATION_DB_PURPOSE,
      caseRef: childId,
      childId,
    };
  }

  private async loadChild(childId: string): Promise<ChildIdentityRow | undefined> {
    return this.sql.one<ChildIdentityRow & Record<string, unknown>>(
      `SELECT id, status, full_name, birth_date, birth_date_precision, birth_year, sex, identity_number, identity_status, group_clauses
         FROM child WHERE id = $1`, [childId]);
  }
}

function birthOf(child: ChildIdentityRow): PersonQuery['birth'] {
  return { date: child.birth_date!, precision: child.birth_date_precision ?? 'DAY' };
}
