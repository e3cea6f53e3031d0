import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { AppError } from '../../errors/app-error.js';
import { ConfigError } from '../../errors/config-error.js';
import { loggedOutcome } from '../../observability/logger.js';
import { MissingSettingError, resolveSetting, SettingInvalidError, type Setting } from '../definition/env-ref.js';
import { findInvalidUtf8 } from '../file/encoding.js';
import { compilePath, firstMatch, type CompiledPath } from '../paths.js';
import type { CheckResult, ReadBatch, ReadContext, ReaderPosition, SourceReader } from '../types.js';
import type { HttpAuth } from './auth/http-auth.js';
import { createHttpAuth } from './auth/create-http-auth.js';
import { ConnectorMalformedResponseError } from './errors/connector-malformed-response-error.js';
import { ConnectorRequestRefusedError } from './errors/connector-request-refused-error.js';
import { isCredentialName, PAGE_BYTES_CEILING, urlCredentialProblems, type HttpConfig } from './http.schema.js';
import { highWaterOf, parseHttpPosition, type HttpNext, type HttpPosition } from './http-position.js';
import { parseJsonBytes } from './parse-json-bytes.js';
import { HttpTransport, type HttpRequest, type HttpResponse, type ResponseLimit, type SendContext } from './http-transport.js';
import { laterOf, lowerBound, parseInstant } from './incremental.js';
import { defaultedVariables, missingVariables } from '../definition/missing-variables.js';
import { PageRecords } from './page-records.js';
import { createPagination } from './pagination/create-pagination.js';
import type { PaginationStrategy } from './pagination/pagination-strategy.js';
import { NextLinkOriginError } from './pagination/resolve-next-url.js';
import { requestRefused } from './request-refusal.js';
import { describeUrl, shownPath } from './url-description.js';
import { shownParamsOf } from './shown-params.js';

export interface HttpReaderDeps {
  /** Where `{ env: NAME }` settings and secrets are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** The connector's name, in logs and messages. */
  name: string;
  /** Waits (backoffs, Retry-After, the request budget). @defaultValue setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Clock of Retry-After dates, token expiry and the request budget. @defaultValue () => new Date() */
  now?: () => Date;
  /** Jitter source, uniform in [0, 1). @defaultValue Math.random */
  random?: () => number;
}

/** The definition's settings with every `{ env }` resolved, and the credentials built. */
interface Resolved {
  /** baseUrl + request.path, with the fixed query parameters. */
  base: URL;
  headers: Record<string, string>;
  auth: HttpAuth;
}

/**
 * Reads a JSON API page by page (docs/connectors.md#kind-http): each page is one batch, and its position
 * resumes right after it. A run starts at the incremental lower bound (high-water − lookback) and
 * {@link complete} carries the greatest last-modified value seen to the next run.
 *
 * Settings and secrets are resolved on first use, not at construction, so that listing or validating
 * definitions never needs the credentials.
 */
export class HttpReader implements SourceReader {
  private readonly logger: Logger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => Date;
  private readonly transport: HttpTransport;
  private readonly pagination: PaginationStrategy;
  private readonly pageRecords: PageRecords;
  private readonly pageLimit: ResponseLimit;
  private readonly cursorField: CompiledPath | undefined;
  private readonly shownParams: Set<string>;
  private resolved: Resolved | null = null;

  constructor(
    private readonly config: HttpConfig,
    private readonly deps: HttpReaderDeps,
  ) {
    // The sync's reader factory may already have bound the name.
    this.logger = deps.logger.bindings()['connector'] === deps.name ? deps.logger : deps.logger.child({ connector: deps.name });
    this.env = deps.env ?? process.env;
    this.now = deps.now ?? (() => new Date());
    this.pagination = createPagination(config.pagination);
    this.pageRecords = new PageRecords(config.records, config.include, config.maxPageRecords);
    this.pageLimit = {
      maxBytes: config.maxPageBytes,
      advice:
        'ask for fewer records a page, with the pagination\'s size or the source\'s page-size parameter in request.params, ' +
        `or raise http.maxPageBytes, at most ${PAGE_BYTES_CEILING}`,
    };
    this.cursorField = config.incremental ? compilePath(config.incremental.cursorField) : undefined;
    this.shownParams = shownParamsOf(config);
    this.transport = new HttpTransport({
      timeoutMs: config.timeoutMs,
      retry: config.retry,
      requestsPerSecond: config.requestsPerSecond,
      sleep: deps.sleep,
      now: this.now,
      random: deps.random ?? Math.random,
      logger: this.logger,
      shownParams: this.shownParams,
    });
  }

  async *read(position: ReaderPosition | null, ctx: ReadContext): AsyncGenerator<ReadBatch> {
    const start = parseHttpPosition(position);
    const resolved = this.resolve();
    const resuming = start !== null && start.next !== null;
    // A position without a next request belongs to a finished run (completed or not): a new run begins.
    // Last-modified values after the run's cut-off (when its first page was read: `upTo`) are not taken for the
    // high-water mark. A record changed while the run paged may sit on a page read before (pages in id order):
    // a mark past its change would start the next run after it, and the change would never be read (QA). A
    // source's clock a day ahead, or one record dated 2099, would set the next run's lower bound past
    // everything to come. Such records are read again by later runs, unchanged, until their time; the second
    // kind, beyond FUTURE_TOLERANCE_MS, is warned of.
    const startedMs = this.now().getTime();
    const storedHighWater = start?.highWater ?? null;
    // A mark already in the future (stored by an earlier version, or a clock since put right) would keep
    // every run reading nothing new: it is dropped, and this run reads from the beginning.
    const futureMark = !resuming && isFutureMark(storedHighWater, startedMs);
    if (futureMark) {
      this.logger.warn(
        { cursorField: this.config.incremental?.cursorField, highWater: storedHighWater },
        'the stored high-water mark is in the future: it is dropped, and this run reads from the beginning',
      );
    }
    const since = resuming ? start.since : this.lowerBound(futureMark ? null : storedHighWater);
    let highWater = futureMark ? null : storedHighWater;
    let highWaterMs = futureMark ? -Infinity : (parseInstant(storedHighWater)?.ms ?? -Infinity);
    let unreadableCursors = 0;
    let missingCursors = 0;
    let futureCursors = 0;
    /** Records changed while this run paged (see {@link HttpPosition.upTo}): left out of the mark. */
    let changedDuringRun = 0;
    // The run's cut-off: kept by a resumed run; else set by the first page's answer. A checkpoint from before it
    // was kept has none: its lower bound is a safe one (the run began after it).
    let upToMs: number | null = resuming
      ? (parseInstant(start.upTo ?? null)?.ms ?? parseInstant(start.since)?.ms ?? startedMs)
      : null;
    /** The page before, when the strategy numbers its pages: whether it was short, and its first and last records. */
    let previousPage = null as { short: boolean; signature: string } | null;
    let page = resuming ? start.page : 0;
    let next: HttpNext | null = resuming ? start.next : { params: this.pagination.first() };
    let batches = 0;
    let records = 0;
    /** Every page this run has read, as {@link requestKey}: a next page among them is a loop. */
    const requested = new Set<string>();
    let shortPagesTold = false;
    let unattachedTold = false;
    /** Empty pages read in a row, each giving a next cursor or link (see EMPTY_PAGES_FOLLOWED). */
    let emptyInARow = 0;
    const t0 = performance.now();
    this.logger.info({ resumeAtPage: resuming ? page + 1 : undefined, incremental: since !== null }, 'http read started');

    const request = (n: HttpNext, p: number) => {
      const url = this.urlOf(n, since, resolved);
      const what = `GET ${pathOf(url, resolved)} (page ${p})`;
      const response = this.get(url, resolved, ctx, { page: p, link: 'url' in n });
      // Awaited when its turn comes: a failure meanwhile is not an unhandled rejection.
      response.catch(() => undefined);
      return { url, what, response };
    };
    let inFlight = next !== null && (ctx.maxBatches === undefined || ctx.maxBatches > 0) ? request(next, page + 1) : null;
    /** Whether the request in flight is the checkpoint's next page, asked for again after the run stopped. */
    let resumedPage = resuming;
    while (next !== null && inFlight !== null) {
      ctx.signal?.throwIfAborted();
      page++;
      const { url, what } = inFlight;
      let response: HttpResponse;
      try {
        response = await inFlight.response;
      } catch (error) {
        if (!resumedPage || !(error instanceof ConnectorRequestRefusedError) || !EXPIRED_PAGE_STATUSES.has(Number(error.details?.['status']))) throw error;
        // The page a server's link or cursor named is gone: a search kept for an hour (HAPI FHIR answers 410),
        // a cursor with a lifetime (400 INVALID_CURSOR). Failing every later run on it left the connector
        // failing until a forced read (QA). The read starts again from its first page over the same window;
        // the records stored from the pages before are read again and skipped as unchanged.
        this.logger.warn(
          { page, status: error.details?.['status'] },
          "the checkpoint's next page was refused (the server's page link or cursor has expired): the read starts again from its first page",
        );
        resumedPage = false;
        page = 0;
        next = { params: this.pagination.first() };
        requested.clear();
        previousPage = null;
        emptyInARow = 0;
        inFlight = request(next, 1);
        continue;
      }
      resumedPage = false;
      inFlight = null;
      // The source's clock when it answered, less the time the answer took and the header's second: no later
      // than when the page was read (QA: a mark past it lost the changes made meanwhile to pages read before).
      // Our own clock less a second too: a source stamping to the second stamps a change made after the run started
      // with the second it started in, which an exclusive bound (`gt`) on a mark of that second never asks for again.
      if (upToMs === null) upToMs = Math.min(startedMs, Date.parse(response.headers['date'] ?? '') - response.durationMs || Infinity) - 1000;
      const sources = new WeakMap<object, Buffer>();
      const tooDeep = new WeakSet<object>();
      const body = await parseBody(response, what, sources, tooDeep);
      const content = this.pageRecords.extract(body, page, what, sources, tooDeep);
      if (content.unattached && !unattachedTold) {
        // Every record's list stays empty, and what a record held from an earlier read is replaced by nothing.
        unattachedTold = true;
        this.logger.warn(
          { page, unattached: content.unattached },
          'related records of the page attach to no record of it: check the include\'s key and equals (match: reference compares FHIR references, absolute or versioned)',
        );
      }

      if (this.cursorField) {
        for (const record of content.objects) {
          const value = firstMatch(this.cursorField, record);
          if (value === undefined || value === null) {
            missingCursors++;
            continue;
          }
          const instant = parseInstant(value);
          if (!instant) {
            unreadableCursors++;
            continue;
          }
          if (instant.ms > upToMs) {
            if (instant.ms > startedMs + FUTURE_TOLERANCE_MS) futureCursors++;
            else changedDuringRun++;
            continue;
          }
          if (instant.ms > highWaterMs) {
            highWaterMs = instant.ms;
            highWater = value as string;
          }
        }
      }

      requested.add(requestKey(url, resolved));
      const entries = content.records.length + content.rejects.length;
      if (this.pagination.pageSize !== undefined && entries > 0) {
        const signature = pageSignature(content.objects, entries);
        if (previousPage?.signature === signature) {
          // The same records as the page before: the server serves its last page again past the end, or
          // ignores the page parameter. Past a short page, that is the end; past a full one, records may be
          // missing, and saying so beats a sync that reads forever or ends as if it had read everything.
          if (!previousPage.short) {
            throw new ConnectorMalformedResponseError(
              `${what}: the server sent the same records as for page ${page - 1}, a full page: it seems to ignore the pagination parameters (${this.pagination.shownParams.join(', ')})`,
              { path: pathOf(url, resolved) },
            );
          }
          this.logger.info({ page }, 'http page repeats the short page before it: the server serves its last page past the end; read stopped');
          const end: ReadBatch = { records: [], position: { since, next: null, highWater, page, upTo: isoOf(upToMs) } satisfies HttpPosition, location: `page ${page}` };
          batches++;
          yield end;
          next = null;
          break;
        }
        const short = entries < this.pagination.pageSize;
        if (previousPage?.short && !shortPagesTold) {
          shortPagesTold = true;
          this.logger.warn(
            { page: page - 1, pageSize: this.pagination.pageSize },
            'the server sent fewer records than the page size asked on a page that was not its last: its own maximum is lower (a smaller page size in the definition saves requests)',
          );
        }
        previousPage = { short, signature };
      }
      let following: HttpNext | null = null;
      // An empty page ends a read by page or offset: that is how those tell the end. With a cursor or a link, the
      // server says whether there is more: an empty page that gives one is followed (QA: one empty page in the
      // middle ended the read as complete, and a full read then marked the records never read absent), but only
      // EMPTY_PAGES_FOLLOWED in a row, and not back to a page read: a server handing out cursors to nothing past
      // its end cannot keep a sync busy forever, nor fail it.
      const followEmpty = entries === 0 && this.pagination.pageSize === undefined;
      if (entries > 0 || followEmpty) {
        try {
          following = this.pagination.next({
            body,
            linkHeader: response.headers['link'],
            recordCount: entries,
            url,
            params: 'params' in next ? next.params : null,
          });
        } catch (error) {
          if (!(error instanceof NextLinkOriginError)) throw error;
          // The server names itself otherwise (a proxy's host): the base URL is to correct, which no retry does (QA).
          throw new SettingInvalidError(
            `connector ${this.deps.name}: http.baseUrl`,
            this.config.baseUrl,
            (variable) =>
              `is at ${error.configured}, but the server's next-page links, in ${error.where}, point to ${error.linked}; ` +
              `credentials are only sent to the configured origin, so set baseUrl${variable ? ` (the environment variable ${variable})` : ''} to that address only if it is this API's own, ` +
              'as behind a proxy, else report the links to the source\'s owners',
          );
        }
      }
      if (following && entries > 0) following = this.checkAdvances(following, requested, since, resolved, what);
      else if (following) {
        // An empty page's cursor or link. To the page itself: the server's way of saying "nothing more" perhaps,
        // but not known to be the end. Past EMPTY_PAGES_FOLLOWED empty pages: still more on offer. Either way the
        // read stops, not whole (QA: it marked records absent). Back to an earlier page: a cycle, as with records.
        const itself = requestKey(this.urlOf(this.withoutKeyParam(following, resolved), since, resolved), resolved) === requestKey(url, resolved);
        if (!itself) following = this.checkAdvances(following, requested, since, resolved, what);
        if (itself || emptyInARow >= EMPTY_PAGES_FOLLOWED) {
          this.logger.warn(
            { page, emptyPages: emptyInARow + 1 },
            'http read stopped: an empty page giving a next cursor or link that is the page itself, or too many in a row; records gone from the source are not looked for in this read',
          );
          ctx.onEvent?.({ type: 'read-cut-short', reason: 'EMPTY_PAGES' });
          following = null;
        }
      }
      emptyInARow = entries === 0 ? emptyInARow + 1 : 0;

      const batch: ReadBatch = {
        records: content.records,
        position: { since, next: following, highWater, page, upTo: isoOf(upToMs) } satisfies HttpPosition,
        location: `page ${page}`,
      };
      if (content.rejects.length > 0) batch.rejects = content.rejects;
      records += content.records.length;
      batches++;
      this.logger.debug({ page, records: content.records.length, rejects: content.rejects.length, status: response.status }, 'http page read');
      // The next page is asked for before this one is handed over: its request is in flight while the sync
      // stores this one, instead of starting when the sync comes back for more.
      if (following !== null && (ctx.maxBatches === undefined || batches < ctx.maxBatches)) inFlight = request(following, page + 1);
      yield batch;
      next = following;
    }

    if (unreadableCursors > 0) {
      this.logger.warn(
        { cursorField: this.config.incremental?.cursorField, count: unreadableCursors },
        'records whose last-modified value is not a date were left out of the high-water mark',
      );
    }
    if (changedDuringRun > 0) {
      this.logger.info(
        { cursorField: this.config.incremental?.cursorField, count: changedDuringRun, upTo: isoOf(upToMs) },
        'records changed while this run read were left out of the high-water mark: the next run reads them again',
      );
    }
    if (futureCursors > 0) {
      this.logger.warn(
        { cursorField: this.config.incremental?.cursorField, count: futureCursors },
        'records whose last-modified value is later than the start of this run were left out of the high-water mark (the source clock, or the records, are wrong); later runs read them again until their time has come',
      );
    }
    if (this.cursorField && missingCursors > 0 && missingCursors === records) {
      this.logger.warn(
        { cursorField: this.config.incremental?.cursorField, records },
        'no record read had a value at incremental.cursorField: there is no high-water mark, and every run reads everything (check the field name)',
      );
    }
    this.logger.info(
      { pages: batches, records, durationMs: Math.round(performance.now() - t0), finished: next === null },
      'http read stopped',
    );
  }

  complete(last: ReaderPosition | null, previous: ReaderPosition | null): ReaderPosition {
    // A previous mark in the future was dropped by the run (see `read`): it must not win over the run's own.
    const previousMark = highWaterOf(previous);
    return { highWater: laterOf(isFutureMark(previousMark, this.now().getTime()) ? null : previousMark, highWaterOf(last)) };
  }

  async check(readCtx: ReadContext): Promise<CheckResult> {
    // Someone waits for a check: a source that does not answer is said after two attempts, not the sync's
    // retries (QA: a hanging token endpoint kept `connectors check` busy for 3.5 minutes).
    const ctx = { ...readCtx, maxAttempts: CHECK_ATTEMPTS };
    const steps: CheckResult['steps'] = [];
    const missing = missingVariables(this.config, this.env);
    if (missing.length > 0) {
      steps.push({ step: 'settings and secrets', ok: false, detail: `environment variables not set: ${missing.join(', ')}` });
      return { ok: false, steps };
    }
    let resolved: Resolved;
    try {
      resolved = this.resolve();
      const defaulted = defaultedVariables(this.config, this.env);
      steps.push(defaulted.length
        ? { step: 'settings and secrets', ok: true, detail: `not set, so the definition's default is used: ${defaulted.map((d) => `${d.variable} (${d.value})`).join(', ')}` }
        : { step: 'settings and secrets', ok: true });
    } catch (err) {
      steps.push({ step: 'settings and secrets', ok: false, detail: safeMessage(err) });
      return { ok: false, steps };
    }
    if (this.config.auth?.type === 'oauth2ClientCredentials') {
      try {
        await resolved.auth.prepare(ctx);
        steps.push({ step: 'OAuth2 token', ok: true });
      } catch (err) {
        this.logCheckFailure(err, 'check: no OAuth2 token');
        steps.push({ step: 'OAuth2 token', ok: false, detail: safeMessage(err) });
        return { ok: false, steps };
      }
    }
    try {
      const url = this.urlOf({ params: this.pagination.first() }, null, resolved);
      const what = `GET ${pathOf(url, resolved)} (page 1)`;
      const response = await this.get(url, resolved, ctx);
      const content = this.pageRecords.extract(await parseBody(response, what), 1, what);
      const sampleCount = content.records.length;
      const rejected = content.rejects.length ? `, ${content.rejects.length} entries that are not records` : '';
      steps.push({ step: 'first page', ok: true, detail: `HTTP ${response.status}, ${sampleCount} records${rejected}` });
      return { ok: true, steps, sampleCount };
    } catch (err) {
      this.logCheckFailure(err, 'check: first page failed');
      steps.push({ step: 'first page', ok: false, detail: safeMessage(err) });
      return { ok: false, steps };
    }
  }

  /**
   * A failed check step is shown to the engineer with its message (the step's detail): the hub's own errors
   * need no more than a debug line; anything else is logged with its stack, since the detail says only
   * "unexpected error".
   */
  private logCheckFailure(err: unknown, msg: string): void {
    if (safeMessage(err) === UNEXPECTED) this.logger.warn({ err }, msg);
    else this.logger.debug({ err: loggedOutcome(err) }, msg);
  }

  settings(): void {
    this.resolve();
  }

  /** Closes idle keep-alive connections (the process can exit without it; tests and one-off checks use it). */
  close(): void {
    this.transport.close();
  }

  private resolve(): Resolved {
    if (this.resolved) return this.resolved;
    try {
      this.resolved = this.resolveNow();
    } catch (err) {
      throw err instanceof MissingSettingError ? err.withOthers(missingVariables(this.config, this.env)) : err;
    }
    return this.resolved;
  }

  private resolveNow(): Resolved {
    const { name } = this.deps;
    const where = (field: string) => `connector ${name}: http.${field}`;
    const baseText = resolveSetting(this.config.baseUrl, where('baseUrl'), this.env);
    const base = joinUrl(baseText, this.config.request.path, where('baseUrl'), this.config.baseUrl);
    for (const [k, v] of Object.entries(this.config.request.params)) {
      // A parameter or header named as a credential takes only a secret (http.schema.ts): missing, it is one.
      const value = typeof v === 'object' ? resolveSetting(v, where(`request.params.${k}`), this.env, { secret: isCredentialName(k) }) : String(v);
      base.searchParams.append(k, value);
    }
    const headers: Record<string, string> = { Accept: 'application/json' };
    for (const [k, v] of Object.entries(this.config.request.headers)) {
      headers[k] = typeof v === 'object' ? resolveSetting(v, where(`request.headers.${k}`), this.env, { secret: isCredentialName(k) }) : String(v);
    }
    const auth = createHttpAuth(this.config.auth, { env: this.env, transport: this.transport, now: this.now, logger: this.logger, name });
    return { base, headers, auth };
  }

  private lowerBound(highWater: string | null): string | null {
    const inc = this.config.incremental;
    return inc ? lowerBound(highWater, inc.lookback, inc.format) : null;
  }

  /** The URL of a request: the run's base request and pagination parameters, or a server-given link. */
  private urlOf(next: HttpNext, since: string | null, resolved: Resolved): URL {
    if ('url' in next) return new URL(next.url);
    const url = new URL(resolved.base);
    if (since !== null && this.config.incremental) url.searchParams.set(this.config.incremental.param, since);
    for (const [k, v] of Object.entries(next.params)) url.searchParams.set(k, v);
    return url;
  }

  /**
   * The next request as it will be stored (a server-given link loses the API key it may echo: positions are
   * stored, and the key is added again on sending), once it is known not to lead back to a page this run has
   * read already: a cursor or link that does not advance, or that cycles (A → B → A), would keep a sync
   * reading forever (holding the connector's lock). Pages are compared as their URLs without the API key
   * and with sorted parameters; a server that serves a page again behind a new cursor (a stale cache) is
   * not a loop.
   */
  /** `following` without the API key a source may echo in its links (the key is added to every request). */
  private withoutKeyParam(following: HttpNext, resolved: Resolved): HttpNext {
    const keyParam = resolved.auth.queryParam;
    if (!('url' in following) || keyParam === undefined) return following;
    const u = new URL(following.url);
    u.searchParams.delete(keyParam);
    return { url: u.href };
  }

  private checkAdvances(following: HttpNext, requested: ReadonlySet<string>, since: string | null, resolved: Resolved, what: string): HttpNext {
    following = this.withoutKeyParam(following, resolved);
    const nextUrl = this.urlOf(following, since, resolved);
    if (requested.has(requestKey(nextUrl, resolved))) {
      throw new ConnectorMalformedResponseError(
        `${what}: the next page given is one this run has read already (the cursor or link does not advance, or leads back)`,
        { path: pathOf(nextUrl, resolved) },
      );
    }
    return following;
  }

  /**
   * GET with credentials; a 401 with refreshable credentials refreshes them once before failing. `at`: the page of a
   * read, and whether its address is a link the source gave (a refusal then says so: QA, a 404 on page 2 said to check
   * the definition, which did not make that address).
   */
  private async get(url: URL, resolved: Resolved, ctx: SendContext, at?: { page: number; link: boolean }): Promise<HttpResponse> {
    // A link the source gave with a path the definition does not name: its path is withheld from logs and errors.
    const serverMade = isServerMade(url, resolved);
    const plain: HttpRequest = { method: 'GET', url, headers: resolved.headers, limit: this.pageLimit, serverMade };
    let refreshed = false;
    for (;;) {
      const request = await resolved.auth.authorize(plain, ctx);
      const response = await this.transport.send(request, ctx);
      if (response.status >= 200 && response.status < 300) return response;
      if (response.status === 401 && !refreshed && (await resolved.auth.refreshAfterUnauthorized(ctx))) {
        refreshed = true;
        this.logger.info({ url: describeUrl(url, this.shownParams, '…', serverMade) }, 'http 401: credentials refreshed, trying once more');
        continue;
      }
      const hint =
        response.status === 401 || response.status === 403
          ? resolved.auth.hint
          : at?.link
            ? 'its address is the link the source gave on the page before, not one the definition makes: report the refusal to the source\'s owners'
            : at && at.page > 1
              ? 'check the request path and parameters of the definition (the first page was accepted: the source may refuse the paging parameters it gave)'
              : 'check the request path and parameters of the definition';
      throw requestRefused(plain, response, hint, at?.page);
    }
  }
}

/** Whether `url` is a link the source gave with a path the definition does not name (its path is then withheld). */
function isServerMade(url: URL, resolved: Resolved): boolean {
  return url.pathname !== resolved.base.pathname;
}

/** A request's path as messages and error details show it: a server-made link's withheld ({@link shownPath}). */
function pathOf(url: URL, resolved: Resolved): string {
  return shownPath(url, isServerMade(url, resolved));
}

/** `http://host/fhir` + `/Patient?x=1` → `http://host/fhir/Patient?x=1` (the base's own path and query are kept). */
function joinUrl(baseText: string, path: string, where: string, setting: Setting): URL {
  let base: URL;
  try {
    base = new URL(baseText);
  } catch {
    throw new SettingInvalidError(where, setting, 'is not an absolute URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new SettingInvalidError(where, setting, 'must be an http or https URL');
  // As the definition's own text is checked: a value from the environment may carry them too.
  // Every one at once (QA: a session id was told, and the access token beside it only once that was removed).
  const credentials = urlCredentialProblems(baseText);
  if (credentials.length) throw new SettingInvalidError(where, setting, credentials.join('; '));
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  base.pathname = base.pathname.replace(/\/+$/, '') + (p.startsWith('/') ? p : `/${p}`);
  if (q >= 0) for (const [k, v] of new URLSearchParams(path.slice(q + 1))) base.searchParams.append(k, v);
  return base;
}

/** Parses a page once. The parser's own message is not used: V8 quotes the start of the body in it. */
async function parseBody(response: HttpResponse, what: string, sources?: WeakMap<object, Buffer>, tooDeep?: WeakSet<object>): Promise<unknown> {
  // JSON is UTF-8 (RFC 8259 §8.1). Bytes that are not would be decoded as replacement characters and a name
  // stored altered without a word (QA); a page is refused whole, as a file in a bad encoding is.
  if (!isUtf8(response.body)) {
    const byteOffset = findInvalidUtf8(response.body, 0, true);
    throw new ConnectorMalformedResponseError(
      `${what} answered HTTP ${response.status} with a body that is not valid UTF-8 at byte ${byteOffset}, refused: JSON is UTF-8; report it to the source's owners`,
      { status: response.status, byteOffset },
    );
  }
  try {
    return await parseJsonBytes(response.body, sources, tooDeep);
  } catch {
    // Named in the message only when it is a media type: the header is the server's free text.
    const declared = response.headers['content-type']?.split(';')[0]?.trim();
    const type = declared !== undefined && /^[\w.+-]{1,64}\/[\w.+-]{1,64}$/.test(declared) ? declared : undefined;
    throw new ConnectorMalformedResponseError(`${what} answered HTTP ${response.status} with a body that is not JSON${type ? ` (${type})` : ''}`, {
      status: response.status,
      contentType: type,
    });
  }
}

/** Messages of the hub's own errors are written to be shown; anything else may quote data. */
function safeMessage(err: unknown): string {
  if (err instanceof AppError || err instanceof MissingSettingError || err instanceof ConfigError) return err.message;
  return UNEXPECTED;
}

const UNEXPECTED = 'unexpected error (see the logs)';

/**
 * How many records a page has and which ones begin and end it: two pages alike in all three are taken for
 * the same page served again. (A page whose first and last records are not objects is told by its count.)
 */
function pageSignature(objects: ReadonlyArray<Record<string, unknown>>, entries: number): string {
  return `${entries}\u0000${JSON.stringify(objects[0] ?? null)}\u0000${JSON.stringify(objects[objects.length - 1] ?? null)}`;
}

/** A last-modified value up to this far ahead of the hub's clock is taken as the source's clock running a little fast. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** Empty pages in a row whose cursor or link a read follows; one more, and the read stops there. */
const EMPTY_PAGES_FOLLOWED = 3;
/** Attempts of each request a check makes (see {@link HttpReader.check}). */
const CHECK_ATTEMPTS = 2;
/**
 * Answers to a checkpoint's next page that say its link or cursor is no longer valid (gone, not found, or
 * refused as a bad request): the read starts again from its first page instead of failing.
 */
const EXPIRED_PAGE_STATUSES: ReadonlySet<number> = new Set([400, 404, 410, 422]);

/** Whether a stored high-water mark lies beyond what a source's fast clock explains (see {@link FUTURE_TOLERANCE_MS}). */
/** An instant as stored in a checkpoint; null for none. */
function isoOf(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function isFutureMark(mark: string | null, nowMs: number): boolean {
  const ms = parseInstant(mark)?.ms;
  return ms !== undefined && ms > nowMs + FUTURE_TOLERANCE_MS;
}

/** A page's request as compared for loops: its URL without the API key parameter, parameters sorted. */
function requestKey(url: URL, resolved: Resolved): string {
  const c = new URL(url);
  const keyParam = resolved.auth.queryParam;
  if (keyParam !== undefined) c.searchParams.delete(keyParam);
  c.searchParams.sort();
  return c.href;
}
