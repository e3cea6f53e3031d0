import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/config.js';

export interface ServerOptions {
  /** Environment of the server process (merged over this process's environment). */
  env: Record<string, string>;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** How long to wait for /readyz. */
  readyTimeoutMs?: number;
}

export interface RunningServer {
  url: string;
  pid: number;
  /** Peak resident set size so far (VmHWM), in bytes; null where /proc is not available. */
  peakRssBytes(): number | null;
  /** Log lines at warn level or above seen so far (the server runs with LOG_LEVEL=warn). */
  warnings(): string[];
  /** SIGTERM (graceful: the server drains and exits), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback (bound and released; the server binds it a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildhubProcessOptions {
  /** What the process is, for error messages (e.g. `the server`, `worker 2`). */
  name: string;
  /** `childhub` command line after `src/cli/main.ts`, e.g. `['worker', '--queues', 'identity-reconcile']`. */
  args: string[];
  /** Environment of the process (merged over this process's environment). */
  env: Record<string, string>;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** The compiled CLI (`…/src/cli/main.js` of a build) to run; without it, the sources through tsx. */
  compiledEntry?: string;
  /** Polled every 250 ms until it resolves true: the process is ready for load. */
  ready(): Promise<boolean>;
  /** How long to wait for `ready`. @defaultValue 90000 */
  readyTimeoutMs?: number;
}

/** A running `childhub` process started by the bench. */
export interface ChildhubProcess {
  pid: number;
  /** Peak resident set size so far (VmHWM), in bytes; null where /proc is not available. */
  peakRssBytes(): number | null;
  /** Log lines at warn level or above seen so far (the process runs with LOG_LEVEL=warn). */
  warnings(): string[];
  /** The last lines of its output, for error messages. */
  tail(): string[];
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM (graceful: the process drains and exits), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/**
 * Starts a `childhub` command as its own process (`node --import tsx src/cli/main.ts …`, or a compiled
 * build's entry point), so the bench
 * and the process under test do not share an event loop, and waits until `ready` says so. The process is
 * killed if this one exits without stopping it.
 */
export async function startChildhubProcess(opts: ChildhubProcessOptions): Promise<ChildhubProcess> {
  const env = { ...process.env, ...opts.env };
  const entry = opts.compiledEntry ? [opts.compiledEntry] : ['--import', 'tsx', path.join('src', 'cli', 'main.ts')];
  const args = [...(opts.nodeFlags ?? []), ...entry, ...opts.args];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${opts.name}`);

  // Keep the tail of the output for error messages, and every warning or error log line.
  const tail: string[] = [];
  const warnings: string[] = [];
  const onLine = (line: string) => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 40) tail.shift();
    const level = /"level":(\d+)/.exec(line)?.[1];
    if (!level || Number(level) >= 40) warnings.push(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(onLine);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // If this process dies without running its cleanups, do not leave the child holding its port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const deadline = Date.now() + readyTimeoutMs;
  try {
    for (;;) {
      const code = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 250))]);
      if (code !== 'wait') throw new Error(`${opts.name} exited (code ${code}) before it was ready:\n${tail.join('\n')}`);
      if (await opts.ready().catch(() => false)) break;
      if (Date.now() > deadline) throw new Error(`${opts.name} was not ready within ${readyTimeoutMs} ms:\n${tail.join('\n')}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    pid,
    peakRssBytes: () => readPeakRss(pid),
    warnings: () => [...warnings],
    tail: () => [...tail],
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop,
  };
}

/**
 * Starts the real gateway as its own process (`node --import tsx src/cli/main.ts serve`), so the load
 * generator and the server do not share an event loop, and waits until /readyz answers 200.
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await startChildhubProcess({
    name: 'the server',
    args: ['serve'],
    env: { ...opts.env, PORT: String(port), HOST: '127.0.0.1' },
    nodeFlags: opts.nodeFlags,
    readyTimeoutMs: opts.readyTimeoutMs,
    ready: () => fetch(`${url}/readyz`).then((r) => r.status === 200, () => false),
  });
  return { url, pid: proc.pid, peakRssBytes: proc.peakRssBytes, warnings: proc.warnings, stop: proc.stop };
}

function readPeakRss(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}
