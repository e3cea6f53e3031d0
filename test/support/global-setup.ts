import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/infra/embedded-postgres.js';
import { startLocalRedis } from '../../src/infra/local-redis.js';
import { createLogger } from '../../src/observability/logger.js';
import { freePort } from './free-port.js';
import { initOrm, migrate } from '../../src/db/orm.js';

export const TEMPLATE_DB = 'childhub_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    redisUrl: string;
    templateDb: string;
  }
}

/**
 * Starts (or reuses, when DATABASE_URL / REDIS_URL are set) PostgreSQL and Redis once for the whole run,
 * and builds a migrated template database that each test file clones in a few milliseconds.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
  const stops: Array<() => Promise<void>> = [];
  // A fresh cluster per run (initdb takes about a second): concurrent runs cannot collide, and nothing is
  // left behind.
  const home = mkdtempSync(path.join(process.env.CHILDHUB_TEST_TMP ?? os.tmpdir(), 'childhub-test-'));
  chmodSync(home, 0o755); // mkdtemp makes it 0700; as root the `postgres` user must traverse it
  stops.push(async () => rmSync(home, { recursive: true, force: true }));

  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const server = await startEmbeddedPostgres({ home: path.join(home, 'postgres'), port: await freePort(), logger, ephemeral: true });
    stops.push(server.stop);
    adminUrl = server.adminUrl;
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const redis = await startLocalRedis({ home: path.join(home, 'redis'), port: await freePort(), autoInstall: true, logger });
    stops.push(redis.stop);
    redisUrl = redis.url;
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // Databases left by an interrupted earlier run (`_` escaped: as a LIKE wildcard it also matched, and
  // dropped, the template, which MikroORM's migrator then quietly created again).
  const stale = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'childhub\\_t\\_%'`);
  for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();

  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DB}`;
  const orm = await initOrm(templateUrl.toString(), 1);
  await migrate(orm);
  await orm.close(true);

  project.provide('pgAdminUrl', adminUrl);
  project.provide('redisUrl', redisUrl);
  project.provide('templateDb', TEMPLATE_DB);

  return async () => {
    for (const s of stops.reverse()) await s();
  };
}
