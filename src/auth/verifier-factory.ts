import type { Config } from '../config/config.js';
import { loadOrCreateDevKey } from './dev-keys.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * The verifier for this deployment: AUTH_JWKS_URL, else AUTH_PUBLIC_KEY, else (never in production) the
 * local dev key under CHILDHUB_HOME that `childhub token` signs with.
 */
export async function createTokenVerifier(config: Config): Promise<TokenVerifier> {
  const base = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, maxLifetimeSeconds: config.AUTH_MAX_TOKEN_HOURS * 3600 };
  if (config.AUTH_JWKS_URL) return new TokenVerifier({ ...base, jwksUrl: config.AUTH_JWKS_URL });
  if (config.AUTH_PUBLIC_KEY) return new TokenVerifier({ ...base, publicKeyPem: config.AUTH_PUBLIC_KEY });
  const key = await loadOrCreateDevKey(config.CHILDHUB_HOME);
  return new TokenVerifier({ ...base, devPublicJwk: key.publicJwk });
}
