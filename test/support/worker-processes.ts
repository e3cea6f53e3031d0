import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/config.js';
import type { TestEnv } from './test-env.js';

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
