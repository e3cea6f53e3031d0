import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSourceRecords } from '../../src/sample/source-views.js';
import type { SchoolStudent } from '../../src/sample/sources/school.js';
import { SCHOOL_API_PATH, startSchoolSimulator, type SchoolSimulator } from './simulator.js';

const SEED = 11;
const COUNT = 1500;
const KEY = 'test-key';
const silent = pino({ level: 'silent' });
const expected = new Map(
  [...generateSourceRecords({ seed: SEED, count: COUNT, sources: ['school'] })].map((r) => [r.record.externalId, r.record.raw as SchoolStudent]),
);

interface Page {
  status: number;
  headers: Headers;
  body: { data: Array<Record<string, unknown>>; next_cursor: string | null } & Record<string, unknown>;
}

async function get(sim: SchoolSimulator, params: Record<string, string>, headers: Record<string, string> = { 'x-api-key': KEY }, timeoutMs = 5000): Promise<Page> {
  const url = new URL(SCHOOL_API_PATH, sim.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Page['body'] };
}

/** Reads every page in order, retrying 429/500 at once; returns the rows and the cursors followed. */
async function readAll(sim: SchoolSimulator, params: Record<string, string>): Promise<{ rows: Array<Record<string, unknown>>; cursors: string[]; statuses: number[] }> {
  const rows: Array<Record<string, unknown>> = [];
  const cursors: string[] = [];
  const statuses: number[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await get(sim, cursor ? { ...params, cursor } : params);
    statuses.push(page.status);
    if (page.status === 429 || page.status === 500) continue;
    expect(page.status).toBe(200);
    rows.push(...page.body.data);
    cursor = page.body.next_cursor;
    if (cursor === null) return { rows, cursors, statuses };
    cursors.push(cursor);
  }
  throw new Error('paging did not end');
}

const ids = (rows: Array<Record<string, unknown>>): string[] => rows.map((r) => r.ma_dinh_danh_hoc_sinh as string);
const YEAR = { nam_hoc: '2026-2027' };

describe('school simulator', () => {
  let sim: SchoolSimulator;

  beforeAll(async () => {
    sim = await startSchoolSimulator({ seed: SEED, count: COUNT, port: 0, apiKey: KEY, logger: silent, holdMs: 2000 });
  });
  afterAll(async () => sim.close());
  afterEach(() => {
    sim.setFaults({});
  });

  it('holds exactly the generator\'s school records', () => {
    expect(sim.recordCount).toBe(expected.size);
    expect(expected.size).toBeGreaterThan(COUNT * 0.6);
  });

  it('requires the API key: 401 without, 403 with a wrong one', async () => {
    const none = await get(sim, YEAR, {});
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    expect((await get(sim, YEAR, { 'x-api-key': 'nope' })).status).toBe(403);
    expect((await get(sim, YEAR)).status).toBe(200);
  });

  it('refuses bad parameters and cursors it did not issue, and has nothing for another school year', async () => {
    expect((await get(sim, {})).status).toBe(400);
    expect((await get(sim, { nam_hoc: '2026' })).status).toBe(400);
    expect((await get(sim, { ...YEAR, updated_since: 'hôm qua' })).status).toBe(400);
    expect((await get(sim, { ...YEAR, limit: '0' })).status).toBe(400);
    const forged = await get(sim, { ...YEAR, cursor: 'eyJ2IjoxfQ.AAAAAAAAAAAAAAAA' });
    expect(forged.status).toBe(400);
    expect(forged.body.error).toMatchObject({ code: 'INVALID_CURSOR' });
    const other = await get(sim, { nam_hoc: '2025-2026' });
    expect(other.body).toEqual({ data: [], next_cursor: null });
  });

  it('pages through every record exactly once, in (ngay_cap_nhat, id) order, as generated', async () => {
    const { rows } = await readAll(sim, { ...YEAR, limit: '137' });
    expect(rows).toHaveLength(expected.size);
    expect(new Set(ids(rows)).size).toBe(expected.size);
    for (const row of rows) expect(row).toEqual(expected.get(row.ma_dinh_danh_hoc_sinh as string));
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      const ta = Date.parse(a.ngay_cap_nhat as string);
      const tb = Date.parse(b.ngay_cap_nhat as string);
      expect(ta < tb || (ta === tb && (a.ma_dinh_danh_hoc_sinh as string) < (b.ma_dinh_danh_hoc_sinh as string))).toBe(true);
    }
  });

  it('cuts a limit above the maximum down to 1000 and uses the default page size without one', async () => {
    const big = await get(sim, { ...YEAR, limit: '5000' });
    expect(big.body.data).toHaveLength(Math.min(1000, expected.size));
    expect((await get(sim, YEAR)).body.data).toHaveLength(100);
  });

  it('filters by updated_since (inclusive), keeping the filter in the cursor', async () => {
    const all = [...expected.values()].map((r) => r.ngay_cap_nhat).sort();
    const since = all[Math.floor(all.length * 0.8)]!;
    const want = [...expected.values()].filter((r) => Date.parse(r.ngay_cap_nhat) >= Date.parse(since));
    const { rows } = await readAll(sim, { ...YEAR, updated_since: since, limit: '50' });
    expect(new Set(ids(rows))).toEqual(new Set(want.map((r) => r.ma_dinh_danh_hoc_sinh)));
    // A date alone means midnight in Hà Nội.
    const day = await readAll(sim, { ...YEAR, updated_since: '2026-10-31', limit: '1000' });
    expect(day.rows.every((r) => (r.ngay_cap_nhat as string) >= '2026-10-31T00:00:00+07:00')).toBe(true);
  });

  it('refuses a cursor used with another updated_since', async () => {
    const first = await get(sim, { ...YEAR, limit: '10' });
    const res = await get(sim, { ...YEAR, updated_since: '2026-10-01', cursor: first.body.next_cursor! });
    expect(res.status).toBe(400);
  });

  it('is deterministic: a second simulator with the same seed serves the same bytes', async () => {
    const twin = await startSchoolSimulator({ seed: SEED, count: COUNT, port: 0, apiKey: KEY, logger: silent });
    try {
      const a = await get(sim, { ...YEAR, limit: '20' });
      const b = await get(twin, { ...YEAR, limit: '20' });
      expect(b.body).toEqual(a.body);
      // The cursor is accepted by a restarted server with the same seed (a resumed sync needs that).
      const next = await get(twin, { ...YEAR, cursor: a.body.next_cursor! });
      expect(next.status).toBe(200);
    } finally {
      await twin.close();
    }
  });

  describe('faults', () => {
    it('rate-limits every Nth request with Retry-After', async () => {
      sim.setFaults({ rateLimitEvery: 3, retryAfterSeconds: 2 });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const page = await get(sim, YEAR);
        statuses.push(page.status);
        if (page.status === 429) {
          expect(page.headers.get('retry-after')).toBe('2');
          expect(page.body.error).toMatchObject({ code: 'RATE_LIMITED' });
        }
      }
      expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
    });

    it('answers 500 at the error rate, deterministically by seed', async () => {
      const run = async (): Promise<number[]> => {
        sim.setFaults({ errorRate: 0.4, seed: 5 });
        const out: number[] = [];
        for (let i = 0; i < 20; i++) out.push((await get(sim, YEAR)).status);
        return out;
      };
      const first = await run();
      expect(first).toContain(500);
      expect(first).toContain(200);
      expect(await run()).toEqual(first);
    });

    it('holds a request until the client gives up', async () => {
      sim.setFaults({ timeoutRate: 1 });
      const started = performance.now();
      await expect(get(sim, YEAR, { 'x-api-key': KEY }, 300)).rejects.toThrow();
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      sim.setFaults({});
      expect((await get(sim, YEAR)).status).toBe(200);
      expect(sim.stats().byStatus.timeout).toBeGreaterThanOrEqual(1);
    });

    it('breaks some records the same way on every read, in the four ways a mapping rejects', async () => {
      sim.setFaults({ malformedRecordRate: 0.08 });
      const a = (await readAll(sim, { ...YEAR, limit: '500' })).rows;
      const b = (await readAll(sim, { ...YEAR, limit: '300' })).rows;
      expect(b).toEqual(a);
      const broken = a.filter((r) => {
        const id = r.ma_dinh_danh_hoc_sinh;
        return typeof id !== 'string' || JSON.stringify(r) !== JSON.stringify(expected.get(id));
      });
      expect(broken.length / a.length).toBeGreaterThan(0.04);
      expect(broken.length / a.length).toBeLessThan(0.13);
      const kinds = new Set(
        broken.map((r) =>
          r.ma_dinh_danh_hoc_sinh === null ? 'id' : !('gioi_tinh' in r) ? 'sex' : typeof r.ngay_sinh === 'number' ? 'type' : /^31\/02\//.test(r.ngay_sinh as string) ? 'date' : '?',
        ),
      );
      expect(kinds).toEqual(new Set(['id', 'sex', 'type', 'date']));
    });

    it('repeats pages without ever losing one, each time with a cursor that leads on', async () => {
      sim.setFaults({ repeatPageRate: 0.3 });
      const { rows, cursors } = await readAll(sim, { ...YEAR, limit: '100' });
      expect(rows.length).toBeGreaterThan(expected.size);
      expect(new Set(ids(rows))).toEqual(new Set(expected.keys()));
      expect(new Set(cursors).size).toBe(cursors.length);
      expect(sim.stats().injected.repeatedPages).toBeGreaterThan(0);
    });

    it('shuffles records within pages while paging stays complete', async () => {
      const plain = await get(sim, { ...YEAR, limit: '200' });
      sim.setFaults({ reorderWithinPage: true });
      const shuffled = await get(sim, { ...YEAR, limit: '200' });
      expect(ids(shuffled.body.data)).not.toEqual(ids(plain.body.data));
      expect(new Set(ids(shuffled.body.data))).toEqual(new Set(ids(plain.body.data)));
      const { rows } = await readAll(sim, { ...YEAR, limit: '200' });
      expect(new Set(ids(rows))).toEqual(new Set(expected.keys()));
      expect(rows).toHaveLength(expected.size);
    });

    it('takes faults over HTTP and refuses bad ones', async () => {
      const set = await fetch(new URL('/_sim/faults', sim.url), { method: 'POST', body: JSON.stringify({ errorRate: 1 }) });
      expect(await set.json()).toEqual({ errorRate: 1 });
      expect((await get(sim, YEAR)).status).toBe(500);
      const bad = await fetch(new URL('/_sim/faults', sim.url), { method: 'POST', body: JSON.stringify({ errorRate: 2 }) });
      expect(bad.status).toBe(400);
      const stats = (await (await fetch(new URL('/_sim/stats', sim.url))).json()) as { byStatus: Record<string, number>; recordCount: number };
      expect(stats.byStatus['500']).toBeGreaterThan(0);
      expect(stats.recordCount).toBe(expected.size);
    });
  });

  describe('changes between syncs', () => {
    it('touch changes records and moves them past the high-water mark, where an incremental read finds exactly them', async () => {
      const before = new Map(sim.records().map((r) => [r.ma_dinh_danh_hoc_sinh, r]));
      const highWater = [...before.values()].map((r) => r.ngay_cap_nhat).sort().at(-1)!;
      const { ids: touched, updatedAt } = sim.touch(7);
      expect(touched).toHaveLength(7);
      expect(updatedAt > highWater).toBe(true);
      const after = Date.parse(highWater) + 1000;
      const { rows } = await readAll(sim, { ...YEAR, updated_since: new Date(after).toISOString() });
      expect(new Set(ids(rows))).toEqual(new Set(touched));
      for (const row of rows) {
        const old = before.get(row.ma_dinh_danh_hoc_sinh as string)!;
        expect(row.ngay_cap_nhat).toBe(updatedAt);
        expect(row.so_dinh_danh_ca_nhan !== old.so_dinh_danh_ca_nhan || row.lop !== old.lop).toBe(true);
      }
    });

    it('serves a record changed mid-run again at the end, and skips none', async () => {
      const first = await get(sim, { ...YEAR, limit: '100' });
      const { ids: touched } = sim.touch(30);
      const rest = await readAll(sim, { ...YEAR, cursor: first.body.next_cursor! });
      const seen = [...ids(first.body.data), ...ids(rest.rows)];
      expect(new Set(seen)).toEqual(new Set(expected.keys()));
      for (const id of touched) expect(ids(rest.rows)).toContain(id);
    });

    it('touches over HTTP too', async () => {
      const res = await fetch(new URL('/_sim/touch?n=2', sim.url), { method: 'POST' });
      expect(await res.json()).toMatchObject({ touched: 2, ids: [expect.any(String), expect.any(String)] });
    });
  });
});

describe('school simulator: new pupils', () => {
  let sim: SchoolSimulator;
  // The school records of the children after the population's, as a larger population holds them.
  const later = [...generateSourceRecords({ seed: SEED, count: COUNT + 200, sources: ['school'], start: COUNT })];

  beforeAll(async () => {
    sim = await startSchoolSimulator({ seed: SEED, count: COUNT, port: 0, apiKey: KEY, logger: silent });
  });
  afterAll(async () => sim.close());

  it('adds the population\'s next children\'s records past the high-water mark, where an incremental read finds exactly them', async () => {
    const highWater = sim.records().map((r) => r.ngay_cap_nhat).sort().at(-1)!;
    const first = sim.add(6);
    const second = sim.add(4);
    expect([...first.ids, ...second.ids]).toEqual(later.slice(0, 10).map((l) => l.record.externalId));
    expect([...first.truthIds, ...second.truthIds]).toEqual(later.slice(0, 10).map((l) => l.truthId));
    expect(first.updatedAt > highWater && second.updatedAt > first.updatedAt).toBe(true);
    expect(sim.recordCount).toBe(expected.size + 10);
    for (const id of first.ids) expect(expected.has(id)).toBe(false);

    const { rows } = await readAll(sim, { ...YEAR, updated_since: new Date(Date.parse(highWater) + 1000).toISOString() });
    expect(ids(rows)).toEqual([...first.ids.slice().sort(), ...second.ids.slice().sort()]);
    for (const [i, row] of rows.entries()) {
      const generated = later.find((l) => l.record.externalId === row.ma_dinh_danh_hoc_sinh)!.record.raw as SchoolStudent;
      expect(row).toEqual({ ...generated, ngay_cap_nhat: i < 6 ? first.updatedAt : second.updatedAt });
    }
  });

  it('serves records added mid-run at the end of the run, and skips none', async () => {
    const firstPage = await get(sim, { ...YEAR, limit: '100' });
    const { ids: added } = sim.add(5);
    const rest = await readAll(sim, { ...YEAR, cursor: firstPage.body.next_cursor! });
    const seen = [...ids(firstPage.body.data), ...ids(rest.rows)];
    expect(seen).toHaveLength(sim.recordCount);
    expect(new Set(seen)).toEqual(new Set(sim.records().map((r) => r.ma_dinh_danh_hoc_sinh)));
    expect(seen.slice(-5).sort()).toEqual([...added].sort());
  });

  it('adds the same records for the same seed', async () => {
    const twin = await startSchoolSimulator({ seed: SEED, count: COUNT, port: 0, apiKey: KEY, logger: silent });
    try {
      expect(twin.add(11).ids).toEqual(later.slice(0, 11).map((l) => l.record.externalId));
    } finally {
      await twin.close();
    }
  });

  it('adds over HTTP, answering the ids, and counts what it added and touched in its stats', async () => {
    const before = sim.stats();
    const res = await fetch(new URL('/_sim/add?n=3', sim.url), { method: 'POST' });
    const body = (await res.json()) as { added: number; ids: string[]; truthIds: string[]; updatedAt: string };
    expect(body).toMatchObject({ added: 3, updatedAt: expect.any(String) });
    expect(body.ids).toEqual(later.slice(15, 18).map((l) => l.record.externalId));
    expect(body.truthIds).toEqual(later.slice(15, 18).map((l) => l.truthId));
    sim.touch(2);
    const stats = (await (await fetch(new URL('/_sim/stats', sim.url))).json()) as { recordsAdded: number; recordsTouched: number; recordCount: number };
    expect(stats).toMatchObject({ recordsAdded: before.recordsAdded + 3, recordsTouched: before.recordsTouched + 2, recordCount: expected.size + 18 });
    expect((await fetch(new URL('/_sim/add?n=-1', sim.url), { method: 'POST' })).status).toBe(400);
    expect((await fetch(new URL('/_sim/add?n=lots', sim.url), { method: 'POST' })).status).toBe(400);
  });
});
