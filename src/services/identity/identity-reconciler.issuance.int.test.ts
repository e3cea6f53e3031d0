import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../db/ids.js';
import { createSql, type Sql } from '../../db/sql.js';
import { createLogger } from '../../observability/logger.js';
import { SoapPopulationDbClient } from '../../population-db/soap.transport.js';
import { createTestEnv, type TestEnv } from '../../../test/support/test-env.js';
import { IdentityReconciler } from './identity-reconciler.js';

const BASE = 'http://ndxp.test';
const PATH = '/dancu/ws';

/** A `TraCuuThongTinCongDan` answer as the platform sends it: 02 (nobody), or 00 with the citizen. */
function lookupReply(citizen: { number: string; ho: string; chuDem: string; ten: string; sex: '1' | '2'; birth: string } | null) {
  nock(BASE)
    .post(PATH)
    .reply(200, (_uri, body) => {
      const requestId = /<dc:MaYeuCau>([^<]*)<\/dc:MaYeuCau>/.exec(String(body))?.[1] ?? '';
      const rest = citizen
        ? `<ns2:KetQua>00</ns2:KetQua><ns2:CongdanCollection><ns2:CongDan>` +
          `<ns2:SoDinhDanh>${citizen.number}</ns2:SoDinhDanh><ns2:Ho>${citizen.ho}</ns2:Ho><ns2:ChuDem>${citizen.chuDem}</ns2:ChuDem>` +
          `<ns2:Ten>${citizen.ten}</ns2:Ten><ns2:GioiTinh>${citizen.sex}</ns2:GioiTinh><ns2:NgayThangNamSinh>${citizen.birth}</ns2:NgayThangNamSinh>` +
          `<ns2:DanToc>01</ns2:DanToc><ns2:TonGiao>KHONG</ns2:TonGiao></ns2:CongDan></ns2:CongdanCollection>`
        : `<ns2:KetQua>02</ns2:KetQua>`;
      return (
        `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>` +
        `<ns2:TraCuuThongTinCongDanResponse xmlns:ns2="http://dancuquocgia.bca"><ns2:MaYeuCau>${requestId}</ns2:MaYeuCau>${rest}` +
        `</ns2:TraCuuThongTinCongDanResponse></S:Body></S:Envelope>`
      );
    });
}

/**
 * Issuance polls over the SOAP transport (nock-ed registry) and a real database: a number the registry
 * already held is recorded as found and verified; only a number that appeared for an abandoned child after
 * the registry had answered "nobody" is recorded as issued, with its NUMBER_ISSUED care event.
 */
describe('IdentityReconciler.pollIssuance: found or issued', () => {
  let env: TestEnv;
  let sql: Sql;
  let reconciler: IdentityReconciler;

  beforeAll(async () => {
    nock.disableNetConnect();
    env = await createTestEnv();
    sql = createSql(env.databaseUrl, 2);
    const logger = createLogger({ level: 'silent' });
    const registry = new SoapPopulationDbClient({
      url: `${BASE}${PATH}`, username: 'childhub', secret: 's3cret', apiKey: 'key-123', callerCode: 'SLDTBXH-HN', integrationCode: 'CHILDHUB',
      timeoutMs: 2000, logger, log: { begin: async () => {}, record: async () => {} },
    });
    const quota = { acquire: async () => {}, settle: async () => {}, penalize: async () => {} };
    reconciler = new IdentityReconciler(sql, registry, quota, {
      ISSUANCE_OVERDUE_DAYS: 7, ISSUANCE_POLL_INITIAL_MS: 1000, ISSUANCE_POLL_MAX_MS: 8000,
      POPULATION_DB_OFFICER_ID: 'CB-0042', POPULATION_DB_OFFICER_NAME: 'Trần Văn Bình', POPULATION_DB_UNIT: 'so-ldtbxh-ha-noi',
      POPULATION_DB_PURPOSE: 'CHILD-ID-RECONCILIATION',
    }, logger);
  });
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
    nock.cleanAll();
  });
  afterAll(async () => {
    nock.enableNetConnect();
    await sql?.close();
    await env?.cleanup();
  });

  /** A child without a number and its open issuance request, as reconciliation leaves them. */
  const waitingChild = async (p: { fullName: string; sex: 'MALE' | 'FEMALE'; birthDate: string; groups: string[] }) => {
    const id = newId('child');
    await sql.query(
      `INSERT INTO child (id, full_name, sex, birth_date, birth_date_precision, birth_year, identity_status, group_clauses)
       VALUES ($1, $2, $3, $4, 'DAY', $5, 'PENDING_ISSUANCE', $6)`,
      [id, p.fullName, p.sex, p.birthDate, Number(p.birthDate.slice(0, 4)), p.groups]);
    await sql.query(`INSERT INTO identity_issuance (child_id, due_at) VALUES ($1, now() + interval '7 days')`, [id]);
    return id;
  };
  const poll = (childId: string, n: number) => reconciler.pollIssuance({ childId, issuanceId: null, poll: n }, { key: `issuance-${childId}-${n}`, enqueuedAt: new Date() });
  const recorded = async (childId: string) => ({
    child: await sql.one(`SELECT identity_number, identity_status, identity_verified_at IS NOT NULL AS verified FROM child WHERE id = $1`, [childId]),
    history: await sql.query(`SELECT number, status, verified_at IS NOT NULL AS verified FROM identity_number WHERE child_id = $1`, [childId]),
    polls: (await sql.query<{ status: string }>(`SELECT status FROM identity_check WHERE child_id = $1 AND kind = 'ISSUANCE' ORDER BY id`, [childId])).map((r) => r.status),
    events: await sql.query(`SELECT step FROM care_event WHERE child_id = $1`, [childId]),
    request: await sql.one(`SELECT issued_number, issued_at IS NOT NULL AS issued FROM identity_issuance WHERE child_id = $1`, [childId]),
  });

  it('records a number the registry already held for a child who is not abandoned as found and verified, not issued', async () => {
    const id = await waitingChild({ fullName: 'Nguyễn Thị Thu Hà', sex: 'FEMALE', birthDate: '2015-03-02', groups: [] });
    lookupReply({ number: '001315000123', ho: 'NGUYEN', chuDem: 'THI THU', ten: 'HA', sex: '2', birth: '20150302' });
    expect(await poll(id, 0)).toEqual({ kind: 'FOUND', recorded: true });
    expect(await recorded(id)).toEqual({
      child: { identity_number: '001315000123', identity_status: 'VERIFIED', verified: true },
      history: [{ number: '001315000123', status: 'VERIFIED', verified: true }],
      polls: ['VERIFIED'],
      events: [],
      // Nothing was issued: the request is closed, and not left to turn overdue.
      request: undefined,
    });
    // The next poll of the chain has nothing left to do.
    expect(await poll(id, 1)).toEqual({ kind: 'DONE' });
  });

  it('records an abandoned child\'s number the registry already held at the first look-up as found, not issued', async () => {
    const id = await waitingChild({ fullName: 'Trần Minh An', sex: 'MALE', birthDate: '2019-06-14', groups: ['b', 'c'] });
    lookupReply({ number: '001219004567', ho: 'TRAN', chuDem: 'MINH', ten: 'AN', sex: '1', birth: '20190614' });
    expect(await poll(id, 0)).toEqual({ kind: 'FOUND', recorded: true });
    expect(await recorded(id)).toMatchObject({
      child: { identity_number: '001219004567', identity_status: 'VERIFIED' }, polls: ['VERIFIED'], events: [], request: undefined,
    });
  });

  it('records a number that appears for an abandoned child after the registry answered "nobody" as issued', async () => {
    const id = await waitingChild({ fullName: 'Lê Thị Bình Yên', sex: 'FEMALE', birthDate: '2026-10-03', groups: ['b'] });
    lookupReply(null);
    expect(await poll(id, 0)).toEqual({ kind: 'WAITING', nextPollInMs: 1000, overdue: false });
    expect(await recorded(id)).toMatchObject({ child: { identity_number: null, identity_status: 'PENDING_ISSUANCE' }, polls: ['NOT_FOUND'], events: [] });
    lookupReply({ number: '001326000321', ho: 'LE', chuDem: 'THI BINH', ten: 'YEN', sex: '2', birth: '20261003' });
    expect(await poll(id, 1)).toEqual({ kind: 'ISSUED', recorded: true });
    expect(await recorded(id)).toEqual({
      child: { identity_number: '001326000321', identity_status: 'ISSUED', verified: true },
      history: [{ number: '001326000321', status: 'VERIFIED', verified: true }],
      polls: ['NOT_FOUND', 'ISSUED'],
      events: [{ step: 'NUMBER_ISSUED' }],
      request: { issued_number: '001326000321', issued: true },
    });
  });

  it('records a number that appears for a foundling adopted while the request waited as issued: group b ended, found abandoned still', async () => {
    const id = await waitingChild({ fullName: 'Đỗ Thị Mai', sex: 'FEMALE', birthDate: '2026-02-11', groups: ['b'] });
    lookupReply(null);
    expect(await poll(id, 0)).toMatchObject({ kind: 'WAITING' });
    // The adoption ends group b: only open groups stay in group_clauses, the ended one in special_circumstance.
    await sql.query(`UPDATE child SET group_clauses = '{}' WHERE id = $1`, [id]);
    await sql.query(
      `INSERT INTO special_circumstance (id, child_id, clause, started_on, ended_on) VALUES ($1, $2, 'b', '2026-02-11', '2026-09-01')`,
      [newId('specialCircumstance'), id]);
    lookupReply({ number: '001326000654', ho: 'DO', chuDem: 'THI', ten: 'MAI', sex: '2', birth: '20260211' });
    expect(await poll(id, 1)).toEqual({ kind: 'ISSUED', recorded: true });
    expect(await recorded(id)).toMatchObject({
      child: { identity_number: '001326000654', identity_status: 'ISSUED' }, polls: ['NOT_FOUND', 'ISSUED'],
      events: [{ step: 'NUMBER_ISSUED' }], request: { issued_number: '001326000654', issued: true },
    });
  });

  it('records a number that appears later for a child who is not abandoned as found: no abandoned-child issuance was awaited', async () => {
    const id = await waitingChild({ fullName: 'Phạm Văn Khoa', sex: 'MALE', birthDate: '2014-01-20', groups: [] });
    lookupReply(null);
    expect(await poll(id, 0)).toMatchObject({ kind: 'WAITING' });
    lookupReply({ number: '001214000888', ho: 'PHAM', chuDem: 'VAN', ten: 'KHOA', sex: '1', birth: '20140120' });
    expect(await poll(id, 1)).toEqual({ kind: 'FOUND', recorded: true });
    expect(await recorded(id)).toMatchObject({
      child: { identity_number: '001214000888', identity_status: 'VERIFIED' }, polls: ['NOT_FOUND', 'VERIFIED'], events: [], request: undefined,
    });
  });
});
