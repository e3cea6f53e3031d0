import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../errors/rate-limited-error.js';
import { RegistryRejectedError } from '../../errors/registry-rejected-error.js';
import { UpstreamUnavailableError } from '../../errors/upstream-unavailable-error.js';
import { generatePopulation, type SyntheticChild } from '../../sample/population.js';
import { LgspPopulationDbClient } from '../lgsp.transport.js';
import type { CallContext } from '../population-db.client.js';
import type { RegistryCallEntry } from '../registry-call.log.js';
import { startPopulationDbSimulator, type PopulationDbSimulator } from './population-db.simulator.js';

const SEED = 7;
const COUNT = 3000;
const silent = pino({ level: 'silent' });
const population: SyntheticChild[] = [...generatePopulation({ seed: SEED, count: COUNT })];
const numbered = population.filter((c) => c.identityNumber !== null && !c.abandoned);
const credentials = { username: 'childhub-hn', secret: 'lgsp/s3cret', apiKey: 'unused-by-lgsp' };
const ctx: CallContext = { officerId: 'CB-0042', officerName: 'Trần Văn Bình', unit: 'so-ldtbxh-ha-noi', purposeCode: 'BVTE', caseRef: 'HS-1' };

/** The simulator's LGSP face, driven by the real LGSP transport over loopback. */
describe('population database simulator: LGSP face', () => {
  let sim: PopulationDbSimulator;
  const entries: RegistryCallEntry[] = [];
  const client = (secret = credentials.secret) =>
    new LgspPopulationDbClient({
      url: sim.lgsp.url,
      tokenUrl: sim.lgsp.tokenUrl,
      clientId: credentials.username,
      clientSecret: secret,
      callerCode: 'SLDTBXH-HN',
      timeoutMs: 2000,
      logger: silent,
      log: { begin: async () => {}, record: async (e) => void entries.push(e) },
    });

  beforeAll(async () => {
    sim = await startPopulationDbSimulator({ seed: SEED, count: COUNT, quotaPerSecond: 20, bulkProcessingMs: 50, credentials, logger: silent });
  });
  afterAll(async () => sim?.close());

  it('verifies, looks up and runs a bulk request through the JSON API with a bearer token', async () => {
    const lgsp = client();
    const [a, b] = numbered;
    const birth = { date: a!.birthDate, precision: 'DAY' as const };
    const match = await lgsp.verifyCitizen({ number: a!.identityNumber!, fullName: a!.fullName, birth }, ctx);
    expect(match.outcome).toMatchObject({ kind: 'MATCH', citizen: { number: a!.identityNumber, birthDate: a!.birthDate } });
    const mismatch = await lgsp.verifyCitizen({ number: a!.identityNumber!, fullName: `${a!.familyName} Văn Khác`, birth }, ctx);
    expect(mismatch.outcome).toMatchObject({ kind: 'MISMATCH', fields: ['HoVaTen'] });
    expect((await lgsp.verifyCitizen({ number: '001209999999', fullName: a!.fullName, birth }, ctx)).outcome).toEqual({ kind: 'NOT_FOUND' });
    const found = await lgsp.lookupCitizen({ number: b!.identityNumber!, fullName: b!.fullName, birth: { date: b!.birthDate, precision: 'DAY' } }, ctx);
    expect(found.outcome).toMatchObject({ kind: 'FOUND', citizens: [{ number: b!.identityNumber }] });

    const submitted = await lgsp.submitBulkRequest([
      { number: a!.identityNumber!, fullName: a!.fullName, birth },
      { number: '001209999999', fullName: a!.fullName, birth },
    ], ctx);
    await new Promise((r) => setTimeout(r, 80));
    expect((await lgsp.getBulkRequestStatus(submitted.outcome.bulkId, ctx)).outcome).toEqual({ state: 'DONE' });
    const results = await lgsp.getBulkRequestResult(submitted.outcome.bulkId, ctx);
    expect(results.outcome.results.map((r) => [r.index, r.outcome.kind])).toEqual([[0, 'FOUND'], [1, 'NOT_FOUND']]);
    expect(entries.every((e) => e.transport === 'lgsp' && e.httpStatus === 200)).toBe(true);
    expect(sim.stats()).toMatchObject({ unauthorized: 0, rateLimited: 0 });
  });

  it('refuses a wrong client secret at the token endpoint and requests without a valid token', async () => {
    const [a] = numbered;
    const err = await client('wrong').verifyCitizen({ number: a!.identityNumber!, fullName: a!.fullName, birth: { date: a!.birthDate, precision: 'DAY' } }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryRejectedError);
    expect((err as RegistryRejectedError).details).toMatchObject({ stage: 'TOKEN', oauthError: 'invalid_client' });
    const bare = await fetch(`${sim.lgsp.url}/XacThucThongTinCongDan`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(bare.status).toBe(401);
  });

  it('gets a new token when the platform revoked the old one', async () => {
    const lgsp = client();
    const [a] = numbered;
    const q = { number: a!.identityNumber!, fullName: a!.fullName, birth: { date: a!.birthDate, precision: 'DAY' as const } };
    await lgsp.verifyCitizen(q, ctx);
    sim.lgsp.revokeTokens();
    expect((await lgsp.verifyCitizen(q, ctx)).outcome.kind).toBe('MATCH');
  });

  it('shares the quota and the faults with the SOAP face', async () => {
    const lgsp = client();
    const [a] = numbered;
    const q = { number: a!.identityNumber!, fullName: a!.fullName, birth: { date: a!.birthDate, precision: 'DAY' as const } };
    await new Promise((r) => setTimeout(r, 1100));
    const outcomes = await Promise.allSettled(Array.from({ length: 25 }, () => lgsp.verifyCitizen(q, ctx)));
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as unknown);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(refused.every((e) => e instanceof RateLimitedError)).toBe(true);

    await new Promise((r) => setTimeout(r, 1100));
    sim.setFaults({ errorRate: 1 });
    try {
      const down = await lgsp.verifyCitizen(q, ctx).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(UpstreamUnavailableError);
      expect((down as UpstreamUnavailableError).details).toMatchObject({ reason: 'HTTP_5XX', errorCode: 'BACKEND_UNAVAILABLE' });
      sim.setFaults({ errorRate: 0, malformedRate: 1 });
      const cut = await lgsp.verifyCitizen(q, ctx).catch((e: unknown) => e);
      expect((cut as UpstreamUnavailableError).details).toMatchObject({ reason: 'MALFORMED' });
    } finally {
      sim.setFaults({ errorRate: 0, malformedRate: 0 });
    }
  });
});
