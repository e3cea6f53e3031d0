/**
 * Measures how fast the simulator writes a large birth-register CSV, as the 1,000,000-row benchmark needs it:
 * `npx tsx bench/tools/measure-justice-drop-writer.ts [rows] [runs] [encoding]` (default 1,000,000 rows,
 * 3 runs, utf-8-bom). Writes into a temporary directory, removed afterwards; prints counts, timings and memory
 * only, never rows.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CsvEncoding } from '../../connectors/file-drop-writer.js';
import { writeJusticeRegisterDrop } from '../../connectors/justice-register/simulator.js';

/** Timings and counts only (no record contents); a measuring tool, not product code, so no logger. */
const out = (...parts: unknown[]) => process.stdout.write(`${parts.join(' ')}\n`);

const rows = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 3);
const encoding = (process.argv[4] ?? 'utf-8-bom') as CsvEncoding;

const dir = await mkdtemp(path.join(tmpdir(), 'childhub-justice-throughput-'));
try {
  for (let run = 1; run <= runs; run++) {
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { files } = await writeJusticeRegisterDrop({ dir, seed: 1, count: 5000, rows, encoding });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(timer);
    const written = files[0]!.rows;
    const { size } = await stat(files[0]!.path);
    out(
      `run ${run}: ${written} rows, ${(size / 2 ** 20).toFixed(0)} MiB (${encoding}) in ${seconds.toFixed(2)} s = ` +
        `${Math.round(written / seconds).toLocaleString('en')} rows/s; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; ` +
        `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
