import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { Worker } from 'bullmq';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watch } from './worker.js';

describe('watch (a worker\'s logging)', () => {
  afterEach(() => vi.useRealTimers());

  it('logs a worker error repeated every second once per 10 s, with how many were held back (QA: Redis refusing writes flooded the log)', () => {
    vi.useFakeTimers({ now: 0 });
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
    const worker = new EventEmitter();
    watch(worker as unknown as Worker<unknown, unknown, string>, 'connector-sync', logger);
    const readonly = new Error("READONLY You can't write against a read only replica.");
    for (let s = 0; s < 25; s++) {
      worker.emit('error', readonly);
      if (s === 3) worker.emit('error', new Error('Connection is closed.'));
      vi.advanceTimersByTime(1_000);
    }
    const logged = lines.filter((l) => l.msg === 'worker error');
    expect(logged.map((l) => [l.errorMessage, l.heldBack])).toEqual([
      ["READONLY You can't write against a read only replica.", undefined],
      ['Connection is closed.', undefined],
      ["READONLY You can't write against a read only replica.", 9],
      ["READONLY You can't write against a read only replica.", 9],
    ]);
  });
});
