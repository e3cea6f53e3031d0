import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSchoolSimulator, type SchoolSimulator } from '../connectors/school/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { ConnectorCatalog } from '../src/connectors/definition/connector-catalog.js';
import { createLogger } from '../src/observability/logger.js';
import { createTestAppContext, waitFor } from '../test/support/jobs-test-context.js';
import { tempDir } from '../test/support/temp-dir.js';
import { createTestEnv, type TestEnv } from '../test/support/test-env.js';
import { QueueClient } from './queue-client.js';
import { QUEUE_NAMES } from './queues.js';
import { startWorker, type RunningWorker } from './worker.js';

/**
 * A slot of a connector's schedule that came due while no worker ran (BullMQ's `upsertJobScheduler`, at the next
 * worker's start, removed its job and queued the next slot's: QA lost a night's sync that way) is run late, once,
 * and said. Real Redis and PostgreSQL, schedules of every 5 seconds (a sixth field: seconds first).
 */
let env: TestEnv;
let client: QueueClient;
const workers: RunningWorker[] = [];
const contexts: AppContext[] = [];
const saved = { ...process.env };

const RUN_LATE = 'scheduled sync missed while no worker ran: run late';

beforeAll(async () => {
  env = await createTestEnv();
  client = new QueueClient({ redisUrl: env.redisUrl, prefix: env.queuePrefix });
});

afterEach(async () => {
  for (const w of workers.splice(0)) await w.close();
  for (const c of contexts.splice(0)) await c.close();
  for (const name of QUEUE_NAMES) await client.queue(name).obliterate({ force: true });
  process.env = { ...saved };
});

afterAll(async () => {
  await client?.close();
  await env?.cleanup();
});

/** A connectors folder holding justice-register (a file connector over an empty drop directory: quick runs) scheduled every 5 s. */
function justiceEvery5s(): string {
  const dir = tempDir('childhub-missed-slots-');
  const justice = readFileSync(ConnectorCatalog.load().get('justice-register').file, 'utf8');
  mkdirSync(path.join(dir, 'justice-register'));
  writeFileSync(path.join(dir, 'justice-register', 'connector.yaml'), justice.replace(/^schedule: .*$/m, 'schedule: "*/5 * * * * *"'));
  process.env.JUSTICE_REGISTER_DROP_DIR = tempDir('childhub-missed-slots-drop-');
  return dir;
}

/** A worker on its own context (and log), as a process started on the deployment's connectors folder. */
async function start(dir: string, lines: string[] = []): Promise<{ ctx: AppContext; worker: RunningWorker }> {
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  const ctx = await createTestAppContext(env, { CONNECTORS_DIR: dir, CONNECTOR_SCHEDULES: 'true' }, logger);
  contexts.push(ctx);
  const worker = await startWorker(ctx, { queues: ['connector-sync'], relay: false });
  workers.push(worker);
  return { ctx, worker };
}

/** A worker that sets the schedules, then stops before their next slot; resolves once that slot is past. Returns the slot. */
async function stopBeforeSlot(dir: string, schedulerKey: string): Promise<number> {
  const { worker } = await start(dir);
  await worker.close();
  const slot = (await client.queue('connector-sync').getJobScheduler(schedulerKey))!.next!;
  // Its job is still in Redis, overdue once the slot is past (QA's `zrange <prefix>:connector-sync:delayed`).
  expect(await client.queue('connector-sync').getJobState(`repeat:${schedulerKey}:${slot}`)).toBe('delayed');
  await new Promise((r) => setTimeout(r, Math.max(0, slot - Date.now()) + 300));
  return slot;
}

const told = (lines: string[], msg: string) => lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.msg === msg);

/** The connector's runs for a slot, as the run history keeps it. */
async function runsFor(ctx: AppContext, connector: string, slotIso: string) {
  return ctx.sql.query<{ trigger: string; status: string; requested_by: string; options: Record<string, unknown>; started_at: Date }>(
    `SELECT r.trigger, r.status, r.requested_by, r.options, r.started_at FROM connector_run r JOIN connector c ON c.id = r.connector_id
      WHERE c.name = $1 AND r.options->>'scheduledAt' = $2`, [connector, slotIso]);
}

describe('a scheduled slot missed while no worker ran', () => {
  it('is run late, once, as a scheduled run that says which slot it was, and said', async () => {
    const dir = justiceEvery5s();
    const pending = await stopBeforeSlot(dir, 'connector:justice-register');
    const lines: string[] = [];
    const { ctx, worker } = await start(dir, lines);
    const [late] = told(lines, RUN_LATE);
    // The latest slot at or before the start: the pending one (unless the start took past the next).
    expect(late).toMatchObject({ level: 40, connector: 'justice-register', schedule: 'sync', lateMs: expect.any(Number), late: expect.stringMatching(/ s$/) });
    const slot = new Date(late!.slot as string).getTime();
    expect(slot).toBeGreaterThanOrEqual(pending);
    expect(slot).toBeLessThanOrEqual(Date.now());
    await waitFor(async () => (await runsFor(ctx, 'justice-register', late!.slot)).some((r) => r.status === 'SUCCEEDED'), 15_000, 'the late run');
    await worker.close();
    const runs = await runsFor(ctx, 'justice-register', late!.slot);
    expect(runs).toEqual([expect.objectContaining({ trigger: 'SCHEDULE', status: 'SUCCEEDED', requested_by: 'schedule', options: { scheduledAt: late!.slot } })]);
    expect(runs[0]!.started_at.getTime()).toBeGreaterThan(slot);
    expect(told(lines, RUN_LATE)).toHaveLength(1);
    // The schedule goes on from the next slot.
    expect((await client.queue('connector-sync').getJobScheduler('connector:justice-register'))!.next).toBeGreaterThan(slot);
  });

  it('is run late once when two workers start together', async () => {
    const dir = justiceEvery5s();
    await stopBeforeSlot(dir, 'connector:justice-register');
    const lines: string[] = [];
    const [a] = await Promise.all([start(dir, lines), start(dir, lines)]);
    const said = told(lines, RUN_LATE);
    expect(said).toHaveLength(1);
    await waitFor(async () => (await runsFor(a.ctx, 'justice-register', said[0]!.slot)).some((r) => r.status === 'SUCCEEDED'), 15_000, 'the late run');
    for (const w of workers) await w.close();
    expect(await runsFor(a.ctx, 'justice-register', said[0]!.slot)).toHaveLength(1);
    const jobs = await client.queue('connector-sync').getJobs(['completed', 'waiting', 'active', 'delayed', 'failed']);
    expect(jobs.filter((j) => j.id?.startsWith('missed_'))).toHaveLength(1);
  });

  it('is not run late when a run since did its work (a sync asked for meanwhile)', async () => {
    const dir = justiceEvery5s();
    await stopBeforeSlot(dir, 'connector:justice-register');
    const own = await createTestAppContext(env, { CONNECTORS_DIR: dir });
    contexts.push(own);
    const asked = await own.connectors.run('justice-register', { trigger: 'CLI', requestedBy: 'cli' });
    expect(asked.status).toBe('SUCCEEDED');
    const lines: string[] = [];
    await start(dir, lines);
    expect(told(lines, RUN_LATE)).toEqual([]);
    expect(told(lines, 'scheduled sync missed while no worker ran: not run late, a run since did its work'))
      .toEqual([expect.objectContaining({ connector: 'justice-register', runId: asked.runId, status: 'SUCCEEDED' })]);
    expect((await client.queue('connector-sync').getJobs(['waiting', 'active', 'delayed', 'completed'])).filter((j) => j.id?.startsWith('missed_'))).toEqual([]);
  });

  it('is not made up for a connector newly scheduled, though it ran before (no scheduler was set when the slot came)', async () => {
    const dir = justiceEvery5s();
    const own = await createTestAppContext(env, { CONNECTORS_DIR: dir });
    contexts.push(own);
    expect((await own.connectors.run('justice-register', { trigger: 'CLI', requestedBy: 'cli' })).status).toBe('SUCCEEDED');
    await new Promise((r) => setTimeout(r, 5_500)); // a slot of the schedule passes before it is first set
    const lines: string[] = [];
    await start(dir, lines);
    expect(lines.map((l) => JSON.parse(l).msg).filter((m: string) => m.startsWith('scheduled sync missed'))).toEqual([]);
    expect((await client.queue('connector-sync').getJobs(['waiting', 'active', 'delayed', 'completed'])).filter((j) => j.id?.startsWith('missed_'))).toEqual([]);
  });

  describe('of a full read (removals.fullReadSchedule)', () => {
    let school: SchoolSimulator;
    beforeAll(async () => {
      school = await startSchoolSimulator({ seed: 77, count: 40, port: 0, apiKey: 'k', pageSize: 20, maxPageSize: 20, logger: pino({ level: 'silent' }) });
    });
    afterAll(async () => school?.close());

    /** A connectors folder holding the school connector against the simulator, with these schedules. */
    const schoolScheduled = (schedule: string, fullReadSchedule: string): string => {
      process.env.SCHOOL_API_URL = school.url;
      process.env.SCHOOL_API_KEY = 'k';
      const dir = tempDir('childhub-missed-full-read-');
      const definition = readFileSync(ConnectorCatalog.load().get('school').file, 'utf8');
      mkdirSync(path.join(dir, 'school'));
      writeFileSync(path.join(dir, 'school', 'connector.yaml'), definition
        .replace(/^schedule: .*$/m, `schedule: "${schedule}"`)
        .replace(/fullReadSchedule: "[^"]*"/, `fullReadSchedule: "${fullReadSchedule}"`));
      return dir;
    };

    it('is made up as a full read: forced, by the full-read schedule', async () => {
      // The incremental schedule far off (not due), the full read every 5 s.
      const dir = schoolScheduled('0 3 1 1 *', '*/5 * * * * *');
      await stopBeforeSlot(dir, 'connector-full-read:school');
      const lines: string[] = [];
      const { ctx, worker } = await start(dir, lines);
      const said = told(lines, RUN_LATE);
      expect(said).toEqual([expect.objectContaining({ connector: 'school', schedule: 'full-read' })]);
      await waitFor(async () => (await runsFor(ctx, 'school', said[0]!.slot)).some((r) => r.status === 'SUCCEEDED'), 20_000, 'the late full read');
      await worker.close();
      expect(await runsFor(ctx, 'school', said[0]!.slot)).toEqual([expect.objectContaining({
        trigger: 'SCHEDULE', status: 'SUCCEEDED', requested_by: 'full-read', options: { force: true, scheduledAt: said[0]!.slot },
      })]);
    });

    it('makes up no incremental slot beside a full read made up for the same connector: that read reads everything (QA re-check: said run late, then skipped)', async () => {
      const dir = schoolScheduled('*/5 * * * * *', '*/5 * * * * *');
      await stopBeforeSlot(dir, 'connector-full-read:school');
      const lines: string[] = [];
      const { worker } = await start(dir, lines);
      await worker.close();
      expect(told(lines, RUN_LATE)).toEqual([expect.objectContaining({ connector: 'school', schedule: 'full-read' })]);
      expect(told(lines, 'scheduled sync missed while no worker ran: not run late, the full read made up for the connector reads everything'))
        .toEqual([expect.objectContaining({ connector: 'school', schedule: 'sync' })]);
    });
  });
});

describe('the groups\' age-out slot missed while no worker ran', () => {
  it('is run late once, when the next worker starts, and said; two workers starting together run it once', async () => {
    const every5s = '*/5 * * * * *';
    const startAgeOut = async (lines: string[]) => {
      const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
      const ctx = await createTestAppContext(env, {}, logger);
      contexts.push(ctx);
      const worker = await startWorker(ctx, { queues: ['groups-age-out'], relay: false, groupsAgeOutPattern: every5s });
      workers.push(worker);
      return worker;
    };
    const first = await startAgeOut([]);
    await first.close();
    const queue = client.queue('groups-age-out');
    const slot = (await queue.getJobScheduler('groups-age-out'))!.next!;
    await new Promise((r) => setTimeout(r, Math.max(0, slot - Date.now()) + 300));
    const lines: string[] = [];
    await Promise.all([startAgeOut(lines), startAgeOut(lines)]);
    const said = told(lines, 'scheduled job missed while no worker ran: run late');
    expect(said).toEqual([expect.objectContaining({ level: 40, queue: 'groups-age-out', jobId: expect.stringMatching(/^missed_groups-age-out_\d+$/) })]);
    expect(new Date(said[0]!.slot as string).getTime()).toBeGreaterThanOrEqual(slot);
    await waitFor(async () => (await queue.getJob(said[0]!.jobId as string))?.finishedOn !== undefined, 15_000, 'the late age-out');
    expect((await queue.getJob(said[0]!.jobId as string))!.returnvalue).toEqual({ enqueued: 0 });
  });
});
