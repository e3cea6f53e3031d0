import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { createSql, type Sql } from '../db/sql.js';
import { GoldenRecordService } from '../services/golden-record/golden-record.service.js';
import { IngestService } from '../services/ingest/ingest.service.js';
import { ConnectorCatalog } from '../connectors/definition/connector-catalog.js';
import { ConnectorSyncService } from '../connectors/sync/connector-sync.service.js';
import { ProjectionWriter } from '../services/projections/projection.writer.js';
import type { IdentityReconciler } from '../services/identity/identity-reconciler.js';
import type { QueueClient } from '../../jobs/queue-client.js';

/**
 * The composition root: one of each external client (a PostgreSQL pool for SQL, Redis when identity
 * reconciliation is configured or a queued sync's job is looked for) and the domain services built on them.
 * MikroORM defines the schema and runs the migrations (`childhub migrate`, and the check at start-up); nothing reads or writes through it.
 * `serve`, `worker`, the CLI and tests all build one of these.
 */
export interface AppContext {
  config: Config;
  logger: Logger;
  databaseUrl: string;
  redisUrl: string;
  sql: Sql;
  ingest: IngestService;
  goldenRecords: GoldenRecordService;
  /** Identity reconciliation, present only when the population database is configured (POPULATION_DB_URL). */
  identity: { reconciler: IdentityReconciler; queue: QueueClient } | null;
  /** Connector definitions (`connectors/`) and their syncs. */
  connectors: ConnectorSyncService;
  close(): Promise<void>;
}

export interface AppContextOptions {
  config: Config;
  logger: Logger;
  databaseUrl: string;
  redisUrl: string;
  /**
   * The time the golden-record stage builds children at: provenance stamps, and the day their ages are judged
   * on (groups end at 16). @defaultValue the system clock (tests pin it, so that fixed birth dates stay under 16)
   */
  clock?: () => Date;
}

export async function createAppContext(opts: AppContextOptions): Promise<AppContext> {
  const sql = createSql(opts.databaseUrl, opts.config.DB_POOL_SIZE, { idleInTransactionMs: opts.config.DB_IDLE_IN_TRANSACTION_MS });
  const { config, logger } = opts;
  let identity: AppContext['identity'] = null;
  let closeIdentity = async () => {};
  if (config.POPULATION_DB_URL) {
    // The registry's clients, the quota pacer and BullMQ are loaded only where identity reconciliation is
    // configured: a connector sync or the gateway without it starts without them.
    const [{ createPopulationDbClient }, { IdentityReconciler }, { RatePacer }, { QueueClient }, { closeRedisConnection, createRedisConnection }] = await Promise.all([
      import('../population-db/population-db.factory.js'),
      import('../services/identity/identity-reconciler.js'),
      import('../../jobs/rate-pacer.js'),
      import('../../jobs/queue-client.js'),
      import('../../jobs/redis-connection.js'),
    ]);
    const registry = createPopulationDbClient(config, sql, logger)!;
    const redis = createRedisConnection(opts.redisUrl, 'producer', { connectionName: 'childhub:registry-quota', logger });
    const pacer = new RatePacer(redis, {
      prefix: config.QUEUE_PREFIX, name: 'population-db', perSecond: config.POPULATION_DB_QUOTA, utilisation: 1 - config.POPULATION_DB_QUOTA_HEADROOM,
      warmupMs: config.POPULATION_DB_WARMUP_MS,
    });
    const queue = new QueueClient({ redisUrl: opts.redisUrl, prefix: config.QUEUE_PREFIX, logger });
    identity = { reconciler: new IdentityReconciler(sql, registry, pacer, config, logger), queue };
    closeIdentity = async () => {
      await queue.close();
      await closeRedisConnection(redis);
    };
  }
  const ingest = new IngestService(sql);
  // Whether a queued sync run's job is still in the queue: identity's queue client when there is one, else one
  // connected on first use (a request that finds no run queued needs no Redis, nor does a gateway never asked).
  let syncQueue: Promise<QueueClient> | undefined;
  const syncQueueClient = async (): Promise<QueueClient> => identity?.queue ?? (await (syncQueue ??= import('../../jobs/queue-client.js').then(
    ({ QueueClient }) => new QueueClient({ redisUrl: opts.redisUrl, prefix: config.QUEUE_PREFIX, logger }))));
  const connectors = new ConnectorSyncService({
    sql,
    ingest,
    projections: new ProjectionWriter(),
    catalog: ConnectorCatalog.load(config.CONNECTORS_DIR),
    logger,
    stallMs: config.CONNECTOR_STALL_MS,
    syncJobAlive: async (outboxRowId) => (await syncQueueClient()).outboxJobAlive('connector-sync', outboxRowId),
    syncJobIdAlive: async (jobId) => (await syncQueueClient()).jobAlive('connector-sync', jobId),
  });
  return {
    ...opts,
    sql,
    ingest,
    connectors,
    goldenRecords: new GoldenRecordService(sql, opts.clock),
    identity,
    close: async () => {
      await closeIdentity();
      if (syncQueue) await (await syncQueue).close();
      await sql.close();
    },
  };
}
