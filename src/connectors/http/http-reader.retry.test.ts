import { Readable } from 'node:stream';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failureOf, harness, readAll, rows } from './testing/reader-harness.js';

const BASE = 'http://source.test';
const PATH = '/api/records';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('HttpReader retries', () => {
  it('honours Retry-After in seconds on 429', async () => {
    const { reader, ctx, waits, events } = harness({});
    nock(BASE).get(PATH).reply(429, 'slow down', { 'Retry-After': '3' });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 2) });
    const batches = await readAll(reader, null, ctx);
    expect(batches[0]!.records).toHaveLength(2);
    expect(waits()).toEqual([3000]);
    expect(events).toEqual([{ type: 'retry', attempt: 1, status: 429, delayMs: 3000, retryAfterMs: 3000 }]);
  });

  it('honours Retry-After as an HTTP date on 429', async () => {
    const { reader, ctx, waits, clock } = harness({});
    const at = new Date(clock.now().getTime() + 7000).toUTCString();
    nock(BASE).get(PATH).reply(429, '', { 'Retry-After': at });
    nock(BASE).get(PATH).reply(200, { data: [] });
    await readAll(reader, null, ctx);
    expect(waits()).toEqual([7000]);
  });

  it('a Retry-After longer than maxDelayMs stops the read at once, without asking again early', async () => {
    const { reader, ctx, waits } = harness({ retry: { maxDelayMs: 10_000 } });
    nock(BASE).get(PATH).reply(503, '', { 'Retry-After': '3600' });
    await expect(readAll(reader, null, ctx)).rejects.toMatchObject({
      code: 'CONNECTOR_UPSTREAM_UNAVAILABLE',
      message: expect.stringContaining('answered HTTP 503 with Retry-After 3600 s, longer than retry.maxDelayMs (10 s) allows a sync to wait'),
      details: { status: 503, retryAfterMs: 3_600_000, attempts: 1 },
    });
    expect(waits()).toEqual([]);
  });

  it('a Retry-After within maxDelayMs is waited for exactly', async () => {
    const { reader, ctx, waits } = harness({ retry: { maxDelayMs: 10_000 } });
    nock(BASE).get(PATH).reply(429, '', { 'Retry-After': '10' });
    nock(BASE).get(PATH).reply(200, { data: [] });
    await readAll(reader, null, ctx);
    expect(waits()).toEqual([10_000]);
  });

  it('retries a 500 with exponential backoff and full jitter, then succeeds', async () => {
    // random() = 0.5: half of 500, 1000, 2000 ms.
    const { reader, ctx, waits, events } = harness({ retry: { initialDelayMs: 500 } });
    nock(BASE).get(PATH).times(3).reply(500);
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1) });
    const batches = await readAll(reader, null, ctx);
    expect(batches[0]!.records).toHaveLength(1);
    expect(waits()).toEqual([250, 500, 1000]);
    expect(events.map((e) => e.type === 'retry' && [e.attempt, e.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
    ]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const { reader, ctx, waits } = harness({ retry: { maxAttempts: 6, initialDelayMs: 1000, maxDelayMs: 3000 } });
    nock(BASE).get(PATH).times(5).reply(502);
    nock(BASE).get(PATH).reply(200, { data: [] });
    await readAll(reader, null, ctx);
    expect(waits()).toEqual([500, 1000, 1500, 1500, 1500]);
  });

  it('retries a timeout, then succeeds', async () => {
    const { reader, ctx, events } = harness({ timeoutMs: 50 });
    nock(BASE).get(PATH).delay(1000).reply(200, { data: rows(1, 1) });
    nock(BASE).get(PATH).reply(200, { data: rows(2, 1) });
    const batches = await readAll(reader, null, ctx);
    expect(batches[0]!.records[0]!.data['id']).toBe('2');
    expect(events).toMatchObject([{ type: 'retry', attempt: 1, code: 'TIMEOUT' }]);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED'])('retries a connection error (%s), then succeeds', async (code) => {
    const { reader, ctx, events } = harness({});
    nock(BASE).get(PATH).replyWithError(Object.assign(new Error('boom'), { code }));
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1) });
    await readAll(reader, null, ctx);
    expect(events).toMatchObject([{ type: 'retry', attempt: 1, code }]);
  });

  it('takes an error answer with a body over the page limit for the status it is, reading its first bytes only (QA re-check: a 503 with 400 MB was "ask for fewer records a page")', async () => {
    const { reader, ctx } = harness({ retry: { maxAttempts: 2 }, maxPageBytes: 100_000 });
    nock(BASE).get(PATH).times(2).reply(503, () => Readable.from([Buffer.alloc(150_000, 0x61)]));
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toMatchObject({ code: 'CONNECTOR_UPSTREAM_UNAVAILABLE', message: 'GET /api/records failed after 2 attempts (last: HTTP 503)' });
  });

  it('gives up after maxAttempts with CONNECTOR_UPSTREAM_UNAVAILABLE', async () => {
    const { reader, ctx, waits } = harness({ retry: { maxAttempts: 3 } });
    nock(BASE).get(PATH).times(3).reply(503);
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toMatchObject({
      code: 'CONNECTOR_UPSTREAM_UNAVAILABLE',
      message: 'GET /api/records failed after 3 attempts (last: HTTP 503)',
      details: { method: 'GET', path: PATH, status: 503, attempts: 3 },
    });
    expect(waits()).toHaveLength(2);
  });

  it('keeps the pages already read when a later page gives up', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'page', size: 1 }, retry: { maxAttempts: 2 } });
    nock(BASE).get(PATH).query({ page: '1', size: '1' }).reply(200, { data: rows(1, 1) });
    nock(BASE).get(PATH).query({ page: '2', size: '1' }).times(2).reply(500);
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const b of reader.read(null, ctx)) seen.push(b.position);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECTOR_UPSTREAM_UNAVAILABLE' });
    expect(seen).toEqual([{ since: null, next: { params: { page: '2', size: '1' } }, highWater: null, page: 1, upTo: '2026-11-26T02:59:59.000Z' }]);
  });

  it.each([
    [400, 'Bad Request'],
    [403, 'Forbidden'],
    [404, 'Not Found'],
  ])('fails at once on %i without retrying', async (status, reason) => {
    const { reader, ctx, waits, events } = harness({ request: { path: PATH, params: { ma_dinh_danh: '001215000123' } } });
    nock(BASE).get(PATH).query(true).reply(status, { message: 'Học sinh Nguyễn Văn A không tồn tại' });
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toMatchObject({ code: 'CONNECTOR_REQUEST_REFUSED', details: { method: 'GET', path: PATH, status } });
    expect(err.message).toContain(`GET ${PATH} was refused with HTTP ${status} ${reason}`);
    expect(err.message).not.toContain('Nguyễn');
    expect(err.message).not.toContain('001215000123');
    expect(waits()).toEqual([]);
    expect(events).toEqual([]);
  });

  it('a refused page past the first is named, and a link the source gave is not blamed on the definition (QA)', async () => {
    const paged = harness({ pagination: { type: 'page', size: 1 } });
    nock(BASE).get(PATH).query({ page: '1', size: '1' }).reply(200, { data: rows(1, 1) });
    nock(BASE).get(PATH).query({ page: '2', size: '1' }).reply(404, {});
    expect((await failureOf(readAll(paged.reader, null, paged.ctx))).message).toBe(
      `GET ${PATH} (page 2) was refused with HTTP 404 Not Found; check the request path and parameters of the definition (the first page was accepted: the source may refuse the paging parameters it gave)`,
    );
    const linked = harness({ pagination: { type: 'nextLink', path: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: `${BASE}${PATH}?after=1` });
    nock(BASE).get(PATH).query({ after: '1' }).reply(404, {});
    expect((await failureOf(readAll(linked.reader, null, linked.ctx))).message).toBe(
      `GET ${PATH} (page 2) was refused with HTTP 404 Not Found; its address is the link the source gave on the page before, not one the definition makes: report the refusal to the source's owners`,
    );
  });

  it('passes on the FHIR issue type of an OperationOutcome, not its text', async () => {
    const { reader, ctx } = harness({});
    nock(BASE)
      .get(PATH)
      .reply(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: 'Unknown param ten=Lan' }] });
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err.message).toContain('HTTP 400 Bad Request (invalid)');
    expect(err.message).not.toContain('Lan');
  });

  it('does not follow redirects', async () => {
    const { reader, ctx } = harness({});
    nock(BASE).get(PATH).reply(301, '', { Location: 'https://source.test/api/records?token=x' });
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toMatchObject({ code: 'CONNECTOR_REQUEST_REFUSED' });
    // A redirect's target is the source's: its path is withheld with its query values.
    expect(err.message).toContain('redirected to https://source.test/…?token=…');
  });

  it('a body that is not JSON is CONNECTOR_MALFORMED_RESPONSE, without quoting it', async () => {
    const { reader, ctx } = harness({});
    nock(BASE).get(PATH).reply(200, '<html>Nguyễn Văn A</html>', { 'Content-Type': 'text/html; charset=utf-8' });
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toMatchObject({ code: 'CONNECTOR_MALFORMED_RESPONSE' });
    expect(err.message).toBe('GET /api/records (page 1) answered HTTP 200 with a body that is not JSON (text/html)');
  });

  it('a body without the records array is CONNECTOR_MALFORMED_RESPONSE', async () => {
    const { reader, ctx } = harness({ records: 'data' });
    nock(BASE).get(PATH).reply(200, { items: rows(1, 1) });
    await expect(readAll(reader, null, ctx)).rejects.toMatchObject({
      code: 'CONNECTOR_MALFORMED_RESPONSE',
      message: 'GET /api/records (page 1) answered without an array at "data"',
    });
  });

  it('an entry that is not an object is a reader reject; the others land', async () => {
    const { reader, ctx } = harness({});
    nock(BASE).get(PATH).reply(200, { data: [{ id: '1' }, 'oops', { id: '3' }] });
    const [batch] = await readAll(reader, null, ctx);
    expect(batch!.records.map((r) => r.location)).toEqual(['page 1 entry 1', 'page 1 entry 3']);
    expect(batch!.rejects).toEqual([
      { payload: 'oops', location: 'page 1 entry 2', problems: [{ field: '(record)', code: 'NOT_AN_OBJECT', message: 'expected a JSON object; got a string' }] },
    ]);
  });

  it('withholds the path of a next link the source made from errors and logs, as its query values (QA re-check: /after/<name>-<number>)', async () => {
    const { reader, ctx, logs } = harness({ pagination: { type: 'nextLink', path: 'links.next' }, retry: { maxAttempts: 2 } });
    const personal = '/api/records/after/NGUYEN-VAN-AN-001215000123';
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), links: { next: `${personal}?ten=NGUYEN` } });
    nock(BASE).get(personal).query(true).times(2).reply(500);
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toMatchObject({ code: 'CONNECTOR_UPSTREAM_UNAVAILABLE', details: { path: '(a link the source gave, withheld)' } });
    expect(err.message).toBe('GET (a link the source gave, withheld) failed after 2 attempts (last: HTTP 500)');
    const text = logs.join('') + JSON.stringify(err) + String(err.stack);
    expect(text).not.toMatch(/NGUYEN|001215000123/);
    expect(text).toContain('http://source.test/…?ten=…');
    // The path the definition names is shown as it is.
    expect(text).toContain(`http://source.test${PATH}`);
  });

  it('logs statuses and durations, never bodies or fixed query values', async () => {
    const { reader, ctx, logs } = harness({ request: { path: PATH, params: { ma_dinh_danh: '001215000123' } } });
    nock(BASE).get(PATH).query(true).reply(500);
    nock(BASE).get(PATH).query(true).reply(200, { data: rows(1, 1) });
    await readAll(reader, null, ctx);
    const text = logs.join('');
    expect(text).toContain('"status":500');
    expect(text).toContain('ma_dinh_danh=…');
    expect(text).not.toContain('001215000123');
    expect(text).not.toContain('Nguyễn');
  });
});

describe('HttpReader abort', () => {
  it('stops between pages when the signal aborts', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'page', size: 1 } });
    nock(BASE).get(PATH).query({ page: '1', size: '1' }).reply(200, { data: rows(1, 1) });
    const controller = new AbortController();
    const seen: number[] = [];
    const err = await (async () => {
      for await (const b of reader.read(null, { ...ctx, signal: controller.signal })) {
        seen.push(b.records.length);
        controller.abort();
      }
    })().catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([1]);
  });

  it('stops a backoff wait when the signal aborts', async () => {
    const sleeps: number[] = [];
    // A wait that never ends on its own: only the abort can end it.
    const { reader } = harness({}, {}, { sleep: (ms) => (sleeps.push(ms), new Promise<void>(() => {})) });
    nock(BASE).get(PATH).reply(503);
    const controller = new AbortController();
    const pending = readAll(reader, null, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'retry') setImmediate(() => controller.abort());
      },
    });
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(sleeps.filter((ms) => ms >= 1)).toEqual([250]);
  });

  it('aborts a request in flight', async () => {
    const { reader, ctx } = harness({ timeoutMs: 60_000 });
    nock(BASE).get(PATH).delay(30_000).reply(200, { data: [] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(readAll(reader, null, { ...ctx, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
