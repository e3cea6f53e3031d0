import { getIntrospectionQuery, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildHubSchema } from '../schema.js';
import { costLimitRule, operationCost } from './cost-limit.rule.js';

describe('costLimitRule', () => {
  let schema: Awaited<ReturnType<typeof buildHubSchema>>;
  beforeAll(async () => {
    schema = await buildHubSchema();
  });
  const cost = (query: string, maxPage?: number) => {
    const doc = parse(query);
    return operationCost(schema, doc, doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode, { maxPage });
  };

  it('counts each field times how many of it there can be: a page once, its nodes once per item, another list 10', () => {
    expect(cost('{ me { subject } }')).toBe(2);
    // children: 1 + 3 (pageInfo and its two fields, once: QA found them counted per item) + 5 × (nodes: 1 + id + sourceRecords × 10 × (1 + id)).
    expect(cost('{ children(first: 5) { pageInfo { hasNextPage endCursor } nodes { id sourceRecords { id } } } }')).toBe(1 + 3 + 5 * (1 + 1 + 10 * 2));
    expect(cost('{ children(first: 5) { edges { cursor node { id } } } }')).toBe(1 + 5 * (1 + 1 + 2));
    // The argument's default (20), or the largest page for a variable, whose value validation does not see.
    expect(cost('{ children { nodes { id } } }')).toBe(1 + 20 * 2);
    expect(cost('query($n: Int) { children(first: $n) { nodes { id } } }')).toBe(1 + 100 * 2);
    expect(cost('query($n: Int) { children(first: $n) { nodes { id } } }', 50)).toBe(1 + 50 * 2);
    // A `first` over the largest page counts as the largest: its resolver refuses it, naming the argument (QA).
    expect(cost('{ children(first: 1000000) { nodes { id } } }')).toBe(1 + 100 * 2);
    // One below 1 counts as 1, never less: a negative page took the cost of the fields beside it away (QA re-check).
    expect(cost('{ connectorRuns(first: -2000000000) { id } children(first: 5) { nodes { id } } }')).toBe(1 * 2 + 1 + 5 * 2);
    // A paged list (not a connection) is its page's items.
    expect(cost('{ connectorRuns(connector: "school", first: 7) { id status } }')).toBe(7 * 3);
    // Aliases and fragments count as the fields they are; introspection is free.
    expect(cost('fragment F on Child { id fullName } { a: children(first: 2) { nodes { ...F } } b: children(first: 2) { nodes { ... on Child { id } } } }'))
      .toBe(1 + 2 * 3 + 1 + 2 * 2);
    expect(cost('{ __typename me { __typename } }')).toBe(1);
  });

  it('lets a dashboard ask for two counted pages of 100 in one request (QA: refused, as the count was counted per item)', () => {
    const q = '{ a: children(first: 100, filter: { group: ABANDONED }) { totalCount nodes { id } } b: children(first: 100) { totalCount nodes { id } } }';
    expect(cost(q)).toBe(2 * (1 + 1_000 + 100 * 2));
    expect(validate(schema, parse(q), [costLimitRule(200_000)])).toEqual([]);
  });

  it('counts introspection as any query, a count and a mutation as the work they do (QA: 500 aliases of __schema, 1,000 counts, 300 registry checks)', () => {
    expect(cost('{ __schema { types { name fields { name } } } }')).toBe(1 + 10 * (2 + 10 * 2));
    expect(cost(getIntrospectionQuery())).toBeLessThan(200_000); // a tool's introspection still works
    expect(cost('{ children(first: 1) { totalCount } }')).toBe(1 * (1 + 1_000));
    expect(cost('mutation { requestIdentityReconciliation(childId: "chd_1") }')).toBe(10_000);
    const check = (q: string) => validate(schema, parse(q), [costLimitRule(200_000)]).map((e) => e.extensions.code);
    const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');
    expect(check(`{ ${aliases(500, '__schema { types { name fields { name args { name } } } }')} }`)).toEqual(['QUERY_TOO_COSTLY']);
    expect(check(`{ ${aliases(300, 'children(first: 1) { totalCount }')} }`)).toEqual(['QUERY_TOO_COSTLY']);
    expect(check(`mutation { ${aliases(20, 'requestIdentityReconciliation(childId: "chd_1")')} }`)).toEqual([]);
    expect(check(`mutation { ${aliases(21, 'requestIdentityReconciliation(childId: "chd_1")')} }`)).toEqual(['QUERY_TOO_COSTLY']);
  });

  it('refuses an operation over the maximum with QUERY_TOO_COSTLY, saying what to do (QA: 300 aliases of a page took 6.9 s)', () => {
    const page = 'identityConflicts(first: 100) { nodes { number children { id fullName sourceRecords { id fullName } } } }';
    const one = `{ ${page} }`;
    const many = `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: ${page}`).join(' ')} }`;
    const check = (q: string) => validate(schema, parse(q), [costLimitRule(200_000)]).map((e) => [e.extensions.code, e.message]);
    expect(check(one)).toEqual([]);
    const [refused] = check(many);
    expect(refused?.[0]).toBe('QUERY_TOO_COSTLY');
    expect(refused?.[1]).toMatch(/^Operation could resolve at least [\d,]+ fields, over the maximum of 200,000: ask for smaller pages/);
  });

  it('stops counting a fragment bomb once it is over the maximum', () => {
    const frags = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Child { id ${i === 29 ? '' : `...F${i + 1} ... on Child { ...F${i + 1} }`} }`);
    const q = `${frags.join(' ')} { children(first: 100) { nodes { ...F0 } } }`; // 2^29 copies of id per child
    const started = Date.now();
    expect(validate(schema, parse(q), [costLimitRule(200_000)]).map((e) => e.extensions.code)).toContain('QUERY_TOO_COSTLY');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
