import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { PROJECTION_KINDS, type Projections } from '../../connectors/types.js';
import { CopyEncoder, copyBool, copyNumber, copyRows, copyText, decodeCopyFields } from '../../db/copy-text.js';
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

/**
 * One record's projections, checked and encoded ({@link ProjectionWriter.encode}): per row, the table it goes
 * to and its COPY fields after `id` and `source_record_id` (UTF-8). Both are added when the row is written, so
 * the record's id may still change (a record someone else inserted meanwhile keeps its own id).
 */
export interface EncodedProjections {
  tables: number[];
  tails: Buffer[];
}

/** Encoded projections of one stored source record, to write ({@link ProjectionWriter.storeEncoded}). */
export interface EncodedRecordProjections {
  sourceRecordId: string;
  /** Null for a record with no projections (a changed record then loses the ones it had). */
  encoded: EncodedProjections | null;
  /** @see SourceRecordProjections.isNew */
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
  /**
   * What each item (a facility record) did, by index: `inserted` when a row it carries is new, else `updated`
   * when one changed, else `unchanged`; so a run counts facility records as it counts a child's.
   */
  items: Array<'inserted' | 'updated' | 'unchanged'>;
}

const PG_ARRAY_TYPE = { text: 'text', date: 'date', integer: 'integer', boolean: 'boolean' } as const;
/** Where encoded projection rows are written (slabs outside the heap). */
const encoder = new CopyEncoder();
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
    const encoded: EncodedRecordProjections[] = [];
    items.forEach((it, i) => {
      if (typeof it?.sourceRecordId !== 'string' || it.sourceRecordId === '') {
        problems.push({ item: i, path: 'sourceRecordId', code: 'NO_SOURCE_RECORD', message: 'is required' });
        return;
      }
      encoded.push({ sourceRecordId: it.sourceRecordId, encoded: this.encode(it.projections, i, problems), isNew: it.isNew });
    });
    if (problems.length) throw new InvalidProjectionError(problems);
    return this.storeEncoded(client, encoded);
  }

  /** What the store would refuse of one record's projections (a dry run shows it; a sync fails on it whole). */
  check(recordType: 'child' | 'facility', projections: Projections): ProjectionProblem[] {
    const problems: ProjectionProblem[] = [];
    (recordType === 'facility' ? checkFacilityProjections : checkRecordProjections)(projections, 0, problems);
    return problems;
  }

  /**
   * Checks one record's projections (problems go to `problems`, placed at `item`) and encodes them for
   * {@link storeEncoded}; null when there are none. A connector encodes each record's projections while it
   * prepares the batch, so the batch waits for its transaction as bytes rather than objects.
   */
  encode(projections: Projections, item: number, problems: ProjectionProblem[]): EncodedProjections | null {
    const before = problems.length;
    checkRecordProjections(projections, item, problems);
    if (problems.length > before) return null;
    let out: EncodedProjections | null = null;
    for (let t = 0; t < RECORD_PROJECTION_TABLES.length; t++) {
      const table = RECORD_PROJECTION_TABLES[t]!;
      const rows = (projections as Record<string, unknown>)[table.kind] as Array<Record<string, unknown>> | undefined;
      if (!rows?.length) continue;
      for (const p of rows) {
        let tail = '';
        for (let c = 0; c < table.columns.length; c++) {
          const col = table.columns[c]!;
          tail += `${c === 0 ? '' : '\t'}${copyValue(col.type, p[col.field])}`;
        }
        encoder.start();
        encoder.put(tail);
        const bytes = encoder.finish();
        // A batch keeps these until its transaction: the first row makes arrays of one element (an empty
        // array's first push reserves room for 17, about 350 bytes a record kept through garbage collections).
        if (out === null) out = { tables: [t], tails: [bytes] };
        else {
          out.tables.push(t);
          out.tails.push(bytes);
        }
      }
    }
    return out;
  }

  /**
   * Writes encoded projections of source records stored in the caller's transaction: new records' rows by
   * COPY (one per table that has any), changed records' by deleting their rows and inserting the new ones,
   * for the whole batch in ONE statement (data-modifying CTEs over `unnest` arrays; all its parts see the
   * same snapshot, so the deletes never touch the rows the inserts add). A record listed twice keeps its last
   * entry; it is new only if every entry says so.
   */
  async storeEncoded(client: PoolClient, items: EncodedRecordProjections[]): Promise<ReplaceResult> {
    const byRecord = new Map<string, EncodedProjections | null>();
    for (const it of items) byRecord.set(it.sourceRecordId, it.encoded);
    if (byRecord.size === 0) return { records: 0, deleted: 0, inserted: {} };
    const fresh = new Set<string>();
    for (const it of items) if (it.isNew) fresh.add(it.sourceRecordId);
    for (const it of items) if (!it.isNew) fresh.delete(it.sourceRecordId);
    const inserted: ReplaceResult['inserted'] = {};
    const count = (kind: RecordProjectionKind, n: number) => {
      if (n) inserted[kind] = (inserted[kind] ?? 0) + n;
    };
    /** Rows per table: [projection id, source record id, tail]. */
    const rowsOf = (ids: Iterable<string>) => {
      const perTable = RECORD_PROJECTION_TABLES.map(() => [] as Array<[string, Buffer]>);
      for (const sourceRecordId of ids) {
        const e = byRecord.get(sourceRecordId);
        if (e) for (let i = 0; i < e.tables.length; i++) perTable[e.tables[i]!]!.push([sourceRecordId, e.tails[i]!]);
      }
      return perTable;
    };

    // New records: nothing to delete; their rows are added by COPY, one per table that has any.
    if (fresh.size) {
      const perTable = rowsOf(fresh);
      for (let t = 0; t < RECORD_PROJECTION_TABLES.length; t++) {
        const table = RECORD_PROJECTION_TABLES[t]!;
        const rows = perTable[t]!;
        if (!rows.length) continue;
        await copyRows(client, table.table, ['id', 'source_record_id', ...table.columns.map((c) => c.column)],
          rows.map(([sourceRecordId, tail]) => [`${newId(table.idKind)}\t${sourceRecordId}\t`, tail]));
        count(table.kind, rows.length);
      }
    }

    const recordIds = [...byRecord.keys()].filter((id) => !fresh.has(id));
    if (recordIds.length === 0) return { records: byRecord.size, deleted: 0, inserted };
    const params: unknown[] = [recordIds];
    const ctes: string[] = RECORD_PROJECTION_TABLES.map(
      (t, i) => `d${i} AS (DELETE FROM ${t.table} WHERE source_record_id = ANY($1::text[]) RETURNING 1)`,
    );
    const perTable = rowsOf(recordIds);
    RECORD_PROJECTION_TABLES.forEach((t, i) => {
      const rows = perTable[i]!;
      if (rows.length === 0) return;
      count(t.kind, rows.length);
      const first = params.length + 1;
      const values = rows.map(([, tail]) => decodeCopyFields(tail));
      params.push(rows.map(() => newId(t.idKind)), rows.map(([sourceRecordId]) => sourceRecordId));
      t.columns.forEach((_, c) => params.push(values.map((v) => v[c] ?? null)));
      ctes.push(`i${i} AS (${insertSql(t, first, ['id', 'source_record_id'])})`);
    });
    const deletedSum = RECORD_PROJECTION_TABLES.map((_, i) => `(SELECT count(*) FROM d${i})`).join(' + ');
    const text = `WITH ${ctes.join(',\n')}\nSELECT ${deletedSum} AS deleted`;
    const res = await client.query<{ deleted: string }>({ name: statementName(text), text, values: params });
    return { records: byRecord.size, deleted: Number(res.rows[0]?.deleted ?? 0), inserted };
  }

  /**
   * Upserts the facilities (by code) and inspections (by facility code + report number) that facility
   * records carry. Unchanged rows are left untouched, so replaying a file is idempotent. Placements are not
   * facility facts: they come with the child's record.
   *
   * A facility's facts (name, type, commune, licence, capacity) are those of its latest inspection, not of the last
   * record read (QA: a 2023 report read after the 2026 one gave the facility its 2023 registration and capacity).
   * Each inspection keeps the facts the record that gave it stated for the facility (`facility_facts`). A record
   * that inspects the facility only adds it when it is new; then the facility takes the facts of its latest
   * inspection ({@link LATEST_FACTS_SQL}), with its date as `facts_as_of`: so a report read out of order adds its
   * inspection to the history only, and a report corrected and read again (another date, other facts) is what it
   * now says, even when that makes another report the latest (QA re-check: a date corrected to an earlier day froze
   * the facts). When the latest inspection kept no facts (stored before they were kept), the facility keeps the
   * facts it has, undated, until that report is read again (QA second re-check: an older report took them over).
   * A record with no inspection of the facility replaces its facts, undated.
   */
  async upsertFacilities(client: PoolClient, items: FacilityRecordProjections[]): Promise<FacilityUpsertResult> {
    const problems: ProjectionProblem[] = [];
    items.forEach((it, i) => {
      if (typeof it?.sourceSystem !== 'string' || it.sourceSystem === '') problems.push({ item: i, path: 'sourceSystem', code: 'REQUIRED', message: 'is required' });
      if (typeof it?.externalId !== 'string' || it.externalId === '') problems.push({ item: i, path: 'externalId', code: 'REQUIRED', message: 'is required' });
      checkFacilityProjections(it?.projections, i, problems);
    });
    if (problems.length) throw new InvalidProjectionError(problems);

    type Keyed = { key: string; sourceSystem: string; externalId: string; p: Record<string, unknown>; asOf?: string | null; facts?: string | null };
    const facilities = new Map<string, Keyed>();
    const inspections = new Map<string, Keyed>();
    for (const it of items) {
      for (const f of it.projections.facility ?? []) {
        const asOf = latestInspection(it.projections.inspection ?? [], f.code);
        const before = facilities.get(f.code);
        if (before?.asOf && asOf && asOf < before.asOf) continue;
        facilities.set(f.code, { key: f.code, sourceSystem: it.sourceSystem, externalId: it.externalId, p: { ...f }, asOf });
      }
      for (const x of it.projections.inspection ?? []) {
        const key = `${x.facilityCode}\u0000${x.reportNumber}`;
        const f = it.projections.facility?.findLast((y) => y.code === x.facilityCode);
        const facts = f ? JSON.stringify(Object.fromEntries(FACILITY_FACTS.map((c) => [c.field, (f as unknown as Record<string, unknown>)[c.field] ?? null]))) : null;
        inspections.set(key, { key, sourceSystem: it.sourceSystem, externalId: it.externalId, p: { ...x }, facts });
      }
    }
    const none: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
    const result: FacilityUpsertResult = { facilities: { ...none }, inspections: { ...none }, items: [] };
    const written = new Map<string, boolean>(); // `f\0code` or `i\0code\0report` → inserted (true) or updated
    const onFacility = (key: string, ins: boolean) => written.set(`f\u0000${key}`, ins);
    const dated = [...facilities.values()].filter((f) => f.asOf);
    const undated = [...facilities.values()].filter((f) => !f.asOf);
    const asOf = { columns: [{ column: 'facts_as_of', type: 'date', value: (r: Keyed) => r.asOf ?? null }] };
    // Inspected: added when new; their facts are the latest inspection's (below), never the record's as such.
    const added = dated.length ? await this.upsert(client, FACILITY_TABLE, dated, ['code'], 'updated_at = now()', onFacility, { ...asOf, insertOnly: true }) : none;
    const replaced = undated.length ? await this.upsert(client, FACILITY_TABLE, undated, ['code'], 'updated_at = now()', onFacility, asOf) : none;
    result.facilities = {
      inserted: added.inserted + replaced.inserted, updated: added.updated + replaced.updated, unchanged: added.unchanged + replaced.unchanged,
    };
    if (inspections.size) {
      result.inspections = await this.upsert(
        client, INSPECTION_TABLE, [...inspections.values()], ['facility_code', 'report_number'], 'updated_at = now()', (key, ins) => written.set(`i\u0000${key}`, ins),
        // Read again from a record that states no facts, an inspection keeps those it had.
        { columns: [{ column: 'facility_facts', type: 'jsonb', value: (r) => r.facts ?? null, set: 'coalesce(EXCLUDED.facility_facts, inspection.facility_facts)' }] },
      );
      const codes = [...new Set([...inspections.values()].filter((x) => x.facts).map((x) => x.p['facilityCode'] as string))];
      if (codes.length) {
        const res = await client.query<{ code: string }>({ name: 'pw_facility_latest_facts', text: LATEST_FACTS_SQL, values: [codes] });
        for (const { code } of res.rows) {
          if (written.has(`f\u0000${code}`)) continue;
          written.set(`f\u0000${code}`, false);
          result.facilities.updated++;
          result.facilities.unchanged = Math.max(0, result.facilities.unchanged - 1);
        }
      }
    }
    result.items = items.map((it) => {
      const outcomes = [
        ...(it.projections.facility ?? []).map((f) => written.get(`f\u0000${f.code}`)),
        ...(it.projections.inspection ?? []).map((x) => written.get(`i\u0000${x.facilityCode}\u0000${x.reportNumber}`)),
      ];
      return outcomes.includes(true) ? 'inserted' : outcomes.includes(false) ? 'updated' : 'unchanged';
    });
    return result;
  }

  /**
   * @param extra columns written beside the table's own (after the lead ones), each with its value per row and,
   *   optionally, the expression an update sets it to (`EXCLUDED.<column>` otherwise); `insertOnly`: a row already
   *   stored under the key is left as it is
   */
  private async upsert<R extends { sourceSystem: string; externalId: string; p: Record<string, unknown> }>(
    client: PoolClient,
    t: ProjectionTable,
    rows: R[],
    key: string[],
    touch: string,
    onWritten: (key: string, inserted: boolean) => void,
    extra: { columns: Array<{ column: string; type: string; value: (r: R) => unknown; set?: string }>; insertOnly?: boolean } = { columns: [] },
  ): Promise<UpsertCounts> {
    const lead = ['id', 'source_system', 'external_id', ...extra.columns.map((c) => c.column)];
    const params: unknown[] = [rows.map(() => newId(t.idKind)), rows.map((r) => r.sourceSystem), rows.map((r) => r.externalId)];
    for (const c of extra.columns) params.push(rows.map(c.value));
    for (const col of t.columns) params.push(rows.map((r) => r.p[col.field] ?? null));
    const own = t.columns.map((c) => c.column).filter((c) => !key.includes(c));
    const sets = [...own.map((c) => [c, `EXCLUDED.${c}`]), ...extra.columns.map((c) => [c.column, c.set ?? `EXCLUDED.${c.column}`])];
    const text = extra.insertOnly
      ? `${insertSql(t, 1, lead, extra.columns.map((c) => c.type))}
ON CONFLICT (${key.join(', ')}) DO NOTHING
RETURNING (xmax = 0) AS inserted, ${key.join(', ')}`
      : `${insertSql(t, 1, lead, extra.columns.map((c) => c.type))}
ON CONFLICT (${key.join(', ')}) DO UPDATE SET
  ${[...sets, ['source_system', 'EXCLUDED.source_system'], ['external_id', 'EXCLUDED.external_id']].map(([c, v]) => `${c} = ${v}`).join(', ')}, ${touch}
WHERE (${sets.map(([c]) => `${t.table}.${c}`).join(', ')}) IS DISTINCT FROM (${sets.map(([, v]) => v).join(', ')})
RETURNING (xmax = 0) AS inserted, ${key.join(', ')}`;
    const res = await client.query<{ inserted: boolean } & Record<string, string>>({ name: statementName(text), text, values: params });
    for (const r of res.rows) onWritten(key.map((c) => r[c]).join('\u0000'), r.inserted as unknown as boolean);
    const inserted = res.rows.filter((r) => r.inserted).length;
    return { inserted, updated: res.rows.length - inserted, unchanged: rows.length - res.rows.length };
  }
}

/** The facility facts an inspection keeps as its record stated them (`inspection.facility_facts`). */
const FACILITY_FACTS = FACILITY_TABLE.columns.filter((c) => c.column !== 'code');

/**
 * Gives each facility of `$1` the facts of its latest inspection (of two on one day, the one stored or changed last,
 * then the higher report number: by its leading number, `10/2026` after `9/2026` (QA), then as text), with that
 * inspection's date and record, when that inspection kept facts; returns the facilities changed.
 */
const LATEST_FACTS_SQL = `
WITH latest AS (
  SELECT DISTINCT ON (i.facility_code) i.facility_code, i.inspected_on, i.facility_facts AS f, i.source_system, i.external_id
    FROM inspection i
   WHERE i.facility_code = ANY($1::text[])
   ORDER BY i.facility_code, i.inspected_on DESC, i.updated_at DESC,
            substring(i.report_number from '^[0-9]+')::numeric DESC NULLS LAST, i.report_number DESC
), facts AS (
  SELECT facility_code, inspected_on, source_system, external_id,
         ${FACILITY_FACTS.map((c) => `${c.type === 'integer' ? `(f->>'${c.field}')::int` : `f->>'${c.field}'`} AS ${c.column}`).join(', ')}
    FROM latest WHERE f IS NOT NULL
)
UPDATE facility x SET ${FACILITY_FACTS.map((c) => `${c.column} = l.${c.column}`).join(', ')}, facts_as_of = l.inspected_on,
       source_system = l.source_system, external_id = l.external_id, updated_at = now()
  FROM facts l
 WHERE x.code = l.facility_code
   AND (${FACILITY_FACTS.map((c) => `x.${c.column}`).join(', ')}, x.facts_as_of, x.source_system, x.external_id)
       IS DISTINCT FROM (${FACILITY_FACTS.map((c) => `l.${c.column}`).join(', ')}, l.inspected_on, l.source_system, l.external_id)
RETURNING x.code`;

/** A checked projection value as one COPY field. */
function copyValue(type: ColumnType, v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (type === 'boolean') return copyBool(v as boolean);
  if (type === 'integer') return copyNumber(v as number);
  return copyText(v as string);
}

/**
 * `INSERT INTO t (lead…, columns…) SELECT * FROM unnest($first…)`: the lead columns come first in the params,
 * text but for the types `leadTypes` gives the last of them.
 */
function insertSql(t: ProjectionTable, first: number, lead: string[], leadTypes: string[] = []): string {
  const leadText = lead.slice(0, lead.length - leadTypes.length).map(() => 'text');
  const types = [...leadText, ...leadTypes, ...t.columns.map((c) => PG_ARRAY_TYPE[c.type])];
  const columns = [...lead, ...t.columns.map((c) => c.column)];
  return `INSERT INTO ${t.table} (${columns.join(', ')}) SELECT * FROM unnest(${types.map((ty, i) => `$${first + i}::${ty}[]`).join(', ')})`;
}

/** Named prepared statements: each connection plans a statement shape once (there are at most 2^7 shapes). */
function statementName(text: string): string {
  return `pw_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
}

/** The latest date among `inspections` of the facility `code` (ISO dates compare as text), or null. */
function latestInspection(inspections: ReadonlyArray<{ facilityCode: string; inspectedOn?: string | null }>, code: string): string | null {
  let latest: string | null = null;
  for (const x of inspections) if (x.facilityCode === code && x.inspectedOn && (latest === null || x.inspectedOn > latest)) latest = x.inspectedOn;
  return latest;
}
