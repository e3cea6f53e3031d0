import type { PoolClient } from 'pg';
import { newId } from '../../db/ids.js';
import type { Sql } from '../../db/sql.js';
import { computeGolden } from '../golden-record/survivorship.js';
import { OUTBOX_TOPICS, writeOutbox } from '../outbox/outbox.writer.js';
import { normalizeSourceRecord, type NormalizedSourceRecord } from './source-record.normalizer.js';
import { validateSourceRecord, type RecordProblem } from './source-record.validator.js';

export interface IngestOptions {
  connectorId?: string | null;
  connectorRunId?: string | null;
  /** Where in the source the batch came from (page, file and row), kept with rejects. */
  location?: string | null;
}

export interface IngestResult {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Children created for records no existing child matched. */
  childrenCreated: number;
  /** Children whose golden record must be recomputed (enqueued through the outbox). */
  childrenToRecompute: string[];
  rejects: Array<{ index: number; externalId: string | null; problems: RecordProblem[] }>;
}

const COLUMNS = [
  ['id', 'text'], ['source_system', 'text'], ['external_id', 'text'], ['raw', 'jsonb'], ['full_name', 'text'],
  ['family_name', 'text'], ['middle_name', 'text'], ['given_name', 'text'], ['name_folded', 'text'], ['sex', 'text'],
  ['birth_date', 'date'], ['birth_date_precision', 'text'], ['birth_date_estimated', 'boolean'], ['commune_code', 'text'],
  ['commune_code_set', 'text'], ['father_name', 'text'], ['mother_name', 'text'], ['carer_name', 'text'],
  ['identity_number', 'text'], ['groups', 'jsonb'], ['content_hash', 'text'], ['source_updated_at', 'timestamptz'],
  ['connector_run_id', 'text'],
] as const;

const UPSERT_SQL = `
INSERT INTO source_record (${COLUMNS.map(([c]) => c).join(', ')})
SELECT * FROM unnest(${COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})
ON CONFLICT (source_system, external_id) DO UPDATE SET
  ${COLUMNS.filter(([c]) => !['id', 'source_system', 'external_id'].includes(c)).map(([c]) => `${c} = EXCLUDED.${c}`).join(',\n  ')},
  last_seen_at = now()
WHERE source_record.content_hash IS DISTINCT FROM EXCLUDED.content_hash
RETURNING id, source_system, external_id, child_id, (xmax = 0) AS inserted`;

/**
 * Stores source records: validates each, upserts the valid ones by (source system, external id) skipping
 * unchanged content, links new records to a child (same identity number as an already linked record,
 * until the matcher exists; otherwise a new child), and enqueues golden-record recomputes through the
 * outbox — all in one transaction, so a batch lands whole or not at all. Invalid records are kept in
 * `rejected_record` with their reasons; the valid records around them still land.
 */
export class IngestService {
  constructor(private readonly sql: Sql) {}

  async ingest(inputs: unknown[], opts: IngestOptions = {}): Promise<IngestResult> {
    const valid: NormalizedSourceRecord[] = [];
    const rejects: IngestResult['rejects'] = [];
    inputs.forEach((input, index) => {
      const v = validateSourceRecord(input);
      if (v.ok) valid.push(normalizeSourceRecord(v.value));
      else {
        const externalId = typeof (input as { externalId?: unknown })?.externalId === 'string' ? (input as { externalId: string }).externalId : null;
        rejects.push({ index, externalId, problems: v.problems });
      }
    });
    // A source may repeat a record within one page; the last copy wins, as it would on a later page.
    const byKey = new Map<string, NormalizedSourceRecord>();
    for (const r of valid) byKey.set(`${r.sourceSystem}\u0000${r.externalId}`, r);
    const records = [...byKey.values()];

    return this.sql.tx(async (client) => {
      if (rejects.length) await this.storeRejects(client, inputs, rejects, opts);
      const result: IngestResult = {
        inserted: 0, updated: 0, unchanged: 0, rejected: rejects.length, childrenCreated: 0, childrenToRecompute: [], rejects,
      };
      if (records.length === 0) return result;
      const ids = records.map(() => newId('sourceRecord'));
      const params = COLUMNS.map(([col]) => records.map((r, i) => columnValue(col, r, ids[i]!, opts)));
      const upserted = await client.query<{ id: string; source_system: string; external_id: string; child_id: string | null; inserted: boolean }>(UPSERT_SQL, params);
      const recompute = new Set<string>();
      const toLink: Array<{ id: string; record: NormalizedSourceRecord }> = [];
      for (const row of upserted.rows) {
        if (row.inserted) result.inserted++;
        else result.updated++;
        if (row.child_id) recompute.add(row.child_id);
        else {
          const record = byKey.get(`${row.source_system}\u0000${row.external_id}`);
          if (record) toLink.push({ id: row.id, record });
        }
      }
      result.unchanged = records.length - upserted.rows.length;
      if (toLink.length) {
        const created = await this.link(client, toLink, recompute);
        result.childrenCreated = created;
      }
      result.childrenToRecompute = [...recompute].sort();
      await writeOutbox(client, OUTBOX_TOPICS.goldenRecordRecompute, result.childrenToRecompute);
      return result;
    });
  }

  /**
   * Links newly stored records to children. Records carrying an identity number already linked elsewhere
   * join that child; records in this batch sharing a new number share one new child; the rest each get a
   * new child. Advisory locks on the numbers stop two concurrent batches creating two children for one.
   */
  private async link(client: PoolClient, toLink: Array<{ id: string; record: NormalizedSourceRecord }>, recompute: Set<string>): Promise<number> {
    const numbers = [...new Set(toLink.map((t) => t.record.identityNumber).filter((n): n is string => !!n))].sort();
    const existing = new Map<string, string>();
    if (numbers.length) {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended(n, 7)) FROM unnest($1::text[]) AS n ORDER BY n`, [numbers]);
      const found = await client.query<{ identity_number: string; child_id: string }>(
        `SELECT DISTINCT ON (s.identity_number) s.identity_number, coalesce(c.merged_into_id, c.id) AS child_id
           FROM source_record s JOIN child c ON c.id = s.child_id
          WHERE s.identity_number = ANY($1::text[])
          ORDER BY s.identity_number, s.linked_at`,
        [numbers],
      );
      for (const r of found.rows) existing.set(r.identity_number, r.child_id);
    }
    const links: Array<{ recordId: string; childId: string; rule: 'IDENTITY_NUMBER' | 'NEW_CHILD' }> = [];
    const newChildren = new Map<string, Array<{ id: string; record: NormalizedSourceRecord }>>();
    for (const t of toLink) {
      const number = t.record.identityNumber;
      const childId = number ? existing.get(number) : undefined;
      if (childId) {
        links.push({ recordId: t.id, childId, rule: 'IDENTITY_NUMBER' });
        recompute.add(childId);
        continue;
      }
      const groupKey = number ? `n:${number}` : `r:${t.id}`;
      const group = newChildren.get(groupKey) ?? [];
      group.push(t);
      newChildren.set(groupKey, group);
    }
    const childRows: unknown[][] = [];
    const now = new Date();
    for (const group of newChildren.values()) {
      const childId = newId('child');
      group.forEach((t, i) => links.push({ recordId: t.id, childId, rule: i === 0 ? 'NEW_CHILD' : 'IDENTITY_NUMBER' }));
      // The new child is immediately queryable with the values its first records give; the recompute job
      // then builds its identity-number history and group memberships.
      const g = computeGolden(group.map((t) => ({ ...t.record, id: t.id, birthDatePrecision: t.record.birthDatePrecision ?? null,
        sex: t.record.sex ?? null, birthDate: t.record.birthDate ?? null, birthDateEstimated: t.record.birthDateEstimated ?? false,
        communeCode: t.record.communeCode ?? null, communeCodeSet: t.record.communeCodeSet ?? null, groups: t.record.groups ?? [],
        observedAt: t.record.sourceUpdatedAt ? new Date(t.record.sourceUpdatedAt) : now })), now);
      childRows.push([childId, g.fullName, g.familyName, g.middleName, g.givenName, g.nameFolded, g.sex, g.birthDate, g.birthDatePrecision,
        g.birthDateEstimated, g.birthYear, g.communeCode, g.communeCodeSet, g.identityNumber, g.identityStatus, `{${g.groupClauses.join(',')}}`,
        JSON.stringify(g.provenance)]);
      recompute.add(childId);
    }
    if (childRows.length) {
      const cols = ['id', 'full_name', 'family_name', 'middle_name', 'given_name', 'name_folded', 'sex', 'birth_date', 'birth_date_precision',
        'birth_date_estimated', 'birth_year', 'commune_code', 'commune_code_set', 'identity_number', 'identity_status', 'group_clauses', 'provenance'];
      const types = ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'date', 'text', 'boolean', 'smallint', 'text', 'text', 'text', 'text', 'text', 'jsonb'];
      await client.query(
        `INSERT INTO child (${cols.join(', ')})
         SELECT ${cols.map((c) => (c === 'group_clauses' ? `${c}::text[]` : c)).join(', ')}
           FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS t(${cols.join(', ')})`,
        cols.map((_, i) => childRows.map((r) => r[i])),
      );
    }
    await client.query(
      `UPDATE source_record s SET child_id = l.child_id, link_rule = l.rule, linked_at = now(), linked_by = 'ingest'
         FROM unnest($1::text[], $2::text[], $3::text[]) AS l(record_id, child_id, rule)
        WHERE s.id = l.record_id`,
      [links.map((l) => l.recordId), links.map((l) => l.childId), links.map((l) => l.rule)],
    );
    return childRows.length;
  }

  private async storeRejects(client: PoolClient, inputs: unknown[], rejects: IngestResult['rejects'], opts: IngestOptions): Promise<void> {
    await client.query(
      `INSERT INTO rejected_record (id, connector_id, connector_run_id, source_system, external_id, location, payload, reasons)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])`,
      [
        rejects.map(() => newId('rejectedRecord')),
        rejects.map(() => opts.connectorId ?? null),
        rejects.map(() => opts.connectorRunId ?? null),
        rejects.map((r) => String((inputs[r.index] as { sourceSystem?: unknown })?.sourceSystem ?? 'unknown')),
        rejects.map((r) => r.externalId),
        rejects.map((r) => [opts.location, `record ${r.index + 1}`].filter(Boolean).join(', ')),
        rejects.map((r) => JSON.stringify(inputs[r.index] ?? null)),
        rejects.map((r) => JSON.stringify(r.problems)),
      ],
    );
  }
}

function columnValue(col: (typeof COLUMNS)[number][0], r: NormalizedSourceRecord, id: string, opts: IngestOptions): unknown {
  switch (col) {
    case 'id': return id;
    case 'source_system': return r.sourceSystem;
    case 'external_id': return r.externalId;
    case 'raw': return JSON.stringify(r.raw);
    case 'full_name': return r.fullName;
    case 'family_name': return r.familyName;
    case 'middle_name': return r.middleName;
    case 'given_name': return r.givenName;
    case 'name_folded': return r.nameFolded;
    case 'sex': return r.sex ?? null;
    case 'birth_date': return r.birthDate ?? null;
    case 'birth_date_precision': return r.birthDate ? (r.birthDatePrecision ?? 'DAY') : null;
    case 'birth_date_estimated': return r.birthDateEstimated ?? false;
    case 'commune_code': return r.communeCode ?? null;
    case 'commune_code_set': return r.communeCode ? (r.communeCodeSet ?? 'VN-2025') : null;
    case 'father_name': return r.fatherName ?? null;
    case 'mother_name': return r.motherName ?? null;
    case 'carer_name': return r.carerName ?? null;
    case 'identity_number': return r.identityNumber;
    case 'groups': return JSON.stringify(r.groups ?? []);
    case 'content_hash': return r.contentHash;
    case 'source_updated_at': return r.sourceUpdatedAt ?? null;
    case 'connector_run_id': return opts.connectorRunId ?? null;
  }
}
