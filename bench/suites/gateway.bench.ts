import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { AppContext } from '../../src/app/app-context.js';
import { loadOrCreateDevKey, mintDevToken } from '../../src/auth/dev-keys.js';
import { PROJECT_ROOT, type Config } from '../../src/config/config.js';
import { encodeCursor } from '../../src/graphql/cursor.js';
import { processAuthEnv } from '../lib/auth-env.js';
import {
  ensureData, intSetting, postgresFacts, readBenchDataSettings, readBenchNodeEnv, seedingSentence, withBenchDatabase,
  type BenchDataSettings, type BenchNodeEnv, type DataFacts,
} from '../lib/bench-data.js';
import { deferCleanup } from '../lib/cleanup.js';
import { counterDelta, isGraphQLSuccess, runLoad, scrapeCounters, type LoadScenario, type LoadStats } from '../lib/load.js';
import { sample, seededRandom } from '../lib/random.js';
import { cpuUsage, formatCores as cores, postgresCpuSeconds, processCpuSeconds, selfCpuSeconds, snapshotCpu, type CpuSnapshot } from '../lib/cpu.js';
import { startServer } from '../lib/server.js';
import type { BenchSuite, SuiteContext, SuiteResult } from '../lib/suite.js';

/**
 * The gateway under load: the real `serve` process over PostgreSQL holding a synthetic Hà Nội population
 * loaded through the ingest path, driven by autocannon on loopback. Three scenarios — a trivial query
 * (the cost of HTTP + Apollo alone), `child(id)` (authenticated, audited, with two nested relations) and
 * a 50-child page with nested relations — each reported as req/s and latency, and the data queries as a
 * fraction of the trivial one's throughput.
 *
 * Target (issue): `child(id)` at >= 20% of the trivial query's throughput with p99 < 50 ms at 32
 * connections.
 */

const TARGET_RATIO = 0.2;
const TARGET_P99_MS = 50;

const CHILD_QUERY = `query BenchChild($id: ID!) {
  child(id: $id) {
    id fullName sex birthDate communeCode identityNumber identityStatus
    sourceRecords { id sourceSystem externalId fullName birthDate identityNumber }
    identityNumbers { number status }
  }
}`;

const CHILDREN_QUERY = `query BenchChildren($after: String) {
  children(first: 50, after: $after) {
    edges {
      cursor
      node {
        id fullName sex birthDate communeCode commune { name } identityNumber identityStatus
        sourceRecords { id sourceSystem externalId fullName birthDate identityNumber }
        identityNumbers { number status }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const PAGE_SIZE = 50;

interface Settings extends BenchDataSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  cpuProfile: boolean;
  /** Scenarios to run (all by default); the target needs `trivial` and `child`. */
  scenarios: string[] | null;
  /** NODE_ENV of the server process. */
  nodeEnv: BenchNodeEnv;
}

function readSettings(): Settings {
  return {
    ...readBenchDataSettings(),
    connections: intSetting('BENCH_CONNECTIONS', 32),
    durationSeconds: intSetting('BENCH_DURATION', 15),
    warmupSeconds: intSetting('BENCH_WARMUP', 3, 0),
    cpuProfile: ['1', 'true', 'yes'].includes(process.env.BENCH_CPU_PROF ?? ''),
    scenarios: process.env.BENCH_SCENARIOS ? process.env.BENCH_SCENARIOS.split(',').map((x) => x.trim()).filter(Boolean) : null,
    nodeEnv: readBenchNodeEnv(process.env.BENCH_NODE_ENV),
  };
}

const suite: BenchSuite = {
  name: 'gateway',
  description: 'GraphQL gateway under autocannon load: { __typename }, child(id), children(first: 50) over 100k synthetic children',
  run: runGatewaySuite,
};
export default suite;

async function runGatewaySuite({ log }: SuiteContext): Promise<SuiteResult> {
  const s = readSettings();
  return withBenchDatabase(s, log, (db) => benchAgainst(db.ctx, db.config, db.databaseUrl, db.redisUrl, db.pgDataDir, s, log));
}

async function benchAgainst(
  ctx: AppContext, config: Config, databaseUrl: string, redisUrl: string, pgDataDir: string | null, s: Settings, log: (m: string) => void,
): Promise<SuiteResult> {
  const data = await ensureData(ctx, s, log);
  const pg = await postgresFacts(ctx);

  // Ids the load picks from: a seeded sample, so every run asks for the same children in the same order.
  const allIds = (await ctx.sql.query<{ id: string }>(`SELECT id FROM child WHERE status = 'ACTIVE' ORDER BY id`)).map((r) => r.id);
  if (allIds.length < PAGE_SIZE + 1) throw new Error(`only ${allIds.length} active children: nothing to page through`);
  const random = seededRandom(s.seed);
  const childIds = sample(allIds, 10_000, random);
  // A page must be full: cursors stop PAGE_SIZE short of the last child.
  const cursors = sample(allIds.slice(0, allIds.length - PAGE_SIZE), 2_000, random).map(encodeCursor);
  const sampleShape = await ctx.sql.one<{ records: string; numbers: string }>(
    `SELECT (SELECT count(*) FROM source_record WHERE child_id = ANY($1::text[]))::text AS records,
            (SELECT count(*) FROM identity_number WHERE child_id = ANY($1::text[]))::text AS numbers`,
    [childIds],
  );
  const perChild = (n: string | undefined) => (Number(n ?? 0) / childIds.length).toFixed(2);
  log(`child(id) picks from ${childIds.length} random children (${perChild(sampleShape?.records)} source records, ${perChild(sampleShape?.numbers)} identity numbers each on average)`);

  const key = await loadOrCreateDevKey(s.home);
  const token = await mintDevToken(
    key,
    { sub: 'bench-steward', officer_id: 'CB-BENCH-0001', agency: 'so-ldtbxh-ha-noi', roles: ['data_steward'], communes: '*', purpose: 'benchmark' },
    { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, expiresIn: '2h' },
  );
  const auth = { authorization: `Bearer ${token}` };
  // NODE_ENV=production as deployed, with the dev key's public half as AUTH_PUBLIC_KEY (see auth-env.ts).
  const authEnv = await processAuthEnv(key, s.nodeEnv);

  const childBodies = childIds.map((id) => JSON.stringify({ operationName: 'BenchChild', query: CHILD_QUERY, variables: { id } }));
  const pageBodies = cursors.map((after) => JSON.stringify({ operationName: 'BenchChildren', query: CHILDREN_QUERY, variables: { after } }));
  // Bodies are built up front so the load generator, which shares the CPU with the server, does no JSON work.
  const cycle = (bodies: string[]) => {
    let i = 0;
    return () => bodies[i++ % bodies.length]!;
  };
  const trivialBody = JSON.stringify({ query: '{ __typename }' });
  const allScenarios: Array<LoadScenario & { label: string; check: (json: unknown, sent: string) => string | null; auditOperation?: string }> = [
    {
      name: 'trivial',
      label: '`{ __typename }` (no token)',
      headers: {},
      body: () => trivialBody,
      verify: (b) => isGraphQLSuccess(b) && b.includes('"__typename":"Query"'),
      check: (json) => (trivialResponse.safeParse(json).success ? null : 'expected { data: { __typename: "Query" } }'),
    },
    {
      name: 'child',
      label: '`child(id)` + sourceRecords + identityNumbers (token, audited)',
      headers: auth,
      body: cycle(childBodies),
      verify: (b) => isGraphQLSuccess(b) && b.includes('"child":{"id":'),
      check: (json, sent) => {
        const r = childResponse.safeParse(json);
        if (!r.success) return `unexpected shape: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`;
        const asked = (JSON.parse(sent) as { variables: { id: string } }).variables.id;
        return r.data.data.child.id === asked ? null : `asked for ${asked}, got ${r.data.data.child.id}`;
      },
      auditOperation: 'BenchChild',
    },
    {
      name: 'children',
      label: '`children(first: 50)` + commune, sourceRecords, identityNumbers (token, audited)',
      headers: auth,
      body: cycle(pageBodies),
      verify: (b) => isGraphQLSuccess(b) && b.includes('"edges":[{'),
      check: (json) => {
        const r = childrenResponse.safeParse(json);
        if (!r.success) return `unexpected shape: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`;
        if (r.data.data.children.edges.length !== PAGE_SIZE) return `expected ${PAGE_SIZE} edges, got ${r.data.data.children.edges.length}`;
        return null;
      },
      auditOperation: 'BenchChildren',
    },
  ];

  const unknownScenario = s.scenarios?.find((n) => !allScenarios.some((sc) => sc.name === n));
  if (unknownScenario) throw new Error(`BENCH_SCENARIOS: no scenario "${unknownScenario}" (have ${allScenarios.map((sc) => sc.name).join(', ')})`);
  const scenarios = s.scenarios ? allScenarios.filter((sc) => s.scenarios!.includes(sc.name)) : allScenarios;

  log('starting the server (node --import tsx src/cli/main.ts serve)…');
  const profileDir = path.join(s.home, 'profiles');
  const server = await startServer({
    // Empty values count as unset (see parseConfig): a JWKS URL in the caller's environment must not
    // replace the key the bench signs with.
    env: { ...authEnv, AUTH_JWKS_URL: '', CHILDHUB_HOME: s.home, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
    nodeFlags: s.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const stopServer = deferCleanup(() => server.stop());
  const measured: Measured[] = [];
  let peakRss: number | null = null;
  let warnings: string[] = [];
  try {
    log(`server ready at ${server.url} (pid ${server.pid})`);
    for (const sc of scenarios) {
      // One request first, checked in full: a fast benchmark of wrong answers is worthless.
      const sent = sc.body();
      const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...sc.headers }, body: sent });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const problem = res.status !== 200 ? `HTTP ${res.status}` : sc.check(json, sent);
      if (problem) throw new Error(`scenario ${sc.name}: the check request failed (${problem}): ${text.slice(0, 500)}`);

      if (s.warmupSeconds > 0) {
        log(`${sc.name}: warm-up ${s.warmupSeconds} s`);
        await runLoad(sc, { url: server.url, connections: s.connections, durationSeconds: s.warmupSeconds });
        // Let requests still in flight when the generator stopped finish (and write their audit rows).
        await sleep(500);
      }
      const auditMark = sc.auditOperation ? await auditWatermark(ctx) : null;
      const before = await scrapeCounters(server.url);
      log(`${sc.name}: measuring ${s.durationSeconds} s at ${s.connections} connections`);
      const cpu0 = sampleCpu(server.pid, pgDataDir);
      const stats = await runLoad(sc, { url: server.url, connections: s.connections, durationSeconds: s.durationSeconds });
      const cpu = cpuShares(cpu0, sampleCpu(server.pid, pgDataDir), stats.requests);
      await sleep(500);
      const after = await scrapeCounters(server.url);
      const audit = sc.auditOperation && auditMark !== null ? await auditSince(ctx, auditMark, sc.auditOperation) : null;
      const serverErrors = counterDelta(before, after, 'childhub_graphql_operations_total{outcome="error"}');
      const serverOk = counterDelta(before, after, 'childhub_graphql_operations_total{outcome="ok"}');
      measured.push({ name: sc.name, label: sc.label, stats, serverErrors, serverOk, audit, cpu });
      log(`${sc.name}: ${stats.requestsPerSecond.toFixed(0)} req/s, p50 ${stats.latencyP50Ms} ms, p99 ${stats.latencyP99Ms} ms, ` +
        `errors ${errorCount(stats) + serverErrors}${audit ? `, audit rows ${audit.rows} (${audit.children} child ids)` : ''}; ` +
        `CPU cores busy: server ${cores(cpu.server)}, PostgreSQL ${cores(cpu.postgres)}, load generator ${cores(cpu.loadGenerator)}, rest ${cores(cpu.rest)}`);
      await sleep(1000);
    }
    peakRss = server.peakRssBytes();
    warnings = server.warnings();
  } finally {
    await stopServer();
  }
  if (s.cpuProfile) log(`CPU profile of the server written to ${profileDir}`);

  return report({ s, data, pg, measured, cpuCores: os.availableParallelism(), peakRss, warnings, pool: config.DB_POOL_SIZE, profileDir });
}

// ——— CPU accounting ———

/** Cores kept busy on average during a run (CPU seconds / wall seconds), and CPU per request. */
interface CpuShares {
  server: number | null;
  postgres: number | null;
  loadGenerator: number | null;
  /** Everything else busy on the machine: other processes, Redis, kernel time not charged to a process. */
  rest: number | null;
  serverMsPerRequest: number | null;
  postgresMsPerRequest: number | null;
}

function sampleCpu(serverPid: number, pgDataDir: string | null): CpuSnapshot {
  return snapshotCpu({
    server: () => processCpuSeconds(serverPid),
    postgres: () => (pgDataDir ? postgresCpuSeconds(pgDataDir) : null),
    loadGenerator: selfCpuSeconds,
  });
}

function cpuShares(a: CpuSnapshot, b: CpuSnapshot, requests: number): CpuShares {
  const u = cpuUsage(a, b);
  const server = u.seconds.server ?? null;
  const postgres = u.seconds.postgres ?? null;
  return {
    server: u.cores.server ?? null,
    postgres: u.cores.postgres ?? null,
    loadGenerator: u.cores.loadGenerator ?? null,
    rest: u.restCores,
    serverMsPerRequest: server === null || !requests ? null : (server * 1000) / requests,
    postgresMsPerRequest: postgres === null || !requests ? null : (postgres * 1000) / requests,
  };
}

interface Measured {
  name: string;
  label: string;
  stats: LoadStats;
  serverErrors: number;
  serverOk: number;
  audit: AuditCount | null;
  cpu: CpuShares;
}

// ——— audit ———

interface AuditCount {
  /** Rows of the scenario's operation written during the measured run. */
  rows: number;
  /** Child ids those rows list. */
  children: number;
}

async function auditWatermark(ctx: AppContext): Promise<string> {
  const row = await ctx.sql.one<{ id: string }>('SELECT coalesce(max(id), 0)::text AS id FROM audit_event');
  return row?.id ?? '0';
}

async function auditSince(ctx: AppContext, mark: string, operation: string): Promise<AuditCount> {
  const row = await ctx.sql.one<{ rows: string; children: string }>(
    `SELECT count(*)::text AS rows, coalesce(sum(cardinality(child_ids)), 0)::text AS children
       FROM audit_event WHERE id > $1::bigint AND operation = $2 AND action = 'READ'`,
    [mark, operation],
  );
  return { rows: Number(row?.rows ?? 0), children: Number(row?.children ?? 0) };
}

// ——— response shapes checked before each run ———

const trivialResponse = z.object({ data: z.object({ __typename: z.literal('Query') }) }).strict();
const sourceRecordShape = z.object({
  id: z.string().startsWith('src_'),
  sourceSystem: z.string(),
  externalId: z.string(),
  fullName: z.string().nullable(),
  birthDate: z.string().nullable(),
  identityNumber: z.string().nullable(),
});
const childShape = z.object({
  id: z.string().startsWith('chd_'),
  fullName: z.string().nullable(),
  sex: z.string().nullable(),
  birthDate: z.string().nullable(),
  communeCode: z.string().nullable(),
  identityNumber: z.string().nullable(),
  identityStatus: z.string(),
  sourceRecords: z.array(sourceRecordShape).min(1),
  identityNumbers: z.array(z.object({ number: z.string(), status: z.string() })),
});
const childResponse = z.object({ data: z.object({ child: childShape }) }).strict();
const childrenResponse = z
  .object({
    data: z.object({
      children: z.object({
        edges: z.array(z.object({ cursor: z.string(), node: childShape.extend({ commune: z.object({ name: z.string() }).nullable() }) })),
        pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
      }),
    }),
  })
  .strict();

// ——— report ———

interface ReportInput {
  s: Settings;
  data: DataFacts;
  pg: Record<string, string>;
  measured: Measured[];
  cpuCores: number;
  peakRss: number | null;
  warnings: string[];
  pool: number;
  profileDir: string;
}

function errorCount(st: LoadStats): number {
  return st.non2xx + st.badBodies + st.connectionErrors;
}

function report(r: ReportInput): SuiteResult {
  const { s, data, measured } = r;
  const byName = new Map(measured.map((m) => [m.name, m]));
  const trivial = byName.get('trivial');
  const child = byName.get('child');
  const baseline = trivial?.stats.requestsPerSecond ?? 0;
  const ratio = (rps: number) => (baseline > 0 ? rps / baseline : 0);
  const fmt = (n: number, digits = 0) => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  // autocannon's latency histogram has 1 ms resolution: decimals would be noise.
  const ms = (n: number) => fmt(n, Number.isInteger(n) ? 0 : 1);
  const errorsOf = (m: Measured) => errorCount(m.stats) + m.serverErrors;

  const invalid = measured.filter((m) => errorsOf(m) > 0);
  const evaluated = !!trivial && !!child;
  const childRatio = child ? ratio(child.stats.requestsPerSecond) : 0;
  const childP99 = child?.stats.latencyP99Ms ?? Number.POSITIVE_INFINITY;
  const audited = !child?.audit || child.audit.rows >= child.stats.ok2xx;
  const passed = evaluated && invalid.length === 0 && childRatio >= TARGET_RATIO && childP99 < TARGET_P99_MS && audited;

  const rows = measured.map((m) => {
    const st = m.stats;
    const vs = m.name === 'trivial' ? '1.00 (baseline)' : trivial ? fmt(ratio(st.requestsPerSecond), 2) : 'n/a';
    return `| ${m.label} | ${fmt(st.requestsPerSecond)} | ${ms(st.latencyP50Ms)} | ${ms(st.latencyP99Ms)} | ${vs} | ${fmt(st.requests)} | ${errorsOf(m)} |`;
  });
  const cpuRows = measured.map((m) => {
    const c = m.cpu;
    const perReq = (x: number | null) => (x === null ? 'n/a' : fmt(x, 2));
    return `| \`${m.name}\` | ${cores(c.server)} | ${cores(c.postgres)} | ${cores(c.loadGenerator)} | ${cores(c.rest)} | ${perReq(c.serverMsPerRequest)} | ${perReq(c.postgresMsPerRequest)} |`;
  });

  const verdictLine = !evaluated
    ? `**NOT EVALUATED** — the target needs the \`trivial\` and \`child\` scenarios; this run had ${measured.map((m) => `\`${m.name}\``).join(', ')}.`
    : passed
      ? `**PASS** — \`child(id)\` ran at ${fmt(childRatio * 100, 1)}% of the trivial query's throughput (target ≥ ${TARGET_RATIO * 100}%) with p99 ${ms(childP99)} ms (target < ${TARGET_P99_MS} ms) at ${s.connections} connections, without errors, every read audited.`
      : `**FAIL** — \`child(id)\`: ${fmt(childRatio * 100, 1)}% of the trivial query's throughput (target ≥ ${TARGET_RATIO * 100}%: ${childRatio >= TARGET_RATIO ? 'met' : 'missed'}), ` +
        `p99 ${ms(childP99)} ms (target < ${TARGET_P99_MS} ms: ${childP99 < TARGET_P99_MS ? 'met' : 'missed'})` +
        (s.connections !== 32 ? ` at ${s.connections} connections (the target is stated for 32)` : '') +
        (invalid.length ? `; runs with errors (not valid): ${invalid.map((m) => m.name).join(', ')}` : '') +
        (audited ? '' : '; fewer audit rows than successful reads') + '.';

  const auditLines = measured
    .filter((m) => m.audit)
    .map((m) => `- \`${m.name}\`: ${fmt(m.audit!.rows)} READ audit rows listing ${fmt(m.audit!.children)} child ids for ${fmt(m.stats.ok2xx)} successful responses counted by autocannon ` +
      `(the server counted ${fmt(m.serverOk)} successful operations; requests in flight when the generator stops are still answered, and audited, after it stops counting).`);

  const seedingLine = seedingSentence(data, s);

  const failures = invalid.map((m) =>
    `- \`${m.name}\`: non-2xx ${m.stats.non2xx}, wrong bodies ${m.stats.badBodies}, connection errors ${m.stats.connectionErrors} (timeouts ${m.stats.timeouts}), server-side GraphQL errors ${m.serverErrors}`);

  const markdown = [
    '### Results',
    '',
    `${s.connections} connections, ${s.warmupSeconds} s warm-up then ${s.durationSeconds} s measured per scenario.`,
    '',
    '| Scenario | req/s (mean) | p50 (ms) | p99 (ms) | throughput vs trivial | requests | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Target: \`child(id)\` (authenticated, audited) at ≥ ${TARGET_RATIO * 100}% of the trivial query's throughput with p99 < ${TARGET_P99_MS} ms at 32 connections.`,
    '',
    verdictLine,
    '',
    ...(failures.length ? ['Errors during measured runs:', '', ...failures, ''] : []),
    '### Where the CPU went',
    '',
    `Cores kept busy on average during each measured run (the machine has ${r.cpuCores}), and CPU time per request. ` +
      'Read from /proc: the server process, the PostgreSQL cluster (postmaster and all its backends), the bench process (which runs autocannon), ' +
      'and the rest of the machine (Redis, other processes, kernel time not charged to a process: if this is large, something else was competing for the CPU).',
    '',
    '| Scenario | server (cores) | PostgreSQL (cores) | load generator (cores) | rest of machine (cores) | server CPU per request (ms) | PostgreSQL CPU per request (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...cpuRows,
    '',
    '### Audit',
    '',
    ...auditLines,
    '',
    '### Data and server',
    '',
    `- ${fmt(data.activeChildren)} active children, ${fmt(data.sourceRecords)} source records, ${fmt(data.identityNumbers)} identity numbers; database size ${data.databaseSize}. ` +
      `The synthetic population has ${fmt(s.children)} children (seed ${s.seed}); the hub holds more child records than that because records without an identity number are not matched yet (no matcher), so each becomes its own child.`,
    `- ${seedingLine}`,
    `- Server: one \`serve\` process (NODE_ENV=${s.nodeEnv}${s.nodeEnv === 'production' ? ', tokens checked against AUTH_PUBLIC_KEY' : ', tokens checked against the dev key file'}, LOG_LEVEL=warn), PostgreSQL pool of ${r.pool} connections; peak RSS ${r.peakRss === null ? 'n/a' : `${fmt(r.peakRss / 1024 ** 2)} MiB`} (VmHWM at the end of the run).` +
      (r.warnings.length ? ` ${r.warnings.length} warning/error log lines during the run.` : ' No warning or error logs during the run.'),
    '',
    '### Method',
    '',
    '- Everything runs on this one machine: autocannon (in the bench process), the server process, PostgreSQL and Redis share its cores. The trivial query is the same setup\'s ceiling for HTTP + Apollo alone, which is why the target is a ratio to it.',
    '- The server is the real `childhub serve` started as its own process (`node --import tsx src/cli/main.ts serve`) on a free loopback port; the bench waits for `/readyz`.',
    '- PostgreSQL is embedded (its own cluster under `.childhub/bench`, port 54339, database `childhub_bench`, kept between runs) unless `DATABASE_URL` is set; Redis likewise (port 63809) unless `REDIS_URL` is set.',
    '- Data is loaded through the real ingest path (`seedSample`), golden records are built with `GoldenRecordService.recompute` in batches (what the worker does per outbox entry), then `VACUUM ANALYZE` and a checkpoint.',
    '- Every scenario first sends one request whose whole response is checked (shape, ids, a full page of 50), then warms up, then measures. During the measured run every response body is checked for `data` and no `errors`; the server\'s own operation counters (`/metrics`) are compared before and after. A run with any error is not valid and fails the target.',
    '- `child(id)` asks for a different child on each request, cycling through 10,000 children sampled (seeded) from all active children; `children(first: 50)` pages from 2,000 sampled cursors, so pages differ. One data-steward token (whole city, every class) is used for all requests.',
    '- Cached: the token verifier caches verified tokens (one signature check, then map lookups); the PostgreSQL buffer cache and the OS page cache are warm after the warm-up. Not cached: every request runs the GraphQL pipeline (parse, validate, execute), its SQL (per-request DataLoaders batch one statement per relation), field authorisation, and writes its audit row before the response leaves (group-committed across concurrent requests).',
    '- Latency is autocannon\'s time from sending a request to its complete response, with 1 ms resolution; req/s is the mean of per-second counts.',
    '- Settings: `BENCH_DURATION`, `BENCH_WARMUP`, `BENCH_CONNECTIONS`, `BENCH_CHILDREN`, `BENCH_SEED`, `BENCH_SCENARIOS` (e.g. `child`), `BENCH_NODE_ENV` (`production`, the default, or `development`), `BENCH_CPU_PROF=1` (profile the server with `--cpu-prof`; summarise with `npx tsx bench/tools/cpuprofile-top.ts <file>`), `BENCH_HOME`, `BENCH_PG_PORT`, `BENCH_REDIS_PORT`.',
    ...(s.cpuProfile ? [`- This run profiled the server with \`--cpu-prof\` (profiles in \`${path.relative(PROJECT_ROOT, r.profileDir)}\`), which slows it down; do not compare with unprofiled runs.`] : []),
  ].join('\n');

  const summary = [
    ...measured.map((m) => `${m.name.padEnd(9)} ${fmt(m.stats.requestsPerSecond).padStart(7)} req/s  p50 ${ms(m.stats.latencyP50Ms).padStart(4)} ms  p99 ${ms(m.stats.latencyP99Ms).padStart(4)} ms  ` +
      `${trivial ? `x${fmt(ratio(m.stats.requestsPerSecond), 2)}` : ''}  errors ${errorsOf(m)}  server ${m.cpu.serverMsPerRequest === null ? 'n/a' : fmt(m.cpu.serverMsPerRequest, 2)} ms CPU/req`),
    verdictLine.replace(/\*\*/g, '').replace(/`/g, ''),
    ...(r.warnings.length ? [`server warnings (${r.warnings.length}), first: ${r.warnings[0]!.slice(0, 300)}`] : []),
  ];

  return {
    title: `Gateway: GraphQL over ${fmt(s.children)} synthetic children`,
    facts: { ...r.pg, 'Server PostgreSQL pool': String(r.pool) },
    markdown,
    verdict: !evaluated ? 'NO_TARGET' : passed ? 'PASS' : 'FAIL',
    summary,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
