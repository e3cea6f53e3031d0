import type { PoolClient } from 'pg';

/**
 * The change feed of children (`children(filter: { changedSince })`): `child.changed_xid` holds the transaction that
 * last changed what the hub tells of a child, and a pull's token is the oldest transaction running when it began.
 *
 * What counts as a change, and who marks it:
 * - a record stored new or changed, with the facts it holds (vaccinations, enrolments, placements and the rest): the
 *   ingest, in the transaction that writes them, for the child the record is linked to;
 * - golden fields, number history, groups: the golden-record stage, for the children whose unified record it changes
 *   (a recompute that finds nothing to change writes nothing);
 * - a record marked absent from its source or returned again (its facts say so): removals and whole lists;
 * - the identity status, the number confirmed or issued, a conflict: identity reconciliation (a re-check that finds
 *   what it found before changes only the check's time, and is not a change);
 * - a merge found at ingest: the child merged (MERGED, `mergedIntoId`);
 * - records renamed by `connectors rekey` (a fact's `source.externalId`).
 * A new child's row gets its creating transaction (the column's default).
 */

/** SQL for `changed_xid` in a writer's `SET`, marking the row changed by the current transaction. */
export const MARK_CHANGED = 'changed_xid = pg_current_xact_id()';

/**
 * SQL for a child writer's `SET` that marks the row (aliased `alias`) changed only when `changed` holds: its
 * `changed_xid`, and its `version` and `updated_at`, which tell a reader the unified record changed (QA: an
 * identity status moved from CONFLICT to VERIFIED left both as they were).
 */
export function markChangedWhen(alias: string, changed: string): string {
  return `changed_xid = CASE WHEN ${changed} THEN pg_current_xact_id() ELSE ${alias}.changed_xid END,
          version = CASE WHEN ${changed} THEN ${alias}.version + 1 ELSE ${alias}.version END,
          updated_at = CASE WHEN ${changed} THEN now() ELSE ${alias}.updated_at END`;
}

// Locked in id order, as the golden stage and identity reconciliation lock children, so that two writers marking
// overlapping children wait for each other instead of deadlocking. A child merged into another shows its facts
// there (projections follow merges, to any depth): the children it was merged into are marked too.
const MARK_CHILDREN = `
WITH RECURSIVE target(id) AS (
  SELECT unnest($1::text[])
  UNION SELECT c.merged_into_id FROM child c JOIN target t ON c.id = t.id WHERE c.merged_into_id IS NOT NULL
), locked AS (
  SELECT id FROM child WHERE id IN (SELECT id FROM target) AND changed_xid <> pg_current_xact_id() ORDER BY id FOR UPDATE
)
UPDATE child c SET ${MARK_CHANGED} FROM locked WHERE c.id = locked.id`;

/**
 * Marks children as changed by the current transaction, and the children they were merged into. Ids without a row
 * (a child the golden stage has not built yet) are skipped: building it marks it; so are nulls (a record linked to
 * no child), so that a writer passes its `RETURNING child_id` rows as they come.
 */
export async function markChildrenChanged(client: PoolClient, childIds: ReadonlyArray<string | null>): Promise<void> {
  const ids = new Set<string>();
  for (const id of childIds) if (id) ids.add(id);
  if (ids.size === 0) return;
  await client.query({ name: 'mark_children_changed', text: MARK_CHILDREN, values: [[...ids]] });
}

const TOKEN_PREFIX = 'chg1-';

export function encodeChangeToken(xmin: string): string {
  return `${TOKEN_PREFIX}${xmin}`;
}

/** The transaction id a token holds, or null when it is not a change token. */
export function decodeChangeToken(token: string): string | null {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const digits = token.slice(TOKEN_PREFIX.length);
  // xid8 is an unsigned 64-bit counter; a token longer than it or with a leading zero was not made here.
  if (!/^(0|[1-9]\d{0,19})$/.test(digits) || BigInt(digits) > 0xffffffffffffffffn) return null;
  return digits;
}
