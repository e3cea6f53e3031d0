import type { PoolClient } from 'pg';
import { newId } from '../../db/ids.js';
import type { Sql } from '../../db/sql.js';
import { computeGolden } from '../golden-record/survivorship.js';
import { OUTBOX_TOPICS, writeOutbox } from '../outbox/outbox.writer.js';
import type { MappingFlag } from '../../connectors/types.js';
import { normalizeSourceRecord, type NormalizedSourceRecord } from './source-record.normalizer.js';
import { validateSourceRecord, type RecordProblem } from './source-record.validator.js';

export interface IngestOptions {
  connectorId?: string | null;
  connectorRunId?: string | null;
  /** Where in the source the batch came from (page, file and row), kept with rejects. */
  location?: string | null;
}

/** One record to ingest, with what a connector knows about it beyond the record itself. */
export interface IngestItem {
  /** The candidate source record (validated here). */
  input: unknown;
  /**
   * The record's content hash when the caller computes it (connectors hash the raw record with the
   * definition's mapping, so an unchanged record is recognised before it is validated or normalised).
   */
  contentHash?: string;
  /** Values the mapping kept as given because it could not resolve them. */
  flags?: MappingFlag[];
  /** Where in the source the record came from (row, page entry), kept with a reject. */
  location?: string;
}

/** A record in quarantine: what arrived, where from, and why it was refused. */
export interface QuarantinedRecord {
  sourceSystem: string;
  externalId: string | null;
  location: string | null;
  payload: unknown;
  problems: RecordProblem[];
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
  /** The source record id of every item inserted or updated (not unchanged ones), by item index. */
  stored: Array<{ index: number; sourceRecordId: string }>;
}

const COLUMNS = [
  ['id', 'text'], ['source_system', 'text'], ['external_id', 'text'], ['raw', 'jsonb'], ['full_name', 'text'],
  ['family_name', 'text'], ['middle_name', 'text'], ['given_name', 'text'], ['name_folded', 'text'], ['sex', 'text'],
  ['birth_date', 'date'], ['birth_date_precision', 'text'], ['birth_date_estimated', 'boolean'], ['commune_code', 'text'],
  ['commune_code_set', 'text'], ['father_name', 'text'], ['mother_name', 'text'], ['carer_name', 'text'],
  ['identity_number', 'text'], ['groups', 'jsonb'], ['content_hash', 'text'], ['source_updated_at', 'timestamptz'],
  ['connector_run_id', 'text'], ['flags', 'jsonb'],
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
    return this.sql.tx((client) => this.ingestItems(client, inputs.map((input) => ({ input })), opts));
  }

  /**
   * Ingests items inside the caller's transaction (a connector stores a page and its checkpoint together).
   * Items carrying a content hash are first compared with what is stored, and unchanged ones are counted
   * and dropped before any validation or normalisation, so re-reading unchanged data costs one indexed
   * lookup per batch.
   */
  async ingestItems(client: PoolClient, items: IngestItem[], opts: IngestOptions = {}): Promise<IngestResult> {
    const result: IngestResult = {
      inserted: 0, updated: 0, unchanged: 0, rejected: 0, childrenCreated: 0, childrenToRecompute: [], rejects: [], stored: [],
    };
    const known = await this.storedHashes(client, items);
    const valid: Array<{ index: number; record: NormalizedSourceRecord }> = [];
    items.forEach((item, index) => {
      if (known && item.contentHash) {
        const key = keyOf(item.input);
        if (key && known.get(key) === item.contentHash) {
          result.unchanged++;
          return;
        }
      }
      const v = validateSourceRecord(item.input);
      if (v.ok) {
        const record = normalizeSourceRecord(v.value);
        if (item.contentHash) record.contentHash = item.contentHash;
        if (item.flags?.length) record.flags = item.flags;
        valid.push({ index, record });
      } else {
        const externalId = typeof (item.input as { externalId?: unknown })?.externalId === 'string' ? (item.input as { externalId: string }).externalId : null;
        result.rejects.push({ index, externalId, problems: v.problems });
      }
    });
    result.rejected = result.rejects.length;
    if (result.rejects.length) {
      await this.quarantine(client, result.rejects.map((r) => ({
        sourceSystem: String((items[r.index]!.input as { sourceSystem?: unknown })?.sourceSystem ?? 'unknown'),
        externalId: r.externalId,
        location: [opts.location, items[r.index]!.location ?? `record ${r.index + 1}`].filter(Boolean).join(', '),
        payload: items[r.index]!.input ?? null,
        problems: r.problems,
      })), opts);
    }
    // A source may repeat a record within one page; the last copy wins, as it would on a later page.
    const byKey = new Map<string, { index: number; record: NormalizedSourceRecord }>();
    for (const v of valid) byKey.set(`${v.record.sourceSystem}\u0000${v.record.externalId}`, v);
    const records = [...byKey.values()];
    if (records.length === 0) return result;

    const ids = records.map(() => newId('sourceRecord'));
    const params = COLUMNS.map(([col]) => records.map((r, i) => columnValue(col, r.record, ids[i]!, opts)));
    const upserted = await client.query<{ id: string; source_system: string; external_id: string; child_id: string | null; inserted: boolean }>(UPSERT_SQL, params);
    const recompute = new Set<string>();
    const toLink: Array<{ id: string; record: NormalizedSourceRecord }> = [];
    for (const row of upserted.rows) {
      if (row.inserted) result.inserted++;
      else result.updated++;
      const entry = byKey.get(`${row.source_system}\u0000${row.external_id}`);
      if (entry) result.stored.push({ index: entry.index, sourceRecordId: row.id });
      if (row.child_id) recompute.add(row.child_id);
      else if (entry) toLink.push({ id: row.id, record: entry.record });
    }
    // Repeated copies within the batch and rows whose stored hash already matched.
    result.unchanged += valid.length - upserted.rows.length;
    if (toLink.length) {
      const created = await this.link(client, toLink, recompute);
      result.childrenCreated = created;
    }
    result.childrenToRecompute = [...recompute].sort();
    await writeOutbox(client, OUTBOX_TOPICS.goldenRecordRecompute, result.childrenToRecompute);
    return result;
  }

  /** Stored content hashes of the items that carry one, by source system and external id (null: none carry one). */
  private async storedHashes(client: PoolClient, items: IngestItem[]): Promise<Map<string, string> | null> {
    const bySystem = new Map<string, string[]>();
    for (const item of items) {
      if (!item.contentHash) continue;
      const input = item.input as { sourceSystem?: unknown; externalId?: unknown };
      if (typeof input?.sourceSystem !== 'string' || typeof input.externalId !== 'string') continue;
      const list = bySystem.get(input.sourceSystem) ?? [];
      list.push(input.externalId);
      bySystem.set(input.sourceSystem, list);
    }
    if (bySystem.size === 0) return null;
    const out = new Map<string, string>();
    for (const [system, externalIds] of bySystem) {
      const rows = await client.query<{ external_id: string; content_hash: string }>(
        'SELECT external_id, content_hash FROM source_record WHERE source_system = $1 AND external_id = ANY($2::text[])',
        [system, externalIds],
      );
      for (const r of rows.rows) out.set(`${system}\u0000${r.external_id}`, r.content_hash);
    }
    return out;
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

  /**
   * Keeps refused records in `rejected_record` with their reasons (field, code, a message about the value's
   * kind), in the caller's transaction. The payload is stored, never logged.
   */
  async quarantine(client: PoolClient, rejects: QuarantinedRecord[], opts: IngestOptions = {}): Promise<void> {
    if (rejects.length === 0) return;
    await client.query(
      `INSERT INTO rejected_record (id, connector_id, connector_run_id, source_system, external_id, location, payload, reasons)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])`,
      [
        rejects.map(() => newId('rejectedRecord')),
        rejects.map(() => opts.connectorId ?? null),
        rejects.map(() => opts.connectorRunId ?? null),
        rejects.map((r) => r.sourceSystem),
        rejects.map((r) => r.externalId),
        rejects.map((r) => r.location),
        rejects.map((r) => JSON.stringify(r.payload ?? null)),
        rejects.map((r) => JSON.stringify(r.problems)),
      ],
    );
  }
}

function keyOf(input: unknown): string | null {
  const i = input as { sourceSystem?: unknown; externalId?: unknown };
  return typeof i?.sourceSystem === 'string' && typeof i.externalId === 'string' ? `${i.sourceSystem}\u0000${i.externalId}` : null;
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
    case 'flags': return JSON.stringify(r.flags ?? []);
  }
}
