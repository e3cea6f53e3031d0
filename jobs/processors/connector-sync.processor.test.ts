import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../../src/app/app-context.js';
import { ConnectorNotFoundError } from '../../src/connectors/definition/connector-not-found.error.js';
import { FileEncodingError } from '../../src/connectors/file/errors/file-encoding.error.js';
import { FileFormatError } from '../../src/connectors/file/errors/file-format.error.js';
import { FileHeaderError } from '../../src/connectors/file/errors/file-header.error.js';
import { SheetNotFoundError } from '../../src/connectors/file/errors/sheet-not-found.error.js';
import { FileChangedError } from '../../src/connectors/file/errors/file-changed.error.js';
import { FilesRefusedError } from '../../src/connectors/sync/files-refused.error.js';
import { SyncAlreadyRunningError } from '../../src/connectors/sync/sync-already-running.error.js';
import { ConnectorCheckpointInvalidError } from '../../src/connectors/http/errors/connector-checkpoint-invalid-error.js';
import { InvalidProjectionError } from '../../src/services/projections/invalid-projection.error.js';
import { ConnectorUpstreamUnavailableError } from '../../src/connectors/http/errors/connector-upstream-unavailable-error.js';
import type { QueueClient } from '../queue-client.js';
import type { RunSummary } from '../../src/connectors/sync/connector-sync.service.js';
import { SYNC_RUNNING_RECHECK_MS, connectorSyncProcessor, dueAt } from './connector-sync.processor.js';
import { WITHHELD_MESSAGE } from './storable-job-error.js';

const RUN_ID = 'run_01J0000000000000000000000A';

/** The processor over a sync service that fails with `error`, and the job it ran (attempt `attemptsMade + 1` of 5). */
function failing(error: Error, attemptsMade = 0) {
  const connectors = {
    runQueued: vi.fn().mockRejectedValue(error), run: vi.fn().mockRejectedValue(error), failQueued: vi.fn().mockResolvedValue(true),
    retryPostponed: vi.fn().mockResolvedValue(false),
  };
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn() };
  const processor = connectorSyncProcessor({ connectors, logger } as unknown as AppContext, { queues: {} as QueueClient });
  const job = { id: 'job-1', data: { runId: RUN_ID }, attemptsMade, opts: { attempts: 5, backoff: { type: 'sync-retry', delay: 15_000 } }, updateProgress: vi.fn(), moveToDelayed: vi.fn().mockResolvedValue(undefined) };
  return { connectors, job, run: (token?: string) => processor(job as unknown as Job<unknown, unknown, string>, token) };
}

describe('connector-sync processor', () => {
  it.each([
    new FileEncodingError('x.csv is not valid UTF-8'),
    new FileHeaderError('x.csv row 1: the header "ma" appears twice'),
    new SheetNotFoundError('x.xlsx: no sheet "Trẻ em"'),
    new FileFormatError('x.dat: cannot tell the format'),
    new FilesRefusedError([{ fileName: 'x.csv', checksum: '0'.repeat(64), code: 'CONNECTOR_FILE_ENCODING', message: 'not UTF-8', storedMessage: 'not UTF-8' }], { filesIngested: 2, fetched: 10 }),
    new ConnectorNotFoundError('nope', ['school']),
    new InvalidProjectionError([{ item: 0, path: 'vaccination[0].status', code: 'NOT_ALLOWED_VALUE', message: 'not one of the allowed values' }]),
    new ConnectorCheckpointInvalidError('The stored checkpoint is not an http reader position', {}),
  ])('fails a job at once on $code, which a retry cannot fix', async (error) => {
    const { run, connectors } = failing(error);
    const thrown = await run().catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    // Kept by BullMQ as the job's failed reason: the code, and the message only when the hub vouches for it (storableJobError).
    expect((thrown as Error).message).toBe(`${error.code}: ${error.messageIsSafe ? error.message : error.storableMessage ?? WITHHELD_MESSAGE}`);
    expect(connectors.failQueued).not.toHaveBeenCalled(); // the sync marks its own run
  });

  it.each([
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
  ])('fails an attempt that could not reach the database to begin as CONNECTOR_DATABASE_UNREACHABLE, and retries it (QA: the raw driver error)', async (error) => {
    const { run, connectors } = failing(error);
    const thrown = await run().then(() => new Error('resolved'), (e: unknown) => e as Error);
    expect(thrown).not.toBeInstanceOf(UnrecoverableError);
    expect(thrown.message).toMatch(/^CONNECTOR_DATABASE_UNREACHABLE: the sync could not reach the database to begin/);
    expect(connectors.retryPostponed).toHaveBeenCalled(); // tried; the attempt that reaches the database records it
  });

  it('keeps no header text of a refused file in what the job stores', async () => {
    const thrown = await failing(new FileHeaderError('x.csv row 1: the header "NGUYỄN VĂN AN" appears twice')).run().then(() => new Error("resolved"), (e: unknown) => e as Error);
    expect(thrown.message).toBe(`CONNECTOR_FILE_HEADERS: ${WITHHELD_MESSAGE}`);
    expect(thrown.stack).not.toContain('NGUY');
  });

  it('does not retry a source that asked to be left alone longer than the connector may wait (Retry-After)', async () => {
    const error = new ConnectorUpstreamUnavailableError('GET /api answered HTTP 429 with Retry-After 3600 s, longer than retry.maxDelayMs (30 s) allows a sync to wait', { retryAfterMs: 3_600_000 });
    const thrown = await failing(error).run().then(() => new Error("resolved"), (e: unknown) => e as Error);
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect(thrown.message).toBe(`CONNECTOR_UPSTREAM_UNAVAILABLE: ${error.message}`);
  });

  it('retries what a later attempt can fix, and on the last attempt ends a run that never started', async () => {
    for (const error of [new FileChangedError('x.csv changed while it was being read')]) {
      const early = failing(error, 0);
      // The queue waits the delay recorded on the run (RETRYING) as when the next attempt is due (no jitter here: 15 s).
      await expect(early.run()).rejects.toMatchObject({ code: error.code, message: `${error.code}: ${error.message}`, retryDelayMs: 15_000 });
      expect(early.connectors.failQueued).not.toHaveBeenCalled();
      // Not claimed by the sync (it never asked): a RETRYING run, if it is one, is told when the next attempt is due.
      expect(early.connectors.retryPostponed).toHaveBeenCalledWith(RUN_ID, 'job-1', 1, error, 15_000);
      const last = failing(error, 4);
      await expect(last.run()).rejects.not.toBeInstanceOf(UnrecoverableError);
      expect(last.connectors.failQueued).toHaveBeenCalledWith(RUN_ID, error, 'job-1', 5);
    }
  });

  it('a queued run behind a running sync of its connector waits for it, delayed a few seconds at a time, using up no attempt', async () => {
    for (const attemptsMade of [0, 4]) {
      const { run, connectors, job } = failing(new SyncAlreadyRunningError('justice-register'), attemptsMade);
      const before = Date.now();
      await expect(run('tok')).rejects.toBeInstanceOf(DelayedError);
      // Bounded: a sync stuck for hours makes the run look again every few seconds, not spin.
      expect(job.moveToDelayed).toHaveBeenCalledTimes(1);
      const [until, token] = job.moveToDelayed.mock.calls[0]!;
      expect(token).toBe('tok');
      expect(until).toBeGreaterThanOrEqual(before + SYNC_RUNNING_RECHECK_MS);
      expect(SYNC_RUNNING_RECHECK_MS).toBeGreaterThanOrEqual(1_000);
      expect(SYNC_RUNNING_RECHECK_MS).toBeLessThanOrEqual(10_000);
      // Not even on what was the job's last attempt: the run stays QUEUED.
      expect(connectors.failQueued).not.toHaveBeenCalled();
    }
  });

  it('queues a sync for when the files a run left waiting have settled, once per run, and none when nothing waits', async () => {
    const summary = (over: Partial<RunSummary>): RunSummary => ({
      runId: RUN_ID, connector: 'justice-register', status: 'SUCCEEDED', resumed: false, durationMs: 5, batches: 1, fetched: 10, inserted: 10,
      updated: 0, unchanged: 0, rejected: 0, filesIngested: 1, filesSkipped: 0, filesWaiting: 0, repeatedIds: 0, ...over,
    });
    const queues = { add: vi.fn().mockResolvedValue({}) };
    const connectors = { run: vi.fn(), runQueued: vi.fn() };
    const processor = connectorSyncProcessor({ connectors, logger: { info: vi.fn() } } as unknown as AppContext, { queues: queues as unknown as QueueClient });
    const job = (data: unknown) => ({ data, attemptsMade: 0, opts: { attempts: 5 }, updateProgress: vi.fn() }) as unknown as Job<unknown, unknown, string>;

    connectors.runQueued.mockResolvedValueOnce(summary({ filesWaiting: 2, settlesInMs: 41_000 }));
    await processor(job({ runId: RUN_ID }));
    expect(queues.add).toHaveBeenCalledWith('connector-sync', {
      data: { connector: 'justice-register', reason: 'files-settling' }, delay: 43_000, deduplicationId: 'settled-justice-register',
    });

    // The follow-up itself runs as a scheduled sync that says why it ran.
    connectors.run.mockResolvedValueOnce(summary({}));
    await processor(job({ connector: 'justice-register', reason: 'files-settling' }));
    expect(connectors.run).toHaveBeenCalledWith('justice-register', { trigger: 'SCHEDULE', requestedBy: 'files-settling' }, expect.anything());
    expect(queues.add).toHaveBeenCalledTimes(1);

    // A run that refused a file still queues the sync for the files it left waiting, and fails as it did.
    const refused = new FilesRefusedError(
      [{ fileName: 'x.csv', code: 'CONNECTOR_FILE_NOT_A_FILE', message: 'x.csv is a directory', storedMessage: 'x.csv is a directory' }],
      { filesIngested: 1, fetched: 10, filesWaiting: 1 }, { connector: 'justice-register', settlesInMs: 5_000 },
    );
    connectors.runQueued.mockRejectedValueOnce(refused);
    await expect(processor(job({ runId: RUN_ID }))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(queues.add).toHaveBeenLastCalledWith('connector-sync', {
      data: { connector: 'justice-register', reason: 'files-settling' }, delay: 7_000, deduplicationId: 'settled-justice-register',
    });
  });

  it('a full-read schedule runs a forced read of the whole source, and waits for a running sync instead of skipping (removals.fullReadSchedule)', async () => {
    const connectors = { run: vi.fn(), runQueued: vi.fn(), fullReadOwed: vi.fn().mockResolvedValue(false) };
    const logger = { debug: vi.fn(), info: vi.fn() };
    const processor = connectorSyncProcessor({ connectors, logger } as unknown as AppContext, { queues: {} as QueueClient });
    const job = (data: unknown) => ({
      data, timestamp: 1_700_000_000_000, attemptsMade: 0, opts: { attempts: 5 }, updateProgress: vi.fn(), moveToDelayed: vi.fn().mockResolvedValue(undefined),
    });

    connectors.run.mockResolvedValueOnce({ status: 'SUCCEEDED', filesWaiting: 0 });
    await processor(job({ connector: 'school', reason: 'full-read' }) as unknown as Job<unknown, unknown, string>);
    expect(connectors.run).toHaveBeenCalledWith('school', { trigger: 'SCHEDULE', requestedBy: 'full-read', force: true }, expect.objectContaining({ scheduledAt: 1_700_000_000_000 }));

    // The incremental schedule reads the changes, unless the last scheduled full read failed: then it reads the whole source.
    connectors.run.mockResolvedValue({ status: 'SUCCEEDED', filesWaiting: 0 });
    await processor(job({ connector: 'school' }) as unknown as Job<unknown, unknown, string>);
    expect(connectors.run).toHaveBeenLastCalledWith('school', { trigger: 'SCHEDULE', requestedBy: 'schedule' }, expect.anything());
    connectors.fullReadOwed.mockResolvedValueOnce(true);
    await processor(job({ connector: 'school' }) as unknown as Job<unknown, unknown, string>);
    expect(connectors.run).toHaveBeenLastCalledWith('school', { trigger: 'SCHEDULE', requestedBy: 'full-read', force: true }, expect.anything());
    expect(connectors.fullReadOwed).toHaveBeenCalledWith('school');

    // Behind a running sync: the incremental schedule's job is a no-op (the next one reads the changes), the full read waits.
    connectors.run.mockRejectedValue(new SyncAlreadyRunningError('school'));
    const incremental = job({ connector: 'school' });
    await expect(processor(incremental as unknown as Job<unknown, unknown, string>)).resolves.toMatchObject({ status: 'SKIPPED' });
    expect(incremental.moveToDelayed).not.toHaveBeenCalled();
    // Logged: a slot skipped is told from a schedule that never fired (QA).
    expect(logger.info).toHaveBeenLastCalledWith(expect.objectContaining({ connector: 'school', code: 'CONNECTOR_SYNC_RUNNING' }), expect.stringContaining('scheduled sync skipped'));
    const full = job({ connector: 'school', reason: 'full-read' });
    const before = Date.now();
    await expect(processor(full as unknown as Job<unknown, unknown, string>, 'tok')).rejects.toBeInstanceOf(DelayedError);
    expect(full.moveToDelayed).toHaveBeenCalledWith(expect.any(Number), 'tok');
    expect(full.moveToDelayed.mock.calls[0]![0]).toBeGreaterThanOrEqual(before + SYNC_RUNNING_RECHECK_MS);
  });

  describe('progress reported on the job', () => {
    const counts = (batches: number) => ({ runId: RUN_ID, connector: 'justice-register', batches, fetched: batches * 10, inserted: batches * 10, updated: 0, unchanged: 0, rejected: 0 });
    /** The processor over a sync of `batches` batches, reporting progress after each, as the service does (awaiting onProgress). */
    const syncing = (updateProgress: () => Promise<void>, batches = 3, outcome: 'SUCCEEDED' | Error = 'SUCCEEDED') => {
      const connectors = {
        runQueued: vi.fn(async (_runId: string, opts: { onProgress: (p: ReturnType<typeof counts>) => Promise<void> | void }) => {
          for (let b = 1; b <= batches; b++) {
            await opts.onProgress(counts(b));
            await new Promise((r) => setImmediate(r)); // the next batch's work
          }
          if (outcome instanceof Error) throw outcome;
          return { runId: RUN_ID, connector: 'justice-register', status: outcome, filesWaiting: 0 };
        }),
        failQueued: vi.fn().mockResolvedValue(false),
      };
      const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn() };
      const job = { id: 'connector-sync-1', data: { runId: RUN_ID }, attemptsMade: 0, opts: { attempts: 5 }, updateProgress: vi.fn(updateProgress) };
      const processor = connectorSyncProcessor({ connectors, logger } as unknown as AppContext, { queues: {} as QueueClient });
      return { logger, job, run: () => processor(job as unknown as Job<unknown, unknown, string>) };
    };

    it('a job removed from Redis mid-sync (FLUSHALL, an operator) does not fail the sync: one warning, and the run\'s own outcome stands (QA)', async () => {
      const gone = () => Promise.reject(new Error('Missing key for job connector-sync-1. updateProgress'));
      const { run, logger, job } = syncing(gone, 4);
      await expect(run()).resolves.toMatchObject({ runId: RUN_ID, status: 'SUCCEEDED' });
      expect(job.updateProgress).toHaveBeenCalled();
      const warned = logger.warn.mock.calls.map(([fields, msg]) => ({ fields, msg: String(msg) }));
      expect(warned).toEqual([
        {
          fields: expect.objectContaining({ runId: RUN_ID, jobId: 'connector-sync-1', reason: 'job-gone' }),
          msg: expect.stringMatching(/^progress is not being reported to the job queue: its job is gone from Redis .*; the sync goes on/),
        },
        {
          fields: expect.objectContaining({ runId: RUN_ID, jobId: 'connector-sync-1' }),
          msg: expect.stringMatching(new RegExp(`^the sync's job was removed from the queue while it ran: run ${RUN_ID} ended SUCCEEDED`)),
        },
      ]);
    });

    it('a failed sync whose job is gone still fails as it did, and says that it is not retried', async () => {
      const gone = () => Promise.reject(new Error('Missing key for job connector-sync-1. updateProgress'));
      const { run, logger } = syncing(gone, 2, new FileChangedError('x.csv changed while it was being read'));
      await expect(run()).rejects.toMatchObject({ code: 'CONNECTOR_FILE_CHANGED' });
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect(String(logger.warn.mock.calls[1]![1])).toMatch(/ended FAILED, as PostgreSQL records it, and is not retried/);
    });

    it('Redis unreachable: said once, as such', async () => {
      const down = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
      const { run, logger } = syncing(down, 3);
      await expect(run()).resolves.toMatchObject({ status: 'SUCCEEDED' });
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0]![0]).toMatchObject({ reason: 'redis-unreachable' });
      expect(String(logger.warn.mock.calls[0]![1])).toMatch(/^progress is not being reported to the job queue: Redis is unreachable;/);
    });

    it('a Redis that does not answer does not stall the sync: one update in flight, the rest not piled up behind it', async () => {
      const hanging = () => new Promise<void>(() => undefined);
      const { run, job, logger } = syncing(hanging, 50);
      await expect(run()).resolves.toMatchObject({ status: 'SUCCEEDED' });
      expect(job.updateProgress).toHaveBeenCalledTimes(1);
      expect(logger.warn).not.toHaveBeenCalled();
    });

  });

  it('a scheduled job is due at its slot (opts.prevMillis), not when it was created, which is about when the previous slot ran (QA)', () => {
    // As BullMQ 5's job scheduler makes the 04:46 job of "* * * * *": created as the 04:45 slot started.
    const slot = Date.UTC(2026, 11, 5, 4, 46);
    expect(dueAt({ timestamp: slot - 59_944, opts: { delay: 59_944, prevMillis: slot } as never })).toBe(slot);
    // A job queued with a delay (files settling): due when the delay ends.
    expect(dueAt({ timestamp: 1_000, opts: { delay: 43_000 } })).toBe(44_000);
    expect(dueAt({ timestamp: 1_000, opts: {} })).toBe(1_000);
  });
});
