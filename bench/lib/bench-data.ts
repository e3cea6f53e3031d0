import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createAppContext, type AppContext } from '../../src/app/app-context.js';
import { parseConfig, PROJECT_ROOT, type Config } from '../../src/config/config.js';
import { initOrm, migrate } from '../../src/db/orm.js';
import { startInfrastructure } from '../../src/infra/infrastructure.js';
import { createLogger } from '../../src/observability/logger.js';
import { seedSample } from '../../src/seed/sample-seeder.js';
import { deferCleanup } from './cleanup.js';

/**
 * The bench database every suite shares: its own home under `.childhub/bench` (embedded PostgreSQL and
 * Redis on their own ports, unless DATABASE_URL / REDIS_URL are set) holding the synthetic Hà Nội population,
 * loaded once through the ingest path and reused by every later run and suite.
 */

/** Settings of the shared bench data (env `BENCH_*`). */
export interface BenchDataSettings {
  /** Synthetic population size (`BENCH_CHILDREN`). */
  children: number;
  /** Generator seed (`BENCH_SEED`). */
  seed: number;
  /** Children per golden-record recompute while seeding (`BENCH_RECOMPUTE_BATCH`). */
  recomputeBatch: number;
  /** Bench home (`BENCH_HOME`): own PostgreSQL cluster, Redis and dev key, never the demo's. */
  home: string;
  pgPort: number;
  redisPort: number;
}

/** An integer `BENCH_*` setting; empty or unset means `fallback`. */
export function intSetting(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return n;
}

export function readBenchDataSettings(): BenchDataSettings {
  return {
    children: intSetting('BENCH_CHILDREN', 100_000),
    seed: intSetting('BENCH_SEED', 2026, 0),
    recomputeBatch: intSetting('BENCH_RECOMPUTE_BATCH', 500),
    // Its own home (own PostgreSQL cluster, Redis and dev key) and ports, so the bench never touches the
    // demo's data and can run beside it.
    home: path.resolve(process.env.BENCH_HOME || path.join(PROJECT_ROOT, '.childhub', 'bench')),
    pgPort: intSetting('BENCH_PG_PORT', 54339),
    redisPort: intSetting('BENCH_REDIS_PORT', 63809),
  };
}

/** NODE_ENV of the processes a suite starts (`BENCH_NODE_ENV`): production unless asked otherwise. */
export type BenchNodeEnv = 'production' | 'development';

export function readBenchNodeEnv(raw: string | undefined = process.env.BENCH_NODE_ENV): BenchNodeEnv {
  if (raw === undefined || raw === '' || raw === 'production') return 'production';
  if (raw === 'development') return 'development';
  throw new Error(`BENCH_NODE_ENV must be production or development (got "${raw}")`);
}

/** The bench database, open, migrated, with an application context on it (no population database configured). */
export interface BenchDatabase {
  config: Config;
  ctx: AppContext;
  databaseUrl: string;
  redisUrl: string;
  /** The embedded cluster's data folder (for PostgreSQL's CPU time); null for an external DATABASE_URL. */
  pgDataDir: string | null;
}

/**
 * Starts (or connects to) the bench PostgreSQL and Redis, applies migrations, builds an application context,
 * runs `fn`, and stops everything it started — also on Ctrl-C (see cleanup.ts).
 */
export async function withBenchDatabase<T>(s: BenchDataSettings, log: (m: string) => void, fn: (db: BenchDatabase) => Promise<T>): Promise<T> {
  mkdirSync(s.home, { recursive: true });
  const config = parseConfig({
    ...process.env,
    // This process needs the settings (home, ports, token issuer and audience), not production's rule
    // that a public key be configured; the NODE_ENV of the processes a suite starts is set where it starts them.
    NODE_ENV: 'development',
    CHILDHUB_HOME: s.home,
    EMBEDDED_PG_PORT: String(s.pgPort),
    EMBEDDED_REDIS_PORT: String(s.redisPort),
    LOG_LEVEL: 'warn',
  });
  const logger = createLogger({ level: 'warn' });

  log(config.DATABASE_URL ? 'PostgreSQL: DATABASE_URL (external server)' : `PostgreSQL: embedded, port ${s.pgPort}, data in ${path.join(s.home, 'postgres')}`);
  log(config.REDIS_URL ? 'Redis: REDIS_URL (external server)' : `Redis: local redis-server, port ${s.redisPort}`);
  const infra = await startInfrastructure(config, logger, 'childhub_bench');
  const stopInfra = deferCleanup(() => infra.stop());
  try {
    const orm = await initOrm(infra.databaseUrl, 1, logger);
    try {
      const applied = await migrate(orm);
      if (applied.length) log(`migrations applied: ${applied.join(', ')}`);
    } finally {
      await orm.close(true);
    }
    const ctx = await createAppContext({ config, logger, databaseUrl: infra.databaseUrl, redisUrl: infra.redisUrl });
    const closeCtx = deferCleanup(() => ctx.close());
    try {
      // Embedded cluster's data folder (see src/infra): lets the bench account PostgreSQL's CPU time.
      const pgDataDir = infra.embedded.postgres ? path.join(config.CHILDHUB_HOME, 'postgres', 'data') : null;
      return await fn({ config, ctx, databaseUrl: infra.databaseUrl, redisUrl: infra.redisUrl, pgDataDir });
    } finally {
      await closeCtx();
    }
  } finally {
    await stopInfra();
  }
}

export interface DataFacts {
  activeChildren: number;
  sourceRecords: number;
  identityNumbers: number;
  databaseSize: string;
  seeding: SeedingFacts | null;
  /** True when the data came from an earlier run (then `seeding`, if known, is that run's record). */
  reused: boolean;
}

export interface SeedingFacts {
  date: string;
  children: number;
  seed: number;
  records: number;
  childrenCreated: number;
  rejected: number;
  ingestSeconds: number;
  recomputed: number;
  recomputeSeconds: number;
  recomputeBatch: number;
}

const seedingFactsSchema = z.object({
  date: z.string(),
  children: z.number(),
  seed: z.number(),
  records: z.number(),
  childrenCreated: z.number(),
  rejected: z.number(),
  ingestSeconds: z.number(),
  recomputed: z.number(),
  recomputeSeconds: z.number(),
  recomputeBatch: z.number(),
});

/**
 * Seeding happens once per bench home; its timings are kept beside the cluster so later reports can cite
 * them. (The file name predates other suites: the gateway suite seeded first.)
 */
function seedingFactsFile(s: BenchDataSettings): string {
  return path.join(s.home, 'gateway-seeding.json');
}

function readSeedingFacts(s: BenchDataSettings): SeedingFacts | null {
  try {
    const parsed = seedingFactsSchema.safeParse(JSON.parse(readFileSync(seedingFactsFile(s), 'utf8')));
    return parsed.success && parsed.data.children === s.children && parsed.data.seed === s.seed ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Makes sure the bench database holds the synthetic population with golden records built: reuses what an
 * earlier run loaded, or loads it through the real ingest path and builds the children's golden records batch by batch.
 */
export async function ensureData(ctx: AppContext, s: BenchDataSettings, log: (m: string) => void): Promise<DataFacts> {
  const state = async () =>
    (await ctx.sql.one<{ children: string; pending: string }>(
      `SELECT (SELECT count(*) FROM child WHERE status = 'ACTIVE')::text AS children,
              (SELECT count(*) FROM child c WHERE c.status = 'ACTIVE' AND (
                 (c.identity_number IS NOT NULL AND NOT EXISTS (SELECT 1 FROM identity_number n WHERE n.child_id = c.id))
                 OR (c.group_clauses <> '{}' AND NOT EXISTS (SELECT 1 FROM special_circumstance g WHERE g.child_id = c.id))))
              + (SELECT count(DISTINCT s.child_id) FROM source_record s WHERE s.child_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM child c WHERE c.id = s.child_id))
              AS pending`,
    ))!;
  const now = await state();
  let seeding: SeedingFacts | null = null;
  let reused = false;
  // "Pending" children have a number or a group but no history rows, or no row at all (records linked to a
  // child the golden-record stage has not built): their golden record was never built.
  if (Number(now.children) >= s.children && Number(now.pending) === 0) {
    log(`data: reusing ${Number(now.children).toLocaleString('en')} active children from a previous bench run (delete ${s.home} to start afresh)`);
    reused = true;
    // The timings file describes this home's embedded cluster; an external database was seeded elsewhere.
    seeding = process.env.DATABASE_URL ? null : readSeedingFacts(s);
  } else {
    log(`data: loading ${s.children.toLocaleString('en')} synthetic children through the ingest path (seed ${s.seed}; first run only)…`);
    const t0 = Date.now();
    let lastLog = t0;
    const seeded = await seedSample(ctx, {
      children: s.children,
      seed: s.seed,
      onProgress: ({ records, children }) => {
        if (Date.now() - lastLog < 10_000) return;
        lastLog = Date.now();
        log(`  ingest: ${records.toLocaleString('en')} records, ${children.toLocaleString('en')} children created, ${rate(records, Date.now() - t0)} records/s`);
      },
    });
    const ingestSeconds = (Date.now() - t0) / 1000;
    log(`  ingest done: ${seeded.records.toLocaleString('en')} records in ${ingestSeconds.toFixed(1)} s (${rate(seeded.records, ingestSeconds * 1000)} records/s)`);

    // What the worker does for each outbox entry, called directly: the bench needs the data, not the queue.
    // Every child a record is linked to: ingest decides the links, the golden-record stage builds the children.
    const ids = (await ctx.sql.query<{ id: string }>(`SELECT DISTINCT child_id AS id FROM source_record WHERE child_id IS NOT NULL ORDER BY 1`)).map((r) => r.id);
    const t1 = Date.now();
    lastLog = t1;
    for (let i = 0; i < ids.length; i += s.recomputeBatch) {
      await ctx.goldenRecords.recompute(ids.slice(i, i + s.recomputeBatch));
      if (Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        log(`  golden records: ${Math.min(i + s.recomputeBatch, ids.length).toLocaleString('en')}/${ids.length.toLocaleString('en')}, ${rate(i + s.recomputeBatch, Date.now() - t1)} children/s`);
      }
    }
    const recomputeSeconds = (Date.now() - t1) / 1000;
    log(`  golden records done: ${ids.length.toLocaleString('en')} children in ${recomputeSeconds.toFixed(1)} s (${rate(ids.length, recomputeSeconds * 1000)} children/s)`);

    // Fresh bulk-loaded tables have no planner statistics and no visibility map yet; production tables
    // get both from autovacuum long before anyone benchmarks them. The checkpoint keeps the load's dirty
    // pages from being flushed during a measured run.
    await ctx.sql.query('VACUUM ANALYZE child, source_record, identity_number, special_circumstance');
    await ctx.sql.query('CHECKPOINT').catch(() => log('  (CHECKPOINT needs superuser; skipped)'));
    seeding = {
      date: new Date().toISOString(), children: s.children, seed: s.seed, records: seeded.records, childrenCreated: seeded.childrenCreated,
      rejected: seeded.rejected, ingestSeconds, recomputed: ids.length, recomputeSeconds, recomputeBatch: s.recomputeBatch,
    };
    writeFileSync(seedingFactsFile(s), `${JSON.stringify(seeding, null, 2)}\n`);
  }
  const facts = (await ctx.sql.one<{ children: string; records: string; numbers: string; size: string }>(
    `SELECT (SELECT count(*) FROM child WHERE status = 'ACTIVE')::text AS children,
            (SELECT count(*) FROM source_record)::text AS records,
            (SELECT count(*) FROM identity_number)::text AS numbers,
            pg_size_pretty(pg_database_size(current_database())) AS size`,
  ))!;
  if (Number(facts.children) < s.children) {
    throw new Error(`the database holds ${facts.children} active children after seeding, fewer than the ${s.children} asked for`);
  }
  return {
    activeChildren: Number(facts.children),
    sourceRecords: Number(facts.records),
    identityNumbers: Number(facts.numbers),
    databaseSize: facts.size,
    seeding,
    reused,
  };
}

/** The sentence the reports give about where the data came from and what loading it cost. */
export function seedingSentence(data: DataFacts, s: BenchDataSettings): string {
  const fmt = (n: number, digits = 0) => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const seeded = data.seeding;
  return seeded
    ? `${data.reused ? `Data reused from the bench run of ${seeded.date.slice(0, 10)}, which seeded it` : 'Seeded in this run'}: ${fmt(seeded.records)} source records for ${fmt(seeded.children)} synthetic children through the ingest path in ${fmt(seeded.ingestSeconds, 1)} s ` +
      `(${rate(seeded.records, seeded.ingestSeconds * 1000)} records/s; ${fmt(seeded.childrenCreated)} child records created, ${fmt(seeded.rejected)} rejected), ` +
      `then golden records for ${fmt(seeded.recomputed)} children in ${fmt(seeded.recomputeSeconds, 1)} s ` +
      `(${rate(seeded.recomputed, seeded.recomputeSeconds * 1000)} children/s, batches of ${seeded.recomputeBatch}, one at a time). Context, not a target.` +
      (data.reused ? ` Seeding is skipped while the database holds ≥ ${fmt(s.children)} active children with golden records built; delete \`.childhub/bench\` to reseed.` : '')
    : `Data reused from a previous bench run (seeding is skipped while the database holds ≥ ${fmt(s.children)} active children with golden records built; delete \`.childhub/bench\` to reseed); its seeding time was not recorded.`;
}

/** PostgreSQL's version and the settings that matter for write-heavy figures. */
export async function postgresFacts(ctx: AppContext): Promise<Record<string, string>> {
  const v = await ctx.sql.one<{ version: string }>('SELECT version() AS version');
  const settings = await ctx.sql.query<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'max_connections') ORDER BY name`,
  );
  const show = (name: string) => {
    const row = settings.find((r) => r.name === name);
    if (!row) return '?';
    // shared_buffers is reported in 8 kB pages.
    return row.unit === '8kB' ? `${(Number(row.setting) * 8) / 1024} MB` : row.setting;
  };
  return {
    // "PostgreSQL 18.1 on x86_64-pc-linux-gnu, compiled by …": the compiler says nothing useful here.
    PostgreSQL: (v?.version ?? 'unknown').split(', compiled by')[0]!,
    'PostgreSQL settings': `shared_buffers ${show('shared_buffers')}, fsync ${show('fsync')}, synchronous_commit ${show('synchronous_commit')}, max_connections ${show('max_connections')}`,
  };
}

/** `count` per `ms` milliseconds as a whole number per second, or — for no time. */
export function rate(count: number, ms: number): string {
  return ms > 0 ? Math.round((count * 1000) / ms).toLocaleString('en') : '—';
}
