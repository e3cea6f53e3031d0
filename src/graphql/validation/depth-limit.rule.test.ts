import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildHubSchema } from '../schema.js';
import { depthLimitRule } from './depth-limit.rule.js';

describe('depthLimitRule', () => {
  const check = async (query: string, max: number) =>
    validate(await buildHubSchema(), parse(query), [depthLimitRule(max)]).map((e) => [e.message, e.extensions.code]);

  it('accepts operations up to the limit and rejects deeper ones with QUERY_TOO_DEEP', async () => {
    const q = '{ children { edges { node { sourceRecords { id } } } } }'; // depth 5
    expect(await check(q, 5)).toEqual([]);
    expect(await check(q, 4)).toEqual([['Operation depth 5 exceeds the maximum of 4', 'QUERY_TOO_DEEP']]);
  });

  it('follows fragments and ignores introspection fields', async () => {
    const q = 'fragment F on Child { sourceRecords { id } } { children { nodes { ...F } } }'; // depth 4
    expect(await check(q, 3)).toHaveLength(1);
    expect(await check('{ __schema { types { fields { type { ofType { name } } } } } }', 2)).toEqual([]);
  });
});
