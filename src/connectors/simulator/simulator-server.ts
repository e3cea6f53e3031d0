/**
 * The HTTP shell the source simulators share: a loopback `node:http` server with a route table, counters
 * per status, request-level fault injection, and the control endpoints tests and benchmarks use:
 *
 * - `GET /_sim/stats` — {@link SimulatorHttpStats} plus the simulator's own counters.
 * - `GET /_sim/faults` — the faults in force; `POST /_sim/faults` (JSON {@link HttpFaults}) replaces them
 *   (`{}` clears them) and answers the faults now in force, or 400 with the reason.
 * - `POST /_sim/reset-stats` — zeroes the counters.
 * - `GET /_sim/health` — `{ "ok": true }`.
 *
 * Control endpoints need no credentials and are not counted: they are for tests, not part of the source.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { logger as rootLogger } from '../../observability/logger.js';
import type { FaultCounts, FaultInjector, HttpFaults } from './http-faults.js';

/** Counters every simulator keeps (control endpoints excluded). */
export interface SimulatorHttpStats {
  /** ISO time of start or of the last reset. */
  startedAt: string;
  /** Requests received, whatever became of them. */
  requests: number;
  /** Answers by HTTP status (`"200"`, `"401"`, `"429"` …); requests held by a timeout fault count as `"timeout"`. */
  byStatus: Record<string, number>;
  /** Requests by route (`GET /fhir/Patient`), unknown paths as `other`. */
  byRoute: Record<string, number>;
  /** The faults in force. */
  faults: HttpFaults;
  /** Faults injected so far, by kind. */
  injected: FaultCounts;
}

/** One request as a route handler sees it. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The origin clients reach the simulator at (`http://127.0.0.1:4101`), for links in bodies. */
  origin: string;
  /**
   * Draws this data request's fault and, for 429/500/timeout, answers it (or holds it). Call after
   * authentication. `handled`: nothing more to do; `repeatPage`: serve the previous page again if there is one.
   */
  injectFault(): { handled: boolean; repeatPage: boolean };
  readBody(): Promise<string>;
  send(status: number, body: string | Buffer, contentType: string, headers?: Record<string, string>): void;
  sendJson(status: number, value: unknown, headers?: Record<string, string>, contentType?: string): void;
}

export interface SimulatorRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(ctx: RequestContext): Promise<void> | void;
}

export interface SimulatorServerOptions<E extends object = Record<string, never>> {
  /** Component name in logs. */
  name: string;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  faults: FaultInjector;
  routes: SimulatorRoute[];
  /** Extra control endpoints under `/_sim/` (not counted, no faults), e.g. `POST /_sim/touch`. */
  controlRoutes?: SimulatorRoute[];
  /** The simulator's own counters, merged into `GET /_sim/stats`. */
  extraStats?: () => E;
  /** Called by `POST /_sim/reset-stats` after the shared counters are zeroed. */
  onResetStats?: () => void;
  /** The body of an injected 429 or 500, in the source's own error format. */
  faultBody: (status: 429 | 500) => { contentType: string; body: string };
  /** How long a timeout fault holds a request before dropping the connection. @defaultValue 120000 */
  holdMs?: number;
  /** Where to log (ids, counts and codes only). @defaultValue the hub's root logger */
  logger?: Logger;
}

export interface SimulatorServer<E extends object = Record<string, never>> {
  /** The origin, e.g. `http://127.0.0.1:4101`. */
  url: string;
  port: number;
  log: Logger;
  stats(): SimulatorHttpStats & E;
  resetStats(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

function send(res: ServerResponse, status: number, body: string | Buffer, contentType: string, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.length),
    ...headers,
  });
  res.end(body);
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Starts the server; resolves once it listens. */
export async function startSimulatorServer<E extends object = Record<string, never>>(options: SimulatorServerOptions<E>): Promise<SimulatorServer<E>> {
  const { host = '127.0.0.1', port = 0, faults, holdMs = 120_000 } = options;
  const log = (options.logger ?? rootLogger()).child({ component: options.name });
  const routes = new Map(options.routes.map((r) => [`${r.method} ${r.path}`, r]));
  const controlRoutes = new Map((options.controlRoutes ?? []).map((r) => [`${r.method} ${r.path}`, r]));
  const held = new Set<{ timer: NodeJS.Timeout; socket: Socket }>();
  let startedAt = new Date();
  let requests = 0;
  let byStatus: Record<string, number> = {};
  let byRoute: Record<string, number> = {};
  let origin = '';

  const count = (bucket: Record<string, number>, key: string): void => {
    bucket[key] = (bucket[key] ?? 0) + 1;
  };

  function stats(): SimulatorHttpStats & E {
    return {
      startedAt: startedAt.toISOString(),
      requests,
      byStatus: { ...byStatus },
      byRoute: { ...byRoute },
      faults: faults.get(),
      injected: { ...faults.counts },
      ...(options.extraStats?.() ?? ({} as E)),
    };
  }

  function resetStats(): void {
    startedAt = new Date();
    requests = 0;
    byStatus = {};
    byRoute = {};
    faults.resetCounts();
    options.onResetStats?.();
  }

  function hold(req: IncomingMessage): void {
    const socket = req.socket;
    const entry = {
      socket,
      timer: setTimeout(() => {
        held.delete(entry);
        socket.destroy();
      }, holdMs),
    };
    held.add(entry);
    socket.once('close', () => {
      clearTimeout(entry.timer);
      held.delete(entry);
    });
  }

  async function control(path: string, method: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (path === '/_sim/stats' && method === 'GET') send(res, 200, JSON.stringify(stats()), JSON_TYPE);
    else if (path === '/_sim/health' && method === 'GET') send(res, 200, '{"ok":true}', JSON_TYPE);
    else if (path === '/_sim/faults' && method === 'GET') send(res, 200, JSON.stringify(faults.get()), JSON_TYPE);
    else if (path === '/_sim/reset-stats' && method === 'POST') {
      resetStats();
      send(res, 200, JSON.stringify(stats()), JSON_TYPE);
    } else if (path === '/_sim/faults' && method === 'POST') {
      try {
        const text = await readBody(req);
        const next = faults.set(text.trim() === '' ? {} : JSON.parse(text));
        log.info({ faults: next }, 'faults changed');
        send(res, 200, JSON.stringify(next), JSON_TYPE);
      } catch (err) {
        const reason = err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.') || 'faults'}: ${i.message}`).join('; ') : 'body must be a JSON object';
        send(res, 400, JSON.stringify({ error: reason }), JSON_TYPE);
      }
    } else return false;
    return true;
  }

  function context(req: IncomingMessage, res: ServerResponse, url: URL): RequestContext {
    return {
      req,
      res,
      url,
      origin,
      readBody: () => readBody(req),
      send: (status, body, contentType, headers) => send(res, status, body, contentType, headers),
      sendJson: (status, value, headers, contentType = JSON_TYPE) => send(res, status, JSON.stringify(value), contentType, headers),
      injectFault() {
        const { fault, repeatPage } = faults.nextRequest();
        if (fault === null) return { handled: false, repeatPage };
        if (fault === 'timeout') {
          count(byStatus, 'timeout');
          hold(req);
        } else {
          const status = fault === 'rateLimit' ? 429 : 500;
          const { contentType, body } = options.faultBody(status);
          send(res, status, body, contentType, status === 429 ? { 'retry-after': String(faults.retryAfterSeconds) } : {});
        }
        return { handled: true, repeatPage: false };
      },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/_sim/')) {
      if (await control(url.pathname, method, req, res)) return;
      const extra = controlRoutes.get(`${method} ${url.pathname}`);
      if (extra) return extra.handle(context(req, res, url));
    }
    requests++;
    res.once('finish', () => count(byStatus, String(res.statusCode)));
    const route = routes.get(`${method} ${url.pathname}`);
    count(byRoute, route ? `${method} ${url.pathname}` : 'other');
    const ctx = context(req, res, url);
    if (!route) {
      send(res, 404, JSON.stringify({ error: `no ${method} ${url.pathname}` }), JSON_TYPE);
      return;
    }
    await route.handle(ctx);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'simulator failed to answer');
      send(res, 500, JSON.stringify({ error: 'internal error' }), JSON_TYPE);
    });
  });
  // Clients keep connections open between pages; do not drop them between two quick requests.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  origin = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`;

  return {
    url: origin,
    port: address.port,
    log,
    stats,
    resetStats,
    async close() {
      for (const h of held) {
        clearTimeout(h.timer);
        h.socket.destroy();
      }
      held.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
