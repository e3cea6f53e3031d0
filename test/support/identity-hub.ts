import { generateChild, type SyntheticChild } from '../../src/sample/population.js';
import type { SourceRecordInput } from '../../src/domain/source-record-input.js';

export const SIM_SEED = 4242;
export const SIM_COUNT = 3000;
export const SIM_CREDENTIALS = { username: 'childhub-test', secret: 's3cret-test', apiKey: 'key-test' };

/** Environment for a hub that talks to the simulator at `url`. */
export function registryEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    POPULATION_DB_URL: url,
    POPULATION_DB_USERNAME: SIM_CREDENTIALS.username,
    POPULATION_DB_SECRET: SIM_CREDENTIALS.secret,
    POPULATION_DB_API_KEY: SIM_CREDENTIALS.apiKey,
    POPULATION_DB_TIMEOUT_MS: '3000',
    // Test files run in parallel on a small machine: event-loop lag there is far above production's.
    POPULATION_DB_QUOTA_HEADROOM: '0.15',
    ISSUANCE_POLL_INITIAL_MS: '150',
    ISSUANCE_POLL_MAX_MS: '400',
    ...extra,
  };
}

/** Synthetic children of the simulator's population that match a predicate. */
export function truthChildren(pred: (c: SyntheticChild) => boolean, n: number): SyntheticChild[] {
  const out: SyntheticChild[] = [];
  for (let i = 0; i < SIM_COUNT && out.length < n; i++) {
    const c = generateChild(SIM_SEED, i, SIM_COUNT);
    if (pred(c)) out.push(c);
  }
  if (out.length < n) throw new Error(`only ${out.length} synthetic children match`);
  return out;
}

/** A faithful health-station record of a synthetic child (overrides make it wrong on purpose). */
export function recordOf(c: SyntheticChild, tag: string, overrides: Partial<SourceRecordInput> = {}): SourceRecordInput {
  return {
    sourceSystem: 'health-station',
    externalId: `${tag}-${c.truthId}`,
    raw: { test: tag },
    fullName: c.fullName,
    sex: c.sex,
    birthDate: c.birthDate,
    birthDatePrecision: 'DAY',
    birthDateEstimated: c.birthDateEstimated,
    communeCode: c.communeCode,
    communeCodeSet: 'VN-2025',
    identityNumber: c.identityNumber,
    groups: c.groups.map((clause) => ({ clause })),
    ...overrides,
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
