import path from 'node:path';
import type { Logger } from 'pino';
import { createAppContext, type AppContext } from '../../src/app/app-context.js';
import { startApi, type RunningApi } from '../../src/app/api.js';
import { loadOrCreateDevKey, mintDevToken } from '../../src/auth/dev-keys.js';
import type { TokenClaims } from '../../src/auth/token-claims.js';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { testClock } from './clock.js';
import { createTestEnv, type TestEnv } from './test-env.js';
import { tempDir } from './temp-dir.js';

export interface TestHub {
  env: TestEnv;
  ctx: AppContext;
  api: RunningApi;
  /** Signs a token with this hub's dev key; defaults: a city-wide data steward. */
  token(claims?: Partial<TokenClaims>): Promise<string>;
  /** POSTs a GraphQL operation; returns status and parsed body. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<{ status: number; body: { data?: T; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }> } }>;
  close(): Promise<void>;
}

/** A whole gateway on an ephemeral port, over a fresh database, for one test file. */
export async function startTestHub(opts: {
  logger?: Logger;
  env?: Record<string, string>;
  /** The Redis the hub is given, from the test's own (e.g. a proxy that can stop answering). */
  redisVia?: (redisUrl: string) => Promise<string>;
  /** The database the hub is given, from the test's own (likewise). */
  databaseVia?: (databaseUrl: string) => Promise<string>;
} = {}): Promise<TestHub> {
  const env = await createTestEnv();
  const redisUrl = opts.redisVia ? await opts.redisVia(env.redisUrl) : env.redisUrl;
  const databaseUrl = opts.databaseVia ? await opts.databaseVia(env.databaseUrl) : env.databaseUrl;
  const home = tempDir('childhub-test-');
  const config = parseConfig({
    NODE_ENV: 'test',
    CHILDHUB_HOME: home,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: env.queuePrefix,
    DB_POOL_SIZE: '6',
    CONNECTOR_SCHEDULES: 'false',
    ...opts.env,
  });
  const logger = opts.logger ?? createLogger({ level: 'silent' });
  const ctx = await createAppContext({ config, logger, databaseUrl, redisUrl, clock: testClock });
  const api = await startApi(ctx, { port: 0, host: '127.0.0.1' });
  const key = await loadOrCreateDevKey(home);
  return {
    env,
    ctx,
    api,
    token: (claims = {}) =>
      mintDevToken(
        key,
        { sub: 'test-user', officer_id: 'CB-0001', agency: 'so-ldtbxh', roles: ['data_steward'], communes: '*', purpose: 'test', ...claims },
        { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE },
      ),
    gql: async (query, variables, token) => {
      const res = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as never };
    },
    close: async () => {
      await api.close();
      await ctx.close();
      await env.cleanup();
    },
  };
}
