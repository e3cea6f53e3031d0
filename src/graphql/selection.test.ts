import { execute, GraphQLBoolean, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type GraphQLResolveInfo } from 'graphql';
import { describe, expect, it } from 'vitest';
import { releasedPageItems, selectedFieldNamesAt } from './selection.js';

describe('selection helpers', () => {
  let seen: GraphQLResolveInfo | undefined;
  const pageInfo = new GraphQLObjectType({
    name: 'PageInfo',
    fields: { hasNextPage: { type: GraphQLBoolean }, startCursor: { type: GraphQLString }, endCursor: { type: GraphQLString } },
  });
  const edge = new GraphQLObjectType({ name: 'Edge', fields: { cursor: { type: GraphQLString } } });
  const page = new GraphQLObjectType({
    name: 'Page',
    fields: { edges: { type: new GraphQLList(edge) }, nodes: { type: new GraphQLList(GraphQLString) }, pageInfo: { type: pageInfo }, totalCount: { type: GraphQLString } },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { page: { type: page, resolve: (_s, _a, _c, info) => { seen = info; return null; } } },
    }),
  });
  const infoOf = async (query: string) => {
    seen = undefined;
    await execute({ schema, document: parse(query) });
    return seen!;
  };
  const items = ['a', 'b', 'c'];

  it('finds the fields under a path through fragments', async () => {
    const info = await infoOf('{ page { ...P pageInfo { hasNextPage } } } fragment P on Page { pageInfo { ... on PageInfo { endCursor } } }');
    expect(selectedFieldNamesAt(info, ['pageInfo'])).toEqual(new Set(['hasNextPage', 'endCursor']));
    expect(selectedFieldNamesAt(info, ['edges'])).toEqual(new Set());
  });

  it('releases every item with edges or nodes, the first or last with a cursor of pageInfo, none with a count', async () => {
    expect(releasedPageItems(await infoOf('{ page { edges { cursor } } }'), items)).toEqual(items);
    expect(releasedPageItems(await infoOf('{ page { ... on Page { nodes } } }'), items)).toEqual(items);
    expect(releasedPageItems(await infoOf('{ page { pageInfo { endCursor } } }'), items)).toEqual(['c']);
    expect(releasedPageItems(await infoOf('{ page { pageInfo { startCursor endCursor } } }'), items)).toEqual(['a', 'c']);
    expect(releasedPageItems(await infoOf('{ page { pageInfo { startCursor endCursor } } }'), ['a'])).toEqual(['a']);
    expect(releasedPageItems(await infoOf('{ page { totalCount pageInfo { hasNextPage } } }'), items)).toEqual([]);
  });
});
