import { createPublicKey } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, importSPKI, jwtVerify, type JWK, type JWTVerifyGetKey } from 'jose';
import { UnauthenticatedError } from '../errors/index.js';
import { classesForRoles } from './sensitivity.js';
import { ALL_COMMUNES, type Principal } from './principal.js';
import { tokenClaimsSchema } from './token-claims.js';

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  /** Exactly one key source. */
  jwksUrl?: string;
  publicKeyPem?: string;
  devPublicJwk?: JWK;
  /** How many verified tokens to remember (verification is the costly part of every request). */
  cacheSize?: number;
  /** Longest a token may still be valid for: one whose `exp` is further ahead is refused. @defaultValue 24 h */
  maxLifetimeSeconds?: number;
}

/** The JWS algorithm a PEM public key is used with, from the key itself (RSA, EC curve, Ed25519). */
export function algorithmOf(pem: string): string {
  const key = createPublicKey(pem);
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ed25519':
      return 'EdDSA';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ES256';
      if (curve === 'secp384r1') return 'ES384';
      if (curve === 'secp521r1') return 'ES512';
      throw new Error(`AUTH_PUBLIC_KEY uses an unsupported EC curve (${curve})`);
    }
    default:
      throw new Error(`AUTH_PUBLIC_KEY is a ${key.asymmetricKeyType} key; use RSA, EC (P-256/384/521) or Ed25519`);
  }
}

/** How far ahead of this server's clock a token's `iat` may be (the issuer's clock may run a little fast). */
const ISSUED_AHEAD_TOLERANCE_SECONDS = 60;

type KeySource = JWTVerifyGetKey | Awaited<ReturnType<typeof importSPKI>>;

/** Turns a bearer token into a Principal, or throws UnauthenticatedError with a reason a client can act on. */
export class TokenVerifier {
  private readonly cache = new Map<string, { principal: Principal; exp: number }>();
  private key: Promise<KeySource>;

  constructor(private readonly opts: TokenVerifierOptions) {
    this.key = this.resolveKey();
  }

  private async resolveKey(): Promise<KeySource> {
    const { jwksUrl, publicKeyPem, devPublicJwk } = this.opts;
    if (jwksUrl) return createRemoteJWKSet(new URL(jwksUrl));
    if (publicKeyPem) return importSPKI(publicKeyPem, algorithmOf(publicKeyPem));
    if (devPublicJwk) return createLocalJWKSet({ keys: [devPublicJwk] });
    throw new Error('TokenVerifier needs a JWKS URL, a public key or a dev key');
  }

  async verify(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw new UnauthenticatedError('Missing bearer token (Authorization: Bearer <token>)');
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
    const token = match[1]!;
    const now = Date.now() / 1000;
    const hit = this.cache.get(token);
    if (hit && hit.exp > now) return hit.principal;

    let payload: Record<string, unknown>;
    try {
      const key = await this.key;
      // A token must expire (QA: one without `exp` was taken for ever).
      ({ payload } = await jwtVerify(token, key as JWTVerifyGetKey, { issuer: this.opts.issuer, audience: this.opts.audience, requiredClaims: ['exp'] }));
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERR_JWT_INVALID';
      throw new UnauthenticatedError(
        code === 'ERR_JWT_EXPIRED' ? 'Token expired' : `Token rejected (${code})`,
      );
    }
    // A token must expire, and soon enough (QA: `exp` in the year 3000 was taken).
    const maxLifetime = this.opts.maxLifetimeSeconds ?? 24 * 3600;
    if (typeof payload.exp === 'number' && payload.exp - now > maxLifetime) {
      throw new UnauthenticatedError(`Token rejected: it is valid for more than ${Math.round(maxLifetime / 3600)} h (AUTH_MAX_TOKEN_HOURS)`);
    }
    // Issued in the future is forged or from a clock gone wrong (QA: `iat` a year ahead was taken); a minute allowed for clocks.
    if (typeof payload.iat === 'number' && payload.iat - now > ISSUED_AHEAD_TOLERANCE_SECONDS) {
      throw new UnauthenticatedError(`Token rejected: issued in the future (iat more than ${ISSUED_AHEAD_TOLERANCE_SECONDS} s ahead of this server's clock)`);
    }
    const claims = tokenClaimsSchema.safeParse(payload);
    if (!claims.success) {
      // Paths, not values; a check of our own says what it found (commune codes the 2025 list lacks).
      throw new UnauthenticatedError(`Token claims invalid: ${claims.error.issues.map((i) => (i.code === 'custom' ? `${i.path.join('.')} (${i.message})` : i.path.join('.'))).join(', ')}`);
    }
    const c = claims.data;
    const principal: Principal = {
      subject: c.sub,
      officerId: c.officer_id ?? null,
      officerName: c.name ?? null,
      agency: c.agency,
      unit: c.unit ?? null,
      roles: c.roles,
      communeScope: c.communes === ALL_COMMUNES ? ALL_COMMUNES : c.communes,
      purpose: c.purpose,
      classes: classesForRoles(c.roles),
    };
    const exp = typeof payload.exp === 'number' ? payload.exp : now + 60;
    if (this.cache.size >= (this.opts.cacheSize ?? 10_000)) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(token, { principal, exp });
    return principal;
  }
}
