import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/free-port.js';
import { parseConfig } from '../config/config.js';
import { readPostmasterPid } from './postmaster-pid.js';
import { isProcessAlive } from './process-alive.js';
import { startInfrastructure, type Infrastructure } from './infrastructure.js';
import { ensureRedisServerBinary, startLocalRedis } from './local-redis.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INFRA_MODULE = new URL('./infrastructure.ts', import.meta.url).href;
const CONFIG_MODULE = new URL('../config/config.ts', import.meta.url).href;

/** A logger whose messages the test can read. */
function capturingLogger() {
  const messages: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) messages.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), messages };
}

function tempHome(): string {
  const home = mkdtempSync(path.join(process.env.CHILDHUB_TEST_TMP ?? os.tmpdir(), 'childhub-infra-'));
  chmodSync(home, 0o755); // as root the `postgres` user must traverse it
  return home;
}

function configFor(home: string, pgPort: number, redisPort: number) {
  return parseConfig({ CHILDHUB_HOME: home, EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_REDIS_PORT: String(redisPort), CHILDHUB_AUTO_INSTALL: 'true' });
}

async function query(url: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/** A setting of the Redis server at `url` (CONFIG GET). */
async function redisConfig(url: string, name: string): Promise<string> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return ((await r.config('GET', name)) as [string, string])[1];
  } finally {
    r.disconnect();
  }
}

async function redisGet(url: string, key: string): Promise<string | null> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => {});
  try {
    await r.connect();
    return await r.get(key);
  } finally {
    r.disconnect();
  }
}

const portOf = (url: string) => Number(new URL(url).port);

/** A PID no process has any more. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  expect(isProcessAlive(pid)).toBe(false);
  return pid;
}

/** Another hub process: connects with `startInfrastructure`, writes and reads through both servers, stops, exits. */
async function runSecondProcess(home: string, pgPort: number, redisPort: number) {
  const script = `
    const { startInfrastructure } = await import(${JSON.stringify(INFRA_MODULE)});
    const { parseConfig } = await import(${JSON.stringify(CONFIG_MODULE)});
    const { default: pino } = await import('pino');
    const { default: pg } = await import('pg');
    const { Redis } = await import('ioredis');
    const infra = await startInfrastructure(parseConfig(process.env), pino({ level: 'info' }, pino.destination(2)));
    const client = new pg.Client({ connectionString: infra.databaseUrl });
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS written_by_second (v text)');
    await client.query("INSERT INTO written_by_second VALUES ('hello')");
    await client.end();
    const redis = new Redis(infra.redisUrl);
    await redis.set('written-by-second', 'hello');
    redis.disconnect();
    process.stdout.write(JSON.stringify({ started: infra.started, databaseUrl: infra.databaseUrl, redisUrl: infra.redisUrl }));
    await infra.stop();
  `;
  const env: NodeJS.ProcessEnv = { ...process.env, CHILDHUB_HOME: home, EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_REDIS_PORT: String(redisPort), LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

describe('embedded servers shared by the hub processes of one CHILDHUB_HOME', () => {
  let home: string;
  let pgDataDir: string;
  let redisState: string;
  const running: Infrastructure[] = [];
  let pgPort = 0;
  let redisPort = 0;
  let first: Infrastructure;

  beforeAll(async () => {
    home = tempHome();
    pgDataDir = path.join(home, 'postgres', 'data');
    redisState = path.join(home, 'redis', 'server-owner.json');
    [pgPort, redisPort] = [await freePort(), await freePort()];
    // As an older hub left it as root: the folder and its hub-processes/ writable by everyone (put right below).
    mkdirSync(path.join(home, 'postgres', 'hub-processes'), { recursive: true });
    for (const dir of [path.join(home, 'postgres'), path.join(home, 'postgres', 'hub-processes')]) chmodSync(dir, 0o777);
    first = await startInfrastructure(configFor(home, pgPort, redisPort), capturingLogger().logger, 'childhub');
    running.push(first);
  });

  afterAll(async () => {
    for (const infra of running.reverse()) await infra.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('the first process starts both servers on the configured ports', async () => {
    expect(first.started).toEqual({ postgres: true, redis: true });
    expect(portOf(first.databaseUrl)).toBe(pgPort);
    expect(portOf(first.redisUrl)).toBe(redisPort);
    expect((await readPostmasterPid(pgDataDir))?.port).toBe(pgPort);
    expect(JSON.parse(readFileSync(redisState, 'utf8'))).toMatchObject({ port: redisPort });
    // Its server-owner.json and hub-processes/ are no one else's to write (QA: the folder was 0777 as root).
    if (process.getuid?.() === 0) {
      for (const p of ['postgres', 'postgres/hub-processes']) expect(statSync(path.join(home, p)).mode & 0o022, p).toBe(0);
    }
  });

  it('another process connects to them, on their ports rather than its own, and leaves them running when it exits', async () => {
    const [otherPg, otherRedis] = [await freePort(), await freePort()];
    const second = await runSecondProcess(home, otherPg, otherRedis);
    expect(second.stderr).not.toMatch(/postmaster\.pid" already exists|"level":50/);
    expect(second.code).toBe(0);
    const result = JSON.parse(second.stdout) as { started: unknown; databaseUrl: string; redisUrl: string };
    expect(result.started).toEqual({ postgres: false, redis: false });
    expect(portOf(result.databaseUrl)).toBe(pgPort);
    expect(portOf(result.redisUrl)).toBe(redisPort);
    expect(second.stderr).toContain(`embedded PostgreSQL already running on port ${pgPort}`);
    expect(second.stderr).toContain(`not EMBEDDED_PG_PORT ${otherPg}`);
    expect(second.stderr).toContain(`local redis-server already running on port ${redisPort}`);

    // The second process has exited: what it wrote is still served by the first one's servers.
    expect((await query(first.databaseUrl, 'SELECT v FROM written_by_second')).rows).toEqual([{ v: 'hello' }]);
    expect(await redisGet(first.redisUrl, 'written-by-second')).toBe('hello');
  });

  it("stopping a process that connected does not stop the first one's servers", async () => {
    const { logger, messages } = capturingLogger();
    const second = await startInfrastructure(configFor(home, pgPort, redisPort), logger, 'childhub');
    expect(second.started).toEqual({ postgres: false, redis: false });
    expect(second.databaseUrl).toBe(first.databaseUrl);
    expect(second.redisUrl).toBe(first.redisUrl);
    expect(messages.some((m) => m.startsWith('embedded PostgreSQL already running (started by another hub process)'))).toBe(true);
    expect(messages.some((m) => m.startsWith('local redis-server already running (started by another hub process)'))).toBe(true);
    await second.stop();

    expect((await query(first.databaseUrl, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await redisGet(first.redisUrl, 'written-by-second')).toBe('hello');
    expect(existsSync(redisState)).toBe(true);
  });

  it('the process that started them stops them; a stale postmaster.pid and state file are then started over', async () => {
    const lockFile = readFileSync(path.join(pgDataDir, 'postmaster.pid'), 'utf8');
    const redisPid = (JSON.parse(readFileSync(redisState, 'utf8')) as { serverPid: number }).serverPid;
    const postmasterPid = (await readPostmasterPid(pgDataDir))!.pid;
    await first.stop();
    running.splice(running.indexOf(first), 1);
    expect(isProcessAlive(postmasterPid)).toBe(false);
    expect(isProcessAlive(redisPid)).toBe(false);
    expect(existsSync(path.join(pgDataDir, 'postmaster.pid'))).toBe(false);
    expect(existsSync(redisState)).toBe(false);

    // What a hub killed together with its servers leaves behind: the files naming processes now gone (the
    // lock file still saying `ready`, on another port).
    const [stalePgPort, staleRedisPort] = [await freePort(), await freePort()];
    const staleLines = lockFile.split('\n');
    staleLines[0] = String(deadPid());
    staleLines[3] = String(stalePgPort);
    writeFileSync(path.join(pgDataDir, 'postmaster.pid'), staleLines.join('\n'));
    writeFileSync(redisState, JSON.stringify({ serverPid: deadPid(), ownerPid: deadPid(), port: staleRedisPort }));

    const { logger, messages } = capturingLogger();
    const third = await startInfrastructure(configFor(home, pgPort, redisPort), logger, 'childhub');
    running.push(third);
    expect(third.started).toEqual({ postgres: true, redis: true });
    expect(portOf(third.databaseUrl)).toBe(pgPort);
    expect(portOf(third.redisUrl)).toBe(redisPort);
    expect(messages.some((m) => m.startsWith('postmaster.pid left by a server that is no longer running'))).toBe(true);
    expect((await query(third.databaseUrl, 'SELECT v FROM written_by_second')).rows).toEqual([{ v: 'hello' }]);
    // A new redis-server, which loaded what the stopped one wrote to its append-only file.
    expect(await redisGet(third.redisUrl, 'written-by-second')).toBe('hello');
    expect(JSON.parse(readFileSync(redisState, 'utf8'))).toMatchObject({ port: redisPort });
  });

  it('jobs queued before every hub process stopped are still queued when the servers start again; another CHILDHUB_HOME starts empty', async () => {
    const before = running.at(-1)!;
    expect(before.started.redis).toBe(true);
    const queue = new Queue('persisted', { connection: { host: '127.0.0.1', port: portOf(before.redisUrl) } });
    await queue.add('recompute', { childId: 'chd_kept' });
    await queue.close();
    const redisPid = (JSON.parse(readFileSync(redisState, 'utf8')) as { serverPid: number }).serverPid;
    await before.stop();
    running.splice(running.indexOf(before), 1);
    expect(isProcessAlive(redisPid)).toBe(false);

    const after = await startInfrastructure(configFor(home, pgPort, redisPort), capturingLogger().logger, 'childhub');
    running.push(after);
    expect(after.started.redis).toBe(true);
    const reopened = new Queue('persisted', { connection: { host: '127.0.0.1', port: portOf(after.redisUrl) } });
    try {
      const waiting = await reopened.getWaiting();
      expect(waiting.map((j) => [j.name, j.data])).toEqual([['recompute', { childId: 'chd_kept' }]]);
    } finally {
      await reopened.close();
    }
    // In the server's folder: `appendonlydir/` (Redis 7), `appendonly.aof` (Redis 6).
    expect(existsSync(path.join(home, 'redis', 'appendonlydir')) || existsSync(path.join(home, 'redis', 'appendonly.aof'))).toBe(true);

    // The files are the folder's own: a hub on another CHILDHUB_HOME gets a server of its own, empty.
    const otherHome = tempHome();
    const other = await startLocalRedis({ home: path.join(otherHome, 'redis'), port: await freePort(), autoInstall: true, logger: capturingLogger().logger });
    try {
      expect(other.started).toBe(true);
      expect(other.url).not.toBe(after.redisUrl);
      expect(await redisGet(other.url, 'written-by-second')).toBeNull();
      const empty = new Queue('persisted', { connection: { host: '127.0.0.1', port: other.port } });
      expect(await empty.getWaitingCount()).toBe(0);
      await empty.close();
    } finally {
      await other.stop();
      rmSync(otherHome, { recursive: true, force: true });
    }
  });
});

describe('a local redis-server started without its append-only file', () => {
  it('is switched to keep one when a hub connects to it (a server an older hub started), so its jobs survive a stop', async () => {
    const home = tempHome();
    const dir = path.join(home, 'redis');
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const { logger, messages } = capturingLogger();
    // As a hub from before the queues were kept on disk started it.
    const old = spawn(ensureRedisServerBinary({ autoInstall: true, logger }),
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    try {
      const url = `redis://127.0.0.1:${port}`;
      for (let i = 0; i < 100 && (await redisConfig(url, 'appendonly').catch(() => undefined)) === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await redisConfig(url, 'appendonly')).toBe('no');

      const redis = await startLocalRedis({ home: dir, port, autoInstall: true, logger });
      try {
        expect(redis.started).toBe(false);
        expect(redis.pid).toBe(old.pid);
        expect(await redisConfig(url, 'appendonly')).toBe('yes');
        expect(await redisConfig(url, 'appendfsync')).toBe('everysec');
        expect(messages.some((m) => m.includes('switched it on'))).toBe(true);
      } finally {
        await redis.stop();
      }
    } finally {
      if (old.exitCode === null) old.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('two processes starting at the same moment', () => {
  let home: string;
  const running: Infrastructure[] = [];

  beforeAll(() => {
    home = tempHome();
  });

  /** Stops them as people would: whoever connected first, the one that started the servers last. */
  async function stopAll() {
    for (const infra of running.sort((a, b) => Number(a.started.postgres) - Number(b.started.postgres))) await infra.stop();
    running.length = 0;
  }

  afterAll(async () => {
    await stopAll();
    rmSync(home, { recursive: true, force: true });
  });

  async function startTwoAtOnce(config: ReturnType<typeof configFor>) {
    const results = await Promise.allSettled([0, 1].map(() => startInfrastructure(config, capturingLogger().logger, 'childhub')));
    for (const r of results) if (r.status === 'fulfilled') running.push(r.value);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);
    expect(running.map((i) => i.started.postgres).sort()).toEqual([false, true]);
    expect(running.map((i) => i.started.redis).sort()).toEqual([false, true]);
    expect(running[0]!.databaseUrl).toBe(running[1]!.databaseUrl);
    expect(running[0]!.redisUrl).toBe(running[1]!.redisUrl);
    for (const infra of running) expect((await query(infra.databaseUrl, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    // The state file names the redis-server that runs (not one that lost the port).
    const state = JSON.parse(readFileSync(path.join(home, 'redis', 'server-owner.json'), 'utf8')) as { serverPid: number; port: number };
    expect(isProcessAlive(state.serverPid)).toBe(true);
    expect(state.port).toBe(portOf(running[0]!.redisUrl));
  }

  it('on a new CHILDHUB_HOME: one initialises and starts the servers, the other connects to them', async () => {
    await startTwoAtOnce(configFor(home, await freePort(), await freePort()));
    // One cluster, no initdb folder left behind; the file naming the process that started it.
    expect(readdirSync(path.join(home, 'postgres')).sort()).toEqual(['data', 'hub-processes', 'server-owner.json']);
    await stopAll();
  });

  it('on an existing CHILDHUB_HOME: one starts the servers, the other connects to them', async () => {
    await startTwoAtOnce(configFor(home, await freePort(), await freePort()));
  });
});
