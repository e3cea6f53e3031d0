import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface LocalRedisOptions {
  home: string;
  port: number;
  /** May the hub install Debian's redis-server package when it is missing (root on Debian/Ubuntu only). */
  autoInstall: boolean;
  logger: Logger;
}

export interface RunningRedis {
  url: string;
  stop(): Promise<void>;
}

export const REDIS_INSTALL_COMMAND = 'sudo apt-get update && sudo apt-get install -y redis-server';

function findOnPath(bin: string, searchPath = process.env.PATH ?? ''): string | undefined {
  const dirs = searchPath.split(path.delimiter).filter(Boolean).concat(searchPath === process.env.PATH ? ['/usr/bin', '/usr/sbin', '/usr/local/bin'] : []);
  for (const d of dirs) {
    const p = path.join(d, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Finds `redis-server`, installing Debian's package when allowed, or explains exactly what to run. */
export function ensureRedisServerBinary(opts: Pick<LocalRedisOptions, 'autoInstall' | 'logger'> & { searchPath?: string }): string {
  const found = findOnPath('redis-server', opts.searchPath);
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  const isDebian = existsSync('/etc/debian_version') && !!findOnPath('apt-get');
  if (opts.autoInstall && isRoot && isDebian) {
    opts.logger.warn('redis-server is not installed: installing Debian package redis-server (apt-get install -y redis-server)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], { stdio: 'ignore', env });
    const installed = findOnPath('redis-server');
    if (installed) {
      opts.logger.info('installed redis-server');
      return installed;
    }
  }
  throw new Error(
    `redis-server was not found on PATH. Install it with:\n  ${REDIS_INSTALL_COMMAND}\n` +
      `or point the hub at a running Redis with REDIS_URL=redis://host:6379.`,
  );
}

/** Starts a private redis-server on loopback (job state only: no persistence) and waits until it answers. */
export async function startLocalRedis(opts: LocalRedisOptions): Promise<RunningRedis> {
  const bin = ensureRedisServerBinary(opts);
  const dir = path.resolve(opts.home);
  await fs.mkdir(dir, { recursive: true });
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(opts.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--daemonize', 'no', '--protected-mode', 'yes', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'],
    // Own process group: a terminal's Ctrl-C reaches only the hub, which stops Redis after its workers.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const onExit = () => child.exitCode === null && child.kill('SIGTERM');
  process.on('exit', onExit);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `redis://127.0.0.1:${opts.port}`;

  const deadline = Date.now() + 10_000;
  for (;;) {
    const code = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 50))]);
    if (code !== 'wait') {
      process.off('exit', onExit);
      throw new Error(`redis-server exited (code ${code}) on port ${opts.port}: ${output.trim().slice(-500)}. ` +
        'Is the port taken? Set EMBEDDED_REDIS_PORT or REDIS_URL.');
    }
    if (await pingOnce(url)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      process.off('exit', onExit);
      throw new Error(`redis-server did not answer on port ${opts.port} within 10 s`);
    }
  }
  opts.logger.debug({ port: opts.port }, 'local redis-server started');
  return {
    url,
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function pingOnce(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 300 });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
