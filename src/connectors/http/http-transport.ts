import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import axios, { isAxiosError, type AxiosInstance } from 'axios';
import type { Logger } from 'pino';
import type { ReaderEvent } from '../types.js';
import { abortableSleep } from './abortable-sleep.js';
import { ConnectorMalformedResponseError } from './errors/connector-malformed-response-error.js';
import { ConnectorUpstreamUnavailableError } from './errors/connector-upstream-unavailable-error.js';
import { RequestBudget } from './request-budget.js';
import { isRetryableNetworkCode, isRetryableStatus, parseRetryAfter, retryDelayMs, type RetrySettings } from './retry-policy.js';
import { describeRequest, describeUrl, shownPath } from './url-description.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** The most bytes the answer's body may hold, decompressed: more is refused as it arrives (see {@link ResponseLimit}). */
  limit: ResponseLimit;
  /**
   * A URL the source gave (a next link, a redirect) whose path the definition does not name: logs and errors
   * withhold its path as they withhold its query values, since it can carry anything (a name, a number: QA).
   */
  serverMade?: boolean;
}

/**
 * A bound on a body's size, set by what the answer is for: a page's records are parsed and held while the
 * sync stores them (and the next page arrives meanwhile), which must fit the production heap of 512 MB.
 */
export interface ResponseLimit {
  maxBytes: number;
  /** What to do about an answer over the limit, appended to the error's message. */
  advice: string;
}

export interface HttpResponse {
  status: number;
  /**
   * The standard reason phrase of the status (`Not Found`), never the one the server sent: that is free text
   * (`401 Unauthorized Nguyen Van An`), and it goes into errors, run history and logs.
   */
  statusText: string;
  /** Response headers, names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body's bytes, as received (decompressed). */
  body: Buffer;
  /** The body as UTF-8 text (decoded on first use: a page's records are parsed from {@link body}). */
  readonly text: string;
  durationMs: number;
}

export interface HttpTransportOptions {
  /** Whole-request timeout, connect to last byte. */
  timeoutMs: number;
  retry: RetrySettings;
  requestsPerSecond: number;
  /** Injected waits (tests); the real timer when undefined. */
  sleep: ((ms: number) => Promise<void>) | undefined;
  now: () => Date;
  /** Uniform in [0, 1): the jitter of backoffs. */
  random: () => number;
  logger: Logger;
  /** Query parameter names whose values logs may show. */
  shownParams: ReadonlySet<string>;
}

export interface SendContext {
  signal?: AbortSignal | undefined;
  onEvent?: ((event: ReaderEvent) => void) | undefined;
  /** Fewer attempts than the definition's `retry.maxAttempts` (a check, where someone waits for the answer). */
  maxAttempts?: number | undefined;
}

type Attempt = { response: HttpResponse } | { failure: string };

/**
 * The one way a connector reaches its source: keep-alive sockets, the request budget, a timeout per
 * attempt, and retries of what is worth retrying (429, 408, 5xx, timeouts, connection errors) with
 * Retry-After honoured. Other answers (2xx, 3xx, 4xx) are returned for the caller to interpret.
 *
 * Nothing of a request or response (headers carry credentials, bodies personal data) is logged or attached
 * to an error: only method, path, status, codes and durations.
 */
export class HttpTransport {
  private readonly http: AxiosInstance;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly budget: RequestBudget;

  constructor(private readonly options: HttpTransportOptions) {
    this.budget = new RequestBudget(options.requestsPerSecond, options.now);
    this.http = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // A redirect would carry credentials to wherever it points: it is reported as misconfiguration instead.
      maxRedirects: 0,
      validateStatus: () => true,
      // The body stays bytes so that it is parsed exactly once, by the reader, with its own error; it is read
      // from the stream here, against the request's limit (see readBody).
      responseType: 'stream',
      transformResponse: [(data: unknown) => data],
      decompress: true,
      // Node's own http/https, as axios takes them without redirects, with each request's hand-off to the operating
      // system told to the budget: a request that leaves later than its slot (a connection to open first, a busy
      // event loop between the wait and the write) spaces the next from when it really left (QA re-check: the first
      // two requests of a sync, the first on a new connection, arrived 165 ms apart at 5 a second).
      transport: {
        request: (options: http.RequestOptions, callback: (res: http.IncomingMessage) => void) => {
          const req = (options.protocol === 'https:' ? https : http).request(options, callback);
          req.once('finish', () => this.budget.sent());
          return req;
        },
      },
    });
  }

  /**
   * Sends `request`, retrying as the policy allows. Throws {@link ConnectorUpstreamUnavailableError} when
   * attempts run out (or a connection fails in a way retries cannot fix), or the signal's reason on abort.
   */
  async send(request: HttpRequest, ctx: SendContext): Promise<HttpResponse> {
    const { retry, logger, sleep, now, random } = this.options;
    const what = describeRequest(request.method, request.url, request.serverMade);
    for (let attempt = 1; ; attempt++) {
      try {
        await abortableSleep(sleep, this.budget.reserve(), ctx.signal);
      } finally {
        this.budget.sending();
      }
      const outcome = await this.attempt(request, ctx.signal);
      let status: number | undefined;
      let code: string | undefined;
      let retryAfterMs: number | undefined;
      if ('response' in outcome) {
        const { response } = outcome;
        status = response.status;
        logger.debug(
          { method: request.method, url: describeUrl(request.url, this.options.shownParams, '…', request.serverMade), status, durationMs: Math.round(response.durationMs), attempt },
          'http request',
        );
        if (!isRetryableStatus(status)) return response;
        retryAfterMs = parseRetryAfter(response.headers['retry-after'], now());
      } else {
        code = outcome.failure;
        if (!isRetryableNetworkCode(code)) {
          throw new ConnectorUpstreamUnavailableError(`${what} failed: ${failureText(code, request.url)}`, {
            method: request.method,
            path: shownPath(request.url, request.serverMade),
            code,
            attempts: attempt,
          });
        }
      }
      const failed = status !== undefined ? `HTTP ${status}` : failureText(code!, request.url);
      if (attempt >= Math.min(retry.maxAttempts, ctx.maxAttempts ?? Infinity)) {
        throw new ConnectorUpstreamUnavailableError(`${what} failed after ${attempt} attempts (last: ${failed})`, {
          method: request.method,
          path: shownPath(request.url, request.serverMade),
          status,
          code,
          attempts: attempt,
        });
      }
      if (retryAfterMs !== undefined && retryAfterMs > retry.maxDelayMs) {
        // Asking again before the server said to is impolite and only spends attempts on more refusals: the
        // sync stops with its checkpoint, and the next run (or the job's retry) resumes from there.
        throw new ConnectorUpstreamUnavailableError(
          `${what} answered ${failed} with Retry-After ${Math.ceil(retryAfterMs / 1000)} s, longer than retry.maxDelayMs ` +
            `(${Math.ceil(retry.maxDelayMs / 1000)} s) allows a sync to wait: stopped without asking again early`,
          { method: request.method, path: shownPath(request.url, request.serverMade), status, attempts: attempt, retryAfterMs },
        );
      }
      const delayMs = retryDelayMs(attempt, retryAfterMs, retry, random);
      const event: ReaderEvent = { type: 'retry', attempt, delayMs };
      if (status !== undefined) event.status = status;
      if (code !== undefined) event.code = code;
      if (retryAfterMs !== undefined) event.retryAfterMs = retryAfterMs;
      ctx.onEvent?.(event);
      logger.warn(
        { method: request.method, url: describeUrl(request.url, this.options.shownParams, '…', request.serverMade), status, code, attempt, delayMs, retryAfterMs },
        'http request failed; retrying',
      );
      await abortableSleep(sleep, delayMs, ctx.signal);
    }
  }

  /** Closes the idle keep-alive sockets. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async attempt(request: HttpRequest, signal: AbortSignal | undefined): Promise<Attempt> {
    signal?.throwIfAborted();
    // axios' own `timeout` only watches socket inactivity; the abort timer bounds the whole attempt.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const t0 = performance.now();
    try {
      const response = await this.http.request<Readable>({
        method: request.method,
        url: request.url.href,
        headers: request.headers,
        data: request.body,
        signal: controller.signal,
        timeout: this.options.timeoutMs,
      });
      const stream = response.data;
      // The timer and the caller's signal bound the body's arrival too (a server trickling a byte a second).
      const stop = () => stream.destroy(new Error('aborted'));
      if (controller.signal.aborted) stop();
      else controller.signal.addEventListener('abort', stop, { once: true });
      // An answer that is no page (an error, a redirect) is read for its status and a few words at most: its first
      // bytes are kept and the rest dropped, so a 503 with a huge body is the 503 it is, retried as one, not a page
      // over the limit (QA re-check).
      const notAPage = response.status < 200 || response.status >= 300;
      const body = await readBody(stream, notAPage ? ERROR_BODY_BYTES : request.limit.maxBytes, notAPage);
      if (body === null) {
        throw new ConnectorMalformedResponseError(
          `${describeRequest(request.method, request.url, request.serverMade)} answered with more than ${request.limit.maxBytes} bytes, refused: ${request.limit.advice}`,
          { method: request.method, path: shownPath(request.url, request.serverMade), maxBytes: request.limit.maxBytes },
        );
      }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(response.headers as Record<string, unknown>)) {
        if (typeof v === 'string') headers[k.toLowerCase()] = v;
        else if (Array.isArray(v)) headers[k.toLowerCase()] = v.join(', ');
        else if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
      }
      return { response: responseOf(response.status, http.STATUS_CODES[response.status] ?? '', headers, body, performance.now() - t0) };
    } catch (err) {
      if (err instanceof ConnectorMalformedResponseError) throw err;
      if (signal?.aborted) throw signal.reason;
      if (timedOut) return { failure: 'TIMEOUT' };
      // The axios error is not passed on: its config holds the request headers, credentials included.
      if (isAxiosError(err)) return { failure: err.code === 'ECONNABORTED' ? 'TIMEOUT' : (err.code ?? 'NETWORK') };
      // The body's stream fails with the socket's or zlib's own error (a connection cut mid-body, a corrupt gzip).
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (err instanceof Error && typeof code === 'string') return { failure: code };
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** Most bytes of an answer that is not a page (not 2xx) kept: enough for any error document. */
const ERROR_BODY_BYTES = 64 * 1024;

/** Bodies are gathered in blocks of this size. */
const BODY_BLOCK_BYTES = 256 * 1024;

/**
 * The body's bytes (decompressed), or null as soon as they pass `maxBytes` (the rest is not read: the
 * connection is closed). Each chunk is copied into blocks as it comes: a body sent in chunked encoding as
 * hundreds of thousands of tiny chunks, held one Buffer each until its end (as axios does), took 120 MB of
 * heap and 370 MB of memory for 32 MB (QA, a page of 2 million small records).
 */
async function readBody(stream: Readable, maxBytes: number, keepFirst = false): Promise<Buffer | null> {
  const blocks: Buffer[] = [];
  let block = Buffer.allocUnsafe(BODY_BLOCK_BYTES);
  let used = 0;
  let total = 0;
  for await (let chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    let last = false;
    if (total > maxBytes) {
      stream.destroy();
      // `keepFirst`: the first `maxBytes` are the body, the rest is dropped.
      if (!keepFirst) return null;
      chunk = chunk.subarray(0, chunk.length - (total - maxBytes));
      last = true;
    }
    for (let from = 0; from < chunk.length; ) {
      if (used === block.length) {
        blocks.push(block);
        block = Buffer.allocUnsafe(BODY_BLOCK_BYTES);
        used = 0;
      }
      const n = chunk.copy(block, used, from);
      used += n;
      from += n;
    }
    if (last) break;
  }
  blocks.push(block.subarray(0, used));
  // One copy to the exact size: a small answer does not hold on to a whole block.
  return Buffer.concat(blocks, Math.min(total, maxBytes));
}

function responseOf(status: number, statusText: string, headers: Record<string, string | undefined>, body: Buffer, durationMs: number): HttpResponse {
  let text: string | undefined;
  return {
    status,
    statusText,
    headers,
    body,
    get text() {
      return (text ??= body.toString('utf8'));
    },
    durationMs,
  };
}

function failureText(code: string, url: URL): string {
  switch (code) {
    case 'TIMEOUT':
      return 'timed out';
    case 'ENOTFOUND':
      return `host ${url.hostname} not found (ENOTFOUND)`;
    case 'ECONNREFUSED':
      return `connection refused by ${url.host} (ECONNREFUSED)`;
    default:
      return `connection error (${code})`;
  }
}
