import { Queue, type Job, type JobState } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { jobIdFor } from './outbox-relay.js';
import { QUEUE_NAMES, QUEUES, jobOptionsFor, queueDefinition, type JobDataOf, type QueueName } from './queues.js';
import { closeRedisConnection, createRedisConnection } from './redis-connection.js';
import { quietBullmqEvictionLine } from './redis-settings.js';

/** Jobs of one queue by state. */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

export interface QueueClientOptions {
  redisUrl: string;
  /** BullMQ key prefix (QUEUE_PREFIX); every process of one hub must use the same. */
  prefix: string;
  logger?: Logger;
}

/** States of a job still to run, or running. A finished or failed job, or none at all, is not among them. */
const LIVE_STATES: ReadonlySet<JobState | 'unknown'> = new Set<JobState>(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);

/** One job to add: its data (validated against the queue's schema) and, for idempotent adds, its id. */
export interface NewJob<N extends QueueName> {
  data: JobDataOf<N>;
  /** A deterministic id makes a repeated add a no-op while the first job is still kept (no `:`). */
  jobId?: string;
  /** Run no earlier than this many ms from now. */
  delay?: number;
  /**
   * At most one job with this id waits: adding another while one is delayed replaces it (its data and delay);
   * while one waits or runs, the new one is dropped. (BullMQ deduplication.)
   */
  deduplicationId?: string;
}

/**
 * The producers' and operators' side of the queues: a BullMQ `Queue` per registered queue, sharing one
 * fail-fast connection. Services and the outbox relay add jobs through it; metrics and the operators' API
 * read counts from it.
 */
export class QueueClient {
  private readonly connection: Redis;
  private readonly queues: ReadonlyMap<QueueName, Queue>;
  private closed = false;

  constructor(readonly options: QueueClientOptions) {
    quietBullmqEvictionLine();
    this.connection = createRedisConnection(options.redisUrl, 'producer', { connectionName: 'childhub:producer', logger: options.logger });
    this.queues = new Map(
      QUEUE_NAMES.map((name) => [
        name,
        new Queue(name, { connection: this.connection, prefix: options.prefix, defaultJobOptions: jobOptionsFor(name) }),
      ]),
    );
    for (const q of this.queues.values()) {
      // Connection errors are already logged by the connection; an unhandled 'error' event would crash.
      q.on('error', () => {});
    }
  }

  /** The BullMQ queue behind a registered name. */
  queue(name: QueueName): Queue {
    const q = this.queues.get(name);
    if (!q) throw new Error(`unknown queue ${name}`);
    return q;
  }

  /** Adds one job after validating its data. */
  async add<N extends QueueName>(name: N, job: NewJob<N>): Promise<Job> {
    const [added] = await this.addBulk(name, [job]);
    if (!added) throw new Error(`queue ${name} did not return the added job`);
    return added;
  }

  /**
   * Adds jobs atomically (one Redis transaction) after validating their data. A job whose id already
   * exists in the queue is ignored by BullMQ: that is what makes re-adding after a crash harmless.
   */
  async addBulk<N extends QueueName>(name: N, jobs: NewJob<N>[]): Promise<Job[]> {
    if (jobs.length === 0) return [];
    const def = QUEUES[name];
    for (const job of jobs) {
      const parsed = def.data.safeParse(job.data);
      if (!parsed.success) throw new Error(`refusing to add a job with invalid data to queue ${name}`);
      if (job.jobId?.includes(':')) throw new Error(`job ids must not contain ':' (queue ${name})`);
    }
    return this.queue(name).addBulk(
      jobs.map((job) => ({
        name: def.jobName,
        data: job.data,
        opts: {
          ...(job.jobId ? { jobId: job.jobId } : {}),
          ...(job.delay ? { delay: job.delay } : {}),
          ...(job.deduplicationId ? { deduplication: { id: job.deduplicationId, replace: true } } : {}),
        },
      })),
    );
  }

  /**
   * Whether the job the outbox relay made of one outbox row is still to run or running (waiting, delayed,
   * prioritized, active, waiting-children): false when the queue no longer holds it (removed, or lost with a
   * Redis that kept nothing) or holds it finished or failed. Only for queues whose jobs carry one aggregate id,
   * hence one row each (`connector-sync`): the relay names such a job after its row alone (jobIdFor).
   * Throws when Redis does not answer.
   */
  async outboxJobAlive(name: QueueName, outboxRowId: string): Promise<boolean> {
    if (queueDefinition(name).outbox?.maxIdsPerJob !== 1) throw new Error(`jobs of queue ${name} are not one per outbox row`);
    return LIVE_STATES.has(await this.queue(name).getJobState(jobIdFor(name, [outboxRowId])));
  }

  /** Whether the queue holds job `jobId` to run (or running), as {@link outboxJobAlive}. Throws when Redis does not answer. */
  async jobAlive(name: QueueName, jobId: string): Promise<boolean> {
    return LIVE_STATES.has(await this.queue(name).getJobState(jobId));
  }

  /** Jobs per registered queue by state, for metrics and the operators' API. */
  async counts(): Promise<Record<QueueName, QueueCounts>> {
    const entries = await Promise.all(
      [...this.queues].map(async ([name, q]) => {
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
        const counts: QueueCounts = {
          waiting: c.waiting ?? 0,
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
          completed: c.completed ?? 0,
        };
        return [name, counts] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<QueueName, QueueCounts>;
  }

  /** Closes the queues and their connection; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Closing a queue still initialising (version check after connect) rejects inside BullMQ with nobody
    // listening; let initialisation finish first, but do not wait on a Redis that is not there.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.queues.values()].map((q) => q.waitUntilReady())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000))),
    ]);
    clearTimeout(timer);
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => {})));
    await closeRedisConnection(this.connection);
  }
}
