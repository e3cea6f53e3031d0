import { describe, expect, it } from 'vitest';
import { connectorDefinitionSchema } from './connector-definition.schema.js';
import { keysAt, nearestKey } from './key-suggestion.js';

describe('the key a misspelt one meant (newcomer QA: no suggestion)', () => {
  it('finds the keys an object takes at a path of the definition, through arrays, optionals and unions', () => {
    expect(keysAt(connectorDefinitionSchema, [])).toEqual(expect.arrayContaining(['name', 'sourceSystem', 'kind', 'http', 'records']));
    expect(keysAt(connectorDefinitionSchema, ['http'])).toEqual(expect.arrayContaining(['baseUrl', 'requestsPerSecond', 'optionalPaths']));
    expect(keysAt(connectorDefinitionSchema, ['records', 0, 'fields'])).toEqual(expect.arrayContaining(['fullName', 'birthDate', 'communeCode']));
    expect(keysAt(connectorDefinitionSchema, ['nothing', 'here'])).toEqual([]);
  });

  it('suggests the nearest key within two edits, none when two are as near or none is', () => {
    expect(nearestKey('fulName', ['fullName', 'familyName', 'givenName'])).toBe('fullName');
    expect(nearestKey('requestsPerSecnd', ['requestsPerSecond', 'retry'])).toBe('requestsPerSecond');
    expect(nearestKey('titel', ['title', 'name'])).toBe('title');
    expect(nearestKey('frequency', ['schedule', 'name'])).toBeNull();
    expect(nearestKey('nam', ['name', 'kind'])).toBe('name');
    expect(nearestKey('ab', ['ac', 'ad'])).toBeNull();
  });
});
