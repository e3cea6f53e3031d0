import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Sql } from '../src/db/sql.js';
import { serializeError } from '../src/observability/logger.js';
import { OUTBOX_TOPICS, type OutboxTopic } from '../src/services/outbox/outbox.writer.js';
import type { NewJob, QueueClient } from './queue-client.js';
import { QUEUES, outboxBindings, type OutboxBinding, type QueueName } from './queues.js';

/** The channel the outbox trigger notifies on every insert (see the spine migration). */
export const OUTBOX_CHANNEL = 'childhub_outbox';

/** Longest wait between retries after failures (relay or LISTEN connection), in ms. */
const MAX_BACKOFF_MS = 30_000;

export interface OutboxRelayOptions {
  sql: Sql;
  /** For the dedicated LISTEN connection (a pooled connection cannot hold a LISTEN). */
  databaseUrl: string;
  queues: QueueClient;
  logger: Logger;
  /** Poll interval when no notification arrives (OUTBOX_POLL_MS). @defaultValue 500 */
  pollMs?: number;
  /** Rows claimed per transaction. @defaultValue 1000 */
  batchSize?: number;
  /** Wake on `LISTEN childhub_outbox` besides polling. @defaultValue true */
  listen?: boolean;
  /**
   * Relay only the topics of these queues (those this process works on); rows of other topics wait for a
   * process that works on theirs. @defaultValue every queue with an outbox binding
   */
  onlyQueues?: readonly QueueName[];
  /**
   * Give up adding a batch's jobs after this long (ms), so an unreachable Redis does not hold the rows'
   * locks and the transaction open; the rows stay pending and are retried. @defaultValue 10000
   */
  addTimeoutMs?: number;
  /**
   * Days a relayed row is kept before the relay deletes it (OUTBOX_RETENTION_DAYS); 0 keeps every row.
   * @defaultValue 7
   */
  retentionDays?: number;
  /** How often the relay deletes the rows past their retention, in ms. @defaultValue 3600000 (hourly) */
  pruneEveryMs?: number;
}

/** What one relay transaction did. */
export interface RelayBatchResult {
  /** Outbox rows marked relayed (including rejected ones). */
  rows: number;
  /** Aggregate ids those rows carried. */
  ids: number;
  /** Pending rows are probably left: the claim was full, or rows were left for the next round. */
  more: boolean;
  /** Jobs handed to BullMQ (some may have been ignored as already present). */
  jobs: number;
  /** Rows whose aggregate id the queue's schema refuses; marked done with `last_error`, no job. */
  rejected: number;
}

interface ClaimedRow {
  id: string;
  topic: string;
  /** The row's aggregate ids: `payload.ids` of a grouped row, else its one `aggregate_id`. */
  ids: string[];
}

/** Rows one pruning statement deletes at most (a first prune after a long time deletes in several). */
const PRUNE_BATCH = 10_000;

/**
 * Deletes up to {@link PRUNE_BATCH} rows relayed more than `$1` days ago, oldest first, skipping rows another
 * process holds. A sync run still QUEUED keeps its row: its message is how the hub tells a run whose job will
 * still start from one the queue lost (ConnectorSyncService.queuedRunState).
 */
const PRUNE_SQL = `
DELETE FROM outbox WHERE id IN (
  SELECT o.id FROM outbox o
   WHERE o.relayed_at < now() - make_interval(days => $1::int)
     AND NOT (o.topic = $2 AND EXISTS (SELECT 1 FROM connector_run r WHERE r.id = o.aggregate_id AND r.status = 'QUEUED'))
   ORDER BY o.id
   LIMIT ${PRUNE_BATCH}
   FOR UPDATE SKIP LOCKED)`;

/** Most aggregate ids one relay transaction turns into jobs (rows beyond it wait for the next round). */
const MAX_IDS_PER_RELAY = 10_000;

interface PlannedJob {
  queue: QueueName;
  job: NewJob<QueueName>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Turns committed outbox rows into BullMQ jobs, exactly once in effect.
 *
 * Each relay transaction claims pending rows with `FOR UPDATE SKIP LOCKED` (so any number of worker
 * processes relay side by side without doing the same rows twice), adds the jobs, and marks the rows
 * relayed before committing. Job ids are derived from the exact set of outbox rows a job carries: if the
 * process dies after adding but before committing, the next relay claims the same rows, derives the same
 * ids, and BullMQ ignores the repeated adds. Rows of one topic are coalesced into batched jobs.
 *
 * The relay wakes on `LISTEN childhub_outbox` and polls every `pollMs` as a fallback, backing off while
 * Redis or PostgreSQL is unavailable; failures are recorded on the rows (`attempts`, `last_error`, message
 * only) and retried, never dropped.
 */
export class OutboxRelay {
  private readonly sql: Sql;
  private readonly queues: QueueClient;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly addTimeoutMs: number;
  private readonly bindings: Map<OutboxTopic, { queue: QueueName; binding: OutboxBinding<unknown> }>;
  private readonly topics: string[];

  private running = false;
  private wanted = false;
  private loop: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private backoffUntil = 0;
  private readonly retentionDays: number;
  private readonly pruneEveryMs: number;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<unknown> | undefined;

  private listener: pg.Client | undefined;
  private listenerFailures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    this.sql = options.sql;
    this.queues = options.queues;
    this.logger = options.logger.child({ component: 'outbox-relay' });
    this.pollMs = options.pollMs ?? 500;
    this.batchSize = options.batchSize ?? 1_000;
    this.addTimeoutMs = options.addTimeoutMs ?? 10_000;
    this.retentionDays = options.retentionDays ?? 7;
    this.pruneEveryMs = options.pruneEveryMs ?? 3_600_000;
    const only = options.onlyQueues;
    this.bindings = new Map([...outboxBindings()].filter(([, b]) => !only || only.includes(b.queue)));
    this.topics = [...this.bindings.keys()];
  }

  /** Starts listening and polling; resolves once the first LISTEN attempt is done. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.schedulePoll();
    if (this.options.listen ?? true) await this.connectListener();
    this.kick();
    this.schedulePrune(0);
  }

  /** Stops listening and polling and waits for the batch in flight to commit or roll back. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.pruneTimer);
    await this.pruning;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await this.loop;
  }

  /**
   * Relays one batch of pending rows in one transaction and returns what it did. Safe to call from any
   * number of processes at once. Throws when the jobs could not be added; the rows then stay pending with
   * `attempts` and `last_error` recorded.
   */
  async relayOnce(): Promise<RelayBatchResult> {
    let failure: unknown;
    const result = await this.sql.tx(async (client): Promise<RelayBatchResult> => {
      const claimed = await client.query<ClaimedRow>(
        `SELECT id, topic, CASE WHEN jsonb_typeof(payload->'ids') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(payload->'ids'))
                                ELSE ARRAY[aggregate_id] END AS ids
           FROM outbox
          WHERE relayed_at IS NULL AND topic = ANY($1::text[])
          ORDER BY id
          LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [this.topics, this.batchSize],
      );
      // Grouped rows carry up to a hundred ids each: a claim stops at MAX_IDS_PER_RELAY ids, and the rows after
      // that are left pending for the next round (their locks end with this transaction).
      const rows: ClaimedRow[] = [];
      let idCount = 0;
      for (const row of claimed.rows) {
        if (rows.length > 0 && idCount + row.ids.length > MAX_IDS_PER_RELAY) break;
        rows.push(row);
        idCount += row.ids.length;
      }
      if (rows.length === 0) return { rows: 0, ids: 0, jobs: 0, rejected: 0, more: false };
      const { jobs, rejected } = this.plan(rows);
      try {
        await this.addJobs(jobs);
      } catch (err) {
        failure = err;
        const message = String(serializeError(err instanceof Error ? err : new Error(String(err))).message).slice(0, 500);
        await client.query(`UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])`, [
          rows.map((r) => r.id),
          message,
        ]);
        return { rows: 0, ids: 0, jobs: 0, rejected: 0, more: false };
      }
      const rejectedIds = new Set(rejected.map((r) => r.id));
      await client.query(`UPDATE outbox SET relayed_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [
        rows.filter((r) => !rejectedIds.has(r.id)).map((r) => r.id),
      ]);
      if (rejected.length) {
        // Data that fails the queue's schema will never pass it: finish the row so it stops blocking, and
        // leave the reason on it for an operator.
        await client.query(
          `UPDATE outbox SET relayed_at = now(), attempts = attempts + 1, last_error = 'rejected: aggregate id does not fit the queue''s job data'
            WHERE id = ANY($1::bigint[])`,
          [[...rejectedIds]],
        );
        this.logger.warn({ rows: rejected.length, outboxIds: [...rejectedIds].slice(0, 20) }, 'outbox rows rejected: invalid aggregate id');
      }
      const more = claimed.rows.length >= this.batchSize || rows.length < claimed.rows.length;
      return { rows: rows.length, ids: idCount, jobs: jobs.length, rejected: rejected.length, more };
    });
    if (failure !== undefined) throw failure;
    if (result.rows) this.logger.debug({ rows: result.rows, jobs: result.jobs }, 'outbox rows relayed');
    return result;
  }

  /**
   * Relays until no pending row of a relayed topic is left (including rows another relay is working on),
   * and returns how many rows this call relayed. Used by tests, the demo and the bench.
   *
   * @param timeoutMs - give up (throw) after this long. @defaultValue 30000
   */
  async drain(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let total = 0;
    for (;;) {
      const r = await this.relayOnce();
      total += r.rows;
      if (r.rows > 0) continue;
      const pending = await this.pending();
      if (pending === 0) return total;
      if (Date.now() > deadline) throw new Error(`outbox drain timed out with ${pending} rows pending`);
      await sleep(25);
    }
  }

  /**
   * Deletes the rows relayed more than `retentionDays` ago (none when it is 0), in statements of at most
   * {@link PRUNE_BATCH} rows, and returns how many it deleted. Rows not relayed are never deleted, whatever
   * their age or topic (a topic no process here relays waits for one that does). Safe to run in several
   * processes at once. The workers' relays run it at start and hourly.
   */
  async prune(): Promise<number> {
    if (this.retentionDays <= 0) return 0;
    let total = 0;
    for (;;) {
      const n = (await this.sql.pool.query(PRUNE_SQL, [this.retentionDays, OUTBOX_TOPICS.connectorSync])).rowCount ?? 0;
      total += n;
      if (n < PRUNE_BATCH || !this.running) return total;
    }
  }

  /** Rows of relayed topics not yet relayed (committed ones only). */
  async pending(): Promise<number> {
    const row = await this.sql.one<{ n: string }>(
      `SELECT count(*) AS n FROM outbox WHERE relayed_at IS NULL AND topic = ANY($1::text[])`,
      [this.topics],
    );
    return Number(row?.n ?? 0);
  }

  /**
   * Groups claimed rows (already in id order) into jobs: per topic, consecutive rows until a job holds
   * `maxIdsPerJob` distinct aggregate ids. Repeated ids (a child changed twice) collapse into one. A row is
   * never split between jobs, except a grouped row holding more ids than one job takes: it becomes jobs of
   * its own, told apart by a part number in their ids.
   */
  private plan(rows: ClaimedRow[]): { jobs: PlannedJob[]; rejected: ClaimedRow[] } {
    const jobs: PlannedJob[] = [];
    const rejected: ClaimedRow[] = [];
    const byTopic = new Map<string, ClaimedRow[]>();
    for (const row of rows) {
      const list = byTopic.get(row.topic) ?? [];
      list.push(row);
      byTopic.set(row.topic, list);
    }
    for (const [topic, topicRows] of byTopic) {
      const entry = this.bindings.get(topic as OutboxTopic);
      if (!entry) continue;
      const { queue, binding } = entry;
      const schema = QUEUES[queue].data;
      let rowIds: string[] = [];
      let ids = new Set<string>();
      const flush = () => {
        if (rowIds.length === 0) return;
        jobs.push({ queue, job: { data: binding.toJobData([...ids]) as NewJob<QueueName>['data'], jobId: jobIdFor(queue, rowIds) } });
        rowIds = [];
        ids = new Set();
      };
      for (const row of topicRows) {
        if (row.ids.length === 0 || !row.ids.every((id) => schema.safeParse(binding.toJobData([id])).success)) {
          rejected.push(row);
          continue;
        }
        const distinct = [...new Set(row.ids)];
        if (distinct.length > binding.maxIdsPerJob) {
          flush();
          for (let i = 0, part = 1; i < distinct.length; i += binding.maxIdsPerJob, part++) {
            jobs.push({
              queue,
              job: { data: binding.toJobData(distinct.slice(i, i + binding.maxIdsPerJob)) as NewJob<QueueName>['data'], jobId: `${jobIdFor(queue, [row.id])}-p${part}` },
            });
          }
          continue;
        }
        const added = distinct.filter((id) => !ids.has(id)).length;
        if (added > 0 && ids.size + added > binding.maxIdsPerJob) flush();
        for (const id of distinct) ids.add(id);
        rowIds.push(row.id);
      }
      flush();
    }
    return { jobs, rejected };
  }

  private async addJobs(jobs: PlannedJob[]): Promise<void> {
    const byQueue = new Map<QueueName, NewJob<QueueName>[]>();
    for (const { queue, job } of jobs) {
      const list = byQueue.get(queue) ?? [];
      list.push(job);
      byQueue.set(queue, list);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      // If the adds land after we gave up, the retry derives the same job ids and BullMQ ignores them.
      await Promise.race([
        Promise.all([...byQueue].map(([queue, list]) => this.queues.addBulk(queue, list))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`adding jobs timed out after ${this.addTimeoutMs} ms`)), this.addTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asks the loop to run soon; coalesces with a run already in progress. */
  private kick(): void {
    this.wanted = true;
    if (!this.running || this.loop || Date.now() < this.backoffUntil) return;
    this.loop = this.runLoop().finally(() => {
      this.loop = undefined;
    });
  }

  private async runLoop(): Promise<void> {
    while (this.wanted && this.running) {
      this.wanted = false;
      try {
        const r = await this.relayOnce();
        if (this.failures > 0) this.logger.info('outbox relay recovered');
        this.failures = 0;
        this.backoffUntil = 0;
        // A full batch suggests more rows are waiting behind it.
        if (r.more) this.wanted = true;
      } catch (err) {
        this.failures++;
        const delay = Math.min(this.pollMs * 2 ** this.failures, MAX_BACKOFF_MS);
        this.backoffUntil = Date.now() + delay;
        this.wanted = true;
        const e = serializeError(err instanceof Error ? err : new Error(String(err)));
        this.logger.warn({ errorType: e.type, errorMessage: e.message, retryInMs: delay, failures: this.failures }, 'outbox relay failed');
        return;
      }
    }
  }

  /** Prunes after `delay` ms, then every `pruneEveryMs`; a failure is logged and tried again at the next round. */
  private schedulePrune(delay: number): void {
    if (!this.running || this.retentionDays <= 0) return;
    this.pruneTimer = setTimeout(() => {
      this.pruning = this.prune()
        .then((rows) => {
          if (rows) this.logger.info({ rows, retentionDays: this.retentionDays }, 'outbox rows past their retention deleted');
        })
        .catch((err: unknown) => {
          const e = serializeError(err instanceof Error ? err : new Error(String(err)));
          this.logger.warn({ errorType: e.type, errorMessage: e.message }, 'outbox pruning failed; tried again at the next round');
        })
        .finally(() => {
          this.pruning = undefined;
          this.schedulePrune(this.pruneEveryMs);
        });
    }, delay);
    this.pruneTimer.unref();
  }

  private schedulePoll(): void {
    if (!this.running) return;
    const delay = Math.max(this.pollMs, this.backoffUntil - Date.now());
    this.pollTimer = setTimeout(() => {
      this.kick();
      this.schedulePoll();
    }, delay);
    this.pollTimer.unref();
  }

  private async connectListener(): Promise<void> {
    if (!this.running) return;
    const client = new pg.Client({ connectionString: this.options.databaseUrl, application_name: 'childhub-outbox-listener' });
    this.listener = client;
    client.on('notification', () => this.kick());
    client.on('error', (err) => this.listenerLost(client, err));
    client.on('end', () => this.listenerLost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (err) {
      this.listenerLost(client, err);
      return;
    }
    if (this.listener !== client) return;
    if (this.listenerFailures > 0) this.logger.info('outbox listener reconnected');
    this.listenerFailures = 0;
    // Notifications sent while nobody listened are gone; look for their rows now.
    this.kick();
  }

  /** Drops a failed LISTEN connection and reconnects with backoff; polling covers the gap. */
  private listenerLost(client: pg.Client, err?: unknown): void {
    // `error` and `end` both fire for one loss, and stop() ends the client on purpose: act once, on the current one.
    if (this.listener !== client) return;
    this.listener = undefined;
    client.end().catch(() => {});
    if (!this.running) return;
    this.listenerFailures++;
    const delay = Math.min(250 * 2 ** this.listenerFailures, MAX_BACKOFF_MS);
    const e = err === undefined ? undefined : serializeError(err instanceof Error ? err : new Error(String(err)));
    this.logger.warn({ errorType: e?.type, errorMessage: e?.message ?? 'connection ended', retryInMs: delay }, 'outbox listener lost; polling meanwhile');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connectListener();
    }, delay);
    this.reconnectTimer.unref();
  }
}

/**
 * A job id that is the same whenever the same outbox rows are relayed, and different for any other set:
 * readable bounds plus a digest of every row id. Bounds alone would not do: an outbox row with a lower id
 * can commit after a higher one, so a retried claim may hold more rows between the same bounds.
 * BullMQ job ids must not contain ':' and must not be integers.
 */
export function jobIdFor(queue: string, outboxRowIds: string[]): string {
  const digest = createHash('sha256').update(outboxRowIds.join(',')).digest('hex').slice(0, 16);
  return `${queue}-${outboxRowIds[0]}-${outboxRowIds[outboxRowIds.length - 1]}-${digest}`;
}
