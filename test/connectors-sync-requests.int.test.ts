import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { createTestAppContext } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * Asking for a sync again and again (`connectors sync`, `syncConnector`) queues one run per connector, not one per
 * request: the runs would only read the whole source one after another. No worker runs here, so queued runs stay QUEUED.
 */
describe('requests for a sync of a connector', () => {
  let env: TestEnv;
  let ctx: AppContext;
  const saved = { ...process.env };

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'childhub-sync-requests-'));
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
