import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../src/app/app-context.js';
import { parseConfig, PROJECT_ROOT } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import { startPopulationDbSimulator, type PopulationDbSimulator } from '../src/population-db/simulator/population-db.simulator.js';
import { recordOf, registryEnv, SIM_COUNT, SIM_CREDENTIALS, SIM_SEED, truthChildren, waitFor } from './support/identity-hub.js';
import { tempDir } from './support/temp-dir.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/** A worker process killed with SIGKILL mid-run loses no reconciliation and records no result twice. */
describe('identity reconciliation survives kill -9 of a worker', () => {
  let env: TestEnv;
  let sim: PopulationDbSimulator;
  let ctx: AppContext;
  let workerEnv: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    // Latency keeps calls in flight when the worker dies.
    sim = await startPopulationDbSimulator({
      seed: SIM_SEED, count: SIM_COUNT, quotaPerSecond: 60, latencyMs: { min: 20, max: 60 }, credentials: SIM_CREDENTIALS,
      logger: createLogger({ level: 'silent' }),
    });
    const settings = {
      NODE_ENV: 'test', DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, QUEUE_PREFIX: env.queuePrefix,
      ...registryEnv(sim.url, { POPULATION_DB_QUOTA: '60' }), WORKER_LOCK_MS: '1500', WORKER_CONCURRENCY: '4',
      LOG_LEVEL: 'warn', CHILDHUB_HOME: tempDir('childhub-crash-'),
    };
    workerEnv = { ...process.env, ...settings };
    ctx = await createAppContext({ config: parseConfig(settings), logger: createLogger({ level: 'silent' }), databaseUrl: env.databaseUrl, redisUrl: env.redisUrl });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await ctx?.close();
    await sim?.close();
    await env?.cleanup();
  });

  const startWorkerProcess = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--queues', 'identity-reconcile'], {
      cwd: PROJECT_ROOT, env: workerEnv, stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    return child;
  };
  const checks = async () => Number((await ctx.sql.one<{ n: string }>(`SELECT count(*) AS n FROM identity_check`))!.n);

  it('resumes the killed worker\'s jobs elsewhere and records each child once', async () => {
    const kids = truthChildren((c) => !c.abandoned && c.identityNumber !== null, 240);
    const ingested = await ctx.ingest.ingest(kids.map((k) => recordOf(k, 'CRASH')));
    const ids = ingested.childrenToRecompute;
    expect(ids).toHaveLength(240);
    // Building the new children enqueues their reconciliation (one request each, through the outbox). A
    // second request per child, as this test once added by hand, is a second check: racing the assertions below.
    await ctx.goldenRecords.recompute(ids);
    const requested = await ctx.sql.query<{ id: string }>(
      `SELECT i.id FROM outbox o, LATERAL jsonb_array_elements_text(coalesce(o.payload->'ids', jsonb_build_array(o.aggregate_id))) AS i(id)
        WHERE o.topic = 'identity.reconcile'`);
    expect(requested.map((r) => r.id).sort()).toEqual([...ids].sort());

    const first = startWorkerProcess();
    await waitFor('some results', async () => (await checks()) >= 40, 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await checks();
    expect(atKill).toBeLessThan(240);

    const second = startWorkerProcess();
    await waitFor('every child reconciled', async () =>
      Number((await ctx.sql.one<{ n: string }>(`SELECT count(DISTINCT child_id) AS n FROM identity_check WHERE child_id = ANY($1::text[])`, [ids]))!.n) === 240, 90_000);

    const perChild = await ctx.sql.query<{ n: string }>(`SELECT count(*) AS n FROM identity_check WHERE child_id = ANY($1::text[]) GROUP BY child_id`, [ids]);
    expect(perChild.every((r) => r.n === '1')).toBe(true);
    expect(await ctx.sql.one(`SELECT count(*)::int AS n FROM child WHERE id = ANY($1::text[]) AND identity_status = 'VERIFIED'`, [ids])).toEqual({ n: 240 });
    expect(sim.stats().rateLimited).toBe(0);

    second.kill('SIGTERM');
    expect(await new Promise((r) => second.once('exit', (code) => r(code)))).toBe(0);
  }, 180_000);
});
