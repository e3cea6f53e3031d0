import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownRecords } from '../src/connectors/sync/known-records.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/** Loading what a source has stored with one COPY: every key as PostgreSQL holds it, escapes and all. */
describe('KnownRecords.load', () => {
  let env: TestEnv;
  let pool: pg.Pool;

  beforeAll(async () => {
    env = await createTestEnv();
    pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
    const odd = ['tab\there', 'back\\slash', 'new\nline', 'Nguyễn-Văn-Ấn', 'emoji-😀', String.raw`\N`];
    const ids = [...odd, ...Array.from({ length: 3000 }, (_, i) => `KS-${i}`)];
    await pool.query(
      `INSERT INTO source_record (id, source_system, external_id, raw, content_hash)
       SELECT 'sr-' || i, 'known-test', external_id, '{}', 'hash-' || external_id FROM unnest($1::text[]) WITH ORDINALITY AS u(external_id, i)`,
      [ids],
    );
    await pool.query(`INSERT INTO source_record (id, source_system, external_id, raw, content_hash) VALUES ('sr-other', 'other-source', 'KS-1', '{}', 'other')`);
  });

  afterAll(async () => {
    await pool?.end();
    await env?.cleanup();
  });

  it('holds every record of the source, odd keys included, and none of another source', async () => {
    const known = (await KnownRecords.load(pool, 'known-test'))!;
    expect(known.size).toBe(3006);
    for (const id of ['tab\there', 'back\\slash', 'new\nline', 'Nguyễn-Văn-Ấn', 'emoji-😀', String.raw`\N`, 'KS-0', 'KS-2999']) {
      expect(known.judge(id, `hash-${id}`), id).toBe('unchanged');
      expect(known.judge(id, 'hash-else'), id).toBe('changed');
    }
    expect(known.judge('KS-3000', 'hash-KS-3000')).toBe('absent');
    expect(known.judge('KS-1', 'other')).toBe('changed');
  });

  it('gives up (null) on a source with more records than it may hold, and leaves the pool usable', async () => {
    await pool.query('ANALYZE source_record');
    expect(await KnownRecords.load(pool, 'known-test', 1000)).toBeNull(); // the planner's estimate says so
    expect(await KnownRecords.load(pool, 'known-test', 3005)).toBeNull(); // found while reading: the COPY is dropped
    expect((await pool.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    expect((await pool.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    expect((await KnownRecords.load(pool, 'nothing-here'))!.size).toBe(0);
  });
});
