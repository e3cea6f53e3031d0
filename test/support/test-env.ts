import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export interface TestEnv {
  databaseUrl: string;
  redisUrl: string;
  /** A queue prefix no other test file uses. */
  queuePrefix: string;
  /** Drops the database and removes this file's Redis keys. */
  cleanup(): Promise<void>;
}

/**
 * A fresh database cloned from the migrated template, and a private queue prefix, for one test file.
 * Call in `beforeAll` and `cleanup()` in `afterAll`.
 */
export async function createTestEnv(): Promise<TestEnv> {
  const adminUrl = inject('pgAdminUrl');
  const redisUrl = inject('redisUrl');
  const template = inject('templateDb');
  const suffix = randomBytes(6).toString('hex');
  const dbName = `childhub_t_${suffix}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // CREATE DATABASE … TEMPLATE needs the template to have no other sessions; retry briefly if a sibling
  // file is cloning at the same moment.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${dbName} TEMPLATE ${template}`);
      break;
    } catch (err) {
      if (attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const queuePrefix = `t${suffix}`;
  return {
    databaseUrl: url.toString(),
    redisUrl,
    queuePrefix,
    cleanup: async () => {
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await a.end();
      const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await r.del(...keys);
      } while (cursor !== '0');
      r.disconnect();
    },
  };
}
