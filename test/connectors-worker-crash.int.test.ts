import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { createTestAppContext, waitFor } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * A worker process running a connector-sync job is killed with SIGKILL mid-file; another worker takes the
 * stalled job over (after WORKER_LOCK_MS), resumes the same run from its last stored batch, and finishes
 * with every row stored exactly once.
 */
describe('connector sync survives kill -9 of its worker', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let root: string;
  const children: ChildProcess[] = [];
  let workerEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'childhub-crash-'));
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
    workerEnv = {
      ...process.env, DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'silent',
      CHILDHUB_HOME: path.join(root, 'home'), CONNECTOR_SCHEDULES: 'false', WORKER_LOCK_MS: '1500', OUTBOX_POLL_MS: '100',
      JUSTICE_REGISTER_DROP_DIR: path.join(root, 'drop'), JUSTICE_REGISTER_SETTLE_SECONDS: '0', // the drop is written just before the sync, whole
    };
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await ctx?.close();
    await env?.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  const startWorker = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--queues', 'connector-sync'], {
      cwd: PROJECT_ROOT, env: workerEnv, stdio: 'ignore',
    });
    children.push(child);
    return child;
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await ctx.sql.one<{ n: string }>(sql, params))!.n);

  it('resumes the killed worker\'s run elsewhere with every row stored once', async () => {
    const drop = await writeJusticeRegisterDrop({ dir: workerEnv.JUSTICE_REGISTER_DROP_DIR!, seed: 7, count: 1, rows: 40_000, tag: 'crash' });
    const rows = drop.files.reduce((n, f) => n + f.rows, 0);
    const { runId } = await ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });

    const first = startWorker();
    await waitFor(async () => (await count('SELECT batches::text AS n FROM connector_run WHERE id = $1', [runId])) >= 2, 90_000, 'two stored batches');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await ctx.sql.one<{ status: string; batches: number }>('SELECT status, batches FROM connector_run WHERE id = $1', [runId]);
    expect(atKill!.status).toBe('RUNNING');

    const second = startWorker();
    await waitFor(async () => {
      const r = await ctx.sql.one<{ status: string }>('SELECT status FROM connector_run WHERE id = $1', [runId]);
      return r!.status === 'SUCCEEDED' || r!.status === 'FAILED';
    }, 120_000, 'the run to finish on the second worker');
    second.kill('SIGTERM');

    const run = await ctx.sql.one<{ status: string; resumed: number; inserted: number; updated: number; unchanged: number; rejected: number; files_ingested: number }>(
      'SELECT status, resumed, inserted, updated, unchanged, rejected, files_ingested FROM connector_run WHERE id = $1', [runId]);
    expect(run).toMatchObject({ status: 'SUCCEEDED', rejected: 0, unchanged: 0, files_ingested: drop.files.length });
    expect(run!.resumed).toBeGreaterThanOrEqual(1);
    // Counters are committed with their batches, so the run's totals count every row exactly once.
    expect(run!.inserted + run!.updated).toBe(rows);
    expect(await count(`SELECT count(*)::text AS n FROM source_record WHERE source_system = 'justice-register'`)).toBe(rows);
    expect(await count('SELECT count(*)::text AS n FROM birth_registration')).toBe(drop.files.find((f) => f.kind === 'birth')!.rows);
    expect(await count('SELECT count(*)::text AS n FROM ingested_file')).toBe(drop.files.length);
  }, 240_000);
});
