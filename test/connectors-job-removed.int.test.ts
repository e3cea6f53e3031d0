import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { connectorSyncProcessor } from '../jobs/processors/connector-sync.processor.js';
import { PROCESSORS } from '../jobs/processors/index.js';
import { startWorker } from '../jobs/worker.js';
import type { AppContext } from '../src/app/app-context.js';
import { createLogger } from '../src/observability/logger.js';
import { createTestAppContext, waitFor } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { tempDir } from './support/temp-dir.js';

/**
 * A running sync's job removed from Redis (FLUSHALL, a Redis restarted without persistence, an operator removing
 * it): the sync's exclusivity is its PostgreSQL lock and its progress is in its run row, so it goes on and its run
 * ends as the sync did (QA: it failed `CONNECTOR_SYNC_FAILED: Missing key for job … updateProgress`, not retried).
 */
describe('a running sync whose job is removed from Redis', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let redis: Redis;
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const saved = { ...process.env };
  let rows = 0;

  beforeAll(async () => {
    const dir = tempDir('childhub-job-removed-');
    // Chunks of 2,000 rows (chunkRows): progress is reported after each.
    const drop = await writeJusticeRegisterDrop({ dir, seed: 73, count: 1, rows: 6_000, tag: 'removed' });
    rows = drop.files.reduce((n, f) => n + f.rows, 0);
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0'; // written just now, and whole
    env = await createTestEnv();
    ctx = await createTestAppContext(env, {}, createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } }));
    redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    redis?.disconnect();
    await ctx?.close();
    await env?.cleanup();
    process.env = saved;
  });

  it('goes on, its run ends SUCCEEDED with every record, and the worker says why progress is not reported, once', async () => {
    let removed = 0;
    const worker = await startWorker(ctx, {
      queues: ['connector-sync'],
      processors: {
        ...PROCESSORS,
        // The real processor; as the sync reports its first batch, everything of this test's queues is removed from
        // Redis (FLUSHALL, kept to this file's prefix: other test files share the server).
        'connector-sync': (c, deps) => {
          const processor = connectorSyncProcessor(c, deps);
          return async (job, token, signal) => {
            const update = job.updateProgress.bind(job);
            job.updateProgress = async (progress) => {
              if (removed++ === 0) {
                const keys = await redis.keys(`${env.queuePrefix}:*`);
                if (keys.length) await redis.del(...keys);
              }
              return update(progress);
            };
            return processor(job, token, signal);
          };
        },
      },
    });
    try {
      const { runId } = await ctx.connectors.requestSync('justice-register', { trigger: 'API', requestedBy: 'test' });
      const run = async () => (await ctx.sql.one<{ status: string; batches: number; inserted: number; error: unknown }>(
        'SELECT status, batches, inserted, error FROM connector_run WHERE id = $1', [runId]))!;
      await waitFor(async () => !['QUEUED', 'RUNNING'].includes((await run()).status), 60_000, 'the run to end');
      // The worker's attempt to record the job's end (it is gone) comes after: the run must stay as the sync ended it.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(removed).toBeGreaterThanOrEqual(3);
      expect(await run()).toEqual({ status: 'SUCCEEDED', batches: expect.any(Number), inserted: rows, error: null });
      if (process.env.SHOW_LOG) console.log(lines.filter((l) => l.level >= 40));
      const warned = lines.filter((l) => l.level === 40).map((l) => l.msg);
      expect(warned.filter((m) => m.startsWith('progress is not being reported to the job queue: its job is gone from Redis'))).toHaveLength(1);
      expect(warned.filter((m) => m.startsWith(`the sync's job was removed from the queue while it ran: run ${runId} ended SUCCEEDED`))).toHaveLength(1);
      // The queue's own complaints (it could not record the end of a job it no longer has) are told once, plainly,
      // not as BullMQ's "Missing key for job …" worker errors.
      expect(warned.filter((m) => m.startsWith('job gone from the queue while it ran (removed, or Redis lost its data)'))).toHaveLength(1);
      expect(lines.filter((l) => l.msg === 'worker error')).toEqual([]);
      // Not failed, retried or given up by the queue.
      expect(lines.map((l) => l.msg).filter((m) => /^job failed|^sync given up|^connector sync failed/.test(m))).toEqual([]);
    } finally {
      await worker.close();
    }
  }, 120_000);
});
