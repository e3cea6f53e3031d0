import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import type { Sql } from '../db/sql.js';
import { ConfigError } from '../errors/config-error.js';
import { createLogger } from '../observability/logger.js';
import { LgspPopulationDbClient } from './lgsp.transport.js';
import { createPopulationDbClient } from './population-db.factory.js';
import { SoapPopulationDbClient } from './soap.transport.js';

const sql = {} as Sql;
const logger = createLogger({ level: 'silent' });
const soap = { POPULATION_DB_URL: 'https://ndxp.test/dancu', POPULATION_DB_USERNAME: 'u', POPULATION_DB_SECRET: 's', POPULATION_DB_API_KEY: 'k' };
const lgsp = {
  POPULATION_DB_TRANSPORT: 'lgsp',
  POPULATION_DB_URL: 'https://lgsp.test/api/dancu/v1',
  POPULATION_DB_TOKEN_URL: 'https://sso.lgsp.test/oauth2/token',
  POPULATION_DB_CLIENT_ID: 'childhub',
  POPULATION_DB_CLIENT_SECRET: 'secret',
};
const client = (env: Record<string, string>) => createPopulationDbClient(parseConfig(env), sql, logger);

describe('createPopulationDbClient', () => {
  it('builds nothing without POPULATION_DB_URL', () => {
    expect(client({})).toBeNull();
    expect(client({ POPULATION_DB_TRANSPORT: 'lgsp' })).toBeNull();
  });

  it('builds the SOAP transport by default and the LGSP one when POPULATION_DB_TRANSPORT=lgsp', () => {
    expect(client(soap)).toBeInstanceOf(SoapPopulationDbClient);
    expect(client({ ...soap, POPULATION_DB_TRANSPORT: 'soap' })).toBeInstanceOf(SoapPopulationDbClient);
    expect(client(lgsp)).toBeInstanceOf(LgspPopulationDbClient);
    expect(() => parseConfig({ POPULATION_DB_TRANSPORT: 'rest' })).toThrow(/POPULATION_DB_TRANSPORT/);
  });

  it('names the missing credentials of the chosen transport', () => {
    const { POPULATION_DB_CLIENT_SECRET: _secret, POPULATION_DB_TOKEN_URL: _url, ...partial } = lgsp;
    const err = (() => {
      try {
        client(partial);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      'Invalid configuration: POPULATION_DB_TRANSPORT=lgsp is set but POPULATION_DB_TOKEN_URL, POPULATION_DB_CLIENT_SECRET are missing',
    );
    // SOAP credentials are not asked for when the LGSP transport is chosen, and the other way round.
    expect(() => client({ POPULATION_DB_URL: soap.POPULATION_DB_URL })).toThrow(/POPULATION_DB_USERNAME, POPULATION_DB_SECRET, POPULATION_DB_API_KEY are missing/);
  });
});
