import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { AppContext } from '../../src/app/app-context.js';
import { PROJECT_ROOT } from '../../src/config/config.js';
import { createTestAppContext } from './jobs-test-context.js';
import { tempDir } from './temp-dir.js';
import { createTestEnv, type TestEnv } from './test-env.js';

/** `childhub worker --queues connector-sync` processes on a test's servers, for tests that kill or freeze them. */
export interface WorkerProcesses {
  /** Their environment: the test's servers, a drop folder under `root`, quick lock expiry and relay. */
  env: NodeJS.ProcessEnv;
  /** Starts one more worker. */
  start(): ChildProcess;
  /** Every process started here or {@link track}ed, woken and killed if still running (afterAll). */
  killAll(): void;
  /** Has `child` (another command of the test) killed with the workers. */
  track(child: ChildProcess): ChildProcess;
}

export function workerProcesses(env: TestEnv, root: string, extra: NodeJS.ProcessEnv = {}): WorkerProcesses {
  const children: ChildProcess[] = [];
  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, QUEUE_PREFIX: env.queuePrefix, LOG_LEVEL: 'silent',
    CHILDHUB_HOME: path.join(root, 'home'), CONNECTOR_SCHEDULES: 'false', WORKER_LOCK_MS: '1500', OUTBOX_POLL_MS: '100',
    JUSTICE_REGISTER_DROP_DIR: path.join(root, 'drop'), JUSTICE_REGISTER_SETTLE_SECONDS: '0', // a drop is written just before its sync, whole
    ...extra,
  };
  const track = (child: ChildProcess) => {
    children.push(child);
    return child;
  };
  return {
    env: workerEnv,
    track,
    start: () => track(spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--queues', 'connector-sync'], { cwd: PROJECT_ROOT, env: workerEnv, stdio: 'ignore' })),
    killAll: () => {
      for (const c of children) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        c.kill('SIGCONT');
        c.kill('SIGKILL');
      }
    },
  };
}

/** What {@link workerTestBed} sets up for a describe block: read its fields inside tests (set in beforeAll). */
export interface WorkerTestBed {
  readonly env: TestEnv;
  readonly ctx: AppContext;
  /** A temporary folder of the block's own (drops, the workers' home). */
  readonly root: string;
  readonly workers: WorkerProcesses;
}

/**
 * Servers, an app context and worker processes for the tests of a describe block (registers its beforeAll and
 * afterAll): the setup the tests that kill or freeze workers share.
 */
export function workerTestBed(prefix: string, extra: NodeJS.ProcessEnv = {}): WorkerTestBed {
  let bed: WorkerTestBed | undefined;
  beforeAll(async () => {
    const root = tempDir(prefix);
    const env = await createTestEnv();
    bed = { env, root, ctx: await createTestAppContext(env), workers: workerProcesses(env, root, extra) };
  });
  afterAll(async () => {
    bed?.workers.killAll();
    await bed?.ctx.close();
    await bed?.env.cleanup();
    if (bed) rmSync(bed.root, { recursive: true, force: true });
  });
  const get = (): WorkerTestBed => {
    if (!bed) throw new Error('workerTestBed is read inside tests, once beforeAll has run');
    return bed;
  };
  return {
    get env() { return get().env; },
    get ctx() { return get().ctx; },
    get root() { return get().root; },
    get workers() { return get().workers; },
  };
}
