import { execFile } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pgCopy from 'pg-copy-streams';
import { z } from 'zod';
import { BIRTH_HEADERS, writeJusticeRegisterDrop } from '../../connectors/justice-register/simulator.js';
import type { AppContext } from '../../src/app/app-context.js';
import { loadOrCreateDevKey } from '../../src/auth/dev-keys.js';
import { PROJECT_ROOT } from '../../src/config/config.js';
import { processAuthEnv } from '../lib/auth-env.js';
import { intSetting, postgresFacts, rate, readBenchDataSettings, readBenchNodeEnv, withBenchDatabase, type BenchDataSettings, type BenchDatabase, type BenchNodeEnv } from '../lib/bench-data.js';
import { deferCleanup } from '../lib/cleanup.js';
import { buildHub, imageNodeFlags } from '../lib/build.js';
import { runChildhubCommand, type ChildhubCommandResult } from '../lib/command.js';
import { machineBusySeconds, postgresCpu, processCpuSeconds, selfCpuSeconds } from '../lib/cpu.js';
import { freePort, startChildhubProcess, type ChildhubProcess } from '../lib/server.js';
import { QueueClient } from '../../jobs/queue-client.js';
import type { BenchSuite, SuiteContext, SuiteResult } from '../lib/suite.js';

/**
 * Connector throughput, in one run against an emptied database: the raw COPY of a 1,000,000-row birth
 * register CSV into a table of text columns (the ceiling: PostgreSQL taking the same rows with no work
 * done on them), the same file ingested through the file connector by the real
 * `childhub connectors sync justice-register --in-process --file …` (parse, map, validate, normalise,
 * upsert, link to children, projections, outbox, checkpoint per chunk), the golden-record stage building
 * the children those records were linked to (real worker processes; context, no target), the same file
 * again with `--force` (every record recognised as unchanged by its content hash), and an HTTP sync of
 * ~200,000 records from the school simulator (`childhub connectors sync school --in-process`).
 *
 * Targets (issue): CSV ingest ≥ 50,000 records/s; unchanged re-ingest ≥ 150,000 records/s; HTTP ≥ 20,000
 * records/s; peak RSS of the 1M-row ingest < 300 MB.
 */

const TARGET = { csv: 50_000, reingest: 150_000, http: 20_000, rssBytes: 300_000_000, rows: 1_000_000, httpRecords: 200_000 } as const;

interface Settings extends BenchDataSettings {
  /** Rows of the birth register CSV (`BENCH_CONNECTORS_ROWS`). */
  rows: number;
  /** Children of the school simulator's population; about 72% are enrolled (`BENCH_CONNECTORS_HTTP_CHILDREN`). */
  httpChildren: number;
  /** The school definition's request budget in the bench copy (`BENCH_CONNECTORS_HTTP_RPS`). */
  httpRps: number;
  /** Which phases run (`BENCH_CONNECTORS_PHASES`, comma-separated: copy,csv,golden,reingest,http). */
  phases: Set<Phase>;
  cpuProfile: boolean;
  nodeEnv: BenchNodeEnv;
  /** How the sync processes run (`BENCH_CONNECTORS_RUNTIME`): the compiled build, as the production image runs it, or the sources through tsx. */
  runtime: 'built' | 'tsx';
  /** Extra Node flags for the sync processes (`BENCH_CONNECTORS_NODE_FLAGS`, space-separated), to try a setting; the report names them. */
  nodeFlags: string[];
  /** The image's Node flags (Dockerfile ENTRYPOINT), which the built runtime runs with. */
  imageFlags: string[];
  /** `childhub worker --queues golden-record` processes building the children (`BENCH_CONNECTORS_GOLDEN_WORKERS`). */
  goldenWorkers: number;
  /** Their WORKER_CONCURRENCY (`BENCH_CONNECTORS_GOLDEN_CONCURRENCY`). */
  goldenConcurrency: number;
}

const PHASES = ['copy', 'csv', 'golden', 'reingest', 'http'] as const;
type Phase = (typeof PHASES)[number];

function readSettings(): Settings {
  const shared = readBenchDataSettings();
  const phasesRaw = process.env.BENCH_CONNECTORS_PHASES || PHASES.join(',');
  const phases = new Set(phasesRaw.split(',').map((p) => p.trim()).filter(Boolean));
  const unknown = [...phases].filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`BENCH_CONNECTORS_PHASES: unknown phase(s) ${unknown.join(', ')} (use ${PHASES.join(',')})`);
  if (phases.has('reingest') && !phases.has('csv')) throw new Error('BENCH_CONNECTORS_PHASES: reingest needs csv (it re-reads what csv loaded)');
  if (phases.has('golden') && !phases.has('csv')) throw new Error('BENCH_CONNECTORS_PHASES: golden needs csv (it builds the children csv linked)');
  return {
    ...shared,
    // Its own home, cluster and ports: this suite empties its tables on every run, which must never reach
    // the gateway and identity suites' seeded data.
    home: path.resolve(process.env.BENCH_CONNECTORS_HOME || path.join(PROJECT_ROOT, '.childhub', 'bench-connectors')),
    pgPort: intSetting('BENCH_CONNECTORS_PG_PORT', 54341),
    redisPort: intSetting('BENCH_CONNECTORS_REDIS_PORT', 63811),
    rows: intSetting('BENCH_CONNECTORS_ROWS', TARGET.rows),
    httpChildren: intSetting('BENCH_CONNECTORS_HTTP_CHILDREN', 280_000),
    httpRps: intSetting('BENCH_CONNECTORS_HTTP_RPS', 200),
    phases: phases as Set<Phase>,
    cpuProfile: ['1', 'true', 'yes'].includes(process.env.BENCH_CPU_PROF ?? ''),
    nodeEnv: readBenchNodeEnv(),
    runtime: readRuntime(process.env.BENCH_CONNECTORS_RUNTIME),
    nodeFlags: (process.env.BENCH_CONNECTORS_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean),
    imageFlags: imageNodeFlags(),
    goldenWorkers: intSetting('BENCH_CONNECTORS_GOLDEN_WORKERS', 1),
    goldenConcurrency: intSetting('BENCH_CONNECTORS_GOLDEN_CONCURRENCY', 2),
  };
}

function readRuntime(raw: string | undefined): 'built' | 'tsx' {
  if (raw === undefined || raw === '' || raw === 'built') return 'built';
  if (raw === 'tsx') return 'tsx';
  throw new Error(`BENCH_CONNECTORS_RUNTIME must be built or tsx (got "${raw}")`);
}

const suite: BenchSuite = {
  name: 'connectors',
  description: 'Connector throughput: raw COPY ceiling, 1M-row CSV ingest, unchanged re-ingest, 200k-record HTTP sync; records/s and peak RSS',
  run: runConnectorsSuite,
};
export default suite;

async function runConnectorsSuite({ log }: SuiteContext): Promise<SuiteResult> {
  const s = readSettings();
  return withBenchDatabase(s, log, (db) => benchConnectors(db, s, log));
}

// ——— the 1M-row file ———

const dropMarkerSchema = z.object({ rows: z.number(), seed: z.number(), sizeBytes: z.number(), writtenSeconds: z.number() });

/** Writes the birth-register CSV once per (rows, seed) into the bench home and reuses it afterwards. */
async function ensureCsv(s: Settings, log: (m: string) => void): Promise<{ file: string; sizeBytes: number; reused: boolean; writtenSeconds: number }> {
  const dir = path.join(s.home, 'data');
  const tag = `bench-${s.rows}-s${s.seed}`;
  const file = path.join(dir, `khai-sinh-${tag}.csv`);
  const marker = `${file}.json`;
  if (existsSync(file) && existsSync(marker)) {
    const m = dropMarkerSchema.safeParse(JSON.parse(readFileSync(marker, 'utf8')));
    if (m.success && m.data.rows === s.rows && m.data.seed === s.seed && m.data.sizeBytes === statSync(file).size) {
      log(`data: reusing ${path.relative(PROJECT_ROOT, file)} (${s.rows.toLocaleString('en')} rows, ${mb(m.data.sizeBytes)})`);
      return { file, sizeBytes: m.data.sizeBytes, reused: true, writtenSeconds: m.data.writtenSeconds };
    }
  }
  log(`data: writing a ${s.rows.toLocaleString('en')}-row birth register CSV (UTF-8, no BOM) with the justice-register simulator (not timed)…`);
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const drop = await writeJusticeRegisterDrop({ dir, rows: s.rows, format: 'csv', encoding: 'utf-8', seed: s.seed, count: 5000, tag });
  const writtenSeconds = (performance.now() - t0) / 1000;
  const birth = drop.files.find((f) => f.kind === 'birth')!;
  if (birth.rows !== s.rows) throw new Error(`the simulator wrote ${birth.rows} rows, not ${s.rows}`);
  // The adoption workbook it writes beside it is not part of this benchmark.
  for (const f of drop.files) if (f.kind !== 'birth') await rm(f.path, { force: true });
  const sizeBytes = statSync(file).size;
  writeFileSync(marker, `${JSON.stringify({ rows: s.rows, seed: s.seed, sizeBytes, writtenSeconds }, null, 2)}\n`);
  log(`data: ${mb(sizeBytes)} written in ${writtenSeconds.toFixed(1)} s`);
  return { file, sizeBytes, reused: false, writtenSeconds };
}

// ——— the database ———

/** Empties every table the connectors write (and the ones hanging off them): each run is an initial load. */
async function emptyDatabase(ctx: AppContext): Promise<void> {
  const tables = (await ctx.sql.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'
        AND tablename NOT IN ('audit_event', 'mikro_orm_migrations') AND tablename NOT LIKE 'bench_%' ORDER BY 1`,
  )).map((r) => r.name);
  await ctx.sql.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`);
  await checkpoint(ctx);
}

/**
 * Flushes dirty pages so one phase's writes are not paid for during the next measured one: PostgreSQL's to
 * the operating system (CHECKPOINT), then the operating system's to disk (`sync`), so no phase starts with
 * the previous one's writeback pending (the log shows what was unwritten when a phase started). It did not
 * explain the re-ingest's spread after the golden phase: that is system CPU spent zeroing fresh pages (see
 * the README's benchmarks), with 0 MB unwritten at its start.
 */
async function checkpoint(ctx: AppContext): Promise<void> {
  await ctx.sql.query('CHECKPOINT').catch(() => {});
  await new Promise<void>((resolve) => execFile('sync', () => resolve()));
}

interface DbCounts {
  sourceRecords: number;
  /** The source system's records stored as their text under a layout (CSV rows), not as JSON. */
  asText: number;
  unlinked: number;
  /** Distinct children the source system's records are linked to (built or not). */
  linkedChildren: number;
  children: number;
  birthRegistrations: number;
  schoolEnrolments: number;
  rejected: number;
  outbox: number;
  size: string;
}

async function dbCounts(ctx: AppContext, sourceSystem: string): Promise<DbCounts> {
  const r = (await ctx.sql.one<Record<keyof DbCounts, string>>(
    `SELECT (SELECT count(*) FROM source_record WHERE source_system = $1)::text AS "sourceRecords",
            (SELECT count(*) FROM source_record WHERE source_system = $1 AND raw_text IS NOT NULL)::text AS "asText",
            (SELECT count(*) FROM source_record WHERE source_system = $1 AND child_id IS NULL)::text AS unlinked,
            (SELECT count(DISTINCT child_id) FROM source_record WHERE source_system = $1)::text AS "linkedChildren",
            (SELECT count(*) FROM child)::text AS children,
            (SELECT count(*) FROM birth_registration)::text AS "birthRegistrations",
            (SELECT count(*) FROM school_enrolment)::text AS "schoolEnrolments",
            (SELECT count(*) FROM rejected_record)::text AS rejected,
            (SELECT count(*) FROM outbox)::text AS outbox,
            pg_size_pretty(pg_database_size(current_database())) AS size`,
    [sourceSystem],
  ))!;
  return {
    sourceRecords: Number(r.sourceRecords), asText: Number(r.asText), unlinked: Number(r.unlinked), linkedChildren: Number(r.linkedChildren), children: Number(r.children), birthRegistrations: Number(r.birthRegistrations),
    schoolEnrolments: Number(r.schoolEnrolments), rejected: Number(r.rejected), outbox: Number(r.outbox), size: r.size,
  };
}

// ——— phases ———

interface CpuFigures {
  /** CPU seconds of the measured client: the sync process (its own rusage) or the bench process (COPY). */
  client: number | null;
  postgres: number | null;
  /** Of `postgres`, the WAL writer's. */
  walWriter: number | null;
  /** Bytes of write-ahead log the cluster wrote over the phase. */
  walBytes: number | null;
  simulator: number | null;
  /** Of `client`, the kernel's (system time): mostly page faults, first touches of the process's memory. */
  clientSystem: number | null;
  /** Minor page faults of the measured sync process. */
  clientFaults: number | null;
  /** Cores kept busy on average by everything else on the machine over the phase. */
  restCores: number | null;
}

interface PhaseResult {
  phase: Phase;
  label: string;
  records: number;
  wallSeconds: number;
  /** The sync's own duration (from taking the lock to the last checkpoint), without process start-up. */
  syncSeconds: number | null;
  peakRssBytes: number | null;
  cpu: CpuFigures;
  load: string;
  summary: RunSummaryReport['summary'] | null;
  checks: string[];
  problems: string[];
  warnings: string[];
}

const runReportSchema = z.object({
  summary: z.object({
    runId: z.string(), connector: z.string(), status: z.string(), resumed: z.boolean(), durationMs: z.number(), batches: z.number(), fetched: z.number(),
    inserted: z.number(), updated: z.number(), unchanged: z.number(), rejected: z.number(), filesIngested: z.number(), filesSkipped: z.number(),
  }),
  maxRssBytes: z.number(),
  cpuUserSeconds: z.number(),
  cpuSystemSeconds: z.number(),
  minorPageFaults: z.number(),
  uptimeSeconds: z.number(),
});
type RunSummaryReport = z.infer<typeof runReportSchema>;

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

/** Memory the kernel has yet to write to disk (Dirty + Writeback in /proc/meminfo), for the log. */
function unwrittenMB(): string {
  try {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0);
    return `${Math.round((kb('Dirty') + kb('Writeback')) / 1024)} MB`;
  } catch {
    return 'n/a';
  }
}

async function copyPhase(db: BenchDatabase, file: string, rows: number, log: (m: string) => void): Promise<PhaseResult> {
  const { ctx } = db;
  const table = 'bench_copy_ceiling';
  const columns = BIRTH_HEADERS.map((_, i) => `c${i + 1} text`).join(', ');
  await ctx.sql.query(`DROP TABLE IF EXISTS ${table}`);
  await ctx.sql.query(`CREATE TABLE ${table} (${columns})`);
  await checkpoint(ctx);
  const load = loadAverage();
  log(`raw COPY: ${path.basename(file)} into ${table} (${BIRTH_HEADERS.length} text columns, no index)… (load ${load})`);
  const client = await ctx.sql.pool.connect();
  const start = await phaseStart(db);
  const self0 = selfCpuSeconds();
  const t0 = performance.now();
  try {
    const sink = client.query(pgCopy.from(`COPY ${table} FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')`));
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), sink);
  } finally {
    client.release();
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = await phaseCpu(db, start, { client0: self0, client1: selfCpuSeconds(), wallSeconds });
  const copied = Number((await ctx.sql.one<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`))!.n);
  await ctx.sql.query(`DROP TABLE ${table}`);
  await checkpoint(ctx);
  const problems = copied === rows ? [] : [`COPY stored ${copied} rows, not ${rows}`];
  log(`raw COPY: ${copied.toLocaleString('en')} rows in ${wallSeconds.toFixed(2)} s = ${rate(copied, wallSeconds * 1000)} rows/s`);
  return {
    phase: 'copy', label: 'Raw COPY (ceiling)', records: copied, wallSeconds, syncSeconds: null, peakRssBytes: null, cpu, load, summary: null,
    checks: [`${fmt(copied)} rows in the scratch table`], problems, warnings: [],
  };
}

/** Where a phase's CPU and WAL figures start from. */
interface PhaseStart {
  pg: { total: number; walWriter: number } | null;
  m0: number | null;
  lsn: string | null;
}

async function phaseStart(db: BenchDatabase): Promise<PhaseStart> {
  return { pg: db.pgDataDir ? postgresCpu(db.pgDataDir) : null, m0: machineBusySeconds(), lsn: await walLsn(db) };
}

/** Where the cluster is inserting write-ahead log now. */
async function walLsn(db: BenchDatabase): Promise<string | null> {
  return (await db.ctx.sql.one<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn').catch(() => null))?.lsn ?? null;
}

async function phaseCpu(
  db: BenchDatabase,
  start: PhaseStart,
  a: { client0?: number | null; client1?: number | null; clientSeconds?: number | null; clientSystem?: number | null; clientFaults?: number | null; sim0?: number | null; sim1?: number | null; wallSeconds: number },
): Promise<CpuFigures> {
  const pg1 = db.pgDataDir ? postgresCpu(db.pgDataDir) : null;
  const m1 = machineBusySeconds();
  const walBytes = start.lsn === null
    ? null
    : Number((await db.ctx.sql.one<{ n: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::text AS n', [start.lsn]).catch(() => null))?.n ?? NaN);
  const postgres = start.pg === null || pg1 === null ? null : pg1.total - start.pg.total;
  const walWriter = start.pg === null || pg1 === null ? null : pg1.walWriter - start.pg.walWriter;
  const client = a.clientSeconds !== undefined ? a.clientSeconds : a.client0 == null || a.client1 == null ? null : a.client1 - a.client0;
  const simulator = a.sim0 == null || a.sim1 == null ? null : a.sim1 - a.sim0;
  const known = [client, postgres, ...(a.sim0 === undefined ? [] : [simulator])];
  const restCores = start.m0 === null || m1 === null || known.some((v) => v === null)
    ? null
    : Math.max(0, m1 - start.m0 - known.reduce<number>((x, y) => x + (y ?? 0), 0)) / a.wallSeconds;
  return {
    client, postgres, walWriter, walBytes: walBytes !== null && Number.isFinite(walBytes) ? walBytes : null, simulator,
    clientSystem: a.clientSystem ?? null, clientFaults: a.clientFaults ?? null, restCores,
  };
}

interface SyncRun {
  name: string;
  connector: string;
  args: string[];
  env: Record<string, string>;
}

async function syncPhase(db: BenchDatabase, s: Settings, phase: Phase, label: string, run: SyncRun, log: (m: string) => void, entry: string | undefined, sim?: { pid: number }): Promise<{ result: PhaseResult; command: ChildhubCommandResult }> {
  const reportFile = path.join(s.home, `run-${phase}.json`);
  await rm(reportFile, { force: true });
  const load = loadAverage();
  log(`${label}: childhub connectors sync ${run.connector} ${run.args.join(' ')} … (load ${load}; not yet on disk ${unwrittenMB()})`);
  const start = await phaseStart(db);
  const sim0 = sim ? processCpuSeconds(sim.pid) : undefined;
  const profileDir = path.join(s.home, 'profiles');
  const command = await runChildhubCommand({
    name: run.name,
    args: ['connectors', 'sync', run.connector, '--in-process', ...run.args, '--report-json', reportFile],
    env: run.env,
    compiledEntry: entry,
    nodeFlags: [...(s.runtime === 'built' ? s.imageFlags : []), ...s.nodeFlags, ...(s.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${phase}-${Date.now()}.cpuprofile`] : [])],
  });
  const wallSeconds = command.wallMs / 1000;
  const sim1 = sim ? processCpuSeconds(sim.pid) : undefined;
  const problems: string[] = [];
  let report: RunSummaryReport | null = null;
  if (command.code !== 0) problems.push(`the command exited with ${command.timedOut ? 'a time-out' : command.signal ?? `code ${command.code}`}: ${command.tail.slice(-5).join(' | ')}`);
  else {
    try {
      report = runReportSchema.parse(JSON.parse(await readFile(reportFile, 'utf8')));
    } catch (err) {
      problems.push(`no readable --report-json: ${(err as Error).message}`);
    }
  }
  if (report && report.summary.status !== 'SUCCEEDED') problems.push(`the run ended ${report.summary.status}`);
  const cpu = await phaseCpu(db, start, {
    clientSeconds: report ? report.cpuUserSeconds + report.cpuSystemSeconds : null, clientSystem: report?.cpuSystemSeconds ?? null, clientFaults: report?.minorPageFaults ?? null,
    sim0, sim1, wallSeconds,
  });
  const sum = report?.summary;
  log(`${label}: exit ${command.code}, ${wallSeconds.toFixed(1)} s end to end` +
    (sum ? ` (sync ${(sum.durationMs / 1000).toFixed(1)} s): ${fmt(sum.fetched)} fetched, ${fmt(sum.inserted)} new, ${fmt(sum.updated)} changed, ${fmt(sum.unchanged)} unchanged, ${fmt(sum.rejected)} rejected; ` +
      `${rate(sum.fetched, command.wallMs)} records/s; peak RSS ${mb(report!.maxRssBytes)}` : ''));
  return {
    command,
    result: {
      phase, label, records: sum?.fetched ?? 0, wallSeconds, syncSeconds: sum ? sum.durationMs / 1000 : null, peakRssBytes: report?.maxRssBytes ?? command.sampledPeakRssBytes,
      cpu, load, summary: sum ?? null, checks: [], problems, warnings: command.warnings,
    },
  };
}

/** Records linked to children whose rows the golden-record stage has not built yet. */
async function unbuiltChildren(ctx: AppContext): Promise<number> {
  return Number((await ctx.sql.one<{ n: string }>(
    `SELECT count(DISTINCT s.child_id)::text AS n FROM source_record s WHERE s.child_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM child c WHERE c.id = s.child_id)`,
  ))!.n);
}

/**
 * The stage after ingest: `childhub worker --queues golden-record` processes (compiled, with the image's
 * flags) relay the ingest's outbox rows and build every child the records were linked to, as a deployment's
 * workers do. Timed from starting the workers to the last child built; no target (the issue's targets are on
 * ingest), but it is what a newly loaded file waits for before its children are queryable.
 */
async function goldenPhase(db: BenchDatabase, s: Settings, env: Record<string, string>, entry: string | undefined, log: (m: string) => void): Promise<PhaseResult> {
  const { ctx } = db;
  const toBuild = await unbuiltChildren(ctx);
  const pendingRows = async () => Number((await ctx.sql.one<{ n: string }>(
    `SELECT count(*)::text AS n FROM outbox WHERE relayed_at IS NULL AND topic = 'golden-record.recompute'`,
  ))!.n);
  const childrenBefore = Number((await ctx.sql.one<{ n: string }>('SELECT count(*)::text AS n FROM child'))!.n);
  const prefix = `childhub-bench-golden-${Date.now()}`;
  const queues = new QueueClient({ redisUrl: db.redisUrl, prefix });
  const closeQueues = deferCleanup(() => queues.close());
  const listeners = async () => Number((await ctx.sql.one<{ n: string }>(
    `SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'childhub-outbox-listener'`,
  ))?.n ?? 0);
  const listenersBefore = await listeners();
  const load = loadAverage();
  log(`golden records: ${fmt(toBuild)} children to build from ${fmt(await pendingRows())} outbox rows; ${s.goldenWorkers} × childhub worker --queues golden-record (WORKER_CONCURRENCY=${s.goldenConcurrency})… (load ${load})`);
  const start = await phaseStart(db);
  const t0 = performance.now();
  const workers: ChildhubProcess[] = [];
  const stops: Array<() => Promise<void>> = [];
  const problems: string[] = [];
  let workerCpu: number | null = 0;
  let peak: number | null = null;
  try {
    for (let i = 1; i <= s.goldenWorkers; i++) {
      const w = await startChildhubProcess({
        name: `golden-record worker ${i}`,
        args: ['worker', '--queues', 'golden-record'],
        env: { ...env, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: String(s.goldenConcurrency) },
        compiledEntry: entry,
        nodeFlags: [...(s.runtime === 'built' ? s.imageFlags : []), ...s.nodeFlags, ...(s.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(s.home, 'profiles')}`] : [])],
        ready: async () => (await listeners()) >= listenersBefore + i,
      });
      workers.push(w);
      stops.push(deferCleanup(() => w.stop()));
    }
    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const dead = workers.find((w) => w.exited());
      if (dead) throw new Error(`a golden-record worker exited:\n${dead.tail().join('\n')}`);
      const counts = (await queues.counts())['golden-record'];
      if (counts.waiting + counts.active + counts.delayed === 0 && (await pendingRows()) === 0) break;
      if (Date.now() > deadline) throw new Error('the golden-record stage did not finish within 30 minutes');
    }
    const failed = (await queues.counts())['golden-record'].failed;
    if (failed) problems.push(`${fmt(failed)} golden-record jobs failed`);
    for (const w of workers) {
      const c = processCpuSeconds(w.pid);
      workerCpu = c === null || workerCpu === null ? null : workerCpu + c;
      const rss = w.peakRssBytes();
      if (rss !== null) peak = Math.max(peak ?? 0, rss);
    }
  } finally {
    for (const stop of stops) await stop();
    await closeQueues();
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = await phaseCpu(db, start, { clientSeconds: workerCpu, wallSeconds });
  const left = await unbuiltChildren(ctx);
  const facts = (await ctx.sql.one<{ children: string; numbers: string; groups: string; reconcile: string }>(
    `SELECT (SELECT count(*) FROM child)::text AS children, (SELECT count(*) FROM identity_number)::text AS numbers,
            (SELECT count(*) FROM special_circumstance)::text AS groups,
            (SELECT coalesce(sum(CASE WHEN jsonb_typeof(payload->'ids') = 'array' THEN jsonb_array_length(payload->'ids') ELSE 1 END), 0) FROM outbox
              WHERE topic = 'identity.reconcile' AND relayed_at IS NULL)::text AS reconcile`,
  ))!;
  const built = Number(facts.children) - childrenBefore;
  if (left) problems.push(`${fmt(left)} linked children still without a row`);
  if (built !== toBuild) problems.push(`${fmt(built)} children built for ${fmt(toBuild)} linked`);
  const warnings = workers.flatMap((w) => w.warnings());
  log(`golden records: ${fmt(built)} children in ${wallSeconds.toFixed(1)} s = ${rate(built, wallSeconds * 1000)} children/s`);
  return {
    phase: 'golden', label: 'Golden records (children built)', records: built, wallSeconds, syncSeconds: null, peakRssBytes: peak, cpu, load, summary: null,
    checks: [
      `${fmt(built)} children built from the records the CSV ingest linked (${fmt(Number(facts.numbers))} identity-number history rows, ${fmt(Number(facts.groups))} group memberships in all), ` +
        `${fmt(Number(facts.reconcile))} children queued for identity reconciliation (not run here); ${s.goldenWorkers} worker process(es), WORKER_CONCURRENCY=${s.goldenConcurrency}, timed from starting the workers`,
    ],
    problems, warnings,
  };
}

// ——— the run ———

async function benchConnectors(db: BenchDatabase, s: Settings, log: (m: string) => void): Promise<SuiteResult> {
  const { ctx } = db;
  const pg = await postgresFacts(ctx);
  const csv = await ensureCsv(s, log);
  let entry: string | undefined;
  if (s.runtime === 'built') {
    const t0 = performance.now();
    log('building the hub as `npm run build` does, into the bench home (not timed)…');
    entry = buildHub(path.join(s.home, 'dist'));
    log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${path.relative(PROJECT_ROOT, entry)}`);
  }

  // A copy of the definitions for the bench: the school API's request budget raised (the committed file
  // keeps the production budget), everything else as committed.
  const defsDir = await mkdtemp(path.join(os.tmpdir(), 'childhub-bench-connectors-'));
  const removeDefs = deferCleanup(() => rm(defsDir, { recursive: true, force: true }));
  let result: SuiteResult;
  try {
    for (const name of ['justice-register', 'school']) {
      mkdirSync(path.join(defsDir, name));
      await copyFile(path.join(PROJECT_ROOT, 'connectors', name, 'connector.yaml'), path.join(defsDir, name, 'connector.yaml'));
    }
    const schoolYaml = path.join(defsDir, 'school', 'connector.yaml');
    const committed = await readFile(schoolYaml, 'utf8');
    const committedRps = Number(/^\s*requestsPerSecond:\s*(\d+)/m.exec(committed)?.[1]);
    if (!Number.isFinite(committedRps)) throw new Error('connectors/school/connector.yaml has no http.requestsPerSecond to raise');
    await writeFile(schoolYaml, committed.replace(/^(\s*requestsPerSecond:\s*)\d+/m, `$1${s.httpRps}`));

    log('emptying the bench database (every run is an initial load)…');
    await emptyDatabase(ctx);

    const key = await loadOrCreateDevKey(s.home);
    const apiKey = 'bench-school-key';
    const env: Record<string, string> = {
      ...(await processAuthEnv(key, s.nodeEnv)),
      AUTH_JWKS_URL: '',
      CHILDHUB_HOME: s.home,
      DATABASE_URL: db.databaseUrl,
      REDIS_URL: db.redisUrl,
      CONNECTORS_DIR: defsDir,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      SCHOOL_API_KEY: apiKey,
    };

    const phases: PhaseResult[] = [];
    if (s.phases.has('copy')) phases.push(await copyPhase(db, csv.file, s.rows, log));

    if (s.phases.has('csv')) {
      const before = await dbCounts(ctx, 'justice-register');
      const { result: r } = await syncPhase(db, s, 'csv', 'CSV ingest', { name: 'the CSV ingest', connector: 'justice-register', args: ['--file', csv.file], env }, log, entry);
      const after = await dbCounts(ctx, 'justice-register');
      const sum = r.summary;
      if (sum) {
        if (sum.fetched !== s.rows) r.problems.push(`fetched ${sum.fetched} records, not the file's ${s.rows} rows`);
        if (sum.inserted + sum.rejected + sum.unchanged !== sum.fetched) r.problems.push('new + rejected + unchanged ≠ fetched');
        if (sum.updated !== 0) r.problems.push(`${sum.updated} records counted as changed on an initial load`);
        if (after.sourceRecords - before.sourceRecords !== sum.inserted) r.problems.push(`${after.sourceRecords - before.sourceRecords} source records stored, the run counted ${sum.inserted} new`);
        if (after.unlinked) r.problems.push(`${after.unlinked} source records not linked to a child`);
        if (after.asText - before.asText !== sum.inserted) r.problems.push(`${after.asText - before.asText} of ${sum.inserted} new records stored as their row's text`);
        if (after.birthRegistrations !== after.sourceRecords) r.problems.push(`${after.birthRegistrations} birth registrations for ${after.sourceRecords} records`);
        r.checks.push(
          `${fmt(sum.inserted)} source records stored (each as its row's text under the file's layout), each linked to a child (${fmt(after.linkedChildren - before.linkedChildren)} children; their rows are built by the golden-record stage), ` +
            `${fmt(after.birthRegistrations - before.birthRegistrations)} birth registrations, ${fmt(after.outbox - before.outbox)} golden-record outbox rows (children grouped by the hundred), ` +
            `${fmt(after.rejected - before.rejected)} rows quarantined, ${fmt(sum.batches)} chunks each committed with its checkpoint`,
        );
      }
      phases.push(r);
      // What autovacuum would have done by the time a file is re-read; keeps the next phase's plans honest.
      log('VACUUM ANALYZE and CHECKPOINT between phases (not timed)…');
      await ctx.sql.query('VACUUM ANALYZE');
      await checkpoint(ctx);
    }

    if (s.phases.has('golden')) {
      phases.push(await goldenPhase(db, s, env, entry, log));
      await ctx.sql.query('VACUUM ANALYZE child, identity_number, special_circumstance');
      await checkpoint(ctx);
    }

    if (s.phases.has('reingest')) {
      const before = await dbCounts(ctx, 'justice-register');
      const { result: r } = await syncPhase(db, s, 'reingest', 'Unchanged re-ingest', { name: 'the re-ingest', connector: 'justice-register', args: ['--file', csv.file, '--force'], env }, log, entry);
      const after = await dbCounts(ctx, 'justice-register');
      const sum = r.summary;
      if (sum) {
        if (sum.fetched !== s.rows) r.problems.push(`fetched ${sum.fetched} records, not the file's ${s.rows} rows`);
        if (sum.inserted || sum.updated) r.problems.push(`${sum.inserted} new and ${sum.updated} changed records in an unchanged file`);
        if (sum.unchanged + sum.rejected !== sum.fetched) r.problems.push('unchanged + rejected ≠ fetched');
        if (after.sourceRecords !== before.sourceRecords || after.children !== before.children) r.problems.push('source records or children changed');
        if (after.outbox !== before.outbox) r.problems.push(`${after.outbox - before.outbox} outbox rows written for unchanged records`);
        r.checks.push(`${fmt(sum.unchanged)} records skipped as unchanged by content hash, no source record, child or outbox row written` +
          (sum.rejected ? `; the ${fmt(sum.rejected)} broken rows quarantined again` : ''));
      }
      phases.push(r);
      await checkpoint(ctx);
    }

    let httpFacts: { children: number; records: number; buildMs: number; pages: number | null } | null = null;
    if (s.phases.has('http')) {
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      log(`starting the school simulator (${fmt(s.httpChildren)} children, seed ${s.seed})…`);
      const sim = await startChildhubProcess({
        name: 'the school simulator',
        args: ['simulate', 'school', '--port', String(port), '--children', String(s.httpChildren), '--seed', String(s.seed), '--api-key', apiKey],
        env,
        readyTimeoutMs: 600_000,
        ready: () => fetch(`${origin}/_sim/health`).then((r) => r.ok, () => false),
      });
      const stopSim = deferCleanup(() => sim.stop());
      try {
        const stats0 = simStatsSchema.parse(await (await fetch(`${origin}/_sim/stats`)).json());
        log(`simulator ready: ${fmt(stats0.recordCount)} records (built in ${(stats0.buildMs / 1000).toFixed(1)} s)`);
        await fetch(`${origin}/_sim/reset-stats`, { method: 'POST' }).then((r) => r.arrayBuffer());
        const before = await dbCounts(ctx, 'school');
        const { result: r } = await syncPhase(db, s, 'http', 'HTTP sync', { name: 'the HTTP sync', connector: 'school', args: [], env: { ...env, SCHOOL_API_URL: origin } }, log, entry, sim);
        const after = await dbCounts(ctx, 'school');
        const stats1 = simStatsSchema.parse(await (await fetch(`${origin}/_sim/stats`)).json());
        httpFacts = { children: s.httpChildren, records: stats0.recordCount, buildMs: stats0.buildMs, pages: stats1.pagesServed };
        const sum = r.summary;
        if (sum) {
          if (sum.fetched !== stats0.recordCount) r.problems.push(`fetched ${sum.fetched} records, the simulator holds ${stats0.recordCount}`);
          if (stats1.recordsServed !== stats0.recordCount) r.problems.push(`the simulator served ${stats1.recordsServed} records for ${stats0.recordCount} held`);
          if (after.sourceRecords - before.sourceRecords !== sum.inserted) r.problems.push(`${after.sourceRecords - before.sourceRecords} source records stored, the run counted ${sum.inserted} new`);
          if (after.unlinked) r.problems.push(`${after.unlinked} school records not linked to a child`);
          const shared = Number((await ctx.sql.one<{ n: string }>(
            `SELECT count(DISTINCT s.child_id)::text AS n FROM source_record s
              WHERE s.source_system = 'school' AND EXISTS (SELECT 1 FROM source_record o WHERE o.child_id = s.child_id AND o.source_system <> 'school')`,
          ))!.n);
          r.checks.push(`${fmt(sum.inserted)} school records stored and linked to ${fmt(after.linkedChildren - before.linkedChildren)} children (${fmt(shared)} of them joined by identity number to a child of the birth register), ` +
            `${fmt(after.schoolEnrolments - before.schoolEnrolments)} enrolments, ${fmt(sum.rejected)} rejected; ${fmt(stats1.pagesServed)} pages served, ` +
            `${Object.entries(stats1.byStatus).map(([k, v]) => `${fmt(v)} × HTTP ${k}`).join(', ')}`);
        }
        phases.push(r);
      } finally {
        await stopSim();
      }
    }
    const final = await dbCounts(ctx, 'justice-register');
    result = render(s, phases, pg, csv, httpFacts, final);
  } finally {
    await removeDefs();
  }
  return result;
}

const simStatsSchema = z.object({
  recordCount: z.number(),
  buildMs: z.number(),
  pagesServed: z.number(),
  recordsServed: z.number(),
  byStatus: z.record(z.string(), z.number()),
});

// ——— the report ———

/**
 * What each target asks of the CPU: at the target rate, the machine's cores leave this much CPU time per
 * record for everything (the sync process, PostgreSQL, the simulator), against what the run spent.
 */
function budgetLines(phases: PhaseResult[]): string[] {
  const cores = os.availableParallelism();
  const lines: string[] = [];
  for (const p of phases) {
    const target = p.phase === 'csv' ? TARGET.csv : p.phase === 'reingest' ? TARGET.reingest : p.phase === 'http' ? TARGET.http : null;
    if (target === null || p.cpu.client === null || p.cpu.postgres === null || p.records === 0) continue;
    const us = (v: number) => (v * 1e6) / p.records;
    const client = us(p.cpu.client);
    const postgres = us(p.cpu.postgres);
    const simulator = p.phase === 'http' && p.cpu.simulator !== null ? us(p.cpu.simulator) : 0;
    const spent = client + postgres + simulator;
    const budget = (cores * 1e6) / target;
    lines.push(`- ${p.label}: ${fmt(target)} records/s on ${cores} cores leaves at most ${fmt(budget, 1)} µs of CPU per record, for the sync process, PostgreSQL${simulator ? ' and the simulator' : ''} together (with no idle moment on either core); ` +
      `this run spent ${fmt(spent, 1)} µs (${fmt(client, 1)} in the sync process, ${fmt(postgres, 1)} in PostgreSQL${p.cpu.walWriter !== null ? ` of which ${fmt(us(p.cpu.walWriter), 1)} in its WAL writer` : ''}${simulator ? `, ${fmt(simulator, 1)} in the simulator` : ''})` +
      (spent > budget ? `, ${fmt(spent / budget, 1)}× the budget.` : ', within it.'));
  }
  return lines.length ? ['What the targets ask of the CPU:', '', ...lines] : [];
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function mb(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${fmt(bytes / 1e6)} MB`;
}

function render(
  s: Settings,
  phases: PhaseResult[],
  pg: Record<string, string>,
  csv: { file: string; sizeBytes: number; reused: boolean; writtenSeconds: number },
  http: { children: number; records: number; buildMs: number; pages: number | null } | null,
  final: DbCounts,
): SuiteResult {
  const copy = phases.find((p) => p.phase === 'copy') ?? null;
  const copyRate = copy ? copy.records / copy.wallSeconds : null;
  const rateOf = (p: PhaseResult) => p.records / p.wallSeconds;

  interface Verdict { text: string; met: boolean | null }
  const verdicts = new Map<Phase, Verdict>();
  const verdictOf = (p: PhaseResult): Verdict => {
    const r = rateOf(p);
    switch (p.phase) {
      case 'csv': {
        const rssOk = p.peakRssBytes !== null && p.peakRssBytes < TARGET.rssBytes;
        return { text: `≥ ${fmt(TARGET.csv)} records/s; peak RSS < ${mb(TARGET.rssBytes)}`, met: r >= TARGET.csv && rssOk };
      }
      case 'reingest':
        return { text: `≥ ${fmt(TARGET.reingest)} records/s`, met: r >= TARGET.reingest };
      case 'http':
        return { text: `≥ ${fmt(TARGET.http)} records/s`, met: r >= TARGET.http };
      case 'golden':
        return { text: '— (context: the stage after ingest)', met: null };
      default:
        return { text: '(the ceiling)', met: null };
    }
  };
  for (const p of phases) verdicts.set(p.phase, verdictOf(p));

  const invalid = phases.filter((p) => p.problems.length > 0);
  const stated = s.rows === TARGET.rows && (!http || http.records >= TARGET.httpRecords);
  const allPhases = PHASES.every((p) => phases.some((x) => x.phase === p));
  const missed = phases.filter((p) => verdicts.get(p.phase)!.met === false);
  const passed = invalid.length === 0 && missed.length === 0 && allPhases && stated;

  const rows = phases.map((p) => {
    const v = verdicts.get(p.phase)!;
    const r = rateOf(p);
    const ratio = copyRate ? fmt(r / copyRate, 2) : 'n/a';
    const result = p.problems.length ? '**INVALID**' : v.met === null ? '—' : v.met ? 'PASS' : '**FAIL**';
    return `| ${p.label} | ${fmt(p.records)} | ${fmt(p.wallSeconds, 1)} | **${fmt(r)}** | ${ratio} | ${p.phase === 'copy' ? '— (PostgreSQL)' : mb(p.peakRssBytes)} | ${v.text} | ${result} |`;
  });

  const cpuRows = phases.map((p) => {
    const c = (v: number | null) => (v === null ? 'n/a' : fmt(v, 1));
    const perRecord = (v: number | null) => (v === null || p.records === 0 ? 'n/a' : fmt((v * 1e6) / p.records, 1));
    // What the CPU alone allows: every record costs this much CPU time somewhere on the machine's cores.
    const used = p.cpu.client === null || p.cpu.postgres === null ? null : p.cpu.client + p.cpu.postgres + (p.phase === 'http' ? (p.cpu.simulator ?? 0) : 0);
    const bound = used === null || used === 0 ? 'n/a' : fmt((os.availableParallelism() * p.records) / used);
    const walPerRecord = p.cpu.walBytes === null || p.records === 0 ? 'n/a' : fmt(p.cpu.walBytes / p.records);
    return `| ${p.label} | ${p.syncSeconds === null ? '—' : `${fmt(p.syncSeconds, 1)} (${fmt(p.records / p.syncSeconds)}/s)`} | ${c(p.cpu.client)} | ${c(p.cpu.postgres)} | ${p.phase === 'http' ? c(p.cpu.simulator) : '—'} | ` +
      `${perRecord(p.cpu.client)} | ${p.cpu.clientSystem === null ? '—' : perRecord(p.cpu.clientSystem)} | ${p.cpu.clientFaults === null ? '—' : fmt(p.cpu.clientFaults)} | ` +
      `${perRecord(p.cpu.postgres)} | ${perRecord(p.cpu.walWriter)} | ${walPerRecord} | ${bound} | ${p.cpu.restCores === null ? 'n/a' : fmt(p.cpu.restCores, 2)} | ${p.load} |`;
  });

  const byPhase = (ph: Phase) => phases.find((p) => p.phase === ph);
  const summaryOf = (ph: Phase) => {
    const p = byPhase(ph);
    if (!p) return null;
    const v = verdicts.get(ph)!;
    return `${p.label} ${fmt(rateOf(p))} records/s${v.met === null ? '' : ` (target ${v.text.replace(/; peak RSS.*/, '')}: ${v.met ? 'met' : 'missed'})`}` +
      (ph === 'csv' ? `, peak RSS ${mb(p.peakRssBytes)} (target < ${mb(TARGET.rssBytes)}: ${p.peakRssBytes !== null && p.peakRssBytes < TARGET.rssBytes ? 'met' : 'missed'})` : '');
  };
  const measured = (['csv', 'reingest', 'http'] as Phase[]).map(summaryOf).filter(Boolean);
  const verdictLine = `**${passed ? 'PASS' : 'FAIL'}** — ${measured.length ? measured.join('; ') : 'no target phase ran'}` +
    (invalid.length ? `; run not valid: ${invalid.map((p) => `${p.label}: ${p.problems.join(', ')}`).join('; ')}` : '') +
    (!allPhases ? `; only ${phases.map((p) => p.phase).join(', ')} ran (BENCH_CONNECTORS_PHASES)` : '') +
    (!stated ? `; not the stated sizes (${fmt(TARGET.rows)} rows, ≥ ${fmt(TARGET.httpRecords)} HTTP records)` : '') + '.';

  const warnings = phases.flatMap((p) => p.warnings.map((w) => `${p.label}: ${w}`));
  const markdown = [
    '### Results',
    '',
    `One run, against an emptied database: the same ${fmt(s.rows)}-row birth-register CSV (${mb(csv.sizeBytes)}, UTF-8) copied raw, then ingested through the file connector, then the children its records were linked to built by golden-record workers, then the file ingested again unchanged; then ${http ? fmt(http.records) : 'the'} records over HTTP from the school simulator.`,
    '',
    '| Phase | Records | Seconds (end to end) | Records/s | vs raw COPY | Peak RSS | Target | Result |',
    '|---|---:|---:|---:|---:|---:|---|---|',
    ...rows,
    '',
    'Targets: CSV ingest ≥ 50,000 records/s with peak RSS < 300 MB for the 1M-row file; unchanged re-ingest ≥ 150,000 records/s; HTTP ≥ 20,000 records/s. MB = 10⁶ bytes.',
    '',
    verdictLine,
    '',
    '### What each phase stored',
    '',
    ...phases.map((p) => `- ${p.label}: ${[...p.checks, ...p.problems.map((x) => `**problem:** ${x}`)].join('; ') || 'n/a'}.`),
    `- Database at the end: ${final.size}.`,
    '',
    '### Where the time went',
    '',
    `Seconds of the sync itself (the run's own duration: lock, read, every chunk's transaction, last checkpoint; the rest of the end-to-end time is starting Node, loading the code and connecting), CPU seconds of the measured client (the sync process's own rusage, its GC threads included; for COPY the bench process streaming the file) and of the PostgreSQL cluster (postmaster and all backends, from /proc), per record; of the sync process's, the kernel's (system time: mostly page faults, the first touch of each page of the process's memory, whose cost can vary several-fold on a virtual machine with what its host has reclaimed), with the count of faults; of PostgreSQL's, the WAL writer's (the process that copies the write-ahead log into the operating system's files: its CPU grows with the bytes of log, shown per record, that a phase makes the cluster write); and the rate the CPU time alone allows (${os.availableParallelism()} cores ÷ CPU time per record, the simulator's included: no overlap, wait or start-up could beat it). The rest of the machine: cores other processes kept busy (if this is large, something else competed for the cores). Load average (1, 5, 15 min) when the phase started.`,
    '',
    `| Phase | Sync (s, and records/s over it) | client CPU (s) | PostgreSQL CPU (s) | simulator CPU (s) | client µs/record | of it kernel µs/record | client page faults | PostgreSQL µs/record | of it WAL writer µs/record | WAL bytes/record | CPU-bound ceiling on ${os.availableParallelism()} cores (records/s) | rest of machine (cores) | load before |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...cpuRows,
    '',
    ...budgetLines(phases),
    '',
    '### Method',
    '',
    `- Everything runs on this one machine (${os.availableParallelism()} cores): the sync process, PostgreSQL, the simulator and the bench process share them.`,
    `- Database: its own embedded PostgreSQL cluster under \`${path.relative(PROJECT_ROOT, s.home) || s.home}\` (port ${s.pgPort}, database \`childhub_bench\`; Redis on port ${s.redisPort}) unless \`DATABASE_URL\`/\`REDIS_URL\` are set, with the project's default settings (above). ` +
      'Every run starts by emptying every table the hub writes (`TRUNCATE`), so the CSV ingest is an initial load; `CHECKPOINT` and an operating-system `sync` before each phase (the log shows what was still unwritten when a phase started), and `VACUUM ANALYZE` after the initial load (what autovacuum does to a freshly loaded table before anyone re-reads the file).',
    `- Data: \`${path.relative(PROJECT_ROOT, csv.file)}\`, written by the justice-register simulator (\`writeJusticeRegisterDrop({ rows: ${fmt(s.rows)}, format: 'csv', encoding: 'utf-8', seed: ${s.seed}, count: 5000 })\`: the population's own birth registrations, then rows recombined from further synthetic children) ` +
      `${csv.reused ? 'in an earlier run and reused' : 'in this run'} (${fmt(csv.writtenSeconds, 1)} s, not timed).`,
    '- Raw COPY (the ceiling): the file streamed by the bench process into `COPY … FROM STDIN (FORMAT csv, HEADER)` (pg-copy-streams) into a fresh logged table of 17 `text` columns without indexes: PostgreSQL taking the same bytes and rows with no parsing into types, no mapping, no index, no link. Timed from the first byte to the end of the COPY; the table is dropped afterwards.',
    (s.runtime === 'built'
      ? `- CSV ingest: the real command as its own process, compiled as the production image runs it: the bench builds the hub like \`npm run build\` (\`tsc -p tsconfig.build.json\`, reference data copied) into \`${path.relative(PROJECT_ROOT, path.join(s.home, 'dist'))}\` (not \`dist/\`, which \`bin/childhub.js\` would then prefer in this checkout), then runs \`node ${path.relative(PROJECT_ROOT, path.join(s.home, 'dist'))}/src/cli/main.js connectors sync justice-register --in-process --file <csv> --report-json <file>\` (the image's \`node bin/childhub.js …\` imports that same file). `
      : '- CSV ingest: the real command as its own process, `node --import tsx src/cli/main.ts connectors sync justice-register --in-process --file <csv> --report-json <file>` (what `npm run childhub -- connectors sync …` runs from the sources). ') +
      'The committed definition (chunks of 2,000 rows, each chunk\'s records, projections, rejects and checkpoint in one transaction; smaller chunks hold fewer records in memory at once). ' +
      'Timed from spawning the process to its exit: start-up, migrations check, reading, parsing, mapping, validation, normalisation, upserts with each record\'s link to a child, projections, outbox and checkpoints. Peak RSS is the process\'s own `getrusage` maximum (`process.resourceUsage().maxRSS`), written by `--report-json`.',
    '- Unchanged re-ingest: the same command with `--force` (the file\'s checksum is already recorded; `--force` reads it again): every record is recognised as unchanged by its content hash (the row\'s text + layout + mapping), compared with the stored keys and hashes the sync loads once at its start (one `COPY` of two columns; no query per record), before it is mapped or validated; from the second chunk on, a row is recognised by its text alone as the file is read, and not even split into fields; the broken rows are quarantined again, as on any re-read.',
    `- HTTP sync: the real \`childhub simulate school\` as its own process (${http ? `${fmt(http.children)} children of seed ${s.seed}: ${fmt(http.records)} enrolled pupils` : 'not run'}; no faults, no added latency; pages of 1,000 in cursor order), then \`connectors sync school --in-process\` against it. ` +
      `The definition is a bench copy (\`CONNECTORS_DIR\` pointing at a temporary folder) identical to \`connectors/school/connector.yaml\` except \`requestsPerSecond: ${s.httpRps}\`: the committed budget (20 requests/s, pages of 1,000) is a politeness limit towards the real agency API and alone caps a sync at 20,000 records/s.`,
    `- Processes: NODE_ENV=${s.nodeEnv}, LOG_LEVEL=warn, PostgreSQL pool of 10, ${s.runtime === 'built' && s.imageFlags.length ? `the image's Node flags \`${s.imageFlags.join(' ')}\` (Dockerfile ENTRYPOINT)` : 'no Node flags from the image'}${s.nodeFlags.length ? `, plus \`${s.nodeFlags.join(' ')}\` (BENCH_CONNECTORS_NODE_FLAGS: not what the image runs)` : ''}. ` +
      (warnings.length ? `${fmt(warnings.length)} warning/error log lines; first: \`${warnings[0]!.slice(0, 300).replace(/`/g, "'")}\`.` : 'No warning or error logs.'),
    '- Golden records: ingest decides each record\'s link and enqueues the children it touched (grouped outbox rows); the `golden-record` worker builds them. The golden phase measures that stage on the CSV\'s million records with real worker processes (compiled, the image\'s flags), from starting the workers to the last child built: context, not a target. Identity reconciliation, which the stage enqueues, is the identity suite\'s subject and is not run here.',
    `- Settings: \`BENCH_CONNECTORS_ROWS\`, \`BENCH_CONNECTORS_HTTP_CHILDREN\`, \`BENCH_CONNECTORS_HTTP_RPS\`, \`BENCH_CONNECTORS_PHASES\` (\`copy,csv,golden,reingest,http\`), \`BENCH_CONNECTORS_GOLDEN_WORKERS\` (1), \`BENCH_CONNECTORS_GOLDEN_CONCURRENCY\` (2), \`BENCH_CONNECTORS_RUNTIME\` (\`built\`, the default, or \`tsx\`), \`BENCH_CONNECTORS_NODE_FLAGS\`, \`BENCH_CONNECTORS_HOME\`, \`BENCH_CONNECTORS_PG_PORT\`, \`BENCH_CONNECTORS_REDIS_PORT\`, \`BENCH_SEED\`, \`BENCH_NODE_ENV\`, \`BENCH_CPU_PROF=1\` (profile the sync processes; \`npx tsx bench/tools/cpuprofile-top.ts <file>\`).`,
    ...(s.cpuProfile ? ['- This run profiled the sync processes with `--cpu-prof`, which slows them down: do not compare with unprofiled runs.'] : []),
  ].join('\n');

  const summary = [
    ...phases.map((p) => `${p.label.padEnd(22)} ${fmt(p.records).padStart(10)} records in ${fmt(p.wallSeconds, 1).padStart(6)} s = ${fmt(rateOf(p)).padStart(8)} records/s` +
      `${copyRate ? ` (${fmt(rateOf(p) / copyRate, 2)} × COPY)` : ''}${p.phase === 'copy' ? '' : `, peak RSS ${mb(p.peakRssBytes)}`}${p.problems.length ? ` — INVALID: ${p.problems.join('; ')}` : ''}`),
    verdictLine.replace(/\*\*/g, ''),
  ];
  return {
    title: `Connectors: ${fmt(s.rows)}-row CSV ingest, golden records, unchanged re-ingest, ${http ? fmt(http.records) : '~200,000'}-record HTTP sync`,
    facts: {
      ...pg,
      'Sync process': `${s.runtime === 'built' ? 'compiled build (as the production image runs it)' : 'sources through tsx'}, NODE_ENV=${s.nodeEnv}${[...(s.runtime === 'built' ? s.imageFlags : []), ...s.nodeFlags].length ? `, Node flags ${[...(s.runtime === 'built' ? s.imageFlags : []), ...s.nodeFlags].join(' ')}` : ''}, PostgreSQL pool 10`,
    },
    markdown,
    verdict: passed ? 'PASS' : 'FAIL',
    summary,
  };
}
