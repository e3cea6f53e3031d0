import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../errors/index.js';
import { buildHubSchema } from '../schema.js';
import { depthLimitRule } from '../validation/depth-limit.rule.js';
import { formatError } from './format-error.js';

describe('error masking', () => {
  const wrap = (original: Error) => new GraphQLError(original.message, { originalError: original, path: ['child'] });

  it('keeps typed errors with their stable code', () => {
    const out = formatError({ message: 'x', path: ['child'] }, wrap(new NotFoundError('No child chd_1 in your jurisdiction', { id: 'chd_1' })));
    expect(out).toMatchObject({ message: 'No child chd_1 in your jurisdiction', extensions: { code: 'NOT_FOUND', id: 'chd_1' } });
  });

  it('masks unexpected errors', () => {
    const secret = new Error('duplicate key value violates "source_record_pkey" (Nguyễn Văn A)');
    const out = formatError({ message: secret.message, path: ['child'] }, wrap(secret));
    expect(out).toEqual({ message: 'Internal error.', path: ['child'], locations: undefined, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('tells a database or Redis out of reach as UPSTREAM_UNAVAILABLE, to try again, not as a fault (QA)', () => {
    const cases: Array<[Error, string]> = [
      [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'The database is unavailable'],
      [Object.assign(new Error('connection failure'), { code: '08006' }), 'The database is unavailable'],
      [new Error('Connection terminated unexpectedly'), 'The database is unavailable'],
      [new Error('timeout exceeded when trying to connect'), 'The database is unavailable'],
      [new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'The job queue is unavailable'],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'A service the hub depends on is unavailable'],
    ];
    for (const [err, message] of cases) {
      const out = formatError({ message: err.message, path: ['child'] }, wrap(err));
      expect(out.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE' });
      expect(out.message).toBe(`${message} at the moment: try again shortly`);
    }
    // A statement's own error is still the hub's fault, masked.
    const unique = Object.assign(new Error('duplicate key value'), { code: '23505' });
    expect(formatError({ message: unique.message, path: ['child'] }, wrap(unique)).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('passes GraphQL validation errors through', () => {
    const err = new GraphQLError('Cannot query field "nope"', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(formatError({ message: err.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, err).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('keeps the code a validation rule of ours gives, which Apollo replaces with GRAPHQL_VALIDATION_FAILED (README: QUERY_TOO_DEEP)', async () => {
    const server = new ApolloServer({ schema: await buildHubSchema(), formatError, validationRules: [depthLimitRule(4)] });
    await server.start();
    try {
      const codes = async (query: string) => {
        const res = await server.executeOperation({ query });
        return res.body.kind === 'single' ? res.body.singleResult.errors?.map((e) => e.extensions?.code) : undefined;
      };
      expect(await codes('{ children { edges { node { sourceRecords { id } } } } }')).toEqual(['QUERY_TOO_DEEP']);
      expect(await codes('{ children { nodes { nope } } }')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    } finally {
      await server.stop();
    }
  });
});
