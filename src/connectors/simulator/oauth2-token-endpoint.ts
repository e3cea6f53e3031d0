/**
 * An OAuth 2.0 token endpoint for the client-credentials grant (RFC 6749 §4.4), as agency API gateways
 * offer it: `POST` form-encoded `grant_type=client_credentials` with the client authenticated by HTTP Basic
 * (§2.3.1) or by `client_id`/`client_secret` in the body; answers `{ access_token, token_type: "Bearer",
 * expires_in, scope }`. Tokens are opaque random strings remembered until they expire; a short lifetime lets
 * tests exercise the client's refresh.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface OAuth2TokenEndpointOptions {
  clientId: string;
  clientSecret: string;
  /** Lifetime of an issued token, in seconds. @defaultValue 3600 */
  ttlSeconds?: number;
  /** Scope granted when the client asks for none. @defaultValue '' */
  defaultScope?: string;
  /** The clock (tests move it). @defaultValue Date.now */
  now?: () => number;
}

/** The answer to a token request: status, JSON body and headers. */
export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export type BearerCheck = { ok: true } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `application/x-www-form-urlencoded` decoding of one component; a broken escape is kept as written. */
function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export class OAuth2TokenEndpoint {
  private readonly tokens = new Map<string, number>();
  private readonly now: () => number;
  private readonly ttlSeconds: number;
  issued = 0;
  refused = 0;

  constructor(private readonly options: OAuth2TokenEndpointOptions) {
    this.now = options.now ?? Date.now;
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    if (!(this.ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive');
  }

  /** Answers a token request given its `Content-Type`, `Authorization` header and raw body. */
  token(contentType: string | undefined, authorization: string | undefined, body: string): TokenResponse {
    const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };
    const fail = (status: number, error: string, description: string, extra: Record<string, string> = {}): TokenResponse => {
      this.refused++;
      return { status, body: { error, error_description: description }, headers: { ...noStore, ...extra } };
    };
    if (!(contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return fail(400, 'invalid_request', 'The token request must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(body);
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    let usedBasic = false;
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return fail(401, 'invalid_client', 'Malformed Basic credentials', { 'www-authenticate': 'Basic realm="oauth"' });
      // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Basic encoding.
      clientId = formDecode(decoded.slice(0, colon));
      clientSecret = formDecode(decoded.slice(colon + 1));
      usedBasic = true;
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return fail(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
    }
    if (clientId === null || clientSecret === null || !same(clientId, this.options.clientId) || !same(clientSecret, this.options.clientSecret)) {
      return fail(401, 'invalid_client', 'Client authentication failed', usedBasic ? { 'www-authenticate': 'Basic realm="oauth"' } : {});
    }
    this.prune();
    const accessToken = randomBytes(24).toString('base64url');
    this.tokens.set(accessToken, this.now() + this.ttlSeconds * 1000);
    this.issued++;
    return {
      status: 200,
      body: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: this.ttlSeconds,
        scope: form.get('scope') ?? this.options.defaultScope ?? '',
      },
      headers: noStore,
    };
  }

  /** Checks an `Authorization: Bearer …` header. */
  verify(authorization: string | undefined): BearerCheck {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return { ok: false, reason: 'missing' };
    const expiresAt = this.tokens.get(m[1]!);
    if (expiresAt === undefined) return { ok: false, reason: 'invalid' };
    if (this.now() >= expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true };
  }

  /** Forgets every token (as if the gateway restarted). */
  revokeAll(): void {
    this.tokens.clear();
  }

  /** Expired tokens are kept a while so that using one says "expired", not "invalid". */
  private prune(): void {
    if (this.tokens.size < 10_000) return;
    const cutoff = this.now() - 3_600_000;
    for (const [t, exp] of this.tokens) if (exp < cutoff) this.tokens.delete(t);
  }
}
