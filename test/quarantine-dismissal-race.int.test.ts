import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../src/app/app-context.js';
import { lockQuarantine } from '../src/services/ingest/quarantine-lock.js';
import { RejectDismissal } from '../src/services/ingest/reject-dismissal.service.js';
import type { QuarantinedRecord } from '../src/services/ingest/ingest.service.js';
import { createTestAppContext } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const reject = (externalId: string): QuarantinedRecord => ({
  sourceSystem: 'justice-register', externalId, location: 'khai-sinh.csv row 2', payload: { row: ['x'] },
  problems: [{ field: 'birthDate', code: 'INVALID_DATE', message: 'not a date' }],
});

/** Whether the promise is still pending after `ms`. */
async function stillPending(p: Promise<unknown>, ms = 300): Promise<boolean> {
  return Promise.race([p.then(() => false, () => false), new Promise<boolean>((r) => setTimeout(() => r(true), ms))]);
}

/**
 * A dismissal and a sync batch quarantining the same record never interleave: the batch that comes second sees
 * the first's outcome. Before, a batch whose statement began as a dismissal committed found the record's row
 * still open, then closed when it came to write, and opened a new one: the dismissed record was back.
 */
describe('dismissing rejects while a sync quarantines them', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let dismissal: RejectDismissal;

  beforeAll(async () => {
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
    dismissal = new RejectDismissal(ctx.sql);
  });
  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
  });

  const rows = (externalId: string) => ctx.sql.query<{ resolution: string | null; times_seen: number }>(
    'SELECT resolution, times_seen FROM rejected_record WHERE external_id = $1 ORDER BY created_at, id', [externalId]);
  const idOf = async (externalId: string) => (await ctx.sql.one<{ id: string }>('SELECT id FROM rejected_record WHERE external_id = $1', [externalId]))!.id;

  it('a batch reading the record while a dismissal is in progress waits, then keeps it dismissed (seen again, not reopened)', async () => {
    await ctx.sql.tx((client) => ctx.ingest.quarantine(client, [reject('KS-RACE-1')]));
    const id = await idOf('KS-RACE-1');
    // A dismissal in progress: it holds the quarantine lock, its update not committed yet.
    const steward = await ctx.sql.pool.connect();
    try {
      await steward.query('BEGIN');
      await lockQuarantine(steward, ['justice-register']);
      await steward.query(`UPDATE rejected_record SET resolved_at = now(), resolution = 'DISMISSED', resolved_by = 'steward', resolution_note = 'test' WHERE id = $1`, [id]);
      const batch = ctx.sql.tx((client) => ctx.ingest.quarantine(client, [reject('KS-RACE-1')]));
      expect(await stillPending(batch)).toBe(true); // waits for the dismissal
      await steward.query('COMMIT');
      await batch;
    } finally {
      steward.release();
    }
    expect(await rows('KS-RACE-1')).toEqual([{ resolution: 'DISMISSED', times_seen: 2 }]);
  });

  it('a dismissal while a batch quarantining the record is in progress waits for the batch, then dismisses', async () => {
    await ctx.sql.tx((client) => ctx.ingest.quarantine(client, [reject('KS-RACE-2')]));
    const id = await idOf('KS-RACE-2');
    const sync = await ctx.sql.pool.connect();
    try {
      await sync.query('BEGIN');
      await ctx.ingest.quarantine(sync, [reject('KS-RACE-2')]); // seen again, not committed yet
      const dismissed = dismissal.dismiss([id], 'steward', 'steward', 'never fixed at the source');
      expect(await stillPending(dismissed)).toBe(true);
      await sync.query('COMMIT');
      await dismissed;
    } finally {
      sync.release();
    }
    expect(await rows('KS-RACE-2')).toEqual([{ resolution: 'DISMISSED', times_seen: 2 }]);
  });
});
