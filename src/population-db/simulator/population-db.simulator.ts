/**
 * A loopback stand-in for the national population database (Cơ sở dữ liệu quốc gia về dân cư) as agencies
 * meet it (domain guide §7): SOAP 1.1 per `../protocol.ts`, a quota answered with HTTP 429, latency,
 * timeouts, server faults and broken XML on demand, optional Basic + SHA-256 signature authentication, and
 * abandoned children whose number appears only some time after someone first asks about them.
 *
 * Endpoints (all on one port):
 * - `POST /dancu` — the SOAP service (`text/xml; charset=utf-8`). Only this path; anything else is 404.
 * - `GET /stats` — {@link PopulationDbSimulatorStats} as JSON.
 * - `POST /faults` — JSON `{ timeoutRate?, errorRate?, malformedRate? }`, merged into the current faults;
 *   answers the faults now in force.
 * - `POST /reset-stats` — zeroes the counters (the registry and the quota window are kept).
 * - `GET /health` — `{ "ok": true }`.
 * - `POST /lgsp/token` and `POST /lgsp/dancu/<operation>` — the same registry as a provincial platform's JSON
 *   API behind OAuth 2.0 client credentials (`../lgsp.protocol.ts`; `lgsp-gateway.ts`): the client id and
 *   secret are the credentials' `username` and `secret`. Same quota, faults and latency as the SOAP face
 *   (an injected error is HTTP 500 with a JSON error, a malformed answer is cut JSON); the token endpoint is
 *   not counted against the quota. Without credentials no token is needed.
 * The control endpoints need no credentials: they are for tests and the benchmark, not part of the registry.
 *
 * Choices the protocol leaves open:
 * - A known operation with a missing or invalid element gets `KetQua` 99 and a `MoTaLoi` text (HTTP 200);
 *   the required elements are `MaYeuCau`, `MaDonVi`, `MaTichHop`, `CanBo/SoDinhDanh`, `MucDich` plus the
 *   operation's own. Something that is not a SOAP 1.1 envelope, or an unknown operation, gets a
 *   `soap:Client` fault (`soap:VersionMismatch` for another envelope namespace), with HTTP 500 as SOAP 1.1
 *   requires: a client tells permanent client faults from `soap:Server` faults by `faultcode`.
 * - Request elements count only in the `http://dancuquocgia.bca` namespace (prefixed or default), as a
 *   schema-validating server treats them; an unqualified `<MaYeuCau>` is missing.
 * - `TraCuuThongTinCongDan` with a `SoDinhDanh` looks up by number alone (name and birth, if sent, must be
 *   well-formed but are not compared: that is what verification is for); without one it needs `HoVaTen` and
 *   `NgayThangNamSinh`.
 * - `TruongKhongKhop` is written both in the response (after `KetQua`) and in the returned `CongDan`.
 * - Bulk requests: see {@link BULK_ELEMENTS}.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Logger } from 'pino';
import { logger as rootLogger } from '../../observability/logger.js';
import { forkRandom, hash32, type Random } from '../../sample/random.js';
import {
  AUTH_HEADERS,
  BULK_ELEMENTS,
  ERROR_TEXT_ELEMENT,
  CITIZEN_FIELDS,
  NAMESPACE,
  OPERATIONS,
  RESULT_CODES,
  SOAP_ENV_NAMESPACE,
  type OperationName,
} from '../protocol.js';
import {
  CitizenRegistry,
  birthMatches,
  compactDate,
  parseRegistryBirth,
  registryNameKey,
  type RegistryBirth,
  type RegistryCitizen,
} from './citizen-registry.js';
import { LgspTokens, lgspRequestToElement, soapAnswerToLgsp } from './lgsp-gateway.js';
import { SlidingWindowQuota } from './quota.js';

/** Path of the SOAP service. */
export const SIMULATOR_SOAP_PATH = '/dancu';
/** Base path of the LGSP JSON service (`POST <base>/<operation>`). */
export const SIMULATOR_LGSP_BASE_PATH = '/lgsp/dancu';
/** Path of the LGSP token endpoint. */
export const SIMULATOR_LGSP_TOKEN_PATH = '/lgsp/token';

/**
 * Element names of the bulk operations, which `protocol.ts` does not spell out. All are in the
 * `http://dancuquocgia.bca` namespace.
 *
 * `GuiYeuCauDanhSach` request: the common elements, then the people to look up, each like a lookup request
 * (`SoDinhDanh` and/or `HoVaTen` + `NgayThangNamSinh`):
 * `<dc:DanhSachCongDan><dc:CongDan><dc:SoDinhDanh/><dc:HoVaTen/><dc:NgayThangNamSinh/></dc:CongDan>…</dc:DanhSachCongDan>`.
 * Any container name works, and so do person elements written directly under the operation; items are
 * numbered 0, 1, … in document order unless an item carries its own `ChiSo`.
 * Response: `MaYeuCau`, `KetQua` 00, `MaYeuCauDanhSach` (the bulk id), `SoLuong` (items accepted).
 *
 * `GetRequestStatus` / `GetRequestResult` request: the common elements and `MaYeuCauDanhSach`.
 * Status response: `MaYeuCau`, `KetQua` (00, or 02 for an unknown bulk id), `MaYeuCauDanhSach`,
 * `TrangThai` (`DANG_XU_LY`, then `HOAN_THANH`; this simulator never reports `LOI`).
 * Result response: the same, plus once `HOAN_THANH`:
 * `<dc:DanhSachKetQua><dc:KetQuaCongDan><dc:ChiSo>0</dc:ChiSo><dc:KetQua>00</dc:KetQua>
 *  <dc:CongdanCollection>…</dc:CongdanCollection></dc:KetQuaCongDan>…</dc:DanhSachKetQua>`
 * with per-item `KetQua` 00 (found), 02 (none) or 99 (+ `MoTaLoi`, item malformed). Items are evaluated
 * when the request is submitted (and naming an abandoned child there starts its number's issuance).
 */

/** Fault injection rates, each a probability in [0, 1]; their sum should not exceed 1. */
export interface SimulatorFaults {
  /** Accept the request and never answer; the socket is destroyed after `timeoutMs`. @defaultValue 0 */
  timeoutRate: number;
  /** Answer HTTP 500 with a `soap:Server` fault. @defaultValue 0 */
  errorRate: number;
  /** Answer HTTP 200 with a truncated envelope (broken XML). @defaultValue 0 */
  malformedRate: number;
}

/** Credentials the simulator demands when configured (HTTP Basic with a request signature). */
export interface SimulatorCredentials {
  username: string;
  /** Shared secret: never sent, only hashed into the signature. */
  secret: string;
  /** Expected value of the `X-Api-Key` header. */
  apiKey: string;
  /** How far the `Timestamp` header may be from the simulator's clock. @defaultValue 300000 (5 minutes) */
  maxClockSkewMs?: number;
}

export interface PopulationDbSimulatorOptions {
  /** Port to listen on; 0 picks a free one (read it from `url`). @defaultValue 0 */
  port?: number;
  /** Interface to listen on. @defaultValue '127.0.0.1' */
  host?: string;
  /** Seed of the synthetic population (use the hub sample's seed so the registry knows the same children). */
  seed: number;
  /** Population size (children `0 … count-1`); up to 200,000 builds in about a second. */
  count: number;
  /**
   * The next children after `count` that the source simulators add later (`--add-every`, `POST /_sim/add`),
   * known to the registry too. @defaultValue 0
   */
  growth?: number;
  /**
   * Accepted requests per sliding 1-second window; more get HTTP 429 with `Retry-After`.
   * `0` or `Infinity` disables the quota. @defaultValue 50
   */
  quotaPerSecond?: number;
  /** Extra latency before each answer, uniform in [min, max] milliseconds. @defaultValue { min: 0, max: 0 } */
  latencyMs?: { min: number; max: number };
  /** Fault injection (changeable at run time with `setFaults` or `POST /faults`). @defaultValue all 0 */
  faults?: Partial<SimulatorFaults>;
  /** How long a "timeout" fault holds the request before destroying the socket. @defaultValue 30000 */
  timeoutMs?: number;
  /**
   * How long after the first lookup by name + birth an abandoned child without a number gets one
   * (birth registration → number issued). @defaultValue 30000
   */
  issuanceDelayMs?: number;
  /** How long a bulk request stays `DANG_XU_LY`. @defaultValue 2000 */
  bulkProcessingMs?: number;
  /** Most people in one bulk request; more is rejected with `KetQua` 99. @defaultValue 1000 */
  bulkMaxItems?: number;
  /** When given, every SOAP request must carry valid credentials (else HTTP 401). */
  credentials?: SimulatorCredentials;
  /** Lifetime of the LGSP face's bearer tokens, in seconds. @defaultValue 3600 */
  tokenLifetimeS?: number;
  /** Where to log (ids and codes only, never personal data). @defaultValue the hub's root logger */
  logger?: Logger;
}

/** Counters since start (or the last reset). */
export interface PopulationDbSimulatorStats {
  /** SOAP requests received (`POST /dancu`), whatever became of them. */
  requests: number;
  /** Requests answered with HTTP 200 and a complete SOAP response (any `KetQua`, 99 included). */
  answered: number;
  /** Quota violations: requests refused with HTTP 429. */
  rateLimited: number;
  /** Requests refused with HTTP 401 (credentials configured and wrong or missing). */
  unauthorized: number;
  /** Requests answered with a `soap:Client` / `soap:VersionMismatch` fault (not SOAP, unknown operation). */
  clientFaults: number;
  /** Faults injected on purpose (sum of `faultsByKind`). */
  faultsInjected: number;
  faultsByKind: { timeout: number; error: number; malformed: number };
  /** Most requests accepted within any sliding 1-second window (≤ the quota when one is set). */
  maxInWindow: number;
  /** ISO time of start or of the last reset. */
  startedAt: string;
  /** Answered requests per operation name. */
  perOperation: Partial<Record<OperationName, number>>;
  /** Answered requests per `KetQua`. */
  perResult: Record<string, number>;
  /** Numbers issued to abandoned children so far (registry state: not reset). */
  issued: number;
  /** Abandoned children looked up whose number is not issued yet (registry state: not reset). */
  issuancePending: number;
  /** The quota in force (null: none). */
  quotaPerSecond: number | null;
  /** Population size and the time it took to build the registry. */
  population: { count: number; buildMs: number };
}

/** A running simulator. */
export interface PopulationDbSimulator {
  /** The SOAP endpoint, e.g. `http://127.0.0.1:41234/dancu`. */
  url: string;
  /** A snapshot of the counters. */
  stats(): PopulationDbSimulatorStats;
  /** Changes fault rates (merged into the current ones) and returns the faults now in force. */
  setFaults(faults: Partial<SimulatorFaults>): SimulatorFaults;
  /** Zeroes the counters. */
  resetStats(): void;
  /** The LGSP face: its service base URL and token endpoint; `revokeTokens` forgets every token issued. */
  lgsp: { url: string; tokenUrl: string; revokeTokens(): void };
  /** Stops listening, drops open connections (including held "timeouts") and clears timers. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// XML in: a namespace-resolved element tree
// ---------------------------------------------------------------------------------------------------------

/** One element of a request, with its namespace resolved (what {@link parseSoapRequest} yields). */
export interface SoapElement {
  ns: string | null;
  local: string;
  children: SoapElement[];
  /** Concatenated, trimmed text content. */
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Numbers keep their leading zeros (`001215000123`) only if nothing is coerced.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turns fast-xml-parser's ordered output into elements, resolving prefixes against `xmlns` declarations. */
function toElements(nodes: unknown, scope: ReadonlyMap<string, string>): { elements: SoapElement[]; text: string } {
  const elements: SoapElement[] = [];
  let text = '';
  if (!Array.isArray(nodes)) return { elements, text };
  for (const node of nodes) {
    if (!isRecord(node)) continue;
    for (const [key, value] of Object.entries(node)) {
      if (key === ':@') continue;
      if (key === '#text') {
        text += typeof value === 'string' ? value : String(value);
        continue;
      }
      if (key.startsWith('?') || key.startsWith('!') || key.startsWith('#')) continue;
      const attrs = isRecord(node[':@']) ? node[':@'] : {};
      let inner: Map<string, string> | null = null;
      for (const [name, v] of Object.entries(attrs)) {
        if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
        inner ??= new Map(scope);
        inner.set(name === 'xmlns' ? '' : name.slice(6), String(v));
      }
      const elementScope = inner ?? scope;
      const colon = key.indexOf(':');
      const prefix = colon < 0 ? '' : key.slice(0, colon);
      const sub = toElements(value, elementScope);
      elements.push({
        ns: elementScope.get(prefix) ?? null,
        local: colon < 0 ? key : key.slice(colon + 1),
        children: sub.elements,
        text: sub.text.trim(),
      });
    }
  }
  return { elements, text };
}

function childOf(el: SoapElement, local: string): SoapElement | undefined {
  return el.children.find((c) => c.local === local && c.ns === NAMESPACE);
}

/** Text of a `dc:` child; undefined when the element is absent. */
function textOf(el: SoapElement, local: string): string | undefined {
  return childOf(el, local)?.text;
}

/** A request reduced to its operation element, or the fault it deserves. */
export type ParsedSoapRequest =
  | { ok: true; operation: OperationName; body: SoapElement }
  | { ok: false; faultCode: 'Client' | 'VersionMismatch'; reason: string };

const KNOWN_OPERATIONS = new Set<string>(Object.values(OPERATIONS));

function isOperationName(s: string): s is OperationName {
  return KNOWN_OPERATIONS.has(s);
}

/**
 * Parses a SOAP 1.1 request down to its operation element, or says which fault it deserves. Exported so
 * that client tests can check what they send the way the simulator reads it.
 */
export function parseSoapRequest(xml: string): ParsedSoapRequest {
  // SOAP 1.1 forbids a DTD; refusing it also rules out entity-expansion tricks.
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, faultCode: 'Client', reason: 'A SOAP message must not contain a DTD' };
  if (XMLValidator.validate(xml) !== true) return { ok: false, faultCode: 'Client', reason: 'The request is not well-formed XML' };
  const roots = toElements(parser.parse(xml), new Map()).elements;
  const envelope = roots[0];
  if (roots.length !== 1 || !envelope || envelope.local !== 'Envelope') {
    return { ok: false, faultCode: 'Client', reason: 'The request is not a SOAP envelope' };
  }
  if (envelope.ns !== SOAP_ENV_NAMESPACE) {
    return { ok: false, faultCode: 'VersionMismatch', reason: `Expected a SOAP 1.1 envelope (${SOAP_ENV_NAMESPACE})` };
  }
  const body = envelope.children.find((c) => c.local === 'Body' && c.ns === SOAP_ENV_NAMESPACE);
  if (!body || body.children.length !== 1) {
    return { ok: false, faultCode: 'Client', reason: 'The SOAP Body must hold exactly one operation element' };
  }
  const op = body.children[0]!;
  if (op.ns !== NAMESPACE || !isOperationName(op.local)) {
    return { ok: false, faultCode: 'Client', reason: `Unknown operation {${op.ns ?? ''}}${op.local}` };
  }
  return { ok: true, operation: op.local, body: op };
}

// ---------------------------------------------------------------------------------------------------------
// XML out
// ---------------------------------------------------------------------------------------------------------

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/** `<dc:name>text</dc:name>`, or `<dc:name/>` for an empty or absent value. */
function el(name: string, value: string | null | undefined): string {
  return value ? `<dc:${name}>${esc(value)}</dc:${name}>` : `<dc:${name}/>`;
}

function envelope(inner: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<soap:Envelope xmlns:soap="${SOAP_ENV_NAMESPACE}" xmlns:dc="${NAMESPACE}"><soap:Body>${inner}</soap:Body></soap:Envelope>`
  );
}

function faultEnvelope(code: 'Client' | 'Server' | 'VersionMismatch', reason: string, requestId?: string): string {
  const detail = requestId ? `<detail>${el('MaYeuCau', requestId)}</detail>` : '';
  return envelope(`<soap:Fault><faultcode>soap:${code}</faultcode><faultstring>${esc(reason)}</faultstring>${detail}</soap:Fault>`);
}

const SEX_CODE = { MALE: '1', FEMALE: '2' } as const;

function congDan(c: RegistryCitizen, mismatched: readonly string[] = []): string {
  const f = CITIZEN_FIELDS;
  return (
    `<dc:CongDan>` +
    el(f.number, c.number) +
    el('HoVaTen', c.fullName) +
    el(f.familyName, c.familyName) +
    el(f.middleName, c.middleName) +
    el(f.givenName, c.givenName) +
    el(f.sex, SEX_CODE[c.sex]) +
    el(f.birthDate, compactDate(c.birthDate)) +
    el(f.ethnicity, c.ethnicity) +
    el(f.religion, c.religion) +
    el('QuocTich', 'VN') +
    el(f.provinceCode, c.provinceCode) +
    el(f.communeCode, c.communeCode) +
    el('HoTenCha', c.fatherName) +
    el('HoTenMe', c.motherName) +
    el('NguoiDaiDien', c.legalRepresentative) +
    (mismatched.length > 0 ? el(f.mismatched, mismatched.join(',')) : '') +
    `</dc:CongDan>`
  );
}

function collection(citizens: readonly RegistryCitizen[], mismatched: readonly string[] = []): string {
  if (citizens.length === 0) return '';
  return `<dc:CongdanCollection>${citizens.map((c) => congDan(c, mismatched)).join('')}</dc:CongdanCollection>`;
}

function response(operation: OperationName, requestId: string | undefined, code: string, rest = ''): string {
  return envelope(`<dc:${operation}Response>${el('MaYeuCau', requestId)}${el('KetQua', code)}${rest}</dc:${operation}Response>`);
}

// ---------------------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------------------

/** An answer to one SOAP request, before faults are applied. */
interface Answer {
  xml: string;
  resultCode: string;
}

class Rejected extends Error {}

/** The elements every request must carry (who asks and why). */
function checkCommon(op: SoapElement): void {
  for (const name of ['MaYeuCau', 'MaDonVi', 'MaTichHop', 'MucDich'] as const) {
    if (!textOf(op, name)) throw new Rejected(`Missing element ${name} (namespace ${NAMESPACE})`);
  }
  const officer = childOf(op, 'CanBo');
  if (!officer || !textOf(officer, 'SoDinhDanh')) throw new Rejected(`Missing element CanBo/SoDinhDanh (namespace ${NAMESPACE})`);
}

const TWELVE_DIGITS = /^\d{12}$/;

interface PersonRequest {
  number: string | null;
  name: string | null;
  birth: RegistryBirth | null;
}

/** Reads `SoDinhDanh`, `HoVaTen`, `NgayThangNamSinh` (each optional here; callers say which are required). */
function readPerson(el: SoapElement): PersonRequest {
  const number = textOf(el, 'SoDinhDanh') || null;
  if (number !== null && !TWELVE_DIGITS.test(number)) throw new Rejected('SoDinhDanh must be 12 digits');
  const name = textOf(el, 'HoVaTen')?.replace(/\s+/g, ' ').trim() || null;
  const birthText = textOf(el, 'NgayThangNamSinh') || null;
  const birth = birthText === null ? null : parseRegistryBirth(birthText);
  if (birthText !== null && birth === null) throw new Rejected('NgayThangNamSinh must be yyyyMMdd or yyyy');
  return { number, name, birth };
}

interface LookupResult {
  code: string;
  citizens: RegistryCitizen[];
  error?: string;
}

function lookupPerson(registry: CitizenRegistry, person: PersonRequest, now: number): LookupResult {
  let citizens: RegistryCitizen[];
  if (person.number !== null) {
    const c = registry.findByNumber(person.number, now);
    citizens = c ? [c] : [];
  } else {
    if (person.name === null || person.birth === null) {
      throw new Rejected('A lookup needs SoDinhDanh, or HoVaTen and NgayThangNamSinh');
    }
    citizens = registry.findByNameAndBirth(person.name, person.birth, now);
  }
  return { code: citizens.length > 0 ? RESULT_CODES.match : RESULT_CODES.notFound, citizens };
}

interface BulkJob {
  readyAt: number;
  items: Array<{ index: number; result: LookupResult }>;
}

/** Bulk jobs kept for `GetRequestResult`; the oldest are forgotten beyond this. */
const MAX_BULK_JOBS = 10_000;
const BULK_ID_ELEMENTS = [BULK_ELEMENTS.bulkId, 'MaDanhSach', 'RequestId'] as const;
const PERSON_ELEMENTS = new Set(['SoDinhDanh', 'HoVaTen', 'NgayThangNamSinh']);

function isPersonElement(e: SoapElement): boolean {
  return e.ns === NAMESPACE && e.children.some((c) => c.ns === NAMESPACE && PERSON_ELEMENTS.has(c.local));
}

/** The people of a bulk request, in document order: under any container, or directly under the operation. */
function bulkItems(op: SoapElement): SoapElement[] {
  const items: SoapElement[] = [];
  for (const e of op.children) {
    if (e.ns !== NAMESPACE || e.local === 'CanBo') continue;
    if (isPersonElement(e)) items.push(e);
    else for (const inner of e.children) if (isPersonElement(inner)) items.push(inner);
  }
  return items;
}

class SoapService {
  private readonly bulkJobs = new Map<string, BulkJob>();

  constructor(
    private readonly registry: CitizenRegistry,
    private readonly bulkProcessingMs: number,
    private readonly bulkMaxItems: number,
  ) {}

  answer(operation: OperationName, op: SoapElement, now: number): Answer {
    const requestId = textOf(op, 'MaYeuCau') || undefined;
    try {
      checkCommon(op);
      switch (operation) {
        case OPERATIONS.verify:
          return this.verify(op, requestId, now);
        case OPERATIONS.lookup:
          return this.lookup(op, requestId, now);
        case OPERATIONS.submitBulk:
          return this.submitBulk(op, requestId, now);
        case OPERATIONS.bulkStatus:
          return this.bulkStatus(op, requestId, now, false);
        case OPERATIONS.bulkResult:
          return this.bulkStatus(op, requestId, now, true);
      }
    } catch (err) {
      if (!(err instanceof Rejected)) throw err;
      return {
        xml: response(operation, requestId, RESULT_CODES.rejected, el(ERROR_TEXT_ELEMENT, err.message)),
        resultCode: RESULT_CODES.rejected,
      };
    }
  }

  private verify(op: SoapElement, requestId: string | undefined, now: number): Answer {
    const person = readPerson(op);
    if (person.number === null) throw new Rejected('Missing element SoDinhDanh');
    if (person.name === null) throw new Rejected('Missing element HoVaTen');
    if (person.birth === null) throw new Rejected('Missing element NgayThangNamSinh');
    const sexText = textOf(op, CITIZEN_FIELDS.sex) || null;
    if (sexText !== null && sexText !== '1' && sexText !== '2') throw new Rejected('GioiTinh must be 1 (male) or 2 (female)');

    const citizen = this.registry.findByNumber(person.number, now);
    if (!citizen) return { xml: response(OPERATIONS.verify, requestId, RESULT_CODES.notFound), resultCode: RESULT_CODES.notFound };
    const mismatched: string[] = [];
    if (registryNameKey(person.name) !== registryNameKey(citizen.fullName)) mismatched.push('HoVaTen');
    if (!birthMatches(citizen.birthDate, person.birth)) mismatched.push('NgayThangNamSinh');
    if (sexText !== null && sexText !== SEX_CODE[citizen.sex]) mismatched.push('GioiTinh');
    const code = mismatched.length === 0 ? RESULT_CODES.match : RESULT_CODES.mismatch;
    const fields = mismatched.length > 0 ? el(CITIZEN_FIELDS.mismatched, mismatched.join(',')) : '';
    return { xml: response(OPERATIONS.verify, requestId, code, fields + collection([citizen], mismatched)), resultCode: code };
  }

  private lookup(op: SoapElement, requestId: string | undefined, now: number): Answer {
    const { code, citizens } = lookupPerson(this.registry, readPerson(op), now);
    return { xml: response(OPERATIONS.lookup, requestId, code, collection(citizens)), resultCode: code };
  }

  private submitBulk(op: SoapElement, requestId: string | undefined, now: number): Answer {
    const items = bulkItems(op);
    if (items.length === 0) throw new Rejected('A bulk request needs at least one person');
    if (items.length > this.bulkMaxItems) throw new Rejected(`A bulk request may hold at most ${this.bulkMaxItems} people`);
    const job: BulkJob = {
      readyAt: now + this.bulkProcessingMs,
      items: items.map((item, position) => {
        const explicit = Number(textOf(item, BULK_ELEMENTS.index));
        const index = textOf(item, BULK_ELEMENTS.index) && Number.isInteger(explicit) ? explicit : position;
        try {
          return { index, result: lookupPerson(this.registry, readPerson(item), now) };
        } catch (err) {
          if (!(err instanceof Rejected)) throw err;
          return { index, result: { code: RESULT_CODES.rejected, citizens: [], error: err.message } };
        }
      }),
    };
    const bulkId = randomUUID();
    this.bulkJobs.set(bulkId, job);
    if (this.bulkJobs.size > MAX_BULK_JOBS) this.bulkJobs.delete(this.bulkJobs.keys().next().value!);
    const rest = el(BULK_ELEMENTS.bulkId, bulkId) + el(BULK_ELEMENTS.itemCount, String(items.length));
    return { xml: response(OPERATIONS.submitBulk, requestId, RESULT_CODES.match, rest), resultCode: RESULT_CODES.match };
  }

  private bulkStatus(op: SoapElement, requestId: string | undefined, now: number, withResults: boolean): Answer {
    const operation = withResults ? OPERATIONS.bulkResult : OPERATIONS.bulkStatus;
    let bulkId: string | undefined;
    for (const name of BULK_ID_ELEMENTS) bulkId ||= textOf(op, name);
    if (!bulkId) throw new Rejected(`Missing element ${BULK_ELEMENTS.bulkId}`);
    const job = this.bulkJobs.get(bulkId);
    if (!job) {
      return { xml: response(operation, requestId, RESULT_CODES.notFound, el(BULK_ELEMENTS.bulkId, bulkId)), resultCode: RESULT_CODES.notFound };
    }
    const done = now >= job.readyAt;
    let rest = el(BULK_ELEMENTS.bulkId, bulkId) + el(BULK_ELEMENTS.state, done ? 'HOAN_THANH' : 'DANG_XU_LY');
    if (withResults && done) {
      rest += `<dc:${BULK_ELEMENTS.results}>`;
      for (const { index, result } of job.items) {
        rest +=
          `<dc:${BULK_ELEMENTS.result}>` +
          el(BULK_ELEMENTS.index, String(index)) +
          el('KetQua', result.code) +
          (result.error ? el(ERROR_TEXT_ELEMENT, result.error) : '') +
          collection(result.citizens) +
          `</dc:${BULK_ELEMENTS.result}>`;
      }
      rest += `</dc:${BULK_ELEMENTS.results}>`;
    }
    return { xml: response(operation, requestId, RESULT_CODES.match, rest), resultCode: RESULT_CODES.match };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------------------

const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `decodeURIComponent` that reads a malformed escape as no match instead of throwing. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Checks `Authorization: Basic base64(username:hex(SHA256(url + username + timestamp + secret)))`, where
 * `url` is the URL the client called (rebuilt from the `Host` header and path), `timestamp` the
 * `Timestamp` header (yyyyMMddHHmmss, UTC, within the allowed skew), and `X-Api-Key`. Returns why it
 * failed, or null when it passes.
 */
function authFailure(req: IncomingMessage, creds: SimulatorCredentials): string | null {
  const apiKey = header(req, AUTH_HEADERS.apiKey);
  if (!apiKey || !sameText(apiKey, creds.apiKey)) return 'bad or missing X-Api-Key';
  const timestamp = header(req, AUTH_HEADERS.timestamp) ?? '';
  const t = TIMESTAMP.exec(timestamp);
  if (!t) return 'bad or missing Timestamp';
  const at = Date.UTC(Number(t[1]), Number(t[2]) - 1, Number(t[3]), Number(t[4]), Number(t[5]), Number(t[6]));
  if (!(Math.abs(Date.now() - at) <= (creds.maxClockSkewMs ?? 300_000))) return 'Timestamp outside the allowed clock skew';
  const authorization = header(req, 'authorization') ?? '';
  if (!authorization.startsWith('Basic ')) return 'missing Basic authorization';
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed Basic credentials';
  const host = header(req, 'host');
  if (!host) return 'missing Host header';
  const url = `http://${host}${req.url ?? ''}`;
  const expected = sha256Hex(url + creds.username + timestamp + creds.secret);
  if (!sameText(decoded.slice(0, colon), creds.username) || !sameText(decoded.slice(colon + 1).toLowerCase(), expected)) {
    return 'signature does not match';
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------------------

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const XML_TYPE = 'text/xml; charset=utf-8';

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    // A client that gives up mid-upload emits neither 'end' nor 'error': settle so nothing waits forever.
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': XML_TYPE, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function checkRate(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`${name} must be a number from 0 to 1`);
  return v;
}

/** Validates a (partial) faults object, e.g. a `POST /faults` body. */
function parseFaults(input: unknown): Partial<SimulatorFaults> {
  if (!isRecord(input)) throw new RangeError('faults must be a JSON object');
  const out: Partial<SimulatorFaults> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key !== 'timeoutRate' && key !== 'errorRate' && key !== 'malformedRate') throw new RangeError(`unknown fault ${key}`);
    out[key] = checkRate(key, value);
  }
  return out;
}

interface Counters {
  requests: number;
  answered: number;
  rateLimited: number;
  unauthorized: number;
  clientFaults: number;
  faultsByKind: { timeout: number; error: number; malformed: number };
  startedAt: Date;
  perOperation: Partial<Record<OperationName, number>>;
  perResult: Record<string, number>;
}

function freshCounters(): Counters {
  return {
    requests: 0,
    answered: 0,
    rateLimited: 0,
    unauthorized: 0,
    clientFaults: 0,
    faultsByKind: { timeout: 0, error: 0, malformed: 0 },
    startedAt: new Date(),
    perOperation: {},
    perResult: {},
  };
}

type FaultKind = keyof Counters['faultsByKind'];

/**
 * Builds the registry for `(seed, count)` and starts the simulator. Resolves once it listens.
 *
 * Order of handling for `POST /dancu`: read the body → credentials (401) → quota (429; refused requests do
 * not use quota) → injected fault draw (timeout holds the request; 500 and broken XML come after the
 * latency) → latency → parse and answer.
 */
export async function startPopulationDbSimulator(options: PopulationDbSimulatorOptions): Promise<PopulationDbSimulator> {
  const {
    port = 0,
    host = '127.0.0.1',
    seed,
    count,
    growth = 0,
    quotaPerSecond = 50,
    latencyMs = { min: 0, max: 0 },
    timeoutMs = 30_000,
    issuanceDelayMs = 30_000,
    bulkProcessingMs = 2_000,
    bulkMaxItems = 1_000,
    credentials,
    tokenLifetimeS = 3600,
  } = options;
  if (!(latencyMs.min >= 0 && latencyMs.max >= latencyMs.min)) throw new RangeError('latencyMs needs 0 <= min <= max');
  const log = (options.logger ?? rootLogger()).child({ component: 'population-db-simulator' });

  const registry = new CitizenRegistry({ seed, count, growth, issuanceDelayMs });
  const service = new SoapService(registry, bulkProcessingMs, bulkMaxItems);
  const quota = new SlidingWindowQuota(quotaPerSecond);
  const lgspTokens = new LgspTokens(tokenLifetimeS);
  // Seeded so that a benchmark run with the same seed sees the same sequence of faults and latencies.
  const random: Random = forkRandom(hash32(seed, 0x666c74), 0);
  let faults: SimulatorFaults = { timeoutRate: 0, errorRate: 0, malformedRate: 0, ...parseFaults(options.faults ?? {}) };
  let counters = freshCounters();
  const timers = new Set<NodeJS.Timeout>();

  function later(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function drawFault(): FaultKind | null {
    const u = random.next();
    if (u < faults.timeoutRate) return 'timeout';
    if (u < faults.timeoutRate + faults.errorRate) return 'error';
    if (u < faults.timeoutRate + faults.errorRate + faults.malformedRate) return 'malformed';
    return null;
  }

  function hold(req: IncomingMessage): void {
    const socket = req.socket;
    const timer = setTimeout(() => {
      timers.delete(timer);
      socket.destroy();
    }, timeoutMs);
    timers.add(timer);
    socket.once('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  }

  function stats(): PopulationDbSimulatorStats {
    const issuance = registry.issuance();
    const f = counters.faultsByKind;
    return {
      requests: counters.requests,
      answered: counters.answered,
      rateLimited: counters.rateLimited,
      unauthorized: counters.unauthorized,
      clientFaults: counters.clientFaults,
      faultsInjected: f.timeout + f.error + f.malformed,
      faultsByKind: { ...f },
      maxInWindow: quota.maxInWindow,
      startedAt: counters.startedAt.toISOString(),
      perOperation: { ...counters.perOperation },
      perResult: { ...counters.perResult },
      issued: issuance.issued,
      issuancePending: issuance.scheduled,
      quotaPerSecond: Number.isFinite(quota.limitPerWindow) ? quota.limitPerWindow : null,
      population: { count: registry.count, buildMs: Math.round(registry.buildMs) },
    };
  }

  function resetStats(): void {
    counters = freshCounters();
    quota.resetPeak();
  }

  function setFaults(next: Partial<SimulatorFaults>): SimulatorFaults {
    faults = { ...faults, ...parseFaults(next) };
    log.info({ faults }, 'faults changed');
    return { ...faults };
  }

  async function handleSoap(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.requests++;
    let xml: string;
    try {
      xml = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) send(res, 413, faultEnvelope('Client', 'Request too large'));
      return;
    }

    if (credentials) {
      const failure = authFailure(req, credentials);
      if (failure) {
        counters.unauthorized++;
        log.debug({ reason: failure }, 'request refused: unauthorized');
        send(res, 401, faultEnvelope('Client', 'Unauthorized'), { 'www-authenticate': 'Basic realm="dancu"' });
        return;
      }
    }

    const decision = quota.tryAcquire();
    if (!decision.allowed) {
      counters.rateLimited++;
      const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      send(res, 429, faultEnvelope('Server', 'Quota exceeded'), { 'retry-after': String(retryAfter) });
      return;
    }

    const fault = drawFault();
    if (fault === 'timeout') {
      counters.faultsByKind.timeout++;
      hold(req);
      return;
    }
    if (latencyMs.max > 0) await later(latencyMs.min + random.next() * (latencyMs.max - latencyMs.min));
    if (fault === 'error') {
      counters.faultsByKind.error++;
      send(res, 500, faultEnvelope('Server', 'Hệ thống đang bận, vui lòng thử lại sau'));
      return;
    }

    const parsed = parseSoapRequest(xml);
    if (!parsed.ok) {
      counters.clientFaults++;
      log.debug({ reason: parsed.reason }, 'client fault');
      send(res, 500, faultEnvelope(parsed.faultCode, parsed.reason));
      return;
    }
    const answer = service.answer(parsed.operation, parsed.body, performance.now());
    if (fault === 'malformed') {
      counters.faultsByKind.malformed++;
      // Cut mid-document, as a broken proxy or a dropped connection would: never well-formed.
      send(res, 200, answer.xml.slice(0, Math.max(1, Math.floor(answer.xml.length * 0.6))));
      return;
    }
    counters.answered++;
    counters.perOperation[parsed.operation] = (counters.perOperation[parsed.operation] ?? 0) + 1;
    counters.perResult[answer.resultCode] = (counters.perResult[answer.resultCode] ?? 0) + 1;
    send(res, 200, answer.xml);
  }

  /** Client credentials grant: HTTP Basic with the url-encoded client id and secret (RFC 6749 §2.3.1). */
  async function handleLgspToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readBody(req));
    } catch {
      return;
    }
    if (form.get('grant_type') !== 'client_credentials') return sendJson(res, 400, { error: 'unsupported_grant_type' });
    if (credentials) {
      const authorization = header(req, 'authorization') ?? '';
      const decoded = authorization.startsWith('Basic ') ? Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      const id = colon < 0 ? '' : safeDecode(decoded.slice(0, colon));
      const secret = colon < 0 ? '' : safeDecode(decoded.slice(colon + 1));
      if (!sameText(id, credentials.username) || !sameText(secret, credentials.secret)) {
        counters.unauthorized++;
        return sendJson(res, 401, { error: 'invalid_client' });
      }
    }
    sendJson(res, 200, lgspTokens.issue());
  }

  /** `POST /lgsp/dancu/<operation>`: bearer check, then the same quota, faults, latency and registry as SOAP. */
  async function handleLgsp(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    counters.requests++;
    let text: string;
    try {
      text = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) sendJson(res, 413, { error: { code: 'TOO_LARGE' } });
      return;
    }
    if (credentials) {
      const authorization = header(req, 'authorization') ?? '';
      if (!authorization.startsWith('Bearer ') || !lgspTokens.valid(authorization.slice(7).trim())) {
        counters.unauthorized++;
        res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
        return sendJson(res, 401, { error: { code: 'invalid_token' } });
      }
    }
    if (!isOperationName(name)) return sendJson(res, 404, { error: { code: 'UNKNOWN_OPERATION' } });

    const decision = quota.tryAcquire();
    if (!decision.allowed) {
      counters.rateLimited++;
      res.setHeader('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
      return sendJson(res, 429, { error: { code: 'QUOTA_EXCEEDED' } });
    }
    const fault = drawFault();
    if (fault === 'timeout') {
      counters.faultsByKind.timeout++;
      hold(req);
      return;
    }
    if (latencyMs.max > 0) await later(latencyMs.min + random.next() * (latencyMs.max - latencyMs.min));
    if (fault === 'error') {
      counters.faultsByKind.error++;
      return sendJson(res, 500, { error: { code: 'BACKEND_UNAVAILABLE', message: 'Hệ thống đang bận, vui lòng thử lại sau' } });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const op = lgspRequestToElement(name, json, credentials?.username ?? 'LGSP');
    if (!op) {
      counters.clientFaults++;
      return sendJson(res, 400, { error: { code: 'INVALID_REQUEST' } });
    }
    const answer = service.answer(name, op, performance.now());
    const body = soapAnswerToLgsp(name, answer.xml, new Date());
    if (fault === 'malformed') {
      counters.faultsByKind.malformed++;
      if (!res.writableEnded && !res.destroyed) {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(body.slice(0, Math.max(1, Math.floor(body.length * 0.6))));
      }
      return;
    }
    counters.answered++;
    counters.perOperation[name] = (counters.perOperation[name] ?? 0) + 1;
    counters.perResult[answer.resultCode] = (counters.perResult[answer.resultCode] ?? 0) + 1;
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  }

  async function handleFaults(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const text = await readBody(req);
      sendJson(res, 200, setFaults(parseFaults(text.trim() === '' ? {} : JSON.parse(text))));
    } catch (err) {
      sendJson(res, 400, { error: err instanceof Error ? err.message : 'bad request' });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (path === SIMULATOR_SOAP_PATH && method === 'POST') return handleSoap(req, res);
    if (path === SIMULATOR_LGSP_TOKEN_PATH && method === 'POST') return handleLgspToken(req, res);
    if (path?.startsWith(`${SIMULATOR_LGSP_BASE_PATH}/`) && method === 'POST') {
      return handleLgsp(req, res, path.slice(SIMULATOR_LGSP_BASE_PATH.length + 1));
    }
    if (path === '/stats' && method === 'GET') return sendJson(res, 200, stats());
    if (path === '/health' && method === 'GET') return sendJson(res, 200, { ok: true });
    if (path === '/faults' && method === 'POST') return handleFaults(req, res);
    if (path === '/reset-stats' && method === 'POST') {
      resetStats();
      return sendJson(res, 200, stats());
    }
    sendJson(res, 404, { error: `no ${method} ${path}; the SOAP service is POST ${SIMULATOR_SOAP_PATH}` });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'simulator failed to answer');
      send(res, 500, faultEnvelope('Server', 'Internal error'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  const origin = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`;
  const url = `${origin}${SIMULATOR_SOAP_PATH}`;
  log.info(
    { url, count, buildMs: Math.round(registry.buildMs), quotaPerSecond: stats().quotaPerSecond, auth: Boolean(credentials) },
    'population database simulator listening',
  );

  return {
    url,
    stats,
    setFaults,
    resetStats,
    lgsp: { url: `${origin}${SIMULATOR_LGSP_BASE_PATH}`, tokenUrl: `${origin}${SIMULATOR_LGSP_TOKEN_PATH}`, revokeTokens: () => lgspTokens.revokeAll() },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
