import { createHash } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generatePopulation, type SyntheticChild } from '../../sample/population.js';
import { NAMESPACE, SOAP_ENV_NAMESPACE } from '../protocol.js';
import {
  startPopulationDbSimulator,
  type PopulationDbSimulator,
  type PopulationDbSimulatorOptions,
} from './population-db.simulator.js';
import { SlidingWindowQuota } from './quota.js';

const SEED = 7;
const COUNT = 5000;
const silent = pino({ level: 'silent' });
const population: SyntheticChild[] = [...generatePopulation({ seed: SEED, count: COUNT })];

/** Registry style, written independently of the code under test: upper case, no diacritics. */
function registryStyle(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'D').toUpperCase();
}
const compact = (iso: string): string => iso.replaceAll('-', '');

/** A child with a number, not abandoned, with a middle name and a name and birth no other child shares. */
const numbered = population.find(
  (c) =>
    c.identityNumber !== null &&
    !c.abandoned &&
    c.middleName !== null &&
    population.filter((o) => registryStyle(o.fullName) === registryStyle(c.fullName) && o.birthDate.slice(0, 4) === c.birthDate.slice(0, 4)).length === 1,
)!;
const unregistered = population.find((c) => c.identityNumber === null && !c.abandoned)!;
const abandonedWithoutNumber = population.filter((c) => c.abandoned && c.identityNumber === null);

interface Fields {
  [element: string]: string | undefined;
}

/** A request as protocol.ts describes it; `undefined` leaves an element out. */
function request(operation: string, fields: Fields, extra = '', common: Fields = {}): string {
  const header: Fields = { MaYeuCau: 'req-1', MaDonVi: 'SLDTBXH-HN', MaTichHop: 'CHILDHUB', MucDich: 'BVTE', SoHoSo: 'HS-1', ...common };
  const el = (name: string, value: string | undefined): string => (value === undefined ? '' : `<dc:${name}>${value}</dc:${name}>`);
  const canBo = common.CanBo === 'omit' ? '' : `<dc:CanBo>${el('SoDinhDanh', '001080000001')}${el('HoVaTen', 'TRAN VAN CAN BO')}${el('DonVi', 'PBVTE')}</dc:CanBo>`;
  const headerXml = ['MaYeuCau', 'MaDonVi', 'MaTichHop'].map((k) => el(k, header[k])).join('') + canBo + el('MucDich', header.MucDich) + el('SoHoSo', header.SoHoSo);
  const body = Object.entries(fields).map(([k, v]) => el(k, v)).join('');
  return (
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<soap:Envelope xmlns:soap="${SOAP_ENV_NAMESPACE}"><soap:Body>` +
    `<dc:${operation} xmlns:dc="${NAMESPACE}">${headerXml}${body}${extra}</dc:${operation}>` +
    `</soap:Body></soap:Envelope>`
  );
}

const responseParser = new XMLParser({
  removeNSPrefix: true,
  parseTagValue: false,
  ignoreAttributes: true,
  isArray: (name) => ['CongDan', 'KetQuaCongDan'].includes(name),
});

type Xml = Record<string, unknown>;

interface SoapReply {
  status: number;
  headers: Headers;
  text: string;
  /** The element inside soap:Body (the response or the Fault). */
  body: Xml;
}

async function post(url: string, xml: string, headers: Record<string, string> = {}): Promise<SoapReply> {
  const res = await fetch(url, { method: 'POST', body: xml, headers: { 'content-type': 'text/xml; charset=utf-8', ...headers } });
  const text = await res.text();
  let body: Xml = {};
  if (XMLValidator.validate(text) === true) {
    const parsed = responseParser.parse(text) as { Envelope?: { Body?: Xml } };
    body = parsed.Envelope?.Body ?? {};
  }
  return { status: res.status, headers: res.headers, text, body };
}

function responseOf(reply: SoapReply, operation: string): Xml {
  const r = reply.body[`${operation}Response`];
  expect(r, reply.text).toBeDefined();
  return r as Xml;
}

function citizensOf(r: Xml): Xml[] {
  const coll = r.CongdanCollection as { CongDan?: Xml[] } | undefined;
  return coll?.CongDan ?? [];
}

function faultOf(reply: SoapReply): { faultcode: string; faultstring: string } {
  return reply.body.Fault as { faultcode: string; faultstring: string };
}

const started: PopulationDbSimulator[] = [];
async function start(options: Partial<PopulationDbSimulatorOptions> = {}): Promise<PopulationDbSimulator> {
  const sim = await startPopulationDbSimulator({ seed: SEED, count: COUNT, quotaPerSecond: 0, logger: silent, ...options });
  started.push(sim);
  return sim;
}
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

describe('population database simulator: operations', () => {
  let sim: PopulationDbSimulator;
  beforeAll(async () => {
    sim = await start({ bulkProcessingMs: 100 });
  });

  const verify = (fields: Fields, common?: Fields) => post(sim.url, request('XacThucThongTinCongDan', fields, '', common), { SOAPAction: 'XacThucThongTinCongDan' });
  const lookup = (fields: Fields) => post(sim.url, request('TraCuuThongTinCongDan', fields));

  it('test subjects exist in the sample', () => {
    expect(numbered).toBeDefined();
    expect(unregistered).toBeDefined();
    expect(abandonedWithoutNumber.length).toBeGreaterThan(1);
  });

  it('verifies a matching citizen (00) and returns the record, echoing MaYeuCau', async () => {
    const reply = await verify({
      SoDinhDanh: numbered.identityNumber!,
      HoVaTen: registryStyle(numbered.fullName),
      NgayThangNamSinh: compact(numbered.birthDate),
      GioiTinh: numbered.sex === 'MALE' ? '1' : '2',
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    const r = responseOf(reply, 'XacThucThongTinCongDan');
    expect(r.MaYeuCau).toBe('req-1');
    expect(r.KetQua).toBe('00');
    expect(r.TruongKhongKhop).toBeUndefined();
    const [c] = citizensOf(r);
    expect(c).toMatchObject({
      SoDinhDanh: numbered.identityNumber,
      Ho: numbered.familyName,
      ChuDem: numbered.middleName,
      Ten: numbered.givenName,
      GioiTinh: numbered.sex === 'MALE' ? '1' : '2',
      NgayThangNamSinh: compact(numbered.birthDate),
      MaTinh: '01',
      MaXa: numbered.communeCode,
    });
    expect(typeof c!.TonGiao).toBe('string');
  });

  it('compares names ignoring diacritics, case, Unicode form and spacing', async () => {
    const variants = [numbered.fullName, numbered.fullName.normalize('NFD').toLowerCase(), `  ${numbered.fullName.toUpperCase().replace(/ /g, '   ')} `];
    for (const HoVaTen of variants) {
      const r = responseOf(await verify({ SoDinhDanh: numbered.identityNumber!, HoVaTen, NgayThangNamSinh: compact(numbered.birthDate) }), 'XacThucThongTinCongDan');
      expect(r.KetQua, HoVaTen).toBe('00');
    }
  });

  it('compares a year-only birth at year precision', async () => {
    const year = numbered.birthDate.slice(0, 4);
    const ok = responseOf(await verify({ SoDinhDanh: numbered.identityNumber!, HoVaTen: numbered.fullName, NgayThangNamSinh: year }), 'XacThucThongTinCongDan');
    expect(ok.KetQua).toBe('00');
    const wrong = responseOf(
      await verify({ SoDinhDanh: numbered.identityNumber!, HoVaTen: numbered.fullName, NgayThangNamSinh: String(Number(year) - 1) }),
      'XacThucThongTinCongDan',
    );
    expect(wrong.KetQua).toBe('01');
    expect(wrong.TruongKhongKhop).toBe('NgayThangNamSinh');
  });

  it('reports a mismatch (01) with every differing field in TruongKhongKhop', async () => {
    const reply = await verify({
      SoDinhDanh: numbered.identityNumber!,
      HoVaTen: `${registryStyle(numbered.familyName)} XYZ`,
      NgayThangNamSinh: compact(numbered.birthDate) === '20150101' ? '20150102' : '20150101',
      GioiTinh: numbered.sex === 'MALE' ? '2' : '1',
    });
    const r = responseOf(reply, 'XacThucThongTinCongDan');
    expect(r.KetQua).toBe('01');
    expect(r.TruongKhongKhop).toBe('HoVaTen,NgayThangNamSinh,GioiTinh');
    expect(citizensOf(r)[0]!.TruongKhongKhop).toBe('HoVaTen,NgayThangNamSinh,GioiTinh');
  });

  it('answers 02 for an unknown number', async () => {
    const r = responseOf(await verify({ SoDinhDanh: '001299999999', HoVaTen: 'NGUYEN VAN A', NgayThangNamSinh: '2015' }), 'XacThucThongTinCongDan');
    expect(r.KetQua).toBe('02');
    expect(citizensOf(r)).toHaveLength(0);
  });

  it('rejects (99) a request missing or mangling required elements', async () => {
    const base = { SoDinhDanh: numbered.identityNumber!, HoVaTen: numbered.fullName, NgayThangNamSinh: compact(numbered.birthDate) };
    const cases: Array<[Fields, Fields | undefined]> = [
      [{ ...base, HoVaTen: undefined }, undefined],
      [{ ...base, NgayThangNamSinh: '2015-03-02' }, undefined],
      [{ ...base, NgayThangNamSinh: '20150230' }, undefined],
      [{ ...base, SoDinhDanh: '12345' }, undefined],
      [{ ...base, GioiTinh: 'M' }, undefined],
      [base, { MucDich: undefined }],
      [base, { CanBo: 'omit' }],
    ];
    for (const [fields, common] of cases) {
      const r = responseOf(await verify(fields, common), 'XacThucThongTinCongDan');
      expect(r.KetQua, JSON.stringify([fields, common])).toBe('99');
      expect(r.MoTaLoi).toBeTruthy();
    }
    // Elements outside the registry's namespace do not count.
    const unqualified = request('XacThucThongTinCongDan', base).replace('<dc:MaYeuCau>req-1</dc:MaYeuCau>', '<MaYeuCau>req-1</MaYeuCau>');
    expect(responseOf(await post(sim.url, unqualified), 'XacThucThongTinCongDan').KetQua).toBe('99');
  });

  it('answers a soap:Client fault for unknown operations and non-SOAP bodies', async () => {
    const unknown = await post(sim.url, request('XoaCongDan', {}));
    expect(unknown.status).toBe(500);
    expect(faultOf(unknown).faultcode).toBe('soap:Client');
    const garbage = await post(sim.url, 'not xml at all <');
    expect(faultOf(garbage).faultcode).toBe('soap:Client');
    const soap12 = await post(sim.url, request('TraCuuThongTinCongDan', {}).replace(SOAP_ENV_NAMESPACE, 'http://www.w3.org/2003/05/soap-envelope'));
    expect(faultOf(soap12).faultcode).toBe('soap:VersionMismatch');
    const wrongPath = await fetch(sim.url.replace('/dancu', '/other'), { method: 'POST', body: '' });
    expect(wrongPath.status).toBe(404);
  });

  it('looks up by number, by name + full birth date and by name + birth year', async () => {
    const byNumber = responseOf(await lookup({ SoDinhDanh: numbered.identityNumber!, HoVaTen: '', NgayThangNamSinh: '' }), 'TraCuuThongTinCongDan');
    expect(byNumber.KetQua).toBe('00');
    expect(citizensOf(byNumber).map((c) => c.SoDinhDanh)).toEqual([numbered.identityNumber]);

    for (const NgayThangNamSinh of [compact(numbered.birthDate), numbered.birthDate.slice(0, 4)]) {
      const r = responseOf(await lookup({ SoDinhDanh: '', HoVaTen: registryStyle(numbered.fullName), NgayThangNamSinh }), 'TraCuuThongTinCongDan');
      expect(r.KetQua).toBe('00');
      expect(citizensOf(r).map((c) => c.SoDinhDanh)).toEqual([numbered.identityNumber]);
    }
  });

  it('returns every citizen sharing a name and birth year', async () => {
    const groups = new Map<string, SyntheticChild[]>();
    for (const c of population) {
      if (c.identityNumber === null) continue;
      const key = `${registryStyle(c.fullName)}|${c.birthDate.slice(0, 4)}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const shared = [...groups.values()].find((g) => g.length > 1);
    expect(shared).toBeDefined();
    const r = responseOf(await lookup({ HoVaTen: shared![0]!.fullName, NgayThangNamSinh: shared![0]!.birthDate.slice(0, 4) }), 'TraCuuThongTinCongDan');
    expect(citizensOf(r).map((c) => c.SoDinhDanh).sort()).toEqual(shared!.map((c) => c.identityNumber).sort());
  });

  it('answers 02 when nobody matches, including children the registry never registered', async () => {
    const r = responseOf(await lookup({ HoVaTen: unregistered.fullName, NgayThangNamSinh: compact(unregistered.birthDate) }), 'TraCuuThongTinCongDan');
    expect(r.KetQua).toBe('02');
    expect(r.CongdanCollection).toBeUndefined();
    expect(responseOf(await lookup({ HoVaTen: 'NGUYEN VAN A' }), 'TraCuuThongTinCongDan').KetQua).toBe('99');
  });

  it('runs a bulk request: submit, DANG_XU_LY, then HOAN_THANH with per-item results', async () => {
    const items =
      '<dc:DanhSachCongDan>' +
      `<dc:CongDan><dc:SoDinhDanh>${numbered.identityNumber}</dc:SoDinhDanh></dc:CongDan>` +
      `<dc:CongDan><dc:HoVaTen>${registryStyle(numbered.fullName)}</dc:HoVaTen><dc:NgayThangNamSinh>${numbered.birthDate.slice(0, 4)}</dc:NgayThangNamSinh></dc:CongDan>` +
      `<dc:CongDan><dc:HoVaTen>${unregistered.fullName}</dc:HoVaTen><dc:NgayThangNamSinh>${compact(unregistered.birthDate)}</dc:NgayThangNamSinh></dc:CongDan>` +
      `<dc:CongDan><dc:HoVaTen>NGUYEN VAN A</dc:HoVaTen><dc:NgayThangNamSinh>15/03/2015</dc:NgayThangNamSinh></dc:CongDan>` +
      '</dc:DanhSachCongDan>';
    const submitted = responseOf(await post(sim.url, request('GuiYeuCauDanhSach', {}, items)), 'GuiYeuCauDanhSach');
    expect(submitted.KetQua).toBe('00');
    expect(submitted.SoLuong).toBe('4');
    const bulkId = String(submitted.MaYeuCauDanhSach);

    const status = responseOf(await post(sim.url, request('GetRequestStatus', { MaYeuCauDanhSach: bulkId })), 'GetRequestStatus');
    expect(status).toMatchObject({ KetQua: '00', MaYeuCauDanhSach: bulkId, TrangThai: 'DANG_XU_LY' });
    const early = responseOf(await post(sim.url, request('GetRequestResult', { MaYeuCauDanhSach: bulkId })), 'GetRequestResult');
    expect(early.TrangThai).toBe('DANG_XU_LY');
    expect(early.DanhSachKetQua).toBeUndefined();

    await new Promise((r) => setTimeout(r, 150));
    const done = responseOf(await post(sim.url, request('GetRequestStatus', { MaYeuCauDanhSach: bulkId })), 'GetRequestStatus');
    expect(done.TrangThai).toBe('HOAN_THANH');
    const result = responseOf(await post(sim.url, request('GetRequestResult', { MaYeuCauDanhSach: bulkId })), 'GetRequestResult');
    const rows = (result.DanhSachKetQua as { KetQuaCongDan: Xml[] }).KetQuaCongDan;
    expect(rows.map((row) => [row.ChiSo, row.KetQua])).toEqual([
      ['0', '00'],
      ['1', '00'],
      ['2', '02'],
      ['3', '99'],
    ]);
    expect(citizensOf(rows[1]!).map((c) => c.SoDinhDanh)).toEqual([numbered.identityNumber]);

    const unknown = responseOf(await post(sim.url, request('GetRequestStatus', { MaYeuCauDanhSach: 'nope' })), 'GetRequestStatus');
    expect(unknown.KetQua).toBe('02');
    const empty = responseOf(await post(sim.url, request('GuiYeuCauDanhSach', {})), 'GuiYeuCauDanhSach');
    expect(empty.KetQua).toBe('99');
  });

  it('serves statistics at GET /stats and resets them', async () => {
    const stats = (await (await fetch(new URL('/stats', sim.url))).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ rateLimited: 0, faultsInjected: 0, quotaPerSecond: null, issued: 0 });
    expect(stats.requests).toBeGreaterThan(10);
    expect(stats.answered).toBeGreaterThan(10);
    expect(stats.perOperation).toMatchObject({ XacThucThongTinCongDan: expect.any(Number), GuiYeuCauDanhSach: 2 });
    expect(stats.clientFaults).toBe(3);
    expect(new Date(String(stats.startedAt)).getTime()).toBeLessThanOrEqual(Date.now());

    const reset = await fetch(new URL('/reset-stats', sim.url), { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(sim.stats()).toMatchObject({ requests: 0, answered: 0, perOperation: {} });
  });
});

describe('population database simulator: quota', () => {
  it('refuses requests beyond quotaPerSecond in a sliding second with 429 and Retry-After', async () => {
    const sim = await start({ quotaPerSecond: 30 });
    const body = request('TraCuuThongTinCongDan', { SoDinhDanh: numbered.identityNumber! });
    const replies = await Promise.all(Array.from({ length: 50 }, () => post(sim.url, body)));
    const limited = replies.filter((r) => r.status === 429);
    expect(limited).toHaveLength(20);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(30);
    for (const r of limited) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(sim.stats()).toMatchObject({ requests: 50, answered: 30, rateLimited: 20, maxInWindow: 30 });
  });

  it('counts in a sliding window of timestamps', () => {
    const quota = new SlidingWindowQuota(3);
    expect(quota.tryAcquire(0).allowed).toBe(true);
    expect(quota.tryAcquire(400).allowed).toBe(true);
    expect(quota.tryAcquire(800).allowed).toBe(true);
    expect(quota.tryAcquire(900)).toEqual({ allowed: false, retryAfterMs: 100 });
    // The request at 0 leaves the window at 1000; the one at 400 is still in it.
    expect(quota.tryAcquire(1000)).toEqual({ allowed: true, inWindow: 3 });
    expect(quota.tryAcquire(1100).allowed).toBe(false);
    expect(quota.maxInWindow).toBe(3);

    const unlimited = new SlidingWindowQuota(Number.POSITIVE_INFINITY);
    // One request every 0.1 ms for 500 ms (the ring has to grow), then one per ms.
    for (let i = 0; i < 5000; i++) expect(unlimited.tryAcquire(i / 10).allowed).toBe(true);
    expect(unlimited.maxInWindow).toBe(5000);
    expect(unlimited.inWindow(1200)).toBe(2999); // requests at 200.1 … 499.9
    for (let t = 2000; t < 4000; t++) unlimited.tryAcquire(t);
    expect(unlimited.inWindow(3999)).toBe(1000);
    expect(unlimited.maxInWindow).toBe(5000);
  });
});

describe('population database simulator: faults', () => {
  let sim: PopulationDbSimulator;
  beforeAll(async () => {
    sim = await start({ timeoutMs: 150 });
  });
  afterEach(() => {
    sim.setFaults({ timeoutRate: 0, errorRate: 0, malformedRate: 0 });
  });
  const body = () => request('TraCuuThongTinCongDan', { SoDinhDanh: numbered.identityNumber! });

  it('answers 500 with a soap:Server fault', async () => {
    sim.setFaults({ errorRate: 1 });
    const reply = await post(sim.url, body());
    expect(reply.status).toBe(500);
    expect(faultOf(reply).faultcode).toBe('soap:Server');
  });

  it('answers a truncated envelope with status 200 (set through POST /faults)', async () => {
    const set = await fetch(new URL('/faults', sim.url), { method: 'POST', body: JSON.stringify({ malformedRate: 1 }) });
    expect(await set.json()).toEqual({ timeoutRate: 0, errorRate: 0, malformedRate: 1 });
    const reply = await post(sim.url, body());
    expect(reply.status).toBe(200);
    expect(reply.text.startsWith('<?xml')).toBe(true);
    expect(XMLValidator.validate(reply.text)).not.toBe(true);
    const bad = await fetch(new URL('/faults', sim.url), { method: 'POST', body: JSON.stringify({ errorRate: 2 }) });
    expect(bad.status).toBe(400);
  });

  it('holds a request and then destroys the socket', async () => {
    sim.setFaults({ timeoutRate: 1 });
    const t0 = performance.now();
    await expect(post(sim.url, body())).rejects.toThrow();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(sim.stats()).toMatchObject({ faultsInjected: 3, faultsByKind: { timeout: 1, error: 1, malformed: 1 } });
  });
});

describe('population database simulator: authentication', () => {
  const credentials = { username: 'childhub', secret: 's3cret', apiKey: 'key-123' };
  let sim: PopulationDbSimulator;
  beforeAll(async () => {
    sim = await start({ credentials });
  });

  function utcTimestamp(d: Date): string {
    return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  }
  function signedHeaders(url: string, overrides: { secret?: string; apiKey?: string; timestamp?: string } = {}): Record<string, string> {
    const timestamp = overrides.timestamp ?? utcTimestamp(new Date());
    const signature = createHash('sha256')
      .update(url + credentials.username + timestamp + (overrides.secret ?? credentials.secret))
      .digest('hex');
    return {
      Authorization: `Basic ${Buffer.from(`${credentials.username}:${signature}`).toString('base64')}`,
      Timestamp: timestamp,
      'X-Api-Key': overrides.apiKey ?? credentials.apiKey,
    };
  }
  const body = () => request('TraCuuThongTinCongDan', { SoDinhDanh: numbered.identityNumber! });

  it('accepts a correctly signed request', async () => {
    const reply = await post(sim.url, body(), signedHeaders(sim.url));
    expect(reply.status).toBe(200);
    expect(responseOf(reply, 'TraCuuThongTinCongDan').KetQua).toBe('00');
  });

  it('rejects missing or wrong credentials with 401', async () => {
    const stale = utcTimestamp(new Date(Date.now() - 3_600_000));
    for (const headers of [
      {},
      signedHeaders(sim.url, { secret: 'wrong' }),
      signedHeaders(sim.url, { apiKey: 'wrong' }),
      signedHeaders(sim.url, { timestamp: stale }),
      signedHeaders(`${sim.url}/other`),
    ]) {
      const reply = await post(sim.url, body(), headers);
      expect(reply.status, JSON.stringify(headers)).toBe(401);
    }
    expect(sim.stats().unauthorized).toBe(5);
  });
});

describe('population database simulator: issuance of abandoned children’s numbers', () => {
  it('finds an abandoned child without a number only issuanceDelayMs after the first lookup', async () => {
    const sim = await start({ issuanceDelayMs: 200 });
    const [child, other] = abandonedWithoutNumber;
    const lookup = (c: SyntheticChild) =>
      post(sim.url, request('TraCuuThongTinCongDan', { SoDinhDanh: '', HoVaTen: registryStyle(c.fullName), NgayThangNamSinh: compact(c.birthDate) }));

    expect(responseOf(await lookup(child!), 'TraCuuThongTinCongDan').KetQua).toBe('02');
    expect(sim.stats()).toMatchObject({ issued: 0, issuancePending: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(responseOf(await lookup(child!), 'TraCuuThongTinCongDan').KetQua).toBe('02');
    await new Promise((r) => setTimeout(r, 150));

    const found = responseOf(await lookup(child!), 'TraCuuThongTinCongDan');
    expect(found.KetQua).toBe('00');
    const [citizen] = citizensOf(found);
    const number = String(citizen!.SoDinhDanh);
    expect(number).toMatch(/^001[23]\d{8}$/);
    expect(number.slice(4, 6)).toBe(child!.birthDate.slice(2, 4));
    expect(citizen!.DanToc).toBe('');
    expect(sim.stats()).toMatchObject({ issued: 1, issuancePending: 0 });

    const verified = responseOf(
      await post(sim.url, request('XacThucThongTinCongDan', { SoDinhDanh: number, HoVaTen: child!.fullName, NgayThangNamSinh: compact(child!.birthDate) })),
      'XacThucThongTinCongDan',
    );
    expect(verified.KetQua).toBe('00');
    // A child nobody has asked about is still unknown.
    expect(responseOf(await lookup(other!), 'TraCuuThongTinCongDan').KetQua).toBe('02');
  });
});
