import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../src/app/app-context.js';
import { createLogger } from '../../src/observability/logger.js';
import type { CallResult, Citizen, LookupOutcome, PersonQuery, PopulationDbClient, VerifyOutcome } from '../../src/population-db/population-db.client.js';
import { IdentityReconciler } from '../../src/services/identity/identity-reconciler.js';
import { registryEnv } from './identity-hub.js';
import { createTestAppContext } from './jobs-test-context.js';
import type { TestEnv } from './test-env.js';

/**
 * An app context whose identity reconciler talks to a stand-in registry instead of the simulator: verification
 * finds nobody, and a look-up by name and birth answers what `lookup` returns (it may throw, as a refusal
 * does). No quota: every call is let through. Polls are fast (50 ms doubling up to 100 ms), so an issuance
 * chain reaches its answer within a test. The registry's URL is never called.
 */
export async function contextWithStandInRegistry(
  env: TestEnv,
  lookup: (query: PersonQuery) => LookupOutcome | Promise<LookupOutcome>,
): Promise<AppContext> {
  const base = await createTestAppContext(env, registryEnv('http://127.0.0.1:9/ws', { ISSUANCE_POLL_INITIAL_MS: '50', ISSUANCE_POLL_MAX_MS: '100' }));
  const registry = {
    verifyCitizen: async (): Promise<CallResult<VerifyOutcome>> => ({ requestId: randomUUID(), latencyMs: 1, outcome: { kind: 'NOT_FOUND' } }),
    lookupCitizen: async (q: PersonQuery): Promise<CallResult<LookupOutcome>> => ({ requestId: randomUUID(), latencyMs: 1, outcome: await lookup(q) }),
  } as unknown as PopulationDbClient;
  const quota = { acquire: async () => {}, settle: async () => {}, penalize: async () => {} };
  const reconciler = new IdentityReconciler(base.sql, registry, quota, base.config, createLogger({ level: 'silent' }));
  return { ...base, identity: { reconciler, queue: base.identity!.queue } };
}

/** A citizen as the registry answers, from a full name written family name first (`Lò Thị Hoa`), female, born on `birthDate`. */
export function citizenNamed(number: string, fullName: string, birthDate: string): Citizen {
  const [familyName, ...rest] = fullName.split(' ');
  return { number, familyName: familyName!, middleName: rest.slice(0, -1).join(' ') || null, givenName: rest.at(-1)!, sex: 'FEMALE', birthDate, birthDatePrecision: 'DAY' };
}
