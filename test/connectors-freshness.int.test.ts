import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { startSchoolSimulator, type SchoolSimulator } from '../connectors/school/simulator.js';
import { runChildhub } from './support/cli.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tempDir } from './support/temp-dir.js';

interface ConnectorView {
  name: string;
  checkpoint: string | null;
  checkpointAt: string | null;
  lastNewDataAt: string | null;
  lastFileIngestedAt: string | null;
  lastSucceededRun: { id: string } | null;
}

/**
 * What an operator sees of connectors that keep succeeding with nothing new (QA: a drop directory without a new
 * file for 27 days looked healthy, `checkpointAt` moving on every run), and of a failing one on `/metrics`.
 */
describe('connector freshness, per-connector metrics and runs by status', () => {
  let hub: TestHub;
  let sim: SchoolSimulator;
  let operator: string;
  const saved = { ...process.env };
  /** Each run's id and end, by what it was. */
  const runs: Record<string, { id: string; finishedAt: Date }> = {};

  beforeAll(async () => {
    sim = await startSchoolSimulator({ seed: 4242, count: 60, port: 0, apiKey: 'test-school-key', pageSize: 50, maxPageSize: 50 });
    process.env.SCHOOL_API_URL = sim.url;
    process.env.SCHOOL_API_KEY = 'test-school-key';
    const dir = tempDir('childhub-freshness-drop-');
    await writeJusticeRegisterDrop({ dir, seed: 4242, count: 40, brokenRows: 1 });
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0'; // written just now, and whole
    hub = await startTestHub();
    operator = await hub.token({ sub: 'ops-1', roles: ['operator'] });
  });

  afterAll(async () => {
    await hub?.close();
    await sim?.close();
    process.env = saved;
  });

  async function sync(name: string, key: string): Promise<void> {
    const run = await hub.ctx.connectors.run(name, { trigger: 'CLI' });
    const row = await hub.ctx.sql.one<{ finished_at: Date }>('SELECT finished_at FROM connector_run WHERE id = $1', [run.runId]);
    runs[key] = { id: run.runId, finishedAt: row!.finished_at };
  }

  async function connector(name: string): Promise<ConnectorView> {
    const res = await hub.gql<{ connectors: ConnectorView[] }>(
      '{ connectors { name checkpoint checkpointAt lastNewDataAt lastFileIngestedAt lastSucceededRun { id } } }', {}, operator);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.connectors.find((c) => c.name === name)!;
  }

  it('a file connector that gets no new file: lastNewDataAt and lastFileIngestedAt stay, and so does checkpointAt', async () => {
    await sync('justice-register', 'justiceFirst');
    const first = await connector('justice-register');
    const ingested = await hub.ctx.sql.one<{ at: Date }>('SELECT max(ingested_at) AS at FROM ingested_file');
    expect(first).toMatchObject({
      lastNewDataAt: runs.justiceFirst!.finishedAt.toISOString(), lastFileIngestedAt: ingested!.at.toISOString(), lastSucceededRun: { id: runs.justiceFirst!.id },
    });
    // A file connector keeps no checkpoint between runs: it never changed.
    expect(first).toMatchObject({ checkpoint: null, checkpointAt: null });

    // Day 3 on: the same files, nothing new; every run succeeds.
    await sync('justice-register', 'justiceNothingNew');
    const run = await hub.ctx.sql.one<{ fetched: number; files_skipped: number; status: string }>('SELECT fetched, files_skipped, status FROM connector_run WHERE id = $1', [runs.justiceNothingNew!.id]);
    expect(run).toMatchObject({ status: 'SUCCEEDED', fetched: 0 });
    expect(run!.files_skipped).toBeGreaterThan(0);
    expect(await connector('justice-register')).toEqual({ ...first, lastSucceededRun: { id: runs.justiceNothingNew!.id } });
  });

  it('an HTTP source returning nothing new: lastNewDataAt stays, and checkpointAt with its unchanged high-water mark', async () => {
    await sync('school', 'schoolFirst');
    const first = await connector('school');
    expect(first).toMatchObject({ lastNewDataAt: runs.schoolFirst!.finishedAt.toISOString(), lastFileIngestedAt: null });
    expect(first.checkpoint).toContain('highWater');
    expect(first.checkpointAt).not.toBeNull();

    await sync('school', 'schoolNothingNew');
    // The run's batches moved the checkpoint while it read (its page); it ended where it began.
    expect(await connector('school')).toEqual({ ...first, lastSucceededRun: { id: runs.schoolNothingNew!.id } });

    // A changed record is new data, and moves the high-water mark.
    sim.touch(2);
    await sync('school', 'schoolChanged');
    const changed = await connector('school');
    expect(changed.lastNewDataAt).toBe(runs.schoolChanged!.finishedAt.toISOString());
    expect(Date.parse(changed.checkpointAt!)).toBeGreaterThan(Date.parse(first.checkpointAt!));
  });

  it('/metrics shows each connector\'s last run status, last success, last new data, open rejects and queued time', async () => {
    // School starts refusing the hub's key: the run fails at once (a 403 is not retried).
    process.env.SCHOOL_API_KEY = 'wrong-key';
    try {
      await expect(hub.ctx.connectors.run('school', { trigger: 'CLI' })).rejects.toThrow();
    } finally {
      process.env.SCHOOL_API_KEY = 'test-school-key';
    }
    const scrape = async () => {
      const res = await fetch(`${hub.api.url}/metrics`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const value = (text: string, metric: string, labels: string) => {
      const m = new RegExp(`^${metric}\\{${labels.replace(/[{}]/g, '\\$&')}\\} (\\S+)$`, 'm').exec(text);
      expect(m, `${metric}{${labels}}`).not.toBeNull();
      return Number(m![1]);
    };
    const seconds = (d: Date) => d.getTime() / 1000;
    let text = await scrape();
    expect(text).toContain('childhub_metrics_source_up{source="postgres"} 1');
    expect(value(text, 'childhub_connector_last_run_status', 'connector="school",status="FAILED"')).toBe(1);
    expect(value(text, 'childhub_connector_last_run_status', 'connector="school",status="SUCCEEDED"')).toBe(0);
    expect(value(text, 'childhub_connector_last_success_timestamp_seconds', 'connector="school"')).toBeCloseTo(seconds(runs.schoolChanged!.finishedAt), 2);
    expect(value(text, 'childhub_connector_last_new_data_timestamp_seconds', 'connector="school"')).toBeCloseTo(seconds(runs.schoolChanged!.finishedAt), 2);
    expect(value(text, 'childhub_connector_open_rejects', 'connector="school"')).toBe(0);
    expect(value(text, 'childhub_connector_queued_seconds', 'connector="school"')).toBe(0);

    expect(value(text, 'childhub_connector_last_run_status', 'connector="justice-register",status="SUCCEEDED"')).toBe(1);
    expect(value(text, 'childhub_connector_last_success_timestamp_seconds', 'connector="justice-register"')).toBeCloseTo(seconds(runs.justiceNothingNew!.finishedAt), 2);
    expect(value(text, 'childhub_connector_last_new_data_timestamp_seconds', 'connector="justice-register"')).toBeCloseTo(seconds(runs.justiceFirst!.finishedAt), 2);
    expect(value(text, 'childhub_connector_open_rejects', 'connector="justice-register"')).toBe(1);
    // A connector defined and never synced here has its series from the start (QA: it had none, so no alert could
    // see it): no success, no new data, nothing open or waiting, no run status; enabled.
    expect(value(text, 'childhub_connector_last_success_timestamp_seconds', 'connector="health-station"')).toBe(0);
    expect(value(text, 'childhub_connector_last_new_data_timestamp_seconds', 'connector="health-station"')).toBe(0);
    expect(value(text, 'childhub_connector_open_rejects', 'connector="health-station"')).toBe(0);
    expect(value(text, 'childhub_connector_queued_seconds', 'connector="health-station"')).toBe(0);
    expect(text).not.toMatch(/^childhub_connector_last_run_status\{connector="health-station"/m);
    for (const c of ['health-station', 'school', 'justice-register', 'facility-inspection']) expect(value(text, 'childhub_connector_enabled', `connector="${c}"`)).toBe(1);
    // Only connector names label them.
    expect(text.match(/^childhub_connector_\w+\{[^}]*\}/gm)!.every((s) => /\{connector="[\w-]+"(,status="[A-Z]+")?\}$/.test(s))).toBe(true);
    // A connector PostgreSQL knows whose definition is gone: 0, so alerts joined on it stay quiet.
    await hub.ctx.sql.query(
      `INSERT INTO connector (id, name, kind, source_system, definition, definition_hash) VALUES ('conn_removed_test', 'removed-one', 'file', 'JUSTICE_REGISTER', '{}', 'x')`);
    try {
      expect(value(await scrape(), 'childhub_connector_enabled', 'connector="removed-one"')).toBe(0);
    } finally {
      await hub.ctx.sql.query(`DELETE FROM connector WHERE id = 'conn_removed_test'`);
    }

    // A sync asked for and not started (no worker here): QUEUED, and how long it has waited.
    const { runId } = await hub.ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'ops-1' });
    await new Promise((r) => setTimeout(r, 1_100));
    text = await scrape();
    expect(value(text, 'childhub_connector_last_run_status', 'connector="justice-register",status="QUEUED"')).toBe(1);
    expect(value(text, 'childhub_connector_last_run_status', 'connector="justice-register",status="SUCCEEDED"')).toBe(0);
    expect(value(text, 'childhub_connector_queued_seconds', 'connector="justice-register"')).toBeGreaterThanOrEqual(1);
    // RETRYING: no wait while its next attempt is not due (that wait is the backoff's), then since it was due
    // (QA re-check: the gauge counted from when the run was queued, attempts included, and flapped).
    await hub.ctx.sql.query(`UPDATE connector_run SET status = 'RETRYING', next_attempt_at = now() + interval '1 minute' WHERE id = $1`, [runId]);
    expect(value(await scrape(), 'childhub_connector_queued_seconds', 'connector="justice-register"')).toBe(0);
    await hub.ctx.sql.query(`UPDATE connector_run SET next_attempt_at = now() - interval '100 seconds' WHERE id = $1`, [runId]);
    const overdue = value(await scrape(), 'childhub_connector_queued_seconds', 'connector="justice-register"');
    expect(overdue).toBeGreaterThanOrEqual(100);
    expect(overdue).toBeLessThan(160);
    await hub.ctx.sql.query(`UPDATE connector_run SET status = 'FAILED', finished_at = now(), error = '{"code":"TEST","message":"test"}' WHERE id = $1`, [runId]);
    expect(value(await scrape(), 'childhub_connector_queued_seconds', 'connector="justice-register"')).toBe(0);
  });

  it('connectorRuns filters by status, paging through the filtered runs only', async () => {
    type Runs = { connectorRuns: Array<{ id: string; connector: string; status: string }> };
    const page = async (args: string) => {
      const res = await hub.gql<Runs>(`{ connectorRuns(${args}) { id connector status } }`, {}, operator);
      expect(res.body.errors, args).toBeUndefined();
      return res.body.data!.connectorRuns;
    };
    const all = await page('first: 50');
    const failed = await page('status: [FAILED]');
    expect(failed.map((r) => r.id)).toEqual(all.filter((r) => r.status === 'FAILED').map((r) => r.id));
    expect(failed.map((r) => r.connector).sort()).toEqual(['justice-register', 'school']);
    expect(await page('connector: "school", status: [FAILED]')).toEqual([failed.find((r) => r.connector === 'school')]);

    // Two statuses, a page of one at a time: every matching run once, newest first, whatever lies between.
    const wanted = all.filter((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED').map((r) => r.id);
    const paged: string[] = [];
    for (let before: string | null = null; ;) {
      const got = await page(`status: [SUCCEEDED, FAILED], first: 1${before ? `, before: "${before}"` : ''}`);
      if (got.length === 0) break;
      paged.push(got[0]!.id);
      before = got[0]!.id;
    }
    expect(paged).toEqual(wanted);
    expect(await page('status: [RETRYING]')).toEqual([]);

    const empty = await hub.gql('{ connectorRuns(status: []) { id } }', {}, operator);
    expect(empty.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('connectors list says when each connector last got new data, and a file connector a new file', async () => {
    const r = await runChildhub({
      ...process.env, DATABASE_URL: hub.env.databaseUrl, REDIS_URL: hub.env.redisUrl, QUEUE_PREFIX: hub.env.queuePrefix, LOG_LEVEL: 'silent',
      CHILDHUB_HOME: path.join(tempDir('childhub-freshness-home-'), 'home'), CONNECTOR_SCHEDULES: 'false',
    }, 'connectors', 'list');
    expect(r.code).toBe(0);
    const iso = (d: Date) => d.toISOString().replace(/[.]/g, '\\.');
    const ingested = await hub.ctx.sql.one<{ at: Date }>('SELECT max(ingested_at) AS at FROM ingested_file');
    expect(r.stdout).toMatch(new RegExp(`^justice-register .*\\n(?: {2}.*\\n)*? {2}last new data ${iso(runs.justiceFirst!.finishedAt)} \\([^)]* ago\\); `
      + `last new file ingested ${iso(ingested!.at)} \\([^)]* ago\\)$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^school .*\\n(?: {2}.*\\n)*? {2}last new data ${iso(runs.schoolChanged!.finishedAt)} \\([^)]* ago\\)$`, 'm'));
  }, 60_000);
});
