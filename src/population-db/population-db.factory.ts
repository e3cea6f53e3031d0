import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Sql } from '../db/sql.js';
import { ConfigError } from '../errors/config-error.js';
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
 * Adding a second transport — e.g. a provincial LGSP platform that takes a bearer token and wraps the
 * same operations in JSON:
 * 1. write a new class (e.g. `lgsp.transport.ts`) implementing `PopulationDbClient`, mapping its own
 *    statuses onto the same errors (`RateLimitedError`, `UpstreamUnavailableError`,
 *    `RegistryRejectedError`) and writing every call to the same {@link RegistryCallLog} with its own
 *    `transport` value;
 * 2. add a setting that selects it (e.g. `POPULATION_DB_TRANSPORT=soap|lgsp`, default `soap`) plus that
 *    platform's credentials to the config schema;
 * 3. switch on the setting here. Nothing outside this folder changes.
 */
export function createPopulationDbClient(config: Config, sql: Sql, logger: Logger): PopulationDbClient | null {
  const {
    POPULATION_DB_URL: url,
    POPULATION_DB_USERNAME: username,
    POPULATION_DB_SECRET: secret,
    POPULATION_DB_API_KEY: apiKey,
  } = config;
  if (!url) return null;
  if (!username || !secret || !apiKey) {
    const missing = Object.entries({ POPULATION_DB_USERNAME: username, POPULATION_DB_SECRET: secret, POPULATION_DB_API_KEY: apiKey })
      .filter(([, value]) => !value)
      .map(([key]) => key);
    throw new ConfigError(
      `Invalid configuration: POPULATION_DB_URL is set but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`,
      missing.map((key) => `${key}: required when POPULATION_DB_URL is set`),
    );
  }
  return new SoapPopulationDbClient({
    url,
    username,
    secret,
    apiKey,
    callerCode: config.POPULATION_DB_CALLER_CODE,
    integrationCode: config.POPULATION_DB_INTEGRATION_CODE,
    timeoutMs: config.POPULATION_DB_TIMEOUT_MS,
    // At full rate calls end every few ms: rows written together cost one commit per handful of calls.
    log: new RegistryCallLog(sql, logger, { batchWindowMs: CALL_LOG_BATCH_WINDOW_MS }),
    logger,
  });
}
