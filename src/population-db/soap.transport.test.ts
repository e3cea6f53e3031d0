import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import { RegistryRejectedError } from '../errors/registry-rejected-error.js';
import { UpstreamUnavailableError } from '../errors/upstream-unavailable-error.js';
import { createLogger } from '../observability/logger.js';
import type { CallContext, PersonQuery } from './population-db.client.js';
import type { RegistryCallEntry, RegistryCallStart } from './registry-call.log.js';
import { RegistryCallNotLoggedError } from './logged-call.js';
import { SoapPopulationDbClient, type SoapPopulationDbClientOptions } from './soap.transport.js';
import { storableJobError } from '../../jobs/processors/storable-job-error.js';

const BASE = 'http://ndxp.test';
const PATH = '/dancu/ws';
const URL = `${BASE}${PATH}`;
const NOW = new Date('2026-11-25T08:30:05.123Z');
const NUMBER = '001215000123';

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
  raw: string;
  headers: Record<string, string>;
  /** The operation element, namespace prefixes removed. */
  op: Record<string, unknown>;
  opName: string;
}
type Reply = [number, string] | [number, string, Record<string, string>];

const requestParser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreAttributes: true, ignoreDeclaration: true });

/** Answers the next POST with `respond(request)` and records the request. */
function intercept(respond: (req: Captured) => Reply, captured: Captured[] = []): Captured[] {
  nock(BASE)
    .post(PATH)
    .reply(function (_uri, body) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(this.req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
      const parsed = requestParser.parse(raw) as { Envelope: { Body: Record<string, Record<string, unknown>> } };
      const [opName, op] = Object.entries(parsed.Envelope.Body)[0]!;
      const req = { raw, headers, op, opName };
      captured.push(req);
      return respond(req);
    });
  return captured;
}

/** A registry answer the way the platform sends it: its own prefixes, extra sensitive fields included. */
function envelope(operation: string, inner: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>` +
    `<ns2:${operation}Response xmlns:ns2="http://dancuquocgia.bca">${inner}</ns2:${operation}Response>` +
    `</S:Body></S:Envelope>`
  );
}

function citizenXml(c: { number?: string; ho?: string; chuDem?: string; ten?: string; sex?: string; birth?: string; extra?: string }): string {
  return (
    `<ns2:CongDan>` +
    `<ns2:SoDinhDanh>${c.number ?? NUMBER}</ns2:SoDinhDanh>` +
    `<ns2:Ho>${c.ho ?? 'NGUYEN'}</ns2:Ho><ns2:ChuDem>${c.chuDem ?? 'THI THU'}</ns2:ChuDem><ns2:Ten>${c.ten ?? 'HA'}</ns2:Ten>` +
    `<ns2:GioiTinh>${c.sex ?? '2'}</ns2:GioiTinh><ns2:NgayThangNamSinh>${c.birth ?? '20150302'}</ns2:NgayThangNamSinh>` +
    // Sensitive fields the adapter must drop.
    `<ns2:DanToc>01</ns2:DanToc><ns2:TonGiao>KHONG</ns2:TonGiao><ns2:NhomMau>O</ns2:NhomMau>` +
    `<ns2:NoiThuongTru><ns2:MaTinh>01</ns2:MaTinh><ns2:MaXa>00004</ns2:MaXa></ns2:NoiThuongTru>` +
    (c.extra ?? '') +
    `</ns2:CongDan>`
  );
}

function answer(req: Captured, ketQua: string, rest = ''): Reply {
  return [200, envelope(req.opName, `<ns2:MaYeuCau>${String(req.op['MaYeuCau'])}</ns2:MaYeuCau><ns2:KetQua>${ketQua}</ns2:KetQua>${rest}`)];
}

function soapFault(code: string): string {
  return (
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>` +
    `<faultcode>${code}</faultcode><faultstring>SoDinhDanh ${NUMBER} khong hop le</faultstring>` +
    `</soap:Fault></soap:Body></soap:Envelope>`
  );
}

function makeClient(overrides: Partial<SoapPopulationDbClientOptions> = {}) {
  const entries: RegistryCallEntry[] = [];
  const starts: RegistryCallStart[] = [];
  const client = new SoapPopulationDbClient({
    url: URL,
    username: 'childhub',
    secret: 's3cret',
    apiKey: 'key-123',
    callerCode: 'SLDTBXH-HN',
    integrationCode: 'CHILDHUB',
    timeoutMs: 2000,
    now: () => NOW,
    logger: createLogger({ level: 'silent' }),
    log: {
      begin: async (start) => void starts.push(start),
      record: async (entry) => {
        entries.push(entry);
      },
    },
    ...overrides,
  });
  return { client, entries, starts };
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

describe('SoapPopulationDbClient request', () => {
  it('sends a SOAP 1.1 envelope with the operation in the registry namespace and every required field', async () => {
    const captured = intercept((req) => answer(req, '00', `<ns2:CongdanCollection>${citizenXml({})}</ns2:CongdanCollection>`));
    const { client } = makeClient();
    const res = await client.verifyCitizen(query, ctx);

    const req = captured[0]!;
    expect(req.raw).toContain('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">');
    expect(req.raw).toContain('<soap:Body><dc:XacThucThongTinCongDan xmlns:dc="http://dancuquocgia.bca">');
    expect(req.opName).toBe('XacThucThongTinCongDan');
    expect(req.op).toEqual({
      MaYeuCau: res.requestId,
      MaDonVi: 'SLDTBXH-HN',
      MaTichHop: 'CHILDHUB',
      CanBo: { SoDinhDanh: 'CB-0042', HoVaTen: 'Trần Văn Bình', DonVi: 'so-ldtbxh-ha-noi' },
      MucDich: 'CHILD-ID-RECONCILIATION',
      SoHoSo: 'HS-2026-0001',
      SoDinhDanh: NUMBER,
      HoVaTen: 'NGUYEN THI THU HA',
      NgayThangNamSinh: '20150302',
    });
    expect(res.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(req.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(req.headers['soapaction']).toBe('"http://dancuquocgia.bca/XacThucThongTinCongDan"');
  });

  it('uses a fresh MaYeuCau for every call', async () => {
    const captured: Captured[] = [];
    for (let i = 0; i < 3; i++) intercept((req) => answer(req, '02'), captured);
    const { client, entries } = makeClient();
    const ids = [
      (await client.verifyCitizen(query, ctx)).requestId,
      (await client.verifyCitizen(query, ctx)).requestId,
      (await client.lookupCitizen(query, ctx)).requestId,
    ];
    expect(new Set(ids).size).toBe(3);
    expect(captured.map((c) => c.op['MaYeuCau'])).toEqual(ids);
    expect(entries.map((e) => e.requestId)).toEqual(ids);
  });

  it('folds names to registry style and sends year-only births as yyyy', async () => {
    const captured: Captured[] = [];
    for (let i = 0; i < 4; i++) intercept((req) => answer(req, '02'), captured);
    const { client } = makeClient();
    await client.lookupCitizen({ number: null, fullName: '  Đặng  Văn\tĐức ', birth: { date: '2016', precision: 'YEAR' } }, ctx);
    // NFD input (decomposed marks), as some source systems send it.
    await client.lookupCitizen({ number: null, fullName: 'Nguyễn Thị Thu Hà'.normalize('NFD'), birth: { date: '2016-07-01', precision: 'YEAR' } }, ctx);
    await client.lookupCitizen({ number: null, fullName: 'Lê Hoà', birth: { date: '2016-07-01', precision: 'MONTH' } }, ctx);
    await client.lookupCitizen({ number: '', fullName: 'Lê Hoà', birth: { date: '2016-07', precision: 'MONTH' } }, ctx);
    expect(captured.map((c) => [c.op['HoVaTen'], c.op['NgayThangNamSinh'], c.op['SoDinhDanh']])).toEqual([
      ['DANG VAN DUC', '2016', ''],
      ['NGUYEN THI THU HA', '2016', ''],
      ['LE HOA', '20160701', ''],
      ['LE HOA', '2016', ''],
    ]);
    expect(captured[0]!.opName).toBe('TraCuuThongTinCongDan');
    expect(captured[0]!.headers['soapaction']).toBe('"http://dancuquocgia.bca/TraCuuThongTinCongDan"');
  });

  it('escapes every value so the envelope stays well-formed', async () => {
    const captured = intercept((req) => answer(req, '02'));
    const { client } = makeClient();
    const tricky: CallContext = { ...ctx, officerName: `O'Brien <admin> & "co"`, caseRef: 'HS-1</dc:SoHoSo><dc:X>', unit: 'a&b' };
    await client.verifyCitizen(query, tricky);
    const req = captured[0]!;
    expect(req.raw).not.toContain('<dc:X>');
    expect(req.raw).toContain('HS-1&lt;/dc:SoHoSo&gt;&lt;dc:X&gt;');
    expect(req.op['SoHoSo']).toBe('HS-1</dc:SoHoSo><dc:X>');
    expect(req.op['CanBo']).toEqual({ SoDinhDanh: 'CB-0042', HoVaTen: `O'Brien <admin> & "co"`, DonVi: 'a&b' });
  });

  it('signs with Basic base64(username:hex(SHA256(url + username + timestamp + secret))), a UTC timestamp and the API key', async () => {
    const captured = intercept((req) => answer(req, '02'));
    const { client } = makeClient();
    await client.verifyCitizen(query, ctx);
    const headers = captured[0]!.headers;
    const timestamp = '20261125083005'; // NOW in UTC, yyyyMMddHHmmss
    const signature = createHash('sha256').update(`${URL}childhub${timestamp}s3cret`).digest('hex');
    expect(headers['timestamp']).toBe(timestamp);
    expect(headers['authorization']).toBe(`Basic ${Buffer.from(`childhub:${signature}`).toString('base64')}`);
    expect(headers['x-api-key']).toBe('key-123');
    expect(captured[0]!.raw).not.toContain('s3cret');
  });
});

describe('SoapPopulationDbClient responses', () => {
  it('reads a match into the citizen fields reconciliation needs, and nothing else', async () => {
    intercept((req) => answer(req, '00', `<ns2:CongdanCollection>${citizenXml({})}</ns2:CongdanCollection>`));
    const { client, entries } = makeClient();
    const res = await client.verifyCitizen(query, ctx);
    expect(res.outcome).toEqual({
      kind: 'MATCH',
      citizen: {
        number: NUMBER,
        familyName: 'NGUYEN',
        middleName: 'THI THU',
        givenName: 'HA',
        sex: 'FEMALE',
        birthDate: '2015-03-02',
        birthDatePrecision: 'DAY',
      },
    });
    expect(JSON.stringify(res)).not.toMatch(/KHONG|TonGiao|DanToc|NhomMau|00004/);
    expect(entries).toEqual([
      {
        requestId: res.requestId,
        operation: 'XacThucThongTinCongDan',
        transport: 'soap',
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

  it('reads a mismatch with the fields that differ', async () => {
    intercept((req) =>
      answer(req, '01', `<ns2:CongdanCollection>${citizenXml({ ten: 'HOA', extra: '<ns2:TruongKhongKhop>HoVaTen, NgayThangNamSinh</ns2:TruongKhongKhop>' })}</ns2:CongdanCollection>`),
    );
    const { client, entries } = makeClient();
    const res = await client.verifyCitizen(query, ctx);
    expect(res.outcome).toMatchObject({ kind: 'MISMATCH', fields: ['HoVaTen', 'NgayThangNamSinh'], citizen: { givenName: 'HOA' } });
    expect(entries[0]!.outcome).toBe('MISMATCH');
  });

  it('reads a mismatch whose field list sits beside an empty collection', async () => {
    intercept((req) => answer(req, '01', '<ns2:TruongKhongKhop>GioiTinh</ns2:TruongKhongKhop><ns2:CongdanCollection/>'));
    const { client } = makeClient();
    expect((await client.verifyCitizen(query, ctx)).outcome).toEqual({ kind: 'MISMATCH', fields: ['GioiTinh'], citizen: null });
  });

  it('reads not-found for verification and lookup', async () => {
    intercept((req) => answer(req, '02', '<ns2:CongdanCollection/>'));
    intercept((req) => answer(req, '02'));
    const { client, entries } = makeClient();
    expect((await client.verifyCitizen(query, ctx)).outcome).toEqual({ kind: 'NOT_FOUND' });
    expect((await client.lookupCitizen(query, ctx)).outcome).toEqual({ kind: 'NOT_FOUND' });
    expect(entries.map((e) => e.outcome)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });

  it('reads a lookup with several citizens (twins, a year-only birth)', async () => {
    intercept((req) =>
      answer(
        req,
        '00',
        '<ns2:CongdanCollection>' +
          citizenXml({ number: '001215000123', ten: 'HA' }) +
          citizenXml({ number: '001215000124', ten: 'HOA', chuDem: '' }) +
          citizenXml({ number: '001115000999', ho: 'LE', ten: 'AN', sex: '1', birth: '2015' }) +
          '</ns2:CongdanCollection>',
      ),
    );
    const { client, entries } = makeClient();
    const res = await client.lookupCitizen({ ...query, number: null }, ctx);
    expect(res.outcome.kind).toBe('FOUND');
    const citizens = res.outcome.kind === 'FOUND' ? res.outcome.citizens : [];
    expect(citizens.map((c) => [c.number, c.familyName, c.middleName, c.givenName, c.sex, c.birthDate, c.birthDatePrecision])).toEqual([
      ['001215000123', 'NGUYEN', 'THI THU', 'HA', 'FEMALE', '2015-03-02', 'DAY'],
      ['001215000124', 'NGUYEN', null, 'HOA', 'FEMALE', '2015-03-02', 'DAY'],
      ['001115000999', 'LE', 'THI THU', 'AN', 'MALE', '2015-01-01', 'YEAR'],
    ]);
    expect(entries[0]!.outcome).toBe('FOUND');
  });

  it('submits a bulk request and reads its status and results', async () => {
    const captured: Captured[] = [];
    intercept((req) => answer(req, '00', '<ns2:MaYeuCauDanhSach>DS-77</ns2:MaYeuCauDanhSach><ns2:SoLuong>3</ns2:SoLuong>'), captured);
    intercept((req) => answer(req, '00', '<ns2:TrangThai>HOAN_THANH</ns2:TrangThai>'), captured);
    intercept(
      (req) =>
        answer(
          req,
          '00',
          '<ns2:DanhSachKetQua>' +
            '<ns2:KetQuaCongDan><ns2:ChiSo>1</ns2:ChiSo><ns2:KetQua>02</ns2:KetQua><ns2:CongdanCollection/></ns2:KetQuaCongDan>' +
            '<ns2:KetQuaCongDan><ns2:ChiSo>2</ns2:ChiSo><ns2:KetQua>99</ns2:KetQua><ns2:MoTaLoi>SoDinhDanh must be 12 digits</ns2:MoTaLoi></ns2:KetQuaCongDan>' +
            `<ns2:KetQuaCongDan><ns2:ChiSo>0</ns2:ChiSo><ns2:KetQua>00</ns2:KetQua><ns2:CongdanCollection>${citizenXml({})}</ns2:CongdanCollection></ns2:KetQuaCongDan>` +
            '</ns2:DanhSachKetQua>',
        ),
      captured,
    );
    const { client, entries } = makeClient();
    const submitted = await client.submitBulkRequest(
      [query, { number: null, fullName: 'Lê An', birth: { date: '2015', precision: 'YEAR' } }, { ...query, number: '123' }],
      ctx,
    );
    expect(submitted.outcome).toEqual({ bulkId: 'DS-77' });
    expect(captured[0]!.opName).toBe('GuiYeuCauDanhSach');
    expect(captured[0]!.op['DanhSachCongDan']).toEqual({
      CongDan: [
        { ChiSo: '0', SoDinhDanh: NUMBER, HoVaTen: 'NGUYEN THI THU HA', NgayThangNamSinh: '20150302' },
        { ChiSo: '1', SoDinhDanh: '', HoVaTen: 'LE AN', NgayThangNamSinh: '2015' },
        { ChiSo: '2', SoDinhDanh: '123', HoVaTen: 'NGUYEN THI THU HA', NgayThangNamSinh: '20150302' },
      ],
    });

    expect((await client.getBulkRequestStatus('DS-77', ctx)).outcome).toEqual({ state: 'DONE' });
    expect(captured[1]!.opName).toBe('GetRequestStatus');
    expect(captured[1]!.op['MaYeuCauDanhSach']).toBe('DS-77');

    const results = await client.getBulkRequestResult('DS-77', ctx);
    // Item 2 was refused by the registry (99): it has no lookup outcome and is left out.
    expect(results.outcome.results.map((r) => [r.index, r.outcome.kind])).toEqual([
      [0, 'FOUND'],
      [1, 'NOT_FOUND'],
    ]);
    expect(entries.map((e) => [e.operation, e.outcome])).toEqual([
      ['GuiYeuCauDanhSach', 'ACCEPTED'],
      ['GetRequestStatus', 'ACCEPTED'],
      ['GetRequestResult', 'FOUND'],
    ]);
  });

  it('refuses bulk results that are not ready, and an unknown bulk id', async () => {
    intercept((req) => answer(req, '00', '<ns2:MaYeuCauDanhSach>DS-1</ns2:MaYeuCauDanhSach><ns2:TrangThai>DANG_XU_LY</ns2:TrangThai>'));
    intercept((req) => answer(req, '02', '<ns2:MaYeuCauDanhSach>DS-0</ns2:MaYeuCauDanhSach>'));
    const { client, entries } = makeClient();
    const pending = await failure(client.getBulkRequestResult('DS-1', ctx));
    expect(pending).toBeInstanceOf(UpstreamUnavailableError);
    expect((pending as UpstreamUnavailableError).details['reason']).toBe('PENDING');
    expect(await failure(client.getBulkRequestStatus('DS-0', ctx))).toBeInstanceOf(RegistryRejectedError);
    expect(entries.map((e) => e.outcome)).toEqual(['ACCEPTED', 'NOT_FOUND']);
  });
});

describe('SoapPopulationDbClient errors', () => {
  it('maps a client SOAP fault to RegistryRejectedError without quoting the fault string', async () => {
    intercept(() => [500, soapFault('soap:Client')]);
    const { client, entries } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(RegistryRejectedError);
    expect(err.message).toContain('soap:Client');
    expect(JSON.stringify({ m: err.message, d: (err as RegistryRejectedError).details })).not.toContain(NUMBER);
    expect(entries[0]).toMatchObject({ outcome: 'REJECTED', httpStatus: 500 });
  });

  it('maps a server SOAP fault to UpstreamUnavailableError', async () => {
    intercept(() => [500, soapFault('soapenv:Server')]);
    const { client, entries } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect(entries[0]).toMatchObject({ outcome: 'UPSTREAM_ERROR', httpStatus: 500 });
  });

  it('maps a fault inside a 200 answer the same way', async () => {
    intercept(() => [200, soapFault('Client.Authentication')]);
    const { client } = makeClient();
    expect(await failure(client.lookupCitizen(query, ctx))).toBeInstanceOf(RegistryRejectedError);
  });

  it('maps KetQua 99 to RegistryRejectedError', async () => {
    intercept((req) => answer(req, '99'));
    const { client, entries } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(RegistryRejectedError);
    expect((err as RegistryRejectedError).details).toMatchObject({ resultCode: '99', operation: 'XacThucThongTinCongDan' });
    expect(entries[0]).toMatchObject({ outcome: 'REJECTED', httpStatus: 200 });
  });

  it('maps 429 to RateLimitedError with Retry-After in seconds', async () => {
    intercept(() => [429, '', { 'Retry-After': '7' }]);
    const { client, entries } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).details['retryAfterMs']).toBe(7000);
    expect(entries[0]).toMatchObject({ outcome: 'RATE_LIMITED', httpStatus: 429 });
  });

  it('maps 429 with Retry-After as an HTTP date, and without one to the default', async () => {
    intercept(() => [429, '', { 'Retry-After': new Date(NOW.getTime() + 30_000).toUTCString() }]);
    intercept(() => [429, '']);
    const { client } = makeClient();
    const dated = (await failure(client.verifyCitizen(query, ctx))) as RateLimitedError;
    // toUTCString drops milliseconds: NOW is .123 s past the second.
    expect(dated.details['retryAfterMs']).toBe(30_000 - 123);
    const bare = (await failure(client.verifyCitizen(query, ctx))) as RateLimitedError;
    expect(bare.details['retryAfterMs']).toBe(1000);
  });

  it('maps 500 without a fault to UpstreamUnavailableError (HTTP_5XX)', async () => {
    intercept(() => [503, '<html>Service Unavailable</html>']);
    const { client, entries } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as UpstreamUnavailableError).details).toMatchObject({ reason: 'HTTP_5XX', httpStatus: 503 });
    expect(entries[0]).toMatchObject({ outcome: 'UPSTREAM_ERROR', httpStatus: 503 });
  });

  it('maps a slow answer to UpstreamUnavailableError (TIMEOUT)', async () => {
    nock(BASE).post(PATH).delay(1000).reply(200, '');
    const { client, entries } = makeClient({ timeoutMs: 50 });
    const started = Date.now();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(Date.now() - started).toBeLessThan(900);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as UpstreamUnavailableError).details).toMatchObject({ reason: 'TIMEOUT', httpStatus: null });
    expect(entries[0]).toMatchObject({ outcome: 'TIMEOUT', httpStatus: null });
  });

  it('maps a connection error to UpstreamUnavailableError (NETWORK)', async () => {
    // A real refused connection: a loopback port that was free a moment ago.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    nock.enableNetConnect('127.0.0.1');
    const { client, entries } = makeClient({ url: `http://127.0.0.1:${port}/dancu/ws` });
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as UpstreamUnavailableError).details).toMatchObject({ reason: 'NETWORK' });
    expect(entries[0]).toMatchObject({ outcome: 'UPSTREAM_ERROR', httpStatus: null });
  });

  it('maps malformed XML to UpstreamUnavailableError (MALFORMED) without the body in the message', async () => {
    intercept((req) => [200, answer(req, '00', `<ns2:CongdanCollection>${citizenXml({})}`)[1].slice(0, 400)]);
    const { client, entries } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as UpstreamUnavailableError).details).toMatchObject({ reason: 'MALFORMED' });
    expect(err.message).toMatch(/not well-formed XML/);
    expect(err.message).not.toContain(NUMBER);
    expect(err.message).not.toContain('NGUYEN');
    expect(entries[0]).toMatchObject({ outcome: 'MALFORMED', httpStatus: 200 });
  });

  it('maps well-formed XML of the wrong shape to MALFORMED, naming the failing elements', async () => {
    intercept((req) => answer(req, '7'));
    intercept((req) => answer(req, '00', `<ns2:CongdanCollection>${citizenXml({ number: '12345', birth: '2015-03-02' })}</ns2:CongdanCollection>`));
    intercept(() => [200, '<html><body>Login</body></html>']);
    intercept(() => [200, '']);
    const { client, entries } = makeClient();
    const wrongCode = await failure(client.verifyCitizen(query, ctx));
    expect(wrongCode.message).toMatch(/failed validation at KetQua/);
    const wrongCitizen = await failure(client.lookupCitizen(query, ctx));
    expect(wrongCitizen.message).toContain('CongdanCollection.CongDan.0.SoDinhDanh');
    expect(wrongCitizen.message).toContain('CongdanCollection.CongDan.0.NgayThangNamSinh');
    expect(wrongCitizen.message).not.toContain('12345');
    const notSoap = await failure(client.verifyCitizen(query, ctx));
    expect(notSoap.message).toMatch(/not a SOAP envelope/);
    const empty = await failure(client.verifyCitizen(query, ctx));
    expect(empty.message).toMatch(/empty response/);
    for (const err of [wrongCode, wrongCitizen, notSoap, empty]) {
      expect(err).toBeInstanceOf(UpstreamUnavailableError);
      expect((err as UpstreamUnavailableError).details['reason']).toBe('MALFORMED');
    }
    expect(entries.map((e) => e.outcome)).toEqual(['MALFORMED', 'MALFORMED', 'MALFORMED', 'MALFORMED']);
  });

  it('refuses an answer that echoes another request id', async () => {
    intercept(() => [200, envelope('XacThucThongTinCongDan', '<ns2:MaYeuCau>someone-else</ns2:MaYeuCau><ns2:KetQua>00</ns2:KetQua>')]);
    const { client } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect((err as UpstreamUnavailableError).details['reason']).toBe('MALFORMED');
    expect(err.message).toMatch(/answers another request/);
  });

  it('maps 401 to RegistryRejectedError naming the status', async () => {
    intercept(() => [401, 'Unauthorized']);
    const { client, entries } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(RegistryRejectedError);
    expect(err.message).toContain('HTTP 401');
    expect(entries[0]).toMatchObject({ outcome: 'REJECTED', httpStatus: 401 });
    // Kept whole in the log and in a failed job (QA: which settings to check was `[redacted]`, and the job's reason
    // `message withheld`): the adapter built it from its own words.
    const lines: string[] = [];
    createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } }).warn({ err }, 'call failed');
    expect((JSON.parse(lines[0]!) as { err: { message: string } }).err.message).toBe(err.message);
    expect(err.message).toMatch(/\(configuration error: check POPULATION_DB_USERNAME, POPULATION_DB_SECRET, POPULATION_DB_API_KEY and the server clock\)$/);
    expect((storableJobError(err) as Error).message).toBe(`REGISTRY_REJECTED: ${err.message}`);
  });

  it('names a fault code only when it is a plain identifier', async () => {
    intercept(() => [500, soapFault(`Client ${NUMBER}`)]);
    const { client } = makeClient();
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err.message).toBe('Population database failed on XacThucThongTinCongDan (SOAP fault with a code that is not an identifier)');
    expect(JSON.stringify((err as RegistryRejectedError).details)).not.toContain(NUMBER);
  });
});

describe('SoapPopulationDbClient integration log', () => {
  it('never puts the name or the number into a log entry', async () => {
    intercept((req) => answer(req, '00', `<ns2:CongdanCollection>${citizenXml({})}</ns2:CongdanCollection>`));
    intercept(() => [500, soapFault('soap:Client')]);
    intercept(() => [429, '']);
    const { client, entries } = makeClient();
    await client.verifyCitizen(query, ctx);
    await failure(client.verifyCitizen(query, ctx));
    await failure(client.lookupCitizen(query, ctx));
    expect(entries).toHaveLength(3);
    const logged = JSON.stringify(entries);
    for (const secret of [NUMBER, 'NGUYEN', 'Nguyễn', '20150302', 'Trần Văn Bình']) expect(logged).not.toContain(secret);
  });

  it('returns the result when the log write fails, and reports the failure', async () => {
    intercept((req) => answer(req, '02'));
    const lines: string[] = [];
    const { client } = makeClient({
      log: { begin: async () => {}, record: () => Promise.reject(new Error('connection terminated')) },
      logger: createLogger({ level: 'error', destination: { write: (s: string) => void lines.push(s) } }),
    });
    const res = await client.verifyCitizen(query, ctx);
    expect(res.outcome).toEqual({ kind: 'NOT_FOUND' });
    expect(lines.join('')).toContain('integration log');
    expect(lines.join('')).toContain(res.requestId);
  });

  it('writes the call\'s start before anything is sent, and its outcome under the same request id', async () => {
    let sentBeforeStart = false;
    let sent = false;
    intercept((req) => {
      sent = true;
      return answer(req, '02');
    });
    const starts: RegistryCallStart[] = [];
    const { client, entries } = makeClient({
      log: {
        begin: async (start) => {
          sentBeforeStart = sent;
          starts.push(start);
        },
        record: async (entry) => void entries.push(entry),
      },
    });
    const res = await client.verifyCitizen(query, ctx);
    expect(sentBeforeStart).toBe(false);
    expect(starts.map((x) => x.requestId)).toEqual([res.requestId]);
    expect(entries.map((e) => [e.requestId, e.startedAt])).toEqual([[res.requestId, starts[0]!.startedAt]]);
  });

  it('sends nothing when the call\'s start cannot be written first (REGISTRY_CALL_NOT_LOGGED, QA: calls made while PostgreSQL was away were never logged)', async () => {
    let sent = 0;
    intercept((req) => {
      sent++;
      return answer(req, '02');
    });
    const { client, entries } = makeClient({
      log: { begin: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')), record: async (entry) => void entries.push(entry) },
    });
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(RegistryCallNotLoggedError);
    expect(err).toMatchObject({ code: 'REGISTRY_CALL_NOT_LOGGED' });
    expect(err.message).toBe('The population database was not called: the call could not be written to the integration log first: connect ECONNREFUSED 127.0.0.1:5432');
    expect([sent, entries.length]).toEqual([0, 0]);
    // Every address of a host refused: Node's AggregateError has no message, its code says it.
    const refused = Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
    const { client: other } = makeClient({ log: { begin: () => Promise.reject(refused), record: async () => {} } });
    expect((await failure(other.verifyCitizen(query, ctx))).message).toBe(
      'The population database was not called: the call could not be written to the integration log first: ECONNREFUSED');
    nock.cleanAll();
  });

  it('throws the call error, not the log error, when both fail', async () => {
    intercept(() => [429, '', { 'Retry-After': '2' }]);
    const { client } = makeClient({ log: { begin: async () => {}, record: () => Promise.reject(new Error('connection terminated')) } });
    const err = await failure(client.verifyCitizen(query, ctx));
    expect(err).toBeInstanceOf(RateLimitedError);
  });
});
