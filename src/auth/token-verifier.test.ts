import path from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../errors/index.js';
import { loadOrCreateDevKey, mintDevToken } from './dev-keys.js';
import { SensitivityClass } from './sensitivity.js';
import { TokenVerifier } from './token-verifier.js';
import { tempDir } from '../../test/support/temp-dir.js';

const opts = { issuer: 'childhub-dev', audience: 'childhub' };
const claims = { sub: 'u1', officer_id: 'CB-1', agency: 'ubnd-xa-00004', roles: ['commune_officer' as const], communes: ['00004'], purpose: 'casework' };

describe('TokenVerifier', () => {
  it('turns a dev token into a principal with the classes its roles grant', async () => {
    const key = await loadOrCreateDevKey(tempDir('ch-'));
    const verifier = new TokenVerifier({ ...opts, devPublicJwk: key.publicJwk });
    const p = await verifier.verify(`Bearer ${await mintDevToken(key, claims, opts)}`);
    expect(p).toMatchObject({ subject: 'u1', officerId: 'CB-1', agency: 'ubnd-xa-00004', communeScope: ['00004'], purpose: 'casework' });
    expect([...p.classes].sort()).toEqual([SensitivityClass.BASIC, SensitivityClass.IDENTITY, SensitivityClass.PROTECTION_GROUP, SensitivityClass.PROVENANCE].sort());
  });

  it('rejects missing, malformed, expired, foreign and under-specified tokens', async () => {
    const key = await loadOrCreateDevKey(tempDir('ch-'));
    const other = await loadOrCreateDevKey(tempDir('ch-'));
    const verifier = new TokenVerifier({ ...opts, devPublicJwk: key.publicJwk });
    const reject = (h: string | undefined) => expect(verifier.verify(h)).rejects.toBeInstanceOf(UnauthenticatedError);
    await reject(undefined);
    await reject('Basic abc');
    await reject(`Bearer ${await mintDevToken(key, claims, { ...opts, expiresIn: '-1m' })}`);
    await reject(`Bearer ${await mintDevToken(other, claims, opts)}`);
    await reject(`Bearer ${await mintDevToken(key, claims, { ...opts, audience: 'someone-else' })}`);
    await expect(verifier.verify(`Bearer ${await mintDevToken(key, { ...claims, communes: ['Ba Đình'] }, opts)}`)).rejects.toThrow(/claims invalid: communes/);
  });

  it('refuses a commune scope naming codes the 2025 list lacks, naming them (QA: a merged-away code saw no child and was not told why)', async () => {
    const key = await loadOrCreateDevKey(tempDir('ch-'));
    const verifier = new TokenVerifier({ ...opts, devPublicJwk: key.publicJwk });
    // 00001 was a ward before the 2025 merger (Phúc Xá); 99999 never was a commune.
    await expect(verifier.verify(`Bearer ${await mintDevToken(key, { ...claims, communes: ['00004', '00001', '99999'] }, opts)}`))
      .rejects.toThrow('Token claims invalid: communes (not communes of the 2025 list (units in force from 1 July 2025): 00001, 99999)');
    const ok = await verifier.verify(`Bearer ${await mintDevToken(key, { ...claims, communes: ['00004', '10114'] }, opts)}`);
    expect(ok.communeScope).toEqual(['00004', '10114']);
  });

  it('accepts RSA keys given as PEM (the header does not say the key type)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const verifier = new TokenVerifier({ ...opts, publicKeyPem: await exportSPKI(publicKey) });
    const { sub, ...rest } = claims;
    const token = await new SignJWT(rest).setProtectedHeader({ alg: 'RS256' }).setSubject(sub).setIssuer(opts.issuer).setAudience(opts.audience).setExpirationTime('5m').sign(privateKey);
    expect((await verifier.verify(`Bearer ${token}`)).subject).toBe('u1');
  });

  it('refuses a token that never expires (no exp) (QA)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const verifier = new TokenVerifier({ ...opts, publicKeyPem: await exportSPKI(publicKey) });
    const { sub, ...rest } = claims;
    const forever = await new SignJWT(rest).setProtectedHeader({ alg: 'ES256' }).setSubject(sub).setIssuer(opts.issuer).setAudience(opts.audience).sign(privateKey);
    await expect(verifier.verify(`Bearer ${forever}`)).rejects.toThrow(/Token rejected \(ERR_JWT_CLAIM_VALIDATION_FAILED\)/);
  });

  it('refuses a token valid for longer than the longest lifetime allowed (QA: exp in the year 3000)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const verifier = new TokenVerifier({ ...opts, publicKeyPem: await exportSPKI(publicKey), maxLifetimeSeconds: 24 * 3600 });
    const { sub, ...rest } = claims;
    const mint = (exp: string | number) => new SignJWT(rest).setProtectedHeader({ alg: 'ES256' }).setSubject(sub).setIssuer(opts.issuer).setAudience(opts.audience).setExpirationTime(exp).sign(privateKey);
    expect((await verifier.verify(`Bearer ${await mint('23h')}`)).subject).toBe('u1');
    await expect(verifier.verify(`Bearer ${await mint('25h')}`)).rejects.toThrow('Token rejected: it is valid for more than 24 h (AUTH_MAX_TOKEN_HOURS)');
    await expect(verifier.verify(`Bearer ${await mint(32503680000)}`)).rejects.toThrow(/more than 24 h/);
  });

  it('refuses a token issued in the future beyond a minute of clock difference (QA: iat a year ahead was taken)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const verifier = new TokenVerifier({ ...opts, publicKeyPem: await exportSPKI(publicKey) });
    const { sub, ...rest } = claims;
    const now = Math.floor(Date.now() / 1000);
    const mint = (iat: number) => new SignJWT(rest).setProtectedHeader({ alg: 'ES256' }).setSubject(sub).setIssuer(opts.issuer).setAudience(opts.audience).setIssuedAt(iat).setExpirationTime(now + 3600).sign(privateKey);
    expect((await verifier.verify(`Bearer ${await mint(now + 30)}`)).subject).toBe('u1');
    await expect(verifier.verify(`Bearer ${await mint(now + 365 * 86400)}`)).rejects.toThrow('Token rejected: issued in the future (iat more than 60 s ahead of this server\'s clock)');
  });

  it('accepts tokens from a production key given as PEM', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const verifier = new TokenVerifier({ ...opts, publicKeyPem: await exportSPKI(publicKey) });
    const { sub, ...rest } = claims;
    const token = await new SignJWT(rest).setProtectedHeader({ alg: 'ES256' }).setSubject(sub).setIssuer(opts.issuer).setAudience(opts.audience).setExpirationTime('5m').sign(privateKey);
    expect((await verifier.verify(`Bearer ${token}`)).subject).toBe('u1');
  });
});
