import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { OutboxRelay } from '../jobs/outbox-relay.js';
import { connectorSyncProcessor } from '../jobs/processors/connector-sync.processor.js';
import { PROCESSORS } from '../jobs/processors/index.js';
import { QueueClient } from '../jobs/queue-client.js';
import { jobOptionsFor } from '../jobs/queues.js';
import { startWorker } from '../jobs/worker.js';
import type { AppContext } from '../src/app/app-context.js';
import { createTestAppContext, waitFor } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { tempDir } from './support/temp-dir.js';

/**
 * Asking for a sync again and again (`connectors sync`, `syncConnector`) queues one run per connector, not one per
 * request: the runs would only read the whole source one after another. No worker runs here, so queued runs stay QUEUED.
 */
describe('requests for a sync of a connector', () => {
  let env: TestEnv;
  let ctx: AppContext;
  const saved = { ...process.env };

  beforeAll(async () => {
    const dir = tempDir('childhub-sync-requests-');
    await writeJusticeRegisterDrop({ dir, seed: 91, count: 60 });
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0'; // written just now, and whole
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
  });

  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
    process.env = saved;
  });

  const request = () => ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });
  const queued = () => ctx.sql.query<{ id: string }>(
    `SELECT r.id FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE c.name = 'justice-register' AND r.status = 'QUEUED' ORDER BY r.id`);
  const messages = (runId: string) => ctx.sql.query(`SELECT 1 FROM outbox WHERE topic = 'connector.sync' AND aggregate_id = $1`, [runId]);

  it('requests at the same moment queue one run, with one job message, and all get it', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, request));
    const ids = new Set(answers.map((a) => a.runId));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => !a.alreadyQueued)).toHaveLength(1);
    const [runId] = ids;
    expect(await queued()).toEqual([{ id: runId }]);
    expect(await messages(runId!)).toHaveLength(1);
    // Later too, while it has not started.
    expect(await request()).toMatchObject({ runId, alreadyQueued: true });
    // Other options are other work: --file, --force.
    const forced = await ctx.connectors.requestSync('justice-register', { trigger: 'CLI', force: true });
    expect(forced).toMatchObject({ alreadyQueued: false });
    expect(forced.runId).not.toBe(runId);
    expect(await ctx.connectors.requestSync('justice-register', { trigger: 'CLI', force: true })).toMatchObject({ runId: forced.runId, alreadyQueued: true });
    await ctx.sql.query(`DELETE FROM outbox WHERE aggregate_id = $1`, [forced.runId]);
    await ctx.sql.query(`DELETE FROM connector_run WHERE id = $1`, [forced.runId]);
  });

  it('while the queued run runs, requests queue one follow-up, and only one', async () => {
    const [{ id: first }] = (await queued()) as [{ id: string }];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let running!: () => void;
    const started = new Promise<void>((r) => (running = r));
    // The run stops after its first stored batch until the requests below are answered: RUNNING, its pages being read.
    const run = ctx.connectors.runQueued(first, {
      onProgress: async () => {
        running();
        await held;
      },
    });
    await started;
    expect(await ctx.sql.one(`SELECT status FROM connector_run WHERE id = $1`, [first])).toEqual({ status: 'RUNNING' });
    const answers = await Promise.all(Array.from({ length: 8 }, request));
    release();
    expect(await run).toMatchObject({ runId: first, status: 'SUCCEEDED' });
    const ids = new Set(answers.map((a) => a.runId));
    expect(ids.size).toBe(1);
    const [followUp] = ids;
    expect(followUp).not.toBe(first);
    expect(await queued()).toEqual([{ id: followUp }]);
    expect(await messages(followUp!)).toHaveLength(1);
  });
});

/**
 * A queued run whose job the queue lost (a Redis without persistence restarted, a crash, a job removed) would
 * never start: a request must not get it back, and run history must not show it queued for ever.
 */
describe('queued runs whose job was lost', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let queues: QueueClient;
  let relay: OutboxRelay;
  const saved = { ...process.env };

  beforeAll(async () => {
    const dir = tempDir('childhub-sync-lost-');
    await writeJusticeRegisterDrop({ dir, seed: 92, count: 20 });
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0';
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
    queues = new QueueClient({ redisUrl: env.redisUrl, prefix: env.queuePrefix });
    relay = new OutboxRelay({ sql: ctx.sql, databaseUrl: env.databaseUrl, queues, logger: ctx.logger, listen: false });
  });

  afterAll(async () => {
    await queues?.close();
    await ctx?.close();
    await env?.cleanup();
    process.env = saved;
  });

  type Req = { force?: boolean; files?: string[] };
  const request = (r: Req = {}) => ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test', ...r });
  const run = (id: string) => ctx.sql.one<{ status: string; error: { code: string; message: string } | null }>(`SELECT status, error FROM connector_run WHERE id = $1`, [id]);
  const queued = async () => (await ctx.sql.query<{ id: string }>(`SELECT id FROM connector_run WHERE status = 'QUEUED' ORDER BY id`)).map((r) => r.id);
  /** What a Redis restarted without persistence holds: no job at all. */
  const loseJobs = () => queues.queue('connector-sync').obliterate({ force: true });

  it('a request fails the lost run (CONNECTOR_RUN_LOST) and queues a new one; a run whose job is live, or not yet relayed, is still returned', async () => {
    const first = await request();
    expect(first.alreadyQueued).toBe(false);
    // Not relayed yet: alive, though the queue holds no job for it (the relay will add it).
    await loseJobs();
    expect(await request()).toMatchObject({ runId: first.runId, alreadyQueued: true });
    // Relayed, its job waiting (no worker here): alive.
    expect(await relay.drain()).toBe(1);
    expect(await queues.queue('connector-sync').getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    expect(await request()).toMatchObject({ runId: first.runId, alreadyQueued: true });

    await loseJobs();
    const second = await request();
    expect(second.alreadyQueued).toBe(false);
    expect(second.runId).not.toBe(first.runId);
    expect(await run(first.runId)).toEqual({
      status: 'FAILED',
      error: { code: 'CONNECTOR_RUN_LOST', message: expect.stringContaining(`its queued job was lost before it started`) },
    });
    expect((await run(first.runId))!.error!.message).toContain(`run ${second.runId} was queued in its place`);
    expect(await queued()).toEqual([second.runId]);
    expect(await ctx.sql.query(`SELECT 1 FROM outbox WHERE aggregate_id = $1`, [second.runId])).toHaveLength(1);

    // Its job lost too, requests at the same moment: one new run, the lost one failed once.
    await relay.drain();
    await loseJobs();
    const answers = await Promise.all(Array.from({ length: 8 }, () => request()));
    const ids = new Set(answers.map((a) => a.runId));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => !a.alreadyQueued)).toHaveLength(1);
    expect(ids.has(second.runId)).toBe(false);
    expect(await run(second.runId)).toMatchObject({ status: 'FAILED', error: { code: 'CONNECTOR_RUN_LOST' } });
    expect(await queued()).toEqual([...ids]);
    // A job removed alone (not the whole queue) is lost as well.
    await relay.drain();
    const [third] = ids;
    const [job] = await queues.queue('connector-sync').getJobs(['waiting']);
    expect(job!.data).toEqual({ runId: third });
    await job!.remove();
    const fourth = await request();
    expect(fourth.alreadyQueued).toBe(false);
    expect(await run(third!)).toMatchObject({ status: 'FAILED', error: { code: 'CONNECTOR_RUN_LOST' } });
    await ctx.connectors.failQueued(fourth.runId, new Error('cleared for the next test'));
  });

  it('a running worker fails a queued run whose job Redis lost while it ran, at its next look (QA re-check: QUEUED, and followed, until the next request)', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const own = await createTestAppContext(env, { CONNECTORS_RELOAD_MS: '100' });
    const worker = await startWorker(own, { queues: ['connector-sync'], processors: { ...PROCESSORS, 'connector-sync': () => async () => held }, relay: false });
    try {
      const lost = await request();
      await relay.drain();
      await waitFor(async () => (await queued()).includes(lost.runId), 5_000, 'the run queued');
      await loseJobs();
      await waitFor(async () => (await run(lost.runId))?.status === 'FAILED', 10_000, 'the lost run failed by the running worker');
      expect(await run(lost.runId)).toMatchObject({ error: { code: 'CONNECTOR_RUN_LOST' } });
    } finally {
      release();
      await worker.close();
      await own.close();
    }
  });

  it('fails a RUNNING run whose process stopped and whose job the queue lost; not one whose job it still holds, nor one a sync of its connector holds (QA: RUNNING for ever)', async () => {
    const a = await request();
    await relay.drain();
    const job = (await queues.queue('connector-sync').getJobs(['waiting', 'delayed', 'prioritized'])).find((j) => (j.data as { runId?: string }).runId === a.runId);
    expect(job).toBeDefined();
    // Its worker claimed it, then was killed: its beats stopped ten minutes ago.
    await ctx.sql.query(
      `UPDATE connector_run SET status = 'RUNNING', started_at = now() - interval '10 minutes', heartbeat_at = now() - interval '10 minutes', job_id = $2 WHERE id = $1`,
      [a.runId, String(job!.id)]);
    // Its job is still in the queue, which gives it out again: the run resumes from its checkpoint.
    expect(await ctx.connectors.failLostRuns()).toEqual([]);
    expect((await run(a.runId))!.status).toBe('RUNNING');
    await loseJobs();
    // A sync of the connector holds its lock: that sync adopts or closes the run itself.
    const holder = await ctx.sql.pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', ['connector-sync:justice-register']);
      expect(await ctx.connectors.failLostRuns()).toEqual([]);
      expect((await run(a.runId))!.status).toBe('RUNNING');
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()');
      holder.release();
    }
    expect(await ctx.connectors.failLostRuns()).toEqual([a.runId]);
    expect(await run(a.runId)).toEqual({
      status: 'FAILED',
      error: { code: 'CONNECTOR_RUN_LOST', message: expect.stringMatching(/^its process stopped and its job was lost .*; the next sync resumes from its checkpoint$/) },
    });
  });

  it('a starting worker fails the queued runs whose job was lost, and leaves those that will still run', async () => {
    const lost = await request();
    await relay.drain();
    await loseJobs();
    const live = await request({ files: ['/nowhere/khai-sinh.csv'] });
    await relay.drain();
    const unrelayed = await request({ force: true });
    expect([lost, live, unrelayed].map((r) => r.alreadyQueued)).toEqual([false, false, false]);

    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The worker takes the live run's job and holds it active (the sync itself is not what is tested); no relay, so the
    // unrelayed run's message stays pending.
    const worker = await startWorker(ctx, {
      queues: ['connector-sync'],
      processors: { ...PROCESSORS, 'connector-sync': () => async () => held },
      relay: false,
    });
    try {
      expect(await run(lost.runId)).toEqual({
        status: 'FAILED',
        error: { code: 'CONNECTOR_RUN_LOST', message: expect.stringContaining('request the sync again') },
      });
      expect(await queued()).toEqual([live.runId, unrelayed.runId].sort());
    } finally {
      release();
      await worker.close();
    }
  });
});

/**
 * The follow-up a request queues while a sync of the connector runs waits for that sync however long it runs: its job
 * is put back (delayed) rather than retried, so it does not use up its attempts and fail the run CONNECTOR_SYNC_RUNNING
 * (QA: a school sync slowed by its source's Retry-After outlasted the five attempts, about two minutes).
 */
describe('a follow-up queued behind a running sync', () => {
  let env: TestEnv;
  let ctx: AppContext;
  const saved = { ...process.env };

  beforeAll(async () => {
    const dir = tempDir('childhub-sync-follow-up-');
    await writeJusticeRegisterDrop({ dir, seed: 93, count: 60 });
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0';
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
  });

  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
    process.env = saved;
  });

  it('waits, QUEUED, through more tries than its job has attempts, and runs once the running sync ends', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let running!: () => void;
    const started = new Promise<void>((r) => (running = r));
    // A sync of the connector held RUNNING after its first stored batch (here in this process, as with --in-process).
    const holder = ctx.connectors.run('justice-register', { trigger: 'CLI' }, {
      onProgress: async () => {
        running();
        await held;
      },
    });
    await started;
    const followUp = await ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });
    expect(followUp.alreadyQueued).toBe(false);

    const attempts = jobOptionsFor('connector-sync').attempts!;
    let tries = 0;
    const worker = await startWorker(ctx, {
      queues: ['connector-sync'],
      processors: {
        ...PROCESSORS,
        // The real processor, looking again every 20 ms instead of every few seconds, its tries of the follow-up counted.
        'connector-sync': (c, deps) => {
          const processor = connectorSyncProcessor(c, deps, { syncRunningRecheckMs: 20 });
          return async (job, token, signal) => {
            if ((job.data as { runId?: string }).runId === followUp.runId) tries += 1;
            return processor(job, token, signal);
          };
        },
      },
    });
    const status = async () => (await ctx.sql.one<{ status: string; error: unknown }>(`SELECT status, error FROM connector_run WHERE id = $1`, [followUp.runId]))!;
    try {
      await waitFor(async () => tries > attempts + 2 || (await status()).status !== 'QUEUED', 30_000, 'the follow-up to be tried more often than its job has attempts');
      expect(await status()).toEqual({ status: 'QUEUED', error: null });
      // Its job still in the queue (delayed between looks): a request still gets it back rather than a run of its own.
      expect(await ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' })).toMatchObject({ runId: followUp.runId, alreadyQueued: true });
      release();
      expect(await holder).toMatchObject({ status: 'SUCCEEDED' });
      await waitFor(async () => (await status()).status !== 'QUEUED' && (await status()).status !== 'RUNNING', 30_000, 'the follow-up to finish');
      expect(await status()).toEqual({ status: 'SUCCEEDED', error: null });
    } finally {
      release();
      await holder.catch(() => undefined);
      await worker.close();
    }
  });
});
