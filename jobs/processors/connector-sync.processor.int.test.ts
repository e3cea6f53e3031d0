import { UnrecoverableError, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../../src/app/app-context.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestAppContext } from '../../test/support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from '../../test/support/test-env.js';
import type { QueueClient } from '../queue-client.js';
import { connectorSyncProcessor } from './connector-sync.processor.js';

/** A queued sync as the worker runs it, over a real database: what the run, the job and the log say of a failure. */
describe('connector-sync processor, queued run', () => {
  let env: TestEnv;
  let ctx: AppContext;
  const lines: string[] = [];
  const saved = process.env.SCHOOL_API_KEY;

  beforeAll(async () => {
    // Set in the shell that queued the sync, perhaps, but not here, where the worker runs it.
    delete process.env.SCHOOL_API_KEY;
    env = await createTestEnv();
    ctx = await createTestAppContext(env, {}, createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } }));
  });
  afterAll(async () => {
    if (saved !== undefined) process.env.SCHOOL_API_KEY = saved;
    await ctx?.close();
    await env?.cleanup();
  });

  it('a secret missing from the worker\'s environment says so, in the run, the job and a log line without a stack', async () => {
    const { runId } = await ctx.connectors.requestSync('school', { trigger: 'CLI', requestedBy: 'cli' });
    const job = { data: { runId }, attemptsMade: 0, opts: { attempts: 5 }, updateProgress: vi.fn() } as unknown as Job<unknown, unknown, string>;
    const thrown = await connectorSyncProcessor(ctx, { queues: {} as QueueClient })(job).then(() => new Error('resolved'), (e: unknown) => e as Error);

    const told = "connector school: http.auth.value needs the environment variable SCHOOL_API_KEY, which is not set in the worker's environment "
      + '(the process that runs the sync: set it where the worker is started, then restart the worker)';
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect(thrown.message).toBe(`CONNECTOR_SECRET_MISSING: ${told}`);
    // What `connectors sync` (queued) prints, and GraphQL's ConnectorRun.error.
    const run = await ctx.sql.one<{ status: string; error: unknown }>('SELECT status, error FROM connector_run WHERE id = $1', [runId]);
    expect(run).toEqual({ status: 'FAILED', error: { code: 'CONNECTOR_SECRET_MISSING', message: told } });
    // An expected outcome: logged with its code and message, no stack.
    const failed = lines.map((l) => JSON.parse(l) as { msg: string; err?: Record<string, unknown> }).filter((l) => l.msg.startsWith('connector sync failed'));
    expect(failed).toEqual([expect.objectContaining({ err: { type: 'MissingSettingError', code: 'CONNECTOR_SECRET_MISSING', message: told } })]);
  });

  it('a queued run of a connector the worker\'s directory lacks says where the worker looked and what to do (QA: a bare CONNECTOR_NOT_FOUND)', async () => {
    const { runId } = await ctx.connectors.requestSync('school', { trigger: 'CLI', requestedBy: 'cli' });
    // Asked for by a process whose CONNECTORS_DIR defines it; the worker reads another.
    await ctx.sql.query(`UPDATE connector SET name = 'school-elsewhere' WHERE id = (SELECT connector_id FROM connector_run WHERE id = $1)`, [runId]);
    try {
      const job = { data: { runId }, attemptsMade: 0, opts: { attempts: 5 }, updateProgress: vi.fn() } as unknown as Job<unknown, unknown, string>;
      const thrown = await connectorSyncProcessor(ctx, { queues: {} as QueueClient })(job).then(() => new Error('resolved'), (e: unknown) => e as Error);
      expect(thrown).toBeInstanceOf(UnrecoverableError);
      const run = await ctx.sql.one<{ status: string; error: { code: string; message: string } }>('SELECT status, error FROM connector_run WHERE id = $1', [runId]);
      expect(run!.status).toBe('FAILED');
      expect(run!.error.code).toBe('CONNECTOR_NOT_FOUND');
      expect(run!.error.message).toMatch(new RegExp(`^no connector named "school-elsewhere" in the worker's connectors directory, ${ctx.connectors.catalog.dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(known: .*school.*\\): `
        + 'removed since it was asked for, or defined in another directory \\(CONNECTORS_DIR\\) than the worker\'s: sync it where it is defined with `connectors sync school-elsewhere --in-process`, or start the worker with that CONNECTORS_DIR$'));
    } finally {
      await ctx.sql.query(`UPDATE connector SET name = 'school' WHERE name = 'school-elsewhere'`);
    }
  });

  it('run in the asking process (--in-process), the message names no other environment', async () => {
    await expect(ctx.connectors.run('school', { trigger: 'CLI' })).rejects.toThrow(
      /^connector school: http\.auth\.value needs the environment variable SCHOOL_API_KEY, which is not set$/,
    );
  });
});
