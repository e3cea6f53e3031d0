import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MissingSettingError } from '../definition/env-ref.js';
import { isPermanentSyncError } from '../sync/permanent-sync-errors.js';
import { failureOf, harness, readAll, rows } from './testing/reader-harness.js';
import type { HttpConfigInput } from './http.schema.js';

const BASE = 'http://source.test';
const PATH = '/api/records';
const TOKEN_ORIGIN = 'http://idp.test';
const TOKEN_PATH = '/realms/health/token';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

const oauth2 = (extra: Record<string, unknown> = {}) => ({
  type: 'oauth2ClientCredentials' as const,
  tokenUrl: `${TOKEN_ORIGIN}${TOKEN_PATH}`,
  clientId: { env: 'CLIENT_ID' },
  clientSecret: { env: 'CLIENT_SECRET' },
  scope: 'system/Patient.read',
  ...extra,
});
const oauthEnv = { CLIENT_ID: 'hub-client', CLIENT_SECRET: 's3cr3t:with/odd chars' };

/** Answers token requests in turn with `tokens`, recording each request's headers and form. */
function tokenEndpoint(tokens: Array<{ access_token: string; expires_in?: number }>) {
  const requests: Array<{ headers: Record<string, unknown>; form: URLSearchParams }> = [];
  const scope = nock(TOKEN_ORIGIN);
  for (const t of tokens) {
    scope.post(TOKEN_PATH).reply(function (_uri, body) {
      requests.push({ headers: { ...this.req.headers }, form: new URLSearchParams(String(body)) });
      return [200, { ...t, token_type: 'Bearer' }];
    });
  }
  return requests;
}

describe('HttpReader authentication', () => {
  it('apiKey in a header', async () => {
    const { reader, ctx } = harness(
      { auth: { type: 'apiKey', header: 'X-Api-Key', value: { env: 'SCHOOL_API_KEY' } } },
      { SCHOOL_API_KEY: 'k-123' },
    );
    nock(BASE).get(PATH).matchHeader('x-api-key', 'k-123').matchHeader('accept', 'application/json').reply(200, { data: rows(1, 1) });
    expect((await readAll(reader, null, ctx))[0]!.records).toHaveLength(1);
  });

  it('apiKey in the query: added to every request, never stored in a position or logged', async () => {
    const { reader, ctx, logs } = harness(
      { auth: { type: 'apiKey', query: 'api_key', value: { env: 'SCHOOL_API_KEY' } }, pagination: { type: 'nextLink', path: 'next' } },
      { SCHOOL_API_KEY: 'k-123' },
    );
    // The server echoes the key in its next link, as some do.
    nock(BASE).get(PATH).query({ api_key: 'k-123' }).reply(200, { data: rows(1, 1), next: `${PATH}?page=2&api_key=k-123` });
    nock(BASE).get(PATH).query({ api_key: 'k-123', page: '2' }).reply(200, { data: rows(2, 1) });
    const batches = await readAll(reader, null, ctx);
    expect(batches[0]!.position['next']).toEqual({ url: `${BASE}${PATH}?page=2` });
    expect(logs.join('')).not.toContain('k-123');
  });

  it('basic: Authorization computed from the username and password', async () => {
    const { reader, ctx } = harness(
      { auth: { type: 'basic', username: 'so-gd-hn', password: { env: 'SCHOOL_PASSWORD' } } },
      { SCHOOL_PASSWORD: 'mật khẩu' },
    );
    const expected = `Basic ${Buffer.from('so-gd-hn:mật khẩu', 'utf8').toString('base64')}`;
    nock(BASE).get(PATH).matchHeader('authorization', expected).reply(200, { data: [] });
    await readAll(reader, null, ctx);
  });

  it('bearer: a fixed token', async () => {
    const { reader, ctx } = harness({ auth: { type: 'bearer', token: { env: 'SCHOOL_TOKEN' } } }, { SCHOOL_TOKEN: 'tok-1' });
    nock(BASE).get(PATH).matchHeader('authorization', 'Bearer tok-1').reply(200, { data: [] });
    await readAll(reader, null, ctx);
  });

  it('a fixed credential refused with 401 fails at once, naming the variable to check', async () => {
    const { reader, ctx } = harness({ auth: { type: 'bearer', token: { env: 'SCHOOL_TOKEN' } } }, { SCHOOL_TOKEN: 'tok-1' });
    nock(BASE).get(PATH).reply(401, { error: 'invalid_token' });
    await expect(readAll(reader, null, ctx)).rejects.toMatchObject({
      code: 'CONNECTOR_REQUEST_REFUSED',
      message: expect.stringMatching(/GET \/api\/records was refused with HTTP 401 Unauthorized \(invalid_token\); check the token in SCHOOL_TOKEN/),
    });
  });

  it('a missing secret fails naming the variable', async () => {
    const { reader, ctx } = harness({ auth: { type: 'bearer', token: { env: 'SCHOOL_TOKEN' } } }, {});
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toBeInstanceOf(MissingSettingError);
    expect(err).toMatchObject({ code: 'CONNECTOR_SECRET_MISSING', variable: 'SCHOOL_TOKEN' });
  });

  it('a missing setting that is no secret is told as a setting, a credential header or parameter as a secret (QA: a drop directory was called a secret)', async () => {
    const cases: Array<[Partial<HttpConfigInput>, string, string]> = [
      [{ baseUrl: { env: 'SCHOOL_API_URL' } }, 'CONNECTOR_SETTING_MISSING', 'SCHOOL_API_URL'],
      [{ request: { path: '/api/records', params: { tinh: { env: 'SCHOOL_PROVINCE' } } } }, 'CONNECTOR_SETTING_MISSING', 'SCHOOL_PROVINCE'],
      [{ request: { path: '/api/records', headers: { 'X-Api-Key': { env: 'SCHOOL_KEY' } } } }, 'CONNECTOR_SECRET_MISSING', 'SCHOOL_KEY'],
      [{ request: { path: '/api/records', params: { access_token: { env: 'SCHOOL_ACCESS' } } } }, 'CONNECTOR_SECRET_MISSING', 'SCHOOL_ACCESS'],
      [{ auth: { type: 'basic', username: { env: 'SCHOOL_USER' }, password: { env: 'SCHOOL_PASSWORD' } } }, 'CONNECTOR_SETTING_MISSING', 'SCHOOL_USER'],
      [{ auth: { type: 'basic', username: 'hub', password: { env: 'SCHOOL_PASSWORD' } } }, 'CONNECTOR_SECRET_MISSING', 'SCHOOL_PASSWORD'],
    ];
    for (const [config, code, variable] of cases) {
      const { reader, ctx } = harness(config, {});
      expect(await failureOf(readAll(reader, null, ctx))).toMatchObject({ code, variable });
    }
  });

  it('a sync names every variable the definition needs that is not set, not only the first (QA: both OAuth2 variables unset named only the client id)', async () => {
    const { reader, ctx } = harness({
      auth: { type: 'oauth2ClientCredentials', tokenUrl: `${TOKEN_ORIGIN}${TOKEN_PATH}`, clientId: { env: 'HS_CLIENT_ID' }, clientSecret: { env: 'HS_CLIENT_SECRET' } },
    }, {});
    const err = await failureOf(readAll(reader, null, ctx));
    expect(err).toMatchObject({ code: 'CONNECTOR_SETTING_MISSING', variable: 'HS_CLIENT_ID', also: ['HS_CLIENT_SECRET'] });
    expect((err as Error).message).toBe(
      'connector test-source: http.auth.clientId needs the environment variable HS_CLIENT_ID, which is not set; the definition also needs HS_CLIENT_SECRET, not set either');
    // Told whose environment lacks them, both still named.
    expect((err as MissingSettingError).in('the worker\'s environment').message).toContain('not set in the worker\'s environment; the definition also needs HS_CLIENT_SECRET');
  });

  it('a base URL or token URL from the environment that is not one fails as a setting to correct, naming the variable, at once (QA: a hub fault, retried)', async () => {
    const bad = harness({ baseUrl: { env: 'SCHOOL_API_URL' } }, { SCHOOL_API_URL: 'notaurl' });
    await expect(readAll(bad.reader, null, bad.ctx)).rejects.toMatchObject({
      code: 'CONNECTOR_SETTING_INVALID',
      message: 'connector test-source: http.baseUrl is not an absolute URL: correct the environment variable SCHOOL_API_URL',
    });
    const ftp = harness({ baseUrl: { env: 'SCHOOL_API_URL' } }, { SCHOOL_API_URL: 'ftp://source.test' });
    await expect(readAll(ftp.reader, null, ftp.ctx)).rejects.toMatchObject({ message: 'connector test-source: http.baseUrl must be an http or https URL: correct the environment variable SCHOOL_API_URL' });
    const token = harness({ auth: oauth2({ tokenUrl: { env: 'TOKEN_URL' } }) }, { ...oauthEnv, TOKEN_URL: 'idp/token' });
    await expect(readAll(token.reader, null, token.ctx)).rejects.toMatchObject({
      code: 'CONNECTOR_SETTING_INVALID',
      message: 'connector test-source: http.auth.tokenUrl is not an absolute URL: correct the environment variable TOKEN_URL',
    });
    for (const url of ['ftp://idp.test/token', 'file:///etc/passwd']) {
      const other = harness({ auth: oauth2({ tokenUrl: { env: 'TOKEN_URL' } }) }, { ...oauthEnv, TOKEN_URL: url });
      expect(() => other.reader.settings()).toThrow('connector test-source: http.auth.tokenUrl must be an http or https URL: correct the environment variable TOKEN_URL');
    }
    expect(isPermanentSyncError(await failureOf(readAll(bad.reader, null, bad.ctx)))).toBe(true);
  });

  it('a base URL or token URL from the environment carrying credentials is refused before any request, without repeating them (QA: sent as Basic credentials)', async () => {
    for (const url of ['http://admin:TOPSECRETPW@source.test', 'http://source.test/api;jsessionid=TOPSECRETPW', 'http://source.test/?api_key=TOPSECRETPW',
      // In a path segment's parameters too (QA re-check: sent, and quoted in the refused request's error).
      'http://source.test/x;api_key=TOPSECRETPW', 'http://source.test/x;v=1;access_token=TOPSECRETPW/y']) {
      const { reader, ctx } = harness({ baseUrl: { env: 'SCHOOL_API_URL' } }, { SCHOOL_API_URL: url });
      const err = await failureOf(readAll(reader, null, ctx));
      expect(err).toMatchObject({ code: 'CONNECTOR_SETTING_INVALID', message: expect.stringMatching(/^connector test-source: http\.baseUrl must not carry .*: correct the environment variable SCHOOL_API_URL$/) });
      expect(err.message).not.toContain('TOPSECRETPW');
      expect(isPermanentSyncError(err)).toBe(true);
    }
    // Every one at once (QA: the access token beside a session id was told only once that was removed).
    const both = harness({ baseUrl: { env: 'SCHOOL_API_URL' } }, { SCHOOL_API_URL: 'http://source.test/x%3Baccess_token=TOPSECRETPW;sid=TOPSECRETPW' });
    expect((await failureOf(readAll(both.reader, null, both.ctx))).message).toMatch(
      /^connector test-source: http\.baseUrl must not carry a session id \(;sid=\): .*; must not carry credentials in its path \(%3Baccess_token=\): .*: correct the environment variable SCHOOL_API_URL$/);
    // What no credential is: a fragment (never sent), a paging token's name, an `@` in the path, a plain matrix parameter.
    for (const url of ['http://source.test/#?api_key=x', 'http://source.test/?page_token=1', 'http://source.test/a@b', 'http://source.test/x;v=1']) {
      const fine = harness({ baseUrl: { env: 'SCHOOL_API_URL' } }, { SCHOOL_API_URL: url });
      expect(() => fine.reader.settings(), url).not.toThrow();
    }
    const userinfo = harness({ auth: oauth2({ tokenUrl: { env: 'TOKEN_URL' } }) }, { ...oauthEnv, TOKEN_URL: 'https://hub:pw@idp.test/token' });
    expect(() => userinfo.reader.settings()).toThrow(/tokenUrl must not carry a user or password \(user:password@host\): give the client's credentials as clientId and clientSecret/);
    const token = harness({ auth: oauth2({ tokenUrl: { env: 'TOKEN_URL' } }) }, { ...oauthEnv, TOKEN_URL: 'https://idp.test/token?client_secret=TOPSECRETPW' });
    expect(() => token.reader.settings()).toThrow(/^connector test-source: http\.auth\.tokenUrl must not carry credentials in its query string \(client_secret\): give the client's credentials as clientId and clientSecret/);
  });

  describe('oauth2ClientCredentials', () => {
    it('requests a token (client_credentials, Basic client authentication) and sends it as a bearer', async () => {
      const { reader, ctx, events, logs } = harness({ auth: oauth2({ audience: 'fhir-api' }) }, oauthEnv);
      const requests = tokenEndpoint([{ access_token: 'at-1', expires_in: 300 }]);
      nock(BASE).get(PATH).matchHeader('authorization', 'Bearer at-1').reply(200, { data: rows(1, 1) });
      await readAll(reader, null, ctx);
      expect(requests).toHaveLength(1);
      const { headers, form } = requests[0]!;
      expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Object.fromEntries(form)).toEqual({ grant_type: 'client_credentials', scope: 'system/Patient.read', audience: 'fhir-api' });
      // RFC 6749 §2.3.1: id and secret form-encoded, then Basic.
      const basic = Buffer.from(String(headers['authorization']).replace(/^Basic /, ''), 'base64').toString('utf8');
      expect(basic).toBe(`hub-client:${encodeURIComponent(oauthEnv.CLIENT_SECRET).replace(/%20/g, '+')}`);
      expect(events).toEqual([{ type: 'token-refreshed' }]);
      expect(logs.join('')).not.toContain('at-1');
      expect(logs.join('')).not.toContain('s3cr3t');
    });

    it('can send the client credentials in the form body instead', async () => {
      const { reader, ctx } = harness({ auth: oauth2({ clientAuthentication: 'body' }) }, oauthEnv);
      const requests = tokenEndpoint([{ access_token: 'at-1', expires_in: 300 }]);
      nock(BASE).get(PATH).reply(200, { data: [] });
      await readAll(reader, null, ctx);
      expect(requests[0]!.headers['authorization']).toBeUndefined();
      expect(Object.fromEntries(requests[0]!.form)).toEqual({
        grant_type: 'client_credentials',
        scope: 'system/Patient.read',
        client_id: 'hub-client',
        client_secret: oauthEnv.CLIENT_SECRET,
      });
    });

    it('caches the token across pages and runs', async () => {
      const { reader, ctx } = harness({ auth: oauth2(), pagination: { type: 'page', size: 1 } }, oauthEnv);
      const requests = tokenEndpoint([{ access_token: 'at-1', expires_in: 3600 }]);
      nock(BASE).get(PATH).query({ page: '1', size: '1' }).times(2).matchHeader('authorization', 'Bearer at-1').reply(200, { data: rows(1, 1) });
      nock(BASE).get(PATH).query({ page: '2', size: '1' }).times(2).matchHeader('authorization', 'Bearer at-1').reply(200, { data: [] });
      await readAll(reader, null, ctx);
      await readAll(reader, null, ctx);
      expect(requests).toHaveLength(1);
    });

    it('refreshes the token 30 s before it expires', async () => {
      const { reader, ctx, clock, events } = harness({ auth: oauth2(), pagination: { type: 'page', size: 1 } }, oauthEnv);
      const requests = tokenEndpoint([
        { access_token: 'at-1', expires_in: 300 },
        { access_token: 'at-2', expires_in: 300 },
      ]);
      nock(BASE).get(PATH).query({ page: '1', size: '1' }).matchHeader('authorization', 'Bearer at-1').reply(200, { data: rows(1, 1) });
      nock(BASE).get(PATH).query({ page: '2', size: '1' }).matchHeader('authorization', 'Bearer at-1').reply(200, { data: rows(2, 1) });
      nock(BASE).get(PATH).query({ page: '3', size: '1' }).matchHeader('authorization', 'Bearer at-1').reply(200, { data: rows(3, 1) });
      nock(BASE).get(PATH).query({ page: '4', size: '1' }).matchHeader('authorization', 'Bearer at-2').reply(200, { data: [] });
      // Each page's successor is requested as soon as it arrives, before the sync is done with it: page 2 at
      // 0 s, page 3 when page 2 arrives (269 s after the token: still good), page 4 when page 3 arrives
      // (271 s: within the last 30 s, replaced).
      let page = 0;
      for await (const _ of reader.read(null, ctx)) {
        page++;
        clock.advance(page === 1 ? 269_000 : 2_000);
      }
      expect(requests).toHaveLength(2);
      expect(events).toEqual([{ type: 'token-refreshed' }, { type: 'token-refreshed' }]);
    });

    it('refreshes the token once on a 401 and retries the request', async () => {
      const { reader, ctx, events } = harness({ auth: oauth2() }, oauthEnv);
      const requests = tokenEndpoint([
        { access_token: 'at-1', expires_in: 3600 },
        { access_token: 'at-2', expires_in: 3600 },
      ]);
      nock(BASE).get(PATH).matchHeader('authorization', 'Bearer at-1').reply(401);
      nock(BASE).get(PATH).matchHeader('authorization', 'Bearer at-2').reply(200, { data: rows(1, 2) });
      const batches = await readAll(reader, null, ctx);
      expect(batches[0]!.records).toHaveLength(2);
      expect(requests).toHaveLength(2);
      expect(events).toEqual([{ type: 'token-refreshed' }, { type: 'token-refreshed' }]);
    });

    it('a second 401 after the refresh fails with CONNECTOR_REQUEST_REFUSED', async () => {
      const { reader, ctx } = harness({ auth: oauth2() }, oauthEnv);
      tokenEndpoint([
        { access_token: 'at-1', expires_in: 3600 },
        { access_token: 'at-2', expires_in: 3600 },
      ]);
      nock(BASE).get(PATH).times(2).reply(401);
      await expect(readAll(reader, null, ctx)).rejects.toMatchObject({
        code: 'CONNECTOR_REQUEST_REFUSED',
        message: expect.stringContaining('check the OAuth2 client in CLIENT_ID and CLIENT_SECRET'),
      });
    });

    it('a refused token request names the OAuth error and the token path', async () => {
      const { reader, ctx } = harness({ auth: oauth2() }, oauthEnv);
      nock(TOKEN_ORIGIN).post(TOKEN_PATH).reply(401, { error: 'invalid_client', error_description: 'Client hub-client unknown' });
      const err = await failureOf(readAll(reader, null, ctx));
      expect(err).toMatchObject({ code: 'CONNECTOR_REQUEST_REFUSED' });
      expect(err.message).toContain(`POST ${TOKEN_PATH} was refused with HTTP 401 Unauthorized (invalid_client)`);
      expect(err.message).not.toContain('hub-client unknown');
      expect(err.message).toContain('check the OAuth2 client in CLIENT_ID and CLIENT_SECRET and its scope (and clientAuthentication: basic or body, as the provider takes them; now basic)');
    });

    it('a token endpoint that is not one (404) points at its address, not at the client', async () => {
      const { reader, ctx } = harness({ auth: oauth2({ tokenUrl: { env: 'TOKEN_URL' } }) }, { ...oauthEnv, TOKEN_URL: `${TOKEN_ORIGIN}/oauth/nope` });
      nock(TOKEN_ORIGIN).post('/oauth/nope').reply(404);
      const err = await failureOf(readAll(reader, null, ctx));
      expect(err).toMatchObject({ code: 'CONNECTOR_REQUEST_REFUSED' });
      expect(err.message).toContain("HTTP 404 Not Found; check the token endpoint's address (TOKEN_URL)");
      expect(err.message).not.toContain('CLIENT_SECRET');
    });

    it('refuses a token response over 256 KiB as it arrives (QA: 200 MB were read whole)', async () => {
      const { reader, ctx } = harness({ auth: oauth2() }, oauthEnv);
      nock(TOKEN_ORIGIN).post(TOKEN_PATH).reply(200, `${' '.repeat(300 * 1024)}{"access_token":"at-1"}`, { 'content-type': 'application/json' });
      const err = await failureOf(readAll(reader, null, ctx));
      expect(err).toMatchObject({ code: 'CONNECTOR_MALFORMED_RESPONSE' });
      expect(err.message).toBe(`POST ${TOKEN_PATH} answered with more than 262144 bytes, refused: that is no token response; check the token URL`);
    });

    it('a token response without access_token is malformed', async () => {
      const { reader, ctx } = harness({ auth: oauth2() }, oauthEnv);
      nock(TOKEN_ORIGIN).post(TOKEN_PATH).reply(200, { token_type: 'Bearer' });
      await expect(readAll(reader, null, ctx)).rejects.toMatchObject({ code: 'CONNECTOR_MALFORMED_RESPONSE' });
    });
  });
});
