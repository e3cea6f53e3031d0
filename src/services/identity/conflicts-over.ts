import type { PoolClient } from 'pg';
import type { IdentityStatus } from '../../db/entities/child.entity.js';

/**
 * The statuses in which an active child holds its number against others: verified, issued, or already in conflict
 * over it. Another active child found holding the number so makes a CONFLICT.
 */
export const HOLDING_STATUSES = ['VERIFIED', 'ISSUED', 'CONFLICT'] as const satisfies readonly IdentityStatus[];

/** {@link HOLDING_STATUSES} as an SQL list. */
export const HOLDING_STATUSES_SQL = `(${HOLDING_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/**
 * The active children in CONFLICT over one of `numbers` that no other active child holds as verified, issued or in
 * conflict any more (the other one merged, given another number, or found not to hold it by a check): a check now
 * finds them VERIFIED, so their callers queue one. Read after the caller's writes, in its transaction; the number is
 * indexed. Used where a holder can leave a conflict: the golden-record stage (merges, changed numbers) and
 * reconciliation (a holder's check not verifying the number: QA second re-check, the one left stayed CONFLICT).
 */
export async function conflictsOver(client: PoolClient, numbers: readonly string[]): Promise<string[]> {
  if (!numbers.length) return [];
  const { rows } = await client.query<{ id: string }>(
    `SELECT c.id FROM child c
      WHERE c.identity_number = ANY($1::text[]) AND c.status = 'ACTIVE' AND c.identity_status = 'CONFLICT'
        AND NOT EXISTS (SELECT 1 FROM child o WHERE o.identity_number = c.identity_number AND o.id <> c.id AND o.status = 'ACTIVE'
                           AND o.identity_status IN ${HOLDING_STATUSES_SQL})`,
    [numbers]);
  return rows.map((r) => r.id);
}
