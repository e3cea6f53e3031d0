import { afterAll, beforeAll, it } from 'vitest';
import type { AppContext } from '../src/app/app-context.js';
import { createTestEnv, type TestEnv } from '../test/support/test-env.js';
import { createTestAppContext, waitFor } from './int-test-context.js';
import { startWorker } from './worker.js';

let env: TestEnv; let ctx: AppContext;
beforeAll(async () => { env = await createTestEnv(); ctx = await createTestAppContext(env, { WORKER_CONCURRENCY: process.env.BENCH_CONC ?? '8', DB_POOL_SIZE: '20' }); });
afterAll(async () => { await ctx.close(); await env.cleanup(); });

it('bench', async () => {
  const N = Number(process.env.BENCH_N ?? 5000);
  const t0 = Date.now();
  for (let b = 0; b < N; b += 1000) {
    const recs = Array.from({ length: Math.min(1000, N - b) }, (_, i) => {
      const k = b + i;
      return { sourceSystem: 'health-station', externalId: `HS-${k}`, raw: { k }, fullName: 'Nguyễn Văn An', sex: 'MALE', birthDate: '2015-03-02', communeCode: '00004', identityNumber: `001215${String(k).padStart(6, '0')}` };
    });
    await ctx.ingest.ingest(recs);
  }
  const t1 = Date.now();
  const w = await startWorker(ctx);
  await waitFor(async () => (await w.relay!.pending()) === 0, 120_000);
  const t2 = Date.now();
  await waitFor(async () => { const c = (await w.queueClient.counts())['golden-record']; return c.waiting + c.active + c.delayed === 0; }, 300_000);
  const t3 = Date.now();
  const c = (await w.queueClient.counts())['golden-record'];
  const n = await ctx.sql.one<{ n: string }>(`SELECT count(*) AS n FROM identity_number`);
  console.log(JSON.stringify({ N, ingestMs: t1 - t0, relayMs: t2 - t1, workMs: t3 - t1, counts: c, identityRows: n?.n, childrenPerSec: Math.round(N / ((t3 - t1) / 1000)) }));
  await w.close();
}, 600_000);
