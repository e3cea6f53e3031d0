import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from '../jobs/worker.js';
import type { AppContext } from '../src/app/app-context.js';
import type { DatePrecision } from '../src/domain/source-record-input.js';
import { GoldenRecordService } from '../src/services/golden-record/golden-record.service.js';
import { createTestAppContext, waitFor } from './support/jobs-test-context.js';
import { aRecord } from './support/records.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * Time passes: a child who turns 16 leaves their groups although none of their records changes, because the
 * daily `groups-age-out` job finds them and their golden record is recomputed (real PostgreSQL, Redis, worker
 * and outbox relay). The clock is injected: the children are built on 1 December 2025 and the job runs on
 * 3 December 2026, in Hà Nội.
 */
describe('groups end at 16', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let worker: RunningWorker | undefined;
  let now = new Date('2025-12-01T12:00:00+07:00');

  beforeAll(async () => {
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
    ctx.goldenRecords = new GoldenRecordService(ctx.sql, () => now);
  });
  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
    await env?.cleanup();
  });

  const groups = [{ clause: 'b' as const, since: '2012-05-01' }, { clause: 'd' as const, subType: 'VAN_DONG' }];
  /** Ingests one child's record with group evidence; returns the child's id. */
  const childBorn = async (birthDate: string | null, birthDatePrecision: DatePrecision | null, g: typeof groups | [] = groups) => {
    const res = await ctx.ingest.ingest([aRecord({ identityNumber: null, birthDate, birthDatePrecision, groups: g })]);
    return res.childrenToRecompute[0]!;
  };
  const child = (id: string) => ctx.sql.one<{ group_clauses: string[]; version: number }>('SELECT group_clauses, version FROM child WHERE id = $1', [id]);
  const endings = async (id: string) =>
    (await ctx.sql.query<{ clause: string; ended_on: string | null }>(
      `SELECT clause, to_char(ended_on, 'YYYY-MM-DD') AS ended_on FROM special_circumstance WHERE child_id = $1 ORDER BY clause`, [id]))
      .map((r) => [r.clause, r.ended_on]);

  it('ends the groups of the children who turned 16 when the daily job runs, and only theirs', async () => {
    const turned = {
      day: await childBorn('2010-12-03', 'DAY'), // 16 on 3 December 2026
      month: await childBorn('2010-11-01', 'MONTH'), // 16 by 30 November 2026
      year: await childBorn('2009-01-01', 'YEAR'), // 16 by 31 December 2025
    };
    const under = {
      day: await childBorn('2010-12-04', 'DAY'),
      month: await childBorn('2010-12-01', 'MONTH'), // maybe born on 31 December 2010
      year: await childBorn('2010-01-01', 'YEAR'),
      undated: await childBorn(null, null),
    };
    const grownWithoutGroups = await childBorn('2000-01-01', 'DAY', []);
    const all = [...Object.values(turned), ...Object.values(under), grownWithoutGroups];
    // Built a year earlier: every one of them under 16, in groups b and d. Ingest's own recompute requests are
    // done with (the job, not a record change, must be what ends the groups).
    await ctx.goldenRecords.recompute(all);
    await ctx.sql.query('UPDATE outbox SET relayed_at = now() WHERE relayed_at IS NULL');
    for (const id of [...Object.values(turned), ...Object.values(under)]) expect((await child(id))!.group_clauses).toEqual(['b', 'd']);

    now = new Date('2026-12-03T12:00:00+07:00');
    worker = await startWorker(ctx, { queues: ['golden-record', 'groups-age-out'] });
    // The worker schedules the job daily, just after midnight in Hà Nội.
    const schedulers = await worker.queueClient.queue('groups-age-out').getJobSchedulers(0, -1);
    expect(schedulers).toEqual([expect.objectContaining({ key: 'groups-age-out', pattern: '5 0 * * *', tz: 'Asia/Ho_Chi_Minh' })]);
    // Nothing has changed in their records: until the job runs, they are still in their groups.
    await worker.idle(15_000);
    expect((await child(turned.day))!.group_clauses).toEqual(['b', 'd']);

    const job = await worker.queueClient.queue('groups-age-out').add('age-out', {});
    await waitFor(async () => (await job.isCompleted()) || (await job.isFailed()), 15_000, 'groups-age-out job');
    expect(await job.isCompleted()).toBe(true);
    await worker.idle(15_000);

    // Out of every group, the memberships kept as history ending on the (last possible) 16th birthday.
    for (const [id, sixteen] of [[turned.day, '2026-12-03'], [turned.month, '2026-11-30'], [turned.year, '2025-12-31']] as const) {
      expect((await child(id))!.group_clauses, id).toEqual([]);
      expect(await endings(id)).toEqual([['b', sixteen], ['d', sixteen]]);
    }
    for (const id of Object.values(under)) {
      expect((await child(id))!.group_clauses, id).toEqual(['b', 'd']);
      expect(await endings(id)).toEqual([['b', null], ['d', null]]);
    }
    // The job's look-up agrees with the recompute: it found exactly the three, and finds nobody now.
    const { returnvalue } = (await worker.queueClient.queue('groups-age-out').getJob(job.id!))!;
    expect(returnvalue).toEqual({ enqueued: 3 });
    expect(await ctx.goldenRecords.enqueueAgedOut()).toEqual([]);
  }, 60_000);
});
