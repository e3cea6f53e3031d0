/**
 * `npm run bench [-- <suite>… | --list | --no-write]`: runs the benchmark suites in bench/suites/ (every
 * `*.bench.ts` there, discovered by name, so a new suite is one new file) and writes each suite's section
 * of docs/benchmarks.md (`--no-write` prints it instead). Exits 1 when a suite misses its target or fails.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runPendingCleanups } from './lib/cleanup.js';
import { machineFacts } from './lib/machine.js';
import { renderSection, updateBenchmarksDoc } from './lib/report.js';
import { isBenchSuite, type BenchSuite } from './lib/suite.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const SUITES_DIR = path.join(BENCH_DIR, 'suites');
const DOC = path.join(BENCH_DIR, '..', 'docs', 'benchmarks.md');

async function discoverSuites(): Promise<BenchSuite[]> {
  const files = readdirSync(SUITES_DIR).filter((f) => /\.bench\.[cm]?[jt]s$/.test(f) && !f.endsWith('.d.ts')).sort();
  const suites: BenchSuite[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(SUITES_DIR, file)).href)) as { default?: unknown };
    if (!isBenchSuite(mod.default)) throw new Error(`bench/suites/${file} must default-export { name, description, run }`);
    suites.push(mod.default);
  }
  return suites;
}

/** The command as a person would retype it: BENCH_* settings, then npm run bench and its arguments. */
function commandLine(args: string[]): string {
  const env = Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== '')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  // The URLs carry passwords: name them, never print them.
  const external = ['DATABASE_URL', 'REDIS_URL'].filter((k) => process.env[k]).map((k) => `${k}=…`);
  return [...env, ...external, 'npm run bench', ...(args.length ? ['--', ...args] : [])].join(' ');
}

const USAGE = `Usage: npm run bench [-- <suite>… | --list | --no-write | --help]

Runs the benchmark suites in bench/suites/ (all, or those named) and writes each one's section of
docs/benchmarks.md. Exits 1 when a suite misses its target or fails.

  <suite>…     only these suites (see --list)
  --list       list the suites and what each measures
  --no-write   print each suite's section instead of writing docs/benchmarks.md
  --help, -h   this text

Settings are BENCH_* environment variables (docs/benchmarks.md names each suite's).
`;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const names = argv.filter((a) => !a.startsWith('--'));
  if (flags.has('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknownFlags = [...flags].filter((f) => !['--list', '--no-write'].includes(f));
  if (unknownFlags.length) {
    process.stderr.write(`unknown option(s): ${unknownFlags.join(', ')}\n${USAGE}`);
    return 2;
  }
  const all = await discoverSuites();
  if (flags.has('--list')) {
    for (const s of all) process.stdout.write(`${s.name.padEnd(12)} ${s.description}\n`);
    return 0;
  }
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) {
    process.stderr.write(`unknown suite(s): ${unknown.join(', ')}; available: ${all.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const selected = names.length ? all.filter((s) => names.includes(s.name)) : all;
  const command = commandLine(argv);
  const machine = machineFacts();
  const started = Date.now();
  let exitCode = 0;

  for (const suite of selected) {
    const log = (m: string) => process.stdout.write(`[${suite.name} ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}\n`);
    log(`starting (${machine.CPU}, ${machine['Logical cores']} cores, ${machine.Memory}, Node ${machine.Node})`);
    try {
      const date = new Date();
      const result = await suite.run({ log });
      process.stdout.write(`\n${result.summary.join('\n')}\n\n`);
      const section = renderSection({ suite: suite.name, result, machine, command, date });
      if (!flags.has('--no-write')) {
        updateBenchmarksDoc(DOC, suite.name, section);
        log(`results written to ${path.relative(process.cwd(), DOC)}`);
      } else {
        // Not written to the document: the whole section goes to stdout instead, tables included.
        process.stdout.write(`${section}\n`);
      }
      if (result.verdict === 'FAIL') exitCode = 1;
    } catch (err) {
      // A broken suite must not stop the others, and must not overwrite its last good section.
      log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      exitCode = 1;
    }
  }
  return exitCode;
}

// Ctrl-C: stop the servers this run started before exiting, or they keep their ports.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the servers this bench started…\n`);
    void runPendingCleanups().finally(() => process.exit(130));
  });
}
main().then(
  async (code) => {
    await runPendingCleanups();
    process.exit(code);
  },
  async (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await runPendingCleanups();
    process.exit(1);
  },
);
