import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { RegistryConfigurationError, RegistryRefusedError } from './registry-errors.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import { logger as rootLogger } from '../observability/logger.js';
import { loggedCall, type LoggedCallDeps } from './logged-call.js';
import { postToRegistry } from './registry-post.js';
import { LGSP_ERROR_CODE, lgspOperationUrl } from './lgsp.protocol.js';
import { LgspTokenError } from './lgsp-token.error.js';
import { LgspTokenProvider } from './lgsp-token.provider.js';
import type {
  CallContext,
  CallResult,
  Citizen,
  LookupOutcome,
  PersonQuery,
  PopulationDbClient,
  VerifyOutcome,
} from './population-db.client.js';
import { BULK_STATES, OPERATIONS, RESULT_CODES, type OperationName } from './protocol.js';
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
  type CitizenEntry,
  type Interpreted,
} from './registry-answer.js';
import type { RegistryCallLog } from './registry-call.log.js';
import { parseRetryAfter, registryBirth, registryBirthSchema, registryName, SEX_OF_CODE } from './registry-format.js';

/** The value this transport writes to `registry_call.transport`. */
export const LGSP_TRANSPORT = 'lgsp';

/** Options of {@link LgspPopulationDbClient}; the factory fills them from the `POPULATION_DB_*` settings. */
export interface LgspPopulationDbClientOptions {
  /** Base URL of the platform's population-database service (`POPULATION_DB_URL`); operations are POSTed to `<url>/<operation>`. */
  url: string;
  /** OAuth 2.0 token endpoint (`POPULATION_DB_TOKEN_URL`). */
  tokenUrl: string;
  /** Client id issued by the platform (`POPULATION_DB_CLIENT_ID`). */
  clientId: string;
  /** Client secret (`POPULATION_DB_CLIENT_SECRET`); sent only to the token endpoint. */
  clientSecret: string;
  /** Scopes to ask the token for (`POPULATION_DB_TOKEN_SCOPE`). @defaultValue none */
  scope?: string;
  /** `header.callerCode` (`POPULATION_DB_CALLER_CODE`). */
  callerCode: string;
  /** Whole-call timeout in ms, for the token request and for each call (`POPULATION_DB_TIMEOUT_MS`). */
  timeoutMs: number;
  /** The integration log every call is written to. */
  log: Pick<RegistryCallLog, 'begin' | 'record'>;
  /** Clock for `header.timestamp`, `started_at`, token expiry and Retry-After dates. @defaultValue `() => new Date()` */
  now?: () => Date;
  /** HTTP client (token endpoint and calls). @defaultValue a fresh axios instance */
  http?: AxiosInstance;
  /** Where a failed integration-log write is reported. @defaultValue the process logger */
  logger?: Logger;
  /** Largest response accepted, in bytes (bulk results are the big ones). @defaultValue 32 MiB */
  maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

type Json = Record<string, unknown>;

/**
 * The national population database through a provincial integration platform (LGSP): the same operations
 * as the SOAP service, as JSON, with an OAuth 2.0 bearer token (wire format: `lgsp.protocol.ts`).
 *
 * Every call gets a fresh `requestId` and one row in the integration log (`transport` = `lgsp`), whatever
 * its outcome; a call whose token could not be obtained is logged too, without an HTTP status. Errors are
 * those of every transport: `RateLimitedError` (429, `details.retryAfterMs`), `UpstreamUnavailableError`
 * (5xx, timeouts, network, unusable answers: `details.reason`), `RegistryRejectedError` (refusals that
 * retrying will not fix: other 4xx, `ketQua` 99, a token the platform will not issue). The answer is read
 * into the few fields reconciliation needs; religion, ethnicity and addresses are never kept or logged.
 */
export class LgspPopulationDbClient implements PopulationDbClient {
  private readonly now: () => Date;
  private readonly http: AxiosInstance;
  private readonly maxResponseBytes: number;
  private readonly tokens: LgspTokenProvider;
  private readonly deps: LoggedCallDeps;

  constructor(private readonly options: LgspPopulationDbClientOptions) {
    this.now = options.now ?? (() => new Date());
    this.http = options.http ?? axios.create();
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.tokens = new LgspTokenProvider({
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      scope: options.scope,
      timeoutMs: options.timeoutMs,
      http: this.http,
      now: this.now,
    });
    this.deps = { transport: LGSP_TRANSPORT, log: options.log, logger: options.logger ?? rootLogger(), now: this.now };
  }

  /** `XacThucThongTinCongDan`: does this number belong to a citizen with this name and birth date? */
  async verifyCitizen(query: PersonQuery & { number: string }, ctx: CallContext): Promise<CallResult<VerifyOutcome>> {
    return this.call(OPERATIONS.verify, ctx, person(query), interpretVerify);
  }

  /** `TraCuuThongTinCongDan`: the citizens with this number (or, without one, this name and birth). */
  async lookupCitizen(query: PersonQuery, ctx: CallContext): Promise<CallResult<LookupOutcome>> {
    return this.call(OPERATIONS.lookup, ctx, person(query), interpretLookup);
  }

  /** `GuiYeuCauDanhSach`: submits lookups for later collection; results come back by list position. */
  async submitBulkRequest(queries: PersonQuery[], ctx: CallContext): Promise<CallResult<{ bulkId: string }>> {
    if (queries.length === 0) throw new InvalidInputError('A bulk request needs at least one person', { field: 'queries' });
    const danhSachCongDan = queries.map((q, chiSo) => ({ chiSo, ...person(q) }));
    return this.call(OPERATIONS.submitBulk, ctx, { danhSachCongDan }, interpretSubmit);
  }

  /** `GetRequestStatus` of a bulk request. */
  async getBulkRequestStatus(bulkId: string, ctx: CallContext): Promise<CallResult<{ state: 'PENDING' | 'DONE' | 'FAILED' }>> {
    return this.call(OPERATIONS.bulkStatus, ctx, { maYeuCauDanhSach: bulkId }, interpretStatus);
  }

  /** `GetRequestResult` of a finished bulk request. */
  async getBulkRequestResult(
    bulkId: string,
    ctx: CallContext,
  ): Promise<CallResult<{ results: Array<{ index: number; outcome: LookupOutcome }> }>> {
    return this.call(OPERATIONS.bulkResult, ctx, { maYeuCauDanhSach: bulkId }, interpretResult);
  }

  /**
   * One call with its integration-log row: a token, the JSON request, and, when the platform answers 401
   * (a token revoked or expired before its time), a new token and one more try.
   */
  private async call<T>(
    operation: OperationName,
    ctx: CallContext,
    body: Json,
    interpret: (body: Json, call: CallRef) => Interpreted<T>,
  ): Promise<CallResult<T>> {
    return loggedCall(this.deps, operation, ctx, async (requestId, startedAt, state) => {
      const call: CallRef = { operation, requestId, httpStatus: null };
      const request = {
        header: {
          requestId,
          callerCode: this.options.callerCode,
          officer: { id: ctx.officerId, name: ctx.officerName, unit: ctx.unit },
          purpose: ctx.purposeCode,
          caseRef: ctx.caseRef,
          timestamp: startedAt.toISOString(),
        },
        body,
      };
      let token = await this.token(call);
      let response = await this.post(request, token, call);
      if (response.status === 401) {
        this.tokens.invalidate(token);
        token = await this.token(call);
        response = await this.post(request, token, call);
      }
      state.httpStatus = response.status;
      const answered: CallRef = { ...call, httpStatus: response.status };
      return interpret(readAnswer(checkStatus(response, answered, this.now()), answered), answered);
    });
  }

  /** The current token; a token failure becomes this call's failure (logged without an HTTP status). */
  private async token(call: CallRef): Promise<string> {
    try {
      return await this.tokens.token();
    } catch (err) {
      if (!(err instanceof LgspTokenError)) throw err;
      const details = { stage: 'TOKEN', tokenHttpStatus: err.httpStatus, ...err.details };
      const message = `${err.message} (before ${call.operation})`;
      switch (err.kind) {
        case 'REFUSED':
          throw new CallFailure(new RegistryConfigurationError(message, { ...call, ...details }), 'REJECTED', null);
        case 'RATE_LIMITED':
          throw new CallFailure(new RateLimitedError(message, { ...call, ...details }), 'RATE_LIMITED', null);
        case 'TIMEOUT':
          throw upstream(message, 'TIMEOUT', 'TIMEOUT', call, details);
        case 'MALFORMED':
          throw upstream(message, 'MALFORMED', 'MALFORMED', call, details);
        default:
          throw upstream(message, err.kind, 'UPSTREAM_ERROR', call, details);
      }
    }
  }

  /** Sends one request; transport failures become {@link CallFailure}s, every HTTP status is returned. */
  private post(request: Json, token: string, call: CallRef): Promise<AxiosResponse<unknown>> {
    const { url, timeoutMs } = this.options;
    return postToRegistry(this.http, lgspOperationUrl(url, call.operation), JSON.stringify(request), call, {
      timeoutMs,
      maxResponseBytes: this.maxResponseBytes,
      headers: { 'Content-Type': 'application/json; charset=utf-8', Accept: 'application/json', Authorization: `Bearer ${token}` },
    });
  }
}

/** Turns non-2xx statuses into {@link CallFailure}s; returns the body of a 2xx answer. */
function checkStatus(response: AxiosResponse<unknown>, call: CallRef, now: Date): unknown {
  const { status } = response;
  const { operation } = call;
  if (status >= 200 && status < 300) return response.data;
  const errorCode = errorCodeOf(response.data);
  const details = errorCode ? { errorCode } : {};
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], now);
    throw new CallFailure(
      new RateLimitedError(`Population database rate limit hit on ${operation}; retry after ${retryAfterMs} ms`, { ...call, ...details, retryAfterMs }),
      'RATE_LIMITED',
      status,
    );
  }
  if (status >= 500) {
    throw upstream(`Population database answered ${operation} with HTTP ${status}${errorCode ? ` (${errorCode})` : ''}`, 'HTTP_5XX', 'UPSTREAM_ERROR', call, details);
  }
  const configuration = status === 401 || status === 403 || status === 404 || status === 405;
  const hint =
    status === 401 || status === 403
      ? 'configuration error: check POPULATION_DB_CLIENT_ID, POPULATION_DB_CLIENT_SECRET and the operations granted to that client'
      : status === 404 || status === 405
        ? 'configuration error: check POPULATION_DB_URL'
        : 'request refused';
  throw new CallFailure(
    new (configuration ? RegistryConfigurationError : RegistryRefusedError)(`Population database refused ${operation} with HTTP ${status}${errorCode ? ` (${errorCode})` : ''} (${hint})`, { ...call, ...details }),
    'REJECTED',
    status,
  );
}

/** `{ "error": { "code" } }`, `{ "error": "code" }` or `{ "code" }`, when it is a plain identifier. */
function errorCodeOf(data: unknown): string | undefined {
  const body = tryJson(data);
  if (!body || typeof body !== 'object') return undefined;
  const error = (body as Json)['error'];
  const code = error && typeof error === 'object' ? (error as Json)['code'] : (error ?? (body as Json)['code']);
  return typeof code === 'string' && LGSP_ERROR_CODE.test(code) ? code : undefined;
}

function tryJson(data: unknown): unknown {
  if (typeof data !== 'string' || data.trim() === '') return undefined;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

const envelopeSchema = z.object({
  header: z.object({ requestId: z.string().optional() }).optional(),
  body: z.record(z.string(), z.unknown()),
});

/**
 * Parses a 2xx answer down to its `body`. Unusable JSON and an answer to another request become
 * {@link CallFailure}s; the raw text goes out of scope here.
 */
function readAnswer(data: unknown, call: CallRef): Json {
  const { operation, requestId } = call;
  const text = typeof data === 'string' ? data : '';
  if (text.trim() === '') throw malformed(`empty response to ${operation}`, call);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed(`response to ${operation} is not JSON`, call);
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) throw malformed(`response to ${operation} is not an LGSP envelope (header, body)`, call);
  const echoed = parsed.data.header?.requestId;
  // The echoed request id guards against a proxy or platform handing us someone else's answer.
  if (echoed !== undefined && echoed !== '' && echoed !== requestId) throw malformed(`response to ${operation} answers another request`, call);
  return parsed.data.body;
}

// ---------------------------------------------------------------------------------------------------------
// Requests

function person(query: PersonQuery): Json {
  return { soDinhDanh: query.number ?? '', hoVaTen: registryName(query.fullName), ngayThangNamSinh: registryBirth(query.birth) };
}

// ---------------------------------------------------------------------------------------------------------
// Answers

/** JSON platforms write small codes as numbers now and then: `1` for "1". Codes with leading zeros must be strings. */
const codeText = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.enum(values));

/**
 * A `congDan`, reduced to what reconciliation needs: unknown keys (religion, ethnicity, addresses, parents,
 * blood group) are stripped by the object schema and never reach the caller.
 */
const citizenSchema = z
  .object({
    soDinhDanh: z.string().regex(/^\d{12}$/, 'expected 12 digits'),
    ho: z.string(),
    chuDem: z.string().nullish(),
    ten: z.string().min(1),
    gioiTinh: codeText(['1', '2', '']).nullish(),
    ngayThangNamSinh: registryBirthSchema.nullish(),
    truongKhongKhop: z.array(z.string()).optional(),
  })
  .transform((c): CitizenEntry => {
    const birth = c.ngayThangNamSinh ?? { birthDate: null, birthDatePrecision: null };
    const citizen: Citizen = {
      number: c.soDinhDanh,
      familyName: c.ho,
      middleName: c.chuDem ? c.chuDem : null,
      givenName: c.ten,
      sex: SEX_OF_CODE[c.gioiTinh ?? ''] ?? null,
      birthDate: birth.birthDate,
      birthDatePrecision: birth.birthDatePrecision,
    };
    return { citizen, mismatched: c.truongKhongKhop };
  });

const citizensSchema = z.array(citizenSchema).nullish().transform((c) => c ?? []);
const resultCode = z.enum([RESULT_CODES.match, RESULT_CODES.mismatch, RESULT_CODES.notFound, RESULT_CODES.rejected]);

const verifySchema = z.object({ ketQua: resultCode, congDan: citizensSchema, truongKhongKhop: z.array(z.string()).optional() });
const lookupSchema = z.object({ ketQua: resultCode, congDan: citizensSchema });
const submitSchema = z.object({ ketQua: resultCode, maYeuCauDanhSach: z.string().min(1).optional() });
const statusSchema = z.object({ ketQua: resultCode, trangThai: z.enum(BULK_STATES).optional() });
const resultSchema = z.object({
  ketQua: resultCode,
  trangThai: z.enum(BULK_STATES).optional(),
  danhSachKetQua: z
    .array(
      z.object({
        chiSo: z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), z.number().int().min(0)),
        ketQua: z.enum([RESULT_CODES.match, RESULT_CODES.notFound, RESULT_CODES.rejected]),
        congDan: citizensSchema,
      }),
    )
    .nullish()
    .transform((r) => r ?? []),
});

/** Validates `body` against `schema`; a failure names the paths, never the values. */
function validate<S extends z.ZodType>(schema: S, body: Json, call: CallRef): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const paths = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))];
  throw malformed(`response to ${call.operation} failed validation at ${paths.join(', ')}`, call);
}

function interpretVerify(body: Json, call: CallRef): Interpreted<VerifyOutcome> {
  const r = validate(verifySchema, body, call);
  return verifyAnswer({ code: r.ketQua, citizens: r.congDan, mismatched: r.truongKhongKhop }, call);
}

function interpretLookup(body: Json, call: CallRef): Interpreted<LookupOutcome> {
  const r = validate(lookupSchema, body, call);
  return lookupAnswer({ code: r.ketQua, citizens: r.congDan }, call);
}

function interpretSubmit(body: Json, call: CallRef): Interpreted<{ bulkId: string }> {
  const r = validate(submitSchema, body, call);
  return submitAnswer({ code: r.ketQua, bulkId: r.maYeuCauDanhSach }, call);
}

function interpretStatus(body: Json, call: CallRef): Interpreted<{ state: 'PENDING' | 'DONE' | 'FAILED' }> {
  const r = validate(statusSchema, body, call);
  return statusAnswer({ code: r.ketQua, state: r.trangThai }, call);
}

function interpretResult(body: Json, call: CallRef): Interpreted<{ results: Array<{ index: number; outcome: LookupOutcome }> }> {
  const r = validate(resultSchema, body, call);
  const items = r.danhSachKetQua.map((item) => ({ index: item.chiSo, code: item.ketQua, citizens: item.congDan }));
  return resultAnswer({ code: r.ketQua, state: r.trangThai, items }, call);
}
