import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpConfigSchema } from './http.schema.js';

const school = {
  baseUrl: { env: 'SCHOOL_API_URL', default: 'http://127.0.0.1:4102' },
  auth: { type: 'apiKey', header: 'X-Api-Key', value: { env: 'SCHOOL_API_KEY' } },
  request: { path: '/api/v1/hoc-sinh', params: { nam_hoc: '2026-2027' }, headers: { Accept: 'application/json' } },
  records: 'data',
  pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next_cursor' },
  incremental: { param: 'updated_since', cursorField: 'ngay_cap_nhat', lookback: 'PT10M', format: 'iso' },
  timeoutMs: 15000,
  requestsPerSecond: 20,
  retry: { maxAttempts: 6, initialDelayMs: 500, maxDelayMs: 30000 },
};

const healthStation = {
  baseUrl: 'http://127.0.0.1:4101/fhir',
  auth: {
    type: 'oauth2ClientCredentials',
    tokenUrl: 'http://127.0.0.1:4101/oauth/token',
    clientId: { env: 'HEALTH_CLIENT_ID' },
    clientSecret: { env: 'HEALTH_CLIENT_SECRET' },
    scope: 'system/Patient.read system/Immunization.read',
  },
  request: { path: '/Patient', params: { _include: 'Patient:immunization' } },
  records: 'entry[resource.resourceType=Patient].resource',
  include: {
    immunizations: { path: 'entry[resource.resourceType=Immunization].resource', key: 'patient.reference', equals: 'Patient/{id}' },
  },
  pagination: { type: 'nextLink' },
  incremental: { param: '_lastUpdated', cursorField: 'meta.lastUpdated', format: 'fhir' },
};

describe('httpConfigSchema', () => {
  it('accepts the documented example and fills the documented defaults', () => {
    const parsed = httpConfigSchema.parse({ ...school, timeoutMs: undefined, requestsPerSecond: undefined, retry: undefined });
    expect(parsed.timeoutMs).toBe(15_000);
    expect(parsed.requestsPerSecond).toBe(10);
    expect(parsed.maxPageBytes).toBe(32 * 1024 * 1024);
    expect(parsed.maxPageRecords).toBe(10_000);
    expect(parsed.retry).toEqual({ maxAttempts: 6, initialDelayMs: 500, maxDelayMs: 30_000 });
    expect(httpConfigSchema.parse({ ...school, retry: { maxAttempts: 3 } }).retry).toEqual({ maxAttempts: 3, initialDelayMs: 500, maxDelayMs: 30_000 });
  });

  it('accepts a FHIR definition: nextLink defaults to the Bundle link, lookback to none, OAuth2 to Basic client auth', () => {
    const parsed = httpConfigSchema.parse(healthStation);
    expect(parsed.pagination).toEqual({ type: 'nextLink', path: 'link[relation=next].url' });
    expect(parsed.incremental).toEqual({ param: '_lastUpdated', cursorField: 'meta.lastUpdated', format: 'fhir', lookback: 'PT0S' });
    expect(parsed.auth).toMatchObject({ type: 'oauth2ClientCredentials', clientAuthentication: 'basic' });
    expect(parsed.request.headers).toEqual({});
  });

  it('fills the page and offset defaults', () => {
    expect(httpConfigSchema.parse({ ...school, pagination: { type: 'page' } }).pagination).toEqual({
      type: 'page',
      pageParam: 'page',
      sizeParam: 'size',
      size: 500,
      firstPage: 1,
    });
    expect(httpConfigSchema.parse({ ...school, pagination: { type: 'offset' } }).pagination).toEqual({
      type: 'offset',
      offsetParam: 'offset',
      limitParam: 'limit',
      limit: 500,
    });
  });

  it.each([
    ['a literal API key', { auth: { type: 'apiKey', header: 'X-Api-Key', value: 'k3y' } }],
    ['a secret with a default', { auth: { type: 'bearer', token: { env: 'TOKEN', default: 'x' } } }],
    ['a literal password', { auth: { type: 'basic', username: 'u', password: 'p' } }],
    ['a literal client secret', { auth: { ...healthStation.auth, clientSecret: 's3cret' } }],
    ['an API key both in a header and the query', { auth: { type: 'apiKey', header: 'X', query: 'k', value: { env: 'K' } } }],
    ['an API key with nowhere to go', { auth: { type: 'apiKey', value: { env: 'K' } } }],
    ['an unknown auth type', { auth: { type: 'digest' } }],
    ['an unknown option', { retries: 3 }],
    ['an unknown pagination type', { pagination: { type: 'token' } }],
    ['a cursor size without its parameter', { pagination: { type: 'cursor', cursorParam: 'c', cursorPath: 'n', size: 100 } }],
    ['a lookback that is not a duration', { incremental: { ...school.incremental, lookback: '10 minutes' } }],
    ['an unknown incremental format', { incremental: { ...school.incremental, format: 'epoch' } }],
    ['a lower-case variable name', { baseUrl: { env: 'school_url' } }],
    ['no pagination', { pagination: undefined }],
  ])('refuses %s', (_what, change) => {
    expect(httpConfigSchema.safeParse({ ...school, ...change }).success).toBe(false);
  });

  it.each(['PT10M', 'P1D', 'P1DT12H', 'PT0.5S', 'P2W', 'P1Y2M'])('accepts the lookback %s', (lookback) => {
    expect(httpConfigSchema.safeParse({ ...school, incremental: { ...school.incremental, lookback } }).success).toBe(true);
  });

  it('refuses a path setting that does not compile, naming the setting and the reason', () => {
    const problems = (config: unknown) => {
      const r = httpConfigSchema.safeParse(config);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ ...school, records: '.' })).toEqual([expect.stringMatching(/^records: invalid path "\." at 1: a key is missing before "\."/)]);
    expect(problems({ ...school, incremental: { ...school.incremental, cursorField: 'updated_at[' } })).toEqual([
      expect.stringMatching(/^incremental\.cursorField: invalid path "updated_at\[" at 11: unclosed "\["/),
    ]);
    expect(problems({ ...school, pagination: { ...school.pagination, cursorPath: 'a..b' } })).toEqual([expect.stringMatching(/^pagination\.cursorPath: invalid path/)]);
    expect(problems({ ...healthStation, pagination: { type: 'nextLink', path: 'link[relation=next' } })).toEqual([expect.stringMatching(/^pagination\.path: invalid path/)]);
    const include = healthStation.include.immunizations;
    expect(problems({ ...healthStation, include: { immunizations: { ...include, path: 'entry[]' } } })).toEqual([
      expect.stringMatching(/^include\.immunizations\.path: invalid path "entry\[\]" at 6: a bracket holds/),
    ]);
    expect(problems({ ...healthStation, include: { immunizations: { ...include, key: '$.patient' } } })).toEqual([
      'include.immunizations.key: a `$.` path reaches the record root and is only meaningful inside a value',
    ]);
    expect(problems({ ...healthStation, include: { immunizations: { ...include, equals: 'Patient/{id' } } })).toEqual([
      expect.stringMatching(/^include\.immunizations\.equals: unclosed "\{" in include template/),
    ]);
    expect(problems({ ...healthStation, include: { immunizations: { ...include, equals: 'Patient/{a..b}' } } })).toEqual([
      expect.stringMatching(/^include\.immunizations\.equals: invalid path "a\.\.b"/),
    ]);
  });

  it('bounds every duration in ms (and the request rate) below what a timer holds', () => {
    const problems = (config: unknown) => {
      const r = httpConfigSchema.safeParse(config);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    // 2^31 ms: Node fires such a timer at once, so every request would time out.
    expect(problems({ ...school, timeoutMs: 2 ** 31 })).toEqual(['timeoutMs: must be at most 600000 (10 minutes)']);
    expect(problems({ ...school, timeoutMs: 600_000 })).toEqual([]);
    expect(problems({ ...school, retry: { initialDelayMs: 600_001, maxDelayMs: 3_600_001 } })).toEqual([
      'retry.initialDelayMs: must be at most 600000 (10 minutes)',
      'retry.maxDelayMs: must be at most 3600000 (1 hour)',
    ]);
    // 1000 / 1e-7 ms between requests would overflow the timer too.
    expect(problems({ ...school, requestsPerSecond: 1e-7 })).toEqual(['requestsPerSecond: must be at least 0.001 (one request every 1000 s)']);
    expect(problems({ ...school, requestsPerSecond: 0.001 })).toEqual([]);
  });

  it('bounds the page limits by what a sync holds within its heap (measured: docs/connectors.md#kind-http)', () => {
    const problems = (config: unknown) => {
      const r = httpConfigSchema.safeParse(config);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ ...school, maxPageBytes: 64 * 1024 * 1024 + 1 })).toEqual(['maxPageBytes: must be at most 67108864 (64 MiB)']);
    expect(problems({ ...school, maxPageRecords: 50_001 })).toEqual(['maxPageRecords: must be at most 50000']);
    expect(problems({ ...school, maxPageBytes: 64 * 1024 * 1024, maxPageRecords: 50_000 })).toEqual([]);
  });

  it('converts to JSON Schema, with a description on every option', () => {
    for (const io of ['input', 'output'] as const) {
      const json = z.toJSONSchema(httpConfigSchema, { io }) as Record<string, unknown>;
      expect(json['type']).toBe('object');
      expect(JSON.stringify(json)).toContain('link[relation=next].url');
    }
    const json = z.toJSONSchema(httpConfigSchema, { io: 'input' }) as {
      properties: Record<string, { description?: string; anyOf?: unknown; oneOf?: unknown }>;
      required: string[];
    };
    for (const [key, prop] of Object.entries(json.properties)) {
      expect(prop.description, key).toBeTruthy();
    }
    expect(json.required.sort()).toEqual(['baseUrl', 'pagination', 'records', 'request']);
    // Every property of every nested object carries a description too.
    const undescribed: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n['properties'] && typeof n['properties'] === 'object') {
        for (const [k, v] of Object.entries(n['properties'] as Record<string, Record<string, unknown>>)) {
          const described = typeof v['description'] === 'string' || k === 'env' || k === 'default';
          if (!described) undescribed.push(`${path}.${k}`);
          walk(v, `${path}.${k}`);
        }
      }
      for (const key of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(n[key])) (n[key] as unknown[]).forEach((x) => walk(x, path));
      if (n['additionalProperties'] && typeof n['additionalProperties'] === 'object') walk(n['additionalProperties'], `${path}.*`);
    };
    walk(json, 'http');
    expect(undescribed).toEqual([]);
  });
});
