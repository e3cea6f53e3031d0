import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { KnownRecords } from '../src/connectors/sync/known-records.js';
import { KnownRecordsHandover } from '../src/connectors/sync/known-records-handover.js';
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

  it('reads SHA-256 content hashes from the COPY as they are judged in memory', async () => {
    const digest = (v: string) => createHash('sha256').update(v).digest('base64url');
    const ids = Array.from({ length: 500 }, (_, i) => `D-${i}`);
    await pool.query(
      `INSERT INTO source_record (id, source_system, external_id, raw, content_hash)
       SELECT 'dg-' || i, 'digest-test', external_id, '{}', hash FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(external_id, hash, i)`,
      [ids, ids.map(digest)],
    );
    const known = (await KnownRecords.load(pool, 'digest-test'))!;
    expect(known.size).toBe(500);
    for (const id of ids) expect(known.judge(id, digest(id)), id).toBe('unchanged');
    const d = digest('D-7');
    expect(known.judge('D-7', `${d.slice(0, 10)}${d[10] === 'A' ? 'B' : 'A'}${d.slice(11)}`)).toBe('changed');
    expect(known.judge('D-7', digest('D-7 changed'))).toBe('changed');
  });

  it('can read the keys and hashes from the unique index alone (an index-only scan, not a read of every record)', async () => {
    const client = await pool.connect();
    try {
      await client.query('VACUUM source_record');
      await client.query('SET enable_seqscan = off');
      await client.query('SET enable_bitmapscan = off');
      const plan = await client.query<{ 'QUERY PLAN': Array<{ Plan: { 'Node Type': string; 'Index Name'?: string } }> }>(
        `EXPLAIN (FORMAT JSON) SELECT external_id, content_hash FROM source_record WHERE source_system = 'known-test'`,
      );
      expect(plan.rows[0]!['QUERY PLAN'][0]!.Plan).toMatchObject({ 'Node Type': 'Index Only Scan', 'Index Name': 'source_record_source_system_external_id_key' });
    } finally {
      await client.query('RESET ALL').catch(() => undefined);
      client.release();
    }
  });

  it('gives up (null) on a source with more records than it may hold, and leaves the pool usable', async () => {
    await pool.query('ANALYZE source_record');
    expect(await KnownRecords.load(pool, 'known-test', { max: 1000 })).toBeNull(); // the planner's estimate says so
    expect(await KnownRecords.load(pool, 'known-test', { max: 3005 })).toBeNull(); // found while reading: the COPY is dropped
    expect((await pool.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    expect((await pool.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    expect((await KnownRecords.load(pool, 'nothing-here'))!.size).toBe(0);
  });

  describe('KnownRecordsHandover', () => {
    const log = pino({ level: 'silent' });
    const K = (i: number) => `handover-test\u0000K-${i}`;

    beforeAll(async () => {
      await pool.query(
        `INSERT INTO source_record (id, source_system, external_id, raw, content_hash)
         SELECT 'ho-' || i, 'handover-test', 'K-' || i, '{}', 'h-K-' || i FROM generate_series(1, 30000) AS i`,
      );
      await pool.query('ANALYZE source_record');
    });

    it('loads a small source before the first batch', async () => {
      const h = new KnownRecordsHandover(pool, 'known-test', log);
      await h.begin();
      expect(h.forSlice(500, new Set(), new Set())!.judge('KS-1', 'hash-KS-1')).toBe('unchanged');
    });

    it('loads a larger one before the first batch when the files announced are big enough', async () => {
      const h = new KnownRecordsHandover(pool, 'handover-test', log);
      h.fileStarted(30 * 1024 * 1024);
      await h.begin();
      expect(h.forSlice(500, new Set(), new Set())!.size).toBe(30000);
    });

    it('starts loading when the files listed are big enough, before they are checksummed, and begin uses that load', async () => {
      const messages: string[] = [];
      const seen = pino({ level: 'debug' }, { write: (line: string) => messages.push(JSON.parse(line).msg) });
      const h = new KnownRecordsHandover(pool, 'handover-test', seen);
      h.filesListed(30 * 1024 * 1024);
      // The keys arrive with no batch read yet (the files are still being checksummed).
      for (let i = 0; i < 100 && !messages.some((m) => m.startsWith('stored keys loaded')); i++) await new Promise((r) => setTimeout(r, 20));
      expect(messages.filter((m) => m.startsWith('stored keys loaded'))).toHaveLength(1);
      h.fileStarted(30 * 1024 * 1024);
      await h.begin();
      expect(h.forSlice(500, new Set(), new Set())!.judge('K-1', 'h-K-1')).toBe('unchanged');
      expect(messages.filter((m) => m.startsWith('stored keys loaded'))).toHaveLength(1); // loaded once
    });

    it('does not wait for a load started for listed files that are then skipped, and uses it in the background', async () => {
      const h = new KnownRecordsHandover(pool, 'handover-test', log);
      h.filesListed(30 * 1024 * 1024); // a big file already ingested and a small new one
      h.fileStarted(20_000); // only the small one is read
      await h.begin();
      const staged = new Set([K(1)]); // a batch staged (and stored) while the load runs
      h.staging(staged);
      let table: KnownRecords | null = null;
      for (let i = 0; i < 100 && !table; i++) {
        table = h.forSlice(500, staged, new Set());
        if (!table) await new Promise((r) => setTimeout(r, 20));
      }
      expect(table).not.toBeNull();
      expect(table!.judge('K-1', 'h-K-1')).toBe('written');
      expect(table!.judge('K-2', 'h-K-2')).toBe('unchanged');
    });

    it('keeps looking up a small read of a larger source', async () => {
      const h = new KnownRecordsHandover(pool, 'handover-test', log);
      h.fileStarted(20_000);
      await h.begin();
      for (let i = 0; i < 3; i++) expect(h.forSlice(500, new Set(), new Set())).toBeNull();
      await new Promise((r) => setTimeout(r, 300));
      expect(h.forSlice(0, new Set(), new Set())).toBeNull();
      h.close();
    });

    it('switches a long read over in the background, marking every key stored meanwhile as written', async () => {
      const h = new KnownRecordsHandover(pool, 'handover-test', log);
      await h.begin();
      const inFlight = new Set([K(1)]);
      const staging = new Set([K(2)]);
      expect(h.forSlice(2000, inFlight, staging)).toBeNull(); // a sixteenth of 30,000 read: the load starts
      staging.add(K(3)); // the batch being staged goes on
      const next = new Set<string>();
      h.staging(next); // a batch staged while the load runs
      next.add(K(4));
      let table: KnownRecords | null = null;
      for (let i = 0; i < 100 && !table; i++) {
        table = h.forSlice(500, inFlight, staging);
        if (!table) await new Promise((r) => setTimeout(r, 20));
      }
      expect(table).not.toBeNull();
      for (const i of [1, 2, 3, 4]) expect(table!.judge(`K-${i}`, `h-K-${i}`), `K-${i}`).toBe('written');
      expect(table!.judge('K-5', 'h-K-5')).toBe('unchanged');
      expect(table!.judge('K-30001', 'x')).toBe('absent');
      // Records of the read before the switch were looked up, not judged: the table cannot tell which were read.
      expect(h.wholeReadTable).toBeNull();
    });

    it('loads a large source before the first batch for a read that must judge every record (loadAtOnce: records gone from a source)', async () => {
      const h = new KnownRecordsHandover(pool, 'handover-test', log, { loadAtOnce: true });
      await h.begin();
      const table = h.forSlice(500, new Set(), new Set());
      expect(table!.size).toBe(30000);
      expect(h.wholeReadTable).toBe(table);
    });
  });
});
