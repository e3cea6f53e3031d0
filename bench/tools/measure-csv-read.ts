/**
 * Measures the file connector's CSV throughput and memory: writes a justice-register-like CSV (15 columns,
 * default 1,000,000 rows, about 180 MB) to a temporary directory, reads it with {@link FileReader} as a sync
 * would (batches of 5000 pulled one at a time, records dropped after each batch), and prints rows/s for the
 * whole read (checksum, encoding check and parse) and for the parse alone, with peak RSS and heap.
 *
 *   npx tsx bench/tools/measure-csv-read.ts [rows] [--keep]
 *   npx tsx bench/tools/measure-csv-read.ts --file big.csv   (an existing file: a fresh
 *     process that did not just write it, so its garbage does not weigh on the read)
 *   node --expose-gc --import tsx bench/tools/measure-csv-read.ts   (also shows retained heap)
 *
 * Not a test: numbers depend on the machine. Measured on the 2-core development VM (Node 20.20) while other
 * work kept its load average near 5, so CPU time is the steadier figure:
 *   1,000,000 rows, 179 MB: whole read 3.6–3.9 CPU-s = 260–280k rows per CPU-second (wall 160k rows/s under
 *   that load; 235–300k rows/s reading an existing file in a fresh process); the parse alone 3.3–3.5 CPU-s.
 *   Peak RSS 283–304 MB, +137–153 MB over the start, the same as for 200,000 rows: garbage not yet collected,
 *   not data; heap still reachable after a full GC at most +16 MB (one batch).
 *   Most of the parse time is garbage collection: a batch's records live until the consumer takes them, so
 *   they outlive young-generation collections. With `node --max-semi-space-size=64` the whole read takes
 *   2.2–2.3 CPU-s (440–460k rows/CPU-s) for about +90 MB more RSS, a flag worth setting on sync workers.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { fileConfigSchema } from '../../src/connectors/file/file.schema.js';
import { FileReader } from '../../src/connectors/file/file-reader.js';
import { writeLargeCsv } from '../../src/connectors/file/testing/write-large-csv.js';

/** Timings and counts only (no record contents); a measuring tool, not product code, so no logger. */
const out = (...parts: unknown[]) => process.stdout.write(`${parts.join(' ')}\n`);

const rows = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const keep = process.argv.includes('--keep');
const given = process.argv.includes('--file') ? path.resolve(process.argv[process.argv.indexOf('--file') + 1]!) : undefined;
const gc = (globalThis as { gc?: () => void }).gc;

const dir = given ? path.dirname(given) : await mkdtemp(path.join(tmpdir(), 'childhub-csv-throughput-'));
try {
  const file = given ?? path.join(dir, 'khai-sinh-1m.csv');
  let t = performance.now();
  if (!given) {
    await writeLargeCsv(file, rows);
    out(`wrote ${rows.toLocaleString('en')} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const size = (await stat(file)).size;
  out(`reading ${path.basename(file)}, ${(size / 1e6).toFixed(0)} MB`);

  const reader = new FileReader(fileConfigSchema.parse({ directory: dir, settleSeconds: 0 }), { logger: pino({ level: 'silent' }), name: 'bench' });
  gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let maxRetained = 0;
  let records = 0;
  let batches = 0;
  let firstBatchAt = 0;
  let encodingLabel = '';
  let cpuAtFirstBatch = process.cpuUsage();
  const cpuStart = process.cpuUsage();
  t = performance.now();
  for await (const batch of reader.read(null, {
    ...(given ? { files: [given] } : {}),
    onEvent: (e) => {
      if (e.type === 'file-started') encodingLabel = e.encoding;
    },
  })) {
    if (batches === 0) {
      firstBatchAt = performance.now();
      cpuAtFirstBatch = process.cpuUsage();
    }
    records += batch.records.length;
    batches++;
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    if (gc && batches % 20 === 0) {
      gc();
      maxRetained = Math.max(maxRetained, process.memoryUsage().heapUsed - base.heapUsed);
    }
  }
  const end = performance.now();
  const cpuEnd = process.cpuUsage();
  const cpuSeconds = (from: NodeJS.CpuUsage) => (cpuEnd.user - from.user + cpuEnd.system - from.system) / 1e6;
  const total = (end - t) / 1000;
  const parse = (end - firstBatchAt) / 1000;
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
  out(`${records.toLocaleString('en')} records in ${batches} batches (${encodingLabel})`);
  out(`whole read (checksum + encoding check + parse): ${total.toFixed(2)} s = ${Math.round(records / total).toLocaleString('en')} rows/s`);
  out(`parse from first batch: ${parse.toFixed(2)} s = ${Math.round(records / parse).toLocaleString('en')} rows/s`);
  // CPU time is what the read costs on a machine shared with other work (wall time then includes waiting).
  const cpuAll = cpuSeconds(cpuStart);
  const cpuParse = cpuSeconds(cpuAtFirstBatch);
  out(
    `CPU (user+system, incl. GC threads): whole read ${cpuAll.toFixed(2)} s = ${Math.round(records / cpuAll).toLocaleString('en')} rows/CPU-s; ` +
      `parse ${cpuParse.toFixed(2)} s = ${Math.round(records / cpuParse).toLocaleString('en')} rows/CPU-s`,
  );
  out(`RSS: start ${mb(base.rss)}, peak ${mb(peakRss)} (+${mb(peakRss - base.rss)}); heap used peak ${mb(peakHeap)}`);
  if (gc) out(`heap retained after GC (max over the read): +${mb(maxRetained)}`);
} finally {
  if (!keep && !given) await rm(dir, { recursive: true, force: true });
}
