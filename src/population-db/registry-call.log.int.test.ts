import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '../db/sql.js';
import { createLogger } from '../observability/logger.js';
import { createTestEnv, type TestEnv } from '../../test/support/test-env.js';
import { closeUnfinishedCalls, RegistryCallLog, type RegistryCallEntry } from './registry-call.log.js';

describe('RegistryCallLog', () => {
  let env: TestEnv;
  let sql: Sql;
  let log: RegistryCallLog;
  const lines: string[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    sql = createSql(env.databaseUrl, 2);
    log = new RegistryCallLog(sql, createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } }));
  });
  afterAll(async () => {
    await sql?.close();
    await env?.cleanup();
  });

  const entry = (overrides: Partial<RegistryCallEntry> = {}): RegistryCallEntry => ({
    requestId: randomUUID(),
    operation: 'XacThucThongTinCongDan',
    transport: 'soap',
    childId: 'chd_01JD0000000000000000000000',
    officerId: 'CB-0042',
    unit: 'so-ldtbxh-ha-noi',
    purposeCode: 'CHILD-ID-RECONCILIATION',
    caseRef: 'HS-2026-0001',
    outcome: 'MISMATCH',
    httpStatus: 200,
    latencyMs: 123.6,
    startedAt: new Date('2026-11-25T08:30:05.123Z'),
    ...overrides,
  });

  it('writes one row per call with every column', async () => {
    const ok = entry();
    const timedOut = entry({ operation: 'TraCuuThongTinCongDan', childId: null, outcome: 'TIMEOUT', httpStatus: null, latencyMs: 10_000 });
    await log.record(ok);
    await log.record(timedOut);

    const rows = await sql.query<Record<string, unknown>>(
      `SELECT request_id, operation, transport, child_id, officer_id, unit, purpose_code, case_ref, outcome, http_status,
              latency_ms, started_at, recorded_at
         FROM registry_call WHERE request_id = ANY($1) ORDER BY id`,
      [[ok.requestId, timedOut.requestId]],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      request_id: ok.requestId,
      operation: 'XacThucThongTinCongDan',
      transport: 'soap',
      child_id: 'chd_01JD0000000000000000000000',
      officer_id: 'CB-0042',
      unit: 'so-ldtbxh-ha-noi',
      purpose_code: 'CHILD-ID-RECONCILIATION',
      case_ref: 'HS-2026-0001',
      outcome: 'MISMATCH',
      http_status: 200,
      latency_ms: 124,
      started_at: new Date('2026-11-25T08:30:05.123Z'),
    });
    expect(rows[0]!['recorded_at']).toBeInstanceOf(Date);
    expect(rows[1]).toMatchObject({ child_id: null, outcome: 'TIMEOUT', http_status: null, latency_ms: 10_000 });
  });

  it('logs a debug line with ids only', async () => {
    const e = entry({ outcome: 'MATCH' });
    await log.record(e);
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['requestId'] === e.requestId);
    expect(line).toMatchObject({ msg: 'population-db call', operation: 'XacThucThongTinCongDan', outcome: 'MATCH', latencyMs: 124 });
  });

  it('refuses a request id twice', async () => {
    const e = entry();
    await log.record(e);
    await expect(log.record(entry({ requestId: e.requestId }))).rejects.toThrow(/unique|duplicate/i);
  });

  it('writes the entries of concurrent calls with one INSERT, each promise settling when its row is written', async () => {
    let statements = 0;
    const query = sql.query.bind(sql);
    const counting = Object.assign(Object.create(sql) as Sql, {
      query: (...args: Parameters<Sql['query']>) => {
        statements++;
        return query(...args);
      },
    });
    const counted = new RegistryCallLog(counting, createLogger({ level: 'silent' }), { batchWindowMs: 20 });
    const entries = Array.from({ length: 25 }, () => entry());
    await Promise.all(entries.map((e) => counted.record(e)));
    expect(statements).toBe(1);
    const n = await sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM registry_call WHERE request_id = ANY($1)`, [entries.map((e) => e.requestId)]);
    expect(n).toEqual({ n: 25 });
  });

  it('fails only the bad entry of a shared INSERT', async () => {
    const batched = new RegistryCallLog(sql, createLogger({ level: 'silent' }), { batchWindowMs: 20 });
    const taken = entry();
    await batched.record(taken);
    const good = [entry(), entry()];
    const results = await Promise.allSettled([batched.record(good[0]!), batched.record(entry({ requestId: taken.requestId })), batched.record(good[1]!)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const n = await sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM registry_call WHERE request_id = ANY($1)`, [good.map((e) => e.requestId)]);
    expect(n).toEqual({ n: 2 });
  });

  it('is append-only: UPDATE and DELETE are refused', async () => {
    const e = entry();
    await log.record(e);
    await expect(sql.query(`UPDATE registry_call SET outcome = 'MATCH' WHERE request_id = $1`, [e.requestId])).rejects.toThrow(
      /append-only/,
    );
    await expect(sql.query(`DELETE FROM registry_call WHERE request_id = $1`, [e.requestId])).rejects.toThrow(/append-only/);
    const row = await sql.one<{ outcome: string }>(`SELECT outcome FROM registry_call WHERE request_id = $1`, [e.requestId]);
    expect(row?.outcome).toBe('MISMATCH');
  });

  describe('every call on record, before it is made (QA: calls made while PostgreSQL was away, or by a killed worker, had no row)', () => {
    const startOf = (e: RegistryCallEntry) => ({
      requestId: e.requestId, operation: e.operation, transport: e.transport, childId: e.childId, officerId: e.officerId,
      unit: e.unit, purposeCode: e.purposeCode, caseRef: e.caseRef, startedAt: e.startedAt,
    });
    const pending = async (ids: string[]) =>
      (await sql.query<{ request_id: string }>('SELECT request_id FROM registry_call_pending WHERE request_id = ANY($1) ORDER BY request_id', [ids])).map((r) => r.request_id);

    it('a start is written, and its outcome row replaces it in one statement', async () => {
      const e = entry({ startedAt: new Date() });
      await log.begin(startOf(e));
      expect(await pending([e.requestId])).toEqual([e.requestId]);
      await log.record(e);
      expect(await pending([e.requestId])).toEqual([]);
      const row = await sql.one<{ outcome: string }>('SELECT outcome FROM registry_call WHERE request_id = $1', [e.requestId]);
      expect(row).toEqual({ outcome: 'MISMATCH' });
    });

    it('a start whose outcome never came is closed as UNKNOWN, with no status or latency, once it is older than the bound; younger ones are left', async () => {
      const old = entry({ startedAt: new Date(Date.now() - 10 * 60_000) });
      const young = entry({ startedAt: new Date() });
      await Promise.all([log.begin(startOf(old)), log.begin(startOf(young))]);
      expect(await closeUnfinishedCalls(sql, 5 * 60_000)).toBe(1);
      expect(await pending([old.requestId, young.requestId])).toEqual([young.requestId]);
      const rows = await sql.query<Record<string, unknown>>(
        `SELECT request_id, operation, child_id, officer_id, purpose_code, case_ref, outcome, http_status, latency_ms, started_at
           FROM registry_call WHERE request_id = ANY($1)`, [[old.requestId, young.requestId]]);
      expect(rows).toEqual([{
        request_id: old.requestId, operation: 'XacThucThongTinCongDan', child_id: old.childId, officer_id: 'CB-0042',
        purpose_code: 'CHILD-ID-RECONCILIATION', case_ref: 'HS-2026-0001', outcome: 'UNKNOWN', http_status: null, latency_ms: null, started_at: old.startedAt,
      }]);
      // Closed once: a second sweep finds nothing more.
      expect(await closeUnfinishedCalls(sql, 5 * 60_000)).toBe(0);
      await log.record(young);
      expect(await pending([young.requestId])).toEqual([]);
    });

    it('an outcome row always has a latency, and an UNKNOWN one never', async () => {
      await expect(log.record(entry({ outcome: 'UNKNOWN' }))).rejects.toThrow(/registry_call_latency_known/);
      await expect(sql.query(
        `INSERT INTO registry_call (request_id, operation, transport, officer_id, unit, purpose_code, case_ref, outcome, latency_ms, started_at)
         VALUES ($1, 'X', 'soap', 'o', 'u', 'p', 'c', 'MATCH', NULL, now())`, [randomUUID()],
      )).rejects.toThrow(/registry_call_latency_known/);
    });
  });
});
