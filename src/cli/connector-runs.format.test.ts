import { describe, expect, it } from 'vitest';
import { attemptsLine, checkpointLine, lastRunLine, progressLine, rejectsAndSuccessLine, removalsLines, requestedRunLine, retryingLine } from './connector-runs.format.js';

/** What `connectors sync` redraws while a run reads, and what `connectors list` says of the last run. */
describe('connector run lines', () => {
  const counts = { batches: 3, fetched: 3000, inserted: 12, updated: 4, unchanged: 2984, rejected: 0 };

  it('the live line of a sync shows repeated ids among the counts when there are some', () => {
    expect(progressLine('justice-register', { ...counts, repeatedIds: 2, location: 'khai-sinh.csv rows 2001-3000' }))
      .toBe('justice-register: 3 batches, 3000 fetched, 12 new, 4 changed, 2984 unchanged, 0 rejected, 2 repeated id(s) (khai-sinh.csv rows 2001-3000)');
    // None: the line is as it was (they are rare, as the summary's own line is).
    expect(progressLine('school', { ...counts, repeatedIds: 0 }))
      .toBe('school: 3 batches, 3000 fetched, 12 new, 4 changed, 2984 unchanged, 0 rejected');
  });

  it('`connectors list` shows the last run\'s repeated ids when there are some', () => {
    const finishedAt = new Date('2026-12-09T01:02:03.000Z');
    expect(lastRunLine({ status: 'SUCCEEDED', finishedAt, fetched: 6, rejected: 1, repeatedIds: 1 }))
      .toBe('last run SUCCEEDED 2026-12-09T01:02:03.000Z fetched 6 rejected 1 repeated ids 1');
    expect(lastRunLine({ status: 'FAILED', finishedAt, fetched: 6, rejected: 1, repeatedIds: 0 }))
      .toBe('last run FAILED 2026-12-09T01:02:03.000Z fetched 6 rejected 1');
    expect(lastRunLine(undefined)).toBe('never run');
  });

  it('`connectors list` says a RUNNING last run has shown no sign of life past the stall window (QA: a killed CLI sync looked alive)', () => {
    const startedAt = new Date('2026-12-09T01:02:03.000Z');
    const running = { status: 'RUNNING', startedAt, finishedAt: null, fetched: 34000, rejected: 0, repeatedIds: 0, stallMs: 120_000 };
    expect(lastRunLine({ ...running, silentMs: 30_000 })).toBe('last run RUNNING since 2026-12-09T01:02:03.000Z fetched 34000 rejected 0');
    expect(lastRunLine({ ...running, silentMs: 3_720_000 })).toBe(
      'last run RUNNING since 2026-12-09T01:02:03.000Z (no sign of life for 1 h 2 min: its process stopped or froze; the next sync goes on from its checkpoint) fetched 34000 rejected 0');
  });

  it('`connectors list` names a failed last run\'s error code, the open rejects and the last success', () => {
    const finishedAt = new Date('2026-12-09T01:02:03.000Z');
    expect(lastRunLine({ status: 'FAILED', finishedAt, fetched: 6, rejected: 1, repeatedIds: 0, errorCode: 'CONNECTOR_UPSTREAM_UNAVAILABLE' }))
      .toBe('last run FAILED CONNECTOR_UPSTREAM_UNAVAILABLE 2026-12-09T01:02:03.000Z fetched 6 rejected 1');
    expect(rejectsAndSuccessLine(3, { runId: 'run_1', finishedAt })).toBe('3 open rejects; last succeeded 2026-12-09T01:02:03.000Z (run run_1)');
    expect(rejectsAndSuccessLine(1, undefined)).toBe('1 open reject; never succeeded');
    expect(rejectsAndSuccessLine(0, { runId: 'run_1', finishedAt })).toBe('no open rejects; last succeeded 2026-12-09T01:02:03.000Z (run run_1)');
  });

  it('`connectors list` says since when a RETRYING last run runs, which attempt failed with what code, and when the next is due', () => {
    const startedAt = new Date('2026-12-09T01:02:03.000Z');
    const nextAttemptAt = new Date('2026-12-09T01:07:03.000Z');
    const failed = (attempt: number | null) => ({ attempt, code: 'CONNECTOR_UPSTREAM_UNAVAILABLE', message: 'the source did not answer' });
    const retrying = { status: 'RETRYING', startedAt, finishedAt: null, fetched: 0, rejected: 0, repeatedIds: 0, errorCode: null };
    // QA: `last run RETRYING  fetched 0 rejected 0`, a double space where a time would go.
    expect(lastRunLine({ ...retrying, failedAttempts: [failed(2), failed(3)], maxAttempts: 5, nextAttemptAt }))
      .toBe('last run RETRYING since 2026-12-09T01:02:03.000Z (attempt 3 of 5 failed: CONNECTOR_UPSTREAM_UNAVAILABLE; next attempt at 2026-12-09T01:07:03.000Z) fetched 0 rejected 0');
    // The code only: its message is the run's to tell (connectorRun(id).failedAttempts).
    expect(lastRunLine({ ...retrying, failedAttempts: [failed(null)], maxAttempts: null, nextAttemptAt: null }))
      .toBe('last run RETRYING since 2026-12-09T01:02:03.000Z (an attempt failed: CONNECTOR_UPSTREAM_UNAVAILABLE; its job tries again) fetched 0 rejected 0');
    // A run not ended has no end time to show: a RUNNING one says since when.
    expect(lastRunLine({ ...retrying, status: 'RUNNING', fetched: 200 })).toBe('last run RUNNING since 2026-12-09T01:02:03.000Z fetched 200 rejected 0');
  });

  it('`connectors list` says since when a QUEUED last run waits, and how long that is (QA: it said nothing of it)', () => {
    const requestedAt = new Date('2026-12-09T01:02:03.000Z');
    const queued = { status: 'QUEUED', requestedAt, startedAt: null, finishedAt: null, fetched: 0, rejected: 0, repeatedIds: 0 };
    expect(lastRunLine(queued, requestedAt.getTime() + 4 * 60_000 + 10_000))
      .toBe('last run QUEUED since 2026-12-09T01:02:03.000Z (queued 4 min 10 s ago) fetched 0 rejected 0');
    expect(lastRunLine(queued, requestedAt.getTime() + 26 * 3_600_000)).toBe('last run QUEUED since 2026-12-09T01:02:03.000Z (queued 1 d 2 h ago) fetched 0 rejected 0');
    // Its request time not known (a caller that does not read it): nothing made up.
    expect(lastRunLine({ ...queued, requestedAt: undefined })).toBe('last run QUEUED fetched 0 rejected 0');
  });

  it('`connectors sync` says it follows a run already queued, and with --no-wait that it returns it (it follows nothing)', () => {
    const runId = 'run_01J0000000000000000000000A';
    expect(requestedRunLine('school', { runId, alreadyQueued: true }, true))
      .toBe(`run ${runId} of school was already queued and not yet started: following it instead of queuing another`);
    expect(requestedRunLine('school', { runId, alreadyQueued: true }, false))
      .toBe(`run ${runId} of school was already queued and not yet started: returning it instead of queuing another`);
    expect(requestedRunLine('school', { runId, alreadyQueued: false }, false)).toBe(`queued run ${runId}`);
  });

  it('says what a full read found gone from the source: marked, returned, or held back and why', () => {
    const none = { stored: 400, marked: 0, returned: 0, held: 0, heldReason: null, absent: 0 };
    expect(removalsLines(undefined)).toEqual([]);
    expect(removalsLines(none)).toEqual([]);
    expect(removalsLines({ ...none, marked: 3, absent: 5 }))
      .toEqual(['3 record(s) no longer returned by the source marked absent; 5 of the 400 stored now marked absent (kept, not deleted: SourceRecord.absentFromSourceSince)']);
    expect(removalsLines({ ...none, marked: 3, returned: 1, absent: 3 }))
      .toEqual(['3 record(s) no longer returned by the source marked absent, 1 marked absent before returned again (unmarked); 3 of the 400 stored now marked absent (kept, not deleted: SourceRecord.absentFromSourceSince)']);
    // All back: no "0 of 400" (QA).
    expect(removalsLines({ ...none, returned: 2 })).toEqual(['2 marked absent before returned again (unmarked); none of the source\'s records is marked absent now']);
    // The share of what the source had, precise enough not to read "5.0% … more than 5%" (QA: 72 of 1,429).
    expect(removalsLines({ ...none, stored: 1449, absent: 20, held: 72, heldReason: 'OVER_MAX_SHARE' }, 0.05))
      .toEqual(['records gone from the source NOT marked: this read did not return 72 (5.04% of the 1429 the source had), more than removals.maxShare (5%) allows: '
        + 'a source answering with part of its data? Check the source; if they are really gone, raise removals.maxShare for the next full read (--force)']);
    // Held, and some returned: both said (QA: only the held line was printed).
    const both = removalsLines({ ...none, returned: 1, absent: 4, held: 100, heldReason: 'OVER_MAX_SHARE' }, 0.05);
    expect(both).toHaveLength(2);
    expect(both[0]).toBe('1 marked absent before returned again (unmarked); 4 of the 400 stored now marked absent (kept, not deleted: SourceRecord.absentFromSourceSince)');
    expect(removalsLines({ ...none, held: 2, heldReason: 'UNIDENTIFIED_REJECTS' })[0]).toMatch(/^records gone from the source NOT marked: this read did not return 2, but it quarantined records whose id could not be read/);
    expect(removalsLines({ ...none, rejectsClosed: 2 })).toEqual(['2 quarantined record(s) the source no longer sends closed (NOT_SENT_AGAIN: connectors rejects <name> --resolution NOT_SENT_AGAIN)']);
    expect(removalsLines({ ...none, rejectsClosed: 0 })).toEqual([]);
  });

  it('says what a file connector\'s lists (wholeLists) marked, unmarked or held back', () => {
    const none = { stored: 12, marked: 0, returned: 0, held: 0, heldReason: null, absent: 0 };
    expect(removalsLines(none, undefined, true)).toEqual([]);
    expect(removalsLines({ ...none, marked: 2, returned: 1, absent: 2 }, undefined, true)).toEqual([
      '2 record(s) a later file no longer lists marked absent, 1 marked absent before listed again (unmarked); 2 of this connector\'s records now marked absent (kept, not deleted: SourceRecord.absentFromSourceSince)',
    ]);
    expect(removalsLines({ ...none, held: 1, heldReason: 'UNIDENTIFIED_REJECTS' }, undefined, true)).toEqual([
      'records a file no longer lists NOT marked: 1, because the file held records whose id could not be read (any of them may be one of these): fix those rows and drop the file again',
    ]);
  });

  it('`connectors list` shows a checkpoint with a source\'s cursor withheld, as GraphQL does (QA: a cursor held a child\'s name and number)', () => {
    const school = { kind: 'http' as const, http: { pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next_cursor', sizeParam: 'limit', size: 1000 } } } as Parameters<typeof checkpointLine>[1];
    const state = { since: null, next: { params: { limit: '1000', cursor: 'NGUYỄN VĂN AN|001215000123' } }, highWater: '2026-12-14T09:00:00.000Z', page: 2 };
    expect(checkpointLine(state, school))
      .toBe('checkpoint {"since":null,"next":{"params":{"limit":"1000","cursor":"[withheld]"}},"highWater":"2026-12-14T09:00:00.000Z","page":2}');
    // A file's position is another matter (its own view); none, no line.
    expect(checkpointLine({ file: { checksum: 'a'.repeat(64), name: 'x.csv' }, sheetIndex: 0, rowsDone: 500 }, undefined))
      .toBe(`checkpoint {"file":{"checksum":"${'a'.repeat(64)}","name":"x.csv"},"sheetIndex":0,"rowsDone":500}`);
    expect(checkpointLine(null, school)).toBeNull();
  });

  it('`connectors sync` says an attempt failed and when the next is due (RETRYING is no end), and how many failed before the end', () => {
    const due = new Date('2026-12-14T10:32:15.000Z');
    const failed = { attempt: 1, code: 'CONNECTOR_UPSTREAM_UNAVAILABLE', message: 'GET /api/v1/hoc-sinh failed after 6 attempts (last: HTTP 500)' };
    expect(retryingLine('school', failed, 5, due, due.getTime() - 14_200)).toBe(
      'school: attempt 1 of 5 failed — CONNECTOR_UPSTREAM_UNAVAILABLE: GET /api/v1/hoc-sinh failed after 6 attempts (last: HTTP 500); '
      + 'the next attempt is due at 2026-12-14T10:32:15.000Z (in 14 s), from the checkpoint of the last stored batch (RETRYING; Ctrl-C stops following, not the sync)');
    expect(attemptsLine('SUCCEEDED', 2)).toBe('succeeded after 2 failed attempt(s) (their errors: connectorRun(id).failedAttempts)');
    expect(attemptsLine('SUCCEEDED', 0)).toBeNull();
    // A run failed at its one attempt (an error no retry fixes): its error line says it all.
    expect(attemptsLine('FAILED', 1)).toBeNull();
    expect(attemptsLine('FAILED', 5)).toBe('failed 5 attempt(s) (each error: connectorRun(id).failedAttempts)');
  });
});
