import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { RegistryConfigurationError } from '../src/population-db/registry-errors.js';
import type { JobProcessor } from './processors/index.js';
import { originalJobError } from './processors/storable-job-error.js';

/** What {@link RegistrySetupPause} pauses: a BullMQ worker of a queue that calls the registry. */
export interface PausableWorker {
  readonly name: string;
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): void;
  on(event: 'failed', listener: (job: Job<unknown, unknown, string> | undefined, err: Error) => void): unknown;
  on(event: 'completed', listener: (job: Job<unknown, unknown, string>) => void): unknown;
}

export interface RegistrySetupPauseOptions {
  /** The first pause, in ms; each refusal after a pause doubles it. */
  firstMs: number;
  /** The longest pause, in ms. */
  maxMs: number;
}

/** How long a job this process takes while paused waits before any worker may take it (ms). */
const HAND_BACK_MS = 1_000;

/**
 * A worker process whose registry setup the population database refuses (`RegistryConfigurationError`: HTTP 401/403,
 * a wrong secret or clock, a URL answering 404/405) stops taking identity jobs for a while, so that another worker,
 * set up right, takes them, and a job's attempts are not spent here (QA: a worker with a wrong secret took the
 * retries first, failing in milliseconds: 84 refused calls for 100 checks, one job refused six times before the good
 * worker took it; a registry may also lock an account that keeps failing to sign in). The pause starts at
 * `firstMs` and doubles, up to `maxMs`, each time the first job after it is refused again; a job that completes
 * resets it. With no other worker, the jobs wait in the queue for the setup to be mended, their attempts kept.
 *
 * A paused BullMQ worker that was waiting for a job still takes the next one that comes: {@link guard}ed processors
 * hand such a job back (delayed by a second, its attempts untouched) without calling the registry.
 */
export class RegistrySetupPause {
  private readonly workers: PausableWorker[] = [];
  private nextMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly logger: Logger,
    private readonly opts: RegistrySetupPauseOptions,
  ) {
    this.nextMs = opts.firstMs;
  }

  /** Whether this process's registry workers are paused now. */
  get paused(): boolean {
    return this.timer !== undefined;
  }

  /** `processor`, handing its job back to the queue while paused. */
  guard(processor: JobProcessor): JobProcessor {
    return async (job, token, signal) => {
      if (this.paused && token !== undefined) {
        await job.moveToDelayed(Date.now() + HAND_BACK_MS, token);
        throw new DelayedError();
      }
      return processor(job, token, signal);
    };
  }

  /** Pauses `worker` (whose processor is {@link guard}ed) when one of its jobs meets a refusal of the setup. */
  watch(worker: PausableWorker): void {
    this.workers.push(worker);
    worker.on('failed', (_job, err) => this.failed(originalJobError(err)));
    worker.on('completed', () => {
      // The registry took this worker's setup (or no call was needed): the next pause starts short again.
      this.nextMs = this.opts.firstMs;
    });
  }

  /** A registry job failed with `err` (the error its processor met): a refusal of the setup pauses the workers. */
  failed(err: unknown): void {
    if (!(err instanceof RegistryConfigurationError) || this.closed || this.timer !== undefined) return;
    const ms = this.nextMs;
    this.nextMs = Math.min(this.opts.maxMs, ms * 2);
    this.timer = setTimeout(() => this.resume(), ms);
    this.timer.unref();
    // The adapter's message names the operation, the HTTP status and the settings to check (registry-errors.ts).
    this.logger.error(
      { queues: this.workers.map((w) => w.name), pauseMs: ms, errorMessage: err.message },
      `the population database refused this worker's setup: it takes no identity job for ${Math.round(ms / 1000)} s (other workers take them; check the settings the message names)`,
    );
    // Jobs already running finish (or fail) on their own; no new one is taken here meanwhile.
    for (const w of this.workers) {
      void w.pause(true).catch((e: unknown) => this.logger.warn({ queue: w.name, errorMessage: (e as Error)?.message }, 'could not pause a registry queue\'s worker'));
    }
  }

  private resume(): void {
    this.timer = undefined;
    if (this.closed) return;
    for (const w of this.workers) w.resume();
    this.logger.info({ queues: this.workers.map((w) => w.name) }, 'taking identity jobs again after the population database refused this worker\'s setup');
  }

  /** Stops the timer (the worker is closing). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
