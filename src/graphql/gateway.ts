import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { Logger } from 'pino';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Config } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';
import type { GraphQLContext } from './context.js';
import { formatError } from './errors/format-error.js';
import { useErrorReporting } from './plugins/use-error-reporting.js';
import { useInputGuard } from './plugins/use-input-guard.js';
import { useAudit } from './plugins/use-audit.js';
import { useMetrics } from './plugins/use-metrics.js';
import { useRequestLog } from './plugins/use-request-log.js';
import { buildHubSchema } from './schema.js';
import { costLimitRule } from './validation/cost-limit.rule.js';
import { depthLimitRule } from './validation/depth-limit.rule.js';
import { operationTypeRule } from './validation/operation-type.rule.js';

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  audit: AuditWriter;
  metrics?: Metrics;
}

/** Builds the Apollo Server for the hub: schema, error masking, depth limit, audit and metrics plugins. */
export async function createGateway(deps: GatewayDeps): Promise<ApolloServer<GraphQLContext>> {
  const schema = await buildHubSchema();
  const server = new ApolloServer<GraphQLContext>({
    schema,
    introspection: deps.config.GRAPHQL_INTROSPECTION,
    includeStacktraceInErrorResponses: false,
    // Apollo would stop itself on SIGINT/SIGTERM and re-raise the signal; the process's own shutdown
    // (HTTP server, workers, audit flush, databases) decides the order instead.
    stopOnTerminationSignals: false,
    formatError,
    validationRules: [operationTypeRule, depthLimitRule(deps.config.GRAPHQL_MAX_DEPTH), costLimitRule(deps.config.GRAPHQL_MAX_COST, deps.config.GRAPHQL_MAX_PAGE_SIZE)],
    plugins: [
      // Personal data is never HTTP-cacheable, and the cache-control plugin wraps every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      useErrorReporting(deps.logger),
      useInputGuard(),
      useAudit(deps.audit, deps.logger, deps.metrics),
      useRequestLog(deps.logger),
      ...(deps.metrics ? [useMetrics(deps.metrics)] : []),
    ],
    logger: {
      debug: (m) => deps.logger.debug({ component: 'apollo' }, String(m)),
      info: (m) => deps.logger.info({ component: 'apollo' }, String(m)),
      warn: (m) => deps.logger.warn({ component: 'apollo' }, String(m)),
      error: (m) => deps.logger.error({ component: 'apollo' }, String(m)),
    },
  });
  await server.start();
  return server;
}
