import { describe, expect, it } from 'vitest';
import { OAuth2TokenEndpoint } from './oauth2-token-endpoint.js';

const FORM = 'application/x-www-form-urlencoded';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('OAuth2TokenEndpoint', () => {
  it('issues a bearer token to a client authenticated by Basic or in the body, valid until it expires', () => {
    let now = 0;
    const ep = new OAuth2TokenEndpoint({ clientId: 'hub', clientSecret: 'p@ss word', ttlSeconds: 60, now: () => now });
    const byBasic = ep.token(FORM, basic('hub', encodeURIComponent('p@ss word')), 'grant_type=client_credentials');
    expect(byBasic.status).toBe(200);
    expect(byBasic.body).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    const byBody = ep.token(`${FORM}; charset=utf-8`, undefined, 'grant_type=client_credentials&client_id=hub&client_secret=p%40ss+word&scope=a+b');
    expect(byBody.body.scope).toBe('a b');
    const header = `Bearer ${byBasic.body.access_token as string}`;
    expect(ep.verify(header)).toEqual({ ok: true });
    now = 59_999;
    expect(ep.verify(header)).toEqual({ ok: true });
    now = 60_000;
    expect(ep.verify(header)).toEqual({ ok: false, reason: 'expired' });
    expect(ep.verify('Bearer nope')).toEqual({ ok: false, reason: 'invalid' });
    expect(ep.verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(ep.issued).toBe(2);
  });

  it('refuses bad clients, other grants and bodies that are not forms', () => {
    const ep = new OAuth2TokenEndpoint({ clientId: 'hub', clientSecret: 's' });
    const wrong = ep.token(FORM, basic('hub', 'x'), 'grant_type=client_credentials');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    expect(wrong.headers['www-authenticate']).toContain('Basic');
    expect(ep.token(FORM, undefined, 'grant_type=client_credentials').status).toBe(401);
    expect(ep.token(FORM, undefined, 'grant_type=password&client_id=hub&client_secret=s').body.error).toBe('unsupported_grant_type');
    expect(ep.token('application/json', undefined, '{}').body.error).toBe('invalid_request');
    expect(ep.token(FORM, 'Basic !!!', 'grant_type=client_credentials').status).toBe(401);
    expect(ep.refused).toBe(5);
  });
});
