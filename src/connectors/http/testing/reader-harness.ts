import { Writable } from 'node:stream';
import pino from 'pino';
import type { ReadBatch, ReadContext, ReaderEvent, ReaderPosition } from '../../types.js';
import { HttpReader } from '../http-reader.js';
import { httpConfigSchema, type HttpConfigInput } from '../http.schema.js';
import { FakeClock } from './fake-clock.js';

/** A reader over `config` (defaults: none pagination, `data` records), a fake clock and captured logs and events. */
export function harness(
  config: Partial<HttpConfigInput>,
  env: NodeJS.ProcessEnv = {},
  options: { sleep?: (ms: number) => Promise<void> } = {},
) {
  const clock = new FakeClock();
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  );
  const events: ReaderEvent[] = [];
  const parsed = httpConfigSchema.parse({
    baseUrl: 'http://source.test',
    request: { path: '/api/records' },
    records: 'data',
    pagination: { type: 'none' },
    // Fast enough that the budget never shows in tests that are not about it.
    requestsPerSecond: 1_000_000,
    ...config,
  });
  const reader = new HttpReader(parsed, { env, logger, name: 'test-source', sleep: options.sleep ?? clock.sleep, now: clock.now, random: () => 0.5 });
  const ctx: ReadContext = { onEvent: (e) => events.push(e) };
  /** Sleeps other than the budget's sub-millisecond ones. */
  const waits = () => clock.sleeps.filter((ms) => ms >= 1);
  return { reader, clock, logs, events, ctx, waits };
}

export async function readAll(reader: HttpReader, position: ReaderPosition | null, ctx: ReadContext): Promise<ReadBatch[]> {
  const batches: ReadBatch[] = [];
  for await (const b of reader.read(position, ctx)) batches.push(b);
  return batches;
}

/** `n` records `{ id, ngay_cap_nhat }` starting at id `from`. */
export function rows(from: number, n: number, updated = '2026-11-25T10:00:00+07:00'): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({ id: String(from + i), ho_ten: `Nguyễn Văn ${from + i}`, ngay_cap_nhat: updated }));
}

/** The error `p` rejects with; fails the test when it resolves. */
export async function failureOf(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure');
}
