/**
 * The LGSP token endpoint did not give a usable token. `kind` says which: `TIMEOUT`, `NETWORK`, `HTTP_5XX`
 * and `MALFORMED` are weather (retry later), `RATE_LIMITED` comes with `retryAfterMs`, `REFUSED` is a
 * configuration problem (wrong client id or secret, scope not granted) that retrying will not fix.
 * Carries status and OAuth error code only, never the secret or the endpoint's description text.
 */
export class LgspTokenError extends Error {
  override readonly name = 'LgspTokenError';

  constructor(
    message: string,
    readonly kind: 'TIMEOUT' | 'NETWORK' | 'HTTP_5XX' | 'RATE_LIMITED' | 'REFUSED' | 'MALFORMED',
    readonly httpStatus: number | null,
    readonly details: { oauthError?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}
