/**
 * A loopback stand-in for the education-sector student API (CSDL ngành giáo dục) serving the synthetic
 * population's school records — the same rows, variations included, as
 * `generateSourceRecords({ seed, count, sources: ['school'] })`.
 *
 * `GET /api/v1/hoc-sinh?nam_hoc=2026-2027&updated_since=<iso>&cursor=<c>&limit=<n>` with `X-Api-Key`:
 * - 401 without a key, 403 with a wrong one: `{ "error": { "code", "message" } }`.
 * - `nam_hoc` is required (`yyyy-yyyy`); only 2026-2027 holds records, another year gives an empty list.
 * - `updated_since`: ISO date-time or date (Hà Nội time when no offset); records with `ngay_cap_nhat` at or
 *   after it. `limit`: default `pageSize`, at most `maxPageSize` (larger values are cut down to it).
 * - Body `{ "data": SchoolStudent[], "next_cursor": string | null }` in (ngay_cap_nhat, ma_dinh_danh_hoc_sinh)
 *   order. The cursor is opaque and carries the query: later requests may repeat `nam_hoc`/`updated_since`
 *   (they must agree) or leave them out. Paging is by the last key served, so records changed mid-run move
 *   to the end and are served again; nothing is skipped.
 * - 400 `INVALID_PARAMETER` / `INVALID_CURSOR` for a bad parameter or a cursor this server did not issue.
 *
 * Plus the shared control endpoints (`/_sim/stats`, `/_sim/faults`, …, see simulator-server.ts),
 * `POST /_sim/touch?n=10` (= {@link SchoolSimulator.touch}), `POST /_sim/add?n=10` (= {@link SchoolSimulator.add}) and
 * `POST /_sim/remove?n=10` (= {@link SchoolSimulator.remove}).
 */
import type { Logger } from 'pino';
import { forkRandom, hash32 } from '../../src/sample/random.js';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import { SCHOOL_YEAR, type SchoolStudent } from '../../src/sample/sources/school.js';
import { formatHanoi, parseInstantMs } from '../../src/connectors/simulator/hanoi-time.js';
import { FaultInjector, type HttpFaults } from '../../src/connectors/simulator/http-faults.js';
import { KeysetIndex, type Key, type KeysetEntry } from '../../src/connectors/simulator/keyset-index.js';
import { PageTokenCodec } from '../../src/connectors/simulator/page-token.js';
import { NewSourceRecords, populationChild } from '../../src/connectors/simulator/population-growth.js';
import { addSteadily, recordChangeRoutes, removeAtRandom, type AddResult, type RemoveResult, type SteadyAdditions, type TouchResult } from '../../src/connectors/simulator/record-changes.js';
import { jsonBytes } from '../../src/connectors/simulator/json-bytes.js';
import { startSimulatorServer, type RequestContext, type SimulatorHttpStats } from '../../src/connectors/simulator/simulator-server.js';

/** The port the school connector's definition points at by default (`SCHOOL_API_URL`). */
export const SCHOOL_SIMULATOR_DEFAULT_PORT = 4102;
export const SCHOOL_API_PATH = '/api/v1/hoc-sinh';

export interface SchoolSimulatorOptions {
  /** Seed of the synthetic population (use the hub sample's). @defaultValue 2026 */
  seed?: number;
  /** Population size: children 0 … count-1; about 83% of them are enrolled. @defaultValue 3000 */
  count?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port (read it from `url`). @defaultValue 4102 */
  port?: number;
  /** The key clients must send in `X-Api-Key`. @defaultValue 'school-simulator-key' */
  apiKey?: string;
  /** Fault injection (replace at run time with `setFaults` or `POST /_sim/faults`). @defaultValue none */
  faults?: HttpFaults;
  /** Page size when the request gives no `limit`. @defaultValue 100 */
  pageSize?: number;
  /** Largest page served; a larger `limit` is cut down. @defaultValue 1000 */
  maxPageSize?: number;
  /** How long a timeout fault holds a request. @defaultValue 120000 */
  holdMs?: number;
  /** Add records at a steady rate while running (as {@link SchoolSimulator.add}). @defaultValue none */
  addEvery?: SteadyAdditions;
  /** @defaultValue the hub's root logger */
  logger?: Logger;
}

export interface SchoolSimulatorStats extends SimulatorHttpStats {
  pagesServed: number;
  recordsServed: number;
  recordCount: number;
  /** Records added by `add` since start (not zeroed by a stats reset). */
  recordsAdded: number;
  /** Records changed by `touch` since start, counted per touch (not zeroed by a stats reset). */
  recordsTouched: number;
  /** Time to generate the records at start, ms. */
  buildMs: number;
}

export type { AddResult, TouchResult };

export interface SchoolSimulator {
  /** The origin, e.g. `http://127.0.0.1:4102` (the API is under {@link SCHOOL_API_PATH}). */
  url: string;
  /** Records held now (one per enrolled child; `add` adds to them). */
  readonly recordCount: number;
  stats(): SchoolSimulatorStats;
  resetStats(): void;
  /** Replaces the faults (`{}` clears them) and returns those now in force. */
  setFaults(faults: HttpFaults): HttpFaults;
  /**
   * Changes `n` records, as schools do between syncs: the personal number filled in where it was missing,
   * otherwise a change of class; `ngay_cap_nhat` moves past every existing value. Deterministic per seed.
   * Returns the student codes changed.
   */
  touch(n: number): TouchResult;
  /**
   * Adds `n` records, as children enrol: the school records of the population's next children (the same
   * children, in the same order, as the other simulators add; see population-growth.ts), with `ngay_cap_nhat`
   * past every existing value. Returns their student codes and the children they are about. Deterministic.
   */
  add(n: number): AddResult;
  /** Removes `n` records, as a school drops pupils (`POST /_sim/remove?n=`): see `removals` in the connector definition. */
  remove(n: number): RemoveResult;
  /** The records as now held, in paging order (for tests). */
  records(): SchoolStudent[];
  close(): Promise<void>;
}

interface Held {
  raw: SchoolStudent;
  childIndex: number;
}

/** What a cursor carries: the query and the position. */
interface CursorState {
  v: 1;
  /** nam_hoc */
  y: string;
  /** updated_since (ms) or null */
  s: number | null;
  limit: number;
  /** Key of the last record served. */
  a: [number, string];
  /** Key before the page just served ('start': it was the first), for repeated pages. */
  p: [number, string] | 'start';
  /** Repeat counter: makes a repeated page's cursor differ from the one that asked for it. */
  r: number;
}

function isCursorState(v: unknown): v is CursorState {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  const key = (k: unknown): boolean => Array.isArray(k) && k.length === 2 && typeof k[0] === 'number' && typeof k[1] === 'string';
  return c.v === 1 && typeof c.y === 'string' && (c.s === null || typeof c.s === 'number') && typeof c.limit === 'number' && key(c.a) && (c.p === 'start' || key(c.p)) && typeof c.r === 'number';
}

const MALFORMED_VARIANTS = 4;

/** A broken copy of a row, the ways real exports break: each is rejected by the connector's mapping. */
function malform(raw: SchoolStudent, variant: number): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...raw };
  const year = raw.ngay_sinh.slice(-4);
  switch (variant) {
    case 0: // an impossible date
      copy.ngay_sinh = `31/02/${year}`;
      break;
    case 1: // a required field missing
      delete copy.gioi_tinh;
      break;
    case 2: // no id
      copy.ma_dinh_danh_hoc_sinh = null;
      break;
    default: // wrong type: a date serialised as epoch milliseconds
      copy.ngay_sinh = Date.UTC(Number(year), 0, 1);
  }
  return copy;
}

function apiError(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

const YEAR = /^(\d{4})-(\d{4})$/;

/** Generates the school records of the population and starts the API. Resolves once it listens. */
export async function startSchoolSimulator(options: SchoolSimulatorOptions = {}): Promise<SchoolSimulator> {
  const { seed = 2026, count = 3000, apiKey = 'school-simulator-key', pageSize = 100, maxPageSize = 1000 } = options;
  if (!(pageSize >= 1 && pageSize <= maxPageSize)) throw new RangeError('pageSize must be between 1 and maxPageSize');

  const t0 = performance.now();
  const entries: Array<KeysetEntry<Held>> = [];
  for (const { record, truthId } of generateSourceRecords({ seed, count, sources: ['school'] })) {
    const raw = record.raw as SchoolStudent;
    entries.push({ time: parseInstantMs(raw.ngay_cap_nhat), id: raw.ma_dinh_danh_hoc_sinh, item: { raw, childIndex: Number(truthId.slice(1)) - 1 } });
  }
  const index = new KeysetIndex(entries);
  const buildMs = performance.now() - t0;

  const faults = new FaultInjector(options.faults, seed);
  const cursors = new PageTokenCodec(seed, 'school');
  const newRecords = new NewSourceRecords(seed, count, 'school');
  let clock = index.maxTime;
  let touchCalls = 0;
  let removeCalls = 0;
  let recordsRemoved = 0;
  let recordsAdded = 0;
  let recordsTouched = 0;
  let pagesServed = 0;
  let recordsServed = 0;

  function start(s: number | null): number {
    return s === null ? 0 : index.positionAfterTime(s, true);
  }

  function list(ctx: RequestContext): void {
    const key = ctx.req.headers['x-api-key'];
    const given = Array.isArray(key) ? key[0] : key;
    if (!given) return ctx.sendJson(401, apiError('UNAUTHORIZED', 'Thiếu khóa API (X-Api-Key)'), { 'www-authenticate': 'ApiKey header="X-Api-Key"' });
    if (given !== apiKey) return ctx.sendJson(403, apiError('FORBIDDEN', 'Khóa API không hợp lệ'));
    const { handled, repeatPage } = ctx.injectFault();
    if (handled) return;

    const q = ctx.url.searchParams;
    const bad = (message: string): void => ctx.sendJson(400, apiError('INVALID_PARAMETER', message));
    const year = q.get('nam_hoc');
    const sinceText = q.get('updated_since');
    const since = sinceText === null || sinceText === '' ? null : parseInstantMs(sinceText);
    if (Number.isNaN(since)) return bad('updated_since must be an ISO 8601 date or date-time');
    const limitText = q.get('limit');
    const limit = limitText === null ? pageSize : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) return bad('limit must be a positive integer');
    const cursorText = q.get('cursor');

    let state: CursorState | null = null;
    if (cursorText) {
      const decoded = cursors.decode(cursorText);
      if (!isCursorState(decoded)) return ctx.sendJson(400, apiError('INVALID_CURSOR', 'cursor was not issued by this server'));
      if ((year !== null && year !== decoded.y) || (since !== null && since !== decoded.s)) {
        return ctx.sendJson(400, apiError('INVALID_CURSOR', 'cursor belongs to another query (nam_hoc / updated_since differ)'));
      }
      state = decoded;
    } else {
      if (year === null) return bad('nam_hoc is required (e.g. 2026-2027)');
      const y = YEAR.exec(year);
      if (!y || Number(y[2]) !== Number(y[1]) + 1) return bad('nam_hoc must be written yyyy-yyyy (e.g. 2026-2027)');
    }
    const queryYear = state?.y ?? year!;
    const querySince = state ? state.s : since;
    const size = Math.min(limitText === null && state ? state.limit : limit, maxPageSize);

    let from: number;
    let next: CursorState | null;
    let repeated = false;
    if (queryYear !== SCHOOL_YEAR) {
      from = index.size;
      next = null;
    } else if (state && repeatPage) {
      // The previous page again, with a cursor that still leads on (a stale cache in front of the API).
      repeated = true;
      faults.countRepeat();
      from = state.p === 'start' ? start(querySince) : index.positionAfter({ time: state.p[0], id: state.p[1] });
      next = { ...state, r: state.r + 1 };
    } else {
      from = state ? index.positionAfter({ time: state.a[0], id: state.a[1] }) : start(querySince);
      next = null;
    }
    const to = Math.min(index.size, from + size);
    const rows: unknown[] = [];
    for (let i = from; i < to; i++) {
      const raw = index.at(i)!.item.raw;
      const variant = faults.malformedVariant(raw.ma_dinh_danh_hoc_sinh, MALFORMED_VARIANTS);
      rows.push(variant === null ? raw : malform(raw, variant));
    }
    if (!repeated && queryYear === SCHOOL_YEAR && to < index.size && to > from) {
      const last: Key = index.at(to - 1)!;
      next = { v: 1, y: queryYear, s: querySince, limit: size, a: [last.time, last.id], p: state ? state.a : 'start', r: 0 };
    }
    faults.reorder(rows, cursorText ?? 'first');
    pagesServed++;
    recordsServed += rows.length;
    ctx.send(200, jsonBytes({ data: rows, next_cursor: next ? cursors.encode(next) : null }), 'application/json; charset=utf-8');
  }

  function touch(n: number): TouchResult {
    if (!Number.isInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
    const rnd = forkRandom(hash32(seed, 0x746368), touchCalls++);
    clock += 60_000;
    const updatedAt = formatHanoi(clock);
    const chosen = new Set<string>();
    const want = Math.min(n, index.size);
    while (chosen.size < want) chosen.add(index.at(rnd.int(0, index.size - 1))!.id);
    for (const id of chosen) {
      const { item } = index.get(id)!;
      const raw: SchoolStudent = { ...item.raw, ngay_cap_nhat: updatedAt };
      const child = populationChild(seed, count, item.childIndex);
      if (raw.so_dinh_danh_ca_nhan === null && child.identityNumber !== null) {
        raw.so_dinh_danh_ca_nhan = child.identityNumber;
      } else if (raw.khoi !== null) {
        const current = Number(raw.lop.slice(String(raw.khoi).length + 1));
        raw.lop = `${raw.khoi}A${(current % 8) + 1}`;
      } else {
        const [name, k] = raw.lop.split(' ');
        raw.lop = `${name} ${(Number(k) % 4) + 1}`;
      }
      index.update(id, clock, { raw, childIndex: item.childIndex });
    }
    recordsTouched += chosen.size;
    return { ids: [...chosen], updatedAt };
  }

  /**
   * Removes `n` records chosen at random (the same ones for a seed and call), as a school drops a pupil entered
   * in error or one who left: a full read no longer returns them, an incremental one cannot tell.
   */
  function remove(n: number): RemoveResult {
    const removed = removeAtRandom(index, forkRandom(hash32(seed, 0x72656d), removeCalls++), n);
    recordsRemoved += removed.ids.length;
    return removed;
  }

  function add(n: number): AddResult {
    const added = newRecords.take(n);
    clock += 60_000;
    const updatedAt = formatHanoi(clock);
    for (const { record, child } of added) {
      const raw: SchoolStudent = { ...(record.raw as SchoolStudent), ngay_cap_nhat: updatedAt };
      index.insert({ time: clock, id: raw.ma_dinh_danh_hoc_sinh, item: { raw, childIndex: child.index } });
    }
    recordsAdded += added.length;
    return { ids: added.map((a) => a.record.externalId), truthIds: added.map((a) => a.child.truthId), updatedAt };
  }

  const server = await startSimulatorServer({
    name: 'school-simulator',
    host: options.host,
    port: options.port ?? SCHOOL_SIMULATOR_DEFAULT_PORT,
    faults,
    holdMs: options.holdMs,
    logger: options.logger,
    routes: [{ method: 'GET', path: SCHOOL_API_PATH, handle: list }],
    controlRoutes: recordChangeRoutes({ touch, add, remove }),
    extraStats: () => ({ pagesServed, recordsServed, recordCount: index.size, recordsAdded, recordsTouched, recordsRemoved, buildMs: Math.round(buildMs) }),
    onResetStats: () => {
      pagesServed = 0;
      recordsServed = 0;
    },
    faultBody: (status) => ({
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify(
        status === 429 ? apiError('RATE_LIMITED', 'Vượt quá số yêu cầu cho phép, thử lại sau') : apiError('INTERNAL_ERROR', 'Hệ thống đang bận, vui lòng thử lại sau'),
      ),
    }),
  });
  // Debug: whoever started it says where it listens, with what to set (the CLI's `simulate`, the demo's banner).
  server.log.debug({ url: server.url, count, records: index.size, buildMs: Math.round(buildMs) }, 'school simulator listening');
  const steady = options.addEvery ? addSteadily(add, options.addEvery, server.log) : null;

  return {
    url: server.url,
    get recordCount() {
      return index.size;
    },
    stats: server.stats,
    resetStats: server.resetStats,
    setFaults: (f) => faults.set(f),
    touch,
    add,
    remove,
    records: () => Array.from({ length: index.size }, (_, i) => index.at(i)!.item.raw),
    close: async () => {
      steady?.stop();
      await server.close();
    },
  };
}
