import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi, type MockInstance } from 'vitest';
import { readRedisSettings, warnOfRedisSettings } from '../jobs/redis-settings.js';
import { ensureRedisServerBinary } from '../src/infra/local-redis.js';
import { createLogger } from '../src/observability/logger.js';
import { freePort } from './support/free-port.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tempDir } from './support/temp-dir.js';

/** A Redis of an operator's own, run without AOF and with an eviction policy: what the README says not to do. */
describe('Redis settings the job queues need (QA: a Redis without AOF went unnoticed)', () => {
  let server: ChildProcess;
  let url: string;
  let hub: TestHub;
  const lines: Array<Record<string, unknown>> = [];
  let consoleWarn: MockInstance<typeof console.warn>;

  beforeAll(async () => {
    // Before the hub's queues exist: what reaches the console once they have quieted BullMQ's eviction line.
    consoleWarn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const port = await freePort();
    server = spawn(ensureRedisServerBinary({ autoInstall: false, logger: createLogger({ level: 'silent' }) }), [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru',
      '--dir', tempDir('childhub-redis-settings-'), '--daemonize', 'no', '--loglevel', 'warning',
    ], { stdio: 'ignore' });
    url = `redis://127.0.0.1:${port}`;
    // Until it answers: redis-server takes a moment to listen.
    for (let tries = 0; ; tries++) {
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.quit();
        break;
      } catch (err) {
        probe.disconnect();
        if (tries > 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    hub = await startTestHub({
      redisVia: async () => url,
      logger: createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } }),
    });
  });
  afterAll(async () => {
    try {
      await hub?.close();
    } finally {
      consoleWarn?.mockRestore();
      // SIGKILL, and waited for: with AOF switched on by the test, a SIGTERM'd Redis whose folder is removed meanwhile
      // refuses to exit (it cannot write its last AOF) and was left running after the suite.
      if (server && server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGKILL');
        await exited;
      }
    }
  });

  it('reads them with INFO: the test Redis runs as the README asks', async () => {
    const redis = new Redis(inject('redisUrl'));
    try {
      expect(await readRedisSettings(redis)).toEqual({ appendonly: 'yes', 'maxmemory-policy': 'noeviction' });
    } finally {
      await redis.quit();
    }
  });

  it('warns once a process of each wrong one, naming it, what was found, what it risks and the fix; /metrics says 0 for each', async () => {
    const redis = new Redis(url);
    try {
      // The gateway warned when it started; asking again in the same process says nothing more.
      await expect.poll(() => lines.filter((l) => l.redisSetting).length).toBe(2);
      await warnOfRedisSettings(redis, hub.ctx.logger);
      const warned = lines.filter((l) => l.redisSetting);
      expect(warned.map((l) => [l.level, l.redisSetting, l.found, l.wanted])).toEqual([
        [40, 'appendonly', 'no', 'yes'],
        [40, 'maxmemory-policy', 'allkeys-lru', 'noeviction'],
      ]);
      // BullMQ's own line for the eviction policy, printed for each of its connections, does not reach the console;
      // any other console line still does.
      expect(consoleWarn.mock.calls.filter(([l]) => String(l).includes('Eviction policy'))).toEqual([]);
      console.warn('another warning');
      expect(consoleWarn).toHaveBeenLastCalledWith('another warning');
      expect(warned[0]!.msg).toBe(
        'Redis runs with appendonly no: a Redis restart loses every queued and scheduled job (syncs, golden-record rebuilds, identity checks and issuance polls), '
          + 'which the outbox does not send again; set `appendonly yes` and `appendfsync everysec` (README: "Your own PostgreSQL and Redis")',
      );
      const text = await (await fetch(`${hub.api.url}/metrics`)).text();
      expect(text).toContain('childhub_redis_setting_ok{setting="appendonly"} 0');
      expect(text).toContain('childhub_redis_setting_ok{setting="maxmemory-policy"} 0');
      // Mended while the hub runs: the next scrape says so.
      await redis.config('SET', 'appendonly', 'yes');
      await redis.config('SET', 'maxmemory-policy', 'noeviction');
      const after = await (await fetch(`${hub.api.url}/metrics`)).text();
      expect(after).toContain('childhub_redis_setting_ok{setting="appendonly"} 1');
      expect(after).toContain('childhub_redis_setting_ok{setting="maxmemory-policy"} 1');
    } finally {
      await redis.quit();
    }
  });

  it('a Redis that cannot be read is no failure: nothing is warned, and the caller goes on', async () => {
    const failing = { info: async () => { throw new Error('NOPERM this user has no permissions to run the info command'); } };
    const before = lines.length;
    expect(await warnOfRedisSettings(failing, hub.ctx.logger)).toBeNull();
    expect(lines.slice(before).filter((l) => (l.level as number) >= 40)).toEqual([]);
  });
});
