import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { runChildhub } from './support/cli.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { CELL, plainRows, withCells } from './support/register-rows.js';
import { tempDir } from './support/temp-dir.js';

const run = promisify(execFile);

/**
 * `childhub connectors rejects` as an engineer types it, over the justice register's CSV with a broken row
 * (rejected without an id) and a row with an impossible birth date (rejected with its id): what it lists,
 * and never the values or payloads.
 */
describe('childhub connectors rejects', () => {
  let env: TestEnv;
  let cliEnv: NodeJS.ProcessEnv;
  let db: pg.Client;
  let badId = '';
  let badName = '';
  let runId = '';
  let ids: { withId: string; idless: string };

  const childhub = (...args: string[]) => runChildhub(cliEnv, ...args);

  beforeAll(async () => {
    env = await createTestEnv();
    const root = tempDir('childhub-rejects-cli-');
    const drop = path.join(root, 'drop');
    const written = await writeJusticeRegisterDrop({ dir: drop, seed: 4242, count: 120, brokenRows: 1 });
    const file = written.files.find((f) => f.path.endsWith('.csv'))!.path;
    const text = readFileSync(file, 'utf8');
    const [row] = plainRows(text, 1, 40);
    [badId, badName] = [row!.externalId, text.split('\n')[row!.line]!.split(',')[CELL.name]!];
    writeFileSync(file, withCells(text, [row!], CELL.birthDate, ['31/02/2015']));
    cliEnv = {
      ...process.env, DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'silent',
      CHILDHUB_HOME: path.join(root, 'home'), CONNECTOR_SCHEDULES: 'false', JUSTICE_REGISTER_DROP_DIR: drop, JUSTICE_REGISTER_SETTLE_SECONDS: '0',
    };
    const sync = await childhub('connectors', 'sync', 'justice-register', '--in-process');
    expect(sync.stdout).toMatch(/SUCCEEDED .* 2 rejected/);
    runId = /run (run_\w+)/.exec(sync.stdout)![1]!;
    db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
    const rows = (await db.query<{ id: string; external_id: string | null }>('SELECT id, external_id FROM rejected_record')).rows;
    ids = { withId: rows.find((r) => r.external_id === badId)!.id, idless: rows.find((r) => r.external_id === null)!.id };
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await env?.cleanup();
  });

  it('lists the open rejects with id, external id, location, reasons and times seen, never a value', async () => {
    const r = await childhub('connectors', 'rejects', 'justice-register');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^justice-register: 2 open rejects$/m);
    expect(out).toMatch(new RegExp(`^${ids.withId}  ${badId}  khai-sinh-\\S+\\.csv row \\d+  seen 1×  open$`, 'm'));
    expect(out).toMatch(new RegExp(`^${ids.idless}  \\(no id\\)  khai-sinh-\\S+\\.csv row \\d+  seen 1×  open$`, 'm'));
    expect(out).toMatch(/^ {4}birthDate \S+ .+$/m);
    expect(out).not.toContain('31/02/2015');
    expect(out).not.toContain(badName);
  }, 60_000);

  it('--all adds the resolved ones with how, when and by whom; --json prints them for scripts, without payload or reason', async () => {
    await db.query(`UPDATE rejected_record SET resolved_at = now(), resolution = 'DISMISSED', resolved_by = 'engineer-1', resolution_note = 'hàng thử' WHERE id = $1`, [ids.idless]);
    const open = await childhub('connectors', 'rejects', 'justice-register');
    expect(open.stdout).toMatch(/^justice-register: 1 open reject$/m);
    expect(open.stdout).not.toContain(ids.idless);
    const all = await childhub('connectors', 'rejects', 'justice-register', '--all');
    expect(all.stdout).toMatch(/^justice-register: 2 rejects$/m);
    expect(all.stdout).toMatch(new RegExp(`^${ids.idless}  .*  seen 1×  DISMISSED \\d{4}-\\d\\d-\\d\\dT\\S+ by engineer-1$`, 'm'));
    expect(all.stdout).not.toContain('hàng thử');
    const json = await childhub('connectors', 'rejects', 'justice-register', '--all', '--json');
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(listed.map((x) => x.id).sort()).toEqual([ids.withId, ids.idless].sort());
    expect(listed.find((x) => x.id === ids.withId)).toMatchObject({
      externalId: badId, location: expect.stringMatching(/row \d+$/), timesSeen: 1, runId, lastRunId: runId, resolution: null,
      reasons: [expect.objectContaining({ field: 'birthDate', code: expect.any(String), message: expect.any(String) })],
    });
    expect(listed.find((x) => x.id === ids.idless)).toMatchObject({ resolution: 'DISMISSED', resolvedBy: 'engineer-1' });
    expect(json.stdout).not.toMatch(/payload|resolutionNote|hàng thử|31\/02\/2015/);
  }, 90_000);

  it('--resolution lists only those closed so, in any letter case; another word is refused', async () => {
    const dismissed = await childhub('connectors', 'rejects', 'justice-register', '--resolution', 'dismissed');
    expect(dismissed.code).toBe(0);
    expect(dismissed.stdout).toMatch(/^justice-register: 1 DISMISSED reject$/m);
    expect(dismissed.stdout).toContain(ids.idless);
    expect(dismissed.stdout).not.toContain(ids.withId);
    const none = await childhub('connectors', 'rejects', 'justice-register', '--resolution', 'NOT_SENT_AGAIN');
    expect(none.stdout).toMatch(/^justice-register: no NOT_SENT_AGAIN rejects$/m);
    const wrong = await childhub('connectors', 'rejects', 'justice-register', '--resolution', 'gone');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/option '--resolution <how>' argument 'gone' is invalid\. expected one of STORED, SUPERSEDED, DISMISSED, NOT_SENT_AGAIN/);
  }, 90_000);

  it('--run lists what that run read still invalid; an unknown run or connector fails with its code', async () => {
    const ofRun = await childhub('connectors', 'rejects', 'justice-register', '--run', runId, '--all');
    expect(ofRun.stdout).toMatch(new RegExp(`^justice-register: 2 rejects of run ${runId}$`, 'm'));
    const noRun = await childhub('connectors', 'rejects', 'justice-register', '--run', 'run_nope');
    expect(noRun.code).toBe(1);
    expect(noRun.stderr).toMatch(/childhub: \[NOT_FOUND\] no run run_nope of connector justice-register/);
    const noConnector = await childhub('connectors', 'rejects', 'no-such-connector');
    expect(noConnector.code).toBe(1);
    expect(noConnector.stderr).toMatch(/childhub: \[CONNECTOR_NOT_FOUND\] /);
  }, 90_000);

  it('--json is JSON alone on stdout at log level info, and stopping early in a pipe is not an error', async () => {
    const saved = cliEnv;
    cliEnv = { ...cliEnv, LOG_LEVEL: 'info' };
    try {
      const json = await childhub('connectors', 'rejects', 'justice-register', '--all', '--json');
      expect(json.code, json.stderr).toBe(0);
      expect(() => JSON.parse(json.stdout)).not.toThrow();
      const piped = await run('bash', ['-c', `set -o pipefail; '${process.execPath}' --import tsx src/cli/main.ts connectors rejects justice-register --all | head -c 1`], {
        cwd: PROJECT_ROOT, env: cliEnv,
      }).then((r) => ({ code: 0, stderr: r.stderr }), (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
      expect(piped.stderr).not.toMatch(/EPIPE/);
      expect(piped.code).toBe(0);
    } finally {
      cliEnv = saved;
    }
  }, 90_000);
});
