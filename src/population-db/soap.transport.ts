import { createHash } from 'node:crypto';
import { plainCode, RegistryConfigurationError, RegistryRefusedError, RegistryUnavailableError } from './registry-errors.js';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Logger } from 'pino';
import { z } from 'zod';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import { logger as rootLogger } from '../observability/logger.js';
import { loggedCall, type ExchangeState, type LoggedCallDeps } from './logged-call.js';
import { postToRegistry } from './registry-post.js';
import type {
  CallContext,
  CallResult,
  Citizen,
  LookupOutcome,
  PersonQuery,
  PopulationDbClient,
  VerifyOutcome,
} from './population-db.client.js';
import {
  AUTH_HEADERS,
  BULK_ELEMENTS,
  BULK_STATES,
  CITIZEN_FIELDS,
  NAMESPACE,
  OPERATIONS,
  RESULT_CODES,
  SOAP_ENV_NAMESPACE,
  type OperationName,
} from './protocol.js';
import {
  CallFailure,
  lookupAnswer,
  malformed,
  resultAnswer,
  statusAnswer,
  submitAnswer,
  upstream,
  verifyAnswer,
  type CallRef,
  type Interpreted,
} from './registry-answer.js';
import type { RegistryCallLog } from './registry-call.log.js';
import { parseRetryAfter, registryBirth, registryBirthSchema, registryName, SEX_OF_CODE } from './registry-format.js';

/** The value this transport writes to `registry_call.transport`. */
export const SOAP_TRANSPORT = 'soap';

/**
 * Elements of the asynchronous bulk operations, which `protocol.ts` names but does not spell out. The
 * same names as the project's simulator (`simulator/population-db.simulator.ts`); all in the registry
 * namespace:
 * - `GuiYeuCauDanhSach` request: the common elements, then
 *   `<DanhSachCongDan><CongDan><ChiSo>0</ChiSo><SoDinhDanh/><HoVaTen/><NgayThangNamSinh/></CongDan>…</DanhSachCongDan>`
 *   (`ChiSo` = 0-based position in the submitted list); response: `KetQua` 00 and `MaYeuCauDanhSach` (the bulk id).
 * - `GetRequestStatus` / `GetRequestResult` request: the common elements (with their own fresh `MaYeuCau`)
 *   and `MaYeuCauDanhSach`. Status response: `KetQua` and `TrangThai` (one of `BULK_STATES`). Result
 *   response: the same, plus once `HOAN_THANH`:
 *   `<DanhSachKetQua><KetQuaCongDan><ChiSo/><KetQua>00|02|99</KetQua><CongdanCollection/></KetQuaCongDan>…`.
 * - `KetQua` 02 on status/result means the bulk id is unknown to the registry.
 */
/** Options of {@link SoapPopulationDbClient}; the factory fills them from the `POPULATION_DB_*` settings. */
export interface SoapPopulationDbClientOptions {
  /** SOAP endpoint (`POPULATION_DB_URL`). It is signed exactly as given, so do not rewrite it. */
  url: string;
  /** HTTP Basic user name issued by the data-exchange platform (`POPULATION_DB_USERNAME`). */
  username: string;
  /** Shared secret of the request signature (`POPULATION_DB_SECRET`); never sent. */
  secret: string;
  /** Sent in `X-Api-Key` (`POPULATION_DB_API_KEY`). */
  apiKey: string;
  /** `MaDonVi` (`POPULATION_DB_CALLER_CODE`). */
  callerCode: string;
  /** `MaTichHop` (`POPULATION_DB_INTEGRATION_CODE`). */
  integrationCode: string;
  /** Whole-call timeout in ms, from connect to the last byte (`POPULATION_DB_TIMEOUT_MS`). */
  timeoutMs: number;
  /** The integration log every call is written to. */
  log: Pick<RegistryCallLog, 'begin' | 'record'>;
  /** Clock for `Timestamp`, `started_at` and Retry-After dates. @defaultValue `() => new Date()` */
  now?: () => Date;
  /** HTTP client. @defaultValue a fresh axios instance */
  http?: AxiosInstance;
  /** Where a failed integration-log write is reported. @defaultValue the process logger */
  logger?: Logger;
  /** Largest response accepted, in bytes (bulk results are the big ones). @defaultValue 32 MiB */
  maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * The national population database over SOAP 1.1, as agencies reach it through NDXP or a provincial LGSP
 * (wire format: `protocol.ts`).
 *
 * Authentication, as agency clients do it:
 * - `Timestamp: yyyyMMddHHmmss` — the current time in **UTC**, 14 digits, no separators
 *   (e.g. `20261125083005`). UTC so that the value does not depend on the server's time zone.
 * - `Authorization: Basic base64(username + ":" + hex(SHA256(url + username + timestamp + secret)))` —
 *   plain concatenation, UTF-8, lower-case hex; `url` is the configured endpoint string unchanged.
 * - `X-Api-Key: <apiKey>`.
 *
 * Every call gets a fresh `MaYeuCau` (a random UUID) and one row in the integration log, whatever its
 * outcome. The response is read into the few fields reconciliation needs; the raw XML (religion,
 * ethnicity, blood group) is never kept, logged or put into an error.
 */
export class SoapPopulationDbClient implements PopulationDbClient {
  private readonly now: () => Date;
  private readonly http: AxiosInstance;
  private readonly logger: Logger;
  private readonly maxResponseBytes: number;

  private readonly deps: LoggedCallDeps;

  constructor(private readonly options: SoapPopulationDbClientOptions) {
    this.now = options.now ?? (() => new Date());
    this.http = options.http ?? axios.create();
    this.logger = options.logger ?? rootLogger();
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.deps = { transport: SOAP_TRANSPORT, log: options.log, logger: this.logger, now: this.now };
  }

  /** `XacThucThongTinCongDan`: does this number belong to a citizen with this name and birth date? */
  async verifyCitizen(query: PersonQuery & { number: string }, ctx: CallContext): Promise<CallResult<VerifyOutcome>> {
    return this.call(OPERATIONS.verify, ctx, personElements(query), interpretVerify);
  }

  /** `TraCuuThongTinCongDan`: the citizens with this number (or, without one, this name and birth). */
  async lookupCitizen(query: PersonQuery, ctx: CallContext): Promise<CallResult<LookupOutcome>> {
    return this.call(OPERATIONS.lookup, ctx, personElements(query), interpretLookup);
  }

  /** `GuiYeuCauDanhSach`: submits lookups for later collection; results come back by list position. */
  async submitBulkRequest(queries: PersonQuery[], ctx: CallContext): Promise<CallResult<{ bulkId: string }>> {
    if (queries.length === 0) throw new InvalidInputError('A bulk request needs at least one person', { field: 'queries' });
    const items = queries
      .map((q, i) => wrap(BULK_ELEMENTS.item, element(BULK_ELEMENTS.index, String(i)) + personElements(q)))
      .join('');
    return this.call(OPERATIONS.submitBulk, ctx, wrap(BULK_ELEMENTS.list, items), interpretSubmit);
  }

  /** `GetRequestStatus` of a bulk request. */
  async getBulkRequestStatus(bulkId: string, ctx: CallContext): Promise<CallResult<{ state: 'PENDING' | 'DONE' | 'FAILED' }>> {
    return this.call(OPERATIONS.bulkStatus, ctx, element(BULK_ELEMENTS.bulkId, bulkId), interpretStatus);
  }

  /** `GetRequestResult` of a finished bulk request. */
  async getBulkRequestResult(
    bulkId: string,
    ctx: CallContext,
  ): Promise<CallResult<{ results: Array<{ index: number; outcome: LookupOutcome }> }>> {
    return this.call(OPERATIONS.bulkResult, ctx, element(BULK_ELEMENTS.bulkId, bulkId), interpretResult);
  }

  /** One round trip (envelope, signed POST, error mapping, parsing) with its integration-log row. */
  private async call<T>(
    operation: OperationName,
    ctx: CallContext,
    operationFields: string,
    interpret: (body: Record<string, unknown>, call: CallRef) => Interpreted<T>,
  ): Promise<CallResult<T>> {
    return loggedCall(this.deps, operation, ctx, async (requestId, startedAt, state: ExchangeState) => {
      const envelope = buildEnvelope(
        operation,
        element('MaYeuCau', requestId) +
          element('MaDonVi', this.options.callerCode) +
          element('MaTichHop', this.options.integrationCode) +
          wrap('CanBo', element('SoDinhDanh', ctx.officerId) + element('HoVaTen', ctx.officerName) + element('DonVi', ctx.unit)) +
          element('MucDich', ctx.purposeCode) +
          element('SoHoSo', ctx.caseRef) +
          operationFields,
      );
      const response = await this.post(envelope, startedAt, { operation, requestId, httpStatus: null });
      state.httpStatus = response.status;
      const answered: CallRef = { operation, requestId, httpStatus: response.status };
      return interpret(readAnswer(response.data, answered), answered);
    });
  }

  /** Sends the envelope; turns transport failures and non-2xx statuses into {@link CallFailure}s. */
  private async post(envelope: string, at: Date, call: CallRef): Promise<AxiosResponse<unknown>> {
    const { url, timeoutMs } = this.options;
    const { operation } = call;
    const response = await postToRegistry(this.http, url, envelope, call, {
      timeoutMs,
      maxResponseBytes: this.maxResponseBytes,
      headers: { 'Content-Type': 'text/xml; charset=utf-8', Accept: 'text/xml', SOAPAction: `"${NAMESPACE}/${operation}"`, ...this.authHeaders(at) },
    });

    const status = response.status;
    const answered: CallRef = { ...call, httpStatus: status };
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.now());
      throw new CallFailure(
        new RateLimitedError(`Population database rate limit hit on ${operation}; retry after ${retryAfterMs} ms`, {
          ...answered,
          retryAfterMs,
        }),
        'RATE_LIMITED',
        status,
      );
    }
    if (status >= 500) {
      // SOAP 1.1 sends faults with HTTP 500: a client fault in there is a permanent rejection, not weather.
      const fault = tryReadFault(response.data);
      if (fault) throw faultFailure(fault, answered);
      throw upstream(`Population database answered ${operation} with HTTP ${status}`, 'HTTP_5XX', 'UPSTREAM_ERROR', answered);
    }
    if (status < 200 || status >= 300) {
      const hint =
        status === 401 || status === 403
          ? 'check POPULATION_DB_USERNAME, POPULATION_DB_SECRET, POPULATION_DB_API_KEY and the server clock'
          : 'check POPULATION_DB_URL';
      throw new CallFailure(
        new RegistryConfigurationError(`Population database refused ${operation} with HTTP ${status} (configuration error: ${hint})`, answered),
        'REJECTED',
        status,
      );
    }
    return response;
  }

  private authHeaders(at: Date): Record<string, string> {
    const { url, username, secret, apiKey } = this.options;
    const timestamp = formatTimestamp(at);
    const signature = createHash('sha256').update(url + username + timestamp + secret, 'utf8').digest('hex');
    return {
      Authorization: `Basic ${Buffer.from(`${username}:${signature}`, 'utf8').toString('base64')}`,
      [AUTH_HEADERS.timestamp]: timestamp,
      [AUTH_HEADERS.apiKey]: apiKey,
    };
  }
}

/**
 * Parses a 2xx answer down to the operation's response element. Faults and unusable XML become
 * {@link CallFailure}s; the raw text goes out of scope here.
 */
function readAnswer(data: unknown, call: CallRef): Record<string, unknown> {
  const { operation, requestId } = call;
  const text = typeof data === 'string' ? data : '';
  if (text.trim() === '') throw malformed(`empty response to ${operation}`, call);
  // The parser is lenient (a truncated document parses into a partial object), so validate first.
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw malformed(`response to ${operation} is not well-formed XML (${valid.err.code} at line ${valid.err.line})`, call);
  }
  const parsed = envelopeSchema.safeParse(parser.parse(text));
  if (!parsed.success) throw malformed(`response to ${operation} is not a SOAP envelope`, call);
  const body = parsed.data.Envelope.Body;
  const fault = faultSchema.safeParse(body['Fault']);
  if (fault.success) throw faultFailure(fault.data, call);
  const content = body[`${operation}Response`];
  if (content === null || typeof content !== 'object' || Array.isArray(content)) {
    throw malformed(`response to ${operation} has no ${operation}Response element`, call);
  }
  const answer = content as Record<string, unknown>;
  const echoed = answer['MaYeuCau'];
  // The echoed request id guards against a proxy or platform handing us someone else's answer.
  if (typeof echoed === 'string' && echoed !== '' && echoed !== requestId) {
    throw malformed(`response to ${operation} answers another request`, call);
  }
  return answer;
}

// ---------------------------------------------------------------------------------------------------------
// Envelope

/** XML 1.0 forbids most control characters even when escaped; a stray one would make the envelope invalid. */
const XML_INVALID_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function xmlEscape(value: string): string {
  return value
    .replace(XML_INVALID_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function element(name: string, value: string): string {
  return `<dc:${name}>${xmlEscape(value)}</dc:${name}>`;
}

function wrap(name: string, inner: string): string {
  return `<dc:${name}>${inner}</dc:${name}>`;
}

function buildEnvelope(operation: OperationName, inner: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<soap:Envelope xmlns:soap="${SOAP_ENV_NAMESPACE}"><soap:Header/><soap:Body>` +
    `<dc:${operation} xmlns:dc="${NAMESPACE}">${inner}</dc:${operation}>` +
    `</soap:Body></soap:Envelope>`
  );
}

function personElements(query: PersonQuery): string {
  return (
    element(CITIZEN_FIELDS.number, query.number ?? '') +
    element('HoVaTen', registryName(query.fullName)) +
    element(CITIZEN_FIELDS.birthDate, registryBirth(query.birth))
  );
}

/** `yyyyMMddHHmmss` in UTC. */
function formatTimestamp(at: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    pad(at.getUTCFullYear(), 4) +
    pad(at.getUTCMonth() + 1) +
    pad(at.getUTCDate()) +
    pad(at.getUTCHours()) +
    pad(at.getUTCMinutes()) +
    pad(at.getUTCSeconds())
  );
}

// ---------------------------------------------------------------------------------------------------------
// Errors

function faultFailure(fault: Fault, call: CallRef): CallFailure {
  // `soap:Client`, `soapenv:Client.Authentication`, `Client`: the prefix varies, the local part does not.
  const local = fault.faultcode.slice(fault.faultcode.indexOf(':') + 1);
  // The fault string is not passed on: registries quote the offending input in it.
  // The code too, unless it is a plain identifier: the message is kept whole in logs and Redis (registry-errors.ts).
  const code = plainCode(fault.faultcode);
  const shown = code ?? 'with a code that is not an identifier';
  const details = { ...call, faultCode: code };
  if (local === 'Client' || local.startsWith('Client.')) {
    return new CallFailure(
      new RegistryRefusedError(`Population database rejected ${call.operation} (SOAP fault ${shown})`, details),
      'REJECTED',
      call.httpStatus,
    );
  }
  return new CallFailure(
    new RegistryUnavailableError(`Population database failed on ${call.operation} (SOAP fault ${shown})`, {
      ...details,
      reason: 'HTTP_5XX',
    }),
    'UPSTREAM_ERROR',
    call.httpStatus,
  );
}

function tryReadFault(data: unknown): Fault | null {
  if (typeof data !== 'string' || data.trim() === '' || XMLValidator.validate(data) !== true) return null;
  const parsed = envelopeSchema.safeParse(parser.parse(data));
  if (!parsed.success) return null;
  const fault = faultSchema.safeParse(parsed.data.Envelope.Body['Fault']);
  return fault.success ? fault.data : null;
}

// ---------------------------------------------------------------------------------------------------------
// Responses

const parser = new XMLParser({
  removeNSPrefix: true,
  // Every value stays a string: `00` must not become 0, nor a personal number lose its leading zeros.
  parseTagValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (tagName) => tagName === 'CongDan' || tagName === BULK_ELEMENTS.result,
});

const envelopeSchema = z.object({ Envelope: z.object({ Body: z.record(z.string(), z.unknown()) }) });
const faultSchema = z.object({ faultcode: z.string().min(1), faultstring: z.string().optional() });
type Fault = z.infer<typeof faultSchema>;

/**
 * A `CongDan`, reduced to what reconciliation needs: unknown keys (religion, ethnicity, addresses, parents,
 * blood group) are stripped by the object schema and never reach the caller.
 */
const citizenSchema = z
  .object({
    [CITIZEN_FIELDS.number]: z.string().regex(/^\d{12}$/, 'expected 12 digits'),
    [CITIZEN_FIELDS.familyName]: z.string(),
    [CITIZEN_FIELDS.middleName]: z.string().optional(),
    [CITIZEN_FIELDS.givenName]: z.string().min(1),
    [CITIZEN_FIELDS.sex]: z.enum(['1', '2', '']).optional(),
    [CITIZEN_FIELDS.birthDate]: registryBirthSchema.optional(),
    [CITIZEN_FIELDS.mismatched]: z.string().optional(),
  })
  .transform((c) => {
    const birth = c.NgayThangNamSinh ?? { birthDate: null, birthDatePrecision: null };
    const citizen: Citizen = {
      number: c.SoDinhDanh,
      familyName: c.Ho,
      middleName: c.ChuDem ? c.ChuDem : null,
      givenName: c.Ten,
      sex: SEX_OF_CODE[c.GioiTinh ?? ''] ?? null,
      birthDate: birth.birthDate,
      birthDatePrecision: birth.birthDatePrecision,
    };
    return { citizen, mismatched: c.TruongKhongKhop };
  });

/**
 * An empty element (`<CongdanCollection/>`) parses as `''`: read it as absent. A preprocess rather than a
 * union, so that a bad citizen is reported at its own path (`CongdanCollection.CongDan.0.SoDinhDanh`).
 */
function emptyAsAbsent<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
}

/** A missing or empty collection means no citizens. */
const collectionSchema = emptyAsAbsent(z.object({ CongDan: z.array(citizenSchema).optional() })).transform((c) => c?.CongDan ?? []);

const resultCode = z.enum([RESULT_CODES.match, RESULT_CODES.mismatch, RESULT_CODES.notFound, RESULT_CODES.rejected]);

const verifySchema = z.object({
  KetQua: resultCode,
  CongdanCollection: collectionSchema,
  [CITIZEN_FIELDS.mismatched]: z.string().optional(),
});
const lookupSchema = z.object({ KetQua: resultCode, CongdanCollection: collectionSchema });
const submitSchema = z.object({ KetQua: resultCode, [BULK_ELEMENTS.bulkId]: z.string().optional() });
const statusSchema = z.object({ KetQua: resultCode, [BULK_ELEMENTS.state]: z.enum(BULK_STATES).optional() });
const resultItemSchema = z.object({
  [BULK_ELEMENTS.index]: z.string().regex(/^\d+$/, 'expected a list position'),
  KetQua: z.enum([RESULT_CODES.match, RESULT_CODES.notFound, RESULT_CODES.rejected]),
  CongdanCollection: collectionSchema,
});
const resultSchema = z.object({
  KetQua: resultCode,
  [BULK_ELEMENTS.state]: z.enum(BULK_STATES).optional(),
  [BULK_ELEMENTS.results]: emptyAsAbsent(z.object({ [BULK_ELEMENTS.result]: z.array(resultItemSchema).optional() })).transform(
    (r) => r?.KetQuaCongDan ?? [],
  ),
});

/** Validates `body` against `schema`; a failure names the paths, never the values. */
function validate<S extends z.ZodType>(schema: S, body: Record<string, unknown>, call: CallRef): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const paths = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))];
  throw malformed(`response to ${call.operation} failed validation at ${paths.join(', ')}`, call);
}

function splitFields(list: string | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  return list
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
}

function entries(citizens: Array<{ citizen: Citizen; mismatched: string | undefined }>) {
  return citizens.map((c) => ({ citizen: c.citizen, mismatched: splitFields(c.mismatched) }));
}

function interpretVerify(body: Record<string, unknown>, call: CallRef): Interpreted<VerifyOutcome> {
  const r = validate(verifySchema, body, call);
  return verifyAnswer({ code: r.KetQua, citizens: entries(r.CongdanCollection), mismatched: splitFields(r.TruongKhongKhop) }, call);
}

function interpretLookup(body: Record<string, unknown>, call: CallRef): Interpreted<LookupOutcome> {
  const r = validate(lookupSchema, body, call);
  return lookupAnswer({ code: r.KetQua, citizens: entries(r.CongdanCollection) }, call);
}

function interpretSubmit(body: Record<string, unknown>, call: CallRef): Interpreted<{ bulkId: string }> {
  const r = validate(submitSchema, body, call);
  return submitAnswer({ code: r.KetQua, bulkId: r.MaYeuCauDanhSach }, call);
}

function interpretStatus(body: Record<string, unknown>, call: CallRef): Interpreted<{ state: 'PENDING' | 'DONE' | 'FAILED' }> {
  const r = validate(statusSchema, body, call);
  return statusAnswer({ code: r.KetQua, state: r.TrangThai }, call);
}

function interpretResult(
  body: Record<string, unknown>,
  call: CallRef,
): Interpreted<{ results: Array<{ index: number; outcome: LookupOutcome }> }> {
  const r = validate(resultSchema, body, call);
  const items = r.DanhSachKetQua.map((item) => ({ index: Number(item.ChiSo), code: item.KetQua, citizens: entries(item.CongdanCollection) }));
  return resultAnswer({ code: r.KetQua, state: r.TrangThai, items }, call);
}
