import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchoolSimulator, type SchoolSimulator } from '../connectors/school/simulator.js';
import path from 'node:path';
import type { AppContext } from '../src/app/app-context.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { ConnectorCatalog } from '../src/connectors/definition/connector-catalog.js';
import { newId } from '../src/db/ids.js';
import { createTestAppContext } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * End-to-end syncs of the school connector (connectors/school/connector.yaml, unchanged) against the
 * school API simulator, on real PostgreSQL: full load, unchanged resync, incremental changes, faults
 * (429 with Retry-After, 500s, repeated pages) and a malformed record quarantined while its page lands.
 */
describe('school connector against its simulator', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let sim: SchoolSimulator;
  const saved = { ...process.env };

  beforeAll(async () => {
    // Pages of 50 (the simulator caps the connector's `limit`), so a sync takes several requests.
    sim = await startSchoolSimulator({ seed: 4242, count: 400, port: 0, apiKey: 'test-school-key', pageSize: 50, maxPageSize: 50 });
    process.env.SCHOOL_API_URL = sim.url;
    process.env.SCHOOL_API_KEY = 'test-school-key';
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
  });

  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
    await sim?.close();
    process.env = saved;
  });

  const count = async (sql: string, params: unknown[] = []) => Number((await ctx.sql.one<{ n: string }>(sql, params))!.n);

  it('loads every record with its projections, each fact linked to a child', async () => {
    const run = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.fetched).toBe(sim.recordCount);
    expect(run.inserted).toBe(sim.recordCount);
    expect(run.rejected).toBe(0);
    expect(await count(`SELECT count(*)::text AS n FROM source_record WHERE source_system = 'school'`)).toBe(sim.recordCount);
    expect(await count(`SELECT count(*)::text AS n FROM source_record WHERE source_system = 'school' AND child_id IS NULL`)).toBe(0);
    expect(await count('SELECT count(*)::text AS n FROM school_enrolment')).toBe(sim.recordCount);
    const stored = await ctx.sql.one<{ state: { highWater: string } }>(`SELECT state FROM connector WHERE name = 'school'`);
    expect(stored!.state.highWater).toBeTruthy();
    // Golden-record recomputes were enqueued through the outbox in the same transactions.
    expect(await count(`SELECT count(*)::text AS n FROM outbox WHERE topic = 'golden-record.recompute'`)).toBeGreaterThan(0);
  });

  it('a resync of unchanged data changes nothing', async () => {
    const before = await ctx.sql.one<{ n: string; latest: Date }>(`SELECT count(*)::text AS n, max(last_seen_at) AS latest FROM source_record`);
    const projections = await count('SELECT count(*)::text AS n FROM school_enrolment');
    const run = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.inserted + run.updated).toBe(0);
    const after = await ctx.sql.one<{ n: string; latest: Date }>(`SELECT count(*)::text AS n, max(last_seen_at) AS latest FROM source_record`);
    expect(after).toEqual(before);
    expect(await count('SELECT count(*)::text AS n FROM school_enrolment')).toBe(projections);
  });

  it('reads only what changed since the last run, and updates those records', async () => {
    const touched = sim.touch(7);
    const run = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.fetched).toBeLessThan(sim.recordCount);
    expect(run.updated).toBe(7);
    expect(run.inserted).toBe(0);
    const rows = await ctx.sql.query<{ external_id: string }>(
      `SELECT external_id FROM source_record WHERE source_system = 'school' AND connector_run_id = $1`, [run.runId]);
    expect(rows.map((r) => r.external_id).sort()).toEqual([...touched.ids].sort());
    // Still one enrolment per record: projections are replaced, not added.
    expect(await count('SELECT count(*)::text AS n FROM school_enrolment')).toBe(sim.recordCount);
  });

  it('reads everything again from the beginning when forced, keeping the high-water mark it had', async () => {
    const state = async () => (await ctx.sql.one<{ state: { highWater: string } }>(`SELECT state FROM connector WHERE name = 'school'`))!.state;
    const before = await state();
    expect(before.highWater).toEqual(expect.any(String));
    const run = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(run).toMatchObject({ status: 'SUCCEEDED', fetched: sim.recordCount, inserted: 0, updated: 0, unchanged: sim.recordCount });
    expect(await state()).toEqual(before);
  });

  it('reads the whole source again, once, when the mapping changed since the stored records were read, or is not known (QA: after an upgrade, incremental syncs never re-mapped the records)', async () => {
    const readWith = async () => (await ctx.sql.one<{ h: string | null }>(`SELECT records_mapping_hash AS h FROM connector WHERE name = 'school'`))!.h;
    const current = ConnectorCatalog.load(path.join(PROJECT_ROOT, 'connectors')).get('school').mappingHash;
    // The first read, and the forced one since, recorded the mapping they read with.
    expect(await readWith()).toBe(current);
    const options = async (runId: string) => (await ctx.sql.one<{ o: Record<string, unknown> }>('SELECT options AS o FROM connector_run WHERE id = $1', [runId]))!.o;
    // Another mapping (a definition edited, or the hub's mapping rules changed by an upgrade), then none known (a
    // connector that ran before the hub recorded it): each time the next sync reads everything, as a forced one.
    for (const before of ['a-mapping-of-an-older-definition', null]) {
      await ctx.sql.query(`UPDATE connector SET records_mapping_hash = $1 WHERE name = 'school'`, [before]);
      const run = await ctx.connectors.run('school', { trigger: 'SCHEDULE' });
      expect([before, run]).toMatchObject([before, { status: 'SUCCEEDED', fetched: sim.recordCount, unchanged: sim.recordCount }]);
      expect(await options(run.runId)).toEqual({ force: true, mappingChanged: true });
      expect(await readWith()).toBe(current);
      // Then incremental again: nothing changed at the source.
      const next = await ctx.connectors.run('school', { trigger: 'SCHEDULE' });
      expect([before, next]).toMatchObject([before, { status: 'SUCCEEDED', inserted: 0, updated: 0 }]);
      expect(next.fetched).toBeLessThan(sim.recordCount);
      expect(await options(next.runId)).toEqual({});
    }
  });

  it('a run resumed part-way after the mapping changed goes on as it was and does not record the mapping; the next sync reads everything (QA: its first pages kept the older mapping for good)', async () => {
    const readWith = async () => (await ctx.sql.one<{ h: string | null }>(`SELECT records_mapping_hash AS h FROM connector WHERE name = 'school'`))!.h;
    const options = async (runId: string) => (await ctx.sql.one<{ o: Record<string, unknown> }>('SELECT options AS o FROM connector_run WHERE id = $1', [runId]))!.o;
    const current = ConnectorCatalog.load(path.join(PROJECT_ROOT, 'connectors')).get('school').mappingHash;
    await ctx.sql.query(`UPDATE connector SET records_mapping_hash = 'the-older-mapping' WHERE name = 'school'`);
    // A plain run that stored a page with the older mapping, then its worker stopped; its job comes back.
    const runId = newId('connectorRun');
    await ctx.sql.query(
      `INSERT INTO connector_run (id, connector_id, trigger, status, started_at, heartbeat_at, definition_hash, options, batches, fetched, unchanged)
       SELECT $1, id, 'SCHEDULE', 'RUNNING', now(), now(), definition_hash, '{}', 1, 50, 50 FROM connector WHERE name = 'school'`,
      [runId],
    );
    const resumed = await ctx.connectors.runQueued(runId);
    expect(resumed).toMatchObject({ status: 'SUCCEEDED', resumed: true });
    expect(await options(runId)).toEqual({});
    expect(await readWith()).toBe('the-older-mapping');
    const next = await ctx.connectors.run('school', { trigger: 'SCHEDULE' });
    expect(next).toMatchObject({ status: 'SUCCEEDED', fetched: sim.recordCount });
    expect(await options(next.runId)).toEqual({ force: true, mappingChanged: true });
    expect(await readWith()).toBe(current);
  });

  it('a read going on from a checkpoint another mapping began records no mapping, and the next sync reads everything (QA: a failed first read, or a forced read begun by a worker with the older definition, recorded the new one)', async () => {
    const readWith = async () => (await ctx.sql.one<{ h: string | null }>(`SELECT records_mapping_hash AS h FROM connector WHERE name = 'school'`))!.h;
    const current = ConnectorCatalog.load(path.join(PROJECT_ROOT, 'connectors')).get('school').mappingHash;
    expect(await readWith()).toBe(current);
    // A read stopped part-way (its run failed, or its worker was killed) under another mapping: its checkpoint is a
    // page of a read in progress, the last page a run stored.
    const { checkpoint } = (await ctx.sql.one<{ checkpoint: Record<string, unknown> }>(
      `SELECT r.checkpoint FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE c.name = 'school' AND r.batches > 0 ORDER BY r.created_at DESC LIMIT 1`))!;
    expect(Object.keys(checkpoint)).toContain('page');
    for (const began of ['the-older-mapping', null]) {
      await ctx.sql.query(`UPDATE connector SET state = $1, state_read_with = $2 WHERE name = 'school'`, [checkpoint, began]);
      const goesOn = await ctx.connectors.run('school', { trigger: 'SCHEDULE' });
      expect([began, goesOn.status]).toEqual([began, 'SUCCEEDED']);
      expect(await readWith()).toBeNull();
      const next = await ctx.connectors.run('school', { trigger: 'SCHEDULE' });
      expect([began, next]).toMatchObject([began, { status: 'SUCCEEDED', fetched: sim.recordCount }]);
      expect(await readWith()).toBe(current);
    }
    // Gone on from a checkpoint this mapping began (a run of it that failed): nothing more to read again.
    await ctx.sql.query(`UPDATE connector SET state = $1, state_read_with = $2 WHERE name = 'school'`, [checkpoint, current]);
    expect((await ctx.connectors.run('school', { trigger: 'SCHEDULE' })).status).toBe('SUCCEEDED');
    expect(await readWith()).toBe(current);
    expect((await ctx.connectors.run('school', { trigger: 'SCHEDULE' })).fetched).toBeLessThan(sim.recordCount);
  });

  it('survives 429s with Retry-After, 500s and repeated pages without losing or duplicating a record', async () => {
    await ctx.sql.query(`UPDATE connector SET state = NULL WHERE name = 'school'`);
    sim.setFaults({ rateLimitEvery: 3, retryAfterSeconds: 1, errorRate: 0.2, repeatPageRate: 0.3, seed: 7 });
    try {
      const run = await ctx.connectors.run('school', { trigger: 'CLI' });
      expect(run.status).toBe('SUCCEEDED');
      expect(run.inserted + run.updated).toBe(0);
      expect(run.unchanged).toBeGreaterThanOrEqual(sim.recordCount);
      expect(sim.stats().byStatus['429'] ?? 0).toBeGreaterThan(0);
    } finally {
      sim.setFaults({});
    }
    expect(await count(`SELECT count(*)::text AS n FROM source_record WHERE source_system = 'school'`)).toBe(sim.recordCount);
  }, 120_000);

  it('quarantines malformed records with their reasons while the rest of the page lands', async () => {
    await ctx.sql.query(`UPDATE connector SET state = NULL WHERE name = 'school'`);
    sim.setFaults({ malformedRecordRate: 0.05, seed: 11 });
    try {
      const run = await ctx.connectors.run('school', { trigger: 'CLI' });
      expect(run.status).toBe('SUCCEEDED');
      expect(run.rejected).toBeGreaterThan(0);
      expect(run.rejected + run.unchanged + run.updated + run.inserted).toBe(run.fetched);
      const rejects = await ctx.sql.query<{ reasons: Array<{ field: string; code: string; message: string }>; location: string }>(
        'SELECT reasons, location FROM rejected_record WHERE connector_run_id = $1', [run.runId]);
      expect(rejects.length).toBe(run.rejected);
      for (const r of rejects) {
        expect(r.reasons.length).toBeGreaterThan(0);
        expect(r.location).toMatch(/page \d+/);
      }
    } finally {
      sim.setFaults({});
    }
  }, 60_000);

  it('refuses a second sync of the same connector while one runs', async () => {
    await ctx.sql.query(`UPDATE connector SET state = NULL WHERE name = 'school'`);
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let firstPage!: () => void;
    const started = new Promise<void>((r) => { firstPage = r; });
    // The first sync stops after its first stored page until the second attempt has been refused.
    const first = ctx.connectors.run('school', { trigger: 'CLI' }, { onProgress: async () => { firstPage(); await held; } });
    await started;
    await expect(ctx.connectors.run('school', { trigger: 'CLI' })).rejects.toMatchObject({ code: 'CONNECTOR_SYNC_RUNNING' });
    release();
    expect((await first).status).toBe('SUCCEEDED');
  });

  it('a run going on from the checkpoint a failed run left counts as resumed (QA: recorded resumed 0, as if it read the whole source)', async () => {
    let batches = 0;
    await expect(ctx.connectors.run('school', { trigger: 'CLI', force: true }, {
      onProgress: () => {
        if (++batches === 2) throw new Error('stopped part-way');
      },
    })).rejects.toThrow('stopped part-way');
    const failed = await ctx.sql.one<{ id: string; status: string; fetched: number; resumed: number }>(
      `SELECT id, status, fetched, resumed FROM connector_run ORDER BY id DESC LIMIT 1`);
    expect(failed).toMatchObject({ status: 'FAILED', fetched: 100, resumed: 0 });
    const next = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(next).toMatchObject({ status: 'SUCCEEDED', resumed: true });
    expect(next.fetched).toBe(sim.stats().recordCount - 100);
    expect((await ctx.sql.one<{ resumed: number }>(`SELECT resumed FROM connector_run WHERE id = $1`, [next.runId]))!.resumed).toBe(1);
    // The run after that begins a new read: not resumed.
    expect(await ctx.connectors.run('school', { trigger: 'CLI' })).toMatchObject({ status: 'SUCCEEDED', resumed: false });
  });

  it('an attempt the database failed under is CONNECTOR_LOCK_LOST; one that could not record its failure is recorded by the next attempt (QA: a PostgreSQL restart left no failed attempt)', async () => {
    const { runId } = await ctx.connectors.requestSync('school', { trigger: 'CLI', force: true });
    const attempt = (n: number) => ({ jobId: `db-restart-${runId}`, attempt: n, maxAttempts: 5, retryInMs: () => 1_000 });
    let batches = 0;
    // The server's own error for a restart, as a batch's statement meets it before the lock's connection tells.
    const restart = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    await expect(ctx.connectors.runQueued(runId, { job: attempt(1), onProgress: () => { if (++batches === 2) throw restart; } }))
      .rejects.toMatchObject({ code: 'CONNECTOR_LOCK_LOST' });
    const run = async () => (await ctx.sql.one<{ status: string; resumed: number; failed_attempts: Array<{ attempt: number; code: string; message: string; failedAt: string }> }>(
      'SELECT status, resumed, failed_attempts FROM connector_run WHERE id = $1', [runId]))!;
    expect(await run()).toMatchObject({ status: 'RETRYING', failed_attempts: [{ attempt: 1, code: 'CONNECTOR_LOCK_LOST' }] });
    // Had the database been away when the attempt tried to record that, the run would be as it was while it ran; and
    // attempts 2 and 3, the database still away, could not begin: attempt 4 records them all.
    await ctx.sql.query(`UPDATE connector_run SET status = 'RUNNING', failed_attempts = '[]', next_attempt_at = NULL WHERE id = $1`, [runId]);
    const resumed = await ctx.connectors.runQueued(runId, { job: attempt(4) });
    expect(resumed).toMatchObject({ status: 'SUCCEEDED', resumed: true });
    const ended = await run();
    expect(ended).toMatchObject({ status: 'SUCCEEDED', resumed: 1 });
    const stamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const unreachable = { code: 'CONNECTOR_DATABASE_UNREACHABLE', message: expect.stringMatching(/^this attempt could not reach the database to begin/), failedAt: stamp };
    expect(ended.failed_attempts).toEqual([
      { attempt: 1, code: 'CONNECTOR_LOCK_LOST', message: expect.stringMatching(/^the database could not be reached when this attempt failed/), failedAt: stamp },
      { attempt: 2, ...unreachable },
      { attempt: 3, ...unreachable },
    ]);
    // A queued run whose job's first attempt could not reach the database: its second records it.
    const queued = await ctx.connectors.requestSync('school', { trigger: 'CLI' });
    const second = await ctx.connectors.runQueued(queued.runId, { job: { ...attempt(2), jobId: `db-down-${queued.runId}` } });
    expect(second.status).toBe('SUCCEEDED');
    expect((await ctx.sql.one<{ failed_attempts: unknown }>('SELECT failed_attempts FROM connector_run WHERE id = $1', [queued.runId]))!.failed_attempts)
      .toEqual([{ attempt: 1, ...unreachable }]);
  });

  it('fails a run with a wrong API key at once, naming the status, and keeps the checkpoint', async () => {
    const state = await ctx.sql.one<{ state: unknown }>(`SELECT state FROM connector WHERE name = 'school'`);
    process.env.SCHOOL_API_KEY = 'wrong-key';
    try {
      await expect(ctx.connectors.run('school', { trigger: 'CLI' })).rejects.toMatchObject({ code: 'CONNECTOR_REQUEST_REFUSED' });
    } finally {
      process.env.SCHOOL_API_KEY = 'test-school-key';
    }
    const run = await ctx.sql.one<{ status: string; error: { code: string } }>(
      `SELECT status, error FROM connector_run ORDER BY id DESC LIMIT 1`);
    expect(run).toMatchObject({ status: 'FAILED', error: { code: 'CONNECTOR_REQUEST_REFUSED' } });
    expect(await ctx.sql.one<{ state: unknown }>(`SELECT state FROM connector WHERE name = 'school'`)).toEqual(state);
  });
});

/**
 * A source that writes its JSON its own way (indented, every non-ASCII letter and `/` escaped, as PHP's
 * json_encode and Python's json.dumps do by default): the school simulator behind a proxy that rewrites
 * each page's JSON (the same data) when `styled` is on.
 */
describe('school connector against a server that writes JSON its own way', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let sim: SchoolSimulator;
  let proxy: http.Server;
  let styled = true;
  /** When set, the second page also serves an older copy of the first page's first record (a stale replica's). */
  let stale: { first: Record<string, unknown> | null } | null = null;
  const saved = { ...process.env };

  const restyle = (text: string) =>
    JSON.stringify(JSON.parse(text), null, 1).replace(/[^\x20-\x7e\n]|\//g, (c) => (c === '/' ? '\\/' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

  beforeAll(async () => {
    sim = await startSchoolSimulator({ seed: 4343, count: 150, port: 0, apiKey: 'test-school-key', pageSize: 50, maxPageSize: 50 });
    proxy = http.createServer((req, res) => {
      void (async () => {
        const upstream = await fetch(`${sim.url}${req.url}`, { headers: { 'x-api-key': String(req.headers['x-api-key'] ?? '') } });
        let text = await upstream.text();
        if (stale && upstream.ok) {
          const page = JSON.parse(text) as { data: Array<Record<string, unknown>> };
          if (stale.first === null) stale.first = page.data[0]!;
          else if (req.url?.includes('cursor=') && 'ngay_cap_nhat' in stale.first) {
            const older = new Date(Date.parse(String(stale.first['ngay_cap_nhat'])) - 3 * 3_600_000).toISOString();
            page.data.push({ ...stale.first, ho_ten: 'Tên Cũ Trước Khi Sửa', ngay_cap_nhat: older });
            stale = { first: {} };
          }
          text = JSON.stringify(page);
        }
        const body = styled && upstream.ok ? restyle(text) : text;
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(body);
      })().catch((err: unknown) => {
        res.writeHead(502);
        res.end(String(err));
      });
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    process.env.SCHOOL_API_URL = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    process.env.SCHOOL_API_KEY = 'test-school-key';
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
  });

  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
    proxy?.close();
    await sim?.close();
    process.env = saved;
  });

  const fullResync = async () => {
    await ctx.sql.query(`UPDATE connector SET state = NULL WHERE name = 'school'`);
    const run = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(run.status).toBe('SUCCEEDED');
    return run;
  };

  it('stores each record as the source sent it, with the same data, and finds an unchanged resync unchanged', async () => {
    const first = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(first).toMatchObject({ status: 'SUCCEEDED', fetched: sim.recordCount, inserted: sim.recordCount, rejected: 0 });
    const rows = await ctx.sql.query<{ text: string; raw: Record<string, unknown>; full_name: string }>(
      `SELECT raw::text AS text, raw, full_name FROM source_record WHERE source_system = 'school' ORDER BY external_id`);
    expect(rows).toHaveLength(sim.recordCount);
    for (const r of rows) {
      // The text as sent: indented, escaped; read back, the same record the simulator holds.
      expect(r.text).toMatch(/^\{\n +"/);
      expect(r.text).not.toMatch(/[^\x20-\x7e\n]/);
      expect(JSON.parse(r.text)).toEqual(r.raw);
    }
    // Escapes were read as the letters they stand for.
    expect(rows.some((r) => /[^\x00-\x7f]/.test(r.full_name))).toBe(true);
    const resync = await fullResync();
    expect(resync.inserted + resync.updated).toBe(0);
    expect(resync.unchanged).toBe(sim.recordCount);
  });

  it('rewrites each record once when the source changes how it writes its JSON, then finds it unchanged again', async () => {
    styled = false;
    const rewritten = await fullResync();
    expect(rewritten).toMatchObject({ inserted: 0, updated: sim.recordCount });
    expect(Number((await ctx.sql.one<{ n: string }>(`SELECT count(*)::text AS n FROM school_enrolment`))!.n)).toBe(sim.recordCount);
    const again = await fullResync();
    expect(again.inserted + again.updated).toBe(0);
  });

  it('keeps the newer copy of a record when a stale replica serves an older one later in the sync (QA: the older replaced it, for good)', async () => {
    styled = false;
    stale = { first: null };
    try {
      await ctx.sql.query(`UPDATE connector SET state = NULL WHERE name = 'school'`);
      const run = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
      expect(run).toMatchObject({ status: 'SUCCEEDED', fetched: sim.recordCount + 1, inserted: 0, updated: 0, unchanged: sim.recordCount + 1 });
    } finally {
      const first = stale?.first;
      stale = null;
      expect(first).toEqual({});
    }
    const names = await ctx.sql.query<{ full_name: string }>(`SELECT full_name FROM source_record WHERE source_system = 'school' AND full_name = 'Tên Cũ Trước Khi Sửa'`);
    expect(names).toEqual([]);
  });
});

