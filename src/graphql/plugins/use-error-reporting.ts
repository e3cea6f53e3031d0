import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../context.js';
import { isClientRequestError, isExpectedError } from '../errors/format-error.js';
import { unavailableDependency } from '../../errors/unavailable-dependency.js';

/**
 * Logs unexpected errors with the request id (redacted by the logger) and tells the client that id, so
 * an operator can find the log line; the message itself stays masked. The hub's typed errors (FORBIDDEN,
 * NOT_FOUND …) and mistakes in the request (syntax, validation, variables: {@link isClientRequestError})
 * are answers, not faults: they are not logged here (the request log's debug line names their codes), and
 * their messages, which can quote a variable's value, are never logged.
 */
export function useErrorReporting(logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors }) {
          for (const error of errors) {
            if (isExpectedError(error) || isClientRequestError(error)) continue;
            const original = unwrapResolverError(error);
            const dependency = unavailableDependency(original);
            if (dependency !== null) {
              // Not a fault: an outage, which `/readyz` and the service's own alerts tell; one line, without a stack.
              logger.warn({ dependency, errorCode: (original as { code?: unknown }).code, requestId: contextValue.requestId, path: error.path },
                'a GraphQL request met a dependency out of reach: answered UPSTREAM_UNAVAILABLE');
              continue;
            }
            logger.error({ err: unwrapResolverError(error), requestId: contextValue.requestId, path: error.path }, 'unexpected error in GraphQL request');
          }
        },
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          for (const e of response.body.singleResult.errors ?? []) {
            if (e.extensions?.code !== 'INTERNAL_SERVER_ERROR') continue;
            (e as { message: string }).message = `Internal error. Quote request id ${contextValue.requestId} when reporting it.`;
            (e.extensions as Record<string, unknown>).requestId = contextValue.requestId;
          }
        },
      };
    },
  };
}
