import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Sql } from '../db/sql.js';
import { ConfigError } from '../errors/config-error.js';
import { LgspPopulationDbClient } from './lgsp.transport.js';
import type { PopulationDbClient } from './population-db.client.js';
import { RegistryCallLog } from './registry-call.log.js';
import { SoapPopulationDbClient } from './soap.transport.js';

/** How long an integration-log row waits for other calls' rows to share its INSERT (ms). */
const CALL_LOG_BATCH_WINDOW_MS = 20;

/**
 * The population-database client the settings ask for, so that callers only ever see
 * {@link PopulationDbClient} and never name a transport. Returns null when `POPULATION_DB_URL` is unset
 * (identity jobs then do not call out). Throws a {@link ConfigError} naming the missing credentials when
 * the URL is set without them, so the process stops at start-up rather than on the first call.
 *
 * `POPULATION_DB_TRANSPORT` picks the transport:
 * - `soap` (default): {@link SoapPopulationDbClient}, HTTP Basic + request signature + API key;
 * - `lgsp`: {@link LgspPopulationDbClient}, a provincial platform's JSON API with an OAuth 2.0 bearer token
 *   (client credentials against `POPULATION_DB_TOKEN_URL`).
 * Each maps its platform's statuses onto the same errors (`RateLimitedError`, `UpstreamUnavailableError`,
 * `RegistryRejectedError`) and writes every call to the same {@link RegistryCallLog} with its own
 * `transport` value. A further transport is one more class and one more case here.
 */
export function createPopulationDbClient(config: Config, sql: Sql, logger: Logger): PopulationDbClient | null {
  const url = config.POPULATION_DB_URL;
  if (!url) return null;
  // At full rate calls end every few ms: rows written together cost one commit per handful of calls.
  const log = new RegistryCallLog(sql, logger, { batchWindowMs: CALL_LOG_BATCH_WINDOW_MS });
  const common = { url, callerCode: config.POPULATION_DB_CALLER_CODE, timeoutMs: config.POPULATION_DB_TIMEOUT_MS, log, logger };

  if (config.POPULATION_DB_TRANSPORT === 'lgsp') {
    const { POPULATION_DB_TOKEN_URL: tokenUrl, POPULATION_DB_CLIENT_ID: clientId, POPULATION_DB_CLIENT_SECRET: clientSecret } = config;
    requireSettings('POPULATION_DB_TRANSPORT=lgsp', { POPULATION_DB_TOKEN_URL: tokenUrl, POPULATION_DB_CLIENT_ID: clientId, POPULATION_DB_CLIENT_SECRET: clientSecret });
    return new LgspPopulationDbClient({ ...common, tokenUrl: tokenUrl!, clientId: clientId!, clientSecret: clientSecret!, scope: config.POPULATION_DB_TOKEN_SCOPE });
  }

  const { POPULATION_DB_USERNAME: username, POPULATION_DB_SECRET: secret, POPULATION_DB_API_KEY: apiKey } = config;
  requireSettings('POPULATION_DB_URL', { POPULATION_DB_USERNAME: username, POPULATION_DB_SECRET: secret, POPULATION_DB_API_KEY: apiKey });
  return new SoapPopulationDbClient({
    ...common,
    username: username!,
    secret: secret!,
    apiKey: apiKey!,
    integrationCode: config.POPULATION_DB_INTEGRATION_CODE,
  });
}

/** Throws a {@link ConfigError} naming every missing setting that `reason` requires. */
function requireSettings(reason: string, settings: Record<string, string | undefined>): void {
  const missing = Object.entries(settings)
    .filter(([, value]) => !value)
    .map(([key]) => key);
  if (missing.length === 0) return;
  throw new ConfigError(
    `Invalid configuration: ${reason} is set but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`,
    missing.map((key) => `${key}: required when ${reason} is set`),
  );
}
