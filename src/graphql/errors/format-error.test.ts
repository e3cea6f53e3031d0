import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../errors/index.js';
import { createLogger } from '../../observability/logger.js';
import { requestScope } from '../../observability/request-context.js';
import { createFormatError } from './format-error.js';

describe('error masking', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', destination: { write: (s: string) => void lines.push(s) } });
  const format = createFormatError(logger);
  const wrap = (original: Error) => new GraphQLError(original.message, { originalError: original, path: ['child'] });

  it('keeps typed errors with their stable code', () => {
    const out = format({ message: 'x', path: ['child'] }, wrap(new NotFoundError('No child chd_1 in your jurisdiction', { id: 'chd_1' })));
    expect(out).toMatchObject({ message: 'No child chd_1 in your jurisdiction', extensions: { code: 'NOT_FOUND', id: 'chd_1' } });
  });

  it('masks unexpected errors, naming the request id, and logs them', () => {
    const secret = new Error('duplicate key value violates "source_record_pkey" (Nguyễn Văn A)');
    const out = requestScope.run({ requestId: 'req-123' }, () => format({ message: secret.message, path: ['child'] }, wrap(secret)));
    expect(out).toEqual({ message: 'Internal error. Quote request id req-123 when reporting it.', path: ['child'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-123' } });
    expect(lines.join('')).toContain('req-123');
    expect(lines.join('')).not.toContain('Nguyễn');
  });

  it('passes GraphQL validation errors through', () => {
    const err = new GraphQLError('Cannot query field "nope"', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(format({ message: err.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, err).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
