import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileConfigSchema } from './file.schema.js';
import { FileReader } from './file-reader.js';
import { writeLargeCsv } from './testing/write-large-csv.js';

const ROWS = 200_000;
let dir: string;
let file: string;

/** A full garbage collection, without starting the test process with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'childhub-file-memory-'));
  file = path.join(dir, 'khai-sinh-lon.csv');
  await writeLargeCsv(file, ROWS);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileReader memory', () => {
  it(`reads a ${ROWS.toLocaleString('en')}-row, 15-column CSV with bounded memory`, async () => {
    const reader = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0 }), { logger: pino({ level: 'silent' }), name: 'memory' });
    collectGarbage();
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    let rssPeak = rssBefore;
    let retainedPeak = 0;
    let records = 0;
    let batches = 0;
    for await (const batch of reader.read(null, {})) {
      records += batch.records.length;
      batches++;
      expect(batch.rejects).toEqual([]);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      if (batches % 8 === 0) {
        // What is still reachable while the read is suspended here: the current batch and the reader's state.
        collectGarbage();
        retainedPeak = Math.max(retainedPeak, process.memoryUsage().heapUsed - heapBefore);
      }
    }
    const mb = (n: number) => Math.round(n / 1e6);
    expect(records).toBe(ROWS);
    expect(batches).toBe(ROWS / 5000);
    // Holding the file's records would retain well over 150 MB (about 900 bytes a record); streaming keeps
    // one batch of 5000 and one read buffer.
    expect(mb(retainedPeak)).toBeLessThan(40);
    // RSS includes garbage not yet collected, so this bound is generous; the file alone is 36 MB, its text
    // twice that, its records several times more.
    expect(mb(rssPeak - rssBefore)).toBeLessThan(400);
  }, 120_000);
});
