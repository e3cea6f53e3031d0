import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dueAt } from './processors/connector-sync.processor.js';
import type { AppContext } from '../src/app/app-context.js';
import { ConnectorCatalog } from '../src/connectors/definition/connector-catalog.js';
import { createLogger } from '../src/observability/logger.js';
import type { Logger } from 'pino';
import { newId } from '../src/db/ids.js';
import type { SourceRecordInput } from '../src/domain/source-record-input.js';
import { createTestEnv, type TestEnv } from '../test/support/test-env.js';
import { createTestAppContext, waitFor } from '../test/support/jobs-test-context.js';
import { PROCESSORS, type ProcessorRegistry } from './processors/index.js';
import { goldenRecordProcessor } from './processors/golden-record.processor.js';
import { identityJobFailure } from './processors/identity-failure.js';
import { WITHHELD_MESSAGE } from './processors/storable-job-error.js';
import { RegistryRejectedError } from '../src/errors/registry-rejected-error.js';
import { QueueClient } from './queue-client.js';
import { QUEUE_NAMES } from './queues.js';
import { abandonRun, startWorker, type RunningWorker } from './worker.js';
import { WorkerSetupError } from './worker-setup.error.js';
import { tempDir } from '../test/support/temp-dir.js';

let env: TestEnv;
let ctx: AppContext;
let client: QueueClient;
let running: RunningWorker | undefined;

beforeAll(async () => {
  env = await createTestEnv();
  ctx = await createTestAppContext(env);
  client = new QueueClient({ redisUrl: env.redisUrl, prefix: env.queuePrefix });
});

afterEach(async () => {
  await running?.close();
  running = undefined;
  for (const name of QUEUE_NAMES) await client.queue(name).obliterate({ force: true });
});

afterAll(async () => {
  await client?.close();
  await ctx?.close();
  await env?.cleanup();
});

const record = (communeCode: string): SourceRecordInput => ({
  sourceSystem: 'health-station',
  externalId: 'HS-000123',
  raw: { ma_tre: 'HS-000123', xa: communeCode },
  fullName: 'Nguyễn Văn An',
  sex: 'MALE',
  birthDate: '2015-03-02',
  communeCode,
  identityNumber: '001215000123',
});

describe('worker', () => {
  it('recomputes golden records from ingested source records, end to end through the outbox', async () => {
    const first = await ctx.ingest.ingest([record('00004')]);
    const childId = first.childrenToRecompute[0];
    expect(childId).toBeDefined();
    running = await startWorker(ctx);

    // The recompute job (not ingest) builds the identity-number history.
    await waitFor(async () => !!(await ctx.sql.one(`SELECT 1 FROM identity_number WHERE child_id = $1`, [childId])), 15_000, 'identity_number row');
    const before = await ctx.sql.one<{ version: number; commune_code: string }>(`SELECT version, commune_code FROM child WHERE id = $1`, [childId]);
    expect(before?.commune_code).toBe('00004');

    const second = await ctx.ingest.ingest([record('00007')]);
    expect(second.updated).toBe(1);
    expect(second.childrenToRecompute).toEqual([childId]);
    await waitFor(
      async () => (await ctx.sql.one<{ commune_code: string }>(`SELECT commune_code FROM child WHERE id = $1`, [childId]))?.commune_code === '00007',
      15_000,
      'golden commune code',
    );
    const after = await ctx.sql.one<{ version: number; provenance: Record<string, { sourceRecordId: string }> }>(
      `SELECT version, provenance FROM child WHERE id = $1`,
      [childId],
    );
    const src = await ctx.sql.one<{ id: string }>(`SELECT id FROM source_record WHERE source_system = 'health-station' AND external_id = 'HS-000123'`);
    expect(after!.version).toBeGreaterThan(before!.version);
    expect(after!.provenance.communeCode?.sourceRecordId).toBe(src!.id);

    // Identity rows wait for a worker where the population database is configured (none here).
    const pending = await ctx.sql.one<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE relayed_at IS NULL AND topic = 'golden-record.recompute'`);
    expect(Number(pending!.n)).toBe(0);
    await running.idle(10_000);
    const counts = (await client.counts())['golden-record'];
    expect(counts).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(counts.completed).toBeGreaterThanOrEqual(2);
  });

  it('refuses to start when a registered queue has no processor', async () => {
    const err = await startWorker(ctx, { processors: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerSetupError);
    expect((err as WorkerSetupError).queue).toBe('golden-record');
    expect((err as Error).message).toMatch(/queue "golden-record" has no processor/);
  });

  it('refuses to start with an unknown queue', async () => {
    await expect(startWorker(ctx, { queues: ['no-such-queue'] })).rejects.toThrow(/unknown queue "no-such-queue"/);
  });

  it('fails a job with invalid data at once, without retries', async () => {
    running = await startWorker(ctx, { relay: false });
    // Bypasses QueueClient's own validation, as a foreign or outdated producer would.
    const job = await client.queue('golden-record').add('recompute', { childIds: ['Nguyễn Văn An'] }, { jobId: 'bad-data-1' });
    await waitFor(async () => (await job.getState()) === 'failed', 10_000, 'failed job');
    const failed = await client.queue('golden-record').getJob('bad-data-1');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.opts.attempts).toBe(8);
    expect(failed?.failedReason).toMatch(/^invalid job data for queue golden-record: childIds\.0/);
    // The reason names the field, never the value.
    expect(failed?.failedReason).not.toContain('Nguyễn');
  });

  it('keeps no value an error quoted in what Redis holds of a failed job, retries it as before, and logs the error redacted (code review)', async () => {
    const NAME_AND_NUMBER = 'Nguyễn Văn An 001215000123';
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const own = await createTestAppContext(env, {}, logger);
    // A real PostgreSQL error quoting the value (`invalid input syntax for type date: "…"`), in the golden-record processor.
    const goldenRecords = { recompute: () => own.sql.query('SELECT $1::date AS d', [NAME_AND_NUMBER]) } as unknown as AppContext['goldenRecords'];
    // A registry's refusal in its own words: the identity job fails for good.
    const refused = new RegistryRejectedError(`Population database rejected XacThucThongTinCongDan: citizen ${NAME_AND_NUMBER} unknown`);
    const processors: ProcessorRegistry = {
      ...PROCESSORS,
      'golden-record': () => goldenRecordProcessor({ goldenRecords }),
      'identity-reconcile': () => async () => {
        throw identityJobFailure([refused]);
      },
    };
    try {
      running = await startWorker(own, { relay: false, queues: ['golden-record', 'identity-reconcile'], processors });
      await client.queue('golden-record').add('recompute', { childIds: [newId('child')] }, { jobId: 'quoting-1' });
      await client.queue('identity-reconcile').add('reconcile', { childIds: [newId('child')] }, { jobId: 'refused-1' });
      const golden = client.queue('golden-record');
      await waitFor(async () => ((await golden.getJob('quoting-1'))?.attemptsMade ?? 0) >= 1, 10_000, 'first attempt failed');
      const retried = (await golden.getJob('quoting-1'))!;
      // Retried as before (attempt 1 of 8, with backoff), not failed for good.
      expect(await retried.getState()).toBe('delayed');
      expect(retried.failedReason).toBe(`PostgreSQL 22007: ${WITHHELD_MESSAGE}`);
      expect(retried.stacktrace).toHaveLength(1);
      expect(retried.stacktrace![0]).toMatch(new RegExp(`^Error: PostgreSQL 22007: ${WITHHELD_MESSAGE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n {4}at `));
      const identity = client.queue('identity-reconcile');
      await waitFor(async () => (await (await identity.getJob('refused-1'))?.getState()) === 'failed', 10_000, 'refused job failed');
      const failed = (await identity.getJob('refused-1'))!;
      // Failed for good at its first attempt, as before.
      expect(failed.attemptsMade).toBe(1);
      expect(failed.failedReason).toBe(`REGISTRY_REJECTED: ${WITHHELD_MESSAGE}`);
      expect(failed.stacktrace![0]).toMatch(/^UnrecoverableError: REGISTRY_REJECTED: /);
      // Neither the name nor the number anywhere Redis holds of either job.
      for (const job of [retried, failed]) {
        const hash = await (await golden.client).hgetall(`${env.queuePrefix}:${job.queueName}:${job.id}`);
        expect(Object.keys(hash)).toContain('failedReason');
        expect(JSON.stringify(hash)).not.toMatch(/Nguy|001215000123/);
      }
      // The worker's log has the error the processor met, redacted as logs are.
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'job failed; will retry' && l.queue === 'golden-record');
      expect(logged[0]).toMatchObject({ errorType: 'error', errorMessage: 'invalid input syntax for type date: [redacted]' });
      // (The registry's words are logged as the logger redacts them: quoted and parenthesised fragments.)
      expect(lines.filter((l) => l.includes('"refused-1"'))).toEqual([expect.stringContaining('"errorType":"RegistryRejectedError"')]);
    } finally {
      await running?.close();
      running = undefined;
      await own.close();
    }
  });

  it('logs an invalid connector definition as an error naming its file and problem, at start and when it is edited, and starts; takes edited schedules without a restart', async () => {
    const dir = tempDir('childhub-worker-defs-');
    const school = readFileSync(ConnectorCatalog.load().get('school').file, 'utf8');
    const write = (name: string, text: string) => {
      mkdirSync(path.join(dir, name), { recursive: true });
      writeFileSync(path.join(dir, name, 'connector.yaml'), text.replace(/^name: school$/m, `name: ${name}`));
    };
    write('school', school);
    write('agency-z', school.replace(/^schedule: .*$/m, 'schedule: "* * * * *"\nfrequency: hourly'));
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const own = await createTestAppContext(env, { CONNECTORS_DIR: dir, CONNECTOR_SCHEDULES: 'true', CONNECTORS_RELOAD_MS: '100' }, logger);
    const schedules = async () => Object.fromEntries((await client.queue('connector-sync').getJobSchedulers(0, -1)).map((j) => [j.key, j.pattern]));
    try {
      running = await startWorker(own, { queues: ['connector-sync'], relay: false });
      const told = () => lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.msg?.startsWith('connector definition invalid'));
      expect(told()).toEqual([expect.objectContaining({
        level: 50, connector: 'agency-z', file: expect.stringMatching(/agency-z\/connector\.yaml$/),
        err: expect.objectContaining({ code: 'CONNECTOR_DEFINITION_INVALID', message: expect.stringContaining('frequency: is not a known setting here') }),
      })]);
      expect(told()[0]!.err.stack).toBeUndefined();
      expect(lines.map((l) => JSON.parse(l).msg)).toContain('connector syncs scheduled');
      // The incremental schedule, and the weekly full read that finds records gone (`removals.fullReadSchedule`).
      expect(await schedules()).toEqual({ 'connector:school': '*/30 * * * *', 'connector-full-read:school': '10 2 * * 0' });
      expect(lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'connector syncs scheduled')).toMatchObject({ connectors: ['school'], fullReads: ['school'] });
      // What the processor takes as a slot's due time (dueAt): BullMQ's scheduler job carries it in opts.prevMillis,
      // also the last part of its id; its timestamp is when it was created (now), not when it is due.
      const next = (await client.queue('connector-sync').getDelayed()).filter((j) => j.id?.startsWith('repeat:connector'));
      expect(next.length).toBe(2);
      for (const j of next) {
        expect(j.id).toMatch(new RegExp(`^repeat:connector(-full-read)?:school:${(j.opts as { prevMillis?: number }).prevMillis}$`));
        expect(dueAt(j)).toBe(j.timestamp + j.delay);
        expect(dueAt(j)).toBeGreaterThan(Date.now());
      }
      // Asked for a connector it does not know, it reads the folder again: the invalid file, unchanged, is not told again.
      await expect(own.connectors.requestSync('agency-y', { trigger: 'API' })).rejects.toMatchObject({ code: 'CONNECTOR_NOT_FOUND' });
      expect(told()).toHaveLength(1);
      // Edited while the worker runs (QA: edits needed a restart): the schedule follows the file, and the
      // invalid definition, edited and still invalid, is told again.
      writeFileSync(path.join(dir, 'school', 'connector.yaml'), school.replace(/^schedule: .*$/m, 'schedule: "15 2 * * *"'));
      writeFileSync(path.join(dir, 'agency-z', 'connector.yaml'), school.replace(/^name: school$/m, 'name: agency-z').replace(/^schedule: .*$/m, 'schedule: "* * * * *"\nfrequncy: daily'));
      await waitFor(async () => (await schedules())['connector:school'] === '15 2 * * *', 10_000, 'the edited schedule');
      expect((await schedules())['connector-full-read:school']).toBe('10 2 * * 0');
      // An edit another reader takes first (a sync, or the gateway in the same process, reading the folder again) is
      // still scheduled (QA: the schedule stayed as it was, with nothing logged). Written and read in one go: the
      // worker's own look cannot come between.
      writeFileSync(path.join(dir, 'school', 'connector.yaml'), school.replace(/^schedule: .*$/m, 'schedule: "20 2 * * *"'));
      expect(own.connectors.catalog.refresh()).toBe(true);
      await waitFor(async () => (await schedules())['connector:school'] === '20 2 * * *', 10_000, 'the edited schedule another reader read first');
      await waitFor(async () => told().length === 2, 10_000, 'the edited invalid definition told');
      expect(told()[1]!.err.message).toContain('frequncy: is not a known setting here');
      // A full-read pattern of the right shape whose values the scheduler would refuse: the definition is invalid,
      // told as such, and the connector no longer scheduled (neither schedule), as for any invalid definition.
      writeFileSync(path.join(dir, 'school', 'connector.yaml'), school.replace(/fullReadSchedule: "[^"]*"/, 'fullReadSchedule: "61 2 * * 0"'));
      await waitFor(async () => told().some((l) => l.connector === 'school'), 10_000, 'the refused pattern told');
      expect(told().find((l) => l.connector === 'school')!.err.message).toContain('removals.fullReadSchedule: is not a cron pattern the scheduler accepts: Constraint error, got value 61 expected range 0-59');
      await waitFor(async () => Object.keys(await schedules()).length === 0, 10_000, 'the invalid connector\'s schedules removed');
      writeFileSync(path.join(dir, 'school', 'connector.yaml'), school);
      await waitFor(async () => Object.keys(await schedules()).length === 2, 10_000, 'the fixed connector scheduled again');
      // Disabled: no longer scheduled.
      writeFileSync(path.join(dir, 'school', 'connector.yaml'), school.replace(/^kind: http$/m, 'enabled: false\nkind: http'));
      await waitFor(async () => Object.keys(await schedules()).length === 0, 10_000, 'the schedule of the disabled connector removed');
    } finally {
      await running?.close();
      running = undefined;
      await own.close();
    }
  });

  it('sets the schedules again when Redis lost them, without a definition changing (QA: after a FLUSHALL no connector, sweep or age-out ran again until a worker restarted)', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    // No registry is called: the sweep's first slot is 10 minutes away.
    const own = await createTestAppContext(env, { CONNECTOR_SCHEDULES: 'true', CONNECTORS_RELOAD_MS: '100', POPULATION_DB_URL: 'http://127.0.0.1:9', POPULATION_DB_USERNAME: 'u', POPULATION_DB_SECRET: 's', POPULATION_DB_API_KEY: 'k' }, logger);
    const keys = async (queue: 'connector-sync' | 'identity-sweep' | 'groups-age-out') => (await client.queue(queue).getJobSchedulers(0, -1)).map((j) => j.key).sort();
    try {
      running = await startWorker(own, { queues: ['connector-sync', 'identity-sweep', 'groups-age-out'], relay: false });
      const before = await keys('connector-sync');
      expect(before).toContain('connector:school');
      expect(await keys('identity-sweep')).toEqual(['identity-sweep']);
      const sweepNext = (await client.queue('identity-sweep').getJobScheduler('identity-sweep'))!.next;
      // Left alone while they are there: the sweep's next slot does not move with each look.
      await new Promise((r) => setTimeout(r, 400));
      expect((await client.queue('identity-sweep').getJobScheduler('identity-sweep'))!.next).toBe(sweepNext);
      // What a Redis without persistence that restarted holds: none of the queues' keys.
      for (const name of ['connector-sync', 'identity-sweep', 'groups-age-out'] as const) await client.queue(name).obliterate({ force: true });
      expect(await keys('connector-sync')).toEqual([]);
      await waitFor(async () => (await keys('connector-sync')).join() === before.join()
        && (await keys('identity-sweep')).length === 1 && (await keys('groups-age-out')).length === 1, 10_000, 'the schedules set again');
      const warned = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => /missing from Redis/.test(l.msg));
      expect(warned).toEqual(expect.arrayContaining([
        expect.objectContaining({ level: 40, schedules: before.length, msg: 'connector schedules missing from Redis (did Redis lose its data?): set again' }),
        expect.objectContaining({ level: 40, queue: 'identity-sweep' }),
        expect.objectContaining({ level: 40, queue: 'groups-age-out' }),
      ]));
    } finally {
      await running?.close();
      running = undefined;
      await own.close();
    }
  });

  it('leaves the deployment\'s connector schedules alone when it does not schedule, and refuses to start without its connectors folder (QA: either removed every schedule)', async () => {
    const dir = tempDir('childhub-worker-keep-');
    mkdirSync(path.join(dir, 'school'), { recursive: true });
    writeFileSync(path.join(dir, 'school', 'connector.yaml'), readFileSync(ConnectorCatalog.load().get('school').file, 'utf8'));
    const schedules = async () => (await client.queue('connector-sync').getJobSchedulers(0, -1)).map((j) => j.key).sort();
    const school = ['connector-full-read:school', 'connector:school'];
    /** Starts a connector-sync worker with these settings, runs `then` while it runs, and stops it. */
    const withWorker = async (settings: Record<string, string>, then: () => Promise<void>, logger?: Logger) => {
      const ctx = await createTestAppContext(env, settings, logger);
      try {
        running = await startWorker(ctx, { queues: ['connector-sync'], relay: false });
        await then();
      } finally {
        await running?.close();
        running = undefined;
        await ctx.close();
      }
    };
    try {
      await withWorker({ CONNECTORS_DIR: dir, CONNECTOR_SCHEDULES: 'true' }, async () => expect(await schedules()).toEqual(school));
      // A worker that does not schedule, started after it: the schedules stay.
      await withWorker({ CONNECTORS_DIR: dir, CONNECTOR_SCHEDULES: 'false' }, async () => expect(await schedules()).toEqual(school));
      // One pointed at a folder with no definition (a mount not yet populated): it starts, says so, and the schedules stay.
      const empty = tempDir('childhub-worker-empty-');
      const lines: string[] = [];
      await withWorker({ CONNECTORS_DIR: empty, CONNECTOR_SCHEDULES: 'true' }, async () => {
        expect(await schedules()).toEqual(school);
        expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(expect.objectContaining({
          level: 40, connectorsDir: empty, schedules: 2, msg: expect.stringMatching(/^no connector definition in CONNECTORS_DIR: the connector schedules are left as they were/),
        }));
      }, createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } }));
      // One pointed at a folder that is not there: it does not start, and the schedules stay.
      const nowhere = path.join(dir, 'nowhere');
      await expect(withWorker({ CONNECTORS_DIR: nowhere, CONNECTOR_SCHEDULES: 'true' }, async () => {})).rejects.toMatchObject({
        name: 'ConfigError',
        message: `The connectors directory ${nowhere} does not exist (CONNECTORS_DIR): connector schedules left as they were`,
      });
      expect(await schedules()).toEqual(school);
    } finally {
      for (const key of await schedules()) await client.queue('connector-sync').removeJobScheduler(key);
    }
  });

  it('says at start which connector a setting of its environment keeps from syncing, naming the variable (QA: told only by each sync failing)', async () => {
    const dir = tempDir('childhub-worker-settings-');
    mkdirSync(path.join(dir, 'justice-register'), { recursive: true });
    const justice = readFileSync(ConnectorCatalog.load().get('justice-register').file, 'utf8');
    writeFileSync(path.join(dir, 'justice-register', 'connector.yaml'), justice.replace(/env: JUSTICE_REGISTER_SETTLE_SECONDS/, 'env: CHILDHUB_TEST_SETTLE_SECONDS'));
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    process.env.CHILDHUB_TEST_SETTLE_SECONDS = '1m';
    const own = await createTestAppContext(env, { CONNECTORS_DIR: dir, CONNECTOR_SCHEDULES: 'false' }, logger);
    try {
      running = await startWorker(own, { queues: ['connector-sync'], relay: false });
      const told = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.msg?.startsWith('connector setting invalid'));
      expect(told).toEqual([expect.objectContaining({
        level: 50, connector: 'justice-register',
        err: expect.objectContaining({
          code: 'CONNECTOR_SETTING_INVALID',
          message: 'connector justice-register: file.settleSeconds must be a whole number of seconds from 0 to 86400: correct the environment variable CHILDHUB_TEST_SETTLE_SECONDS',
        }),
      })]);
    } finally {
      delete process.env.CHILDHUB_TEST_SETTLE_SECONDS;
      await running?.close();
      running = undefined;
      await own.close();
    }
  });

  it('runs every slot of a schedule: a slot is not taken as served by the previous slot\'s run (QA: every other slot was skipped)', async () => {
    const dir = tempDir('childhub-worker-slots-');
    const drop = tempDir('childhub-worker-slots-drop-');
    const justice = readFileSync(ConnectorCatalog.load().get('justice-register').file, 'utf8');
    mkdirSync(path.join(dir, 'justice-register'));
    // Every 2 seconds (a sixth field: seconds first), over an empty drop directory: each run is quick.
    writeFileSync(path.join(dir, 'justice-register', 'connector.yaml'), justice.replace(/^schedule: .*$/m, 'schedule: "*/2 * * * * *"'));
    const saved = process.env.JUSTICE_REGISTER_DROP_DIR;
    process.env.JUSTICE_REGISTER_DROP_DIR = drop;
    const own = await createTestAppContext(env, { CONNECTORS_DIR: dir, CONNECTOR_SCHEDULES: 'true' });
    try {
      const since = new Date();
      running = await startWorker(own, { queues: ['connector-sync'], relay: false });
      const runs = async () => (await own.sql.one<{ n: number }>(
        `SELECT count(*)::int AS n FROM connector_run r JOIN connector c ON c.id = r.connector_id
          WHERE c.name = 'justice-register' AND r.trigger = 'SCHEDULE' AND r.status = 'SUCCEEDED' AND r.started_at >= $1`, [since]))!.n;
      await waitFor(async () => (await runs()) >= 4, 20_000, 'four scheduled runs');
      await running.close();
      running = undefined;
      // Every slot that ran made a run: none came back SKIPPED.
      const done = await client.queue('connector-sync').getCompleted();
      const results = done.filter((j) => j.id?.startsWith('repeat:connector:justice-register:')).map((j) => (j.returnvalue as { status: string }).status);
      expect(results.length).toBeGreaterThanOrEqual(4);
      expect(results.filter((r) => r !== 'SUCCEEDED')).toEqual([]);
    } finally {
      await running?.close();
      running = undefined;
      await own.close();
      if (saved === undefined) delete process.env.JUSTICE_REGISTER_DROP_DIR;
      else process.env.JUSTICE_REGISTER_DROP_DIR = saved;
    }
  });

  it('takes no slot of a schedule ended while no worker ran, and skips without failing a slot of a connector disabled since (QA: it synced once more, or failed for good)', async () => {
    const dir = tempDir('childhub-worker-ended-');
    const drop = tempDir('childhub-worker-ended-drop-');
    const justice = readFileSync(ConnectorCatalog.load().get('justice-register').file, 'utf8');
    mkdirSync(path.join(dir, 'justice-register'));
    const file = path.join(dir, 'justice-register', 'connector.yaml');
    writeFileSync(file, justice.replace(/^schedule: .*$/m, 'schedule: "*/2 * * * * *"'));
    const saved = process.env.JUSTICE_REGISTER_DROP_DIR;
    process.env.JUSTICE_REGISTER_DROP_DIR = drop;
    const runs = async (since: Date) => (await ctx.sql.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM connector_run r JOIN connector c ON c.id = r.connector_id
        WHERE c.name = 'justice-register' AND r.trigger = 'SCHEDULE' AND r.started_at >= $1`, [since]))!.n;
    const contexts: AppContext[] = [];
    const context = async () => {
      const own = await createTestAppContext(env, { CONNECTORS_DIR: dir, CONNECTOR_SCHEDULES: 'true' });
      contexts.push(own);
      return own;
    };
    try {
      running = await startWorker(await context(), { queues: ['connector-sync'], relay: false });
      await waitFor(async () => (await runs(new Date(0))) >= 1, 20_000, 'a scheduled run');
      await running.close();
      running = undefined;
      // The schedule removed while no worker runs, and its next slot come due meanwhile.
      writeFileSync(file, justice.replace(/^schedule: .*\n/m, ''));
      await new Promise((r) => setTimeout(r, 2_500));
      const restarted = new Date();
      running = await startWorker(await context(), { queues: ['connector-sync'], relay: false });
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await runs(restarted)).toBe(0);
      expect(await client.queue('connector-sync').getJobSchedulers()).toEqual([]);

      // A slot taken after the connector was disabled (the reload not yet read it) is skipped, not failed.
      await running.close();
      running = undefined;
      const job = await client.queue('connector-sync').add('sync', { connector: 'justice-register' }, { jobId: 'slot-of-a-disabled-connector' });
      writeFileSync(file, `${justice.replace(/^schedule: .*\n/m, '')}\nenabled: false\n`);
      running = await startWorker(await context(), { queues: ['connector-sync'], relay: false });
      await waitFor(async () => (await client.queue('connector-sync').getJob(job.id!))?.finishedOn !== undefined, 10_000, 'the slot taken');
      const done = (await client.queue('connector-sync').getJob(job.id!))!;
      expect(done.failedReason).toBeUndefined();
      expect(done.returnvalue).toEqual({ status: 'SKIPPED', reason: 'the connector is disabled' });
    } finally {
      await running?.close();
      running = undefined;
      for (const c of contexts) await c.close();
      if (saved === undefined) delete process.env.JUSTICE_REGISTER_DROP_DIR;
      else process.env.JUSTICE_REGISTER_DROP_DIR = saved;
    }
  });

  it('marks a sync the queue gave up once the database is back, trying again while it is out of reach (QA: left RUNNING after a long outage)', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const calls: Array<[string, number | undefined]> = [];
    const stub = (failures: number, other?: Error) => ({
      connectors: {
        abandonRun: async (runId: string, _err: unknown, attempts?: number) => {
          calls.push([runId, attempts]);
          if (other) throw other;
          if (calls.length <= failures) throw down;
          return true;
        },
      },
    }) as unknown as Pick<AppContext, 'connectors'>;
    const job = { id: 'j1', data: { runId: 'run_1' }, attemptsMade: 5 } as never;
    await abandonRun(stub(2), job, down, logger, () => false, { firstMs: 10, maxMs: 20 });
    expect(calls).toEqual([['run_1', 5], ['run_1', 5], ['run_1', 5]]);
    const told = lines.map((l) => JSON.parse(l) as Record<string, any>);
    expect(told.map((l) => l.msg)).toEqual([
      'a sync given up by the queue cannot be marked FAILED while a service the hub depends on is out of reach: trying again until it is back',
      'sync given up by the queue: its run is marked FAILED (the next sync resumes from its checkpoint)',
    ]);
    // Another error, or the worker closing, ends the tries: the next sync of the connector closes the run.
    calls.length = 0;
    await abandonRun(stub(0, new Error('relation "connector_run" does not exist')), job, down, logger, () => false, { firstMs: 10, maxMs: 20 });
    expect(calls).toHaveLength(1);
    calls.length = 0;
    await abandonRun(stub(99), job, down, logger, () => true, { firstMs: 10, maxMs: 20 });
    expect(calls).toHaveLength(1);
  });

  it('lets the job in flight finish on close()', async () => {
    let started!: () => void;
    const jobStarted = new Promise<void>((resolve) => (started = resolve));
    const slow: ProcessorRegistry = {
      ...PROCESSORS,
      'golden-record': (c) => {
        const real = PROCESSORS['golden-record'](c);
        return async (job) => {
          started();
          await new Promise((r) => setTimeout(r, 1_000));
          return real(job);
        };
      },
    };
    running = await startWorker(ctx, { processors: slow, relay: false });
    const job = await client.add('golden-record', { data: { childIds: [newId('child')] }, jobId: 'slow-1' });
    await jobStarted;
    const t0 = Date.now();
    await running.close();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
    expect(await job.getState()).toBe('completed');
    const done = await client.queue('golden-record').getJob('slow-1');
    expect(done?.returnvalue).toEqual({ changed: 0, unchanged: 0, skipped: 1 });
  });
});
