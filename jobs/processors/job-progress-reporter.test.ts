import { describe, expect, it, vi } from 'vitest';
import type { Logger } from 'pino';
import { JobProgressReporter } from './job-progress-reporter.js';

const settle = () => new Promise((r) => setImmediate(r));

describe('JobProgressReporter', () => {
  it('sends the newest progress once the update in flight is taken, and nothing after stop()', async () => {
    const pending: Array<() => void> = [];
    const job = { id: 'j1', updateProgress: vi.fn(() => new Promise<void>((r) => pending.push(r))) };
    const reporter = new JobProgressReporter<{ n: number }>(job, { warn: vi.fn() } as unknown as Logger);
    for (const n of [1, 2, 3, 4]) reporter.report({ n });
    expect(job.updateProgress.mock.calls).toEqual([[{ n: 1 }]]);
    pending.shift()!();
    await settle();
    expect(job.updateProgress.mock.calls).toEqual([[{ n: 1 }], [{ n: 4 }]]);
    reporter.report({ n: 5 });
    reporter.stop();
    pending.shift()!();
    await settle();
    reporter.report({ n: 6 });
    expect(job.updateProgress).toHaveBeenCalledTimes(2);
  });

  it('a failure is logged once, with why, and the next progress is still tried', async () => {
    const warn = vi.fn();
    const job = { id: 'j2', updateProgress: vi.fn(() => Promise.reject(new Error('Missing key for job j2. updateProgress'))) };
    const reporter = new JobProgressReporter<{ n: number }>(job, { warn } as unknown as Logger, { fields: { runId: 'run_1' }, goesOn: 'the sync goes on' });
    for (const n of [1, 2, 3]) {
      reporter.report({ n });
      await settle();
    }
    expect(job.updateProgress).toHaveBeenCalledTimes(3);
    expect(reporter.notReported).toBe('job-gone');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      { runId: 'run_1', jobId: 'j2', reason: 'job-gone', errorType: 'Error', errorMessage: 'Missing key for job j2. updateProgress' },
      'progress is not being reported to the job queue: its job is gone from Redis (removed by an operator, or Redis lost its data: FLUSHALL, a restart without persistence); the sync goes on',
    );
  });

  it('an updateProgress that throws at once is handled as one that rejects', async () => {
    const warn = vi.fn();
    const job = { id: 'j3', updateProgress: vi.fn(() => { throw new Error('boom'); }) };
    const reporter = new JobProgressReporter<{ n: number }>(job, { warn } as unknown as Logger);
    expect(() => reporter.report({ n: 1 })).not.toThrow();
    await settle();
    expect(reporter.notReported).toBe('refused');
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
