import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadOrCreateDevKey, mintDevToken } from '../auth/dev-keys.js';
import { ROLES, type Role } from '../auth/sensitivity.js';
import { tokenClaimsSchema } from '../auth/token-claims.js';
import { config as loadConfig, PROJECT_ROOT } from '../config/config.js';
import { ConfigError } from '../errors/config-error.js';
import { boot, bootLogger, interrupted } from './bootstrap.js';
import { connectorsCommand } from './connectors.command.js';
// The gateway, the worker, the simulators and the demo are imported by the commands that run them: a
// command loads only what it uses (a connector sync starts without Apollo, type-graphql or BullMQ's workers).
const shutdownHandlers = async () => (await import('../../jobs/worker.js')).installShutdownHandlers;

export const SCHEMA_FILE = path.join(PROJECT_ROOT, 'schema', 'schema.graphql');

/**
 * `npm run childhub -- …` (and `npm run demo`) runs the CLI in the package's folder, whatever folder it was typed
 * in: a relative path given (`--file ./draft.yaml`, `--out drops`, CHILDHUB_HOME) is read from where it was typed,
 * which npm passes as INIT_CWD (QA: `validate --file ./x.yaml` typed in docs/ looked for it in the project root).
 * Only then: a CLI a test or script starts in another folder keeps it, whatever npm variables it inherited.
 */
function workInTypedFolder(): void {
  const typedIn = process.env.INIT_CWD;
  if (!typedIn || !process.env.npm_lifecycle_event || path.resolve(process.cwd()) !== PROJECT_ROOT) return;
  if (path.resolve(typedIn) !== PROJECT_ROOT && existsSync(typedIn)) process.chdir(typedIn);
}
workInTypedFolder();

const program = new Command()
  .name('childhub')
  .description('Data-integration hub for children in special circumstances (Hà Nội).')
  .showHelpAfterError();

program
  .command('migrate')
  .description('Apply pending database migrations (starts embedded PostgreSQL when DATABASE_URL is unset).')
  .action(async () => {
    const b = await boot({ migrate: 'apply' });
    b.logger.info('database is up to date');
    await b.shutdown();
  });

program
  .command('serve')
  .description('Run the GraphQL gateway with /healthz, /readyz and /metrics.')
  .action(async () => {
    const b = await boot({ migrate: 'auto' });
    const { startApi } = await import('../app/api.js');
    const api = await startApi(b.ctx);
    b.logger.info({ url: `${api.url}/graphql` }, 'gateway listening');
    b.releaseSignals();
    (await shutdownHandlers())(async () => {
      await api.close();
      await b.shutdown();
    }, { logger: b.logger, timeoutMs: b.ctx.config.SHUTDOWN_GRACE_MS });
  });

program
  .command('worker')
  .description('Run the BullMQ job processors and the outbox relay.')
  .option('--queues <names>', 'comma-separated queues to work on (default: all)')
  .action(async (opts: { queues?: string }) => {
    const b = await boot({ migrate: 'auto' });
    const { startWorker, installShutdownHandlers } = await import('../../jobs/worker.js');
    const worker = await startWorker(b.ctx, { queues: opts.queues?.split(',').map((q) => q.trim()).filter(Boolean) });
    b.logger.info({ queues: worker.queues }, 'worker running');
    b.releaseSignals();
    installShutdownHandlers(async () => {
      await worker.close();
      await b.shutdown();
    }, { logger: b.logger, timeoutMs: b.ctx.config.SHUTDOWN_GRACE_MS });
  });

program
  .command('demo')
  .description('Start everything on embedded defaults with a synthetic Hà Nội sample, and print where to click.')
  .option('--children <n>', 'synthetic children to load on first run', (v) => Number.parseInt(v, 10), 3000)
  .option('--seed <n>', 'generator seed', (v) => Number.parseInt(v, 10), 2026)
  .option('--no-wait', 'do not wait for golden records to be built before printing the banner')
  .action(async (opts: { children: number; seed: number; wait: boolean }) => (await import('./demo.js')).runDemo(opts));

program
  .command('seed')
  .description('Load the synthetic sample through the ingest path (idempotent for a seed).')
  .option('--children <n>', 'synthetic children', (v) => Number.parseInt(v, 10), 3000)
  .option('--seed <n>', 'generator seed', (v) => Number.parseInt(v, 10), 2026)
  .action(async (opts: { children: number; seed: number }) => {
    const b = await boot({ migrate: 'apply', pretty: true });
    const { seedSample } = await import('../seed/sample-seeder.js');
    const result = await seedSample(b.ctx, { children: opts.children, seed: opts.seed });
    b.logger.info(result, 'sample loaded; run a worker to build golden records');
    await b.shutdown();
  });

program.addCommand(connectorsCommand());

const simulate = program.command('simulate').description('Run simulators of the external systems on loopback, for demos and tests.');
simulate
  .command('population-db')
  .description('The national population database as a SOAP service holding the synthetic population (quota, latency, faults, issuance). '
    + 'It checks callers\' credentials when POPULATION_DB_USERNAME, POPULATION_DB_SECRET and POPULATION_DB_API_KEY are set in its environment (a hub set up otherwise is refused with HTTP 401); without them it takes any caller.')
  .option('--port <n>', 'port', (v) => Number.parseInt(v, 10), 8089)
  .option('--seed <n>', 'generator seed (use the sample\'s)', (v) => Number.parseInt(v, 10), 2026)
  .option('--children <n>', 'population size (use the sample\'s)', (v) => Number.parseInt(v, 10), 3000)
  .option('--growth <n>', 'the next N children of the population after --children are registered too: those the source simulators add later (--add-every, POST /_sim/add) come from them (N counts children, not records: 1,000 pupils added span about 1,350 children, pre-school ones having no school record)', (v) => Number.parseInt(v, 10), 10_000)
  .option('--quota <n>', 'requests per second before HTTP 429 (0: no quota)', (v) => Number.parseInt(v, 10), 50)
  .option('--latency <min,max>', 'added latency in ms', '5,30')
  .option('--issuance-delay <ms>', 'how long after the first lookup an abandoned child\'s number appears', (v) => Number.parseInt(v, 10), 30_000)
  .option('--error-rate <p>', 'share of requests answered with HTTP 500', Number.parseFloat, 0)
  .option('--timeout-rate <p>', 'share of requests never answered', Number.parseFloat, 0)
  .option('--malformed-rate <p>', 'share of requests answered with broken XML', Number.parseFloat, 0)
  .action(async (o: { port: number; seed: number; children: number; growth: number; quota: number; latency: string; issuanceDelay: number; errorRate: number; timeoutRate: number; malformedRate: number }) => {
    const cfg = loadConfig();
    const log = bootLogger(cfg);
    const [min, max] = o.latency.split(',').map(Number);
    const { startPopulationDbSimulator } = await import('../population-db/simulator/population-db.simulator.js');
    const sim = await startPopulationDbSimulator({
      port: o.port, seed: o.seed, count: o.children, growth: o.growth, quotaPerSecond: o.quota, latencyMs: { min: min ?? 0, max: max ?? min ?? 0 },
      issuanceDelayMs: o.issuanceDelay, faults: { errorRate: o.errorRate, timeoutRate: o.timeoutRate, malformedRate: o.malformedRate },
      credentials: cfg.POPULATION_DB_USERNAME && cfg.POPULATION_DB_SECRET && cfg.POPULATION_DB_API_KEY
        ? { username: cfg.POPULATION_DB_USERNAME, secret: cfg.POPULATION_DB_SECRET, apiKey: cfg.POPULATION_DB_API_KEY } : undefined,
      logger: log,
    });
    log.info({ url: sim.url, stats: `${new URL(sim.url).origin}/stats`, checksCredentials: !!(cfg.POPULATION_DB_USERNAME && cfg.POPULATION_DB_SECRET && cfg.POPULATION_DB_API_KEY) },
      'population-db simulator listening (set POPULATION_DB_URL to its url)');
    (await shutdownHandlers())(() => sim.close(), { logger: log });
  });

simulate
  .command('health-station')
  .description('Commune health stations\' FHIR R4 server (OAuth2 client credentials, Patient search with Immunization/Observation).')
  .option('--port <n>', 'port', (v) => Number.parseInt(v, 10), 4101)
  .option('--seed <n>', 'generator seed (use the sample\'s)', (v) => Number.parseInt(v, 10), 2026)
  .option('--children <n>', 'population size', (v) => Number.parseInt(v, 10), 3000)
  .option('--client-id <id>', 'client id the token endpoint accepts', 'health-station-simulator')
  .option('--client-secret <secret>', 'client secret the token endpoint accepts', 'health-station-simulator-secret')
  .option('--faults <json>', 'fault injection, e.g. {"rateLimitEvery":5,"retryAfterSeconds":2,"errorRate":0.1,"malformedRecordRate":0.01}')
  .option('--add-every <seconds>', 'add new Patients (the population\'s next children) every so many seconds', Number.parseFloat)
  .option('--add-count <n>', 'Patients added each time (with --add-every)', (v) => Number.parseInt(v, 10), 10)
  .action(async (o: { port: number; seed: number; children: number; clientId: string; clientSecret: string; faults?: string; addEvery?: number; addCount: number }) => {
    const { startHealthStationSimulator } = await import('../../connectors/health-station/simulator.js');
    const log = bootLogger(loadConfig());
    const sim = await startHealthStationSimulator({ port: o.port, seed: o.seed, count: o.children, clientId: o.clientId, clientSecret: o.clientSecret,
      faults: o.faults ? JSON.parse(o.faults) : undefined, addEvery: o.addEvery === undefined ? undefined : { everySeconds: o.addEvery, count: o.addCount }, logger: log });
    log.info({ url: sim.url, patients: sim.recordCount }, 'health-station simulator listening (HEALTH_STATION_FHIR_URL, HEALTH_STATION_TOKEN_URL; control: /_sim/faults, /_sim/stats, /_sim/touch, /_sim/add, /_sim/remove)');
    (await shutdownHandlers())(() => sim.close(), { logger: log });
  });

simulate
  .command('school')
  .description('The education sector\'s student API (API key, cursor paging, updated_since).')
  .option('--port <n>', 'port', (v) => Number.parseInt(v, 10), 4102)
  .option('--seed <n>', 'generator seed (use the sample\'s)', (v) => Number.parseInt(v, 10), 2026)
  .option('--children <n>', 'population size', (v) => Number.parseInt(v, 10), 3000)
  .option('--api-key <key>', 'the key clients must send in X-Api-Key', 'school-simulator-key')
  .option('--faults <json>', 'fault injection, e.g. {"rateLimitEvery":5,"retryAfterSeconds":2,"repeatPageRate":0.1}')
  .option('--add-every <seconds>', 'add new pupils (the population\'s next children) every so many seconds', Number.parseFloat)
  .option('--add-count <n>', 'pupils added each time (with --add-every)', (v) => Number.parseInt(v, 10), 10)
  .action(async (o: { port: number; seed: number; children: number; apiKey: string; faults?: string; addEvery?: number; addCount: number }) => {
    const { startSchoolSimulator } = await import('../../connectors/school/simulator.js');
    const log = bootLogger(loadConfig());
    const sim = await startSchoolSimulator({ port: o.port, seed: o.seed, count: o.children, apiKey: o.apiKey, faults: o.faults ? JSON.parse(o.faults) : undefined,
      addEvery: o.addEvery === undefined ? undefined : { everySeconds: o.addEvery, count: o.addCount }, logger: log });
    log.info({ url: sim.url, students: sim.recordCount }, 'school simulator listening (SCHOOL_API_URL, SCHOOL_API_KEY; control: /_sim/faults, /_sim/stats, /_sim/touch, /_sim/add, /_sim/remove)');
    (await shutdownHandlers())(() => sim.close(), { logger: log });
  });

simulate
  .command('justice-register')
  .description('Write the civil-status registers\' exports (births CSV or XLSX, adoptions XLSX) into a drop folder.')
  .option('--dir <path>', 'drop folder (default: where the connector reads, $JUSTICE_REGISTER_DROP_DIR or var/drops/justice-register in the project)')
  .option('--seed <n>', 'generator seed', (v) => Number.parseInt(v, 10), 2026)
  .option('--children <n>', 'population size', (v) => Number.parseInt(v, 10), 3000)
  .addOption(new Option('--format <format>', 'birth register file format').choices(['csv', 'xlsx']).default('csv'))
  .addOption(new Option('--encoding <encoding>', 'CSV encoding (windows-1258 writes a file the hub must refuse)').choices(['utf-8', 'utf-8-bom', 'utf-16le', 'windows-1258']).default('utf-8-bom'))
  .option('--broken-rows <n>', 'rows to write broken', (v) => Number.parseInt(v, 10), 0)
  .option('--rows <n>', 'write exactly this many birth rows (benchmarks)', (v) => Number.parseInt(v, 10))
  .option('--tag <tag>', 'part of the file names: khai-sinh-<tag>.csv, nuoi-con-nuoi-<tag>.xlsx (a later export needs another)', '20261101')
  .option('--new <n>', 'a later export: also this many registrations of the population\'s next children (those the HTTP simulators add)', (v) => Number.parseInt(v, 10), 0)
  .option('--only-new', 'write only the --new registrations (what was registered since the last export)')
  .action(async (o: { dir?: string; seed: number; children: number; format: 'csv' | 'xlsx'; encoding: 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'windows-1258'; brokenRows: number; rows?: number; tag: string; new: number; onlyNew?: boolean }) => {
    const { writeJusticeRegisterDrop } = await import('../../connectors/justice-register/simulator.js');
    const drop = await writeJusticeRegisterDrop({ dir: dropDir(o.dir, 'JUSTICE_REGISTER_DROP_DIR', 'var/drops/justice-register'), seed: o.seed, count: o.children, format: o.format, encoding: o.encoding, brokenRows: o.brokenRows, rows: o.rows,
      tag: o.tag, newRecords: o.new, onlyNew: o.onlyNew === true });
    for (const f of drop.files) process.stdout.write(`wrote ${path.relative(process.cwd(), f.path)} (${f.rows} rows)\n`);
    if (o.new > 0) process.stdout.write(`${drop.added.ids.length} of them new registrations\n`);
  });

simulate
  .command('facility-inspection')
  .description('Write religious-care facility inspection reports (XLSX, sheets "Cơ sở" and "Trẻ em") into a drop folder.')
  .option('--dir <path>', 'drop folder (default: where the connector reads, $FACILITY_INSPECTION_DROP_DIR or var/drops/facility-inspection in the project)')
  .option('--seed <n>', 'generator seed', (v) => Number.parseInt(v, 10), 2026)
  .option('--children <n>', 'population size', (v) => Number.parseInt(v, 10), 3000)
  .option('--year <n>', 'only this inspection round (2024, 2025 or 2026)', (v) => Number.parseInt(v, 10))
  .option('--broken-rows <n>', 'child rows per workbook to write broken', (v) => Number.parseInt(v, 10), 0)
  .option('--new <n>', 'a revised report: also this many child rows of the population\'s next children (those the other simulators add)', (v) => Number.parseInt(v, 10), 0)
  .action(async (o: { dir?: string; seed: number; children: number; year?: number; brokenRows: number; new: number }) => {
    const { writeFacilityInspectionDrop } = await import('../../connectors/facility-inspection/simulator.js');
    const drop = await writeFacilityInspectionDrop({ dir: dropDir(o.dir, 'FACILITY_INSPECTION_DROP_DIR', 'var/drops/facility-inspection'), seed: o.seed, count: o.children, year: o.year, brokenRows: o.brokenRows, newRecords: o.new });
    for (const f of drop.files) process.stdout.write(`wrote ${path.relative(process.cwd(), f.path)} (${f.rows} child rows)\n`);
    if (o.new > 0) process.stdout.write(`${drop.added.ids.length} of them new child rows\n`);
  });

/**
 * The folder a file simulator writes to: `--dir` (from here), else where the connector reads: its variable, else
 * its default, both from the project as the connector resolves them (QA: with the demo's variables loaded, a drop
 * written to the default folder was never read).
 */
function dropDir(given: string | undefined, variable: string, fallback: string): string {
  return given !== undefined ? path.resolve(given) : path.resolve(PROJECT_ROOT, process.env[variable] || fallback);
}

const servers = program
  .command('servers')
  .description('The embedded PostgreSQL and local redis-server under CHILDHUB_HOME: who started them, who uses them; stop them.');
servers
  .command('status')
  .description('Show whether they run, on which port, the hub process that started them, the hub processes using them (the last to exit stops them) and how many connections they have.')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const cfg = loadConfig();
    const { localServersStatus } = await import('../infra/local-servers.js');
    const status = await localServersStatus(cfg.CHILDHUB_HOME, { redisPort: cfg.EMBEDDED_REDIS_PORT });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return;
    }
    const { describeServer } = await import('./servers.format.js');
    for (const s of status) process.stdout.write(`${describeServer(s, cfg)}\n`);
  });
servers
  .command('stop')
  .description('Stop them when no hub process uses them (left by hubs killed with kill -9); --force stops them anyway.')
  .option('--force', 'stop even if hub processes use them or others are connected')
  .action(async (opts: { force?: boolean }) => {
    const cfg = loadConfig();
    const { stopLocalServers } = await import('../infra/local-servers.js');
    const outcomes = await stopLocalServers(cfg.CHILDHUB_HOME, { redisPort: cfg.EMBEDDED_REDIS_PORT }, { force: opts.force });
    const { SERVER_NAMES } = await import('./servers.format.js');
    for (const o of outcomes) {
      const name = SERVER_NAMES[o.kind];
      const text = { stopped: 'stopped', 'not-running': 'not running', refused: `not stopped: ${o.reason}`, kept: 'not stopped either (both or neither)' }[o.result];
      process.stdout.write(`${name}: ${text}\n`);
    }
    if (outcomes.some((o) => o.result === 'refused')) process.exitCode = 1;
  });

program
  .command('token')
  .description('Mint a development JWT signed with the local dev key (never accepted in production).')
  .addOption(new Option('--role <role...>', 'role(s)').choices([...ROLES]).default(['data_steward']))
  .option('--agency <agency>', 'agency code', 'so-ldtbxh-ha-noi')
  .option('--communes <codes>', 'comma-separated 2025 commune codes, or * for the whole city', '*')
  .option('--purpose <purpose>', 'purpose of processing recorded in the audit', 'child-protection-casework')
  .option('--officer-id <id>', "officer's number", 'CB-DEV-0001')
  .option('--unit <unit>', 'unit within the agency')
  .option('--name <name>', "officer's name (told to the population database with a check the officer asks for)", 'Cán bộ phát triển')
  .option('--sub <subject>', 'token subject', 'dev-user')
  .option('--expires <span>', 'lifetime, e.g. 8h, 30m', '8h')
  .action(async (opts: { role: Role[]; agency: string; communes: string; purpose: string; officerId: string; unit?: string; name: string; sub: string; expires: string }) => {
    const cfg = loadConfig();
    if (cfg.NODE_ENV === 'production') throw new ConfigError('`childhub token` mints dev tokens and is disabled in production', ['NODE_ENV']);
    const parsed = tokenClaimsSchema.safeParse({
      sub: opts.sub,
      officer_id: opts.officerId,
      name: opts.name,
      agency: opts.agency,
      unit: opts.unit,
      roles: opts.role,
      communes: opts.communes === '*' ? '*' : opts.communes.split(',').map((c) => c.trim()),
      purpose: opts.purpose,
    });
    if (!parsed.success) throw new Error(`token claims invalid: ${parsed.error.issues.map((i) => `--${i.path[0] === 'roles' ? 'role' : String(i.path[0]).replace('_', '-')}: ${i.message}`).join('; ')}`);
    const claims = parsed.data;
    const key = await loadOrCreateDevKey(cfg.CHILDHUB_HOME);
    const token = await mintDevToken(key, claims, { issuer: cfg.AUTH_ISSUER, audience: cfg.AUTH_AUDIENCE, expiresIn: opts.expires });
    // QA: `--expires 48h` minted, without a word, a token the gateway refuses (longer than AUTH_MAX_TOKEN_HOURS).
    const { iat, exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number; exp: number };
    // QA re-check: `--expires 0h` or `-1h` minted a token expired from the start.
    if (exp <= iat) throw new ConfigError(`--expires ${opts.expires} gives a token that has expired already: ask for a lifetime, e.g. 8h`, ['--expires']);
    if (exp - iat > cfg.AUTH_MAX_TOKEN_HOURS * 3600) {
      throw new ConfigError(
        `--expires ${opts.expires} is longer than AUTH_MAX_TOKEN_HOURS (${cfg.AUTH_MAX_TOKEN_HOURS} h): the gateway would refuse the token. ` +
          `Ask for ${cfg.AUTH_MAX_TOKEN_HOURS}h or less, or raise AUTH_MAX_TOKEN_HOURS where the gateway runs (and here).`,
        ['AUTH_MAX_TOKEN_HOURS'],
      );
    }
    process.stdout.write(`${token}\n`);
  });

program
  .command('schema')
  .description('Write the published GraphQL contract to schema/schema.graphql (or --check it).')
  .option('--check', 'exit 1 when the file differs from the code')
  .action(async (opts: { check?: boolean }) => {
    const { buildHubSchema, printHubSchema } = await import('../graphql/schema.js');
    const sdl = printHubSchema(await buildHubSchema());
    if (opts.check) {
      const current = existsSync(SCHEMA_FILE) ? readFileSync(SCHEMA_FILE, 'utf8') : '';
      if (current !== sdl) {
        process.stderr.write('schema/schema.graphql is out of date: run `npm run schema:print` and commit the change.\n');
        process.exitCode = 1;
      } else process.stdout.write(`${path.relative(process.cwd(), SCHEMA_FILE)} matches the code\n`);
      return;
    }
    writeFileSync(SCHEMA_FILE, sdl);
    process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
  });

// A one-shot command's output piped into a reader that stops early (`| head`): nothing more to say. The exit
// hooks stop any embedded server this process started. (A service whose log pipe closes still fails loudly.)
if (!['serve', 'worker', 'demo'].includes(process.argv[2] ?? '')) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

program.parseAsync(process.argv).catch((err: unknown) => {
  // Interrupted: the error is the work cut short; the signal's handler exits with 128 + its number.
  if (interrupted()) return;
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  // Start-up failures (a port taken, redis-server missing…) carry messages written for people; the hub's
  // own errors also carry a code (CONNECTOR_SYNC_RUNNING…), which scripts and the docs go by.
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`\nchildhub: ${typeof code === 'string' && !message.includes(code) ? `[${code}] ` : ''}${message}\n`);
  process.exit(1);
});
