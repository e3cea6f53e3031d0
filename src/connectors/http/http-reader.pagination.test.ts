import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failureOf, harness, readAll, rows } from './testing/reader-harness.js';
import { isPermanentSyncError } from '../sync/permanent-sync-errors.js';

const BASE = 'http://source.test';
const PATH = '/api/records';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('HttpReader pagination', () => {
  it('page: numbered pages until one comes back empty', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'page', size: 2 }, request: { path: PATH, params: { nam_hoc: '2026-2027' } } });
    nock(BASE).get(PATH).query({ nam_hoc: '2026-2027', page: '1', size: '2' }).reply(200, { data: rows(1, 2) });
    nock(BASE).get(PATH).query({ nam_hoc: '2026-2027', page: '2', size: '2' }).reply(200, { data: rows(3, 2) });
    nock(BASE).get(PATH).query({ nam_hoc: '2026-2027', page: '3', size: '2' }).reply(200, { data: rows(5, 1) });
    nock(BASE).get(PATH).query({ nam_hoc: '2026-2027', page: '4', size: '2' }).reply(200, { data: [] });
    const batches = await readAll(reader, null, ctx);
    expect(batches.map((b) => b.records.map((r) => r.data['id']))).toEqual([['1', '2'], ['3', '4'], ['5'], []]);
    expect(batches.map((b) => b.location)).toEqual(['page 1', 'page 2', 'page 3', 'page 4']);
    expect(batches[1]!.records[1]!.location).toBe('page 2 entry 2');
    expect(batches[0]!.position).toEqual({ since: null, next: { params: { page: '2', size: '2' } }, highWater: null, page: 1, upTo: '2026-11-26T02:59:59.000Z' });
    expect(batches[3]!.position).toEqual({ since: null, next: null, highWater: null, page: 4, upTo: '2026-11-26T02:59:59.000Z' });
  });

  it('page: a server whose maximum is below the size asked sends short pages all along, and all of them are read (QA: 40 of 250 read)', async () => {
    const { reader, ctx, logs } = harness({ pagination: { type: 'page', size: 5 } });
    nock(BASE).get(PATH).query({ page: '1', size: '5' }).reply(200, { data: rows(1, 3) });
    nock(BASE).get(PATH).query({ page: '2', size: '5' }).reply(200, { data: rows(4, 3) });
    nock(BASE).get(PATH).query({ page: '3', size: '5' }).reply(200, { data: rows(7, 2) });
    nock(BASE).get(PATH).query({ page: '4', size: '5' }).reply(200, { data: [] });
    const batches = await readAll(reader, null, ctx);
    expect(batches.flatMap((b) => b.records.map((r) => r.data['id']))).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(logs.filter((l) => l.includes('fewer records than the page size asked'))).toHaveLength(1);
  });

  it('page: a server that serves its last, short page again past the end ends the run there, reading it once', async () => {
    const { reader, ctx, logs } = harness({ pagination: { type: 'page', size: 2 } });
    nock(BASE).get(PATH).query({ page: '1', size: '2' }).reply(200, { data: rows(1, 2) });
    nock(BASE).get(PATH).query({ page: '2', size: '2' }).reply(200, { data: rows(3, 1) });
    nock(BASE).get(PATH).query({ page: '3', size: '2' }).reply(200, { data: rows(3, 1) });
    const batches = await readAll(reader, null, ctx);
    expect(batches.map((b) => b.records.length)).toEqual([2, 1, 0]);
    expect(batches.at(-1)!.position['next']).toBeNull();
    expect(logs.some((l) => l.includes('serves its last page past the end'))).toBe(true);
  });

  it('page: a server that ignores the page parameter (the same full page again) fails the run instead of reading forever', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'page', size: 2 } });
    nock(BASE).get(PATH).query({ page: '1', size: '2' }).reply(200, { data: rows(1, 2) });
    nock(BASE).get(PATH).query({ page: '2', size: '2' }).reply(200, { data: rows(1, 2) });
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err.code).toBe('CONNECTOR_MALFORMED_RESPONSE');
    expect(err.message).toContain('the same records as for page 1, a full page');
  });

  it('page: custom parameter names and a first page of 0; an empty page ends the run', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'page', pageParam: 'p', sizeParam: 'n', size: 2, firstPage: 0 } });
    nock(BASE).get(PATH).query({ p: '0', n: '2' }).reply(200, { data: rows(1, 2) });
    nock(BASE).get(PATH).query({ p: '1', n: '2' }).reply(200, { data: [] });
    const batches = await readAll(reader, null, ctx);
    expect(batches.map((b) => b.records.length)).toEqual([2, 0]);
    expect(batches[1]!.position['next']).toBeNull();
  });

  it('offset: advances by the records received', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'offset', limit: 3 } });
    nock(BASE).get(PATH).query({ offset: '0', limit: '3' }).reply(200, { data: rows(1, 3) });
    nock(BASE).get(PATH).query({ offset: '3', limit: '3' }).reply(200, { data: rows(4, 3) });
    nock(BASE).get(PATH).query({ offset: '6', limit: '3' }).reply(200, { data: rows(7, 2) });
    nock(BASE).get(PATH).query({ offset: '8', limit: '3' }).reply(200, { data: [] });
    const batches = await readAll(reader, null, ctx);
    expect(batches.flatMap((b) => b.records.map((r) => r.data['id']))).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  });

  it('cursor: sends back the cursor found in the body until there is none', async () => {
    const { reader, ctx } = harness({
      pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'meta.next_cursor', sizeParam: 'limit', size: 2 },
    });
    nock(BASE).get(PATH).query({ limit: '2' }).reply(200, { data: rows(1, 2), meta: { next_cursor: 'c2' } });
    nock(BASE).get(PATH).query({ cursor: 'c2', limit: '2' }).reply(200, { data: rows(3, 2), meta: { next_cursor: 'c3' } });
    nock(BASE).get(PATH).query({ cursor: 'c3', limit: '2' }).reply(200, { data: rows(5, 1), meta: { next_cursor: null } });
    const batches = await readAll(reader, null, ctx);
    expect(batches.map((b) => b.records.length)).toEqual([2, 2, 1]);
    expect(batches[0]!.position['next']).toEqual({ params: { cursor: 'c2', limit: '2' } });
    // `false` says "no more" too (QA: it was sent back as cursor=false).
    nock(BASE).get(PATH).query({ limit: '2' }).reply(200, { data: rows(1, 2), meta: { next_cursor: false } });
    expect((await readAll(reader, null, ctx)).map((b) => b.position['next'])).toEqual([null]);
  });

  it('cursor: one holding a NUL or half a UTF-16 pair, which no checkpoint can keep, fails the read naming its path (QA re-check: a raw 22P05)', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    for (const bad of ['"abc\\u0000def"', '"ab\\ud800cd"']) {
      nock(BASE).get(PATH).reply(200, `{"data":[{"id":"1"}],"next":${bad}}`, { 'content-type': 'application/json' });
      const err = await failureOf(readAll(reader, null, ctx));
      expect(err).toMatchObject({
        code: 'CONNECTOR_MALFORMED_RESPONSE',
        message: 'The next cursor at next holds a NUL character or half of a UTF-16 pair, which no checkpoint can keep',
      });
    }
  });

  it('cursor: an empty page that gives a next cursor is followed, not taken for the end (QA: a full read ended there as whole)', async () => {
    const { reader, ctx, events } = harness({ pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 2), next: 'c2' });
    nock(BASE).get(PATH).query({ cursor: 'c2' }).reply(200, { data: [], next: 'c3' });
    nock(BASE).get(PATH).query({ cursor: 'c3' }).reply(200, { data: rows(3, 1), next: null });
    const batches = await readAll(reader, null, ctx);
    expect(batches.map((b) => b.records.length)).toEqual([2, 0, 1]);
    expect(events).toEqual([]);
  });

  it('cursor: empty pages past the end are followed three in a row, then the read stops, said to be cut short', async () => {
    const { reader, ctx, events, logs } = harness({ pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: 'e1' });
    for (let i = 1; i <= 4; i++) nock(BASE).get(PATH).query({ cursor: `e${i}` }).reply(200, { data: [], next: `e${i + 1}` });
    const batches = await readAll(reader, null, ctx);
    expect(batches.map((b) => b.records.length)).toEqual([1, 0, 0, 0, 0]);
    expect(batches.at(-1)!.position['next']).toBeNull();
    expect(events).toEqual([{ type: 'read-cut-short', reason: 'EMPTY_PAGES' }]);
    expect(logs.some((l) => l.includes('http read stopped: an empty page giving a next cursor or link'))).toBe(true);
  });

  it('cursor: an empty page giving back its own cursor ends the read, not failed but cut short; one leading back further is a cycle (QA: both marked records absent)', async () => {
    const { reader, ctx, events } = harness({ pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: 'x' });
    nock(BASE).get(PATH).query({ cursor: 'x' }).reply(200, { data: [], next: 'x' });
    expect((await readAll(reader, null, ctx)).map((b) => b.records.length)).toEqual([1, 0]);
    expect(events).toEqual([{ type: 'read-cut-short', reason: 'EMPTY_PAGES' }]);

    const cycle = harness({ pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: 'c1' });
    nock(BASE).get(PATH).query({ cursor: 'c1' }).reply(200, { data: rows(2, 1), next: 'e1' });
    nock(BASE).get(PATH).query({ cursor: 'e1' }).reply(200, { data: [], next: 'c1' });
    await expect(readAll(cycle.reader, null, cycle.ctx)).rejects.toMatchObject({ code: 'CONNECTOR_MALFORMED_RESPONSE', message: expect.stringContaining('one this run has read already') });
  });

  it('cursor: a cursor that does not advance is a malformed response, not an endless loop', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: 'same' });
    nock(BASE).get(PATH).query({ cursor: 'same' }).reply(200, { data: rows(2, 1), next: 'same' });
    await expect(readAll(reader, null, ctx)).rejects.toMatchObject({ code: 'CONNECTOR_MALFORMED_RESPONSE' });
  });

  it('cursor: cursors that lead back to a page already read (A → B → A) are a malformed response, not an endless loop', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: 'a' });
    nock(BASE).get(PATH).query({ cursor: 'a' }).reply(200, { data: rows(2, 1), next: 'b' });
    nock(BASE).get(PATH).query({ cursor: 'b' }).reply(200, { data: rows(3, 1), next: 'a' });
    await expect(readAll(reader, null, ctx)).rejects.toMatchObject({
      code: 'CONNECTOR_MALFORMED_RESPONSE',
      message: expect.stringContaining('one this run has read already'),
    });
  });

  it('cursor: a page served again behind a new cursor (a stale cache) is read, not taken for a loop', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: 'a' });
    nock(BASE).get(PATH).query({ cursor: 'a' }).reply(200, { data: rows(1, 1), next: 'a2' });
    nock(BASE).get(PATH).query({ cursor: 'a2' }).reply(200, { data: rows(2, 1), next: null });
    const batches = await readAll(reader, null, ctx);
    expect(batches.flatMap((b) => b.records.map((r) => r.data['id']))).toEqual(['1', '1', '2']);
  });

  it('nextLink: follows relative and absolute links found in the body', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'nextLink', path: 'links.next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 2), links: { next: '?page=2' } });
    nock(BASE).get(PATH).query({ page: '2' }).reply(200, { data: rows(3, 2), links: { next: `${BASE}${PATH}?page=3` } });
    nock(BASE).get(PATH).query({ page: '3' }).reply(200, { data: rows(5, 1), links: { next: null } });
    const batches = await readAll(reader, null, ctx);
    expect(batches.map((b) => b.records.length)).toEqual([2, 2, 1]);
    expect(batches[0]!.position['next']).toEqual({ url: `${BASE}${PATH}?page=2` });
  });

  it('nextLink: walks a FHIR searchset Bundle by link[relation=next].url', async () => {
    const fhirBase = 'http://fhir.test';
    const { reader, ctx } = harness({
      baseUrl: `${fhirBase}/fhir`,
      request: { path: '/Patient', params: { _count: '2' } },
      records: 'entry[resource.resourceType=Patient].resource',
      pagination: { type: 'nextLink' },
    });
    const bundle = (ids: string[], next?: string) => ({
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'self', url: 'ignored' }, ...(next ? [{ relation: 'next', url: next }] : [])],
      entry: ids.map((id) => ({ fullUrl: `${fhirBase}/fhir/Patient/${id}`, resource: { resourceType: 'Patient', id } })),
    });
    nock(fhirBase).get('/fhir/Patient').query({ _count: '2' }).reply(200, bundle(['p1', 'p2'], `${fhirBase}/fhir?_getpages=abc&_getpagesoffset=2&_count=2`), {
      'Content-Type': 'application/fhir+json',
    });
    nock(fhirBase).get('/fhir').query({ _getpages: 'abc', _getpagesoffset: '2', _count: '2' }).reply(200, bundle(['p3']));
    const batches = await readAll(reader, null, ctx);
    expect(batches.flatMap((b) => b.records.map((r) => r.data['id']))).toEqual(['p1', 'p2', 'p3']);
  });

  it('nextLink: a link to another origin is refused (credentials stay with the configured source), as a base URL to correct, not retried (QA)', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'nextLink', path: 'next' } });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: 'http://elsewhere.test/steal?page=2' });
    const error = await failureOf(readAll(reader, null, ctx));
    expect(error).toMatchObject({
      code: 'CONNECTOR_SETTING_INVALID',
      message:
        "connector test-source: http.baseUrl is at http://source.test, but the server's next-page links, in the body at next, point to http://elsewhere.test; " +
        "credentials are only sent to the configured origin, so set baseUrl to that address only if it is this API's own, as behind a proxy, " +
        "else report the links to the source's owners",
    });
    expect(isPermanentSyncError(error)).toBe(true);
    // From the environment, the variable is named where the setting is, not as the one way out (QA: a link to a cloud
    // metadata address ended "correct the environment variable").
    const fromEnv = harness({ baseUrl: { env: 'SCHOOL_API_URL' }, pagination: { type: 'nextLink', path: 'next' } }, { SCHOOL_API_URL: BASE });
    nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: 'http://localhost/api/records?page=2' });
    await expect(readAll(fromEnv.reader, null, fromEnv.ctx)).rejects.toMatchObject({
      code: 'CONNECTOR_SETTING_INVALID',
      message: expect.stringMatching(/so set baseUrl \(the environment variable SCHOOL_API_URL\) to that address only if it is this API's own, as behind a proxy, else report the links to the source's owners$/),
    });
  });

  it('nextLink: a link with a user part, even to the same origin, or not http(s), is refused, naming its scheme (QA: evil@ was followed with Basic credentials; a file: link pointed to null)', async () => {
    for (const [link, message] of [
      ['http://evil@source.test/api/records?page=2', 'The next-page link in the body at next has a user name or password in its address: not followed'],
      ['http://evil:pw@source.test/api/records?page=2', 'The next-page link in the body at next has a user name or password in its address: not followed'],
      ['file:///etc/passwd', 'The next-page link in the body at next is a file: URL, not http or https: not followed'],
    ]) {
      const { reader, ctx } = harness({ pagination: { type: 'nextLink', path: 'next' } });
      nock(BASE).get(PATH).reply(200, { data: rows(1, 1), next: link });
      await expect(readAll(reader, null, ctx)).rejects.toMatchObject({ code: 'CONNECTOR_MALFORMED_RESPONSE', message });
    }
  });

  it('linkHeader: follows rel="next" of the Link header', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'linkHeader' } });
    nock(BASE)
      .get(PATH)
      .reply(200, { data: rows(1, 2) }, { Link: `<${BASE}${PATH}?page=1>; rel="first", <${PATH}?page=2>; rel="next last"` });
    nock(BASE)
      .get(PATH)
      .query({ page: '2' })
      .reply(200, { data: rows(3, 1) }, { Link: `<${BASE}${PATH}?page=1>; rel="first"` });
    const batches = await readAll(reader, null, ctx);
    expect(batches.map((b) => b.records.length)).toEqual([2, 1]);
    expect(batches[0]!.position['next']).toEqual({ url: `${BASE}${PATH}?page=2` });
  });

  it('none: one request', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'none' }, records: 'result.items' });
    nock(BASE).get(PATH).reply(200, { result: { items: rows(1, 3) } });
    const batches = await readAll(reader, null, ctx);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.records).toHaveLength(3);
    expect(batches[0]!.position['next']).toBeNull();
  });

  it('joins baseUrl paths and keeps the base query', async () => {
    const { reader, ctx } = harness({ baseUrl: `${BASE}/v2/?tenant=hn`, request: { path: 'students', params: { year: 2026, active: true } } });
    nock(BASE).get('/v2/students').query({ tenant: 'hn', year: '2026', active: 'true' }).reply(200, { data: [] });
    expect(await readAll(reader, null, ctx)).toHaveLength(1);
  });

  it('stops after maxBatches', async () => {
    const { reader, ctx } = harness({ pagination: { type: 'page', size: 1 } });
    nock(BASE).get(PATH).query({ page: '1', size: '1' }).reply(200, { data: rows(1, 1) });
    const batches = await readAll(reader, null, { ...ctx, maxBatches: 1 });
    expect(batches).toHaveLength(1);
    expect(batches[0]!.position['next']).toEqual({ params: { page: '2', size: '1' } });
  });
});
