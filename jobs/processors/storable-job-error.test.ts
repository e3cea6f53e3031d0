import { DelayedError, RateLimitError, UnrecoverableError, WaitingChildrenError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ConnectorUpstreamUnavailableError } from '../../src/connectors/http/errors/connector-upstream-unavailable-error.js';
import { RegistryRejectedError } from '../../src/errors/registry-rejected-error.js';
import { originalJobError, storableJobError, WITHHELD_MESSAGE } from './storable-job-error.js';

/** What a processor throws to BullMQ, which keeps its message and stack in Redis for 30 days. */
describe('storableJobError', () => {
  const NAME_AND_NUMBER = 'Nguyễn Văn An 001215000123';

  it('keeps a PostgreSQL error\'s SQLSTATE and code locations, not its message, on every line of the stack', () => {
    const pg = Object.assign(new Error(`invalid input syntax for type date: "${NAME_AND_NUMBER}"\nDETAIL: ${NAME_AND_NUMBER}`), { name: 'error', code: '22007', severity: 'ERROR' });
    const safe = storableJobError(pg);
    expect(safe.message).toBe(`PostgreSQL 22007: ${WITHHELD_MESSAGE}`);
    expect(safe.stack!.split('\n')[0]).toBe(`Error: PostgreSQL 22007: ${WITHHELD_MESSAGE}`);
    expect(safe.stack!.split('\n').slice(1).every((l) => /^\s+at \S/.test(l))).toBe(true);
    expect(safe.stack).not.toMatch(/Nguy|001215000123/);
    expect(safe).not.toBeInstanceOf(UnrecoverableError); // retried as before
    expect(originalJobError(safe)).toBe(pg); // what the worker logs, redacted
  });

  it('keeps the message the hub vouches for, and withholds a registry\'s words, failing for good as asked', () => {
    const upstream = new ConnectorUpstreamUnavailableError('GET /api failed after 6 attempts (last: HTTP 500)', {});
    expect(storableJobError(upstream).message).toBe('CONNECTOR_UPSTREAM_UNAVAILABLE: GET /api failed after 6 attempts (last: HTTP 500)');
    const refused = storableJobError(new RegistryRejectedError(`rejected ${NAME_AND_NUMBER}`), { unrecoverable: true });
    expect(refused).toBeInstanceOf(UnrecoverableError);
    expect(refused.message).toBe(`REGISTRY_REJECTED: ${WITHHELD_MESSAGE}`);
    // An UnrecoverableError stays one; a plain error without a code is named by its type.
    expect(storableJobError(new UnrecoverableError(NAME_AND_NUMBER))).toBeInstanceOf(UnrecoverableError);
    expect(storableJobError(new TypeError(NAME_AND_NUMBER)).message).toBe(`TypeError: ${WITHHELD_MESSAGE}`);
  });

  it('carries the retry delay and code the queue reads, and leaves BullMQ\'s steering errors and its own as they are', () => {
    const safe = storableJobError(Object.assign(new Error(NAME_AND_NUMBER), { code: 'ECONNRESET' }), { retryDelayMs: 15_000 });
    expect(safe).toMatchObject({ code: 'ECONNRESET', retryDelayMs: 15_000, message: `ECONNRESET: ${WITHHELD_MESSAGE}` });
    expect(storableJobError(safe)).toBe(safe);
    for (const steering of [new DelayedError(), new WaitingChildrenError(), new RateLimitError()]) expect(storableJobError(steering)).toBe(steering);
  });
});
