import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../src/app/app-context.js';
import { createLogger } from '../src/observability/logger.js';
import type { CallResult, PopulationDbClient, VerifyOutcome } from '../src/population-db/population-db.client.js';
import { RegistryConfigurationError } from '../src/population-db/registry-errors.js';
import { IdentityReconciler } from '../src/services/identity/identity-reconciler.js';
import { QUEUE_NAMES } from '../jobs/queues.js';
import { startWorker, type RunningWorker } from '../jobs/worker.js';
import { waitFor } from './support/identity-hub.js';
import { registryEnv } from './support/identity-hub.js';
import { createTestAppContext } from './support/jobs-test-context.js';
import { aRecord } from './support/records.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * Two worker processes' worth of workers on one database and Redis (real BullMQ): one whose registry setup the
 * population database refuses (HTTP 401, a wrong secret), one set up right. The refused one stops taking identity jobs
 * after its first refusal, so the other takes them and the jobs keep their attempts (QA: the refused worker took the
 * retries first, 84 refused calls for 100 checks).
 */
describe('a worker whose registry setup is refused stops taking identity jobs for a while', () => {
  let env: TestEnv;
  let bad: AppContext;
  let good: AppContext;
  let mended: AppContext | undefined;
  const workers: RunningWorker[] = [];
  const refused: string[] = [];
  const answered: string[] = [];
  const lines: Array<Record<string, unknown>> = [];

  /** A context whose reconciler's registry answers with `verify`; no quota (every call let through). */
  const contextWith = async (verify: (childId: string) => Promise<VerifyOutcome>, logger?: pino.Logger, pauseMs = 60_000): Promise<AppContext> => {
    const base = await createTestAppContext(env, registryEnv('http://127.0.0.1:9/ws', { REGISTRY_REFUSED_PAUSE_MS: String(pauseMs) }), logger);
    const registry = {
      verifyCitizen: async (_q, callCtx): Promise<CallResult<VerifyOutcome>> => ({ requestId: randomUUID(), latencyMs: 1, outcome: await verify(callCtx.childId!) }),
    } as PopulationDbClient;
    const quota = { acquire: async () => {}, settle: async () => {}, penalize: async () => {} };
    return { ...base, identity: { reconciler: new IdentityReconciler(base.sql, registry, quota, base.config, createLogger({ level: 'silent' })), queue: base.identity!.queue } };
  };

  beforeAll(async () => {
    env = await createTestEnv();
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); done(); } });
    bad = await contextWith(async (childId) => {
      refused.push(childId);
      throw new RegistryConfigurationError('Population database refused XacThucThongTinCongDan with HTTP 401 (configuration error: check POPULATION_DB_USERNAME, POPULATION_DB_SECRET and the clock)', {});
    }, pino({ level: 'info' }, sink));
    good = await contextWith(async (childId) => {
      answered.push(childId);
      return { kind: 'MATCH', citizen: null };
    });
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    for (const name of QUEUE_NAMES) await good?.identity?.queue.queue(name).obliterate({ force: true });
    await bad?.close();
    await good?.close();
    await mended?.close();
    await env?.cleanup();
  });

  const children = async (n: number, tag: string) => {
    const records = Array.from({ length: n }, (_, i) => aRecord({ identityNumber: `0013160${tag}${String(i).padStart(4, '0')}`, fullName: `Nguyễn Thị Lan ${tag}${i}` }));
    const ingested = await good.ingest.ingest(records);
    await good.goldenRecords.recompute(ingested.childrenToRecompute);
    return ingested.childrenToRecompute;
  };
  const verified = async (ids: string[]) => (await good.sql.one<{ n: number }>(
    `SELECT count(*)::int AS n FROM child WHERE id = ANY($1) AND identity_status = 'VERIFIED'`, [ids]))!.n;

  it('leaves the jobs to the worker set up right after one refused call, and says why', async () => {
    const queue = good.identity!.queue;
    const first = await children(1, '1');
    const rest = await children(30, '2');

    // The refused worker alone: its first job is refused, and it stops taking jobs.
    workers.push(await startWorker(bad, { queues: ['identity-reconcile'], relay: false }));
    await queue.add('identity-reconcile', { data: { childIds: first } });
    await waitFor('the first refusal', async () => refused.length > 0, 15_000);
    await waitFor('the pause said', async () => lines.some((l) => l.pauseMs === 60_000), 5_000);
    const said = lines.find((l) => l.pauseMs === 60_000)!;
    expect(said).toMatchObject({ level: 50, queues: ['identity-reconcile'], errorMessage: expect.stringContaining('POPULATION_DB_SECRET') });
    expect(said.msg).toContain('takes no identity job for 60 s');

    // Jobs come while it is paused; the worker set up right starts and takes them all, the first one's retry too.
    for (let i = 0; i < rest.length; i += 5) await queue.add('identity-reconcile', { data: { childIds: rest.slice(i, i + 5) } });
    await new Promise((r) => setTimeout(r, 500));
    expect(refused).toHaveLength(1);
    workers.push(await startWorker(good, { queues: ['identity-reconcile'], relay: false }));
    await waitFor('every child verified', async () => (await verified([...first, ...rest])) === 31, 30_000);
    expect(refused).toHaveLength(1);
    expect(new Set(answered)).toEqual(new Set([...first, ...rest]));
    const failedForGood = await queue.queue('identity-reconcile').getJobCounts('failed');
    expect(failedForGood.failed).toBe(0);
    for (const w of workers.splice(0)) await w.close();
  });

  it('alone, tries again after each pause, each one longer, and takes its jobs once the setup is mended', async () => {
    let secretMended = false;
    const calls: Array<{ at: number; refused: boolean }> = [];
    const pauses: number[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.includes('"pauseMs"')) pauses.push((JSON.parse(l) as { pauseMs: number }).pauseMs);
      done();
    } });
    mended = await contextWith(async () => {
      calls.push({ at: Date.now(), refused: !secretMended });
      if (!secretMended) throw new RegistryConfigurationError('Population database refused XacThucThongTinCongDan with HTTP 401 (configuration error: check POPULATION_DB_SECRET)', {});
      return { kind: 'MATCH', citizen: null };
    }, pino({ level: 'info' }, sink), 300);
    const ids = await children(1, '3');
    workers.push(await startWorker(mended, { queues: ['identity-reconcile'], relay: false }));
    await mended.identity!.queue.add('identity-reconcile', { data: { childIds: ids } });
    // Refused, paused 300 ms; the job's retry (after its backoff) refused again, paused 600 ms.
    await waitFor('two refusals', async () => pauses.length >= 2, 20_000);
    expect(pauses.slice(0, 2)).toEqual([300, 600]);
    secretMended = true;
    await waitFor('the child verified', async () => (await verified(ids)) === 1, 30_000);
    expect(calls.filter((c) => c.refused).length).toBeGreaterThanOrEqual(2);
    expect(calls.at(-1)!.refused).toBe(false);
    expect((await mended.identity!.queue.queue('identity-reconcile').getJobCounts('failed')).failed).toBe(0);
  });
});
