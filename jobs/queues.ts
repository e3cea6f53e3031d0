import { UnrecoverableError, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import { OUTBOX_TOPICS, type OutboxTopic } from '../src/services/outbox/outbox.writer.js';
import { SYNC_RETRY_BACKOFF } from './sync-retry-backoff.js';

/** A child id as the hub writes it (`chd_` + ULID); job data carries ids only, never personal data. */
export const childIdSchema = z.string().regex(/^chd_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a child id (chd_…)');

/**
 * Job options every queue starts from. Retries back off exponentially with jitter so a database or
 * upstream outage is not hammered in lock-step by every worker; finished jobs are trimmed by age and
 * count (Redis holds job state only), failed ones are kept long enough for an operator to inspect.
 */
export const DEFAULT_JOB_OPTIONS = {
  /** @defaultValue 8 (about four minutes of retries with the backoff below) */
  attempts: 8,
  /** 2 s, 4 s, 8 s … each drawn between 50 % and 100 % of that. */
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
  /**
   * Completed jobs stay an hour (at most 10 000): long enough that the outbox relay re-adding a job after
   * a crash finds the same job id and is ignored.
   */
  removeOnComplete: { age: 60 * 60, count: 10_000 },
  /** Failed jobs stay 30 days for inspection (`childhub` operators' API, Bull Board). */
  removeOnFail: { age: 30 * 24 * 60 * 60, count: 100_000 },
} as const satisfies JobsOptions;

/** How committed outbox rows of one topic become jobs of a queue. */
export interface OutboxBinding<TData> {
  /** The outbox topic this queue consumes. */
  topic: OutboxTopic;
  /** Most distinct aggregate ids coalesced into one job. */
  maxIdsPerJob: number;
  /** Job data for a batch of distinct aggregate ids (in outbox order). */
  toJobData(aggregateIds: string[]): TData;
}

/** Per-queue worker settings that differ from the process defaults. */
export interface QueueWorkerSettings {
  /** Jobs in parallel per worker process. @defaultValue WORKER_CONCURRENCY */
  concurrency?: number;
  /** At most `max` jobs per `duration` ms across all workers (e.g. the population-DB adapter's quota). */
  limiter?: { max: number; duration: number };
  /**
   * How often a job may stall (its worker died holding it) and go back to the queue before BullMQ fails it
   * for good. @defaultValue 1 (BullMQ's)
   */
  maxStalledCount?: number;
}

/** One queue of the hub: its name, what its jobs carry, and how they are retried. */
export interface QueueDefinition<TSchema extends z.ZodType = z.ZodType> {
  /** BullMQ queue name (no `:`), e.g. `golden-record`. */
  name: string;
  /** Name given to each job (shown in dashboards). */
  jobName: string;
  /** What the queue's jobs do, for operators. */
  description: string;
  /** Boundary check of job data: ids only. */
  data: TSchema;
  /** Merged over DEFAULT_JOB_OPTIONS for every job added to the queue. */
  jobOptions: JobsOptions;
  /** Set when jobs are produced from the transactional outbox. */
  outbox?: OutboxBinding<z.input<TSchema>>;
  worker?: QueueWorkerSettings;
}

function defineQueue<const TName extends string, TSchema extends z.ZodType>(
  def: QueueDefinition<TSchema> & { name: TName },
): QueueDefinition<TSchema> & { name: TName } {
  if (def.name.includes(':')) throw new Error(`queue name "${def.name}" must not contain ':'`);
  return def;
}

/** Data of a `golden-record` job: the children whose golden records to recompute. */
export const goldenRecordJobDataSchema = z.strictObject({
  childIds: z.array(childIdSchema).min(1).max(1_000),
});
export type GoldenRecordJobData = z.infer<typeof goldenRecordJobDataSchema>;

/** Data of an `identity-reconcile` job: children whose numbers to check (or whose issuance to start). */
export const identityReconcileJobDataSchema = z.strictObject({
  childIds: z.array(childIdSchema).min(1).max(100),
});

/** An issuance request id as the hub writes it (`iss_` + ULID). */
export const issuanceIdSchema = z.string().regex(/^iss_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be an issuance request id (iss_…)');

/**
 * Data of an `identity-issuance` job: one poll of one child's pending number, for one issuance request. A poll
 * of a request that has since been closed or replaced does nothing. Polls queued before requests had ids carry
 * no `issuanceId`: they belong to the child's request opened then (one without an id), and to no later one.
 */
export const identityIssuanceJobDataSchema = z.strictObject({
  childId: childIdSchema,
  issuanceId: issuanceIdSchema.optional(),
  poll: z.number().int().min(0).max(10_000),
});

/** Data of the periodic `identity-sweep` job. */
export const identitySweepJobDataSchema = z.strictObject({});

/** Data of the daily `groups-age-out` job: none (it looks the children up itself). */
export const groupsAgeOutJobDataSchema = z.strictObject({});

/** A connector run id as the hub writes it (`run_` + ULID). */
export const connectorRunIdSchema = z.string().regex(/^run_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a connector run id (run_…)');

/**
 * Data of a `connector-sync` job: a queued run (asked for on the CLI or over the API), or a connector's
 * name when its schedule fires, when its full-read schedule fires (`reason: 'full-read'`: a forced read of
 * the whole source, `removals.fullReadSchedule`), or (`reason: 'files-settling'`) when files a sync left
 * waiting have settled (the run is created when the job starts).
 */
export const connectorSyncJobDataSchema = z.union([
  z.strictObject({ runId: connectorRunIdSchema }),
  z.strictObject({
    connector: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'must be a connector name'),
    reason: z.enum(['files-settling', 'full-read']).optional(),
  }),
]);
export type ConnectorSyncJobData = z.infer<typeof connectorSyncJobDataSchema>;

/** The queues that call the population database: worked only where POPULATION_DB_URL is configured. */
export const REGISTRY_QUEUES = ['identity-reconcile', 'identity-issuance', 'identity-sweep'] as const;

/**
 * The registry of queues. A later feature adds its queue here (connector-sync, identity-reconcile,
 * identity-issuance, match, sla-monitor …) plus a processor in `processors/index.ts`; the worker refuses to
 * start while a queue has no processor, and the outbox relay starts relaying its topic, if it has one.
 */
export const QUEUES = {
  'golden-record': defineQueue({
    name: 'golden-record',
    jobName: 'recompute',
    description: "Recomputes children's golden records (survivorship, identity-number history, group memberships).",
    data: goldenRecordJobDataSchema,
    jobOptions: {},
    outbox: {
      topic: OUTBOX_TOPICS.goldenRecordRecompute,
      // The stage is set-based (a fixed number of statements per job): bigger jobs spread that cost thinner.
      maxIdsPerJob: 500,
      toJobData: (childIds) => ({ childIds }),
    },
  }),
  'identity-reconcile': defineQueue({
    name: 'identity-reconcile',
    jobName: 'reconcile',
    description: "Checks children's personal identification numbers against the population database (or starts issuance when a child has none).",
    data: identityReconcileJobDataSchema,
    jobOptions: {},
    outbox: {
      topic: OUTBOX_TOPICS.identityReconcile,
      maxIdsPerJob: 10,
      toJobData: (childIds) => ({ childIds }),
    },
  }),
  'identity-issuance': defineQueue({
    name: 'identity-issuance',
    jobName: 'poll',
    description: 'Polls the population database, with growing intervals, until a child without a number has one; flags overdue requests.',
    data: identityIssuanceJobDataSchema,
    jobOptions: {},
  }),
  'identity-sweep': defineQueue({
    name: 'identity-sweep',
    jobName: 'sweep',
    description: 'Periodically enqueues numbers due for re-verification, flags overdue issuance requests and restarts issuance poll chains that stopped.',
    data: identitySweepJobDataSchema,
    jobOptions: { attempts: 1 },
  }),
  'groups-age-out': defineQueue({
    name: 'groups-age-out',
    jobName: 'age-out',
    description: 'Daily: children who turned 16 and are still in a group of children in special circumstances get their golden record recomputed, which ends their groups.',
    data: groupsAgeOutJobDataSchema,
    // Stateless (it finds every child due, not only today's): a failed run is caught up by the next day's. Not
    // retried, like identity-sweep: the only delayed job of the queue is then the schedule's next run.
    jobOptions: { attempts: 1 },
  }),
  'connector-sync': defineQueue({
    name: 'connector-sync',
    jobName: 'sync',
    description: 'Runs a connector: reads its source from the last checkpoint and stores every page with its checkpoint.',
    data: connectorSyncJobDataSchema,
    // A failed sync keeps its checkpoint; the retry (or the next schedule) resumes from it. Exponential with jitter
    // (15 s, 30 s, 60 s, 120 s, each drawn between half and all of it), drawn by the processor, which records on the
    // run (RETRYING) when the next attempt is due: see SYNC_RETRY_BACKOFF.
    jobOptions: { attempts: 5, backoff: { type: SYNC_RETRY_BACKOFF, delay: 15_000, jitter: 0.5 } },
    outbox: {
      topic: OUTBOX_TOPICS.connectorSync,
      maxIdsPerJob: 1,
      toJobData: ([runId]) => ({ runId: runId! }),
    },
    // Syncs of different connectors run side by side; one connector never runs twice at once (a lock).
    // A sync resumes from its checkpoint, so a worker killed under it (a stall) is no reason to give up: with
    // BullMQ's default of one stall, the second kill failed the job for good and the run was left RUNNING.
    worker: { concurrency: 4, maxStalledCount: 5 },
  }),
} as const;

/** Name of a registered queue. */
export type QueueName = keyof typeof QUEUES;
/** Validated job data of a queue. */
export type JobDataOf<N extends QueueName> = z.infer<(typeof QUEUES)[N]['data']>;

/** Every registered queue name, in registry order. */
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

/** True when `name` is a registered queue. */
export function isQueueName(name: string): name is QueueName {
  return Object.hasOwn(QUEUES, name);
}

/** The registered queue definition, as its general shape. */
export function queueDefinition(name: QueueName): QueueDefinition {
  return QUEUES[name];
}

/** Job options for a queue: the defaults with the queue's own settings on top. */
export function jobOptionsFor(name: QueueName): JobsOptions {
  return { ...DEFAULT_JOB_OPTIONS, ...queueDefinition(name).jobOptions };
}

/** Queues fed by the outbox, keyed by the topic they consume. */
export function outboxBindings(): Map<OutboxTopic, { queue: QueueName; binding: OutboxBinding<unknown> }> {
  const out = new Map<OutboxTopic, { queue: QueueName; binding: OutboxBinding<unknown> }>();
  for (const name of QUEUE_NAMES) {
    const binding = queueDefinition(name).outbox;
    if (!binding) continue;
    if (out.has(binding.topic)) throw new Error(`outbox topic "${binding.topic}" is consumed by two queues`);
    out.set(binding.topic, { queue: name, binding });
  }
  return out;
}

/**
 * Validates job data at the worker boundary. Bad data will not get better on a retry, so it fails the job
 * for good with an UnrecoverableError; the message names fields and issue codes, never values.
 */
export function parseJobData<N extends QueueName>(name: N, data: unknown): JobDataOf<N> {
  const result = QUEUES[name].data.safeParse(data);
  if (result.success) return result.data as JobDataOf<N>;
  const problems = result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(data)'}: ${i.code}`);
  const message = `invalid job data for queue ${name}: ${problems.join('; ')}`;
  // Made of field paths and issue codes: kept whole where a job's failure is stored (storableJobError).
  throw Object.assign(new UnrecoverableError(message), { storableMessage: message });
}
