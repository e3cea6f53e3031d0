import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.js';
import { serverUrl } from '../src/infra/embedded-postgres.js';
import { localServersStatus, stopLocalServers } from '../src/infra/local-servers.js';
import { isProcessAlive } from '../src/infra/process-alive.js';
import { portAnswers } from './support/cli.js';
import { freePort } from './support/free-port.js';
import { tempDir } from './support/temp-dir.js';

const answers = portAnswers;

/** Runs the CLI to its end: exit code and output. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: PROJECT_ROOT, env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

/** Starts a hub process holding the servers under the home, resolved once they answer. */
async function holder(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/hold-servers.ts'], { cwd: PROJECT_ROOT, env });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY .*$/m.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`the hub process exited (${code}):\n${out}`)));
  });
  return { child, line };
}

/** Stops a hub process as Ctrl-C would (SIGTERM): its exit code. */
async function stopHolder(child: ChildProcess): Promise<number | string | null> {
  child.kill('SIGTERM');
  return new Promise((r) => child.once('exit', (c, sig) => r(c ?? sig)));
}

/**
 * The last hub process using the servers stops them, whichever started them; those of a hub killed with
 * `kill -9` keep running: `childhub servers` finds and stops them, and the next hub process adopts them.
 */
describe('childhub servers status | stop', () => {
  const root = tempDir('childhub-servers-');
  chmodSync(root, 0o755); // as root, the `postgres` user must traverse it
  const home = path.join(root, 'home');
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await stopLocalServers(home, { redisPort: 1 }, { force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('tells a running owner from a killed one, refuses while anyone uses the servers, stops them after; the last user stops them, whichever started them', async () => {
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env, CHILDHUB_HOME: home, EMBEDDED_PG_PORT: String(pgPort), EMBEDDED_REDIS_PORT: String(redisPort), LOG_LEVEL: 'warn',
    };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const ports = { redisPort };

    const first = await holder(env);
    children.push(first.child);
    expect(first.line).toBe('READY {"postgres":true,"redis":true}');
    let status = await localServersStatus(home, ports);
    expect(status.map((s) => [s.kind, s.running, s.port, s.ownerPid, s.ownerAlive])).toEqual([
      ['postgres', true, pgPort, first.child.pid, true],
      ['redis', true, redisPort, first.child.pid, true],
    ]);
    // Its owner runs: it stops them itself when it exits.
    const refused = await cli(['servers', 'stop'], env);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`PostgreSQL: not stopped: used by hub process ${first.child.pid} (hold-servers.ts); the last to exit stops it`);
    expect(await answers(pgPort)).toBe(true);

    // The owner is killed: its servers stay, and nobody would stop them.
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(await answers(pgPort)).toBe(true);
    expect(await answers(redisPort)).toBe(true);
    const shown = await cli(['servers', 'status'], env);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(new RegExp(`PostgreSQL: running, port ${pgPort}, PID \\d+, started by hub process ${first.child.pid}, which is gone`));
    expect(shown.out).toMatch(new RegExp(`Redis: running, port ${redisPort}, PID \\d+, started by hub process ${first.child.pid}, which is gone`));

    // Another process uses them: not stopped under it.
    const client = new pg.Client({ connectionString: serverUrl(pgPort, 'postgres') });
    await client.connect();
    status = await localServersStatus(home, ports);
    expect(status[0]).toMatchObject({ running: true, ownerAlive: false, clients: 1 });
    const inUse = await stopLocalServers(home, ports);
    expect(inUse).toEqual([
      { kind: 'postgres', result: 'refused', reason: expect.stringContaining('1 connection(s) from other processes') },
      { kind: 'redis', result: 'kept' },
    ]);
    expect(await answers(redisPort)).toBe(true);
    await client.end();

    const postmaster = status[0]!.pid!;
    const stopped = await cli(['servers', 'stop'], env);
    expect(stopped.out).toContain('PostgreSQL: stopped');
    expect(stopped.out).toContain('Redis: stopped');
    expect(stopped.code).toBe(0);
    expect(await answers(pgPort)).toBe(false);
    expect(await answers(redisPort)).toBe(false);
    expect(isProcessAlive(postmaster)).toBe(false);
    expect(existsSync(path.join(home, 'postgres', 'data', 'postmaster.pid'))).toBe(false);
    expect((await cli(['servers', 'status'], env)).out).toMatch(/PostgreSQL: not running[\s\S]*Redis: not running/);

    // The next hub process starts fresh servers; another one uses them too.
    const second = await holder(env);
    children.push(second.child);
    expect(second.line).toBe('READY {"postgres":true,"redis":true}');
    const third = await holder(env);
    children.push(third.child);
    expect(third.line).toBe('READY {"postgres":false,"redis":false}');
    expect((await localServersStatus(home, ports)).map((s) => s.users?.map((u) => u.pid))).toEqual([
      [second.child.pid, third.child.pid].sort((a, b) => a! - b!),
      [second.child.pid, third.child.pid].sort((a, b) => a! - b!),
    ]);
    // The one that started them stops first: they keep running for the other, which stops them when it exits.
    expect(await stopHolder(second.child)).toBe(143);
    expect(await answers(pgPort)).toBe(true);
    expect(await answers(redisPort)).toBe(true);
    const client2 = new pg.Client({ connectionString: serverUrl(pgPort, 'postgres') });
    await client2.connect();
    expect((await client2.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client2.end();
    const handedOver = await cli(['servers', 'status'], env);
    expect(handedOver.out).toContain(`PostgreSQL: running, port ${pgPort}, PID`);
    expect(handedOver.out).toContain(`started by hub process ${second.child.pid}, which is gone; used by hub process ${third.child.pid} (hold-servers.ts); the last of them to exit stops it`);
    expect(await stopHolder(third.child)).toBe(143);
    expect(await answers(pgPort)).toBe(false);
    expect(await answers(redisPort)).toBe(false);
    expect((await cli(['servers', 'status'], env)).out).toMatch(/PostgreSQL: not running[\s\S]*Redis: not running/);

    // Servers stopped by hand (--force) under a hub process, and started again by another: the last user stops
    // the new ones, though it was not the one that started them, nor were they the ones it started.
    const starter = await holder(env);
    children.push(starter.child);
    expect(starter.line).toBe('READY {"postgres":true,"redis":true}');
    expect((await cli(['servers', 'stop', '--force'], env)).code).toBe(0);
    const restarter = await holder(env);
    children.push(restarter.child);
    expect(restarter.line).toBe('READY {"postgres":true,"redis":true}');
    expect(await stopHolder(restarter.child)).toBe(143);
    expect(await answers(pgPort)).toBe(true); // still used by the first
    expect(await stopHolder(starter.child)).toBe(143);
    expect(await answers(pgPort)).toBe(false);
    expect(await answers(redisPort)).toBe(false);

    // Servers whose hub was killed are adopted by the next hub process, which says so and stops them when it exits.
    const killed = await holder(env);
    children.push(killed.child);
    killed.child.kill('SIGKILL');
    await new Promise((r) => killed.child.once('exit', r));
    const adopted = await cli(['migrate'], env);
    expect(adopted.code, adopted.out).toBe(0);
    expect(adopted.out).toContain(`embedded PostgreSQL was started by hub process ${killed.child.pid}, which is gone without stopping it`);
    expect(adopted.out).toContain(`local redis-server was started by hub process ${killed.child.pid}, which is gone without stopping it`);
    expect(await answers(pgPort)).toBe(false);
    expect(await answers(redisPort)).toBe(false);
  }, 180_000);
});
