import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isProcessAlive } from './process-alive.js';
import { describeUsers, leaveRunning, readServerOwner, removeServerOwner, SERVER_OWNER_FILE, warnIfOrphaned, writeServerOwner } from './server-owner.js';
import { releaseServer, useServer } from './server-users.js';
import { signal, stopServerProcess } from './stop-server-process.js';

export interface LocalRedisOptions {
  /** The server's folder: its append-only file (kept across restarts), owner file and users. */
  home: string;
  port: number;
  /** May the hub install Debian's redis-server package when it is missing (root on Debian/Ubuntu only). */
  autoInstall: boolean;
  logger: Logger;
}

export interface RunningRedis {
  url: string;
  /** Port the server listens on: the one asked for, or that of a server found already running. */
  port: number;
  /** PID of the redis-server. */
  pid: number;
  /**
   * True when this call started the server. False when another process had started it for the same folder:
   * this process connects to it. Either way `stop` stops it only if no other hub process still uses it (see
   * server-users.ts).
   */
  started: boolean;
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

/**
 * Starts a private redis-server on loopback and waits until it answers with its data loaded, or
 * connects to the one another hub process started for the same folder (CHILDHUB_HOME): the one named by the
 * folder's `server-owner.json` if its process is alive, else one on `port`, provided it answers and serves
 * this folder. The last hub process using it stops it (server-users.ts). Two processes starting at the same moment are told
 * apart by the port: the one whose server could not bind it connects to the other's.
 *
 * The server keeps its data in an append-only file in this folder (`appendonlydir/` on Redis 7,
 * `appendonly.aof` on Redis 6), written to disk every second, and loads it when started again for the same
 * folder: the queued jobs are not disposable, since the outbox counts a message delivered once its job is
 * added (jobs/outbox-relay.ts). A stop loses nothing; a crash of the machine at most the last second or so.
 */
export async function startLocalRedis(opts: LocalRedisOptions): Promise<RunningRedis> {
  const dir = path.resolve(opts.home);
  await fs.mkdir(dir, { recursive: true });
  const log = opts.logger;
  const running = await findRunningRedis(dir, opts.port, log);
  if (running) {
    await keepAppendOnly(running.port, log);
    return attached(running, opts.port, log, dir);
  }
  const bin = ensureRedisServerBinary(opts);
  try {
    const started = await spawnRedis(bin, dir, opts.port, log);
    log.info({ serverPid: started.pid, port: started.port }, 'local redis-server started by this process (the last hub process using it stops it)');
    return started;
  } catch (err) {
    // Another process started one between our look and our start: its server holds the port (and answers
    // within moments of binding it; redisServing waits while it loads its data).
    for (const deadline = Date.now() + 3000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const winner = await findRunningRedis(dir, opts.port);
      if (winner) {
        log.info({ serverPid: winner.pid }, 'another process started the local redis-server at the same moment');
        return attached(winner, opts.port, log, dir);
      }
    }
    throw err;
  }
}

/** The append-only file's settings the hub starts its server with (see {@link startLocalRedis}). */
const APPEND_ONLY = { appendonly: 'yes', appendfsync: 'everysec' } as const;

/**
 * Switches the append-only file on in a server another hub process started without it (a hub from before the
 * queues were kept on disk, whose server is still running): otherwise its jobs would still be lost at the next
 * stop, until that server happened to be restarted. Redis writes the file from its data at once. Logs when it
 * changed something; a server that refuses (CONFIG disabled) is left as it is, with a warning.
 * @returns whether a setting was changed.
 */
export async function keepAppendOnly(port: number, log: Logger): Promise<boolean> {
  const r = new Redis(redisUrl(port), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  r.on('error', () => {});
  try {
    await r.connect();
    let changed = false;
    for (const [name, value] of Object.entries(APPEND_ONLY)) {
      const [, now] = (await r.config('GET', name)) as [string, string];
      if (now === value) continue;
      await r.config('SET', name, value);
      changed = true;
    }
    if (changed) log.info({ port }, 'local redis-server was running without its append-only file (started by an older hub): switched it on, so queued jobs survive a stop');
    return changed;
  } catch (err) {
    log.warn({ port, errorMessage: (err as Error).message }, 'could not check that the local redis-server keeps an append-only file: queued jobs may be lost when it stops');
    return false;
  } finally {
    r.disconnect();
  }
}

/**
 * A server another hub process started, used by this one: the last process to let go of it stops it, this one
 * included (the process that started it may have exited first, leaving it to the others).
 */
function attached(server: { pid: number; port: number }, configuredPort: number, log: Logger, dir: string): RunningRedis {
  warnIfOrphaned('local redis-server', server.pid, dir, log);
  log.info(
    { serverPid: server.pid, port: server.port },
    server.port === configuredPort
      ? 'local redis-server already running (started by another hub process): connecting to it; the last hub process using it stops it'
      : `local redis-server already running on port ${server.port} (started by another hub process), not EMBEDDED_REDIS_PORT ` +
          `${configuredPort}: connecting to it on its port; the last hub process using it stops it`,
  );
  const { pid, port } = server;
  const use = useServer(dir);
  const onExit = () => {
    if (releaseServer(use).length === 0 && isProcessAlive(pid)) signal(pid, 'SIGTERM');
  };
  process.on('exit', onExit);
  const stop = async () => {
    process.off('exit', onExit);
    if (releaseServer(use).length > 0) return;
    await stopFolderRedis(dir, port, log);
  };
  return { url: redisUrl(port), port, pid, started: false, stop };
}

/**
 * Stops the redis-server serving this folder now, for the last hub process using it: the one it attached to,
 * or one started in its place since (after `servers stop --force`), which it has used since. Nothing when none
 * runs.
 */
async function stopFolderRedis(dir: string, port: number, log: Logger): Promise<void> {
  const now = await findRunningRedis(dir, port);
  if (!now) return;
  log.info({ serverPid: now.pid }, 'stopping the local redis-server: this was the last hub process using it');
  removeServerOwner(dir, now.pid);
  await stopServerProcess(now.pid, { soft: 'SIGTERM', hard: 'SIGKILL', graceMs: 3000 });
}

/**
 * The redis-server serving this folder, if one runs: on the port its state file names (when alive), or on
 * `port`. Says when it ignores a stale state file, given a logger.
 */
export async function findRunningRedis(dir: string, port: number, log?: Logger): Promise<{ pid: number; port: number } | undefined> {
  // Written by the process that started the server once it answers, removed when that process stops it. Not
  // Redis's own pidfile, which holds no port (and which a redis-server that then fails to bind its port has
  // already overwritten).
  const state = readServerOwner(dir);
  const ports = [port];
  if (state && isProcessAlive(state.serverPid)) ports.unshift(state.port);
  else if (state) log?.info({ serverPid: state.serverPid }, `${SERVER_OWNER_FILE} left by a redis-server that is no longer running: ignored`);
  for (const p of new Set(ports)) {
    const pid = await redisServing(dir, p);
    if (pid) return { pid, port: p };
  }
  return undefined;
}

/**
 * The PID of the redis-server on this port when it answers and serves this folder (its `dir`); else undefined.
 * Returns only once the server has loaded its append-only file, however long that takes: ioredis's ready check
 * (`connect()`) waits while `INFO` says `loading:1`, and the hub's producer connections, which have no offline
 * queue, would otherwise fail on `LOADING` replies.
 */
export async function redisServing(dir: string, port: number): Promise<number | undefined> {
  // enableReadyCheck must stay on: see above.
  const r = new Redis(redisUrl(port), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500, enableReadyCheck: true });
  r.on('error', () => {});
  try {
    await r.connect();
    const [, serverDir] = (await r.config('GET', 'dir')) as [string, string];
    if (!serverDir || (await fs.realpath(serverDir)) !== (await fs.realpath(dir))) return undefined;
    const pid = Number(/^process_id:(\d+)/m.exec(await r.info('server'))?.[1]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

async function spawnRedis(bin: string, dir: string, port: number, log: Logger): Promise<RunningRedis> {
  const child: ChildProcess = spawn(
    bin,
    // Durable as BullMQ asks of a production Redis: an append-only file fsynced every second (loaded again
    // by the next server for this `dir`), no eviction. No RDB snapshots (`--save ''`): the AOF is enough, and
    // each snapshot would fork the server.
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', APPEND_ONLY.appendonly, '--appendfsync', APPEND_ONLY.appendfsync, '--dir', dir,
      '--daemonize', 'no', '--protected-mode', 'yes', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'],
    // Own process group: a terminal's Ctrl-C reaches only the hub, which stops Redis after its workers.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const pid = child.pid!;
  let use: string | undefined; // registered as a user once it answers
  const onExit = () => {
    if (use && releaseServer(use).length > 0) return;
    removeServerOwner(dir, pid);
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('exit', onExit);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 10_000;
  for (;;) {
    const code = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 50))]);
    if (code !== 'wait') {
      process.off('exit', onExit);
      throw new Error(`redis-server exited (code ${code}) on port ${port}: ${output.trim().slice(-500)}. ` +
        'Is the port taken? Set EMBEDDED_REDIS_PORT or REDIS_URL.');
    }
    // Ready when the server answering is this child: another process's server on the port also answers
    // while this one is still failing to bind it. (redisServing returns once the server has loaded its data.)
    if ((await redisServing(dir, port)) === pid) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      process.off('exit', onExit);
      throw new Error(`redis-server did not answer on port ${port} within 10 s`);
    }
  }
  writeServerOwner(dir, { serverPid: pid, ownerPid: process.pid, port });
  use = useServer(dir);
  return {
    url: redisUrl(port),
    port,
    pid,
    started: true,
    stop: async () => {
      process.off('exit', onExit);
      const others = releaseServer(use!);
      if (others.length > 0) {
        // Theirs now: the server outlives this process (its own process group), and the last of them stops it.
        leaveRunning(child);
        log.info({ serverPid: pid, users: others.map((u) => u.pid) }, `local redis-server left running for ${describeUsers(others)}: the last to exit stops it`);
        return;
      }
      removeServerOwner(dir, pid);
      // Stopped by hand and replaced since (`servers stop --force`): the last user stops the replacement.
      if (child.exitCode !== null || child.signalCode !== null) return stopFolderRedis(dir, port, log);
      // Said as when an attached process stops it (QA: a demo's log did not say the servers were stopped).
      log.info({ serverPid: pid }, 'stopping the local redis-server: this was the last hub process using it');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function redisUrl(port: number): string {
  return `redis://127.0.0.1:${port}`;
}
