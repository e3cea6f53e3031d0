import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../src/app/app-context.js';
import { parseConfig } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import { aRecord } from './support/records.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

describe('ingest', () => {
  let env: TestEnv;
  let ctx: AppContext;
  beforeAll(async () => {
    env = await createTestEnv();
    const config = parseConfig({ NODE_ENV: 'test', DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, QUEUE_PREFIX: env.queuePrefix });
    ctx = await createAppContext({ config, logger: createLogger({ level: 'silent' }), databaseUrl: env.databaseUrl, redisUrl: env.redisUrl });
  });
  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
  });
  const count = async (table: string, where = 'true') => Number((await ctx.sql.one<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))!.n);

  it('keeps the valid records of a batch and quarantines the invalid ones with field-level reasons', async () => {
    const res = await ctx.ingest.ingest(
      [
        aRecord({ externalId: 'OK-1', identityNumber: null }),
        aRecord({ externalId: 'BAD-DATE', birthDate: '2015-02-30' }),
        { ...aRecord({ externalId: 'BAD-SEX' }), sex: 'X' },
        aRecord({ externalId: 'OK-2', identityNumber: null, fullName: 'Lê Văn Bình' }),
        { sourceSystem: 'health-station', raw: {} },
      ],
      { location: 'page 3' },
    );
    expect(res).toMatchObject({ inserted: 2, rejected: 3, childrenCreated: 2 });
    const rejects = await ctx.sql.query<{ external_id: string | null; location: string; reasons: Array<{ field: string }> }>(
      `SELECT external_id, location, reasons FROM rejected_record ORDER BY location`);
    expect(rejects.map((r) => [r.external_id, r.location, r.reasons.map((x) => x.field)])).toEqual([
      ['BAD-DATE', 'page 3, record 2', ['birthDate']],
      ['BAD-SEX', 'page 3, record 3', ['sex']],
      [null, 'page 3, record 5', ['externalId']],
    ]);
    // The reason names the field and what is wrong, never the value.
    expect(JSON.stringify(rejects.map((r) => r.reasons))).not.toContain('2015-02-30');
  });

  it('skips unchanged records by content hash and enqueues a recompute only for changes', async () => {
    const r = aRecord({ externalId: 'HASH-1', identityNumber: '001209001111' });
    const first = await ctx.ingest.ingest([r]);
    expect(first).toMatchObject({ inserted: 1, unchanged: 0 });
    const outboxBefore = await count('outbox');
    const again = await ctx.ingest.ingest([r]);
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 1, childrenToRecompute: [] });
    expect(await count('outbox')).toBe(outboxBefore);
    const changed = await ctx.ingest.ingest([{ ...r, communeCode: '00008' }]);
    expect(changed).toMatchObject({ updated: 1, childrenToRecompute: first.childrenToRecompute });
    expect(await count('outbox')).toBe(outboxBefore + 1);
  });

  it('links records with the same identity number to one child, within a batch and across batches', async () => {
    const a = aRecord({ sourceSystem: 'school', externalId: 'LINK-A', identityNumber: '001208002222' });
    const b = aRecord({ sourceSystem: 'justice-register', externalId: 'LINK-B', identityNumber: '001.208.002.222' });
    const c = aRecord({ sourceSystem: 'facility-inspection', externalId: 'LINK-C', identityNumber: '001208002222' });
    const one = await ctx.ingest.ingest([a, b]);
    expect(one.childrenCreated).toBe(1);
    const two = await ctx.ingest.ingest([c]);
    expect(two.childrenCreated).toBe(0);
    const linked = await ctx.sql.query<{ child_id: string; link_rule: string }>(
      `SELECT child_id, link_rule FROM source_record WHERE external_id LIKE 'LINK-%' ORDER BY external_id`);
    expect(new Set(linked.map((l) => l.child_id)).size).toBe(1);
    expect(linked.map((l) => l.link_rule)).toEqual(['NEW_CHILD', 'IDENTITY_NUMBER', 'IDENTITY_NUMBER']);
  });

  it('never creates two children for one new number when batches race', async () => {
    const batches = Array.from({ length: 6 }, (_, i) => [aRecord({ externalId: `RACE-${i}`, identityNumber: '001207003333' })]);
    await Promise.all(batches.map((b) => ctx.ingest.ingest(b)));
    expect(await count('source_record', `external_id LIKE 'RACE-%' AND child_id IS NOT NULL`)).toBe(6);
    const children = await ctx.sql.query(`SELECT DISTINCT child_id FROM source_record WHERE external_id LIKE 'RACE-%'`);
    expect(children).toHaveLength(1);
  });

  it('writes no child row: the links name children the golden-record stage builds, enqueued in grouped outbox rows', async () => {
    const before = await count('child');
    const outboxBefore = await count('outbox');
    const res = await ctx.ingest.ingest(Array.from({ length: 150 }, (_, i) => aRecord({ externalId: `STAGE-${i}`, identityNumber: null })));
    expect(res).toMatchObject({ inserted: 150, childrenCreated: 150 });
    expect(res.childrenToRecompute).toHaveLength(150);
    expect(await count('child')).toBe(before);
    // One outbox row per hundred children, carrying their ids.
    const rows = await ctx.sql.query<{ ids: string[] }>(
      `SELECT ARRAY(SELECT jsonb_array_elements_text(payload->'ids')) AS ids FROM outbox WHERE topic = 'golden-record.recompute' ORDER BY id OFFSET $1`, [outboxBefore]);
    expect(rows.map((r) => r.ids.length)).toEqual([100, 50]);
    expect(rows.flatMap((r) => r.ids).sort()).toEqual([...res.childrenToRecompute].sort());
  });

  it('quarantines text PostgreSQL cannot store (U+0000) instead of failing the batch; the raw payload keeps it', async () => {
    const res = await ctx.ingest.ingest([
      aRecord({ externalId: 'NUL-NAME', fullName: 'Nguyễn \u0000Văn' }),
      aRecord({ externalId: 'NUL-RAW', raw: { note: 'bad \u0000 byte' } }),
    ]);
    expect(res).toMatchObject({ inserted: 1, rejected: 1 });
    expect(res.rejects[0]).toMatchObject({ externalId: 'NUL-NAME', problems: [{ field: 'fullName' }] });
    const raw = await ctx.sql.one<{ raw: { note: string } }>(`SELECT raw FROM source_record WHERE external_id = 'NUL-RAW'`);
    expect(raw!.raw.note).toBe('bad \u0000 byte');
  });

  it('writes a batch whole or not at all', async () => {
    const before = await count('source_record');
    const outboxBefore = await count('outbox');
    // A failure in the middle of the batch's writes (here: the database refusing one row) rolls back every write.
    await ctx.sql.query(`CREATE FUNCTION test_refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.external_id = 'POISON' THEN RAISE EXCEPTION 'poison'; END IF; RETURN NEW; END $$`);
    await ctx.sql.query(`CREATE TRIGGER test_refuse_poison BEFORE INSERT ON source_record FOR EACH ROW EXECUTE FUNCTION test_refuse_poison()`);
    try {
      await expect(ctx.ingest.ingest([aRecord({ externalId: 'BEFORE-POISON' }), aRecord({ externalId: 'POISON' }), aRecord({ externalId: 'AFTER-POISON' })])).rejects.toThrow('poison');
    } finally {
      await ctx.sql.query('DROP TRIGGER test_refuse_poison ON source_record');
      await ctx.sql.query('DROP FUNCTION test_refuse_poison()');
    }
    expect(await count('source_record')).toBe(before);
    expect(await count('outbox')).toBe(outboxBefore);
  });

  it('builds the identity-number history and group memberships on recompute, idempotently', async () => {
    const res = await ctx.ingest.ingest([
      aRecord({ externalId: 'GR-1', identityNumber: '001315004444', groups: [{ clause: 'b', since: '2024-05-01' }] }),
      aRecord({ sourceSystem: 'school', externalId: 'GR-2', identityNumber: '001315004444', groups: [{ clause: 'd', subType: 'NHIN' }] }),
    ]);
    const [childId] = res.childrenToRecompute;
    const first = await ctx.goldenRecords.recompute([childId!]);
    expect(first.changed).toEqual([childId]);
    const second = await ctx.goldenRecords.recompute([childId!]);
    expect(second).toEqual({ changed: [], unchanged: [childId], skipped: [] });
    expect(await count('identity_number', `child_id = '${childId}'`)).toBe(1);
    expect(await ctx.sql.query(`SELECT clause, sub_type, started_on FROM special_circumstance WHERE child_id = $1 ORDER BY clause`, [childId]))
      .toEqual([{ clause: 'b', sub_type: null, started_on: '2024-05-01' }, { clause: 'd', sub_type: 'NHIN', started_on: null }]);
  });
});
