import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { PROJECTION_KINDS, type Projections } from '../../connectors/types.js';
import { copyBool, copyNumber, copyRows, copyText } from '../../db/copy-text.js';
import { newId } from '../../db/ids.js';
import { InvalidProjectionError, type ProjectionProblem } from './invalid-projection.error.js';
import {
  FACILITY_TABLE,
  INSPECTION_TABLE,
  RECORD_PROJECTION_TABLES,
  type ColumnType,
  type ProjectionTable,
  type RecordProjectionKind,
} from './projection-tables.js';
import { compileProjectionCheck } from './projection.validator.js';

export interface SourceRecordProjections {
  /** The stored source record (`src_…`) the projections came from. */
  sourceRecordId: string;
  projections: Projections;
  /**
   * The source record was inserted in the caller's transaction, so it has no projections yet: they are
   * added (by COPY) without looking for rows to replace. @defaultValue false
   */
  isNew?: boolean;
}

export interface FacilityRecordProjections {
  sourceSystem: string;
  /** The facility record's key in its source (the facility code). */
  externalId: string;
  projections: Projections;
}

export interface ReplaceResult {
  /** Source records whose projections were replaced (after collapsing repeats). */
  records: number;
  /** Rows removed (the records' previous projections). */
  deleted: number;
  /** Rows written, per projection kind that had any. */
  inserted: Partial<Record<RecordProjectionKind, number>>;
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface FacilityUpsertResult {
  facilities: UpsertCounts;
  inspections: UpsertCounts;
}

const PG_ARRAY_TYPE = { text: 'text', date: 'date', integer: 'integer', boolean: 'boolean' } as const;
const checkRecordProjections = compileProjectionCheck(RECORD_PROJECTION_TABLES, PROJECTION_KINDS);
const checkFacilityProjections = compileProjectionCheck([FACILITY_TABLE, INSPECTION_TABLE], PROJECTION_KINDS);

/**
 * Stores the typed projections the connectors' mappers produce, inside the caller's transaction (the sync
 * runner's page transaction, so a page's records, projections and checkpoint land together).
 *
 * Record projections belong to their source record: replacing them is "delete the record's rows, insert
 * the new ones", done for a whole batch in ONE statement (data-modifying CTEs over `unnest` arrays; all
 * its parts see the same snapshot, so the deletes never touch the rows the inserts add). Facilities and
 * inspections are upserted by key in one statement each. Every value is checked first; a bad projection
 * throws {@link InvalidProjectionError} and nothing is written.
 *
 * Two transactions replacing the same record's projections at once could each miss the other's inserts;
 * they do not, because the caller changed the source record in the same transaction (ingest's upsert holds
 * its row lock until commit) and a connector syncs under its own advisory lock.
 */
export class ProjectionWriter {
  /**
   * Replaces the projections of the given source records with the ones given (an empty `projections`
   * removes a record's rows). A record listed twice keeps its last entry, as two calls in a row would.
   * Facility and inspection projections are refused here: they belong to facility records
   * ({@link upsertFacilities}).
   */
  async replaceForSourceRecords(client: PoolClient, items: SourceRecordProjections[]): Promise<ReplaceResult> {
    const problems: ProjectionProblem[] = [];
    const byRecord = new Map<string, Projections>();
    items.forEach((it, i) => {
      if (typeof it?.sourceRecordId !== 'string' || it.sourceRecordId === '') {
        problems.push({ item: i, path: 'sourceRecordId', code: 'NO_SOURCE_RECORD', message: 'is required' });
        return;
      }
      checkRecordProjections(it.projections, i, problems);
      byRecord.set(it.sourceRecordId, it.projections);
    });
    if (problems.length) throw new InvalidProjectionError(problems);
    if (byRecord.size === 0) return { records: 0, deleted: 0, inserted: {} };

    // A record listed twice is new only if every entry says so.
    const fresh = new Set<string>();
    for (const it of items) if (it.isNew) fresh.add(it.sourceRecordId);
    for (const it of items) if (!it.isNew) fresh.delete(it.sourceRecordId);
    const inserted: ReplaceResult['inserted'] = {};
    const count = (kind: RecordProjectionKind, n: number) => {
      if (n) inserted[kind] = (inserted[kind] ?? 0) + n;
    };

    // New records: nothing to delete; their rows are added by COPY, one per table that has any.
    if (fresh.size) {
      for (const t of RECORD_PROJECTION_TABLES) {
        const lines: string[] = [];
        for (const sourceRecordId of fresh) {
          for (const p of (byRecord.get(sourceRecordId)![t.kind] ?? []) as unknown as Array<Record<string, unknown>>) {
            let line = `${copyText(newId(t.idKind))}\t${copyText(sourceRecordId)}`;
            for (const col of t.columns) line += `\t${copyValue(col.type, p[col.field])}`;
            lines.push(line);
          }
        }
        await copyRows(client, t.table, ['id', 'source_record_id', ...t.columns.map((c) => c.column)], lines);
        count(t.kind, lines.length);
      }
    }

    const recordIds = [...byRecord.keys()].filter((id) => !fresh.has(id));
    if (recordIds.length === 0) return { records: byRecord.size, deleted: 0, inserted };
    const params: unknown[] = [recordIds];
    const ctes: string[] = RECORD_PROJECTION_TABLES.map(
      (t, i) => `d${i} AS (DELETE FROM ${t.table} WHERE source_record_id = ANY($1::text[]) RETURNING 1)`,
    );
    RECORD_PROJECTION_TABLES.forEach((t, i) => {
      const rows: Array<{ sourceRecordId: string; p: Record<string, unknown> }> = [];
      for (const sourceRecordId of recordIds) {
        for (const p of (byRecord.get(sourceRecordId)![t.kind] ?? []) as unknown as Array<Record<string, unknown>>) rows.push({ sourceRecordId, p });
      }
      if (rows.length === 0) return;
      count(t.kind, rows.length);
      const first = params.length + 1;
      params.push(rows.map(() => newId(t.idKind)), rows.map((r) => r.sourceRecordId));
      for (const col of t.columns) params.push(rows.map((r) => r.p[col.field] ?? null));
      ctes.push(`i${i} AS (${insertSql(t, first, ['id', 'source_record_id'])})`);
    });
    const deletedSum = RECORD_PROJECTION_TABLES.map((_, i) => `(SELECT count(*) FROM d${i})`).join(' + ');
    const text = `WITH ${ctes.join(',\n')}\nSELECT ${deletedSum} AS deleted`;
    const res = await client.query<{ deleted: string }>({ name: statementName(text), text, values: params });
    return { records: byRecord.size, deleted: Number(res.rows[0]?.deleted ?? 0), inserted };
  }

  /**
   * Upserts the facilities (by code) and inspections (by facility code + report number) that facility
   * records carry. Unchanged rows are left untouched, so replaying a file is idempotent. A key repeated in
   * one call keeps its last value. Placements are not facility facts: they come with the child's record.
   */
  async upsertFacilities(client: PoolClient, items: FacilityRecordProjections[]): Promise<FacilityUpsertResult> {
    const problems: ProjectionProblem[] = [];
    items.forEach((it, i) => {
      if (typeof it?.sourceSystem !== 'string' || it.sourceSystem === '') problems.push({ item: i, path: 'sourceSystem', code: 'REQUIRED', message: 'is required' });
      if (typeof it?.externalId !== 'string' || it.externalId === '') problems.push({ item: i, path: 'externalId', code: 'REQUIRED', message: 'is required' });
      checkFacilityProjections(it?.projections, i, problems);
    });
    if (problems.length) throw new InvalidProjectionError(problems);

    type Keyed = { key: string; sourceSystem: string; externalId: string; p: Record<string, unknown> };
    const facilities = new Map<string, Keyed>();
    const inspections = new Map<string, Keyed>();
    for (const it of items) {
      for (const f of it.projections.facility ?? []) facilities.set(f.code, { key: f.code, sourceSystem: it.sourceSystem, externalId: it.externalId, p: { ...f } });
      for (const x of it.projections.inspection ?? []) {
        const key = `${x.facilityCode}\u0000${x.reportNumber}`;
        inspections.set(key, { key, sourceSystem: it.sourceSystem, externalId: it.externalId, p: { ...x } });
      }
    }
    const none: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
    const result: FacilityUpsertResult = { facilities: { ...none }, inspections: { ...none } };
    if (facilities.size) result.facilities = await this.upsert(client, FACILITY_TABLE, [...facilities.values()], ['code'], 'updated_at = now()');
    if (inspections.size) {
      result.inspections = await this.upsert(client, INSPECTION_TABLE, [...inspections.values()], ['facility_code', 'report_number'], 'updated_at = now()');
    }
    return result;
  }

  private async upsert(
    client: PoolClient,
    t: ProjectionTable,
    rows: Array<{ sourceSystem: string; externalId: string; p: Record<string, unknown> }>,
    key: string[],
    touch: string,
  ): Promise<UpsertCounts> {
    const params: unknown[] = [rows.map(() => newId(t.idKind)), rows.map((r) => r.sourceSystem), rows.map((r) => r.externalId)];
    for (const col of t.columns) params.push(rows.map((r) => r.p[col.field] ?? null));
    const facts = t.columns.map((c) => c.column).filter((c) => !key.includes(c));
    const text = `${insertSql(t, 1, ['id', 'source_system', 'external_id'])}
ON CONFLICT (${key.join(', ')}) DO UPDATE SET
  ${[...facts, 'source_system', 'external_id'].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, ${touch}
WHERE (${facts.map((c) => `${t.table}.${c}`).join(', ')}) IS DISTINCT FROM (${facts.map((c) => `EXCLUDED.${c}`).join(', ')})
RETURNING (xmax = 0) AS inserted`;
    const res = await client.query<{ inserted: boolean }>({ name: statementName(text), text, values: params });
    const inserted = res.rows.filter((r) => r.inserted).length;
    return { inserted, updated: res.rows.length - inserted, unchanged: rows.length - res.rows.length };
  }
}

/** A checked projection value as one COPY field. */
function copyValue(type: ColumnType, v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (type === 'boolean') return copyBool(v as boolean);
  if (type === 'integer') return copyNumber(v as number);
  return copyText(v as string);
}

/** `INSERT INTO t (lead…, columns…) SELECT * FROM unnest($first…)`: the lead columns come first in the params. */
function insertSql(t: ProjectionTable, first: number, lead: string[]): string {
  const types = [...lead.map(() => 'text'), ...t.columns.map((c) => PG_ARRAY_TYPE[c.type])];
  const columns = [...lead, ...t.columns.map((c) => c.column)];
  return `INSERT INTO ${t.table} (${columns.join(', ')}) SELECT * FROM unnest(${types.map((ty, i) => `$${first + i}::${ty}[]`).join(', ')})`;
}

/** Named prepared statements: each connection plans a statement shape once (there are at most 2^7 shapes). */
function statementName(text: string): string {
  return `pw_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
}
