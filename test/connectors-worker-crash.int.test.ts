import { utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { waitFor } from './support/jobs-test-context.js';
import { workerTestBed } from './support/worker-processes.js';

/**
 * A worker process running a connector-sync job is killed with SIGKILL mid-file, and so is the next one;
 * a third worker takes the stalled job over (after WORKER_LOCK_MS), resumes the same run from its last
 * stored batch, and finishes with every row stored exactly once.
 */
describe('connector sync survives kill -9 of its worker', () => {
  const bed = workerTestBed('childhub-crash-');
  const startWorker = () => bed.workers.start();
  const count = async (sql: string, params: unknown[] = []) => Number((await bed.ctx.sql.one<{ n: string }>(sql, params))!.n);

  it('resumes the killed worker\'s run elsewhere with every row stored once', async () => {
    const drop = await writeJusticeRegisterDrop({ dir: bed.workers.env.JUSTICE_REGISTER_DROP_DIR!, seed: 7, count: 1, rows: 40_000, tag: 'crash' });
    const rows = drop.files.reduce((n, f) => n + f.rows, 0);
    // The small adoption register is the older file, so it is read (and ingested) before the big one.
    const old = new Date(Date.now() - 600_000);
    for (const f of drop.files) if (f.kind !== 'birth') utimesSync(f.path, old, old);
    const { runId } = await bed.ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });

    const first = startWorker();
    await waitFor(async () => (await count('SELECT batches::text AS n FROM connector_run WHERE id = $1', [runId])) >= 2, 90_000, 'two stored batches');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await bed.ctx.sql.one<{ status: string; batches: number }>('SELECT status, batches FROM connector_run WHERE id = $1', [runId]);
    expect(atKill!.status).toBe('RUNNING');

    // The job stalls a second time: the next worker is killed too once it has stored a batch more. (BullMQ
    // allows one stall by default; the second failed the job for good and left the run RUNNING for ever.)
    const second = startWorker();
    await waitFor(async () => (await count('SELECT batches::text AS n FROM connector_run WHERE id = $1', [runId])) > atKill!.batches, 90_000, 'a batch more');
    second.kill('SIGKILL');
    await new Promise((r) => second.once('exit', r));

    const third = startWorker();
    await waitFor(async () => {
      const r = await bed.ctx.sql.one<{ status: string }>('SELECT status FROM connector_run WHERE id = $1', [runId]);
      return r!.status === 'SUCCEEDED' || r!.status === 'FAILED';
    }, 120_000, 'the run to finish on the third worker');
    third.kill('SIGTERM');

    const run = await bed.ctx.sql.one<{ status: string; resumed: number; inserted: number; updated: number; unchanged: number; rejected: number; files_ingested: number; files_skipped: number }>(
      'SELECT status, resumed, inserted, updated, unchanged, rejected, files_ingested, files_skipped FROM connector_run WHERE id = $1', [runId]);
    // Each resumption lists the drop again: a file the run ingested before its worker was killed is no
    // skipped file (QA: a resumed run counted 8 skipped files of 5).
    expect(run).toMatchObject({ status: 'SUCCEEDED', rejected: 0, unchanged: 0, files_ingested: drop.files.length, files_skipped: 0 });
    expect(run!.resumed).toBeGreaterThanOrEqual(2);
    // Counters are committed with their batches, so the run's totals count every row exactly once.
    expect(run!.inserted + run!.updated).toBe(rows);
    expect(await count(`SELECT count(*)::text AS n FROM source_record WHERE source_system = 'justice-register'`)).toBe(rows);
    expect(await count('SELECT count(*)::text AS n FROM birth_registration')).toBe(drop.files.find((f) => f.kind === 'birth')!.rows);
    expect(await count('SELECT count(*)::text AS n FROM ingested_file')).toBe(drop.files.length);
  }, 240_000);

  it('ends a run the queue gave up (its job stalled too often) as interrupted, unless a sync of the connector holds it', async () => {
    const { runId } = await bed.ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });
    await bed.ctx.sql.query(`UPDATE connector_run SET status = 'RUNNING' WHERE id = $1`, [runId]);
    const gaveUp = new Error('job stalled more than allowable limit');
    // A sync of the connector runs (its lock is held): it adopts or closes the run itself.
    const holder = await bed.ctx.sql.pool.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtextextended('connector-sync:justice-register', 0))`);
      expect(await bed.ctx.connectors.abandonRun(runId, gaveUp)).toBe(false);
      await holder.query(`SELECT pg_advisory_unlock_all()`);
    } finally {
      holder.release();
    }
    expect(await bed.ctx.connectors.abandonRun(runId, gaveUp)).toBe(true);
    const run = await bed.ctx.sql.one<{ status: string; error: { code: string; message: string } }>('SELECT status, error FROM connector_run WHERE id = $1', [runId]);
    expect(run).toMatchObject({ status: 'FAILED', error: { code: 'CONNECTOR_RUN_INTERRUPTED', message: expect.stringContaining('job stalled more than allowable limit') } });
    // Once ended, never again.
    expect(await bed.ctx.connectors.abandonRun(runId, gaveUp)).toBe(false);
  });

  it('says why the queue gave a run up: the database out of reach through its attempts is not "its workers stopped" (QA)', async () => {
    const { runId } = await bed.ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });
    await bed.ctx.sql.query(`UPDATE connector_run SET status = 'RUNNING' WHERE id = $1`, [runId]);
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:55711'), { code: 'ECONNREFUSED' });
    expect(await bed.ctx.connectors.abandonRun(runId, down, 5)).toBe(true);
    const run = await bed.ctx.sql.one<{ error: { code: string; message: string } }>('SELECT error FROM connector_run WHERE id = $1', [runId]);
    expect(run!.error).toEqual({
      code: 'CONNECTOR_RUN_INTERRUPTED',
      message: 'the queue gave the sync up after 5 attempts: a service the hub depends on was out of reach (connect ECONNREFUSED 127.0.0.1:55711); the next sync resumes from its checkpoint',
    });
  });
});
