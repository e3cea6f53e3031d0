import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../errors/index.js';
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

  it('passes GraphQL validation errors through', () => {
    const err = new GraphQLError('Cannot query field "nope"', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(formatError({ message: err.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, err).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
