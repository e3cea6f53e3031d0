import type { Logger } from 'pino';
import { z } from 'zod';
import { ConnectorMalformedResponseError } from '../errors/connector-malformed-response-error.js';
import type { HttpRequest, HttpTransport, ResponseLimit, SendContext } from '../http-transport.js';
import { requestRefused } from '../request-refusal.js';
import type { HttpAuth } from './http-auth.js';
import { basicCredentials } from './static-auth.js';

export interface OAuth2ClientCredentialsOptions {
  tokenUrl: URL;
  clientId: string;
  clientSecret: string;
  scope?: string | undefined;
  audience?: string | undefined;
  /** `basic`: HTTP Basic to the token endpoint (RFC 6749 §2.3.1); `body`: client_id/client_secret in the form. */
  clientAuthentication: 'basic' | 'body';
  transport: HttpTransport;
  now: () => Date;
  logger: Logger;
  /** What to check when the client is refused (400, 401, 403 from the token endpoint, or a 401 later). */
  hint: string;
  /** What to check when the token endpoint answers anything else (a 404: the address is wrong). */
  tokenUrlHint: string;
}

/** How long before `expires_in` a token is replaced, so that no request goes out with one about to expire. */
const REFRESH_MARGIN_MS = 30_000;

/**
 * A token response is a few hundred bytes (a JWT with many claims a few KB): anything near this is not one, and
 * is not held in memory on the way to finding out (QA: a 200 MB answer was read whole).
 */
const TOKEN_RESPONSE_LIMIT: ResponseLimit = {
  maxBytes: 256 * 1024,
  advice: 'that is no token response; check the token URL',
};

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
});

/**
 * OAuth 2.0 client-credentials grant (RFC 6749 §4.4). The token is cached until 30 s before it expires
 * (half its life when it lives less than a minute; until a 401 when the server gives no `expires_in`);
 * concurrent callers share one token request.
 */
export class OAuth2ClientCredentials implements HttpAuth {
  readonly queryParam = undefined;
  readonly hint: string;
  private token: { value: string; refreshAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(private readonly options: OAuth2ClientCredentialsOptions) {
    this.hint = options.hint;
  }

  async authorize(request: HttpRequest, ctx: SendContext): Promise<HttpRequest> {
    const token = await this.current(ctx);
    return { ...request, headers: { ...request.headers, Authorization: `Bearer ${token}` } };
  }

  async refreshAfterUnauthorized(ctx: SendContext): Promise<boolean> {
    this.token = null;
    await this.fetch(ctx);
    return true;
  }

  async prepare(ctx: SendContext): Promise<void> {
    await this.current(ctx);
  }

  private async current(ctx: SendContext): Promise<string> {
    if (this.token && this.options.now().getTime() < this.token.refreshAt) return this.token.value;
    return this.fetch(ctx);
  }

  private fetch(ctx: SendContext): Promise<string> {
    this.pending ??= this.requestToken(ctx).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async requestToken(ctx: SendContext): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope, audience, clientAuthentication, transport, now, logger } = this.options;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    if (audience) form.set('audience', audience);
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    };
    if (clientAuthentication === 'basic') {
      // RFC 6749 §2.3.1: each part form-urlencoded before Basic encoding.
      headers['Authorization'] = basicCredentials(formEncode(clientId), formEncode(clientSecret));
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    const request: HttpRequest = { method: 'POST', url: tokenUrl, headers, body: form.toString(), limit: TOKEN_RESPONSE_LIMIT };
    const response = await transport.send(request, ctx);
    if (response.status < 200 || response.status >= 300) {
      // RFC 6749 §5.2: a refused client gets 400 (invalid_client, invalid_scope…) or 401; a 403 from a
      // gateway in front is the same story. Anything else (404, 405) means the address is not a token endpoint.
      const refusedClient = response.status === 400 || response.status === 401 || response.status === 403;
      throw requestRefused(request, response, refusedClient ? this.hint : this.options.tokenUrlHint);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      throw new ConnectorMalformedResponseError(`The OAuth2 token response of POST ${tokenUrl.pathname} is not JSON`, {
        path: tokenUrl.pathname,
      });
    }
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new ConnectorMalformedResponseError(`The OAuth2 token response of POST ${tokenUrl.pathname} has no usable access_token`, {
        path: tokenUrl.pathname,
      });
    }
    const { access_token: value, expires_in: expiresIn } = parsed.data;
    const lifetimeMs = expiresIn === undefined ? Infinity : expiresIn * 1000;
    const refreshAt = now().getTime() + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
    this.token = { value, refreshAt };
    ctx.onEvent?.({ type: 'token-refreshed' });
    logger.info({ tokenPath: tokenUrl.pathname, expiresInS: expiresIn }, 'OAuth2 token obtained');
    return value;
  }
}

function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+');
}
