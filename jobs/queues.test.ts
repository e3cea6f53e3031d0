import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { newId } from '../src/db/ids.js';
import { OUTBOX_TOPICS } from '../src/services/outbox/outbox.writer.js';
import { jobIdFor } from './outbox-relay.js';
import { PROCESSORS } from './processors/index.js';
import { DEFAULT_JOB_OPTIONS, QUEUE_NAMES, jobOptionsFor, outboxBindings, parseJobData } from './queues.js';

describe('queue registry', () => {
  it('has a processor for every queue and no ":" in names', () => {
    for (const name of QUEUE_NAMES) {
      expect(typeof PROCESSORS[name]).toBe('function');
      expect(name).not.toContain(':');
    }
  });

  it('maps the golden-record outbox topic to the golden-record queue', () => {
    expect(outboxBindings().get(OUTBOX_TOPICS.goldenRecordRecompute)?.queue).toBe('golden-record');
  });

  it('retries with exponential backoff and jitter, and keeps failed jobs', () => {
    expect(jobOptionsFor('golden-record')).toMatchObject({ attempts: 8, backoff: { type: 'exponential', jitter: 0.5 } });
    expect(DEFAULT_JOB_OPTIONS.removeOnFail.age).toBeGreaterThanOrEqual(7 * 24 * 3600);
  });

  it('accepts child ids and refuses anything else with an UnrecoverableError naming fields, not values', () => {
    const id = newId('child');
    expect(parseJobData('golden-record', { childIds: [id] })).toEqual({ childIds: [id] });
    for (const bad of [{ childIds: [] }, { childIds: ['Trần Thị Bình'] }, { childIds: [id], fullName: 'x' }, null]) {
      let err: unknown;
      try {
        parseJobData('golden-record', bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UnrecoverableError);
      expect((err as Error).message).not.toContain('Trần');
    }
  });
});

describe('identity-issuance job data', () => {
  it('carries the issuance request polled, and still parses polls queued before requests had ids', () => {
    const childId = newId('child');
    const issuanceId = newId('issuanceRequest');
    expect(parseJobData('identity-issuance', { childId, issuanceId, poll: 2 })).toEqual({ childId, issuanceId, poll: 2 });
    expect(parseJobData('identity-issuance', { childId, poll: 2 })).toEqual({ childId, poll: 2 });
    expect(() => parseJobData('identity-issuance', { childId, issuanceId: childId, poll: 2 })).toThrow(UnrecoverableError);
  });
});

describe('jobIdFor', () => {
  it('is deterministic per set of outbox rows, differs for other sets, and is a valid BullMQ id', () => {
    const a = jobIdFor('golden-record', ['4', '6']);
    expect(jobIdFor('golden-record', ['4', '6'])).toBe(a);
    expect(jobIdFor('golden-record', ['4', '5', '6'])).not.toBe(a);
    expect(a).toMatch(/^golden-record-4-6-[0-9a-f]{16}$/);
    expect(a).not.toContain(':');
  });
});
