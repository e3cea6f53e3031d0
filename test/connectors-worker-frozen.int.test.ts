import { spawn } from 'node:child_process';
import { utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { createTestAppContext, waitFor } from './support/jobs-test-context.js';
import { workerTestBed } from './support/worker-processes.js';

/**
 * A worker frozen mid-sync (SIGSTOP: a paused host, a process stopped in a debugger) keeps its connections, so
 * its connector's lock and the transaction it had open: the run stayed RUNNING and every sync of the connector
 * waited for it for ever (QA). Another worker's watchdog finds the run silent, closes the frozen process's
 * connections, and the run resumes there from its checkpoint; the frozen worker, woken, stores nothing more
 * and leaves the run as the other finished it.
 */
describe('connector sync outlives a frozen worker', () => {
  const bed = workerTestBed('childhub-frozen-', { CONNECTOR_STALL_MS: '3000' });
  const startWorker = () => bed.workers.start();
  const run = (runId: string) => bed.ctx.sql.one<{ status: string; batches: number; resumed: number; inserted: number; updated: number; rejected: number; lock_app: string | null; error: unknown }>(
    'SELECT status, batches, resumed, inserted, updated, rejected, lock_app, error FROM connector_run WHERE id = $1', [runId]);
  const count = async (sql: string) => Number((await bed.ctx.sql.one<{ n: string }>(sql))!.n);

  it('closes the frozen process\'s connections, resumes the run elsewhere, and keeps the frozen one from marking it when it wakes', async () => {
    const drop = await writeJusticeRegisterDrop({ dir: bed.workers.env.JUSTICE_REGISTER_DROP_DIR!, seed: 11, count: 1, rows: 40_000, tag: 'frozen' });
    const rows = drop.files.reduce((n, f) => n + f.rows, 0);
    const old = new Date(Date.now() - 600_000);
    for (const f of drop.files) if (f.kind !== 'birth') utimesSync(f.path, old, old);
    const { runId } = await bed.ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });

    const frozen = startWorker();
    await waitFor(async () => (await run(runId))!.batches >= 2, 90_000, 'two stored batches');
    frozen.kill('SIGSTOP');
    const atFreeze = (await run(runId))!;
    expect(atFreeze.status).toBe('RUNNING');
    const frozenApp = atFreeze.lock_app!;
    expect(frozenApp).toMatch(/^childhub \d+-[0-9a-f]{8}$/);
    // Frozen, it still holds the lock: nothing but the watchdog would end that.
    expect(await count(`SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = '${frozenApp}'`)).toBeGreaterThan(0);

    const other = startWorker();
    await waitFor(async () => {
      const r = (await run(runId))!;
      return r.status === 'SUCCEEDED' || r.status === 'FAILED';
    }, 120_000, 'the run to finish on the other worker');
    const done = (await run(runId))!;
    expect(done).toMatchObject({ status: 'SUCCEEDED', rejected: 0, error: null });
    expect(done.lock_app).not.toBe(frozenApp);
    expect(done.resumed).toBeGreaterThanOrEqual(1);
    expect(done.inserted + done.updated).toBe(rows);
    expect(await count(`SELECT count(*)::text AS n FROM source_record WHERE source_system = 'justice-register'`)).toBe(rows);
    expect(await count('SELECT count(*)::text AS n FROM birth_registration')).toBe(drop.files.find((f) => f.kind === 'birth')!.rows);
    // Its connections were closed (the pool may have opened none since: it is still frozen).
    expect(await count(`SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = '${frozenApp}'`)).toBe(0);

    // Woken, the frozen worker finds its lock lost: it stores nothing more and leaves the run as it is.
    frozen.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await run(runId)).toMatchObject({ status: 'SUCCEEDED', error: null, inserted: done.inserted, updated: done.updated, batches: done.batches });
    expect(await count(`SELECT count(*)::text AS n FROM source_record WHERE source_system = 'justice-register'`)).toBe(rows);
    other.kill('SIGTERM');
    frozen.kill('SIGTERM');
  }, 240_000);

  it('leaves alone a sync that beats however long it runs, and a run whose process died (its job comes back by itself)', async () => {
    // A margin CI under load keeps (a beat every 500 ms), on a sync lasting several times the stall.
    const watcher = await createTestAppContext(bed.env, { CONNECTOR_STALL_MS: '3000' });
    try {
      const dir = path.join(bed.root, 'drop-2');
      await writeJusticeRegisterDrop({ dir, seed: 12, count: 1, rows: 100_000, tag: 'alive' });
      const spawnedAt = Date.now();
      const sync = bed.workers.track(spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'connectors', 'sync', 'justice-register', '--in-process'], {
        cwd: PROJECT_ROOT, env: { ...bed.workers.env, JUSTICE_REGISTER_DROP_DIR: dir }, stdio: 'ignore',
      }));
      const exited = new Promise<number | null>((r) => sync.once('exit', (code) => r(code)));
      let ended = false;
      void exited.then(() => { ended = true; });
      // Beating every 500 ms, it is never taken for stuck, looked at every 50 ms for as long as it runs.
      const cut: string[] = [];
      while (!ended) {
        cut.push(...await watcher.connectors.endStalledRuns());
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await exited).toBe(0);
      expect(cut).toEqual([]);
      const last = await bed.ctx.sql.one<{ id: string; status: string }>(`SELECT id, status FROM connector_run ORDER BY id DESC LIMIT 1`);
      expect(last!.status).toBe('SUCCEEDED');

      // A run whose process died holds no lock: its job is given out again by the queue, not the watchdog's to end.
      const { runId } = await bed.ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });
      await bed.ctx.sql.query(`UPDATE connector_run SET status = 'RUNNING', lock_pid = 1, lock_app = 'childhub 1-00000000', heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [runId]);
      expect(await watcher.connectors.endStalledRuns()).toEqual([]);
      expect((await run(runId))!.status).toBe('RUNNING');
      await bed.ctx.sql.query(`UPDATE connector_run SET status = 'FAILED', finished_at = now() WHERE id = $1`, [runId]);
    } finally {
      await watcher.close();
    }
  }, 240_000);
});
