import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../../observability/metrics.js';
import type { GraphQLContext } from '../context.js';

/** Counts operations by outcome and errors by code. */
export function useMetrics(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          metrics.graphqlOperations.inc({ outcome: errors.length ? 'error' : 'ok' });
          for (const e of errors) metrics.graphqlErrors.inc({ code: String(e.extensions?.code ?? 'UNKNOWN') });
        },
      };
    },
  };
}
