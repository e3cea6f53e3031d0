import type { Principal } from '../../auth/principal.js';
import { newId } from '../../db/ids.js';
import { ConflictError } from '../../errors/conflict-error.js';
import type { Sql } from '../../db/sql.js';
import { OUTBOX_TOPICS, writeOutbox } from '../outbox/outbox.writer.js';

/**
 * An open request older than this no longer takes in new ones: it is closed `EXPIRED` and a new one opened (its
 * job may have failed for good, the registry refusing). Far longer than a check waits in a busy queue.
 */
export const REQUEST_JOIN_MS = 60 * 60 * 1000;

/** What {@link requestIdentityCheck} did. */
export interface IdentityRequestResult {
  /** The open request that will be answered: this one, or the one it joined. */
  requestId: string;
  /** Another request for the child was open: this one joined it, and no second check was queued. */
  joined: boolean;
}

/**
 * Asks, in the requester's name, for the child's number to be checked against the population database (or its
 * issuance started): a request row (officer, name, agency, unit, purpose, the HTTP request audited) and the child
 * queued for reconciliation, in one transaction. While a request for the child is open, another joins it: one
 * registry call answers both (QA: six requests at once made three calls). The call is made in the open request's
 * name ({@link openRequestContext}).
 */
export async function requestIdentityCheck(sql: Sql, childId: string, by: Principal, httpRequestId: string | null): Promise<IdentityRequestResult> {
  // The open request another transaction holds may be answered between this one's insert and its look-up: then again.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const result = await openOrJoin(sql, childId, by, httpRequestId);
    if (result) return result;
  }
  throw new ConflictError(`Requests for a check of child ${childId} kept being answered while this one was made: ask again`, { childId });
}

async function openOrJoin(sql: Sql, childId: string, by: Principal, httpRequestId: string | null): Promise<IdentityRequestResult | null> {
  return sql.tx(async (client) => {
    await client.query(
      `UPDATE identity_request SET answered_at = now(), answer = 'EXPIRED'
        WHERE child_id = $1 AND answered_at IS NULL AND requested_at < now() - $2::int * interval '1 millisecond'`,
      [childId, REQUEST_JOIN_MS]);
    const id = newId('identityRequest');
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO identity_request (id, child_id, requested_by, officer_id, officer_name, agency, unit, purpose, http_request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (child_id) WHERE answered_at IS NULL DO NOTHING RETURNING id`,
      [id, childId, by.subject, by.officerId, by.officerName, by.agency, by.unit, by.purpose, httpRequestId]);
    if (inserted.rows.length) {
      await writeOutbox(client, OUTBOX_TOPICS.identityReconcile, [childId]);
      return { requestId: id, joined: false };
    }
    const open = await client.query<{ id: string }>(`SELECT id FROM identity_request WHERE child_id = $1 AND answered_at IS NULL`, [childId]);
    return open.rows[0] ? { requestId: open.rows[0].id, joined: true } : null;
  });
}

/** The open request's columns {@link openRequestContext} reads, in a reconciler's row. */
export interface OpenRequestRow {
  request_id: string | null;
  request_officer_id: string | null;
  request_officer_name: string | null;
  request_by: string | null;
  request_agency: string | null;
  request_unit: string | null;
  request_purpose: string | null;
}

/** SQL: a lateral join giving the child `c`'s open request as {@link OpenRequestRow}'s columns (nulls when none). */
export const OPEN_REQUEST_JOIN = `
  LEFT JOIN LATERAL (
    SELECT q.id AS request_id, q.officer_id AS request_officer_id, q.officer_name AS request_officer_name,
           q.requested_by AS request_by, q.agency AS request_agency, q.unit AS request_unit, q.purpose AS request_purpose
      FROM identity_request q WHERE q.child_id = c.id AND q.answered_at IS NULL
  ) req ON true`;

/**
 * Who a call about a child is made for: the officer whose request is open (their number, or their account when the
 * token had none; their name, or the account; their unit, or agency; their purpose; the request's id as the case),
 * else undefined (the hub's own background check).
 */
export function openRequestContext(row: OpenRequestRow): { officerId: string; officerName: string; unit: string; purposeCode: string; caseRef: string } | undefined {
  if (!row.request_id) return undefined;
  return {
    officerId: row.request_officer_id ?? row.request_by!,
    officerName: row.request_officer_name ?? row.request_by!,
    unit: row.request_unit ?? row.request_agency!,
    purposeCode: row.request_purpose!,
    caseRef: row.request_id,
  };
}

/** Closes the requests a job read open, answered ({@link RequestAnswer}). A request opened since the job read stays open for its own job. */
export async function answerRequests(sql: Sql, answers: ReadonlyArray<{ requestId: string; answer: RequestAnswer }>): Promise<void> {
  if (!answers.length) return;
  await sql.query(
    `UPDATE identity_request q SET answered_at = now(), answer = a.answer
       FROM unnest($1::text[], $2::text[]) AS a(id, answer) WHERE q.id = a.id AND q.answered_at IS NULL`,
    [answers.map((a) => a.requestId), answers.map((a) => a.answer)]);
}

/**
 * How a request was closed: `CALLED` (the registry asked in the requester's name: a verification, or for a child
 * without a number a look-up by name and birth, the poll of its issuance request), `NO_CALL` (none was needed: checked
 * already with the same data since, a number that cannot exist, too little data, the child merged), `FAILED` (the job
 * making the call failed for good: refused by the registry, or its attempts used up), `EXPIRED` (open past
 * {@link REQUEST_JOIN_MS}).
 */
export type RequestAnswer = 'CALLED' | 'NO_CALL' | 'FAILED' | 'EXPIRED';

/**
 * Closes FAILED the open requests for `childIds` made before a job that failed for good was queued (`queuedAt`): its
 * call will not come, and a request joining them would wait for nothing (QA: for an hour). A request made since is
 * left to its own job.
 */
export async function failRequests(sql: Sql, childIds: readonly string[], queuedAt: Date): Promise<number> {
  if (!childIds.length) return 0;
  const r = await sql.query(
    `UPDATE identity_request SET answered_at = now(), answer = 'FAILED'
      WHERE child_id = ANY($1::text[]) AND answered_at IS NULL AND requested_at <= $2 RETURNING id`,
    [childIds, queuedAt]);
  return r.length;
}
