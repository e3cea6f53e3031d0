import type http from 'node:http';
import { Redis } from 'ioredis';
import { AuditWriter } from '../audit/audit-writer.js';
import { createTokenVerifier } from '../auth/verifier-factory.js';
import { folderOf, logInvalidDefinition } from '../connectors/definition/connector-catalog.js';
import { AuditReadRepository } from '../db/repositories/audit-read.repository.js';
import { ConnectorReadRepository } from '../db/repositories/connector-read.repository.js';
import { ChildReadRepository } from '../db/repositories/child-read.repository.js';
import { createGateway } from '../graphql/gateway.js';
import { createHttpServer, listen } from '../http/server.js';
import { setConnectorGauges } from '../observability/connector-metrics.js';
import { identityHealth, setIdentityGauges } from '../observability/identity-metrics.js';
import { createMetrics } from '../observability/metrics.js';
import { QueueClient } from '../../jobs/queue-client.js';
import { RejectDismissal } from '../services/ingest/reject-dismissal.service.js';
import { OUTBOX_TOPICS } from '../services/outbox/outbox.writer.js';
import { requestIdentityCheck } from '../services/identity/identity-request.js';
import type { Principal } from '../auth/principal.js';
import type { AppContext } from './app-context.js';
import type { Sql } from '../db/sql.js';
import { UpstreamUnavailableError } from '../errors/upstream-unavailable-error.js';
import { withTimeout } from '../util/with-timeout.js';
import { readRedisSettings, REDIS_SETTINGS, settingOk, warnOfRedisSettings, type RedisSetting } from '../../jobs/redis-settings.js';

/** How long a read of the queues or the outbox for operators may wait before it is told unavailable. */
const SAMPLE_WITHIN_MS = 2_000;

/**
 * The outbox rows not yet relayed, per topic, with the age of the oldest: work the gateway queued (a sync asked
 * for, a reconciliation) waits there until a worker's relay moves it to its queue, where the queue counts see it.
 */
async function pendingOutbox(sql: Sql): Promise<Array<{ topic: string; pending: number; oldestSeconds: number }>> {
  return sql.query<{ topic: string; pending: number; oldestSeconds: number }>(
    `SELECT topic, count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS "oldestSeconds"
       FROM outbox WHERE relayed_at IS NULL GROUP BY topic`);
}

export interface RunningApi {
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  server: http.Server;
  audit: AuditWriter;
  close(): Promise<void>;
}

/** Starts the `serve` process's work: the GraphQL gateway with health, readiness and metrics. */
export async function startApi(ctx: AppContext, opts: { port?: number; host?: string } = {}): Promise<RunningApi> {
  const { config, logger } = ctx;
  const metrics = createMetrics();
  const audit = new AuditWriter(ctx.sql, logger);
  const verifier = await createTokenVerifier(config);
  const gateway = await createGateway({ config, logger, audit, metrics });
  const redis = new Redis(ctx.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  /** What the connection last failed with: what `/readyz` says while Redis cannot be reached (not the offline queue's refusal). */
  let redisError: unknown;
  redis.on('error', (err) => void (redisError = err));
  redis.on('ready', () => void (redisError = undefined));
  await redis.connect().catch(() => {});
  void warnOfRedisSettings(redis, logger);
  // Queue depths for operators, sampled when Prometheus scrapes.
  const queues = new QueueClient({ redisUrl: ctx.redisUrl, prefix: config.QUEUE_PREFIX, logger });
  /** The queues' counts, or UPSTREAM_UNAVAILABLE when Redis does not answer promptly (as `/readyz` waits for it). */
  const queueCounts = async () => {
    try {
      return await withTimeout(queues.counts(), SAMPLE_WITHIN_MS);
    } catch (err) {
      throw new UpstreamUnavailableError(`The job queues (Redis) did not answer: ${(err as Error).message}`);
    }
  };
  const dismissal = new RejectDismissal(ctx.sql);
  const connectorReads = new ConnectorReadRepository(ctx.sql);
  // A definition that does not validate is not listed or synced: say so at start, naming the file and its problems.
  for (const err of ctx.connectors.catalog.invalid) logInvalidDefinition(logger, err);
  const commands = {
    requestIdentityReconciliation: (childId: string, by: Principal, httpRequestId: string) => requestIdentityCheck(ctx.sql, childId, by, httpRequestId),
    queueCounts: async () => Object.entries(await queueCounts()).map(([queue, c]) => ({ queue, ...c })),
    identityWork: () => identityHealth(ctx.sql),
    audit: new AuditReadRepository(ctx.sql),
    connectors: {
      repo: connectorReads,
      // As the files say now: definitions added, edited or removed since the gateway started.
      definitions: () => {
        ctx.connectors.catalog.refresh((err) => logInvalidDefinition(logger, err));
        return ctx.connectors.catalog.list().map((c) => c.definition);
      },
      invalidDefinitions: () => ctx.connectors.catalog.invalid.map((e) => ({ name: folderOf(e.file), problems: e.problems, declared: e.declared })),
      requestSync: (name: string, requestedBy: string, force?: boolean) => ctx.connectors.requestSync(name, { trigger: 'API', requestedBy, ...(force ? { force } : {}) }),
      dismissRejects: (ids: string[], by: string, subject: string, note: string) => dismissal.dismiss(ids, by, subject, note),
    },
  };
  const server = createHttpServer({
    commands,
    gateway,
    verifier,
    repo: new ChildReadRepository(ctx.sql),
    logger,
    metrics,
    maxPageSize: config.GRAPHQL_MAX_PAGE_SIZE,
    requestTimeoutMs: config.GRAPHQL_REQUEST_TIMEOUT_MS,
    readiness: {
      postgres: async () => void (await ctx.sql.query('SELECT 1')),
      redis: async () => {
        // A connection on its way is waited for by its own events: asking again would only say "already connecting".
        if (redis.status !== 'ready' && redis.status !== 'connecting' && redis.status !== 'connect') {
          await redis.connect().catch((err: unknown) => void (redisError = err));
        }
        // Not connected: why, as the connection last failed (QA re-checks: "Stream isn't writeable and enableOfflineQueue
        // options is false" while the log said ECONNREFUSED), never the offline queue's refusal of the ping.
        if (redis.status !== 'ready') throw redisError ?? new Error(`not connected (${redis.status})`);
        if ((await redis.ping()) !== 'PONG') throw new Error('no PONG');
      },
    },
    // Each source within a bound, and what did not answer left out rather than shown as it last was (QA: with
    // Redis frozen a scrape hung for good; with Redis down it showed the last depths as current).
    beforeMetrics: async () => {
      const [counts, outbox, connectorHealth, redisSettings, identity] = await Promise.allSettled([
        queueCounts(), withTimeout(pendingOutbox(ctx.sql), SAMPLE_WITHIN_MS), withTimeout(connectorReads.health(), SAMPLE_WITHIN_MS),
        withTimeout(readRedisSettings(redis), SAMPLE_WITHIN_MS), withTimeout(identityHealth(ctx.sql), SAMPLE_WITHIN_MS),
      ]);
      setIdentityGauges(metrics, identity.status === 'fulfilled' ? identity.value : null);
      metrics.redisSettingOk.reset();
      if (redisSettings.status === 'fulfilled') {
        for (const setting of Object.keys(REDIS_SETTINGS) as RedisSetting[]) {
          const ok = settingOk(redisSettings.value, setting);
          if (ok !== null) metrics.redisSettingOk.set({ setting }, ok);
        }
      }
      metrics.queueJobs.reset();
      if (counts.status === 'fulfilled') {
        for (const [queue, byState] of Object.entries(counts.value)) {
          for (const [state, n] of Object.entries(byState)) metrics.queueJobs.set({ queue, state }, n);
        }
      }
      metrics.metricsSourceUp.set({ source: 'redis' }, counts.status === 'fulfilled' ? 1 : 0);
      metrics.outboxPending.reset();
      metrics.outboxOldestPendingSeconds.reset();
      if (outbox.status === 'fulfilled') {
        // Every topic, 0 when nothing waits: an alert on the count must tell "none pending" from "not scraped" (QA).
        for (const topic of Object.values(OUTBOX_TOPICS)) {
          metrics.outboxPending.set({ topic }, 0);
          metrics.outboxOldestPendingSeconds.set({ topic }, 0);
        }
        for (const o of outbox.value) {
          metrics.outboxPending.set({ topic: o.topic }, o.pending);
          metrics.outboxOldestPendingSeconds.set({ topic: o.topic }, o.oldestSeconds);
        }
      }
      setConnectorGauges(metrics, connectorHealth.status === 'fulfilled' ? connectorHealth.value : null,
        commands.connectors.definitions().map((d) => ({ name: d.name, enabled: d.enabled })), commands.connectors.invalidDefinitions().map((d) => d.name));
      metrics.metricsSourceUp.set({ source: 'postgres' }, outbox.status === 'fulfilled' && connectorHealth.status === 'fulfilled' && identity.status === 'fulfilled' ? 1 : 0);
    },
  });
  server.keepAliveTimeout = 65_000;
  const port = opts.port ?? config.PORT;
  const listenHost = opts.host ?? config.HOST;
  const address = await listen(server, port, listenHost).catch((err: NodeJS.ErrnoException) => {
    // Named by its setting, as the embedded servers' port clashes name EMBEDDED_*_PORT (QA: only `listen EADDRINUSE`).
    if (opts.port !== undefined || (err.code !== 'EADDRINUSE' && err.code !== 'EACCES')) throw err;
    throw Object.assign(
      new Error(
        err.code === 'EADDRINUSE'
          ? `PORT ${port} is already in use on HOST ${listenHost} (another gateway or demo?): set PORT to a free port (0 picks one)`
          : `PORT ${port} on HOST ${listenHost} may not be listened on by this user (${err.code}): set PORT above 1023`,
      ),
      { code: err.code },
    );
  });
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    audit,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gateway.stop();
      await audit.flush();
      await queues.close();
      redis.disconnect();
    },
  };
}
