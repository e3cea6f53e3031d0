import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { AppError } from '../../errors/index.js';
import { currentRequestId } from '../../observability/request-context.js';

/**
 * Apollo does not mask errors by default; we do. Typed errors keep their message and stable code;
 * GraphQL's own errors (syntax, validation, bad variables) pass through; anything else is logged with
 * the request id and replaced by a generic INTERNAL_SERVER_ERROR naming that id.
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const requestId = currentRequestId();
    if (original instanceof AppError) {
      return { message: original.message, path: formatted.path, locations: formatted.locations, extensions: { code: original.code, ...original.details } };
    }
    if (original instanceof GraphQLError && !original.originalError) {
      const code = (formatted.extensions?.code as string | undefined) ?? 'BAD_REQUEST';
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      // Apollo's request-level errors (BAD_USER_INPUT for variables, PERSISTED_QUERY_NOT_FOUND …).
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
    }
    logger.error({ err: original, requestId, path: formatted.path }, 'unexpected error in GraphQL request');
    return {
      message: `Internal error. Quote request id ${requestId ?? 'unknown'} when reporting it.`,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
    };
  };
}
