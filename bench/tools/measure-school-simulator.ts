/**
 * Measures how fast the school simulator serves its records to one keep-alive client reading pages of
 * 1000 in order, as a sync does: `npx tsx bench/tools/measure-school-simulator.ts [children] [runs]`
 * (default 240000 children ≈ 200,000 records, 3 runs). Prints counts and timings only, never records.
 */
import { Agent } from 'node:http';
import pino from 'pino';
import { SCHOOL_API_PATH, startSchoolSimulator } from '../../connectors/school/simulator.js';

/** Timings and counts only (no record contents); a measuring tool, not product code, so no logger. */
const out = (...parts: unknown[]) => process.stdout.write(`${parts.join(' ')}\n`);

const children = Number(process.argv[2] ?? 240_000);
const runs = Number(process.argv[3] ?? 3);

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

async function get(url: URL, apiKey: string): Promise<string> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { 'x-api-key': apiKey } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const sim = await startSchoolSimulator({ count: children, port: 0, apiKey: 'bench', logger: pino({ level: 'silent' }) });
out(`children ${children}, records ${sim.recordCount}, generated in ${sim.stats().buildMs} ms`);
for (let run = 1; run <= runs * 2; run++) {
  // Odd runs parse every page as a sync does; even runs read the bytes and take only the cursor, which shows
  // the server's own rate (the client's JSON.parse shares the CPU with it in this one process).
  const parse = run % 2 === 1;
  const t0 = performance.now();
  let cursor: string | null = null;
  let records = 0;
  let pages = 0;
  let bytes = 0;
  do {
    const url = new URL(SCHOOL_API_PATH, sim.url);
    url.searchParams.set('nam_hoc', '2026-2027');
    url.searchParams.set('limit', '1000');
    if (cursor) url.searchParams.set('cursor', cursor);
    const text = await get(url, 'bench');
    bytes += Buffer.byteLength(text);
    if (parse) {
      const body = JSON.parse(text) as { data: unknown[]; next_cursor: string | null };
      records += body.data.length;
      cursor = body.next_cursor;
    } else {
      records += text.split('"ma_dinh_danh_hoc_sinh"').length - 1;
      cursor = /"next_cursor":(null|"([^"]*)")\}$/.exec(text)?.[2] ?? null;
    }
    pages++;
  } while (cursor);
  const seconds = (performance.now() - t0) / 1000;
  out(
    `run ${Math.ceil(run / 2)} (${parse ? 'client parses pages' : 'bytes only'}): ${records} records in ${pages} pages, ${(bytes / 1e6).toFixed(0)} MB, ${seconds.toFixed(2)} s → ${Math.round(records / seconds)} records/s`,
  );
}
agent.destroy();
await sim.close();
