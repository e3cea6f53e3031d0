import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The process's Prometheus metrics, served at /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'childhub_http_request_duration_seconds',
      help: 'HTTP requests by route and status.',
      labelNames: ['route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    graphqlOperations: new Counter({
      name: 'childhub_graphql_operations_total',
      help: 'GraphQL operations by outcome (ok, error).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    graphqlErrors: new Counter({
      name: 'childhub_graphql_errors_total',
      help: 'GraphQL errors by code.',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    auditEvents: new Counter({
      name: 'childhub_audit_events_total',
      help: 'Audit events written by action.',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'childhub_queue_jobs',
      help: 'Jobs per queue and state (sampled at scrape time).',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
