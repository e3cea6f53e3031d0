import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/config.js';

export interface ChildhubCommandOptions {
  /** What the command is, for error messages (e.g. `the CSV ingest`). */
  name: string;
  /** `childhub` command line after `src/cli/main.ts`, e.g. `['connectors', 'sync', 'school', '--in-process']`. */
  args: string[];
  /** Environment of the process (merged over this process's environment). */
  env: Record<string, string>;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /**
   * The compiled CLI (`…/src/cli/main.js` of a build) to run; without it, the sources through tsx
   * (`--import tsx src/cli/main.ts`, what `npm run childhub` does).
   */
  compiledEntry?: string;
  /** Killed (SIGKILL) after this long; the result then says so. @defaultValue 1800000 (30 min) */
  timeoutMs?: number;
}

export interface ChildhubCommandResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** From spawning the process to its exit: what a person running the command waits. */
  wallMs: number;
  /** Highest VmHWM read from /proc while it ran (sampled every 100 ms; the process's own figure is exact). */
  sampledPeakRssBytes: number | null;
  /** The last lines of its output, for error messages. */
  tail: string[];
  /** Lines that look like warning or error logs (JSON level ≥ 40, or pretty `WARN`/`ERROR`). */
  warnings: string[];
}

/**
 * Runs a `childhub` command to completion as its own process — the compiled build (`node …/main.js`, what
 * the production image runs) or the sources (`node --import tsx src/cli/main.ts`, what `npm run childhub`
 * runs) — timing it from spawn to exit. The process is killed if this one exits first.
 */
export async function runChildhubCommand(opts: ChildhubCommandOptions): Promise<ChildhubCommandResult> {
  const entry = opts.compiledEntry ? [opts.compiledEntry] : ['--import', 'tsx', path.join('src', 'cli', 'main.ts')];
  const args = [...(opts.nodeFlags ?? []), ...entry, ...opts.args];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${opts.name}`);

  const tail: string[] = [];
  const warnings: string[] = [];
  const onLine = (line: string) => {
    // Progress lines are rewritten in place with \r: keep the latest state only.
    const text = line.split('\r').filter((s) => s.trim()).pop()?.trim();
    if (!text) return;
    tail.push(text);
    if (tail.length > 40) tail.shift();
    const level = /"level":(\d+)/.exec(text)?.[1];
    if ((level && Number(level) >= 40) || /\b(WARN|ERROR|FATAL)\b/.test(text)) warnings.push(text);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      // A long run of \r progress updates without a newline: keep only its end.
      if (buffered.length > 64_000) buffered = buffered.slice(-4000);
      lines.forEach(onLine);
    });
    stream.on('end', () => buffered && onLine(buffered));
  }

  let peak: number | null = null;
  const sample = () => {
    const v = readPeakRss(pid);
    if (v !== null) peak = Math.max(peak ?? 0, v);
  };
  const sampler = setInterval(sample, 100);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 1_800_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  const wallMs = performance.now() - t0;
  clearTimeout(timer);
  clearInterval(sampler);
  process.removeListener('exit', killOnExit);
  return { code, signal, timedOut, wallMs, sampledPeakRssBytes: peak, tail, warnings };
}

function readPeakRss(pid: number): number | null {
  try {
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}
