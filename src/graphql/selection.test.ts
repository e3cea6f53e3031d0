import { execute, GraphQLBoolean, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type GraphQLResolveInfo } from 'graphql';
import { describe, expect, it } from 'vitest';
import { selectedFieldNamesAt, toldPageItems } from './selection.js';

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

  it('tells every item with edges, nodes or a cursor of pageInfo, every row fetched with hasNextPage, none with a count alone (QA: cursors compared told a child\'s membership)', async () => {
    const fetched = [...items, 'd'];
    expect(toldPageItems(await infoOf('{ page { edges { cursor } } }'), items, fetched)).toEqual(items);
    expect(toldPageItems(await infoOf('{ page { ... on Page { nodes } } }'), items, fetched)).toEqual(items);
    expect(toldPageItems(await infoOf('{ page { pageInfo { endCursor } } }'), items, fetched)).toEqual(items);
    expect(toldPageItems(await infoOf('{ page { pageInfo { startCursor } } }'), items, fetched)).toEqual(items);
    expect(toldPageItems(await infoOf('{ page { nodes pageInfo { hasNextPage } } }'), items, fetched)).toEqual(fetched);
    expect(toldPageItems(await infoOf('{ page { totalCount pageInfo { hasNextPage } } }'), items, fetched)).toEqual(fetched);
    expect(toldPageItems(await infoOf('{ page { totalCount } }'), items, fetched)).toEqual([]);
    expect(toldPageItems(await infoOf('{ page { totalCount } }'), items, fetched, true)).toEqual(items);
  });
});
