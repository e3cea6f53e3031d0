import { describe, expect, it } from 'vitest';
import { durationWords } from '../src/util/duration-words.js';
import { catchUpDecision, catchUpJobId, latestSlot, missedSlot, type RunFact } from './missed-slots.js';

const t = (iso: string) => new Date(iso).getTime();

describe('latestSlot', () => {
  it('is the latest slot of the pattern at or before now, in Hà Nội time, as BullMQ reads the pattern', () => {
    expect(latestSlot('*/2 * * * *', t('2026-01-05T00:05:30.000Z'))).toBe(t('2026-01-05T00:04:00.000Z'));
    // A slot exactly now is the latest (BullMQ sets the next one after it).
    expect(latestSlot('*/2 * * * *', t('2026-01-05T00:04:00.000Z'))).toBe(t('2026-01-05T00:04:00.000Z'));
    expect(latestSlot('*/2 * * * *', t('2026-01-05T00:03:59.999Z'))).toBe(t('2026-01-05T00:02:00.000Z'));
    // Nightly at 02:00 Hà Nội (19:00 UTC the day before): at 07:00 Hà Nội, today's.
    expect(latestSlot('0 2 * * *', t('2026-01-05T00:00:00.000Z'))).toBe(t('2026-01-04T19:00:00.000Z'));
    // Mondays at 03:00 Hà Nội: 2026-01-05 is a Monday; on Sunday the 11th, last Monday's.
    expect(latestSlot('0 3 * * 1', t('2026-01-11T05:00:00.000Z'))).toBe(t('2026-01-04T20:00:00.000Z'));
    // Six fields: seconds first.
    expect(latestSlot('*/5 * * * * *', t('2026-01-05T00:00:07.400Z'))).toBe(t('2026-01-05T00:00:05.000Z'));
    expect(latestSlot('not a pattern', Date.now())).toBeNull();
  });
});

describe('missedSlot', () => {
  const now = t('2026-01-05T03:00:00.000Z'); // 10:00 in Hà Nội
  const nightly = '0 2 * * *';
  const due = t('2026-01-04T19:00:00.000Z'); // 02:00 in Hà Nội, today

  it('is the latest slot when the scheduler\'s job for a slot came due and no worker took it', () => {
    expect(missedSlot({ next: due, state: 'delayed', pattern: nightly }, nightly, now)).toBe(due);
    expect(missedSlot({ next: due, state: 'waiting', pattern: nightly }, nightly, now)).toBe(due);
    // Down for three nights: the pending job is the first night's, and only the last is made up.
    expect(missedSlot({ next: due - 2 * 86_400_000, state: 'delayed', pattern: nightly }, nightly, now)).toBe(due);
  });

  it('is none when nothing was missed', () => {
    // Newly scheduled, or the scheduler lost with Redis's data: no slot was set before it came due.
    expect(missedSlot(null, nightly, now)).toBeNull();
    // Not due yet.
    expect(missedSlot({ next: due + 86_400_000, state: 'delayed', pattern: nightly }, nightly, now)).toBeNull();
    // Taken by a worker (running, or done): the upsert does not remove it.
    expect(missedSlot({ next: due, state: 'active', pattern: nightly }, nightly, now)).toBeNull();
    expect(missedSlot({ next: due, state: 'completed', pattern: nightly }, nightly, now)).toBeNull();
    expect(missedSlot({ next: due, state: 'unknown', pattern: nightly }, nightly, now)).toBeNull();
  });

  it('is none when the schedule was edited while no worker ran: its old slots are not run, as a removed schedule\'s are not', () => {
    expect(missedSlot({ next: due, state: 'delayed', pattern: nightly }, '0 2 * * 0', now)).toBeNull();
    expect(missedSlot({ next: due, state: 'delayed', pattern: null }, nightly, now)).toBeNull();
  });
});

describe('catchUpDecision', () => {
  const slot = t('2026-01-04T19:00:00.000Z');
  const run = (over: Partial<RunFact>): RunFact => ({
    id: 'crn_1', status: 'SUCCEEDED', startedAt: new Date(slot + 60_000), createdAt: new Date(slot + 60_000), force: false, ...over,
  });

  it('runs the slot late when no run since did its work', () => {
    expect(catchUpDecision(slot, false, [])).toEqual({ run: true });
    // A run since that failed did not.
    expect(catchUpDecision(slot, false, [run({ status: 'FAILED' })])).toEqual({ run: true });
  });

  it('does not when a run that started at or after the slot did its work (any trigger)', () => {
    expect(catchUpDecision(slot, false, [run({})])).toEqual({ run: false, why: 'covered', runId: 'crn_1', status: 'SUCCEEDED' });
    expect(catchUpDecision(slot, false, [run({ startedAt: new Date(slot) })])).toMatchObject({ run: false, why: 'covered' });
  });

  it('does not add an incremental sync while a run of the connector is queued, running or retrying (one sync at a time)', () => {
    for (const status of ['QUEUED', 'RUNNING', 'RETRYING']) {
      expect(catchUpDecision(slot, false, [run({ status, startedAt: new Date(slot - 3_600_000), createdAt: new Date(slot - 3_600_000) })]))
        .toEqual({ run: false, why: 'busy', runId: 'crn_1', status });
    }
  });

  it('makes up a full read unless a forced read did it or will: it waits behind an incremental run', () => {
    expect(catchUpDecision(slot, true, [run({})])).toEqual({ run: true });
    expect(catchUpDecision(slot, true, [run({ status: 'RETRYING' })])).toEqual({ run: true });
    expect(catchUpDecision(slot, true, [run({ force: true })])).toMatchObject({ run: false, why: 'covered' });
    expect(catchUpDecision(slot, true, [run({ status: 'QUEUED', startedAt: null, createdAt: new Date(slot - 60_000), force: true })]))
      .toMatchObject({ run: false, why: 'covered', status: 'QUEUED' });
    // A forced read that began before the slot read the source before it was due.
    expect(catchUpDecision(slot, true, [run({ force: true, startedAt: new Date(slot - 60_000) })])).toEqual({ run: true });
  });
});

describe('catchUpJobId and durationWords', () => {
  it('name one job per scheduler and slot, without the `:` job ids here must not hold', () => {
    expect(catchUpJobId('connector:justice-register', 1_767_553_200_000)).toBe('missed_connector_justice-register_1767553200000');
    expect(catchUpJobId('connector-full-read:school', 1)).toBe('missed_connector-full-read_school_1');
    expect(catchUpJobId('connector-full-read:x', 1)).not.toBe(catchUpJobId('connector:full-read-x', 1));
  });

  it('says how late in words', () => {
    expect(durationWords(40_000)).toBe('40 s');
    expect(durationWords(130_000)).toBe('2 min 10 s');
    expect(durationWords((8 * 3600 + 5 * 60) * 1000)).toBe('8 h 5 min');
    expect(durationWords(3 * 86_400_000)).toBe('3 d');
  });
});
