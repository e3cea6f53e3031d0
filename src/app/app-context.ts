import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { initOrm } from '../db/orm.js';
import { createSql, type Sql } from '../db/sql.js';
import { GoldenRecordService } from '../services/golden-record/golden-record.service.js';
import { IngestService } from '../services/ingest/ingest.service.js';

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
  return {
    ...opts,
    sql,
    orm,
    ingest: new IngestService(sql),
    goldenRecords: new GoldenRecordService(orm),
    close: async () => {
      await orm.close(true);
      await sql.close();
    },
  };
}
