import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../src/app/app-context.js';
import { newId } from '../src/db/ids.js';
import { Sql } from '../src/db/sql.js';
import { createLogger } from '../src/observability/logger.js';
import { OUTBOX_TOPICS, writeOutbox } from '../src/services/outbox/outbox.writer.js';
import { createTestEnv, type TestEnv } from '../test/support/test-env.js';
import { createTestAppContext, waitFor } from '../test/support/jobs-test-context.js';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
import { QueueClient } from './queue-client.js';
import type { GoldenRecordJobData } from './queues.js';

let env: TestEnv;
let ctx: AppContext;
let client: QueueClient;
const relays: OutboxRelay[] = [];
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  env = await createTestEnv();
  ctx = await createTestAppContext(env);
  client = new QueueClient({ redisUrl: env.redisUrl, prefix: env.queuePrefix });
});

afterEach(async () => {
  for (const r of relays.splice(0)) await r.stop();
  await client.queue('golden-record').obliterate({ force: true });
  await ctx.sql.query(`DELETE FROM outbox`);
});

afterAll(async () => {
  await client?.close();
  await ctx?.close();
  await env?.cleanup();
});

function relay(opts: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  const r = new OutboxRelay({ sql: ctx.sql, databaseUrl: env.databaseUrl, queues: client, logger, listen: false, ...opts });
  relays.push(r);
  return r;
}

/** One outbox row per child (as a change to one child writes). */
async function writeRows(childIds: string[]): Promise<void> {
  await ctx.sql.tx(async (c) => {
    for (const id of childIds) await writeOutbox(c, OUTBOX_TOPICS.goldenRecordRecompute, [id]);
  });
}

/** The children of a whole batch in one call: grouped rows of up to a hundred ids. */
async function writeGrouped(topic: (typeof OUTBOX_TOPICS)[keyof typeof OUTBOX_TOPICS], childIds: string[]): Promise<void> {
  await ctx.sql.tx((c) => writeOutbox(c, topic, childIds));
}

async function queuedJobs() {
  return client.queue('golden-record').getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
}

/** Runs the transaction's work and then rolls back, as a process killed before COMMIT would. */
class CrashBeforeCommitSql extends Sql {
  override async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await fn(c);
      await c.query('ROLLBACK');
      throw new Error('crashed before commit');
    } finally {
      c.release();
    }
  }
}

describe('OutboxRelay', () => {
  it('relays every row exactly once with two relays running concurrently, coalescing into batches', async () => {
    const children = Array.from({ length: 800 }, () => newId('child'));
    // 1000 rows: every child once, 200 of them twice (changed again by a later transaction).
    await writeRows(children.slice(0, 500));
    await writeRows(children.slice(0, 200));
    await writeRows(children.slice(500));

    const a = relay({ batchSize: 37 });
    const b = relay({ batchSize: 41 });
    const [na, nb] = await Promise.all([a.drain(), b.drain()]);
    expect(na + nb).toBe(1000);
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);

    const rows = await ctx.sql.query<{ relayed: boolean; attempts: number }>(`SELECT relayed_at IS NOT NULL AS relayed, attempts FROM outbox`);
    expect(rows).toHaveLength(1000);
    // One successful relay transaction per row: attempts counts them.
    expect(rows.every((r) => r.relayed && r.attempts === 1)).toBe(true);

    const jobs = await queuedJobs();
    const ids = jobs.flatMap((j) => (j.data as GoldenRecordJobData).childIds);
    expect(new Set(ids)).toEqual(new Set(children));
    expect(jobs.every((j) => (j.data as GoldenRecordJobData).childIds.length <= 500)).toBe(true);
    // Coalesced: far fewer jobs than rows, and no child twice within one job.
    expect(jobs.length).toBeLessThan(100);
    expect(jobs.every((j) => new Set((j.data as GoldenRecordJobData).childIds).size === (j.data as GoldenRecordJobData).childIds.length)).toBe(true);
    expect(jobs.every((j) => !String(j.id).includes(':'))).toBe(true);
  });

  it('does not duplicate jobs when a relay dies after adding them but before committing', async () => {
    const children = Array.from({ length: 5 }, () => newId('child'));
    await writeRows(children);

    const crashing = new OutboxRelay({ sql: new CrashBeforeCommitSql(ctx.sql.pool), databaseUrl: env.databaseUrl, queues: client, logger, listen: false });
    await expect(crashing.relayOnce()).rejects.toThrow('crashed before commit');
    expect(await queuedJobs()).toHaveLength(1);
    const pending = await ctx.sql.query<{ attempts: number }>(`SELECT attempts FROM outbox WHERE relayed_at IS NULL`);
    expect(pending).toHaveLength(5);

    const result = await relay().relayOnce();
    expect(result).toEqual({ rows: 5, ids: 5, jobs: 1, rejected: 0, more: false });
    const jobs = await queuedJobs();
    expect(jobs).toHaveLength(1);
    expect((jobs[0]!.data as GoldenRecordJobData).childIds).toEqual(children);
    expect((await client.counts())['golden-record'].waiting).toBe(1);
  });

  it('keeps rows pending with attempts and last_error when jobs cannot be added, and relays them later', async () => {
    await writeRows([newId('child'), newId('child')]);
    class DownQueueClient extends QueueClient {
      override async addBulk(): Promise<never> {
        throw new Error('Connection is closed.');
      }
    }
    const down = new DownQueueClient({ redisUrl: env.redisUrl, prefix: env.queuePrefix });
    try {
      await expect(relay({ queues: down }).relayOnce()).rejects.toThrow('Connection is closed.');
    } finally {
      await down.close();
    }
    const rows = await ctx.sql.query<{ attempts: number; last_error: string | null; relayed_at: Date | null }>(
      `SELECT attempts, last_error, relayed_at FROM outbox`,
    );
    expect(rows.every((r) => r.attempts === 1 && r.last_error === 'Connection is closed.' && r.relayed_at === null)).toBe(true);

    expect(await relay().drain()).toBe(2);
    expect(await queuedJobs()).toHaveLength(1);
  });

  it('finishes rows whose aggregate id does not fit the job data, without blocking the others', async () => {
    const good = newId('child');
    await ctx.sql.tx(async (c) => {
      await writeOutbox(c, OUTBOX_TOPICS.goldenRecordRecompute, ['not-a-child-id']);
      await writeOutbox(c, OUTBOX_TOPICS.goldenRecordRecompute, [good]);
    });
    expect(await relay().relayOnce()).toEqual({ rows: 2, ids: 2, jobs: 1, rejected: 1, more: false });
    const bad = await ctx.sql.one<{ last_error: string; relayed: boolean }>(
      `SELECT last_error, relayed_at IS NOT NULL AS relayed FROM outbox WHERE aggregate_id = 'not-a-child-id'`,
    );
    expect(bad).toEqual({ last_error: expect.stringMatching(/^rejected:/), relayed: true });
    const jobs = await queuedJobs();
    expect((jobs[0]!.data as GoldenRecordJobData).childIds).toEqual([good]);
  });

  it('deletes rows relayed longer ago than the retention, never a pending row nor a still-queued sync run\'s (QA: relayed rows were kept for ever)', async () => {
    const [old, recent, pending] = [newId('child'), newId('child'), newId('child')];
    await writeRows([old, recent, pending]);
    await ctx.sql.query(`INSERT INTO connector (id, name, kind, source_system, definition, definition_hash) VALUES ('con_prune', 'prune', 'file', 'justice-register', '{}', 'x')`);
    await ctx.sql.query(`INSERT INTO connector_run (id, connector_id, trigger, status) VALUES ('run_queued', 'con_prune', 'SCHEDULE', 'QUEUED'), ('run_done', 'con_prune', 'SCHEDULE', 'SUCCEEDED')`);
    await ctx.sql.tx(async (c) => {
      await writeOutbox(c, OUTBOX_TOPICS.connectorSync, ['run_queued']);
      await writeOutbox(c, OUTBOX_TOPICS.connectorSync, ['run_done']);
    });
    await ctx.sql.query(`UPDATE outbox SET relayed_at = now() - interval '8 days' WHERE aggregate_id IN ($1, 'run_queued', 'run_done')`, [old]);
    await ctx.sql.query(`UPDATE outbox SET relayed_at = now() - interval '6 days' WHERE aggregate_id = $1`, [recent]);
    // A row never relayed is kept whatever its age.
    await ctx.sql.query(`UPDATE outbox SET created_at = now() - interval '30 days' WHERE aggregate_id = $1`, [pending]);
    const left = async () => (await ctx.sql.query<{ aggregate_id: string }>(`SELECT aggregate_id FROM outbox ORDER BY id`)).map((r) => r.aggregate_id);

    expect(await relay({ retentionDays: 0 }).prune()).toBe(0);
    expect(await left()).toHaveLength(5);
    const r = relay({ retentionDays: 7 });
    expect(await r.prune()).toBe(2);
    expect(await left()).toEqual([recent, pending, 'run_queued']);
    expect(await r.prune()).toBe(0);

    // The relay prunes on its own at start.
    await ctx.sql.query(`UPDATE outbox SET relayed_at = now() - interval '8 days' WHERE aggregate_id = $1`, [recent]);
    await relay({ retentionDays: 7 }).start();
    await waitFor(async () => !(await left()).includes(recent), 5_000, 'the started relay pruned');
  });

  it('groups a batch of ids into rows of a hundred and splits them into jobs of the queue\'s size, once', async () => {
    // golden-record jobs take 500 children: 1,250 ids make rows of 100 and three jobs (500, 500, 250).
    const children = Array.from({ length: 1250 }, () => newId('child'));
    await writeGrouped(OUTBOX_TOPICS.goldenRecordRecompute, children);
    const rows = await ctx.sql.query<{ n: number }>(`SELECT jsonb_array_length(payload->'ids') AS n FROM outbox ORDER BY id`);
    expect(rows.map((r) => r.n)).toEqual(Array(13).fill(100).slice(0, 12).concat([50]));

    // A relay that dies before committing, then a healthy one: the same job ids, so no job twice.
    const crashing = new OutboxRelay({ sql: new CrashBeforeCommitSql(ctx.sql.pool), databaseUrl: env.databaseUrl, queues: client, logger, listen: false });
    await expect(crashing.relayOnce()).rejects.toThrow('crashed before commit');
    expect(await relay().relayOnce()).toEqual({ rows: 13, ids: 1250, jobs: 3, rejected: 0, more: false });
    const jobs = await queuedJobs();
    expect(jobs).toHaveLength(3);
    expect(jobs.map((j) => (j.data as GoldenRecordJobData).childIds.length).sort()).toEqual([250, 500, 500]);
    expect(jobs.flatMap((j) => (j.data as GoldenRecordJobData).childIds).sort()).toEqual([...children].sort());

    // identity-reconcile jobs take ten children: a row of a hundred becomes ten jobs.
    const identity = client.queue('identity-reconcile');
    try {
      const more = Array.from({ length: 100 }, () => newId('child'));
      await writeGrouped(OUTBOX_TOPICS.identityReconcile, more);
      expect(await relay().relayOnce()).toMatchObject({ rows: 1, ids: 100, jobs: 10 });
      const split = await identity.getJobs(['waiting']);
      expect(split).toHaveLength(10);
      expect(new Set(split.map((j) => j.id)).size).toBe(10);
      expect(split.flatMap((j) => (j.data as { childIds: string[] }).childIds).sort()).toEqual([...more].sort());
    } finally {
      await identity.obliterate({ force: true });
    }
  });

  it('wakes on NOTIFY without waiting for the poll', async () => {
    const r = relay({ listen: true, pollMs: 60_000 });
    await r.start();
    await writeRows([newId('child')]);
    await waitFor(async () => (await r.pending()) === 0, 5_000, 'relay after NOTIFY');
    expect(await queuedJobs()).toHaveLength(1);
  });

  it('polls when no notification arrives, and stop() waits for the batch in flight', async () => {
    const r = relay({ listen: false, pollMs: 50 });
    await r.start();
    await writeRows([newId('child'), newId('child')]);
    await waitFor(async () => (await r.pending()) === 0, 5_000, 'relay by polling');
    await r.stop();
    await writeRows([newId('child')]);
    await new Promise((res) => setTimeout(res, 200));
    expect(await r.pending()).toBe(1);
  });
});
