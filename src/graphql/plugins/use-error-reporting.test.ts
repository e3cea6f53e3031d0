import { ApolloServer } from '@apollo/server';
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../errors/index.js';
import { createLogger } from '../../observability/logger.js';
import type { GraphQLContext } from '../context.js';
import { formatError } from '../errors/format-error.js';
import { depthLimitRule } from '../validation/depth-limit.rule.js';
import { useErrorReporting } from './use-error-reporting.js';

interface LogLine { level: number; msg: string; requestId?: string; err?: { type?: string; stack?: string } }

describe('useErrorReporting', () => {
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });
  const node: GraphQLObjectType = new GraphQLObjectType({
    name: 'Node',
    fields: () => ({ name: { type: GraphQLString }, next: { type: node, resolve: () => ({ name: 'x' }) } }),
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        echo: { type: GraphQLInt, args: { n: { type: GraphQLInt } }, resolve: (_s, { n }) => n },
        node: { type: node, resolve: () => ({ name: 'x' }) },
        refused: { type: GraphQLString, resolve: () => { throw new InvalidInputError('`n` must be positive', { argument: 'n' }); } },
        broken: { type: GraphQLString, resolve: () => { throw new TypeError('Cannot read properties of undefined'); } },
      },
    }),
  });
  const server = new ApolloServer<GraphQLContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    validationRules: [depthLimitRule(3)],
    plugins: [useErrorReporting(logger)],
  });
  const run = async (query: string, variables?: Record<string, unknown>) => {
    lines.length = 0;
    const res = await server.executeOperation({ query, variables }, { contextValue: { requestId: 'req-7' } as GraphQLContext });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    return res.body.singleResult.errors?.map((e) => e.extensions?.code);
  };

  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('does not log the client\'s mistakes as server errors (QA: an unknown field logged at level 50 with a stack)', async () => {
    expect(await run('{ echo(n: 1) totalCount }')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(lines).toEqual([]);
    expect(await run('{ echo(n: 1) ')).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(lines).toEqual([]);
    expect(await run('{ node { next { next { next { name } } } } }')).toEqual(['QUERY_TOO_DEEP']);
    expect(lines).toEqual([]);
    // A variable that does not coerce: the message quotes its value, which may be a child's name.
    expect(await run('query($n: Int) { echo(n: $n) }', { n: 'Nguyễn Thị Thu Hà' })).toEqual(['BAD_USER_INPUT']);
    expect(lines).toEqual([]);
    expect(await run('query A { echo(n: 1) } query B { echo(n: 2) }')).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    expect(lines).toEqual([]);
    expect(await run('{ refused }')).toEqual(['BAD_USER_INPUT']);
    expect(lines).toEqual([]);
  });

  it('still logs a fault of the hub as an error, with its stack and the request id', async () => {
    expect(await run('{ broken }')).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'unexpected error in GraphQL request', requestId: 'req-7', err: { type: 'TypeError' } });
    expect(lines[0]!.err!.stack).toContain('use-error-reporting.test.ts');
  });
});
