import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { freezableProxy } from './support/freezable-proxy.js';
import { pgRestartProxy, type PgRestartProxy } from './support/pg-restart-proxy.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { tempDir } from './support/temp-dir.js';

/**
 * `connectors sync` following its queued run while PostgreSQL restarts (QA: it exited 1 with `[57P03] the database
 * system is shutting down`, though the worker's retry took the run on to SUCCEEDED, and cron scripts read a failed
 * sync). No worker runs here: the test moves the run along itself, as a worker would, behind the CLI's back.
 */
describe('connectors sync, following a run through a PostgreSQL restart', () => {
  let env: TestEnv;
  let proxy: PgRestartProxy;
  let db: pg.Client;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = await createTestEnv();
    proxy = await pgRestartProxy(env.databaseUrl);
    db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
    const root = tempDir('childhub-follow-outage-');
    const drop = path.join(root, 'drop');
    await writeJusticeRegisterDrop({ dir: drop, seed: 17, count: 20 });
    cliEnv = {
      ...process.env, DATABASE_URL: proxy.url, REDIS_URL: env.redisUrl, QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'silent',
      CHILDHUB_HOME: path.join(root, 'home'), CONNECTOR_SCHEDULES: 'false', JUSTICE_REGISTER_DROP_DIR: drop,
    };
  });
  afterEach(() => {
    if (proxy) proxy.down = false;
  });
  afterAll(async () => {
    proxy?.close();
    await db?.end();
    await env?.cleanup();
  });

  /** `connectors sync justice-register` started, once it follows its run (its id). */
  const follow = async (...extra: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'connectors', 'sync', 'justice-register', ...extra], { cwd: PROJECT_ROOT, env: cliEnv });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until(() => /run run_\w+/.test(out.stdout), 60_000, () => `the CLI to queue the run:\n${out.stdout}${out.stderr}`);
    const runId = /run (run_\w+)/.exec(out.stdout)![1]!;
    return { child, out, exited, runId };
  };
  const until = async (check: () => boolean, timeoutMs: number, what: () => string) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const setRun = (runId: string, set: string) => db.query(`UPDATE connector_run SET ${set} WHERE id = $1`, [runId]);

  it('waits for the database, told once, then reports the run\'s real end and exit code', async () => {
    const { out, exited, runId } = await follow();
    await setRun(runId, `status = 'RUNNING', started_at = now()`);
    proxy.down = true;
    await until(() => out.stderr.includes('waiting for the database'), 20_000, () => `the CLI to say it waits:\n${out.stderr}`);
    // Several polls fail meanwhile (0.5, 1, 2 s apart): still one line.
    await new Promise((r) => setTimeout(r, 4_000));
    await setRun(runId, `status = 'SUCCEEDED', finished_at = started_at + interval '3 seconds', batches = 1, fetched = 20, inserted = 20`);
    proxy.down = false;

    expect(await exited, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^justice-register: SUCCEEDED in 3\\.0 s — run ${runId}: 20 fetched, 20 new, 0 changed, 0 unchanged, 0 rejected$`, 'm'));
    const waiting = out.stderr.split('\n').filter((l) => l.startsWith('waiting for the database'));
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatch(new RegExp(`^waiting for the database \\((\\[57P0[13]\\] |Connection terminated).*\\): run ${runId} is followed again once it answers`));
    expect(out.stderr).toMatch(new RegExp(`^the database answers again after \\d+ s: following run ${runId}$`, 'm'));
    expect(out.stderr).not.toMatch(/^childhub: /m);
    // Never the connection's credentials.
    expect(out.stderr).not.toContain(new URL(env.databaseUrl).password);
    if (process.env.SHOW_LOG) console.log(out.stderr);
  }, 90_000);

  it('a run that fails while the database is away is reported FAILED, exit 1', async () => {
    const { out, exited, runId } = await follow('--force');
    proxy.down = true;
    await until(() => out.stderr.includes('waiting for the database'), 20_000, () => `the CLI to say it waits:\n${out.stderr}`);
    await setRun(runId, `status = 'FAILED', started_at = now(), finished_at = now(), error = '{"code":"CONNECTOR_FILE_CHANGED","message":"x.csv changed while it was being read"}'`);
    proxy.down = false;
    expect(await exited).toBe(1);
    expect(out.stdout).toMatch(new RegExp(`^justice-register: FAILED .*run ${runId}: .* — CONNECTOR_FILE_CHANGED: x\\.csv changed while it was being read$`, 'm'));
    expect(out.stderr).not.toMatch(/^childhub: /m);
  }, 90_000);

  it('Ctrl-C while it waits stops following at once (130)', async () => {
    const { child, out, exited, runId } = await follow('--file', 'nothing-here.csv');
    proxy.down = true;
    await until(() => out.stderr.includes('waiting for the database'), 20_000, () => `the CLI to say it waits:\n${out.stderr}`);
    const sent = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(out.stderr).not.toMatch(/^childhub: /m);
    proxy.down = false;
    await setRun(runId, `status = 'FAILED', finished_at = now()`);
  }, 90_000);

  it('a frozen database (answering nothing, failing nothing) is told as waited for, and Ctrl-C still ends the command (QA re-check: silent, and Ctrl-C waited for the thaw)', async () => {
    const frozen = await freezableProxy(proxy.url);
    const saved = cliEnv;
    cliEnv = { ...cliEnv, DATABASE_URL: frozen.url };
    try {
      const { child, out, exited, runId } = await follow('--file', 'frozen.csv');
      frozen.frozen = true;
      await until(() => out.stderr.includes('waiting for the database (no answer for 5 s)'), 20_000, () => `the CLI to say it waits:\n${out.stderr}`);
      const sent = Date.now();
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      // Its pool's close waits for the read in flight: bounded (5 s), then the command exits all the same.
      expect(Date.now() - sent).toBeLessThan(8_000);
      frozen.frozen = false;
      await setRun(runId, `status = 'FAILED', finished_at = now()`);
    } finally {
      cliEnv = saved;
      frozen.close();
    }
  }, 90_000);

  it('any other database error still fails the command as it did', async () => {
    const { out, exited, runId } = await follow('--force', '--file', 'other.csv');
    await db.query('ALTER TABLE connector_run RENAME COLUMN repeated_ids TO repeated_ids_renamed');
    try {
      expect(await exited).toBe(1);
    } finally {
      await db.query('ALTER TABLE connector_run RENAME COLUMN repeated_ids_renamed TO repeated_ids');
    }
    expect(out.stderr).toMatch(/^childhub: /m);
    expect(out.stderr).not.toContain('waiting for the database');
    await setRun(runId, `status = 'FAILED', finished_at = now()`);
  }, 90_000);
});
