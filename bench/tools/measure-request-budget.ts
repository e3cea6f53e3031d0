/**
 * How a connector's request budget (`requestsPerSecond`) looks from the source's side: 25 requests through the HTTP
 * transport to a local server at 5 and at 10 a second, three runs each, the event loop kept busy between requests
 * (30 ms every fourth, 2 ms otherwise, as a sync storing a page), and the gaps between arrivals as the server saw
 * them, with the most requests in any one-second window.
 *
 *   npx tsx bench/tools/measure-request-budget.ts
 *
 * Not a test: timings depend on the machine. Measured on 2026-12-06 on the 2-core AMD EPYC host: spaced from each
 * request's hand-off to the operating system, the smallest gap was 203.7 ms at 5 a second (1/rate and 2%: 204) and
 * 101.4 ms at 10 (102), never more than 5 or 10 in a second; spaced from the end of each wait instead (the commit
 * before), 195.6 and 99.4 ms.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { HttpTransport } from '../../src/connectors/http/http-transport.js';
import { createLogger } from '../../src/observability/logger.js';

const arrivals: number[] = [];
const server = http.createServer((req, res) => { arrivals.push(performance.now()); res.end('{"data":[]}'); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
for (const rps of [5, 10]) {
  for (let run = 0; run < 3; run++) {
    arrivals.length = 0;
    const t = new HttpTransport({ timeoutMs: 5000, retry: { maxAttempts: 1, initialDelayMs: 100, maxDelayMs: 1000 }, requestsPerSecond: rps, sleep: undefined,
      now: () => new Date(), random: Math.random, logger: createLogger({ level: 'silent' }), shownParams: new Set() } as never);
    for (let i = 0; i < 25; i++) {
      await t.send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/p?i=${i}`), headers: {}, limit: { maxBytes: 1e6, advice: '' } } as never, {});
      // busy event loop between requests, as a sync storing a page
      const until = performance.now() + (i % 4 === 0 ? 30 : 2); while (performance.now() < until) { /* spin */ }
    }
    const gaps = arrivals.slice(1).map((a, i) => a - arrivals[i]!);
    let maxInWindow = 0;
    for (let i = 0; i < arrivals.length; i++) { let n = 0; for (let j = i; j < arrivals.length && arrivals[j]! - arrivals[i]! < 1000; j++) n++; maxInWindow = Math.max(maxInWindow, n); }
    console.log(`rps ${rps}: min gap ${Math.min(...gaps).toFixed(1)} ms, first gap ${gaps[0]!.toFixed(1)} ms, max in any 1-s window ${maxInWindow}`);
  }
}
server.close();
