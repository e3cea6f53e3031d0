import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.js';
import { runChildhub } from './support/cli.js';
import { tempDir } from './support/temp-dir.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const run = promisify(execFile);

/** What a newcomer gets wrong in the settings, said naming the setting (QA). */
describe('the CLI names the setting at fault', () => {
  let env: TestEnv;
  let base: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = await createTestEnv();
    base = {
      ...process.env, CHILDHUB_HOME: tempDir('childhub-settings-'), DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl,
      QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'warn', CONNECTOR_SCHEDULES: 'false',
    };
  });
  afterAll(async () => env?.cleanup());

  it('a DATABASE_URL with a wrong password or no server: named, its password never printed', async () => {
    const wrong = new URL(env.databaseUrl);
    wrong.password = 'not-the-password-4711';
    const refused = await runChildhub({ ...base, DATABASE_URL: wrong.toString() }, 'connectors', 'list');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/childhub: \[28P01\] cannot use the PostgreSQL of DATABASE_URL \(postgres:\/\/[^:]+:\*\*\*@[^)]+\): password authentication failed/);
    expect(refused.stderr).not.toContain('not-the-password-4711');
    wrong.port = '1'; // nothing listens there
    const down = await runChildhub({ ...base, DATABASE_URL: wrong.toString() }, 'connectors', 'list');
    expect(down.stderr).toMatch(/cannot use the PostgreSQL of DATABASE_URL .*: connect ECONNREFUSED/);
    expect(down.stderr).not.toContain('not-the-password-4711');
    // A password given as a parameter, which the driver uses too (QA re-check: printed).
    const byParam = new URL(env.databaseUrl);
    byParam.password = '';
    byParam.searchParams.set('password', 'param-secret-4711');
    const param = await runChildhub({ ...base, DATABASE_URL: byParam.toString() }, 'connectors', 'list');
    expect(param.stderr).toMatch(/cannot use the PostgreSQL of DATABASE_URL .*password=\*\*\*/);
    expect(param.stderr).not.toContain('param-secret-4711');
  });

  it('the file simulators write where the connector reads: its variable, or --dir (QA: the demo\'s folder was set, the drop went elsewhere)', async () => {
    const dir = tempDir('childhub-sim-drop-');
    const justice = await runChildhub({ ...base, JUSTICE_REGISTER_DROP_DIR: path.join(dir, 'justice') }, 'simulate', 'justice-register', '--children', '60', '--tag', 'qa');
    expect(justice.code).toBe(0);
    expect(readdirSync(path.join(dir, 'justice')).sort()).toEqual(['khai-sinh-qa.csv', 'nuoi-con-nuoi-qa.xlsx']);
    const facility = await runChildhub({ ...base, FACILITY_INSPECTION_DROP_DIR: path.join(dir, 'facility') }, 'simulate', 'facility-inspection', '--children', '60', '--year', '2025');
    expect(facility.code).toBe(0);
    expect(readdirSync(path.join(dir, 'facility')).length).toBeGreaterThan(0);
    const given = await runChildhub({ ...base, JUSTICE_REGISTER_DROP_DIR: path.join(dir, 'justice') }, 'simulate', 'justice-register', '--children', '60', '--tag', 'qa', '--dir', path.join(dir, 'given'));
    expect(given.code).toBe(0);
    expect(readdirSync(path.join(dir, 'given')).length).toBe(2);
  });

  it('a PORT in use: named', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await runChildhub({ ...base, PORT: String(port), HOST: '127.0.0.1' }, 'serve');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`childhub: [EADDRINUSE] PORT ${port} is already in use on HOST 127.0.0.1`);
    } finally {
      busy.close();
    }
  });

  it('`token --expires` longer than AUTH_MAX_TOKEN_HOURS is refused, naming it; within it, minted', async () => {
    const long = await runChildhub(base, 'token', '--expires', '48h');
    expect(long.code).toBe(2);
    expect(long.stdout).toBe('');
    expect(long.stderr).toContain('--expires 48h is longer than AUTH_MAX_TOKEN_HOURS (24 h)');
    // A lifetime of nothing or less (QA re-check: minted expired).
    for (const expires of ['0h', '-1h']) {
      const none = await runChildhub(base, 'token', '--expires', expires);
      expect([none.code, none.stdout]).toEqual([2, '']);
      expect(none.stderr).toContain(`--expires ${expires} gives a token that has expired already`);
    }
    const ok = await runChildhub(base, 'token', '--expires', '24h');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it('`npm run bench -- --help` prints the usage', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', path.join('bench', 'run.ts'), '--help'], { cwd: PROJECT_ROOT });
    expect(r.stdout).toMatch(/^Usage: npm run bench/);
  });
});
