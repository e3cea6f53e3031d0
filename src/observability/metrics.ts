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
      help: 'Jobs per queue and state (sampled at scrape time; absent when Redis did not answer: see childhub_metrics_source_up).',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: 'childhub_outbox_pending',
      help: 'Work written to the outbox and not yet relayed to its queue, per topic, 0 when none waits (a worker relays it: a count that grows means no worker is relaying; sampled at scrape time; absent when PostgreSQL did not answer).',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    outboxOldestPendingSeconds: new Gauge({
      name: 'childhub_outbox_oldest_pending_seconds',
      help: 'Age of the oldest outbox row not yet relayed, per topic; 0 when none waits (sampled at scrape time).',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    // Per connector, sampled from PostgreSQL at scrape time (connectors defined or that have synced here; left out
    // when it did not answer). Labelled by the connector's name only.
    connectorLastRunStatus: new Gauge({
      name: 'childhub_connector_last_run_status',
      help: 'The status of each connector\'s newest run: 1 for its status, 0 for the others (QUEUED, RUNNING, RETRYING, SUCCEEDED, FAILED).',
      labelNames: ['connector', 'status'] as const,
      registers: [registry],
    }),
    connectorLastSuccess: new Gauge({
      name: 'childhub_connector_last_success_timestamp_seconds',
      help: 'When each connector\'s newest SUCCEEDED run ended (Unix time); 0 when none has.',
      labelNames: ['connector'] as const,
      registers: [registry],
    }),
    connectorLastNewData: new Gauge({
      name: 'childhub_connector_last_new_data_timestamp_seconds',
      help: 'When each connector\'s latest ended run that stored a new or changed record ended (Unix time; Connector.lastNewDataAt); 0 when none has.',
      labelNames: ['connector'] as const,
      registers: [registry],
    }),
    connectorOpenRejects: new Gauge({
      name: 'childhub_connector_open_rejects',
      help: 'Each connector\'s quarantined records not resolved yet (Connector.openRejects).',
      labelNames: ['connector'] as const,
      registers: [registry],
    }),
    connectorQueuedSeconds: new Gauge({
      name: 'childhub_connector_queued_seconds',
      help: 'How long each connector\'s longest-waiting run has waited for a worker: QUEUED since it was queued, RETRYING since its next attempt was due; 0 when none waits.',
      labelNames: ['connector'] as const,
      registers: [registry],
    }),
    connectorEnabled: new Gauge({
      name: 'childhub_connector_enabled',
      help: 'Whether each connector may sync: 1 when its definition file is valid and enabled; 0 when it is disabled, or when PostgreSQL knows the connector and its definition is gone or invalid (read from the files at scrape time).',
      labelNames: ['connector'] as const,
      registers: [registry],
    }),
    connectorDefinitionValid: new Gauge({
      name: 'childhub_connector_definition_valid',
      help: 'Whether each connector folder\'s definition validates now: 1, or 0 when it does not (the connector is neither scheduled nor synced until it is fixed; read from the files at scrape time).',
      labelNames: ['connector'] as const,
      registers: [registry],
    }),
    redisSettingOk: new Gauge({
      name: 'childhub_redis_setting_ok',
      help: 'Whether Redis runs with each setting the job queues need (appendonly: yes; maxmemory-policy: noeviction), read with INFO at scrape time: 1, or 0 when it does not (a restart or memory pressure then loses queued jobs). Left out when Redis did not say.',
      labelNames: ['setting'] as const,
      registers: [registry],
    }),
    // The population database and identity work, sampled from PostgreSQL at scrape time (left out when it did not
    // answer): calls are made by the workers, and recorded in the call log whichever process made them.
    registryCallsRecent: new Gauge({
      name: 'childhub_registry_calls_recent',
      help: 'Population database calls started in the last 5 minutes, by outcome (MATCH, MISMATCH, NOT_FOUND, FOUND, ACCEPTED: answers; RATE_LIMITED, UPSTREAM_ERROR, TIMEOUT, MALFORMED, REJECTED: failures, REJECTED being a refusal such as wrong credentials), 0 when none. A call whose outcome was never written is counted by childhub_registry_calls_unfinished.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    registryLatencyP95: new Gauge({
      name: 'childhub_registry_call_latency_p95_seconds',
      help: 'The 95th percentile of the latency of population database calls started in the last 5 minutes, by outcome (absent for an outcome without calls).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    registryLastAnswered: new Gauge({
      name: 'childhub_registry_last_answer_timestamp_seconds',
      help: 'When the population database last answered a call (any answer, not a failure), as a Unix time; 0 when never: `time() - x` grows through an outage.',
      registers: [registry],
    }),
    identityIssuance: new Gauge({
      name: 'childhub_identity_issuance_requests',
      help: 'Issuance requests children without a number still wait for (pending), of them flagged past ISSUANCE_OVERDUE_DAYS (overdue), and those whose next poll is more than 15 minutes late (poll_late: a poll chain stopped; the identity sweep restarts it after an hour).',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    registryCallsUnfinished: new Gauge({
      name: 'childhub_registry_calls_unfinished',
      help: 'Population database calls started over a minute ago whose outcome is not written yet: in flight too long, or lost with a worker killed mid-call (the identity sweep records those UNKNOWN after five minutes).',
      registers: [registry],
    }),
    identityRequestsOpen: new Gauge({
      name: 'childhub_identity_requests_open',
      help: 'Checks officers asked for (requestIdentityReconciliation) not answered yet.',
      registers: [registry],
    }),
    metricsSourceUp: new Gauge({
      name: 'childhub_metrics_source_up',
      help: 'Whether this scrape read the figures it samples from a source (redis: the queues; postgres: the outbox, the connectors and the identity work): 1, or 0 when it did not answer within 2 s (its figures are then left out, not shown stale).',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
