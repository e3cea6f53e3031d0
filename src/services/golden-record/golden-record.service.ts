import { hanoiDate } from '../../domain/child-age.js';
import type { Sql } from '../../db/sql.js';
import { OUTBOX_TOPICS, writeOutbox } from '../outbox/outbox.writer.js';
import { conflictsOver, HOLDING_STATUSES } from '../identity/conflicts-over.js';
import { GoldenRecordRepository } from './golden-record.repository.js';
import { planRecompute, type KnownMembership, type KnownNumber, type LinkedRecord, type RecomputeResult } from './recompute-plan.js';

export type { RecomputeResult } from './recompute-plan.js';

/**
 * Builds and recomputes children's golden records from their linked source records: golden fields with
 * provenance, the history of identity numbers, and special-circumstance memberships with their evidence.
 * Ingest decides each record's link (`source_record.child_id`); a child named by records but without a row
 * is created here. Idempotent: running it twice leaves the same state and bumps the version only when
 * something changed.
 *
 * Set-based: one transaction of a fixed number of statements whatever the number of children (locks, four
 * reads, one write per kind), and no ORM hydration, because this stage runs once for every child every
 * source touches (it was ~1,500 children/s with MikroORM's unit of work, one object per row).
 */
export class GoldenRecordService {
  private readonly repo = new GoldenRecordRepository();

  /**
   * @param clock the time of a recompute: its provenance stamps, and the day children's ages are judged on (a
   *   child's groups end at 16). Tests pin it.
   */
  constructor(
    private readonly sql: Sql,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async recompute(childIds: string[]): Promise<RecomputeResult> {
    const ids = [...new Set(childIds)].sort();
    if (ids.length === 0) return { changed: [], unchanged: [], skipped: [] };
    return this.sql.tx(async (client) => {
      // Two workers recomputing the same child must not both write from what they read: the advisory locks
      // serialise them even where no row exists yet (a new child: the second then finds the first's row), and
      // the row locks keep every other writer of `child` (identity reconciliation) out until this transaction
      // ends. Everything else is read after both, so under READ COMMITTED each read sees what the previous
      // holder of the locks committed.
      await this.repo.lockIds(client, ids);
      const children = await this.repo.lockChildren(client, ids);
      const candidates = ids.filter((id) => children.get(id)?.status !== 'MERGED');
      const active = [...children.values()].filter((c) => c.status === 'ACTIVE').map((c) => c.id);
      const records = candidates.length ? await this.repo.records(client, candidates) : new Map<string, LinkedRecord[]>();
      // A child without a row has no number history or memberships (both reference `child`): nothing to read.
      const numbers = active.length ? await this.repo.numbers(client, active) : new Map<string, KnownNumber[]>();
      // A merged child's too: they go (see planRecompute).
      const held = [...children.values()].filter((c) => c.status === 'ACTIVE' || c.status === 'MERGED').map((c) => c.id);
      const memberships = held.length ? await this.repo.memberships(client, held) : new Map<string, KnownMembership[]>();
      const refused = active.length ? await this.repo.refused(client, active) : undefined;

      // Provenance says when each value was chosen; the rows' own timestamps are the transaction's time.
      const plan = planRecompute({ ids, children, records, numbers, memberships, refused }, this.clock());
      // Children first: the number history and memberships reference them.
      if (plan.created.length) await this.repo.insertChildren(client, plan.created);
      await this.repo.updateChildren(client, plan.updated);
      if (plan.numbers.length) await this.repo.insertNumbers(client, plan.numbers);
      await this.repo.markNumbers(client, plan.numbersSuperseded, plan.numbersRestored);
      await this.repo.recheckNumbers(client, plan.numbersRechecked);
      await this.repo.recreditNumbers(client, plan.numbersRecredited);
      await this.repo.removeMemberships(client, plan.membershipsRemoved);
      await this.repo.moveMemberships(client, plan.membershipsMoved);
      await this.repo.redateMemberships(client, plan.membershipsRedated);
      if (plan.membershipsAdded.length) await this.repo.insertMemberships(client, plan.membershipsAdded);
      // A conflict that is over is checked again, which finds the child VERIFIED: the other child holding the number
      // merged into this one or elsewhere (QA: it stayed CONFLICT until someone asked for a check), or its records now
      // give it another number (QA re-check: the one left was not in this batch). The numbers to look at: those of
      // this batch's children in CONFLICT, and those its children held before that they no longer hold as active.
      const after = new Map(plan.updated.map((c) => [c.id, c]));
      const contested = new Set<string>();
      for (const [id, before] of children) {
        const now = after.get(id) ?? before;
        if (now.identityNumber && now.identityStatus === 'CONFLICT' && before.status === 'ACTIVE') contested.add(now.identityNumber);
        // Only a number held verified, issued or in conflict can have left another child in CONFLICT over it.
        const couldConflict = (HOLDING_STATUSES as readonly string[]).includes(before.identityStatus);
        if (before.identityNumber && couldConflict && (before.status !== 'ACTIVE' || now.identityNumber !== before.identityNumber)) contested.add(before.identityNumber);
      }
      const over = await conflictsOver(client, [...contested]);
      await writeOutbox(client, OUTBOX_TOPICS.identityReconcile, [...new Set([...plan.reconcile, ...over])]);
      return plan.result;
    });
  }

  /**
   * Children who have turned 16 but are still in a group (their record has not been rebuilt since their
   * birthday): enqueued for a recompute, through the outbox, which ends their groups. Run daily by the
   * `groups-age-out` job. Stateless: it looks for every such child, not only those whose birthday came since
   * the last run, so a missed day or a failed recompute is caught up by the next run, and a child once
   * recomputed (no group left) is not found again. Cheap: the partial index `child_in_groups_birth_idx` holds
   * only active children in a group, and `birth_date` bounds the range.
   *
   * The SQL repeats `sixteenthBirthday` (domain/child-age.ts): a DAY birth date's 16th birthday, the last day
   * of a MONTH's, 31 December of a YEAR's. It may only find a child earlier than the recompute ends their
   * groups, never later: PostgreSQL puts 29 February + 16 years on the 28th of a year without a 29th (the
   * recompute waits for 1 March; that child is found again the next day).
   * @returns the ids enqueued (at most `limit`; any more are found by the next run).
   */
  async enqueueAgedOut(limit = 50_000): Promise<string[]> {
    const today = hanoiDate(this.clock());
    return this.sql.tx(async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `SELECT id FROM child
          WHERE status = 'ACTIVE' AND group_clauses <> '{}' AND birth_date <= $1::date - interval '16 years'
            AND CASE birth_date_precision
                  WHEN 'YEAR' THEN make_date(extract(year FROM birth_date)::int + 16, 12, 31)
                  WHEN 'MONTH' THEN (date_trunc('month', birth_date + interval '16 years') + interval '1 month - 1 day')::date
                  ELSE (birth_date + interval '16 years')::date
                END <= $1::date
          ORDER BY birth_date LIMIT $2`,
        [today, limit]);
      const ids = rows.map((r) => r.id);
      await writeOutbox(client, OUTBOX_TOPICS.goldenRecordRecompute, ids);
      return ids;
    });
  }
}
