import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError } from '../../errors/index.js';
import { unavailableDependency } from '../../errors/unavailable-dependency.js';

export const INTERNAL_ERROR_MESSAGE = 'Internal error.';

/** True for errors whose message may be shown to clients: our typed errors and GraphQL's own. */
export function isExpectedError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  return original instanceof AppError || (original instanceof GraphQLError && !original.originalError);
}

/**
 * Codes Apollo gives the errors it raises before or instead of running an operation, because of the request
 * as the client sent it: a syntax error, a validation failure (unknown field, depth limit), variables that
 * do not coerce, no operation to run, a malformed request.
 */
const CLIENT_REQUEST_CODES: ReadonlySet<string> = new Set([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  ApolloServerErrorCode.BAD_REQUEST,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
]);

/**
 * True for a mistake in the request itself (see {@link CLIENT_REQUEST_CODES}): nothing went wrong in the
 * hub. Apollo wraps these errors around graphql-js's own (`originalError`), so {@link isExpectedError} does
 * not recognise them. Only request-level errors count (no `path`): an error raised while resolving a field
 * is the hub's unless it is one of its typed errors.
 */
export function isClientRequestError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.path) return false;
  const code = error.extensions?.code;
  return typeof code === 'string' && CLIENT_REQUEST_CODES.has(code);
}

/**
 * Apollo does not mask errors by default; we do. Typed errors keep their message and stable code;
 * GraphQL's own errors (syntax, validation, bad variables) pass through; anything else becomes a generic
 * INTERNAL_SERVER_ERROR (the `useErrorReporting` plugin logs it and adds the request id).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const where = { path: formatted.path, locations: formatted.locations };
  if (original instanceof AppError) {
    return { message: original.message, ...where, extensions: { code: original.code, ...original.details } };
  }
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError && !original.originalError) {
    // The argument a refusal of ours names (the input guard's, raised before anything runs), as typed errors do.
    const argument = formatted.extensions?.argument;
    return { message: formatted.message, ...where, extensions: { code: typeof code === 'string' ? code : 'BAD_REQUEST', ...(typeof argument === 'string' ? { argument } : {}) } };
  }
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
    // Apollo's request-level errors (BAD_USER_INPUT for variables, PERSISTED_QUERY_NOT_FOUND …). Apollo gives
    // every validation error GRAPHQL_VALIDATION_FAILED, over the code a rule of ours set (QUERY_TOO_DEEP): keep the rule's.
    const ruleCode = code === ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED && original instanceof GraphQLError && original.originalError instanceof GraphQLError
      ? original.originalError.extensions?.code
      : undefined;
    return { message: formatted.message, ...where, extensions: { code: typeof ruleCode === 'string' ? ruleCode : code } };
  }
  // The database or Redis out of reach is no fault of the hub's: the client is told to try again.
  const dependency = unavailableDependency(original);
  if (dependency !== null) {
    return { message: `${dependency.charAt(0).toUpperCase()}${dependency.slice(1)} is unavailable at the moment: try again shortly`, ...where, extensions: { code: 'UPSTREAM_UNAVAILABLE' } };
  }
  return { message: INTERNAL_ERROR_MESSAGE, ...where, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
