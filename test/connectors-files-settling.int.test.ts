import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { startWorker, type RunningWorker } from '../jobs/worker.js';
import type { AppContext } from '../src/app/app-context.js';
import { createTestAppContext, waitFor } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { tempDir } from './support/temp-dir.js';

/**
 * A file still being copied into the drop directory when a sync runs is left waiting (file.settleSeconds);
 * the worker then queues a sync for when it has settled, rather than leaving it to the next schedule (a day,
 * for a nightly one).
 */
describe('files left waiting in a drop directory, synced by the worker once settled', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let worker: RunningWorker;
  const saved = { ...process.env };
  const root = tempDir('childhub-settling-');

  beforeAll(async () => {
    env = await createTestEnv();
    process.env.JUSTICE_REGISTER_DROP_DIR = path.join(root, 'drop');
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '2';
    ctx = await createTestAppContext(env);
    worker = await startWorker(ctx, { queues: ['connector-sync'] });
  });

  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
    await env?.cleanup();
    process.env = saved;
    rmSync(root, { recursive: true, force: true });
  });

  it('reads the settled files now and the one still being written in a sync queued for when it has settled', async () => {
    const dir = path.join(root, 'drop');
    const drop = await writeJusticeRegisterDrop({ dir, seed: 31, count: 40, tag: 'settled' });
    for (const f of drop.files) utimesSync(f.path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const later = await writeJusticeRegisterDrop({ dir: path.join(root, 'src'), seed: 32, count: 40, tag: 'copying' });
    const copying = later.files.find((f) => f.kind === 'birth')!;
    writeFileSync(path.join(dir, path.basename(copying.path)), readFileSync(copying.path)); // modified now

    const { runId } = await ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });
    const runs = () => ctx.sql.query<{ id: string; status: string; requested_by: string; files_ingested: number; files_waiting: number }>(
      'SELECT id, status, requested_by, files_ingested, files_waiting FROM connector_run ORDER BY id');
    await waitFor(async () => (await runs()).some((r) => r.id === runId && r.status === 'SUCCEEDED'), 30_000, 'the requested sync');
    expect((await runs()).find((r) => r.id === runId)).toMatchObject({ files_ingested: drop.files.length, files_waiting: 1 });

    await waitFor(async () => (await runs()).some((r) => r.requested_by === 'files-settling' && r.status === 'SUCCEEDED'), 30_000, 'the follow-up sync');
    const all = await runs();
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ requested_by: 'files-settling', files_ingested: 1, files_waiting: 0 });
  }, 60_000);

  it('also after a run that refused a file, and keeps one such sync per connector however many runs leave files waiting', async () => {
    const dir = path.join(root, 'drop-2');
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '4';
    const later = await writeJusticeRegisterDrop({ dir: path.join(root, 'src-2'), seed: 33, count: 40, tag: 'copying-2' });
    const copying = later.files.find((f) => f.kind === 'birth')!;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'khai-sinh-luu-tru.csv'), { recursive: true }); // an archive folder named like an export: refused
    writeFileSync(path.join(dir, path.basename(copying.path)), readFileSync(copying.path));

    const runs = () => ctx.sql.query<{ id: string; status: string; requested_by: string; files_ingested: number; files_waiting: number }>(
      `SELECT id, status, requested_by, files_ingested, files_waiting FROM connector_run WHERE id > $1 ORDER BY id`, [before]);
    const before = (await ctx.sql.one<{ id: string }>('SELECT max(id) AS id FROM connector_run'))!.id;
    // Two runs while the file is still fresh: both leave it waiting, one follow-up waits.
    for (let i = 0; i < 2; i++) {
      const { runId } = await ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });
      await waitFor(async () => (await runs()).some((r) => r.id === runId && r.status === 'FAILED'), 30_000, 'the requested sync');
      expect((await runs()).find((r) => r.id === runId)).toMatchObject({ files_ingested: 0, files_waiting: 1 });
    }
    expect((await worker.queueClient.queue('connector-sync').getDelayedCount())).toBe(1);

    await waitFor(async () => (await runs()).some((r) => r.requested_by === 'files-settling' && r.status !== 'RUNNING' && r.files_ingested === 1), 30_000, 'the follow-up sync');
    const all = await runs();
    expect(all.map((r) => r.requested_by)).toEqual(['test', 'test', 'files-settling']);
    expect(all[2]).toMatchObject({ status: 'FAILED', files_ingested: 1, files_waiting: 0 }); // the folder is still refused
  }, 60_000);
  it('names the files left waiting by a sync run in the process, and when the first settles (newcomer QA)', async () => {
    // A drop of its own: the one above holds a file refused for good.
    const dir = path.join(root, 'drop3');
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    const later = await writeJusticeRegisterDrop({ dir: path.join(root, 'src3'), seed: 33, count: 20, tag: 'named' });
    const copying = later.files.find((f) => f.kind === 'birth')!;
    const name = path.basename(copying.path);
    mkdirSync(dir);
    writeFileSync(path.join(dir, name), readFileSync(copying.path)); // modified now
    const summary = await ctx.connectors.run('justice-register', { trigger: 'CLI' });
    expect(summary).toMatchObject({ status: 'SUCCEEDED', filesWaiting: 1, waitingFiles: [name] });
    expect(summary.settlesInMs).toBeGreaterThan(0);
    expect(summary.settlesInMs).toBeLessThanOrEqual(5_000); // settleSeconds 2, counted in whole seconds
  }, 60_000);
});
