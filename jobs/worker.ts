import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { AppContext } from '../src/app/app-context.js';
import { connectorsDirProblem, logInvalidDefinition } from '../src/connectors/definition/connector-catalog.js';
import { WorkerStoppingError } from '../src/connectors/sync/worker-stopping.error.js';
import type { DefinitionInvalidError } from '../src/connectors/definition/definition-invalid.error.js';
import { ConfigError } from '../src/errors/config-error.js';
import { unavailableDependency } from '../src/errors/unavailable-dependency.js';
import { admitRepeated } from '../src/observability/log-throttle.js';
import { loggedOutcome, serializeError } from '../src/observability/logger.js';
import { OutboxRelay } from './outbox-relay.js';
import { PROCESSORS, type ProcessorRegistry } from './processors/index.js';
import { originalJobError, withStorableErrors } from './processors/storable-job-error.js';
import { RegistrySetupPause } from './registry-setup-pause.js';
import { QueueClient } from './queue-client.js';
import { QUEUE_NAMES, REGISTRY_QUEUES, isQueueName, queueDefinition, type QueueName } from './queues.js';
import { closeRedisConnection, createRedisConnection } from './redis-connection.js';
import { warnOfRedisSettings } from './redis-settings.js';
import { WorkerSetupError } from './worker-setup.error.js';
import { syncRetryBackoff } from './sync-retry-backoff.js';
import { SCHEDULE_TZ, catchUpFixedSlot, catchUpMissedSlot, missedSlot, pendingSlot, type WantedScheduler } from './missed-slots.js';
import type { Redis } from 'ioredis';
import { signalClassifier } from '../src/infra/repeated-signal.js';
import { eraseClosedRejectPayloads } from '../src/services/ingest/reject-retention.js';
import { failRequests } from '../src/services/identity/identity-request.js';

/** How often numbers due for re-verification and overdue issuance requests are looked for. */
export const IDENTITY_SWEEP_EVERY_MS = 10 * 60_000;

/** When children who turned 16 are looked for (cron, Hà Nội time): just after midnight, daily. */
export const GROUPS_AGE_OUT_PATTERN = '5 0 * * *';

/** How often a worker of the connector-sync queue erases the payloads of closed rejects past their retention (hourly). */
const REJECT_RETENTION_EVERY_MS = 3_600_000;

/** Queues fed only by a schedule, their jobs not retried: a delayed job there is the next run, not work left. */
const SCHEDULED_QUEUES: ReadonlySet<QueueName> = new Set(['identity-sweep', 'groups-age-out']);
/** The queues whose jobs call the population database: a worker whose setup it refuses pauses them (RegistrySetupPause). */
const PAUSED_ON_REFUSED_SETUP: ReadonlySet<string> = new Set<QueueName>(['identity-reconcile', 'identity-issuance']);

export interface StartWorkerOptions {
  /** Queues this process takes jobs from. @defaultValue every registered queue */
  queues?: readonly string[];
  /** Processor factories by queue name. @defaultValue PROCESSORS (tests substitute their own) */
  processors?: ProcessorRegistry;
  /** Run the outbox relay in this process too. @defaultValue true */
  relay?: boolean;
  /** When the groups' age-out runs (cron, Hà Nội time). @defaultValue GROUPS_AGE_OUT_PATTERN (tests use a faster one) */
  groupsAgeOutPattern?: string;
}

/** A started worker process's jobs side. */
export interface RunningWorker {
  /** The queues being worked on. */
  readonly queues: readonly QueueName[];
  /** The outbox relay, when this process runs one. */
  readonly relay: OutboxRelay | undefined;
  /** Producer-side access to the same queues (counts, adding jobs). */
  readonly queueClient: QueueClient;
  /**
   * Resolves once the outbox holds no pending rows and this worker's queues hold no waiting, active or
   * delayed jobs (retries included; the next run of a schedule, `identity-sweep` or `groups-age-out`, is not
   * work left): the demo and the bench wait on it. Throws after `timeoutMs`.
   * @defaultValue timeoutMs 60000
   */
  idle(timeoutMs?: number): Promise<void>;
  /**
   * Graceful shutdown: stops the relay (its batch in flight commits or rolls back), lets jobs in flight
   * finish, then closes the Redis connections. Does not close `ctx`; the caller owns it. Safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * Starts BullMQ workers for the registered queues (one `Worker` per queue, `WORKER_CONCURRENCY` jobs in
 * parallel each) and the outbox relay. Every process may run this: queues and the relay are safe to share
 * between any number of processes and machines.
 *
 * @throws WorkerSetupError when a registered queue has no processor or `queues` names an unknown queue
 *   (before anything connects).
 */
export async function startWorker(ctx: AppContext, opts: StartWorkerOptions = {}): Promise<RunningWorker> {
  const processors = opts.processors ?? PROCESSORS;
  for (const name of QUEUE_NAMES) {
    if (typeof processors[name] !== 'function') {
      throw new WorkerSetupError(
        `Worker cannot start: queue "${name}" has no processor. Add one to jobs/processors/index.ts.`,
        name,
      );
    }
  }
  // Queues that call the population database wait for a process where it is configured.
  const requested = opts.queues ?? QUEUE_NAMES.filter((q) => ctx.identity || !(REGISTRY_QUEUES as readonly string[]).includes(q));
  if (!ctx.identity && !opts.queues) {
    ctx.logger.warn({ queues: REGISTRY_QUEUES }, 'POPULATION_DB_URL is not set: identity queues are not worked by this process');
  }
  for (const name of requested) {
    if (!isQueueName(name)) {
      throw new WorkerSetupError(`Worker cannot start: unknown queue "${name}" (known: ${QUEUE_NAMES.join(', ')}).`, name);
    }
  }
  const queues = [...new Set(requested)] as QueueName[];
  const logger = ctx.logger.child({ component: 'worker' });
  const prefix = ctx.config.QUEUE_PREFIX;

  const connection = createRedisConnection(ctx.redisUrl, 'worker', { connectionName: 'childhub:worker', logger });
  const queueClient = new QueueClient({ redisUrl: ctx.redisUrl, prefix, logger });
  const workers: Worker[] = [];
  let relay: OutboxRelay | undefined;
  /** Looks for connector definitions added, edited or removed, to keep the schedules as the files say. */
  let reload: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  /** Erases the payloads of closed rejects past their retention (REJECT_PAYLOAD_RETENTION_DAYS). */
  let retention: NodeJS.Timeout | undefined;
  /** Pauses this process's registry workers while the population database refuses its setup. */
  const setupPause = new RegistrySetupPause(logger, { firstMs: ctx.config.REGISTRY_REFUSED_PAUSE_MS, maxMs: ctx.config.REGISTRY_REFUSED_PAUSE_MS * 20 });

  let closing: Promise<void> | undefined;
  /** Tells running syncs to stop at their last stored batch and hand their jobs back (see ProcessorDeps.stopping). */
  const stopping = new AbortController();
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info('worker shutting down');
      stopping.abort(new WorkerStoppingError());
      clearInterval(reload);
      clearInterval(watchdog);
      clearInterval(retention);
      setupPause.close();
      await relay?.stop();
      // Not forced: jobs in flight finish. A job of a process that dies instead goes back to waiting when
      // BullMQ's stalled-job check on another (or the next) worker finds its lock expired.
      await Promise.all(workers.map((w) => w.close()));
      await queueClient.close();
      await closeRedisConnection(connection);
      logger.info('worker stopped');
    })();
    return closing;
  };

  try {
    for (const name of queues) {
      const factory = processors[name];
      if (!factory) throw new WorkerSetupError(`Worker cannot start: queue "${name}" has no processor.`, name);
      const settings = queueDefinition(name).worker;
      // What BullMQ keeps of a failure (its reason and stack, for 30 days) carries no value from the data (withStorableErrors).
      const storable = withStorableErrors(factory(ctx, { queues: queueClient, stopping: stopping.signal }));
      const paused = PAUSED_ON_REFUSED_SETUP.has(name);
      const worker = new Worker<unknown, unknown, string>(name, paused ? setupPause.guard(storable) : storable, {
        connection,
        prefix,
        concurrency: settings?.concurrency ?? ctx.config.WORKER_CONCURRENCY,
        limiter: settings?.limiter,
        lockDuration: ctx.config.WORKER_LOCK_MS,
        stalledInterval: ctx.config.WORKER_LOCK_MS,
        ...(settings?.maxStalledCount !== undefined ? { maxStalledCount: settings.maxStalledCount } : {}),
        // The delay its processor chose and recorded on the run as when the next attempt is due.
        ...(name === 'connector-sync' ? { settings: { backoffStrategy: syncRetryBackoff } } : {}),
        // Started below, once the schedules are as the definitions say: a slot of a schedule removed or edited while
        // no worker ran is removed before anything can take it (QA: it synced its connector once more).
        autorun: false,
      });
      watch(worker, name, logger, name === 'connector-sync' ? (job, err) => abandonRun(ctx, job, err, logger, () => closing !== undefined)
        : name === 'identity-reconcile' || name === 'identity-issuance' ? (job) => failIdentityRequests(ctx, job, logger) : undefined);
      if (paused) setupPause.watch(worker);
      workers.push(worker);
    }
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    const fixed = fixedSchedules(queueClient, queues, connection, logger, opts.groupsAgeOutPattern ?? GROUPS_AGE_OUT_PATTERN);
    await fixed(true);
    const reloadConnectors = queues.includes('connector-sync') ? connectorSchedules(ctx, queueClient, connection, logger) : null;
    if (reloadConnectors) {
      await failLostRuns(ctx, logger);
      await reloadConnectors(true);
    }
    // Schedules live in Redis: set again when they are gone from it (a Redis without persistence restarted, a
    // FLUSHALL), not only when a definition changes (QA: every connector, the sweep and the age-out stopped for good
    // until a worker restarted), and connector schedules as their definitions are edited.
    reload = setInterval(() => void (async () => {
      await fixed().catch((err: unknown) => logger.warn({ err: loggedOutcome(err) }, 'could not check the identity sweep\'s and age-out\'s schedules; trying again later'));
      await reloadConnectors?.().catch((err: unknown) => logger.warn({ err: loggedOutcome(err) }, 'could not update the connector schedules; trying again later'));
      // Queued runs whose job Redis lost while this worker ran, not only before it started (QA re-check: a follow-up
      // run stayed QUEUED after a FLUSHALL, and `connectors sync` followed it, until the next request came).
      if (reloadConnectors) await failLostRuns(ctx, logger);
    })(), ctx.config.CONNECTORS_RELOAD_MS);
    reload.unref();
    if (queues.includes('connector-sync')) {
      // Syncs whose process stopped answering, holding their connector (ConnectorSyncService.endStalledRuns).
      watchdog = setInterval(() => void ctx.connectors.endStalledRuns().catch((err: unknown) => {
        logger.warn({ err: loggedOutcome(err) }, 'could not look for connector syncs that stopped answering; trying again later');
      }), Math.max(1_000, Math.floor(ctx.config.CONNECTOR_STALL_MS / 4)));
      watchdog.unref();
      // The quarantine is the connectors' side: the workers of their queue keep it within its retention.
      const days = ctx.config.REJECT_PAYLOAD_RETENTION_DAYS;
      if (days > 0) {
        const erase = () => void eraseClosedRejectPayloads(ctx.sql, days).then(
          (erased) => {
            if (erased > 0) logger.info({ erased, retentionDays: days }, 'payloads of closed quarantined records past their retention erased');
          },
          (err: unknown) => logger.warn({ err: loggedOutcome(err) }, 'could not erase the payloads of closed quarantined records past their retention; trying again later'),
        );
        erase();
        retention = setInterval(erase, REJECT_RETENTION_EVERY_MS);
        retention.unref();
      }
    }
    // The loop's promise settles when the worker closes; its errors along the way are 'error' events (watch).
    for (const w of workers) {
      void w.run().catch((err: unknown) => logger.error({ queue: w.name, err: loggedOutcome(err) }, 'a queue\'s worker loop stopped'));
    }
    if (opts.relay ?? true) {
      // The application logger: the relay names itself (component), which the worker's logger names already.
      relay = new OutboxRelay({ sql: ctx.sql, databaseUrl: ctx.databaseUrl, queues: queueClient, logger: ctx.logger, pollMs: ctx.config.OUTBOX_POLL_MS, onlyQueues: queues, retentionDays: ctx.config.OUTBOX_RETENTION_DAYS });
      await relay.start();
    }
  } catch (err) {
    await close();
    throw err;
  }
  const idle = async (timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (relay) await relay.drain(Math.max(1, deadline - Date.now()));
      const counts = await queueClient.counts();
      const busy = queues.some((q) => counts[q].waiting + counts[q].active + (SCHEDULED_QUEUES.has(q) ? 0 : counts[q].delayed) > 0);
      // A finished job may itself have written outbox rows (e.g. match → golden-record).
      if (!busy && (!relay || (await relay.pending()) === 0)) return;
      if (Date.now() > deadline) throw new Error('worker did not become idle in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  // Each queue's own: connector-sync and the registry's queues run fewer at once than WORKER_CONCURRENCY (QA: 8 was logged for 4).
  const concurrency = Object.fromEntries(queues.map((q) => [q, queueDefinition(q).worker?.concurrency ?? ctx.config.WORKER_CONCURRENCY]));
  logger.info({ queues, concurrency, relay: relay !== undefined }, 'worker started');
  void warnOfRedisSettings(connection, logger);
  return { queues, relay, queueClient, idle, close };
}

/** The pauses between attempts to mark a given-up sync's run (see {@link abandonRun}). */
const ABANDON_FIRST_PAUSE_MS = 2_000;
const ABANDON_MAX_PAUSE_MS = 60_000;

/**
 * An identity job failed for good: the officers' requests its call would have answered are closed FAILED, so a request
 * after them opens its own instead of joining one whose call will not come (QA: it waited an hour). Best effort: a
 * request left open expires after an hour anyway.
 */
export async function failIdentityRequests(ctx: Pick<AppContext, 'sql'>, job: Job<unknown, unknown, string>, logger: Logger): Promise<void> {
  const data = job.data as { childIds?: unknown; childId?: unknown } | null;
  const childIds = Array.isArray(data?.childIds) ? data.childIds.filter((id): id is string => typeof id === 'string')
    : typeof data?.childId === 'string' ? [data.childId] : [];
  try {
    const closed = await failRequests(ctx.sql, childIds, new Date(job.timestamp));
    if (closed) logger.warn({ jobId: job.id, requests: closed }, 'officers\' identity checks closed FAILED: the job that would have answered them failed for good');
  } catch (err) {
    logger.warn({ jobId: job.id, err: loggedOutcome(err) }, 'officers\' identity checks of a job failed for good could not be closed (they expire after an hour)');
  }
}

/**
 * A connector-sync job failed for good: its run must not stay QUEUED or RUNNING for ever (a `connectors sync`
 * following it would wait for ever). A failure the processor saw has marked the run already; one it never
 * saw — the job stalled more often than allowed (its workers were killed) — ends the run here as
 * interrupted. The connector's checkpoint stays: the next sync resumes from it.
 */
export async function abandonRun(
  ctx: Pick<AppContext, 'connectors'>, job: Job<unknown, unknown, string>, err: Error, logger: Logger, stopped: () => boolean,
  pauses = { firstMs: ABANDON_FIRST_PAUSE_MS, maxMs: ABANDON_MAX_PAUSE_MS },
): Promise<void> {
  const runId = (job.data as { runId?: unknown } | null)?.runId;
  if (typeof runId !== 'string') return;
  // A job gives up for good mostly because the database was out of reach through all its attempts, and then it
  // still is: the run is marked once it is back, trying again with a growing pause while this worker runs (QA: a
  // 260 s outage left the run RUNNING, and a `connectors sync` following it waiting, until the next sync).
  for (let attempt = 1, pauseMs = pauses.firstMs; ; attempt++, pauseMs = Math.min(pauseMs * 2, pauses.maxMs)) {
    try {
      const ended = await ctx.connectors.abandonRun(runId, err, job.attemptsMade);
      if (ended) logger.warn({ queue: 'connector-sync', jobId: job.id, runId }, 'sync given up by the queue: its run is marked FAILED (the next sync resumes from its checkpoint)');
      return;
    } catch (e) {
      const away = unavailableDependency(e);
      if (away === null || stopped()) {
        logger.warn({ runId, err: loggedOutcome(e) }, 'a sync given up by the queue could not be marked FAILED (the next sync of its connector closes it)');
        return;
      }
      if (attempt === 1) logger.warn({ runId, retryInMs: pauseMs }, `a sync given up by the queue cannot be marked FAILED while ${away} is out of reach: trying again until it is back`);
      await new Promise((r) => setTimeout(r, pauseMs).unref());
    }
  }
}


/**
 * The identity sweep's and the groups' age-out schedules, for the queues this worker runs: set at start (one
 * schedule however many workers start: the scheduler id makes the upsert idempotent), and later set again only
 * when Redis no longer holds them, with a warning (upserting an existing `every` schedule each time would move its
 * next slot).
 */
function fixedSchedules(queueClient: QueueClient, queues: readonly QueueName[], redis: Redis, logger: Logger, ageOutPattern: string): (first?: boolean) => Promise<void> {
  const fixed = [
    ...(queues.includes('identity-sweep')
      ? [{ queue: 'identity-sweep' as const, id: 'identity-sweep', repeat: { every: IDENTITY_SWEEP_EVERY_MS }, name: 'sweep' }]
      : []),
    ...(queues.includes('groups-age-out')
      ? [{ queue: 'groups-age-out' as const, id: 'groups-age-out', repeat: { pattern: ageOutPattern, tz: SCHEDULE_TZ }, name: 'age-out' }]
      : []),
  ];
  return async (first = false) => {
    for (const f of fixed) {
      const queue = queueClient.queue(f.queue);
      if (!first) {
        if (await queue.getJobScheduler(f.id)) continue;
        logger.warn({ queue: f.queue }, 'schedule missing from Redis (did Redis lose its data?): set again');
      }
      // The upsert drops the schedule's overdue job (see connectorSchedules): the age-out's slot missed while no worker
      // ran is made up first, once (QA: a worker down at 00:05 left children who turned 16 in their groups a day longer).
      // The sweep's every 10 minutes needs none: its next slot is at most 10 minutes away.
      const pattern = 'pattern' in f.repeat ? f.repeat.pattern : undefined;
      if (first && pattern) await catchUpFixedSlot(queue, redis, logger, f.id, f.name, pattern);
      await queue.upsertJobScheduler(f.id, f.repeat, { name: f.name, data: {} });
    }
  };
}

/**
 * Runs left QUEUED whose job the queue no longer holds (a Redis without persistence restarted, a crash, a job removed)
 * would show as queued for ever: they are marked FAILED `CONNECTOR_RUN_LOST` (ConnectorSyncService.failLostRuns).
 * A failure to look is logged, not fatal: a request for the connector still finds the lost run and fails it.
 */
async function failLostRuns(ctx: AppContext, logger: Logger): Promise<void> {
  try {
    await ctx.connectors.failLostRuns();
  } catch (err) {
    logger.warn({ err: loggedOutcome(err) }, 'could not look for queued connector runs whose job was lost');
  }
}

/** BullMQ's errors for a job no longer in Redis: its end not recorded, or its lock not renewed. */
const JOB_GONE = /^Missing key for job (\S+?)\.? (?:moveToFinished|moveToDelayed|moveToFailed|updateProgress|extendLock)|^could not renew lock for job (\S+)/;

/** Logs a worker's job failures and connection problems: ids, counts and error type/message only. */
export function watch(
  worker: Worker<unknown, unknown, string>,
  queue: QueueName,
  logger: Logger,
  onFailedForGood?: (job: Job<unknown, unknown, string>, err: Error) => Promise<void>,
): void {
  worker.on('failed', (job: Job<unknown, unknown, string> | undefined, err: Error) => {
    // The error the processor met, redacted as logs are, not the one kept in Redis in its place (storableJobError).
    const original = originalJobError(err);
    const e = serializeError(original instanceof Error ? original : err);
    const maxAttempts = job?.opts.attempts ?? 1;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || (job?.attemptsMade ?? 0) >= maxAttempts;
    const fields = { queue, jobId: job?.id, attempt: job?.attemptsMade, maxAttempts, errorType: e.type, errorMessage: e.message };
    if (final) logger.error(fields, 'job failed for good');
    else logger.warn(fields, 'job failed; will retry');
    if (final && job && onFailedForGood) void onFailedForGood(job, err);
  });
  worker.on('stalled', (jobId: string) => logger.warn({ queue, jobId }, 'job stalled; returned to the queue'));
  worker.on('completed', (job: Job<unknown, unknown, string>) =>
    logger.debug({ queue, jobId: job.id, attempt: job.attemptsMade }, 'job completed'),
  );
  // BullMQ reports a failing Redis command each time it tries again (every second or two while Redis refuses
  // writes, in every queue's worker): each kind of error is logged once per 10 s by the process, with how many
  // were held back (QA: 60 lines in 40 s).
  const gone = new Set<string>();
  worker.on('error', (err: Error) => {
    const e = serializeError(err);
    // A job removed from Redis while it ran (an operator, a FLUSHALL, a Redis without persistence restarted):
    // BullMQ cannot renew its lock nor record its end, and says so at each try in its own words. Told once per job,
    // plainly (QA): for a connector sync, the run's status in PostgreSQL is the outcome.
    const missing = JOB_GONE.exec(String(e.message));
    if (missing) {
      const jobId = missing[1] ?? missing[2]!;
      if (gone.has(jobId)) return;
      if (gone.size >= 1_000) gone.clear();
      gone.add(jobId);
      logger.warn({ queue, jobId }, `job gone from the queue while it ran (removed, or Redis lost its data): its end is not recorded in the queue, and it is not retried${queue === 'connector-sync' ? '; the run\'s status in the database is its outcome' : ''}`);
      return;
    }
    const heldBack = admitRepeated(`worker error ${String(e.type)}`, String(e.message));
    if (heldBack === null) return;
    logger.warn({ queue, errorType: e.type, errorMessage: e.message, ...(heldBack ? { heldBack } : {}) }, 'worker error');
  });
}

export interface ShutdownHandlerOptions {
  logger?: Logger;
  /** Exit anyway (code 1) when shutdown takes longer than this, in ms: the processes pass `SHUTDOWN_GRACE_MS`. @defaultValue 30000 */
  timeoutMs?: number;
  /** Call `process.exit` once shutdown is done (0 on success, 1 on failure). @defaultValue true */
  exit?: boolean;
}

/** The signals a hub process shuts down on: Ctrl-C, a stop, the terminal closed. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `close` once on the first SIGTERM, SIGINT or SIGHUP (the CLI's `childhub worker` passes the worker's
 * close, then the app context's). The same signal again within `REPEATED_SIGNAL_WINDOW_MS` is the same request
 * (one Ctrl-C arrives from the terminal, npm and tsx); a later or different one exits at once. Returns a
 * function that removes the handlers.
 */
export function installShutdownHandlers(close: () => Promise<void>, opts: ShutdownHandlerOptions = {}): () => void {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const exit = opts.exit ?? true;
  const classify = signalClassifier();
  const onSignal = (signal: NodeJS.Signals) => {
    const kind = classify(signal);
    if (kind === 'repeat') {
      opts.logger?.debug({ signal }, 'the same signal again: already shutting down');
      return;
    }
    if (kind === 'again') {
      opts.logger?.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    opts.logger?.info({ signal, graceMs: timeoutMs }, 'shutting down gracefully');
    const timer = setTimeout(() => {
      opts.logger?.error({ timeoutMs }, 'shutdown timed out: exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        clearTimeout(timer);
        if (exit) process.exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        const e = serializeError(err instanceof Error ? err : new Error(String(err)));
        opts.logger?.error({ errorType: e.type, errorMessage: e.message }, 'shutdown failed');
        if (exit) process.exit(1);
      },
    );
  };
  // SIGHUP: the terminal was closed (or an SSH session lost) — the servers, in their own process group, never
  // get it, so the hub must let go of them as it does on Ctrl-C.
  for (const s of SHUTDOWN_SIGNALS) process.on(s, onSignal);
  return () => {
    for (const s of SHUTDOWN_SIGNALS) process.off(s, onSignal);
  };
}

const CONNECTOR_SCHEDULER_PREFIX = 'connector:';
/** Schedulers of connectors' full reads (`removals.fullReadSchedule`), beside their incremental `schedule`. */
const FULL_READ_SCHEDULER_PREFIX = 'connector-full-read:';

/**
 * One BullMQ job scheduler per enabled connector with a `schedule`, and one per enabled connector with a
 * `removals.fullReadSchedule`, idempotent across workers (the scheduler id is the connector's name);
 * schedulers of connectors no longer scheduled are removed. Invalid definitions (a cron pattern the
 * scheduler's parser refuses included) are logged as errors, and neither scheduled nor synced. A slot a
 * scheduler missed while no worker ran is run late, once (see catchUpMissedSlot).
 */
async function scheduleConnectorSyncs(ctx: AppContext, queueClient: QueueClient, redis: Redis, logger: Logger, invalid = ctx.connectors.catalog.invalid): Promise<ReadonlySet<string>> {
  // A connector whose definition does not validate is neither scheduled nor synced: say so, naming the file
  // and what is wrong, rather than leave it out of the list below unexplained. The worker still starts.
  for (const err of invalid) logInvalidDefinition(logger, err);
  // A setting from this worker's environment that every sync of a connector would fail on: said now, naming the
  // variable (QA: a bad settle time or base URL was told only by each sync's failure).
  for (const c of ctx.connectors.catalog.list().filter((l) => l.definition.enabled)) {
    const problem = await ctx.connectors.settingsProblem(c);
    if (problem) logger.error({ connector: c.definition.name, err: loggedOutcome(problem) }, 'connector setting invalid in this worker\'s environment: its syncs fail until it is corrected');
  }
  // Schedulers are the deployment's, shared by every worker: one that does not schedule leaves them as they are
  // (QA: a worker started with CONNECTOR_SCHEDULES=false removed every connector's, for all workers).
  if (!ctx.config.CONNECTOR_SCHEDULES) return new Set();
  // Nor does a worker that cannot see the connectors' folder (unmounted, renamed): it would read "no connector"
  // and remove them all (QA). At start this stops the worker (see startWorker); later it is said, and retried.
  const problem = connectorsDirProblem(ctx.connectors.catalog.dir);
  if (problem) throw new ConfigError(`The connectors directory ${ctx.connectors.catalog.dir} ${problem} (CONNECTORS_DIR): connector schedules left as they were`, ['CONNECTORS_DIR']);
  const queue = queueClient.queue('connector-sync');
  const enabled = ctx.connectors.catalog.list().filter((c) => c.definition.enabled);
  const wanted: WantedScheduler[] = [
    ...enabled.filter((c) => c.definition.schedule).map((c) => ({
      key: CONNECTOR_SCHEDULER_PREFIX + c.definition.name, connector: c.definition.name, pattern: c.definition.schedule!,
      data: { connector: c.definition.name },
    })),
    ...enabled.filter((c) => c.definition.removals?.fullReadSchedule).map((c) => ({
      key: FULL_READ_SCHEDULER_PREFIX + c.definition.name, connector: c.definition.name, pattern: c.definition.removals!.fullReadSchedule!,
      data: { connector: c.definition.name, reason: 'full-read' as const },
    })),
  ];
  // Full reads first: a connector whose full read is made up late needs no incremental sync made up beside it (that
  // read, run now, reads everything; the sync would only be skipped behind it, after a log line saying it ran: QA).
  const fullReadMadeUp = new Set<string>();
  for (const w of [...wanted].sort((a, b) => Number(!a.data.reason) - Number(!b.data.reason))) {
    // The upsert removes the scheduler's job not yet taken, however overdue, and queues the next slot's instead (BullMQ
    // 5: addJobScheduler): a slot that came due while no worker ran was lost, with no word (QA: a deploy across the
    // nightly 02:00 lost that night's sync). Read before, and made up once, late, and said.
    const missed = missedSlot(await pendingSlot(queue, w.key), w.pattern, Date.now());
    if (missed !== null && w.data.reason === 'full-read') fullReadMadeUp.add(w.connector);
    if (missed !== null && !w.data.reason && fullReadMadeUp.has(w.connector)) {
      logger.info({ connector: w.connector, schedule: 'sync', slot: new Date(missed).toISOString() },
        'scheduled sync missed while no worker ran: not run late, the full read made up for the connector reads everything');
    } else if (missed !== null) {
      await catchUpMissedSlot({ sql: ctx.sql, queue, redis, logger }, w, missed);
    }
    // The definition's schema read each pattern with the scheduler's own parser: an upsert fails only when Redis does.
    await queue.upsertJobScheduler(w.key, { pattern: w.pattern, tz: SCHEDULE_TZ }, { name: 'sync', data: w.data });
  }
  const keep = new Set(wanted.map((w) => w.key));
  const ours = (await schedulerKeys(queueClient))
    .filter((key) => key.startsWith(CONNECTOR_SCHEDULER_PREFIX) || key.startsWith(FULL_READ_SCHEDULER_PREFIX));
  // A folder with no definition at all (a mount not yet populated) says nothing of the connectors the schedules
  // are for: they are left as they were (QA re-check: an empty CONNECTORS_DIR removed every schedule).
  if (ctx.connectors.catalog.list().length === 0 && ctx.connectors.catalog.invalid.length === 0) {
    if (ours.length) {
      logger.warn({ connectorsDir: ctx.connectors.catalog.dir, schedules: ours.length },
        'no connector definition in CONNECTORS_DIR: the connector schedules are left as they were (to end a connector\'s schedule, disable it or remove its schedule)');
    }
    return new Set();
  }
  for (const key of ours) if (!keep.has(key)) await queue.removeJobScheduler(key);
  const syncs = wanted.filter((w) => !w.data.reason).map((w) => w.connector);
  const fullReads = wanted.filter((w) => w.data.reason === 'full-read').map((w) => w.connector);
  if (wanted.length) logger.info({ connectors: syncs, fullReads }, 'connector syncs scheduled');
  return keep;
}

/**
 * Keeps the connector schedulers as the definitions say: reads the definitions added, edited or removed since they
 * were read, and schedules again when the catalog changed since the schedulers were last set (a schedule changed or
 * removed, a connector disabled), whoever took the change: a sync or the gateway reading a file first must not
 * leave an edited schedule unscheduled (QA). Invalid definitions are logged by whoever reads them first. A failure
 * (Redis away for a moment) throws, and the next call tries again. `first`: at start, every invalid one is logged.
 */
function connectorSchedules(ctx: AppContext, queueClient: QueueClient, redis: Redis, logger: Logger): (first?: boolean) => Promise<void> {
  let scheduled: number | undefined; // the catalog version the schedulers were last set from
  let keys: ReadonlySet<string> = new Set(); // the schedulers then set
  return async (first = false) => {
    const invalid: DefinitionInvalidError[] = [];
    ctx.connectors.catalog.refresh((err) => invalid.push(err));
    const version = ctx.connectors.catalog.version;
    if (version === scheduled) {
      // Unchanged definitions: the schedulers must still be in Redis (QA: a FLUSHALL, or a Redis without
      // persistence restarted, stopped every connector's syncs for good, with no word, until a worker restarted).
      if (keys.size === 0) return;
      const present = new Set(await schedulerKeys(queueClient));
      const missing = [...keys].filter((k) => !present.has(k));
      if (missing.length === 0) return;
      logger.warn({ schedules: missing.length }, 'connector schedules missing from Redis (did Redis lose its data?): set again');
    }
    keys = await scheduleConnectorSyncs(ctx, queueClient, redis, logger, first ? ctx.connectors.catalog.invalid : invalid);
    scheduled = version;
  };
}

/** The ids of the connector-sync queue's schedulers. */
async function schedulerKeys(queueClient: QueueClient): Promise<string[]> {
  return (await queueClient.queue('connector-sync').getJobSchedulers(0, -1))
    .map((s) => (s as { key?: string; id?: string | null }).key ?? (s as { id?: string | null }).id ?? '');
}
