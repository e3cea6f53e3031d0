import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { initOrm } from '../db/orm.js';
import { createSql, type Sql } from '../db/sql.js';
import { GoldenRecordService } from '../services/golden-record/golden-record.service.js';
import { IngestService } from '../services/ingest/ingest.service.js';
import { IdentityReconciler } from '../services/identity/identity-reconciler.js';
import { createPopulationDbClient } from '../population-db/population-db.factory.js';
import { QueueClient } from '../../jobs/queue-client.js';
import { ConnectorCatalog } from '../connectors/definition/connector-catalog.js';
import { ConnectorSyncService } from '../connectors/sync/connector-sync.service.js';
import { ProjectionWriter } from '../services/projections/projection.writer.js';
import { RatePacer } from '../../jobs/rate-pacer.js';
import { closeRedisConnection, createRedisConnection } from '../../jobs/redis-connection.js';

/**
 * The composition root: one of each external client (PostgreSQL via MikroORM and raw SQL) and the domain
 * services built on them. `serve`, `worker`, the CLI and tests all build one of these.
 */
export interface AppContext {
  config: Config;
  logger: Logger;
  databaseUrl: string;
  redisUrl: string;
  sql: Sql;
  orm: MikroORM;
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
}

export async function createAppContext(opts: AppContextOptions): Promise<AppContext> {
  const sql = createSql(opts.databaseUrl, opts.config.DB_POOL_SIZE);
  const orm = await initOrm(opts.databaseUrl, Math.max(2, Math.ceil(opts.config.DB_POOL_SIZE / 2)), opts.logger);
  const { config, logger } = opts;
  const registry = createPopulationDbClient(config, sql, logger);
  let identity: AppContext['identity'] = null;
  let redis: ReturnType<typeof createRedisConnection> | undefined;
  if (registry) {
    redis = createRedisConnection(opts.redisUrl, 'producer', { connectionName: 'childhub:registry-quota', logger });
    const pacer = new RatePacer(redis, {
      prefix: config.QUEUE_PREFIX, name: 'population-db', perSecond: config.POPULATION_DB_QUOTA, utilisation: 1 - config.POPULATION_DB_QUOTA_HEADROOM,
      warmupMs: config.POPULATION_DB_WARMUP_MS,
    });
    identity = {
      reconciler: new IdentityReconciler(sql, registry, pacer, config, logger),
      queue: new QueueClient({ redisUrl: opts.redisUrl, prefix: config.QUEUE_PREFIX, logger }),
    };
  }
  const ingest = new IngestService(sql);
  const connectors = new ConnectorSyncService({
    sql,
    ingest,
    projections: new ProjectionWriter(),
    catalog: ConnectorCatalog.load(config.CONNECTORS_DIR),
    logger,
  });
  return {
    ...opts,
    sql,
    orm,
    ingest,
    connectors,
    goldenRecords: new GoldenRecordService(sql),
    identity,
    close: async () => {
      await identity?.queue.close();
      if (redis) await closeRedisConnection(redis);
      await orm.close(true);
      await sql.close();
    },
  };
}
