import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { tempDir } from './support/temp-dir.js';

const run = promisify(execFile);

/** `childhub demo` as a newcomer runs it (against the test servers via the URLs), through to Ctrl-C. */
describe('childhub demo', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => env?.cleanup());

  it('loads the sample, builds golden records, prints where to click, answers queries and stops on SIGINT', async () => {
    const home = tempDir('childhub-demo-');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--children', '300'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        QUEUE_PREFIX: env.queuePrefix,
        PORT: '0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'warn',
        CHILDHUB_HOME: home,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 90_000;
    while (!out.includes('Ctrl-C stops the demo') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(out).toContain('childhub is running');
    const url = /GraphQL\s+(http:\/\/\S+\/graphql)/.exec(out)?.[1];
    const token = /data steward, whole city, every class:\n\s+(\S+)/.exec(out)?.[1];
    expect(url && token).toBeTruthy();
    expect(out).toMatch(/Data\s+\d+ children from \d+ source records/);
    // The children came through the four connectors (simulators and drops), not a seeder.
    for (const source of ['health-station', 'school', 'justice-register', 'facility-inspection']) expect(out).toContain(`  ${source} `);

    const res = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ children(first: 5) { totalCount nodes { id fullName identityNumbers { number } sourceRecords { sourceSystem } } } }' }),
    });
    const body = (await res.json()) as { data: { children: { totalCount: number; nodes: Array<{ sourceRecords: unknown[] }> } } };
    expect(body.data.children.totalCount).toBeGreaterThan(250);
    expect(body.data.children.nodes.every((n) => n.sourceRecords.length > 0)).toBe(true);
    // The banner's "Try it" query, as printed, answers with children (QA: a group the sample lacked answered nothing).
    const tryIt = /-d '(\{"query".*\})'\n/.exec(out)?.[1];
    expect(tryIt).toBeTruthy();
    const tried = (await (await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: tryIt,
    })).json()) as { data?: { children: { totalCount: number; nodes: unknown[] } } };
    expect(tried.data?.children.nodes.length).toBeGreaterThan(0);

    // Connector commands in another terminal get the demo's source settings from the file the banner names.
    const envFile = path.join(home, 'demo-sources.env');
    // By its full path, which works from any folder (QA: a path relative to the project did not).
    expect(path.isAbsolute(envFile)).toBe(true);
    expect(out).toContain(`set -a; . ${envFile}; set +a`);
    const settings = readFileSync(envFile, 'utf8');
    for (const name of ['HEALTH_STATION_FHIR_URL', 'HEALTH_STATION_CLIENT_SECRET', 'SCHOOL_API_URL', 'SCHOOL_API_KEY', 'JUSTICE_REGISTER_DROP_DIR', 'FACILITY_INSPECTION_DROP_DIR']) {
      expect(settings).toMatch(new RegExp(`^${name}='[^']+'$`, 'm'));
    }
    const check = await run('bash', ['-c', `set -a; . '${envFile}'; set +a; '${process.execPath}' --import tsx src/cli/main.ts connectors check school`], {
      cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, LOG_LEVEL: 'warn' },
    });
    expect(check.stdout).toMatch(/ok/);
    expect(check.stdout).not.toMatch(/FAIL/);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(envFile)).toBe(false);
  }, 120_000);

  it('stops what it started and removes demo-sources.env when the gateway cannot start (QA re-check: a PORT in use left the file behind)', async () => {
    const home = tempDir('childhub-demo-busy-');
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--children', '300'], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env, NODE_ENV: 'development', DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, QUEUE_PREFIX: env.queuePrefix,
          PORT: String(port), HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'warn', CHILDHUB_HOME: home,
        },
      }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`PORT ${port} is already in use`);
      expect(existsSync(path.join(home, 'demo-sources.env'))).toBe(false);
    } finally {
      busy.close();
    }
  }, 120_000);
});
