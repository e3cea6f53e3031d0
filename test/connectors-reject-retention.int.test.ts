import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { startWorker, type RunningWorker } from '../jobs/worker.js';
import { createLogger } from '../src/observability/logger.js';
import { eraseClosedRejectPayloads } from '../src/services/ingest/reject-retention.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { CELL, plainRows, withCells, type RegisterRow } from './support/register-rows.js';
import { tempDir } from './support/temp-dir.js';

interface Reject {
  id: string;
  externalId: string | null;
  resolution: string | null;
  payload: string | null;
  payloadErasedAt: string | null;
}

/**
 * Storage limitation for the quarantine (REJECT_PAYLOAD_RETENTION_DAYS): the payload of a reject closed because its
 * record was stored (STORED), read again otherwise (SUPERSEDED) or no longer sent (NOT_SENT_AGAIN) is erased once its retention has passed; open and
 * dismissed rejects keep theirs. Over the justice register's CSV with three rows given an impossible birth date:
 * one fixed (STORED), one broken otherwise (SUPERSEDED, and a new open row), one dismissed.
 */
describe('erasing the payloads of closed rejects past their retention', () => {
  let hub: TestHub;
  let file: string;
  let original: string;
  const lines: string[] = [];
  const saved = { ...process.env };
  let broken: RegisterRow[] = [];
  let worker: RunningWorker | undefined;

  /** The file with the chosen rows' birth dates set to `dates` (null: as in the original). */
  const withDates = (dates: Array<string | null>) => withCells(original, broken, CELL.birthDate, dates);
  const sync = async (text: string) => {
    writeFileSync(file, text);
    const run = await hub.ctx.connectors.run('justice-register', { trigger: 'CLI', files: [file], force: true });
    expect(run.status).toBe('SUCCEEDED');
    return run;
  };
  const rejects = async (sub: string): Promise<Reject[]> => {
    const res = await hub.gql<{ rejectedRecords: Reject[] }>(
      '{ rejectedRecords(connector: "justice-register", unresolvedOnly: false, first: 100) { id externalId resolution payload payloadErasedAt } }',
      {}, await hub.token({ sub, roles: ['data_steward'] }));
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.rejectedRecords;
  };
  const byId = (list: Reject[], externalId: string, resolution: string | null) =>
    list.find((r) => r.externalId === externalId && r.resolution === resolution)!;
  /** Moves every closed reject's resolution `days` into the past, as if that long had gone by. */
  const age = (days: number) => hub.ctx.sql.query(
    `UPDATE rejected_record SET resolved_at = resolved_at - make_interval(days => $1::int) WHERE resolved_at IS NOT NULL`, [days]);

  beforeAll(async () => {
    const dir = tempDir('childhub-reject-retention-');
    const drop = await writeJusticeRegisterDrop({ dir, seed: 515, count: 80, brokenRows: 0 });
    file = drop.files.find((f) => f.path.endsWith('.csv'))!.path;
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    hub = await startTestHub({ logger: createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } }) });
    original = readFileSync(file, 'utf8');
    broken = plainRows(original, 3, 19);
    expect((await sync(withDates(['31/02/2015', '31/02/2015', '31/02/2015']))).rejected).toBe(3);
    // The first fixed (its reject STORED), the second broken otherwise (SUPERSEDED, and a new open row), the third as before.
    expect((await sync(withDates([null, '30/02/2015', '31/02/2015']))).rejected).toBe(2);
    const third = byId(await rejects('setup'), broken[2]!.externalId, null);
    const dismissed = await hub.gql('mutation { dismissRejectedRecords(ids: ["' + third.id + '"], reason: "Dòng thử nghiệm") { id } }', {}, await hub.token({ roles: ['integration_engineer'] }));
    expect(dismissed.body.errors).toBeUndefined();
    // A fourth record quarantined, then no longer sent by a complete full read (NOT_SENT_AGAIN: an HTTP connector's
    // whole read closes it; written here as that read leaves it).
    await hub.ctx.sql.query(
      `INSERT INTO rejected_record (id, connector_id, connector_run_id, last_run_id, source_system, external_id, payload, payload_hash, reasons,
                                    resolved_at, resolution, resolved_by_run_id)
       SELECT 'rej_notsentagain0000000000', r.connector_id, r.id, r.id, s.source_system, 'GONE-1', '{"so":"GONE-1"}', repeat('a', 64),
              '[{"field":"birthDate","code":"INVALID_DATE","message":"x"}]', now(), 'NOT_SENT_AGAIN', r.id
         FROM connector_run r JOIN connector s ON s.id = r.connector_id WHERE s.name = 'justice-register' ORDER BY r.created_at DESC LIMIT 1`);
  });

  afterAll(async () => {
    await worker?.close();
    await hub?.close();
    process.env = saved;
  });

  it('keeps every payload within the retention', async () => {
    await age(29);
    expect(await eraseClosedRejectPayloads(hub.ctx.sql, 30)).toBe(0);
    expect((await hub.ctx.sql.query('SELECT id FROM rejected_record WHERE payload IS NULL OR payload_erased_at IS NOT NULL'))).toEqual([]);
  });

  it('erases the payloads of STORED and SUPERSEDED rejects past it, keeping their rows; open and dismissed ones keep theirs', async () => {
    await age(2);
    // A worker of the connector-sync queue erases them when it starts (and hourly).
    worker = await startWorker(hub.ctx, { queues: ['connector-sync'], relay: false });
    const deadline = Date.now() + 10_000;
    while ((await hub.ctx.sql.query('SELECT 1 FROM rejected_record WHERE payload_erased_at IS NOT NULL')).length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const rows = await hub.ctx.sql.query<{ external_id: string; resolution: string | null; erased: boolean; payload_hash: string; reasons: unknown[] }>(
      `SELECT external_id, resolution, payload_erased_at IS NOT NULL AS erased, payload_hash, reasons FROM rejected_record ORDER BY external_id, resolution NULLS FIRST`);
    const [fixed, otherwise, dismissed] = broken.map((b) => b.externalId);
    expect(rows.map(({ external_id, resolution, erased }) => ({ external_id, resolution, erased })).sort((x, y) => `${x.external_id}${x.resolution}`.localeCompare(`${y.external_id}${y.resolution}`))).toEqual([
      { external_id: fixed, resolution: 'STORED', erased: true },
      { external_id: otherwise, resolution: 'SUPERSEDED', erased: true },
      { external_id: otherwise, resolution: null, erased: false },
      { external_id: dismissed, resolution: 'DISMISSED', erased: false },
      { external_id: 'GONE-1', resolution: 'NOT_SENT_AGAIN', erased: true },
    ].sort((x, y) => `${x.external_id}${x.resolution}`.localeCompare(`${y.external_id}${y.resolution}`)));
    // The rows keep what tells the record's story: its reasons and its payload's hash.
    expect(rows.every((r) => r.payload_hash.length === 64 && r.reasons.length > 0)).toBe(true);
    // Logged as a count: no id, no value.
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => typeof l.msg === 'string' && l.msg.startsWith('payloads of closed quarantined records'));
    expect(logged).toMatchObject({ erased: 3, retentionDays: 30 });
    expect(await eraseClosedRejectPayloads(hub.ctx.sql, 30)).toBe(0);
  });

  it('shows the erasure over GraphQL: an erased payload is null, with when, and its read releases and audits nothing', async () => {
    const list = await rejects('after-erasure');
    const [fixed, otherwise, dismissed] = broken.map((b) => b.externalId);
    for (const r of [byId(list, fixed!, 'STORED'), byId(list, otherwise!, 'SUPERSEDED'), byId(list, 'GONE-1', 'NOT_SENT_AGAIN')]) {
      expect(r.payload).toBeNull();
      expect(Date.parse(r.payloadErasedAt!)).toBeGreaterThan(Date.now() - 60_000);
    }
    const kept = [byId(list, otherwise!, null), byId(list, dismissed!, 'DISMISSED')];
    for (const r of kept) {
      expect(r.payloadErasedAt).toBeNull();
      // The record as it arrived: its row's cells, its id among them.
      expect(Object.values(JSON.parse(r.payload!) as Record<string, unknown>)).toContain(r.externalId);
    }
    // The read names the two payloads it released, not the erased ones.
    const audit = await hub.ctx.sql.query<{ details: { rejectedRecordIds: string[] } }>(`SELECT details FROM audit_event WHERE subject = 'after-erasure' AND action = 'READ'`);
    expect(audit.map((a) => a.details.rejectedRecordIds)).toEqual([kept.map((r) => r.id).sort()]);
  });

  it('keeps every payload with a retention of 0', async () => {
    await age(10_000);
    expect(await eraseClosedRejectPayloads(hub.ctx.sql, 0)).toBe(0);
  });
});
