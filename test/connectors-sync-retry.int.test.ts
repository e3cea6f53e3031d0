import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchoolSimulator, type SchoolSimulator } from '../connectors/school/simulator.js';
import { connectorSyncProcessor } from '../jobs/processors/connector-sync.processor.js';
import { PROCESSORS } from '../jobs/processors/index.js';
import { startWorker, type RunningWorker } from '../jobs/worker.js';
import type { AppContext } from '../src/app/app-context.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { createTestAppContext, waitFor } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { tempDir } from './support/temp-dir.js';

interface RunRow {
  status: string;
  error: { code: string; message: string } | null;
  finished_at: Date | null;
  next_attempt_at: Date | null;
  max_attempts: number | null;
  resumed: number;
  failed_attempts: Array<{ attempt: number | null; code: string; message: string; failedAt: string }>;
}

/**
 * A sync whose attempt fails while its job will try again (QA: the run was shown FAILED, `connectors sync` exited 1,
 * and the same run later became SUCCEEDED with its error wiped). The school connector against its simulator, a real
 * worker: the run waits RETRYING, says when its next attempt is due, and ends by its job's last word, keeping its
 * failed attempts.
 */
describe('a connector sync whose job retries it', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let sim: SchoolSimulator;
  let worker: RunningWorker | undefined;
  const saved = { ...process.env };
  /** The school connector's definition the worker reads. */
  let file = '';
  /** The job's settings, set per test (in memory, as the worker reads them: the queue's are minutes of backoff). */
  const jobSettings = { attempts: 5, delayMs: 3_000 };

  beforeAll(async () => {
    sim = await startSchoolSimulator({ seed: 5150, count: 120, port: 0, apiKey: 'test-school-key', pageSize: 50, maxPageSize: 50 });
    // The school connector as it is, but giving up a request after two quick tries: each attempt fails in milliseconds.
    const dir = tempDir('childhub-sync-retry-');
    cpSync(path.join(PROJECT_ROOT, 'connectors', 'school'), path.join(dir, 'school'), { recursive: true });
    file = path.join(dir, 'school', 'connector.yaml');
    const yaml = readFileSync(file, 'utf8');
    const quick = yaml.replace(/retry: \{[^}]*\}/, 'retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 100 }');
    expect(quick).not.toBe(yaml);
    writeFileSync(file, quick);
    process.env.SCHOOL_API_URL = sim.url;
    process.env.SCHOOL_API_KEY = 'test-school-key';
    env = await createTestEnv();
    ctx = await createTestAppContext(env, { CONNECTORS_DIR: dir });
    worker = await start();
  });

  const start = () =>
    startWorker(ctx, {
      queues: ['connector-sync'],
      relay: true,
      processors: {
        ...PROCESSORS,
        'connector-sync': (c, deps) => {
          const processor = connectorSyncProcessor(c, deps);
          return async (job: Job<unknown, unknown, string>, token?: string, signal?: AbortSignal) => {
            job.opts.attempts = jobSettings.attempts;
            job.opts.backoff = { type: 'sync-retry', delay: jobSettings.delayMs, jitter: 0 };
            return processor(job, token, signal);
          };
        },
      },
    });

  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
    await env?.cleanup();
    await sim?.close();
    process.env = saved;
  });

  const run = async (runId: string) => (await ctx.sql.one<RunRow & Record<string, unknown>>(
    'SELECT status, error, finished_at, next_attempt_at, max_attempts, resumed, failed_attempts FROM connector_run WHERE id = $1', [runId]))!;

  it('waits RETRYING (not FAILED) after a failed attempt, then succeeds, keeping the failed attempt', async () => {
    Object.assign(jobSettings, { attempts: 5, delayMs: 3_000 });
    sim.setFaults({ errorRate: 1 });
    const { runId } = await ctx.connectors.requestSync('school', { trigger: 'CLI', requestedBy: 'cli' });
    const failedAt = Date.now();
    await waitFor(async () => (await run(runId)).status !== 'QUEUED' && (await run(runId)).status !== 'RUNNING', 20_000, 'the first attempt to end');
    const retrying = await run(runId);
    expect(retrying).toMatchObject({ status: 'RETRYING', error: null, finished_at: null, max_attempts: 5 });
    expect(retrying.failed_attempts).toEqual([{ attempt: 1, code: 'CONNECTOR_UPSTREAM_UNAVAILABLE', message: expect.stringContaining('HTTP 500'), failedAt: expect.any(String) }]);
    // Due when the queue will run it: the delay the processor drew (no jitter here: 3 s).
    expect(retrying.next_attempt_at!.getTime()).toBeGreaterThan(failedAt + 2_000);
    expect(retrying.next_attempt_at!.getTime()).toBeLessThan(Date.now() + 3_500);

    // One sync per connector: a request while it waits queues a follow-up, which waits for it.
    const followUp = await ctx.connectors.requestSync('school', { trigger: 'API', requestedBy: 'test' });
    expect(followUp.runId).not.toBe(runId);
    // A worker's look for lost runs leaves it: its job waits in the queue for its next attempt.
    expect(await ctx.connectors.failLostRuns()).toEqual([]);
    expect((await run(runId)).status).toBe('RETRYING');

    sim.setFaults({});
    await waitFor(async () => (await run(runId)).status !== 'RETRYING' && (await run(runId)).status !== 'RUNNING', 20_000, 'the retry to end');
    const ended = await run(runId);
    expect(ended).toMatchObject({ status: 'SUCCEEDED', error: null, next_attempt_at: null, resumed: 1 });
    expect(ended.failed_attempts).toEqual(retrying.failed_attempts);
    // The follow-up ran after it, not beside it.
    await waitFor(async () => (await run(followUp.runId)).status === 'SUCCEEDED', 20_000, 'the follow-up to run');
    const times = await ctx.sql.query<{ id: string; started_at: Date; finished_at: Date }>(
      'SELECT id, started_at, finished_at FROM connector_run WHERE id = ANY($1::text[])', [[runId, followUp.runId]]);
    const first = times.find((t) => t.id === runId)!;
    const second = times.find((t) => t.id === followUp.runId)!;
    expect(second.started_at.getTime()).toBeGreaterThanOrEqual(first.finished_at.getTime());
  });

  it('ends FAILED only when its job has no attempt left, with every attempt\'s error', async () => {
    Object.assign(jobSettings, { attempts: 2, delayMs: 500 });
    sim.setFaults({ errorRate: 1 });
    const { runId } = await ctx.connectors.requestSync('school', { trigger: 'CLI', requestedBy: 'cli', force: true });
    const seen = new Set<string>();
    await waitFor(async () => {
      const s = (await run(runId)).status;
      seen.add(s);
      return s === 'FAILED' || s === 'SUCCEEDED';
    }, 30_000, 'the run to end');
    sim.setFaults({});
    const ended = await run(runId);
    expect(seen.has('RETRYING')).toBe(true);
    expect(ended).toMatchObject({ status: 'FAILED', next_attempt_at: null, max_attempts: 2, error: { code: 'CONNECTOR_UPSTREAM_UNAVAILABLE' } });
    expect(ended.failed_attempts.map((a) => [a.attempt, a.code])).toEqual([[1, 'CONNECTOR_UPSTREAM_UNAVAILABLE'], [2, 'CONNECTOR_UPSTREAM_UNAVAILABLE']]);
    expect(ended.finished_at).not.toBeNull();
    // Final: nothing takes it up again.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await run(runId)).status).toBe('FAILED');
  });

  it('a worker stopping mid-sync hands its job back at once: the run waits RETRYING with no failed attempt, and the next worker goes on from the checkpoint (QA: it read through the whole grace and exited 1)', async () => {
    Object.assign(jobSettings, { attempts: 5, delayMs: 3_000 });
    // A request a second: a sync of a few seconds.
    const quick = readFileSync(file, 'utf8');
    writeFileSync(file, quick.replace(/requestsPerSecond: \d+/, 'requestsPerSecond: 1'));
    try {
      const { runId } = await ctx.connectors.requestSync('school', { trigger: 'CLI', requestedBy: 'cli', force: true });
      const fetched = async () => (await ctx.sql.one<{ fetched: number }>('SELECT fetched FROM connector_run WHERE id = $1', [runId]))!.fetched;
      await waitFor(async () => (await run(runId)).status === 'RUNNING' && (await fetched()) >= 50, 20_000, 'the sync to store its first page');
      const stopping = Date.now();
      await worker!.close();
      worker = undefined;
      expect(Date.now() - stopping).toBeLessThan(10_000);
      const handed = await run(runId);
      expect(handed).toMatchObject({ status: 'RETRYING', error: null, failed_attempts: [], finished_at: null, resumed: 0 });
      const storedBefore = await fetched();
      expect(storedBefore).toBeLessThan(sim.recordCount);
      worker = await start();
      await waitFor(async () => (await run(runId)).status === 'SUCCEEDED', 20_000, 'the next worker to finish the run');
      expect(await run(runId)).toMatchObject({ status: 'SUCCEEDED', resumed: 1, failed_attempts: [] });
      // Every record read once: the first worker's pages and the rest.
      expect(await fetched()).toBe(sim.recordCount);
    } finally {
      writeFileSync(file, quick);
    }
  });
});

