import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../context.js';
import { operationLabel } from './operation-label.js';

/**
 * One debug line per GraphQL operation: request id, operation name, caller subject, how many children's
 * data was released, error codes, duration. Never variables or results (they hold names and numbers).
 */
export function useRequestLog(logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ contextValue: ctx, operationName, response }) {
          if (!logger.isLevelEnabled('debug')) return;
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          logger.debug({
            requestId: ctx.requestId,
            operation: operationName ? operationLabel(operationName) : null,
            subject: ctx.principal?.subject ?? null,
            children: ctx.access.childCount,
            statements: ctx.queries.count,
            errorCodes: [...new Set(errors.map((e) => String(e.extensions?.code ?? 'UNKNOWN')))],
            ms: Math.round((performance.now() - started) * 10) / 10,
          }, 'graphql operation');
        },
      };
    },
  };
}
