import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import { RegistryRejectedError } from '../errors/registry-rejected-error.js';
import { UpstreamUnavailableError } from '../errors/upstream-unavailable-error.js';
import { createLogger } from '../observability/logger.js';
import { LgspPopulationDbClient, type LgspPopulationDbClientOptions } from './lgsp.transport.js';
import type { CallContext, PersonQuery } from './population-db.client.js';
import type { RegistryCallEntry } from './registry-call.log.js';

const API = 'https://lgsp.hanoi.test';
const BASE_PATH = '/api/dancu/v1';
const AUTH = 'https://sso.lgsp.hanoi.test';
const TOKEN_PATH = '/oauth2/token';
const NOW = new Date('2026-11-25T08:30:05.123Z');
const NUMBER = '001215000123';
const CLIENT_SECRET = 's3cret:with/odd&chars';

const ctx: CallContext = {
  officerId: 'CB-0042',
  officerName: 'Trần Văn Bình',
  unit: 'so-ldtbxh-ha-noi',
  purposeCode: 'CHILD-ID-RECONCILIATION',
  caseRef: 'HS-2026-0001',
  childId: 'chd_01JD0000000000000000000000',
};
const query: PersonQuery & { number: string } = {
  number: NUMBER,
  fullName: 'Nguyễn Thị Thu Hà',
  birth: { date: '2015-03-02', precision: 'DAY' },
};

interface Captured {
  path: string;
  headers: Record<string, string>;
  json: { header: Record<string, unknown>; body: Record<string, unknown> };
}
type Reply = [number, string | Record<string, unknown>] | [number, string | Record<string, unknown>, Record<string, string>];

function headersOf(req: { headers: Record<string, string | string[] | undefined> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
  return out;
}

/** Answers the next POST to `operation` with `respond(request)` and records the request. */
function intercept(operation: string, respond: (req: Captured) => Reply, captured: Captured[] = []): Captured[] {
  nock(API)
    .post(`${BASE_PATH}/${operation}`)
    .reply(function (uri, body) {
      const json = (typeof body === 'string' ? JSON.parse(body) : body) as Captured['json'];
      const req = { path: uri, headers: headersOf(this.req), json };
      captured.push(req);
      const [status, payload, headers] = respond(req);
      return [status, typeof payload === 'string' ? payload : JSON.stringify(payload), { 'content-type': 'application/json', ...headers }];
    });
  return captured;
}

interface TokenRequest {
  headers: Record<string, string>;
  form: URLSearchParams;
}

/** The token endpoint: `times` tokens `tok-1`, `tok-2`, … living `expiresIn` seconds. */
function tokenEndpoint(opts: { times?: number; expiresIn?: number; reply?: () => Reply } = {}): TokenRequest[] {
  const requests: TokenRequest[] = [];
  nock(AUTH)
    .post(TOKEN_PATH)
    .times(opts.times ?? 1)
    .reply(function (_uri, body) {
      requests.push({ headers: headersOf(this.req), form: new URLSearchParams(String(body)) });
      if (opts.reply) {
        const [status, payload, headers] = opts.reply();
        return [status, typeof payload === 'string' ? payload : JSON.stringify(payload), headers ?? {}];
      }
      return [200, JSON.stringify({ access_token: `tok-${requests.length}`, token_type: 'Bearer', expires_in: opts.expiresIn ?? 3600 })];
    });
  return requests;
}

function answer(req: Captured, body: Record<string, unknown>): Reply {
  return [200, { header: { requestId: req.json.header['requestId'], timestamp: NOW.toISOString() }, body }];
}

function citizen(c: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    soDinhDanh: NUMBER,
    ho: 'NGUYEN',
    chuDem: 'THI THU',
    ten: 'HA',
    gioiTinh: '2',
    ngayThangNamSinh: '20150302',
    // Sensitive fields the adapter must drop.
    danToc: '01',
    tonGiao: 'KHONG',
    nhomMau: 'O',
    noiThuongTru: { maTinh: '01', maXa: '00004' },
    ...c,
  };
}

function makeClient(overrides: Partial<LgspPopulationDbClientOptions> = {}) {
  const entries: RegistryCallEntry[] = [];
  let now = NOW;
  const client = new LgspPopulationDbClient({
    url: `${API}${BASE_PATH}`,
    tokenUrl: `${AUTH}${TOKEN_PATH}`,
    clientId: 'childhub-hn',
    clientSecret: CLIENT_SECRET,
    scope: 'dancu.read',
    callerCode: 'SLDTBXH-HN',
    timeoutMs: 2000,
    now: () => now,
    logger: createLogger({ level: 'silent' }),
    log: {
      begin: async () => {},
      record: async (entry) => {
        entries.push(entry);
      },
    },
    ...overrides,
  });
  return { client, entries, advance: (ms: number) => void (now = new Date(now.getTime() + ms)) };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
  nock.disableNetConnect();
});
afterAll(() => {
  nock.enableNetConnect();
});

describe('LgspPopulationDbClient authentication', () => {
  it('gets a token with client credentials (HTTP Basic, form body, scope) and sends it as a bearer token', async () => {
    const tokens = tokenEndpoint();
    const captured = intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '02' }));
    const { client } = makeClient();
    await client.verifyCitizen(query, ctx);

    expect(tokens).toHaveLength(1);
    const t = tokens[0]!;
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    const basic = Buffer.from(`childhub-hn:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
    expect(t.headers['authorization']).toBe(`Basic ${basic}`);
    expect(t.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(t.form)).toEqual({ grant_type: 'client_credentials', scope: 'dancu.read' });
    expect(captured[0]!.headers['authorization']).toBe('Bearer tok-1');
    expect(JSON.stringify(captured[0])).not.toContain('s3cret');
  });

  it('reuses the token while it is valid, shares one token request between concurrent calls, and renews it before expiry', async () => {
    const tokens = tokenEndpoint({ times: 2, expiresIn: 600 });
    const captured: Captured[] = [];
    for (let i = 0; i < 5; i++) intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '02' }), captured);
    const { client, advance } = makeClient();
    await Promise.all([client.verifyCitizen(query, ctx), client.verifyCitizen(query, ctx), client.verifyCitizen(query, ctx)]);
    expect(tokens).toHaveLength(1);
    advance(500_000); // 100 s before expiry: still good
    await client.verifyCitizen(query, ctx);
    expect(tokens).toHaveLength(1);
    advance(50_000); // 50 s before expiry: renewed
    await client.verifyCitizen(query, ctx);
    expect(tokens).toHaveLength(2);
    expect(captured.map((c) => c.headers['authorization'])).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('takes a new token and tries once more when the platform answers 401; a second 401 is a configuration error', async () => {
    const tokens = tokenEndpoint({ times: 3 });
    const captured: Captured[] = [];
    intercept('XacThucThongTinCongDan', () => [401, { error: { code: 'invalid_token', message: 'token revoked' } }], captured);
    intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '02' }), captured);
    const { client, entries } = makeClient();
    const res = await client.verifyCitizen(query, ctx);
    expect(res.outcome).toEqual({ kind: 'NOT_FOUND' });
    expect(captured.map((c) => c.headers['authorization'])).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    // Same request id on the retry: it is the same call, and the platform did not process the first.
    expect(captured[1]!.json.header['requestId']).toBe(captured[0]!.json.header['requestId']);
    expect(entries).toHaveLength(1);

    intercept('TraCuuThongTinCongDan', () => [401, ''], captured);
    intercept('TraCuuThongTinCongDan', () => [401, ''], captured);
    const err = await failure(client.lookupCitizen(query, ctx));
    expect(err).toBeInstanceOf(RegistryRejectedError);
    expect(err.message).toMatch(/HTTP 401.*POPULATION_DB_CLIENT_ID/);
    expect(tokens).toHaveLength(3);
    expect(entries[1]).toMatchObject({ operation: 'TraCuuThongTinCongDan', outcome: 'REJECTED', httpStatus: 401, transport: 'lgsp' });
  });

  it('reports a refused client as RegistryRejectedError with the OAuth error code, logged without an HTTP status', async () => {
    tokenEndpoint({ reply: () => [401, { error: 'invalid_client', error_description: `client secret ${CLIENT_SECRET} is wrong` }] });
    const { client, entries } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(RegistryRejectedError);
    expect((err as RegistryRejectedError).details).toMatchObject({ stage: 'TOKEN', tokenHttpStatus: 401, oauthError: 'invalid_client', operation: 'XacThucThongTinCongDan' });
    expect(err.message).toContain('POPULATION_DB_CLIENT_SECRET');
    expect(JSON.stringify({ m: err.message, d: (err as RegistryRejectedError).details })).not.toContain('s3cret');
    expect(entries[0]).toMatchObject({ outcome: 'REJECTED', httpStatus: null });
  });

  it('maps token endpoint outages to UpstreamUnavailableError and asks again on the next call', async () => {
    tokenEndpoint({ reply: () => [503, 'maintenance'] });
    tokenEndpoint({ reply: () => [200, '{"access_token": "x"'] });
    tokenEndpoint();
    intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '02' }));
    const { client, entries } = makeClient();
    const down = await failure(client.verifyCitizen(query, ctx));
    expect(down).toBeInstanceOf(UpstreamUnavailableError);
    expect((down as UpstreamUnavailableError).details).toMatchObject({ reason: 'HTTP_5XX', stage: 'TOKEN', tokenHttpStatus: 503 });
    const broken = await failure(client.verifyCitizen(query, ctx));
    expect((broken as UpstreamUnavailableError).details).toMatchObject({ reason: 'MALFORMED', stage: 'TOKEN' });
    expect((await client.verifyCitizen(query, ctx)).outcome).toEqual({ kind: 'NOT_FOUND' });
    expect(entries.map((e) => e.outcome)).toEqual(['UPSTREAM_ERROR', 'MALFORMED', 'NOT_FOUND']);
  });

  it('maps a token endpoint that does not answer to a TIMEOUT', async () => {
    nock(AUTH).post(TOKEN_PATH).delay(1000).reply(200, '{}');
    const { client, entries } = makeClient({ timeoutMs: 50 });
    const err = await failure(client.verifyCitizen(query, ctx));
    expect((err as UpstreamUnavailableError).details).toMatchObject({ reason: 'TIMEOUT', stage: 'TOKEN' });
    expect(entries[0]).toMatchObject({ outcome: 'TIMEOUT', httpStatus: null });
  });
});

describe('LgspPopulationDbClient request', () => {
  it('wraps the call in { header, body } with every required field, POSTed to <url>/<operation>', async () => {
    tokenEndpoint();
    const captured = intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '00', congDan: [citizen()] }));
    const { client, entries } = makeClient();
    const res = await client.verifyCitizen(query, ctx);
    const req = captured[0]!;
    expect(req.path).toBe(`${BASE_PATH}/XacThucThongTinCongDan`);
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req.json).toEqual({
      header: {
        requestId: res.requestId,
        callerCode: 'SLDTBXH-HN',
        officer: { id: 'CB-0042', name: 'Trần Văn Bình', unit: 'so-ldtbxh-ha-noi' },
        purpose: 'CHILD-ID-RECONCILIATION',
        caseRef: 'HS-2026-0001',
        timestamp: '2026-11-25T08:30:05.123Z',
      },
      body: { soDinhDanh: NUMBER, hoVaTen: 'NGUYEN THI THU HA', ngayThangNamSinh: '20150302' },
    });
    expect(res.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(entries.map((e) => e.requestId)).toEqual([res.requestId]);
  });

  it('folds names, sends year-only births as yyyy, and an empty number for a lookup by name and birth', async () => {
    tokenEndpoint();
    const captured: Captured[] = [];
    intercept('TraCuuThongTinCongDan', (req) => answer(req, { ketQua: '02' }), captured);
    intercept('TraCuuThongTinCongDan', (req) => answer(req, { ketQua: '02' }), captured);
    const { client } = makeClient({ url: `${API}${BASE_PATH}/` });
    await client.lookupCitizen({ number: null, fullName: '  Đặng  Văn\tĐức ', birth: { date: '2016', precision: 'YEAR' } }, ctx);
    await client.lookupCitizen({ number: null, fullName: 'Lê Hoà', birth: { date: '2016-07-01', precision: 'MONTH' } }, ctx);
    expect(captured.map((c) => c.json.body)).toEqual([
      { soDinhDanh: '', hoVaTen: 'DANG VAN DUC', ngayThangNamSinh: '2016' },
      { soDinhDanh: '', hoVaTen: 'LE HOA', ngayThangNamSinh: '20160701' },
    ]);
    expect(captured[0]!.path).toBe(`${BASE_PATH}/TraCuuThongTinCongDan`);
  });
});

describe('LgspPopulationDbClient answers', () => {
  it('reads a match into the citizen fields reconciliation needs, and nothing else', async () => {
    tokenEndpoint();
    intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '00', congDan: [citizen()] }));
    const { client, entries } = makeClient();
    const res = await client.verifyCitizen(query, ctx);
    expect(res.outcome).toEqual({
      kind: 'MATCH',
      citizen: { number: NUMBER, familyName: 'NGUYEN', middleName: 'THI THU', givenName: 'HA', sex: 'FEMALE', birthDate: '2015-03-02', birthDatePrecision: 'DAY' },
    });
    expect(JSON.stringify(res)).not.toMatch(/KHONG|tonGiao|danToc|nhomMau|00004/);
    expect(entries).toEqual([
      {
        requestId: res.requestId,
        operation: 'XacThucThongTinCongDan',
        transport: 'lgsp',
        childId: ctx.childId,
        officerId: 'CB-0042',
        unit: 'so-ldtbxh-ha-noi',
        purposeCode: 'CHILD-ID-RECONCILIATION',
        caseRef: 'HS-2026-0001',
        outcome: 'MATCH',
        httpStatus: 200,
        latencyMs: res.latencyMs,
        startedAt: NOW,
      },
    ]);
  });

  it('reads mismatches with their fields, in the citizen or beside it, and a numeric sex code', async () => {
    tokenEndpoint();
    intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '01', congDan: [citizen({ ten: 'HOA', gioiTinh: 2, truongKhongKhop: ['HoVaTen', 'NgayThangNamSinh'] })] }));
    intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '01', truongKhongKhop: ['GioiTinh'], congDan: [] }));
    const { client } = makeClient();
    expect((await client.verifyCitizen(query, ctx)).outcome).toMatchObject({
      kind: 'MISMATCH', fields: ['HoVaTen', 'NgayThangNamSinh'], citizen: { givenName: 'HOA', sex: 'FEMALE' },
    });
    expect((await client.verifyCitizen(query, ctx)).outcome).toEqual({ kind: 'MISMATCH', fields: ['GioiTinh'], citizen: null });
  });

  it('reads not-found and a lookup with several citizens', async () => {
    tokenEndpoint();
    intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '02', congDan: null }));
    intercept('TraCuuThongTinCongDan', (req) =>
      answer(req, { ketQua: '00', congDan: [citizen(), citizen({ soDinhDanh: '001115000999', ho: 'LE', chuDem: null, ten: 'AN', gioiTinh: '1', ngayThangNamSinh: '2015' })] }));
    const { client, entries } = makeClient();
    expect((await client.verifyCitizen(query, ctx)).outcome).toEqual({ kind: 'NOT_FOUND' });
    const res = await client.lookupCitizen({ ...query, number: null }, ctx);
    const citizens = res.outcome.kind === 'FOUND' ? res.outcome.citizens : [];
    expect(citizens.map((c) => [c.number, c.familyName, c.middleName, c.givenName, c.sex, c.birthDate, c.birthDatePrecision])).toEqual([
      [NUMBER, 'NGUYEN', 'THI THU', 'HA', 'FEMALE', '2015-03-02', 'DAY'],
      ['001115000999', 'LE', null, 'AN', 'MALE', '2015-01-01', 'YEAR'],
    ]);
    expect(entries.map((e) => e.outcome)).toEqual(['NOT_FOUND', 'FOUND']);
  });

  it('submits a bulk request and reads its status and results', async () => {
    tokenEndpoint();
    const captured: Captured[] = [];
    intercept('GuiYeuCauDanhSach', (req) => answer(req, { ketQua: '00', maYeuCauDanhSach: 'DS-77', soLuong: 2 }), captured);
    intercept('GetRequestStatus', (req) => answer(req, { ketQua: '00', trangThai: 'HOAN_THANH' }), captured);
    intercept('GetRequestResult', (req) =>
      answer(req, {
        ketQua: '00',
        trangThai: 'HOAN_THANH',
        danhSachKetQua: [
          { chiSo: 1, ketQua: '02', congDan: [] },
          { chiSo: '2', ketQua: '99', moTaLoi: 'SoDinhDanh must be 12 digits' },
          { chiSo: 0, ketQua: '00', congDan: [citizen()] },
        ],
      }), captured);
    const { client, entries } = makeClient();
    const submitted = await client.submitBulkRequest([query, { number: null, fullName: 'Lê An', birth: { date: '2015', precision: 'YEAR' } }], ctx);
    expect(submitted.outcome).toEqual({ bulkId: 'DS-77' });
    expect(captured[0]!.json.body).toEqual({
      danhSachCongDan: [
        { chiSo: 0, soDinhDanh: NUMBER, hoVaTen: 'NGUYEN THI THU HA', ngayThangNamSinh: '20150302' },
        { chiSo: 1, soDinhDanh: '', hoVaTen: 'LE AN', ngayThangNamSinh: '2015' },
      ],
    });
    expect((await client.getBulkRequestStatus('DS-77', ctx)).outcome).toEqual({ state: 'DONE' });
    expect(captured[1]!.json.body).toEqual({ maYeuCauDanhSach: 'DS-77' });
    const results = await client.getBulkRequestResult('DS-77', ctx);
    expect(results.outcome.results.map((r) => [r.index, r.outcome.kind])).toEqual([[0, 'FOUND'], [1, 'NOT_FOUND']]);
    expect(entries.map((e) => [e.operation, e.outcome])).toEqual([
      ['GuiYeuCauDanhSach', 'ACCEPTED'],
      ['GetRequestStatus', 'ACCEPTED'],
      ['GetRequestResult', 'FOUND'],
    ]);
  });

  it('refuses bulk results that are not ready, and an unknown bulk id', async () => {
    tokenEndpoint();
    intercept('GetRequestResult', (req) => answer(req, { ketQua: '00', trangThai: 'DANG_XU_LY' }));
    intercept('GetRequestStatus', (req) => answer(req, { ketQua: '02' }));
    const { client, entries } = makeClient();
    const pending = await failure(client.getBulkRequestResult('DS-1', ctx));
    expect((pending as UpstreamUnavailableError).details['reason']).toBe('PENDING');
    expect(await failure(client.getBulkRequestStatus('DS-0', ctx))).toBeInstanceOf(RegistryRejectedError);
    expect(entries.map((e) => e.outcome)).toEqual(['ACCEPTED', 'NOT_FOUND']);
  });
});

describe('LgspPopulationDbClient errors', () => {
  it('maps 429 to RateLimitedError with Retry-After in seconds or as a date, and without one to the default', async () => {
    tokenEndpoint();
    intercept('XacThucThongTinCongDan', () => [429, { error: { code: 'QUOTA_EXCEEDED' } }, { 'Retry-After': '7' }]);
    intercept('XacThucThongTinCongDan', () => [429, '', { 'Retry-After': new Date(NOW.getTime() + 30_000).toUTCString() }]);
    intercept('XacThucThongTinCongDan', () => [429, '']);
    const { client, entries } = makeClient();
    const first = (await failure(client.verifyCitizen(query, ctx))) as RateLimitedError;
    expect(first).toBeInstanceOf(RateLimitedError);
    expect(first.details).toMatchObject({ retryAfterMs: 7000, errorCode: 'QUOTA_EXCEEDED', httpStatus: 429 });
    expect(((await failure(client.verifyCitizen(query, ctx))) as RateLimitedError).details['retryAfterMs']).toBe(30_000 - 123);
    expect(((await failure(client.verifyCitizen(query, ctx))) as RateLimitedError).details['retryAfterMs']).toBe(1000);
    expect(entries.map((e) => [e.outcome, e.httpStatus])).toEqual([['RATE_LIMITED', 429], ['RATE_LIMITED', 429], ['RATE_LIMITED', 429]]);
  });

  it('maps 5xx to UpstreamUnavailableError (HTTP_5XX) with the error code, never the message', async () => {
    tokenEndpoint();
    intercept('XacThucThongTinCongDan', () => [502, { error: { code: 'BACKEND_DOWN', message: `SoDinhDanh ${NUMBER} could not be checked` } }]);
    const { client, entries } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as UpstreamUnavailableError).details).toMatchObject({ reason: 'HTTP_5XX', httpStatus: 502, errorCode: 'BACKEND_DOWN' });
    expect(JSON.stringify({ m: err.message, d: (err as UpstreamUnavailableError).details })).not.toContain(NUMBER);
    expect(entries[0]).toMatchObject({ outcome: 'UPSTREAM_ERROR', httpStatus: 502 });
  });

  it('maps other refusals to RegistryRejectedError: 400, 403 (not granted), 404 (wrong URL) and ketQua 99', async () => {
    tokenEndpoint();
    intercept('XacThucThongTinCongDan', () => [400, { error: { code: 'INVALID_REQUEST', message: `hoVaTen NGUYEN THI THU HA` } }]);
    intercept('XacThucThongTinCongDan', () => [403, { error: { code: 'NOT_GRANTED' } }]);
    intercept('XacThucThongTinCongDan', () => [404, '<html>Not found</html>']);
    intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '99', moTaLoi: `SoDinhDanh ${NUMBER} khong hop le` }));
    const { client, entries } = makeClient();
    const errors = [];
    for (let i = 0; i < 4; i++) errors.push(await failure(client.verifyCitizen(query, ctx)));
    for (const err of errors) expect(err).toBeInstanceOf(RegistryRejectedError);
    expect((errors[0] as RegistryRejectedError).details).toMatchObject({ errorCode: 'INVALID_REQUEST', httpStatus: 400 });
    expect(errors[1]!.message).toMatch(/HTTP 403 \(NOT_GRANTED\).*operations granted/);
    expect(errors[2]!.message).toContain('POPULATION_DB_URL');
    expect((errors[3] as RegistryRejectedError).details).toMatchObject({ resultCode: '99' });
    expect(JSON.stringify(errors.map((e) => [e.message, (e as RegistryRejectedError).details]))).not.toMatch(/NGUYEN|001215000123/);
    expect(entries.map((e) => [e.outcome, e.httpStatus])).toEqual([['REJECTED', 400], ['REJECTED', 403], ['REJECTED', 404], ['REJECTED', 200]]);
  });

  it('maps a slow answer to TIMEOUT and a refused connection to NETWORK', async () => {
    tokenEndpoint();
    nock(API).post(`${BASE_PATH}/XacThucThongTinCongDan`).delay(1000).reply(200, '{}');
    const { client, entries } = makeClient({ timeoutMs: 50 });
    const started = Date.now();
    const slow = await failure(client.verifyCitizen(query, ctx));
    expect(Date.now() - started).toBeLessThan(900);
    expect((slow as UpstreamUnavailableError).details).toMatchObject({ reason: 'TIMEOUT', httpStatus: null });
    expect(entries[0]).toMatchObject({ outcome: 'TIMEOUT', httpStatus: null });

    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    nock.enableNetConnect('127.0.0.1');
    tokenEndpoint();
    const refused = makeClient({ url: `http://127.0.0.1:${port}/api` });
    const err = await failure(refused.client.verifyCitizen(query, ctx));
    expect((err as UpstreamUnavailableError).details).toMatchObject({ reason: 'NETWORK' });
    expect(refused.entries[0]).toMatchObject({ outcome: 'UPSTREAM_ERROR', httpStatus: null });
  });

  it('maps unusable answers to MALFORMED, naming the failing fields and never their values', async () => {
    tokenEndpoint();
    intercept('XacThucThongTinCongDan', () => [200, `{"header": {}, "body": {"ketQua": "00", "congDan": [{"soDinhDanh": "${NUMBER}"`]);
    intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: 0 }));
    intercept('TraCuuThongTinCongDan', (req) => answer(req, { ketQua: '00', congDan: [citizen({ soDinhDanh: '12345', ngayThangNamSinh: '2015-03-02' })] }));
    intercept('TraCuuThongTinCongDan', (req) => answer(req, { ketQua: '00', congDan: [] }));
    intercept('XacThucThongTinCongDan', () => [200, { ketQua: '00' }]);
    intercept('XacThucThongTinCongDan', () => [200, { header: { requestId: 'someone-else' }, body: { ketQua: '00' } }]);
    intercept('XacThucThongTinCongDan', () => [200, '']);
    const { client, entries } = makeClient();
    const notJson = await failure(client.verifyCitizen(query, ctx));
    expect(notJson.message).toMatch(/not JSON/);
    expect((await failure(client.verifyCitizen(query, ctx))).message).toMatch(/failed validation at ketQua/);
    const wrongCitizen = await failure(client.lookupCitizen(query, ctx));
    expect(wrongCitizen.message).toContain('congDan.0.soDinhDanh');
    expect(wrongCitizen.message).toContain('congDan.0.ngayThangNamSinh');
    expect(wrongCitizen.message).not.toContain('12345');
    expect((await failure(client.lookupCitizen(query, ctx))).message).toMatch(/without any citizen/);
    expect((await failure(client.verifyCitizen(query, ctx))).message).toMatch(/not an LGSP envelope/);
    expect((await failure(client.verifyCitizen(query, ctx))).message).toMatch(/answers another request/);
    expect((await failure(client.verifyCitizen(query, ctx))).message).toMatch(/empty response/);
    expect(entries.map((e) => e.outcome)).toEqual(Array(7).fill('MALFORMED'));
    expect(notJson.message).not.toContain(NUMBER);
  });

  it('never puts the name, the number or the token into a log entry', async () => {
    tokenEndpoint();
    intercept('XacThucThongTinCongDan', (req) => answer(req, { ketQua: '00', congDan: [citizen()] }));
    intercept('XacThucThongTinCongDan', () => [500, { error: { code: 'E', message: `${NUMBER} NGUYEN` } }]);
    const { client, entries } = makeClient();
    await client.verifyCitizen(query, ctx);
    await failure(client.verifyCitizen(query, ctx));
    const logged = JSON.stringify(entries);
    for (const secret of [NUMBER, 'NGUYEN', 'Nguyễn', '20150302', 'Trần Văn Bình', 'tok-1', 's3cret']) expect(logged).not.toContain(secret);
  });
});
