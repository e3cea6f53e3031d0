import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { Worker } from 'bullmq';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watch } from './worker.js';

describe('watch (a worker\'s logging)', () => {
  afterEach(() => vi.useRealTimers());

  it('logs a worker error repeated every second once per 10 s for the whole process, with how many were held back (QA: Redis refusing writes flooded the log)', () => {
    vi.useFakeTimers({ now: 0 });
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
    const worker = new EventEmitter();
    const other = new EventEmitter();
    watch(worker as unknown as Worker<unknown, unknown, string>, 'connector-sync', logger);
    watch(other as unknown as Worker<unknown, unknown, string>, 'golden-record', logger);
    const readonly = (line: number) => new Error(`READONLY You can't write against a read only replica. script: 6c4c0f2a9b, on @user_script:${line}.`);
    for (let s = 0; s < 25; s++) {
      // Every queue's worker meets it, each at another line of BullMQ's scripts (QA: each logged it, as kinds of its own).
      worker.emit('error', readonly(181));
      other.emit('error', readonly(215 + s));
      if (s === 3) worker.emit('error', new Error('Connection is closed.'));
      vi.advanceTimersByTime(1_000);
    }
    const logged = lines.filter((l) => l.msg === 'worker error');
    expect(logged.map((l) => [l.queue, l.errorMessage, l.heldBack])).toEqual([
      ['connector-sync', "READONLY You can't write against a read only replica. script: 6c4c0f2a9b, on @user_script:181.", undefined],
      ['connector-sync', 'Connection is closed.', undefined],
      ['connector-sync', "READONLY You can't write against a read only replica. script: 6c4c0f2a9b, on @user_script:181.", 19],
      ['connector-sync', "READONLY You can't write against a read only replica. script: 6c4c0f2a9b, on @user_script:181.", 19],
    ]);
  });
});
