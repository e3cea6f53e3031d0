import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConnectorCatalog } from '../src/connectors/definition/connector-catalog.js';
import { connectorDefinitionSchema, connectorJsonSchema } from '../src/connectors/definition/connector-definition.schema.js';

/**
 * The published JSON Schema against the loader: editors must refuse what `validate` refuses wherever JSON Schema can
 * say it (QA: the schema took a file connector without `file`, a literal `Authorization` header, a value with two
 * sources…), and take every definition the hub ships.
 */
const ajv = new Ajv2020({ strict: false, allErrors: true });
const check = ajv.compile(connectorJsonSchema());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions are edited freely here, as YAML holds them
type Definition = Record<string, any>;
const catalog = ConnectorCatalog.load();
const read = (name: string): Definition => YAML.parse(readFileSync(catalog.get(name).file, 'utf8')) as Definition;
const file = () => read('justice-register');
const http = () => read('school');
const edit = (d: Definition, change: (d: Definition) => void) => (change(d), d);
const firstField = (d: Definition) => d.records[0].fields;

/** Definitions the loader refuses, each of which the schema must refuse too. */
const refused: Array<[string, () => Definition]> = [
  ['kind: file without file', () => edit(file(), (d) => delete d.file)],
  ['kind: http without http', () => edit(http(), (d) => delete d.http)],
  ['a file connector with http', () => edit(file(), (d) => (d.http = http().http))],
  ['an http connector with file', () => edit(http(), (d) => (d.file = file().file))],
  ['a file connector with removals', () => edit(file(), (d) => (d.removals = { maxShare: 0.05 }))],
  ['an http connector with two record types', () => edit(http(), (d) => d.records.push({ ...d.records[0], recordType: 'facility' }))],
  ['a full-read schedule without incremental', () => edit(http(), (d) => { delete d.http.incremental; d.removals = { fullReadSchedule: '0 1 * * *' }; })],
  ['a literal Authorization header', () => edit(http(), (d) => (d.http.request.headers.Authorization = 'Bearer x'))],
  ['a literal X-Api-Key header', () => edit(http(), (d) => (d.http.request.headers['X-Api-Key'] = 'abc'))],
  ['a credential header from the environment with a default', () => edit(http(), (d) => (d.http.request.headers['x-auth-token'] = { env: 'T', default: 'abc' }))],
  ['a numeric literal under a credential name', () => edit(http(), (d) => (d.http.request.headers['X-Api-Key'] = 123456))],
  ['a Bearer value under any header name', () => edit(http(), (d) => (d.http.request.headers['X-Custom'] = '  bearer abc'))],
  ['a Basic value as a header default', () => edit(http(), (d) => (d.http.request.headers['X-Custom'] = { env: 'C', default: 'Basic abc' }))],
  ['a literal api_key parameter', () => edit(http(), (d) => (d.http.request.params.api_key = 'abc'))],
  ['a literal accessToken parameter', () => edit(http(), (d) => (d.http.request.params.accessToken = 'abc'))],
  ['a literal JSESSIONID parameter', () => edit(http(), (d) => (d.http.request.params.JSESSIONID = 'abc'))],
  ['a literal secret in auth', () => edit(http(), (d) => (d.http.auth.value = 'abc'))],
  ['a secret with a default', () => edit(http(), (d) => (d.http.auth.value = { env: 'K', default: 'abc' }))],
  ['apiKey with header and query', () => edit(http(), (d) => (d.http.auth = { type: 'apiKey', header: 'X-Api-Key', query: 'k', value: { env: 'K' } }))],
  ['apiKey with neither header nor query', () => edit(http(), (d) => (d.http.auth = { type: 'apiKey', value: { env: 'K' } }))],
  ['a cursor page size without its parameter', () => edit(http(), (d) => (d.http.pagination = { type: 'cursor', cursorParam: 'c', cursorPath: 'n', size: 10 }))],
  ['an empty value', () => edit(file(), (d) => (firstField(d).fullName = {}))],
  ['from and value together', () => edit(file(), (d) => (firstField(d).fullName = { from: 'a', value: 'x' }))],
  ['join and firstOf together', () => edit(file(), (d) => (firstField(d).fullName = { join: ['a'], firstOf: ['b'] }))],
  ['map without from', () => edit(file(), (d) => (firstField(d).fullName = { map: { a: 'b' } }))],
  ['equals and contains together', () => edit(file(), (d) => (d.records[0].when = { from: 'a', equals: 'x', contains: 'y' }))],
  ['map and a test together', () => edit(file(), (d) => (d.records[0].when = { from: 'a', map: { x: true }, present: true }))],
  ['a default without map', () => edit(file(), (d) => (firstField(d).fullName = { from: 'a', default: 'x' }))],
  ['a separator without join', () => edit(file(), (d) => (firstField(d).fullName = { from: 'a', separator: ' ' }))],
  ['formats with parse sex', () => edit(file(), (d) => (firstField(d).sex = { from: 'a', parse: 'sex', formats: ['yyyy'] }))],
  ['codeSet with parse text', () => edit(file(), (d) => (firstField(d).fullName = { from: 'a', parse: 'text', codeSet: 'VN-2025' }))],
  ['a facility record with child fields', () => edit(file(), (d) => (d.records[0].recordType = 'facility'))],
  ['a projection with no fields', () => edit(file(), (d) => (d.records[0].projections = { disability: [{ fields: {} }] }))],
  ['an empty drop directory', () => edit(file(), (d) => (d.file.directory = ' '))],
  ['an empty drop directory as a default', () => edit(file(), (d) => (d.file.directory = { env: 'D', default: '' }))],
  ['a settleSeconds default that is no number of seconds', () => edit(file(), (d) => (d.file.settleSeconds = { env: 'S', default: 'abc' }))],
  ['a line break as the delimiter', () => edit(file(), (d) => (d.file.csv.delimiter = '\n'))],
];

/** Definitions both take (near the rules above, so the schema is not refusing too much). */
const taken: Array<[string, () => Definition]> = [
  ['credential headers and parameters from the environment', () => edit(http(), (d) => {
    d.http.request.headers.Authorization = { env: 'AUTHZ' };
    d.http.request.params.api_key = { env: 'KEY' };
  })],
  ['ordinary names and values', () => edit(http(), (d) => {
    Object.assign(d.http.request.headers, { 'X-Count': 12, 'Idempotency-Key': 'abc', 'X-Cache-Key': 'x', 'X-Custom': 'Bearing north' });
    Object.assign(d.http.request.params, { pageToken: 'abc', sort_key: 'name', has_signature: true, token_type: 'x' });
  })],
  ['apiKey in the query', () => edit(http(), (d) => (d.http.auth = { type: 'apiKey', query: 'api_key', value: { env: 'K' } }))],
  ['map with a default, and a test', () => edit(file(), (d) => {
    firstField(d).fullName = { from: 'a', map: { x: 'y' }, default: null };
    d.records[0].when = { from: 'a', present: true };
  })],
  ['formats without a parse', () => edit(file(), (d) => (firstField(d).birthDate = { from: 'a', formats: ['yyyy'] }))],
];

const accepted = (d: Definition) => check(d);
const loaderTakes = (d: Definition) => connectorDefinitionSchema.safeParse(d).success;

describe('the published JSON Schema (connectors/connector.schema.json)', () => {
  it('takes every definition the hub ships', () => {
    for (const name of catalog.names()) expect(accepted(read(name)), `${name}: ${ajv.errorsText(check.errors)}`).toBe(true);
  });

  it.each(refused)('refuses what the loader refuses: %s', (_, make) => {
    const d = make();
    expect(loaderTakes(d)).toBe(false);
    expect(accepted(d)).toBe(false);
  });

  it.each(taken)('takes what the loader takes: %s', (_, make) => {
    const d = make();
    expect(connectorDefinitionSchema.safeParse(d).error?.issues ?? []).toEqual([]);
    expect(accepted(d), ajv.errorsText(check.errors)).toBe(true);
  });
});
