import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { TokenClaims } from './token-claims.js';

export const DEV_ALG = 'ES256';

export interface DevKeyPair {
  privateJwk: JWK;
  publicJwk: JWK;
}

/**
 * The local development signing key: generated once per CHILDHUB_HOME and kept in `dev-jwt-key.json`
 * (git-ignored). Production never uses it: the gateway then trusts only AUTH_JWKS_URL or AUTH_PUBLIC_KEY.
 */
export async function loadOrCreateDevKey(home: string): Promise<DevKeyPair> {
  const file = path.join(home, 'dev-jwt-key.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevKeyPair;
  const { privateKey, publicKey } = await generateKeyPair(DEV_ALG, { extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  const pair: DevKeyPair = {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: DEV_ALG },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: DEV_ALG },
  };
  mkdirSync(home, { recursive: true });
  writeFileSync(file, JSON.stringify(pair, null, 2), { mode: 0o600 });
  return pair;
}

export interface MintOptions {
  issuer: string;
  audience: string;
  /** Lifetime, e.g. `8h`. */
  expiresIn?: string;
}

/** Signs a dev token with the local key. */
export async function mintDevToken(key: DevKeyPair, claims: TokenClaims, opts: MintOptions): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, DEV_ALG);
  const { sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: DEV_ALG, kid: key.privateJwk.kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '8h')
    .sign(privateKey);
}
