import type { PoolClient } from 'pg';
import { copyBool, copyJson, copyNumber, copyRows, copyText } from '../../db/copy-text.js';
import { ConflictError } from '../../errors/index.js';
import type { StructuralFinding } from '../../db/entities/identity-number.entity.js';
import type { ChildValues, KnownMembership, KnownNumber, LinkedRecord, LockedChild, MembershipDates, NewIdentityNumber, NewMembership } from './recompute-plan.js';
import { groupBy } from '../../util/group-by.js';
import { MARK_CHANGED } from '../changes/child-changes.js';
import type { RejectedDigests, Refused } from '../identity/rejected-values.js';

/**
 * Advisory-lock key space of golden-record recomputes (ingest's number locks use 7, reconciliation's 11): a
 * child without a row has nothing to lock with FOR UPDATE, so two recomputes of it meet on this key instead.
 */
const CHILD_LOCK_SEED = 13;

/** Golden columns and the number status, in the order of every statement below, with their SQL types and {@link ChildValues} keys. */
const VALUE_COLUMNS = [
  ['full_name', 'text', 'fullName'], ['family_name', 'text', 'familyName'], ['middle_name', 'text', 'middleName'],
  ['given_name', 'text', 'givenName'], ['name_folded', 'text', 'nameFolded'], ['sex', 'text', 'sex'], ['birth_date', 'date', 'birthDate'],
  ['birth_date_precision', 'text', 'birthDatePrecision'], ['birth_date_estimated', 'boolean', 'birthDateEstimated'],
  ['birth_year', 'smallint', 'birthYear'], ['commune_code', 'text', 'communeCode'], ['commune_code_set', 'text', 'communeCodeSet'],
  ['identity_number', 'text', 'identityNumber'], ['identity_status', 'text', 'identityStatus'],
] as const satisfies ReadonlyArray<readonly [string, string, keyof ChildValues]>;

const SELECT_CHILDREN = `
SELECT id, status, version, ${VALUE_COLUMNS.map(([c, , k]) => `${c} AS "${k}"`).join(', ')}, group_clauses AS "groupClauses", provenance, disagreements
  FROM child WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`;

// Rows as arrays, and observedAt (when the source last changed the record, or when the hub last saw it) as epoch
// milliseconds: most of this read's cost is the client parsing a child's one or two records, and a float
// parses several times faster than a timestamptz.
// With the date of the adoption a record registers (an adoption register's row: its adoption_registration), joined,
// not looked up row by row (a sub-select per record cost the golden bench 3 µs a child), so a record registering two
// comes twice (records() keeps the latest).
const SELECT_RECORDS = `
SELECT s.id, s.child_id, s.source_system, s.full_name, s.family_name, s.middle_name, s.given_name, s.name_folded, s.sex, s.birth_date,
       s.birth_date_precision, s.birth_date_estimated, s.commune_code, s.commune_code_set, s.identity_number, s.groups,
       date_part('epoch', coalesce(s.source_updated_at, s.last_seen_at)) * 1000, a.registered_on::text
  FROM source_record s LEFT JOIN adoption_registration a ON a.source_record_id = s.id
 WHERE s.child_id = ANY($1::text[])`;
type RecordRow = [string, string, string, string | null, string | null, string | null, string | null, string | null, LinkedRecord['sex'],
  string | null, LinkedRecord['birthDatePrecision'], boolean, string | null, LinkedRecord['communeCodeSet'], string | null, LinkedRecord['groups'], number,
  string | null];

const SELECT_NUMBERS = `
SELECT id, child_id AS "childId", number, status, source_record_id AS "sourceRecordId", verified_at AS "verifiedAt",
       structural_findings AS findings
  FROM identity_number WHERE child_id = ANY($1::text[])`;

// The children's memberships, and the past spells (see recompute-plan's planMemberships) of records now linked to them
// that another child holds: they go with their record (the partial index special_circumstance_withdrawn_idx).
const MEMBERSHIP_COLUMNS = `m.id, m.clause, m.sub_type AS "subType", m.source_record_id AS "sourceRecordId", m.started_on AS "startedOn",
       nullif(m.started_on_precision, 'DAY') AS "startedOnPrecision", m.ended_on AS "endedOn", nullif(m.ended_on_precision, 'DAY') AS "endedOnPrecision",
       coalesce(m.evidence->>'whenGone' = 'end', false) AS "endsWhenGone", m.evidence->>'withdrawnOn' AS "withdrawnOn", m.child_id AS "storedChildId"`;
const SELECT_MEMBERSHIPS = `
SELECT ${MEMBERSHIP_COLUMNS}, m.child_id AS "childId" FROM special_circumstance m WHERE m.child_id = ANY($1::text[])
UNION ALL
SELECT ${MEMBERSHIP_COLUMNS}, s.child_id AS "childId"
  FROM special_circumstance m JOIN source_record s ON s.id = m.source_record_id
 WHERE m.evidence ? 'withdrawnOn' AND s.child_id = ANY($1::text[]) AND m.child_id <> s.child_id`;

// status (ACTIVE), version (1), created_at and updated_at (the transaction's time) are the columns' defaults.
const CHILD_COPY_COLUMNS = ['id', ...VALUE_COLUMNS.map(([c]) => c), 'group_clauses', 'provenance', 'disagreements'];

// The version guard is a safety net: the rows are locked, so a version that moved means a writer that
// ignored the lock, and the recompute must not overwrite what it did.
const UPDATE_CHILDREN = `
UPDATE child c SET ${VALUE_COLUMNS.map(([col]) => `${col} = u.${col}`).join(', ')},
       group_clauses = u.group_clauses::text[], provenance = u.provenance, disagreements = u.disagreements, version = c.version + 1, updated_at = now(), ${MARK_CHANGED}
  FROM unnest($1::text[], $2::int[], ${VALUE_COLUMNS.map(([, t], i) => `$${i + 3}::${t}[]`).join(', ')}, $${VALUE_COLUMNS.length + 3}::text[],
              $${VALUE_COLUMNS.length + 4}::jsonb[], $${VALUE_COLUMNS.length + 5}::jsonb[])
    AS u(id, version, ${VALUE_COLUMNS.map(([c]) => c).join(', ')}, group_clauses, provenance, disagreements)
 WHERE c.id = u.id AND c.version = u.version`;

// first_seen_at and recorded_at: the transaction's time (their defaults).
const NUMBER_COPY_COLUMNS = ['id', 'child_id', 'number', 'status', 'source_record_id', 'structural_findings'];
const MEMBERSHIP_COPY_COLUMNS = ['id', 'child_id', 'clause', 'sub_type', 'source_record_id', 'evidence', 'started_on', 'ended_on',
  'started_on_precision', 'ended_on_precision'];
const REDATE_MEMBERSHIPS = `
UPDATE special_circumstance s SET started_on = u.started_on, ended_on = u.ended_on, started_on_precision = u.started_on_precision,
       ended_on_precision = u.ended_on_precision,
       evidence = (s.evidence - 'whenGone' - 'withdrawnOn')
         || CASE WHEN u.ends THEN '{"whenGone": "end"}'::jsonb ELSE '{}'::jsonb END
         || CASE WHEN u.withdrawn_on IS NOT NULL THEN jsonb_build_object('withdrawnOn', u.withdrawn_on) ELSE '{}'::jsonb END
  FROM unnest($1::text[], $2::date[], $3::date[], $4::text[], $5::text[], $6::boolean[], $7::text[])
    AS u(id, started_on, ended_on, started_on_precision, ended_on_precision, ends, withdrawn_on)
 WHERE s.id = u.id`;

const LOCK_IDS = `
SELECT count(*) FROM (SELECT id FROM unnest($1::text[]) AS id ORDER BY id) AS ids
 CROSS JOIN LATERAL pg_advisory_xact_lock(hashtextextended(ids.id, ${CHILD_LOCK_SEED}))`;
// The status guards repeat the plan's conditions: the rows are locked through their child, so they hold.
const MARK_NUMBERS = `
UPDATE identity_number SET status = CASE WHEN id = ANY($1::text[]) THEN 'SUPERSEDED' ELSE 'GIVEN' END,
       superseded_at = CASE WHEN id = ANY($1::text[]) THEN now() END
 WHERE (id = ANY($1::text[]) AND status = 'GIVEN') OR (id = ANY($2::text[]) AND status = 'SUPERSEDED')`;
const RECHECK_NUMBERS = `
UPDATE identity_number n SET structural_findings = u.findings
  FROM unnest($1::text[], $2::jsonb[]) AS u(id, findings) WHERE n.id = u.id`;
const DELETE_MEMBERSHIPS = 'DELETE FROM special_circumstance WHERE id = ANY($1::text[])';
const MOVE_MEMBERSHIPS = `
UPDATE special_circumstance m SET child_id = u.child_id FROM unnest($1::text[], $2::text[]) AS u(id, child_id) WHERE m.id = u.id`;
const RECREDIT_NUMBERS = `
UPDATE identity_number n SET source_record_id = u.source_record_id
  FROM unnest($1::text[], $2::text[]) AS u(id, source_record_id) WHERE n.id = u.id`;

/**
 * The golden-record stage's SQL: every read and write of a recompute as one set-based statement over all
 * its children (`= ANY($1)` reads, COPY for new rows, `UPDATE … FROM unnest(…)`), so a call costs the same
 * number of statements for one child as for a thousand. All run on the caller's transaction, as named
 * statements (each connection parses and plans them once).
 */
export class GoldenRecordRepository {
  /**
   * Serialises recomputes of the same children across workers, for ids with a row and without one. One
   * statement, keys taken in id order (so two calls sharing children cannot deadlock); held to the end of the
   * transaction.
   */
  async lockIds(client: PoolClient, ids: readonly string[]): Promise<void> {
    await client.query({ name: 'golden_lock_ids', text: LOCK_IDS, values: [ids] });
  }

  /** The children's rows that exist, locked for update (after {@link lockIds}, so read as the last recompute left them). */
  async lockChildren(client: PoolClient, ids: readonly string[]): Promise<Map<string, LockedChild>> {
    const { rows } = await client.query<LockedChild>({ name: 'golden_lock_children', text: SELECT_CHILDREN, values: [ids] });
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The records linked to the children, per child, in record-id order. */
  async records(client: PoolClient, childIds: readonly string[]): Promise<Map<string, LinkedRecord[]>> {
    const { rows } = await client.query<RecordRow>({ name: 'golden_records', text: SELECT_RECORDS, values: [childIds], rowMode: 'array' });
    const byChild = new Map<string, LinkedRecord[]>();
    for (const r of rows) {
      const record: LinkedRecord = {
        id: r[0], childId: r[1], sourceSystem: r[2], fullName: r[3], familyName: r[4], middleName: r[5], givenName: r[6], nameFolded: r[7],
        sex: r[8], birthDate: r[9], birthDatePrecision: r[10], birthDateEstimated: r[11], communeCode: r[12], communeCodeSet: r[13],
        identityNumber: r[14], groups: r[15], observedAt: new Date(r[16]), adoptedOn: r[17],
      };
      const list = byChild.get(record.childId);
      if (!list) byChild.set(record.childId, [record]);
      else {
        // A record registering two adoptions comes once a registration: kept once, with the latest.
        const twice = record.adoptedOn ? list.find((o) => o.id === record.id) : undefined;
        if (twice) twice.adoptedOn = !twice.adoptedOn || record.adoptedOn! > twice.adoptedOn ? record.adoptedOn : twice.adoptedOn;
        else list.push(record);
      }
    }
    for (const list of byChild.values()) if (list.length > 1) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return byChild;
  }

  async numbers(client: PoolClient, childIds: readonly string[]): Promise<Map<string, KnownNumber[]>> {
    const { rows } = await client.query<KnownNumber>({ name: 'golden_numbers', text: SELECT_NUMBERS, values: [childIds] });
    return groupBy(rows, (r) => r.childId);
  }

  /** Per child, per number: what the population database refused for that number, and when (see rejected-values.ts). */
  async refused(client: PoolClient, childIds: readonly string[]): Promise<Map<string, Map<string, Refused>>> {
    const { rows } = await client.query<{ childId: string; number: string; rejected: RejectedDigests; seq: string }>({
      name: 'golden_refused',
      text: `SELECT child_id AS "childId", number, rejected, id AS seq FROM identity_check WHERE child_id = ANY($1::text[]) AND rejected IS NOT NULL ORDER BY id`,
      values: [childIds],
    });
    const out = new Map<string, Map<string, { names: Map<string, number>; birthDates: Map<string, number> }>>();
    for (const r of rows) {
      let byNumber = out.get(r.childId);
      if (!byNumber) out.set(r.childId, (byNumber = new Map()));
      let refused = byNumber.get(r.number);
      if (!refused) byNumber.set(r.number, (refused = { names: new Map(), birthDates: new Map() }));
      // In check order: a value refused again keeps its latest refusal.
      if (r.rejected.fullName) refused.names.set(r.rejected.fullName, Number(r.seq));
      if (r.rejected.birthDate) refused.birthDates.set(r.rejected.birthDate, Number(r.seq));
    }
    return out;
  }

  async memberships(client: PoolClient, childIds: readonly string[]): Promise<Map<string, KnownMembership[]>> {
    const { rows } = await client.query<KnownMembership>({ name: 'golden_memberships', text: SELECT_MEMBERSHIPS, values: [childIds] });
    return groupBy(rows, (r) => r.childId);
  }

  /** New children: active, at version 1, created and updated at the transaction's time. */
  async insertChildren(client: PoolClient, children: readonly ChildValues[]): Promise<void> {
    await copyRows(client, 'child', CHILD_COPY_COLUMNS, children.map((c) => {
      let line = copyText(c.id);
      for (const [, type, key] of VALUE_COLUMNS) {
        const v = c[key];
        line += `\t${type === 'boolean' ? copyBool(v as boolean) : type === 'smallint' ? copyNumber(v as number | null) : copyText(v as string | null)}`;
      }
      // No disagreement is SQL NULL, not JSON null: the partial index holds only the children with one.
      return `${line}\t${copyText(textArray(c.groupClauses))}\t${copyJson(c.provenance)}\t${c.disagreements ? copyJson(c.disagreements) : copyText(null)}`;
    }));
  }

  /**
   * Changed children: every golden column, version + 1, `updated_at` the transaction's time. Throws a
   * {@link ConflictError} (and so rolls the transaction back) when a row's version is not the one read under lock.
   */
  async updateChildren(client: PoolClient, children: ReadonlyArray<ChildValues & { version: number }>): Promise<void> {
    if (children.length === 0) return;
    const res = await client.query({
      name: 'golden_update_children',
      text: UPDATE_CHILDREN,
      values: [
        children.map((c) => c.id),
        children.map((c) => c.version),
        ...VALUE_COLUMNS.map(([, , key]) => children.map((c) => c[key])),
        children.map((c) => textArray(c.groupClauses)),
        children.map((c) => JSON.stringify(c.provenance ?? {})),
        children.map((c) => (c.disagreements ? JSON.stringify(c.disagreements) : null)),
      ],
    });
    if (res.rowCount !== children.length) {
      throw new ConflictError('a child changed version while its golden record was being recomputed', { expected: children.length, updated: res.rowCount });
    }
  }

  /** New identity-number history rows: numbers a source gave, not yet verified. */
  async insertNumbers(client: PoolClient, numbers: readonly NewIdentityNumber[]): Promise<void> {
    await copyRows(client, 'identity_number', NUMBER_COPY_COLUMNS, numbers.map((n) =>
      `${copyText(n.id)}\t${copyText(n.childId)}\t${copyText(n.number)}\tGIVEN\t${copyText(n.sourceRecordId)}\t${copyJson(n.findings)}`));
  }

  /**
   * Numbers no source gives any more become SUPERSEDED at the transaction's time; superseded numbers a source
   * gives again become GIVEN, with no superseded time. One statement for both.
   */
  async markNumbers(client: PoolClient, superseded: readonly string[], restored: readonly string[]): Promise<void> {
    if (superseded.length === 0 && restored.length === 0) return;
    await client.query({ name: 'golden_mark_numbers', text: MARK_NUMBERS, values: [superseded, restored] });
  }

  /** History rows whose structural findings changed with the child's sex or birth year (see planNumbers). */
  async recheckNumbers(client: PoolClient, rechecked: ReadonlyArray<{ id: string; findings: readonly StructuralFinding[] }>): Promise<void> {
    if (rechecked.length === 0) return;
    await client.query({ name: 'golden_recheck_numbers', text: RECHECK_NUMBERS, values: [rechecked.map((r) => r.id), rechecked.map((r) => JSON.stringify(r.findings))] });
  }

  /** History rows credited again to a record that gives the number now (see planNumbers). */
  async recreditNumbers(client: PoolClient, recredited: ReadonlyArray<{ id: string; sourceRecordId: string }>): Promise<void> {
    if (recredited.length === 0) return;
    await client.query({ name: 'golden_recredit_numbers', text: RECREDIT_NUMBERS, values: [recredited.map((r) => r.id), recredited.map((r) => r.sourceRecordId)] });
  }

  async insertMemberships(client: PoolClient, memberships: readonly NewMembership[]): Promise<void> {
    await copyRows(client, 'special_circumstance', MEMBERSHIP_COPY_COLUMNS, memberships.map((m) =>
      `${copyText(m.id)}\t${copyText(m.childId)}\t${copyText(m.clause)}\t${copyText(m.subType)}\t${copyText(m.sourceRecordId)}\t` +
      `${copyJson(m.endsWhenGone ? { sourceSystem: m.sourceSystem, whenGone: 'end' } : { sourceSystem: m.sourceSystem })}\t${copyText(m.startedOn)}\t${copyText(m.endedOn)}\t` +
      `${copyText(m.startedOnPrecision)}\t${copyText(m.endedOnPrecision)}`));
  }

  /** Memberships whose evidence now gives other dates (an adoption registered since ended them). */
  async redateMemberships(client: PoolClient, memberships: readonly MembershipDates[]): Promise<void> {
    if (memberships.length === 0) return;
    await client.query({
      name: 'golden_redate_memberships',
      text: REDATE_MEMBERSHIPS,
      values: [
        memberships.map((m) => m.id), memberships.map((m) => m.startedOn), memberships.map((m) => m.endedOn),
        memberships.map((m) => m.startedOnPrecision), memberships.map((m) => m.endedOnPrecision),
        memberships.map((m) => m.endsWhenGone), memberships.map((m) => m.withdrawnOn),
      ],
    });
  }

  /** Past spells moved to the child their record now belongs to. */
  async moveMemberships(client: PoolClient, moved: ReadonlyArray<{ id: string; childId: string }>): Promise<void> {
    if (moved.length === 0) return;
    await client.query({ name: 'golden_move_memberships', text: MOVE_MEMBERSHIPS, values: [moved.map((m) => m.id), moved.map((m) => m.childId)] });
  }

  async removeMemberships(client: PoolClient, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await client.query({ name: 'golden_remove_memberships', text: DELETE_MEMBERSHIPS, values: [ids] });
  }
}

/** A PostgreSQL array literal of text values (quoted, so any value survives). */
function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
