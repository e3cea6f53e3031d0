import { exportSPKI, importJWK } from 'jose';
import { DEV_ALG, type DevKeyPair } from '../../src/auth/dev-keys.js';
import type { BenchNodeEnv } from './bench-data.js';

/**
 * NODE_ENV and token settings for a hub process the bench starts. A deployment runs with
 * NODE_ENV=production, and libraries take faster paths there (graphql-js, for one, drops a per-check
 * cross-realm test). Production refuses the dev key file, but accepts a public key by value
 * (AUTH_PUBLIC_KEY): hand it the dev key's public half, so the bench's tokens verify.
 */
export async function processAuthEnv(key: DevKeyPair, nodeEnv: BenchNodeEnv): Promise<Record<string, string>> {
  const publicKey = await importJWK(key.publicJwk, DEV_ALG);
  if (publicKey instanceof Uint8Array) throw new Error('the dev key is not an asymmetric key');
  return nodeEnv === 'production' ? { NODE_ENV: 'production', AUTH_PUBLIC_KEY: await exportSPKI(publicKey) } : { NODE_ENV: 'development', AUTH_PUBLIC_KEY: '' };
}
