import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import { newId } from '../../db/ids.js';
import type { Sql } from '../../db/sql.js';
import { copyBool, copyRows, copyText } from '../../db/copy-text.js';
import { NEW_CHILD_COLUMNS, newChildLine } from './new-child.js';
import { OUTBOX_TOPICS, writeOutbox } from '../outbox/outbox.writer.js';
import type { MappingFlag } from '../../connectors/types.js';
import { normalizeSourceRecord, type NormalizedSourceRecord } from './source-record.normalizer.js';
import { validateSourceRecord, type RecordProblem } from './source-record.validator.js';
import { yieldToEventLoop } from './yield.js';

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
  /** `JSON.stringify(input.raw)` when the caller has it already (a connector hashes it): stored as is. */
  rawJson?: string;
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
  /**
   * The source record id of every item inserted or updated (not unchanged ones), by item index; `inserted`
   * when the row is new (it can have no projections yet).
   */
  stored: Array<{ index: number; sourceRecordId: string; inserted: boolean }>;
}

/** What is stored under a record's key, as {@link IngestService.prepare} found it. */
interface StoredRow {
  id: string;
  contentHash: string;
  childId: string | null;
}

/** Stored rows by `source system \0 external id` ({@link IngestService.lookup}). */
export type StoredRows = Map<string, StoredRow>;

interface PreparedRecord {
  index: number;
  record: NormalizedSourceRecord;
  /** The row stored under this record's key when the batch was prepared: null for none (a new record), undefined when not looked up. */
  stored: StoredRow | null | undefined;
  /**
   * For a new record, what can be built before the transaction: its id, its COPY fields (without the link),
   * and the child it gets when it links to no one else (id and COPY row).
   */
  prebuilt?: { id: string; fields: string; childId: string; childLine: string };
}

/**
 * A batch validated and normalised, nothing written yet: {@link IngestService.prepare} builds it (outside any
 * transaction, so a connector can prepare its next batch while the current one is being stored) and
 * {@link IngestService.store} writes it.
 */
export interface PreparedIngest {
  /** Items skipped because their content hash equals the stored one. */
  unchanged: number;
  /** Items that passed validation (repeats of a key included). */
  valid: number;
  rejects: IngestResult['rejects'];
  /** The rejects as they are quarantined (source, location, payload, reasons). */
  quarantined: QuarantinedRecord[];
  /** One record per key: a source may repeat a record within one batch, and the last copy wins. */
  records: PreparedRecord[];
}

const COLUMNS = [
  ['id', 'text'], ['source_system', 'text'], ['external_id', 'text'], ['raw', 'jsonb'], ['full_name', 'text'],
  ['family_name', 'text'], ['middle_name', 'text'], ['given_name', 'text'], ['name_folded', 'text'], ['sex', 'text'],
  ['birth_date', 'date'], ['birth_date_precision', 'text'], ['birth_date_estimated', 'boolean'], ['commune_code', 'text'],
  ['commune_code_set', 'text'], ['father_name', 'text'], ['mother_name', 'text'], ['carer_name', 'text'],
  ['identity_number', 'text'], ['groups', 'jsonb'], ['content_hash', 'text'], ['source_updated_at', 'timestamptz'],
  ['connector_run_id', 'text'], ['flags', 'jsonb'],
] as const;
type Column = (typeof COLUMNS)[number][0];
const LINK_COLUMNS = [['child_id', 'text'], ['link_rule', 'text']] as const;

/**
 * Inserts or updates by (source system, external id), skipping rows whose content hash is unchanged. A row
 * may carry the child it was linked to before the write: a new row takes it; an existing row takes it only
 * if it is not linked yet (a link someone else made first is kept, and the child made for it is removed).
 */
const UPSERT_SQL = `
INSERT INTO source_record (${[...COLUMNS, ...LINK_COLUMNS].map(([c]) => c).join(', ')}, linked_at, linked_by)
SELECT u.*, CASE WHEN u.child_id IS NOT NULL THEN now() END, CASE WHEN u.child_id IS NOT NULL THEN 'ingest' END
  FROM unnest(${[...COLUMNS, ...LINK_COLUMNS].map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')}) AS u(${[...COLUMNS, ...LINK_COLUMNS].map(([c]) => c).join(', ')})
ON CONFLICT (source_system, external_id) DO UPDATE SET
  ${COLUMNS.filter(([c]) => !['id', 'source_system', 'external_id'].includes(c)).map(([c]) => `${c} = EXCLUDED.${c}`).join(',\n  ')},
  last_seen_at = now(),
  child_id = coalesce(source_record.child_id, EXCLUDED.child_id),
  ${['link_rule', 'linked_at', 'linked_by'].map((c) => `${c} = CASE WHEN source_record.child_id IS NULL THEN EXCLUDED.${c} ELSE source_record.${c} END`).join(',\n  ')}
WHERE source_record.content_hash IS DISTINCT FROM EXCLUDED.content_hash
RETURNING id, source_system, external_id, child_id, (xmax = 0) AS inserted`;

/** Columns of a new source record written by COPY, linked to its child in the same row. */
const COPY_COLUMNS = [...COLUMNS.map(([c]) => c), 'child_id', 'link_rule', 'linked_at', 'linked_by'];

type LinkRule = 'IDENTITY_NUMBER' | 'NEW_CHILD';

/**
 * Records validated and normalised between two yields to the event loop: small, because every statement of
 * the batch being stored meanwhile waits for the current slice to finish before its answer is read.
 */
const YIELD_EVERY = 50;
interface PlannedLink {
  childId: string;
  rule: LinkRule;
  /** The child is created by this batch (removed again if no record ends up linked to it). */
  created: boolean;
}

/** A PostgreSQL connection or pool to read with (prepare runs outside the batch's transaction). */
export interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * Stores source records: validates each, upserts the valid ones by (source system, external id) skipping
 * unchanged content, links new records to a child (same identity number as an already linked record,
 * until the matcher exists; otherwise a new child), and enqueues golden-record recomputes through the
 * outbox — all in one transaction, so a batch lands whole or not at all. Invalid records are kept in
 * `rejected_record` with their reasons; the valid records around them still land.
 *
 * The work is split in two so that a connector can overlap them: {@link prepare} reads what is stored under
 * the batch's keys, validates and normalises (no write, no transaction); {@link store} writes, in the
 * caller's transaction. Records known to be new are linked before they are written (their children first,
 * then the records by COPY, already carrying their child), so a new record is written once.
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
    return this.store(client, await this.prepare(client, items, opts), opts);
  }

  /**
   * Looks up what is stored under the items' keys, drops items whose content hash is unchanged, validates
   * and normalises the rest. Writes nothing; `db` may be a pool (no transaction is needed: under READ
   * COMMITTED a lookup inside the writing transaction would see no more than this one, and {@link store}
   * re-checks every key as it writes).
   */
  async prepare(db: Queryable, items: IngestItem[], opts: IngestOptions = {}, looked?: StoredRows): Promise<PreparedIngest> {
    const stored = looked ?? (await this.lookup(db, items));
    const out: PreparedIngest = { unchanged: 0, valid: 0, rejects: [], quarantined: [], records: [] };
    const byKey = new Map<string, PreparedRecord>();
    for (let index = 0; index < items.length; index++) {
      if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop();
      const item = items[index]!;
      const key = keyOf(item.input);
      const row = key === null ? undefined : stored.get(key);
      if (row && item.contentHash && row.contentHash === item.contentHash) {
        out.unchanged++;
        continue;
      }
      const v = validateSourceRecord(item.input);
      if (!v.ok) {
        const externalId = typeof (item.input as { externalId?: unknown })?.externalId === 'string' ? (item.input as { externalId: string }).externalId : null;
        out.rejects.push({ index, externalId, problems: v.problems });
        out.quarantined.push({
          sourceSystem: String((item.input as { sourceSystem?: unknown })?.sourceSystem ?? 'unknown'),
          externalId,
          location: [opts.location, item.location ?? `record ${index + 1}`].filter(Boolean).join(', '),
          payload: item.input ?? null,
          problems: v.problems,
        });
        continue;
      }
      out.valid++;
      const record = normalizeSourceRecord(v.value, item.contentHash);
      if (item.flags?.length) record.flags = item.flags;
      // The caller's JSON is of the payload it passed; validation keeps that object unless it had to copy it.
      if (item.rawJson !== undefined && v.value.raw === (item.input as { raw?: unknown }).raw) record.rawJson = item.rawJson;
      const recordKey = `${record.sourceSystem}\u0000${record.externalId}`;
      // Validation trims the external id: a key that changed was not the one looked up.
      byKey.set(recordKey, { index, record, stored: recordKey === key ? (row ?? null) : undefined });
    }
    out.records = [...byKey.values()];
    // New records are most of an initial load: build their rows now, so the transaction only sends them.
    const now = new Date();
    for (let i = 0; i < out.records.length; i++) {
      if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop();
      const r = out.records[i]!;
      if (r.stored !== null) continue;
      const id = newId('sourceRecord');
      const childId = newId('child');
      r.prebuilt = { id, fields: recordFields(r.record, id, opts), childId, childLine: newChildLine(childId, [{ id, record: r.record }], now) };
    }
    return out;
  }

  /** Writes a prepared batch in the caller's transaction: quarantine, links, records, outbox. */
  async store(client: PoolClient, prepared: PreparedIngest, opts: IngestOptions = {}): Promise<IngestResult> {
    const result: IngestResult = {
      inserted: 0, updated: 0, unchanged: prepared.unchanged, rejected: prepared.rejects.length, childrenCreated: 0, childrenToRecompute: [],
      rejects: prepared.rejects, stored: [],
    };
    await this.quarantine(client, prepared.quarantined, opts);
    const records = prepared.records;
    if (records.length === 0) return result;

    // Linked records keep their child. The others are linked before they are written, except when a linked
    // record of this batch carries the same number: its new number becomes visible only once it is
    // written, so they are linked afterwards (as every record was before the write-once path).
    const rewrittenNumbers = new Set<string>();
    for (const r of records) if (r.stored?.childId && r.record.identityNumber) rewrittenNumbers.add(r.record.identityNumber);
    const planned: PreparedRecord[] = [];
    for (const r of records) {
      if (r.stored === undefined || r.stored?.childId) continue;
      if (r.record.identityNumber && rewrittenNumbers.has(r.record.identityNumber)) continue;
      planned.push(r);
    }
    // Every number this batch may link by, locked once, in order: two batches never create two children for one number.
    const numbers = [...new Set(records.filter((r) => !r.stored?.childId && r.record.identityNumber).map((r) => r.record.identityNumber!))].sort();
    if (numbers.length) await client.query(`SELECT pg_advisory_xact_lock(hashtextextended(n, 7)) FROM unnest($1::text[]) AS n ORDER BY n`, [numbers]);

    const ids = new Map<PreparedRecord, string>();
    for (const r of records) ids.set(r, r.prebuilt?.id ?? r.stored?.id ?? newId('sourceRecord'));
    const fresh = planned.filter((r) => r.stored === null);
    let links = new Map<PreparedRecord, PlannedLink>();
    let copied: PreparedRecord[] = [];
    if (planned.length) {
      // New records are written by COPY, which cannot skip a key someone else inserted meanwhile: then the
      // whole plan is undone and the batch takes the upsert path.
      // The savepoint and the transaction's time (linked_at) in one round trip.
      const now = fresh.length ? await savepointNow(client) : null;
      try {
        links = await this.planLinks(client, planned, ids);
        if (now !== null) {
          const linkedAt = copyText(now);
          await copyRows(client, 'source_record', COPY_COLUMNS, fresh.map((r) => {
            const link = links.get(r)!;
            return `${r.prebuilt?.fields ?? recordFields(r.record, ids.get(r)!, opts)}\t${copyText(link.childId)}\t${link.rule}\t${linkedAt}\tingest`;
          }));
          await client.query('RELEASE SAVEPOINT ingest_write_once');
          copied = fresh;
        }
      } catch (err) {
        if (!fresh.length || (err as { code?: unknown }).code !== '23505') throw err;
        await client.query('ROLLBACK TO SAVEPOINT ingest_write_once');
        links = new Map();
      }
    }

    const recompute = new Set<string>();
    const used = new Set<string>();
    for (const r of copied) {
      const link = links.get(r)!;
      result.inserted++;
      result.stored.push({ index: r.index, sourceRecordId: ids.get(r)!, inserted: true });
      recompute.add(link.childId);
      used.add(link.childId);
    }
    const copiedSet = new Set(copied);
    const rest = records.filter((r) => !copiedSet.has(r));
    const toLink: Array<{ id: string; record: NormalizedSourceRecord }> = [];
    let written = copied.length;
    if (rest.length) {
      const byKey = new Map(rest.map((r) => [`${r.record.sourceSystem}\u0000${r.record.externalId}`, r]));
      const params = [
        ...COLUMNS.map(([col]) => rest.map((r) => columnValue(col, r.record, ids.get(r)!, opts))),
        rest.map((r) => links.get(r)?.childId ?? null),
        rest.map((r) => links.get(r)?.rule ?? null),
      ];
      const upserted = await client.query<{ id: string; source_system: string; external_id: string; child_id: string | null; inserted: boolean }>(UPSERT_SQL, params);
      written += upserted.rows.length;
      for (const row of upserted.rows) {
        if (row.inserted) result.inserted++;
        else result.updated++;
        const entry = byKey.get(`${row.source_system}\u0000${row.external_id}`);
        if (entry) result.stored.push({ index: entry.index, sourceRecordId: row.id, inserted: row.inserted });
        if (row.child_id) {
          recompute.add(row.child_id);
          used.add(row.child_id);
        } else if (entry) toLink.push({ id: row.id, record: entry.record });
      }
    }
    // Repeated copies within the batch and rows whose stored hash already matched.
    result.unchanged += prepared.valid - written;

    // Children made for records that ended up elsewhere (linked meanwhile, or unchanged after all).
    const created = new Set([...links.values()].filter((l) => l.created).map((l) => l.childId));
    result.childrenCreated = created.size;
    const unused = [...created].filter((id) => !used.has(id));
    if (unused.length) {
      const removed = await client.query<{ id: string }>(
        `DELETE FROM child c WHERE c.id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM source_record s WHERE s.child_id = c.id) RETURNING c.id`,
        [unused],
      );
      result.childrenCreated -= removed.rowCount ?? 0;
    }
    if (toLink.length) result.childrenCreated += await this.link(client, toLink, recompute);
    result.childrenToRecompute = [...recompute].sort();
    await writeOutbox(client, OUTBOX_TOPICS.goldenRecordRecompute, result.childrenToRecompute);
    return result;
  }

  /**
   * What is stored under the items' keys (items without a string source system and external id are not
   * looked up). {@link prepare} does it; a caller may do it earlier, in parts, and pass the merged result.
   */
  async lookup(db: Queryable, items: IngestItem[]): Promise<StoredRows> {
    const bySystem = new Map<string, string[]>();
    for (const item of items) {
      const input = item.input as { sourceSystem?: unknown; externalId?: unknown };
      if (typeof input?.sourceSystem !== 'string' || typeof input.externalId !== 'string') continue;
      let list = bySystem.get(input.sourceSystem);
      if (!list) bySystem.set(input.sourceSystem, (list = []));
      list.push(input.externalId);
    }
    const out: StoredRows = new Map();
    for (const [system, externalIds] of bySystem) for (const [k, v] of await this.lookupKeys(db, system, externalIds)) out.set(k, v);
    return out;
  }

  /** What is stored under one source system's external ids. */
  async lookupKeys(db: Queryable, sourceSystem: string, externalIds: string[]): Promise<StoredRows> {
    const out: StoredRows = new Map();
    if (externalIds.length === 0) return out;
    const rows = await db.query<{ id: string; external_id: string; content_hash: string; child_id: string | null }>(
      'SELECT id, external_id, content_hash, child_id FROM source_record WHERE source_system = $1 AND external_id = ANY($2::text[])',
      [sourceSystem, externalIds],
    );
    for (const r of rows.rows) out.set(`${sourceSystem}\u0000${r.external_id}`, { id: r.id, contentHash: r.content_hash, childId: r.child_id });
    return out;
  }

  /**
   * Decides the child of each record before it is written (its numbers are locked by the caller): a record
   * whose identity number is already linked elsewhere joins that child; records sharing a new number share
   * one new child; the rest each get a new child. New children are inserted here, so the records can
   * reference them.
   */
  private async planLinks(client: PoolClient, planned: PreparedRecord[], ids: Map<PreparedRecord, string>): Promise<Map<PreparedRecord, PlannedLink>> {
    const numbers = [...new Set(planned.map((r) => r.record.identityNumber).filter((n): n is string => !!n))];
    const existing = await this.childrenByNumber(client, numbers);
    const links = new Map<PreparedRecord, PlannedLink>();
    const groups = new Map<string, PreparedRecord[]>();
    for (const r of planned) {
      const number = r.record.identityNumber;
      const childId = number ? existing.get(number) : undefined;
      if (childId) {
        links.set(r, { childId, rule: 'IDENTITY_NUMBER', created: false });
        continue;
      }
      const groupKey = number ? `n:${number}` : `r:${ids.get(r)}`;
      const group = groups.get(groupKey);
      if (group) group.push(r);
      else groups.set(groupKey, [r]);
    }
    const lines: string[] = [];
    const now = new Date();
    for (const group of groups.values()) {
      const solo = group.length === 1 ? group[0]!.prebuilt : undefined;
      const childId = solo?.childId ?? newId('child');
      group.forEach((r, i) => links.set(r, { childId, rule: i === 0 ? 'NEW_CHILD' : 'IDENTITY_NUMBER', created: true }));
      lines.push(solo?.childLine ?? newChildLine(childId, group.map((r) => ({ id: ids.get(r)!, record: r.record })), now));
    }
    await copyRows(client, 'child', NEW_CHILD_COLUMNS, lines);
    return links;
  }

  /** The child each identity number is already linked to (through the earliest linked record carrying it). */
  private async childrenByNumber(client: PoolClient, numbers: string[]): Promise<Map<string, string>> {
    const existing = new Map<string, string>();
    if (numbers.length === 0) return existing;
    const found = await client.query<{ identity_number: string; child_id: string }>(
      `SELECT DISTINCT ON (s.identity_number) s.identity_number, coalesce(c.merged_into_id, c.id) AS child_id
         FROM source_record s JOIN child c ON c.id = s.child_id
        WHERE s.identity_number = ANY($1::text[])
        ORDER BY s.identity_number, s.linked_at`,
      [numbers],
    );
    for (const r of found.rows) existing.set(r.identity_number, r.child_id);
    return existing;
  }

  /**
   * Links records already written without a child (the upsert path): the same rules as {@link planLinks},
   * applied after the write, with an UPDATE of each record.
   */
  private async link(client: PoolClient, toLink: Array<{ id: string; record: NormalizedSourceRecord }>, recompute: Set<string>): Promise<number> {
    const numbers = [...new Set(toLink.map((t) => t.record.identityNumber).filter((n): n is string => !!n))].sort();
    if (numbers.length) await client.query(`SELECT pg_advisory_xact_lock(hashtextextended(n, 7)) FROM unnest($1::text[]) AS n ORDER BY n`, [numbers]);
    const existing = await this.childrenByNumber(client, numbers);
    const links: Array<{ recordId: string; childId: string; rule: LinkRule }> = [];
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
    const lines: string[] = [];
    const now = new Date();
    for (const group of newChildren.values()) {
      const childId = newId('child');
      group.forEach((t, i) => links.push({ recordId: t.id, childId, rule: i === 0 ? 'NEW_CHILD' : 'IDENTITY_NUMBER' }));
      lines.push(newChildLine(childId, group, now));
      recompute.add(childId);
    }
    await copyRows(client, 'child', NEW_CHILD_COLUMNS, lines);
    await client.query(
      `UPDATE source_record s SET child_id = l.child_id, link_rule = l.rule, linked_at = now(), linked_by = 'ingest'
         FROM unnest($1::text[], $2::text[], $3::text[]) AS l(record_id, child_id, rule)
        WHERE s.id = l.record_id`,
      [links.map((l) => l.recordId), links.map((l) => l.childId), links.map((l) => l.rule)],
    );
    return lines.length;
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

/** Sets the write-once savepoint and reads the transaction's time, in one round trip (two statements, simple protocol). */
async function savepointNow(client: PoolClient): Promise<string> {
  const res = (await client.query('SAVEPOINT ingest_write_once; SELECT now()::text AS now')) as unknown as QueryResult<{ now: string }> | Array<QueryResult<{ now: string }>>;
  const last = Array.isArray(res) ? res[res.length - 1] : res;
  return last!.rows[0]!.now;
}

/** A source record's COPY fields ({@link COLUMNS}, without the link columns). */
function recordFields(r: NormalizedSourceRecord, id: string, opts: IngestOptions): string {
  let line = '';
  for (let i = 0; i < COLUMNS.length; i++) {
    const v = columnValue(COLUMNS[i]![0], r, id, opts);
    line += i === 0 ? '' : '\t';
    line += typeof v === 'boolean' ? copyBool(v) : copyText(v as string | null);
  }
  return line;
}

function keyOf(input: unknown): string | null {
  const i = input as { sourceSystem?: unknown; externalId?: unknown };
  return typeof i?.sourceSystem === 'string' && typeof i.externalId === 'string' ? `${i.sourceSystem}\u0000${i.externalId}` : null;
}

function columnValue(col: Column, r: NormalizedSourceRecord, id: string, opts: IngestOptions): unknown {
  switch (col) {
    case 'id': return id;
    case 'source_system': return r.sourceSystem;
    case 'external_id': return r.externalId;
    case 'raw': return r.rawJson ?? JSON.stringify(r.raw);
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
