import autocannon from 'autocannon';

/** One kind of request sent over and over: a GraphQL POST whose body may change per request. */
export interface LoadScenario {
  name: string;
  headers: Record<string, string>;
  /** The body of each request; called once per request so bodies can vary (different ids, cursors). */
  body(): string;
  /**
   * Whether a response body is a correct answer; anything else counts as an error of the run. Runs per
   * response inside the load generator, so it must stay cheap (substring checks, no JSON.parse).
   */
  verify(body: string): boolean;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
}

export interface LoadStats {
  /** Mean of the per-second request counts. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMeanMs: number;
  latencyMaxMs: number;
  /** Responses received in the measured window. */
  requests: number;
  ok2xx: number;
  non2xx: number;
  /** 2xx responses whose body failed `verify` (GraphQL errors, missing data). */
  badBodies: number;
  /** Connection errors, including timeouts. */
  connectionErrors: number;
  timeouts: number;
  durationSeconds: number;
}

/** A body that is a GraphQL success: data and no `errors` key (Apollo writes `"errors":[` when there are). */
export function isGraphQLSuccess(body: string): boolean {
  return body.startsWith('{"data":{') && !body.includes('"errors":[');
}

/** Runs autocannon against `/graphql` for a fixed time and returns the figures the report needs. */
export async function runLoad(scenario: LoadScenario, opts: LoadOptions): Promise<LoadStats> {
  const result = await autocannon({
    url: `${opts.url}/graphql`,
    connections: opts.connections,
    duration: opts.durationSeconds,
    // Under saturation a request may queue for a while; 10 s (the default) is far beyond any target.
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', ...scenario.headers },
        // autocannon calls this per request on a fresh copy of the request: a new body each time.
        setupRequest: (req) => ({ ...req, body: scenario.body() }),
      },
    ],
    verifyBody: (body) => scenario.verify(String(body ?? '')),
  });
  return {
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMeanMs: result.latency.average,
    latencyMaxMs: result.latency.max,
    requests: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    badBodies: result.mismatches,
    connectionErrors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
  };
}

/**
 * Reads counters from the server's Prometheus endpoint: the server's own count of GraphQL operations by
 * outcome cross-checks what the load generator saw.
 */
export async function scrapeCounters(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+([^\s]+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export function counterDelta(before: Map<string, number>, after: Map<string, number>, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}
