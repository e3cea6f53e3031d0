import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { runChildhub, runChildhubFor } from './support/cli.js';
import { WITHHELD_VALUE } from '../src/cli/dry-run-values.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';
import { tempDir } from './support/temp-dir.js';


/** The `childhub connectors` commands as an integration engineer types them. */
describe('childhub connectors CLI', () => {
  let env: TestEnv;
  let cliEnv: NodeJS.ProcessEnv;
  let root: string;

  beforeAll(async () => {
    env = await createTestEnv();
    root = tempDir('childhub-cli-');
    const drop = path.join(root, 'drop');
    await writeJusticeRegisterDrop({ dir: drop, seed: 4242, count: 200, brokenRows: 1 });
    cliEnv = {
      ...process.env, DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'silent',
      CHILDHUB_HOME: path.join(root, 'home'), CONNECTOR_SCHEDULES: 'false', JUSTICE_REGISTER_DROP_DIR: drop,
      JUSTICE_REGISTER_SETTLE_SECONDS: '0', // written just now, and whole
    };
  });
  afterAll(async () => env?.cleanup());

  const childhub = (...args: string[]) => runChildhub(cliEnv, ...args);

  it('validate: ok for the four definitions, exit 1 with file:line, path and reason for a broken one', async () => {
    const ok = await childhub('connectors', 'validate');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok\s+justice-register/);
    const dir = path.join(root, 'bad');
    mkdirSync(dir);
    const file = path.join(dir, 'connector.yaml');
    writeFileSync(file, 'name: bad\nsourceSystem: school\ntitle: x\nkind: http\nhttp:\n  baseUrl: http://x\n  auth: { type: bearer, token: "literal" }\n  request: { path: / }\n  records: data\n  pagination: { type: none }\nrecords:\n  - externalId: { from: id }\n');
    const bad = await childhub('connectors', 'validate', '--file', file);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/connector\.yaml:7:\d+ http\.auth\.token/);
    // A file outside the project is named as it is, not as a path climbing out of the project (QA: `../../tmp/…`).
    expect(bad.stdout).toContain(`${file}:7:`);
    expect(bad.stdout).not.toContain('../');
    // A valid draft kept outside its folder validates, with the folder-name rule as a note.
    const draft = path.join(root, 'draft.yaml');
    writeFileSync(draft, 'name: draft\nsourceSystem: school\ntitle: x\nkind: http\nhttp:\n  baseUrl: http://x\n  request: { path: / }\n  records: data\n  pagination: { type: none }\nrecords:\n  - externalId: { from: id }\n');
    const drafted = await childhub('connectors', 'validate', '--file', draft);
    expect(drafted.code).toBe(0);
    expect(drafted.stdout).toMatch(new RegExp(`^ok +${draft.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    // (The temporary folder's random name may or may not be a valid connector name: both notes name where to put it.)
    expect(drafted.stdout).toMatch(/^note +\S*draft\.yaml:1 name: must equal .*\(connectors are found by folder\).*: put the file at connectors\/draft\/connector\.yaml$/m);
    // Typed as `npm run childhub -- connectors validate school --file draft.yaml` in the draft's folder: npm runs the CLI in
    // the project's folder and says where it was typed (INIT_CWD); the draft is read from there, named as given, and
    // the named connector is checked too (QA: ENOENT in the project's folder, and the name ignored).
    const typed = await runChildhub({ ...cliEnv, INIT_CWD: root, npm_lifecycle_event: 'childhub' }, 'connectors', 'validate', 'school', '--file', 'draft.yaml', 'bad/connector.yaml');
    expect(typed.code).toBe(1);
    expect(typed.stdout).toMatch(/^ok +school$/m);
    expect(typed.stdout).toMatch(/^ok +draft\.yaml$/m);
    expect(typed.stdout).toMatch(/^bad\/connector\.yaml is not a valid connector definition:$/m);
    // A connectors directory that is not there, or not a directory, is said (QA: exit 0 and nothing; a raw ENOTDIR).
    const missing = await runChildhub({ ...cliEnv, CONNECTORS_DIR: path.join(root, 'nowhere') }, 'connectors', 'validate');
    expect([missing.code, missing.stderr.trim()]).toEqual([2, `The connectors directory ${path.join(root, 'nowhere')} does not exist (CONNECTORS_DIR)`]);
    const notDir = await runChildhub({ ...cliEnv, CONNECTORS_DIR: draft }, 'connectors', 'validate');
    expect([notDir.code, notDir.stderr.trim()]).toEqual([2, `The connectors directory ${draft} is not a directory (CONNECTORS_DIR)`]);
    // The catalog's own file named through a linked folder is the catalog's, not a draft (QA: validated as a draft).
    const defs = path.join(root, 'defs');
    mkdirSync(path.join(defs, 'foo'), { recursive: true });
    writeFileSync(path.join(defs, 'foo', 'connector.yaml'), readFileSync(draft, 'utf8').replace('name: draft', 'name: bar'));
    symlinkSync(defs, path.join(root, 'defs-link'));
    const linked = await runChildhub({ ...cliEnv, CONNECTORS_DIR: defs }, 'connectors', 'validate', '--file', path.join(root, 'defs-link', 'foo', 'connector.yaml'));
    expect(linked.code).toBe(1);
    expect(linked.stdout).toContain('must equal the folder name "foo"');
  }, 60_000);

  it('check: the drop directory and its first file, writing nothing', async () => {
    const r = await childhub('connectors', 'check', 'justice-register');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok/);
  }, 60_000);

  it('dry-run: prints mapped records and the broken row, and stores nothing; sync then stores them', async () => {
    const dry = await childhub('connectors', 'dry-run', 'justice-register', '--limit', '1');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would be stored, 1 would be quarantined/);
    expect(dry.stdout).toMatch(/REJECT .*row \d+/);
    expect(dry.stdout).not.toMatch(/WARN/);
    // The records past --limit are said to be there (QA: one went looking for a record cut off).
    const stored = Number(/(\d+) would be stored/.exec(dry.stdout)![1]);
    expect(dry.stdout).toContain(`… ${stored - 1} more mapped records not shown (1 of ${stored}: --limit ${stored} shows them all)`);
    // The values by their kind, never the names, numbers and dates read (security QA); the id and codes as they are.
    const printed = (out: string) => JSON.parse(/^\{\n[\s\S]*?\n\}$/m.exec(out)![0]) as { externalId: string; record: Record<string, unknown> };
    const masked = printed(dry.stdout);
    expect(masked.record.fullName).toMatch(/^‹text of \d+ characters \(letters, spaces\)›$/);
    expect(masked.record.birthDate).toBe('‹text of 10 characters (digits, \'-\')›');
    expect(masked.record.sourceSystem).toBe('justice-register');
    expect(masked.externalId).not.toMatch(/‹/);
    // Whether a child has groups or projections at all is the sensitive fact: withheld whole (QA re-check).
    expect(masked.record.groups).toBe(WITHHELD_VALUE);
    expect((masked as unknown as { projections: unknown }).projections).toBe(WITHHELD_VALUE);
    expect(dry.stdout).toContain('--show-values prints the values, audited as a read of every class by your user');
    // Asked for, the values, with an audited read of every class by the user who ran it, before they were printed.
    const values = await childhub('connectors', 'dry-run', 'justice-register', '--limit', '1', '--show-values');
    expect(values.code).toBe(0);
    const plain = printed(values.stdout);
    expect(plain.externalId).toBe(masked.externalId);
    expect(plain.record.fullName).toMatch(/^\p{Lu}/u);
    expect(plain.record.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const client = new pg.Client({ connectionString: env.databaseUrl });
    await client.connect();
    try {
      const audited = await client.query(`SELECT action, subject, purpose, field_classes, details FROM audit_event WHERE operation = 'connectors dry-run --show-values'`);
      expect(audited.rows).toEqual([{
        action: 'READ', subject: expect.stringMatching(/^cli:\S+$/), purpose: 'CONNECTOR_DRY_RUN', field_classes: expect.arrayContaining(['BASIC', 'HEALTH', 'IDENTITY']),
        details: { connector: 'justice-register', sourceSystem: 'justice-register', externalIds: [masked.externalId] },
      }]);
    } finally {
      await client.end();
    }
    const sync = await childhub('connectors', 'sync', 'justice-register', '--in-process');
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/justice-register: SUCCEEDED .* 1 rejected/);
    const list = await childhub('connectors', 'list');
    expect(list.stdout).toMatch(/justice-register .*last run SUCCEEDED/);
    // A sync in progress with another queued behind it: the one in progress is shown, and the one queued said (QA: the
    // queued one hid the running one's progress).
    const runs = new pg.Client({ connectionString: env.databaseUrl });
    await runs.connect();
    try {
      const from = `FROM connector WHERE name = 'justice-register'`;
      await runs.query(`INSERT INTO connector_run (id, connector_id, trigger, status, started_at, heartbeat_at, fetched, created_at)
                        SELECT 'run_qa_running', id, 'CLI', 'RUNNING', now(), now(), 1234, now() - interval '1 minute' ${from}`);
      await runs.query(`INSERT INTO connector_run (id, connector_id, trigger, status) SELECT 'run_qa_queued', id, 'API', 'QUEUED' ${from}`);
      const busy = await childhub('connectors', 'list');
      expect(busy.stdout).toMatch(/^justice-register .*last run RUNNING since \S+ fetched 1234 rejected 0; another sync queued behind it$/m);
    } finally {
      await runs.query(`DELETE FROM connector_run WHERE id IN ('run_qa_running', 'run_qa_queued')`);
      await runs.end();
    }
    expect(list.stdout).toMatch(/^school .*\*\/30 \* \* \* \*.*\n.*\n {2}full read \(finds records gone from the source\) 10 2 \* \* 0$/m);
    expect(list.stdout).toMatch(/^facility-inspection .*\n.*\n {2}lists held whole: placement\.inspectionReportNumber \(a record a later file leaves out of its list is marked absent\)$/m);
    // Once ingested, a dry run says why it reads nothing.
    const again = await childhub('connectors', 'dry-run', 'justice-register', '--limit', '1');
    expect(again.stdout).toMatch(/^WARN \S+\.csv skipped: already ingested \(the same bytes\)/m);
    // Forced, it reads it again as a forced sync would, and still writes nothing (QA: no way to preview it).
    const forced = await childhub('connectors', 'dry-run', 'justice-register', '--limit', '1', '--force');
    expect(forced.code).toBe(0);
    // Its records are stored as they are: counted apart, as the sync counts them (QA: told as records to store).
    const counted = / — (\d+) fetched, 0 would be stored, (\d+) unchanged \(stored as they are: a sync writes nothing for them\), 1 would be quarantined$/m.exec(forced.stdout);
    expect(counted, forced.stdout).not.toBeNull();
    expect(Number(counted![2])).toBe(Number(counted![1]) - 1);
    expect(forced.stdout).not.toMatch(/already ingested/);
    const afterForced = await childhub('connectors', 'dry-run', 'justice-register', '--limit', '1');
    expect(afterForced.stdout).toMatch(/^WARN \S+\.csv skipped: already ingested/m);
    // Its folder removed, it is listed as removed, with its last run; its file broken, as invalid with its problems
    // and its last run (QA: an invalid one showed only its problems, a removed one nothing).
    const defs = tempDir('childhub-cli-defs-');
    mkdirSync(path.join(defs, 'school'));
    copyFileSync(path.join(PROJECT_ROOT, 'connectors', 'school', 'connector.yaml'), path.join(defs, 'school', 'connector.yaml'));
    const removed = await runChildhub({ ...cliEnv, CONNECTORS_DIR: defs }, 'connectors', 'list');
    expect(removed.stdout).toMatch(/^justice-register +file +justice-register +REMOVED +last run SUCCEEDED/m);
    expect(removed.stdout).toMatch(/^school +http/m);
    mkdirSync(path.join(defs, 'justice-register'));
    writeFileSync(path.join(defs, 'justice-register', 'connector.yaml'),
      readFileSync(path.join(PROJECT_ROOT, 'connectors', 'justice-register', 'connector.yaml'), 'utf8').replace(/^kind: file$/m, 'kind: ftp'));
    const broken = await runChildhub({ ...cliEnv, CONNECTORS_DIR: defs }, 'connectors', 'list');
    expect(broken.stdout).toMatch(/^justice-register +file +justice-register +INVALID +last run SUCCEEDED/m);
    expect(broken.stdout).toMatch(/^ {4}\S*justice-register\/connector\.yaml:\d+:\d+ kind: /m);
  }, 120_000);

  it('check: a file it would refuse that the connector ingested already passes, as a sync skips it; one not ingested fails (QA)', async () => {
    const drop = path.join(root, 'drop');
    const bytes = Buffer.from('Số hồ sơ,Họ tên\n1,\xe0\xf2\n', 'latin1');
    writeFileSync(path.join(drop, 'khai-sinh-zz-archived.csv'), bytes);
    const db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
    try {
      // The connector's row was made by the sync of the test before.
      const archived = await db.query(
        `INSERT INTO ingested_file (id, connector_id, checksum, file_name, size_bytes) SELECT 'fil_cliarchived', id, $1, 'khai-sinh-zz-archived.csv', $2 FROM connector WHERE name = 'justice-register'`,
        [createHash('sha256').update(bytes).digest('hex'), bytes.length]);
      expect(archived.rowCount).toBe(1);
      const passed = await childhub('connectors', 'check', 'justice-register');
      expect(passed.stdout).toMatch(/^ok {3}khai-sinh-zz-archived\.csv — already ingested \(the same bytes\): a sync skips it; read again \(--force\), it would be refused \(CONNECTOR_FILE_ENCODING: /m);
      expect(passed.code).toBe(0);
      // The mapping changed since the records were read: the next sync reads every file again, so it is checked (QA).
      const { hash } = (await db.query<{ hash: string }>(`SELECT records_mapping_hash AS hash FROM connector WHERE name = 'justice-register'`)).rows[0]!;
      await db.query(`UPDATE connector SET records_mapping_hash = 'edited' WHERE name = 'justice-register'`);
      try {
        const remapped = await childhub('connectors', 'check', 'justice-register');
        expect(remapped.stdout).toMatch(/^FAIL khai-sinh-zz-archived\.csv — CONNECTOR_FILE_ENCODING: /m);
        expect(remapped.stdout).toMatch(/^WARN the mapping changed since the stored records were read \(or is not known\): the next sync reads every file again/m);
        expect(remapped.code).toBe(1);
      } finally {
        await db.query(`UPDATE connector SET records_mapping_hash = $1 WHERE name = 'justice-register'`, [hash]);
      }
      // A forced read of the files stopped part-way: the next sync goes on with it, reading them again (QA re-check).
      await db.query(
        `INSERT INTO connector_run (id, connector_id, trigger, status, started_at, heartbeat_at, options) SELECT 'run_clipending', id, 'CLI', 'RUNNING', now(), now(), '{"force": true}' FROM connector WHERE name = 'justice-register'`);
      try {
        const pending = await childhub('connectors', 'check', 'justice-register');
        expect(pending.stdout).toMatch(/^FAIL khai-sinh-zz-archived\.csv — CONNECTOR_FILE_ENCODING: /m);
        expect(pending.stdout).toMatch(/^WARN a forced read of the files stopped part-way \(its run left RUNNING\): the next sync goes on with it/m);
      } finally {
        await db.query(`DELETE FROM connector_run WHERE id = 'run_clipending'`);
      }
      // A database that does not answer cannot tell: the file fails, and check says why it may be one a sync skips.
      const away = await runChildhub({ ...cliEnv, DATABASE_URL: 'postgres://postgres:x@127.0.0.1:1/none' }, 'connectors', 'check', 'justice-register');
      expect(away.stdout).toMatch(/^FAIL khai-sinh-zz-archived\.csv — /m);
      expect(away.stdout).toMatch(/^WARN could not ask the database which files this connector ingested already \(.+\): a file failed above may be one a sync skips$/m);
      writeFileSync(path.join(drop, 'khai-sinh-zz-new.csv'), Buffer.concat([bytes, Buffer.from('2,x\n')]));
      const failed = await childhub('connectors', 'check', 'justice-register');
      expect(failed.stdout).toMatch(/^FAIL khai-sinh-zz-new\.csv — CONNECTOR_FILE_ENCODING: /m);
      expect(failed.code).toBe(1);
    } finally {
      await db.query(`DELETE FROM ingested_file WHERE id = 'fil_cliarchived'`);
      await db.end();
      rmSync(path.join(drop, 'khai-sinh-zz-archived.csv'), { force: true });
      rmSync(path.join(drop, 'khai-sinh-zz-new.csv'), { force: true });
    }
  }, 60_000);

  it('dry-run --file: a relative name not in the current directory is read from the drop directory', async () => {
    const name = readdirSync(path.join(root, 'drop')).find((f) => f.endsWith('.csv'))!;
    const r = await childhub('connectors', 'dry-run', 'justice-register', '--file', name, '--limit', '1');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would be stored/);
  }, 60_000);

  it('dry-run: a file lacking columns the mapping reads is refused naming them; headers in another case or spacing are read as the mapping\'s', async () => {
    const dir = path.join(root, 'headers');
    mkdirSync(dir);
    const noSex = path.join(dir, 'khai-sinh-no-sex.csv');
    writeFileSync(noSex, 'Mã hồ sơ,Họ và tên,Ngày sinh,Họ tên cha,Họ tên mẹ\nKS1,NGUYỄN VĂN AN,01/02/2015,,\n');
    const missing = await childhub('connectors', 'dry-run', 'justice-register', '--file', noSex);
    const said = missing.stdout + missing.stderr;
    expect(said).toMatch(/khai-sinh-no-sex\.csv row 1: the header row \(5 columns\) does not have columns .*«Giới tính».* in any letter case or spacing, which the mapping reads/);
    // Without the parents' columns, whose blanks say a foundling's registration (the mapping's `present: false`), it is
    // refused for them first: read as blank, every record would be taken for an abandoned child's.
    const noParents = path.join(dir, 'khai-sinh-no-parents.csv');
    writeFileSync(noParents, 'Mã hồ sơ,Họ và tên,Ngày sinh\nKS1,NGUYỄN VĂN AN,01/02/2015\n');
    expect((await childhub('connectors', 'dry-run', 'justice-register', '--file', noParents)).stdout)
      .toMatch(/does not have columns «Họ tên cha», «Họ tên mẹ» in any letter case or spacing, and the mapping gives a value when they are empty/);
    expect(said).toMatch(/MISSING_COLUMN|the file was not read/);
    expect(said).not.toMatch(/REJECT KS1/); // no row is read
    expect(said).not.toMatch(/NGUYỄN VĂN AN/);
    // A sync would end FAILED: so does the dry run, for a script to rely on (newcomer QA: it exited 0).
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^a sync would end FAILED \(CONNECTOR_FILES_REFUSED\): see WARN above$/m);
    // The committed sample's header row, in capitals and with its spaces doubled, is still read as the mapping's columns.
    const sample = readdirSync(path.join(root, 'drop')).find((f) => f.endsWith('.csv'))!;
    const [header, ...lines] = readFileSync(path.join(root, 'drop', sample), 'utf8').replace(/^\uFEFF/, '').split('\n');
    const upper = path.join(dir, 'khai-sinh-upper.csv');
    writeFileSync(upper, [header!.toUpperCase().replaceAll(' ', '  '), ...lines.slice(0, 5)].join('\n') + '\n');
    const none = await childhub('connectors', 'dry-run', 'justice-register', '--file', upper);
    expect(none.stdout).not.toMatch(/no mapping takes its rows|does not have/);
    expect(none.stdout).toMatch(/would be stored/);
    expect(none.code).toBe(0);
  }, 60_000);

  it('sync --file: a relative path is the file from the current directory when one is there (sent on absolute), else the drop directory\'s; the output says which', async () => {
    const drop = path.join(root, 'drop');
    const name = readdirSync(drop).find((f) => f.endsWith('.csv'))!;
    // A file of the same name outside the drop directory, named relative to the CLI's directory.
    const mine = path.join(root, 'mine');
    mkdirSync(mine);
    writeFileSync(path.join(mine, name), 'Mã hồ sơ,Họ và tên\n');
    const relative = path.relative(PROJECT_ROOT, path.join(mine, name));
    const here = await childhub('connectors', 'sync', 'justice-register', '--no-wait', '--file', relative);
    expect(here.code, here.stderr).toBe(0);
    expect(here.stdout).toContain(`--file ${relative}: ${path.join(mine, name)} (found in the current directory)`);
    const there = await childhub('connectors', 'sync', 'justice-register', '--no-wait', '--file', name);
    expect(there.code, there.stderr).toBe(0);
    // Queued: the worker's environment names its drop directory, which this process cannot see.
    expect(there.stdout).toContain(`--file ${name}: not in the current directory (${PROJECT_ROOT}); the worker reads it from the drop directory of justice-register`);
    // The same request again: that run is still queued, and --no-wait returns it (following nothing).
    const again = await childhub('connectors', 'sync', 'justice-register', '--no-wait', '--file', name);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^run run_\w+ of justice-register was already queued and not yet started: returning it instead of queuing another$/m);
    // What a worker is given: the absolute path, or the name for it to find in the drop directory.
    const db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
    try {
      const runs = await db.query<{ options: { files: string[] } }>(`SELECT options FROM connector_run WHERE status = 'QUEUED' ORDER BY created_at, id`);
      expect(runs.rows.map((r) => r.options.files)).toEqual([[path.join(mine, name)], [name]]);
      await db.query(`DELETE FROM connector_run WHERE status = 'QUEUED'`); // no worker here to run them
      // Followed with no worker to send it to the queue: the wait says the request has not reached the queue (QA:
      // it asked whether a worker runs while Redis refused writes; the same message covers both).
      const followed = await runChildhubFor(20_000, cliEnv, 'connectors', 'sync', 'school');
      expect(followed.stderr).toMatch(/still queued after 10 s: the request has not reached the job queue yet: is Redis up and taking writes, and a worker running \(it sends it\)\? Or use --in-process\./);
      await db.query(`DELETE FROM connector_run WHERE status = 'QUEUED'`);
      // Queued behind a sync a worker finished a moment before the check (it went through the queue: its outbox
      // message): told so, not sent looking for a worker (QA). (Its end is set ahead of now, so that a slow start of
      // the CLI below cannot put it out of the window; the new request is marked sent, as a worker would send it.)
      await db.query(
        `INSERT INTO connector_run (id, connector_id, trigger, status, definition_hash, started_at, finished_at)
         SELECT 'run_JUSTFINISHED', id, 'CLI', 'SUCCEEDED', definition_hash, now(), now() + interval '60 seconds' FROM connector WHERE name = 'school'`,
      );
      await db.query(`INSERT INTO outbox (topic, aggregate_id, relayed_at) VALUES ('connector.sync', 'run_JUSTFINISHED', now())`);
      // Each request marked sent for as long as the CLI runs, however slowly it starts (CI under load: a fixed
      // number of rounds ended before a slow CLI had queued its run, or the CLI was stopped before it said anything).
      const relayedWhile = async (run: Promise<{ stderr: string }>) => {
        let done = false;
        void run.finally(() => { done = true; });
        while (!done) {
          await db.query(`UPDATE outbox SET relayed_at = now() WHERE topic = 'connector.sync' AND relayed_at IS NULL`);
          await new Promise((r) => setTimeout(r, 200));
        }
        return run;
      };
      const behind = await relayedWhile(runChildhubFor(20_000, cliEnv, 'connectors', 'sync', 'school'));
      expect(behind.stderr).toContain('still queued after 10 s: it waited for the sync of school that has just finished (run run_JUSTFINISHED); it starts within seconds');
      // The same sync run --in-process says nothing of workers: this one waits for one.
      await db.query(`DELETE FROM outbox WHERE aggregate_id = 'run_JUSTFINISHED'`);
      await db.query(`DELETE FROM connector_run WHERE status = 'QUEUED'`);
      expect((await relayedWhile(runChildhubFor(20_000, cliEnv, 'connectors', 'sync', 'school'))).stderr).toContain('still queued after 10 s: is a worker running (`npm run worker`)? Or use --in-process.');
      await db.query(`DELETE FROM connector_run WHERE status = 'QUEUED' OR id = 'run_JUSTFINISHED'`);
    } finally {
      await db.end();
    }
  }, 90_000);

  it('a failed run is told once: one line with the run, its counts and the error, and exit 1', async () => {
    const drop = mkdtempSync(path.join(root, 'refused-'));
    // A legacy Windows-1258 export ("Nguyễn" has no single-byte form; "Lê Thị Hà" does): refused by name.
    writeFileSync(path.join(drop, 'khai-sinh-legacy.csv'), Buffer.from('Số đăng ký,Họ và tên\n1,Lê Thị Hà\n', 'latin1'));
    const r = await runChildhub({ ...cliEnv, JUSTICE_REGISTER_DROP_DIR: drop, LOG_LEVEL: 'info' }, 'connectors', 'sync', 'justice-register', '--in-process');
    expect(r.code).toBe(1);
    const told = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('CONNECTOR_FILES_REFUSED'));
    expect(told).toEqual([expect.stringMatching(/^justice-register: FAILED in [\d.]+ s — run run_\w+: 0 fetched, 0 new, 0 changed, 0 unchanged, 0 rejected — CONNECTOR_FILES_REFUSED: /)]);
    expect(r.stderr).not.toMatch(/connector sync failed|FilesRefusedError/); // no second report
    expect(r.stderr).toMatch(/file refused; the other files are read/); // the file's refusal, logged …
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // … without a stack: an expected refusal
    expect(r.stderr).toMatch(/connector sync started/); // the log still runs at info
  }, 60_000);

  it('a failure names its code', async () => {
    const r = await childhub('connectors', 'sync', 'no-such-connector', '--in-process');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/childhub: \[CONNECTOR_NOT_FOUND\] /);
  }, 60_000);

  it('list: the checkpoint shows a source\'s paging cursor withheld, and the page size (QA: a cursor held a child\'s name and number)', async () => {
    const db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
    try {
      const state = { since: null, next: { params: { limit: '1000', cursor: 'NGUYỄN VĂN AN|001215000123' } }, highWater: '2026-12-14T09:00:00.000Z', page: 3 };
      await db.query(`INSERT INTO connector (id, name, kind, source_system, definition, definition_hash)
        SELECT 'con_cursorschool', 'school', 'http', 'school', '{}', 'x' WHERE NOT EXISTS (SELECT 1 FROM connector WHERE name = 'school')`);
      await db.query(`UPDATE connector SET state = $1 WHERE name = 'school'`, [JSON.stringify(state)]);
      const list = await childhub('connectors', 'list');
      expect(list.code).toBe(0);
      const checkpoint = /^school .*\n(?: .*\n)*? {2}checkpoint (.*)$/m.exec(list.stdout)?.[1];
      expect(JSON.parse(checkpoint!)).toEqual({ ...state, next: { params: { limit: '1000', cursor: '[withheld]' } } });
      expect(list.stdout).not.toMatch(/NGUY|001215000123/);
      expect((await db.query(`SELECT state FROM connector WHERE name = 'school'`)).rows[0].state).toEqual(state);
    } finally {
      await db.end();
    }
  }, 60_000);
});
