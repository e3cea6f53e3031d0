import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Logger } from 'pino';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { ChildReadRepository } from '../db/repositories/child-read.repository.js';
import { UnauthenticatedError } from '../errors/index.js';
import { createGraphQLContext, type GatewayCommands, type GraphQLContext } from '../graphql/context.js';
import { operationLabel } from '../graphql/plugins/operation-label.js';
import type { Metrics } from '../observability/metrics.js';
import { errorReason } from '../util/error-reason.js';
import { TimeoutError, withTimeout } from '../util/with-timeout.js';

export interface HttpServerDeps {
  gateway: ApolloServer<GraphQLContext>;
  commands?: GatewayCommands;
  verifier: TokenVerifier;
  repo: ChildReadRepository;
  logger: Logger;
  metrics: Metrics;
  maxPageSize: number;
  /**
   * Longest a GraphQL request may take before it is answered 503 `UPSTREAM_UNAVAILABLE` (the work itself is not
   * cancelled): a frozen database or Redis would otherwise hold the client for ever (QA). @defaultValue none
   */
  requestTimeoutMs?: number;
  /** Readiness probes: each resolves when its dependency answers. */
  readiness: Record<string, () => Promise<void>>;
  /** Called before /metrics is rendered (e.g. to sample queue counts). */
  beforeMetrics?: () => Promise<void>;
}

const MAX_BODY = 1024 * 1024;
/** How much of a body over MAX_BODY is read and dropped before the connection is cut instead (see readBody). */
const MAX_DRAINED = 32 * MAX_BODY;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Whether a caller's `x-request-id` is taken as the request's id, which the log and the audit keep: a short id with
 * nothing in it that an operation name would be withheld for, a name or a personal-looking number (QA:
 * `Nguyen_Van_A_001316552631` was kept in the audit, shown to auditors; a UUID's last group can be twelve digits:
 * `00000000-0000-4000-8000-001313612016`). Otherwise the gateway makes its own.
 */
function callersRequestId(id: string): boolean {
  if (!REQUEST_ID.test(id)) return false;
  // A UUID's groups are hex, not a phone number written with dashes, which the screen reads digits joined by `-` as (QA:
  // one random UUID in seven was replaced): only a group of nine digits or more could be a number of a person.
  if (UUID.test(id)) return !/\d{9}/.test(id);
  return operationLabel(id) === id;
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The hub's HTTP surface on plain node:http (Apollo's own request pipeline, no framework): `/graphql`,
 * `/healthz` (process alive), `/readyz` (PostgreSQL and Redis reachable), `/metrics` (Prometheus).
 */
export function createHttpServer(deps: HttpServerDeps): http.Server {
  const { logger, metrics } = deps;
  return http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && callersRequestId(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname === '/graphql' ? 'graphql' : url.pathname.replace(/^\//, '') || 'root';
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.observe({ route: ['graphql', 'healthz', 'readyz', 'metrics'].includes(route) ? route : 'other', status: String(res.statusCode) }, seconds);
    });
    handle(deps, req, res, url, requestId).catch((err: unknown) => {
      logger.error({ err, requestId }, 'unhandled error in HTTP handler');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: `Internal error (request id ${requestId})`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    });
  });
}

async function handle(deps: HttpServerDeps, req: http.IncomingMessage, res: http.ServerResponse, url: URL, requestId: string): Promise<void> {
  switch (url.pathname) {
    case '/healthz':
      return sendJson(res, 200, { status: 'ok' });
    case '/readyz': {
      const checks = await Promise.all(
        Object.entries(deps.readiness).map(async ([name, probe]) => {
          try {
            await withTimeout(probe(), 2000);
            return [name, 'ok'] as const;
          } catch (err) {
            return [name, `unavailable: ${errorReason(err)}`] as const;
          }
        }),
      );
      const ready = checks.every(([, s]) => s === 'ok');
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(checks) });
    }
    case '/metrics': {
      await deps.beforeMetrics?.().catch(() => {});
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
      res.end(await deps.metrics.registry.metrics());
      return;
    }
    case '/graphql':
      return handleGraphQL(deps, req, res, url, requestId);
    case '/':
      res.writeHead(302, { location: '/graphql' });
      res.end();
      return;
    default:
      return sendJson(res, 404, { error: 'not found', paths: ['/graphql', '/healthz', '/readyz', '/metrics'] });
  }
}

async function handleGraphQL(deps: HttpServerDeps, req: http.IncomingMessage, res: http.ServerResponse, url: URL, requestId: string): Promise<void> {
  let body: unknown = undefined;
  if (req.method === 'POST') {
    const raw = await readBody(req);
    if (raw === null) return sendJson(res, 413, { errors: [{ message: `Request body over ${MAX_BODY} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    const type = req.headers['content-type'] ?? '';
    if (raw.length && type.includes('application/json')) {
      try {
        body = JSON.parse(raw);
      } catch {
        return sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
      }
    } else body = raw;
  }
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const executing = deps.gateway.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: async () => {
      let principal = null;
      let authError: UnauthenticatedError | null = null;
      const authorization = req.headers.authorization;
      if (authorization) {
        try {
          principal = await deps.verifier.verify(authorization);
        } catch (err) {
          if (err instanceof UnauthenticatedError) authError = err;
          else throw err;
        }
      }
      return createGraphQLContext({ requestId, principal, authError, repo: deps.repo, maxPageSize: deps.maxPageSize, commands: deps.commands });
    },
  });
  let result: Awaited<typeof executing>;
  try {
    result = deps.requestTimeoutMs ? await withTimeout(executing, deps.requestTimeoutMs) : await executing;
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    deps.logger.warn({ requestId, timeoutMs: deps.requestTimeoutMs }, 'GraphQL request answered 503: it took longer than GRAPHQL_REQUEST_TIMEOUT_MS (is the database or Redis answering?)');
    return sendJson(res, 503, { errors: [{
      message: `The request took longer than ${deps.requestTimeoutMs} ms: the database or the job queue may not be answering; try again shortly`,
      extensions: { code: 'UPSTREAM_UNAVAILABLE', requestId },
    }] });
  }
  for (const [key, value] of result.headers) res.setHeader(key, value);
  res.statusCode = result.status ?? 200;
  if (result.body.kind === 'complete') {
    res.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * The body as text, or null when it is over {@link MAX_BODY}: the rest is read and dropped, so the client, still
 * sending, gets the 413 rather than a reset connection (QA: a 3 MB body was ECONNRESET); a body past
 * {@link MAX_DRAINED} bytes is cut off, as no answer is worth reading that much for.
 */
function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else if (size > MAX_DRAINED) {
        resolve(null);
        req.destroy();
      } else chunks.length = 0;
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Listens and resolves with the bound address (port 0 picks a free port). */
export function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}
