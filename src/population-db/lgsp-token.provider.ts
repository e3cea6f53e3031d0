import { isAxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import { z } from 'zod';
import { LGSP_ERROR_CODE } from './lgsp.protocol.js';
import { LgspTokenError } from './lgsp-token.error.js';
import { parseRetryAfter } from './registry-format.js';

/** Options of {@link LgspTokenProvider}. */
export interface LgspTokenProviderOptions {
  /** OAuth 2.0 token endpoint of the platform (`POPULATION_DB_TOKEN_URL`). */
  tokenUrl: string;
  /** Client id issued by the platform (`POPULATION_DB_CLIENT_ID`). */
  clientId: string;
  /** Client secret (`POPULATION_DB_CLIENT_SECRET`); sent only to the token endpoint. */
  clientSecret: string;
  /** Space-separated scopes to ask for (`POPULATION_DB_TOKEN_SCOPE`). @defaultValue none (the platform's default) */
  scope?: string;
  /** Whole-request timeout in ms. */
  timeoutMs: number;
  http: AxiosInstance;
  now: () => Date;
}

/** A token without `expires_in` is taken to live this long (RFC 6749 only recommends the field). */
const DEFAULT_LIFETIME_MS = 5 * 60_000;
/** A token is renewed this long before it expires (at most half its life), so no call leaves with a dying one. */
const RENEW_BEFORE_MS = 60_000;

const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().refine((t) => t.toLowerCase() === 'bearer', 'expected a bearer token'),
  expires_in: z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), z.number().positive()).optional(),
});

/**
 * Bearer tokens for the LGSP platform (OAuth 2.0 client credentials, client authenticated with HTTP
 * Basic as RFC 6749 §2.3.1 prefers): one token is shared by every call of the process and renewed shortly
 * before it expires; concurrent callers that find none wait for the same request instead of each asking.
 * A call the platform answers 401 drops the token ({@link invalidate}), and the next caller gets a new one.
 */
export class LgspTokenProvider {
  private cached: { token: string; renewAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(private readonly options: LgspTokenProviderOptions) {}

  /** A token valid for a while yet. @throws LgspTokenError */
  async token(): Promise<string> {
    if (this.cached && this.options.now().getTime() < this.cached.renewAt) return this.cached.token;
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Forgets `token` (the platform refused it), unless a newer one replaced it meanwhile. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = null;
  }

  private async fetch(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope, timeoutMs, http } = this.options;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`, 'utf8').toString('base64');
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    let response: AxiosResponse<unknown>;
    try {
      response = await http.post<unknown>(tokenUrl, form.toString(), {
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        timeout: timeoutMs,
        signal: controller.signal,
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
        // A redirect would carry the client secret elsewhere.
        maxRedirects: 0,
        maxContentLength: 64 * 1024,
      });
    } catch (err) {
      // The axios error is not attached: it carries the request, client secret included.
      const code = isAxiosError(err) ? err.code : undefined;
      if (timedOut || code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
        throw new LgspTokenError(`LGSP token endpoint did not answer within ${timeoutMs} ms`, 'TIMEOUT', null);
      }
      throw new LgspTokenError(`LGSP token endpoint unreachable${code ? ` (${code})` : ''}`, 'NETWORK', null);
    } finally {
      clearTimeout(timer);
    }

    const { status } = response;
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.options.now());
      throw new LgspTokenError(`LGSP token endpoint rate limit hit; retry after ${retryAfterMs} ms`, 'RATE_LIMITED', status, { retryAfterMs });
    }
    if (status >= 500) throw new LgspTokenError(`LGSP token endpoint answered HTTP ${status}`, 'HTTP_5XX', status);
    const body = parseJson(response.data);
    if (status < 200 || status >= 300) {
      const oauthError = oauthErrorOf(body);
      throw new LgspTokenError(
        `LGSP token endpoint refused the client credentials with HTTP ${status}${oauthError ? ` (${oauthError})` : ''} ` +
          '(configuration error: check POPULATION_DB_CLIENT_ID, POPULATION_DB_CLIENT_SECRET, POPULATION_DB_TOKEN_SCOPE)',
        'REFUSED',
        status,
        oauthError ? { oauthError } : {},
      );
    }
    const parsed = tokenSchema.safeParse(body);
    if (!parsed.success) {
      const paths = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))];
      throw new LgspTokenError(`LGSP token endpoint sent an unusable answer (${paths.join(', ')})`, 'MALFORMED', status);
    }
    const lifetimeMs = parsed.data.expires_in !== undefined ? parsed.data.expires_in * 1000 : DEFAULT_LIFETIME_MS;
    const renewAt = this.options.now().getTime() + lifetimeMs - Math.min(RENEW_BEFORE_MS, lifetimeMs / 2);
    this.cached = { token: parsed.data.access_token, renewAt };
    return parsed.data.access_token;
  }
}

function parseJson(data: unknown): unknown {
  if (typeof data !== 'string' || data.trim() === '') return undefined;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

/** RFC 6749 §5.2 `error`, when it is a plain code. */
function oauthErrorOf(body: unknown): string | undefined {
  const error = body && typeof body === 'object' ? (body as Record<string, unknown>)['error'] : undefined;
  return typeof error === 'string' && LGSP_ERROR_CODE.test(error) ? error : undefined;
}
