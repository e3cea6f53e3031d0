import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/support/test-env.js';
import { createSql, PROCESS_APPLICATION_NAME, type Sql } from './sql.js';

describe('the hub\'s PostgreSQL connections', () => {
  let env: TestEnv;
  let sql: Sql;

  beforeAll(async () => {
    env = await createTestEnv();
    sql = createSql(env.databaseUrl, 2, { idleInTransactionMs: 300 });
  });
  afterAll(async () => {
    await sql?.close();
    await env?.cleanup();
  });

  it('carry this process\'s own application name, which tells one process\'s connections from another\'s', async () => {
    expect(PROCESS_APPLICATION_NAME).toMatch(new RegExp(`^childhub ${process.pid}-[0-9a-f]{8}$`));
    const row = await sql.one<{ name: string }>(`SELECT current_setting('application_name') AS name`);
    expect(row!.name).toBe(PROCESS_APPLICATION_NAME);
  });

  it('end a transaction left open with nothing to do (a process frozen mid-transaction), releasing its locks', async () => {
    const frozen = await sql.pool.connect();
    try {
      await frozen.query('BEGIN');
      await frozen.query(`SELECT pg_advisory_xact_lock(4711)`);
      // Nothing more is asked of it: PostgreSQL ends it after 300 ms, and the lock with it.
      await new Promise((r) => setTimeout(r, 1_000));
      const other = await sql.one<{ got: boolean }>(`SELECT pg_try_advisory_lock(4711) AS got`);
      expect(other!.got).toBe(true);
      await sql.query(`SELECT pg_advisory_unlock_all()`);
      await expect(frozen.query('SELECT 1')).rejects.toThrow(/connection error|idle-in-transaction|terminat/);
    } finally {
      frozen.release(true);
    }
    // A transaction that keeps working is not ended, however long it lasts.
    const busy = await sql.tx(async (client) => {
      for (let i = 0; i < 6; i++) await client.query('SELECT pg_sleep(0.1)');
      return (await client.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n;
    });
    expect(busy).toBe(1);
  });
});
