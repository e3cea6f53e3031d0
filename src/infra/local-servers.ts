import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { serverUrl } from './embedded-postgres.js';
import { findRunningRedis } from './local-redis.js';
import { readPostmasterPid } from './postmaster-pid.js';
import { isProcessAlive } from './process-alive.js';
import { describeUsers, readServerOwner } from './server-owner.js';
import { serverUsers, type ServerUser } from './server-users.js';
import { stopServerProcess } from './stop-server-process.js';

/**
 * `childhub servers status | stop`: the embedded PostgreSQL and local redis-server under one CHILDHUB_HOME,
 * whichever hub process started them. A server is stopped by the last hub process using it; one whose users
 * were all killed (`kill -9`) runs until the next hub process adopts it, or the machine restarts. These find
 * such servers, say who uses them, and stop them when nobody does.
 */

export type ServerKind = 'postgres' | 'redis';

export interface LocalServerStatus {
  kind: ServerKind;
  /** The server's folder under CHILDHUB_HOME. */
  dir: string;
  running: boolean;
  pid?: number;
  port?: number;
  /** The hub process that started it, when recorded (servers started by this version record it). */
  ownerPid?: number;
  /** Whether that process still runs; false: it is gone without stopping the server (killed). */
  ownerAlive?: boolean;
  /** Connections from other processes (hub processes, psql, redis-cli), not counting this one's. */
  clients?: number;
  /** The live hub processes using it (the one that started it included while it runs); the last to exit stops it. */
  users?: ServerUser[];
}

export interface LocalServerPorts {
  /** EMBEDDED_REDIS_PORT: where a redis-server started without a recorded owner would listen. */
  redisPort: number;
}

export async function localServersStatus(home: string, ports: LocalServerPorts): Promise<LocalServerStatus[]> {
  return [await postgresStatus(path.join(home, 'postgres')), await redisStatus(path.join(home, 'redis'), ports.redisPort)];
}

async function postgresStatus(dir: string): Promise<LocalServerStatus> {
  const lock = await readPostmasterPid(path.join(dir, 'data'));
  if (!lock || !isProcessAlive(lock.pid) || !lock.port) return { kind: 'postgres', dir, running: false };
  const status: LocalServerStatus = { kind: 'postgres', dir, running: true, pid: lock.pid, port: lock.port, ...owner(dir, lock.pid) };
  const client = new pg.Client({ connectionString: serverUrl(lock.port, 'postgres'), connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    status.clients = rows[0]?.n ?? 0;
  } catch {
    // Starting or stopping: running, clients unknown.
  } finally {
    await client.end().catch(() => {});
  }
  return status;
}

async function redisStatus(dir: string, port: number): Promise<LocalServerStatus> {
  const server = await findRunningRedis(dir, port);
  if (!server) return { kind: 'redis', dir, running: false };
  const status: LocalServerStatus = { kind: 'redis', dir, running: true, pid: server.pid, port: server.port, ...owner(dir, server.pid) };
  const r = new Redis(`redis://127.0.0.1:${server.port}`, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => {});
  try {
    await r.connect();
    const list = (await r.client('LIST')) as string;
    status.clients = list.split('\n').filter((l) => l.trim()).length - 1;
  } catch {
    // Stopping: running, clients unknown.
  } finally {
    r.disconnect();
  }
  return status;
}

function owner(dir: string, serverPid: number): Pick<LocalServerStatus, 'ownerPid' | 'ownerAlive' | 'users'> {
  const o = readServerOwner(dir);
  const users = serverUsers(dir);
  return o?.serverPid === serverPid ? { ownerPid: o.ownerPid, ownerAlive: isProcessAlive(o.ownerPid), users } : { users };
}

export interface StopOutcome {
  kind: ServerKind;
  /**
   * `stopped`; `not-running`; `refused` with why; `kept`: not stopped because the other server was refused
   * (they are stopped together or not at all).
   */
  result: 'stopped' | 'not-running' | 'refused' | 'kept';
  reason?: string;
}

/** How long a server gets to stop before it is told to stop at once. */
const STOP_GRACE_MS = 30_000;

/**
 * Stops the servers nobody uses, both or neither: refused for one whose owner still runs (it stops its
 * servers itself when it exits, after draining its jobs) or that has clients, unless `force`. PostgreSQL gets
 * a fast shutdown (transactions in flight roll back, as after a crash, but nothing committed is lost); Redis
 * holds job state only and is told to shut down.
 */
export async function stopLocalServers(home: string, ports: LocalServerPorts, opts: { force?: boolean } = {}): Promise<StopOutcome[]> {
  const status = await localServersStatus(home, ports);
  const refusals = new Map(status.flatMap((s) => {
    const why = s.running && !opts.force ? whyNotStop(s) : undefined;
    return why ? [[s.kind, why] as const] : [];
  }));
  if (refusals.size > 0) {
    return status.map((s): StopOutcome =>
      refusals.has(s.kind) ? { kind: s.kind, result: 'refused', reason: refusals.get(s.kind)! } : { kind: s.kind, result: s.running ? 'kept' : 'not-running' },
    );
  }
  const outcomes: StopOutcome[] = [];
  // Redis first: a hub's workers stop taking jobs; then PostgreSQL, which holds what they wrote.
  for (const s of [...status].reverse()) {
    if (!s.running || !s.pid) {
      outcomes.push({ kind: s.kind, result: 'not-running' });
      continue;
    }
    const pid = s.pid;
    await stopServerProcess(pid, {
      soft: s.kind === 'postgres' ? 'SIGINT' : 'SIGTERM',
      hard: s.kind === 'postgres' ? 'SIGQUIT' : 'SIGKILL',
      graceMs: STOP_GRACE_MS,
      gone: s.kind === 'redis' ? async () => (await findRunningRedis(s.dir, s.port!))?.pid !== pid : undefined,
    });
    outcomes.push({ kind: s.kind, result: 'stopped' });
  }
  return outcomes.reverse();
}

function whyNotStop(s: LocalServerStatus): string | undefined {
  if (s.users?.length) {
    const pids = s.users.map((u) => u.pid).join(' ');
    return `used by ${describeUsers(s.users)}; the last to exit stops it: stop ${s.users.length === 1 ? 'it' : 'them'} (Ctrl-C, or kill ${pids}), or pass --force`;
  }
  if (s.ownerAlive) {
    return `started by hub process ${s.ownerPid}, which is running and stops it when it exits: stop that process (Ctrl-C, or kill ${s.ownerPid}), or pass --force`;
  }
  if (s.clients) {
    return `${s.clients} connection(s) from other processes (a worker, the gateway, psql…): stop them first, or pass --force to cut them`;
  }
  return undefined;
}
