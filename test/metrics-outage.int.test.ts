import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/test-hub.js';

/** A TCP proxy to Redis that can stop passing anything on, as a frozen Redis (`kill -STOP`) would. */
async function freezableProxy(target: string): Promise<{ url: string; frozen: boolean; close(): void }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const state = { frozen: false };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('data', (chunk) => {
        if (!state.frozen) to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url,
    get frozen() { return state.frozen; },
    set frozen(v: boolean) { state.frozen = v; },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('metrics and queue counts while Redis does not answer (QA)', () => {
  let hub: TestHub;
  let proxy: Awaited<ReturnType<typeof freezableProxy>>;
  let operator: string;

  beforeAll(async () => {
    hub = await startTestHub({ redisVia: async (url) => (proxy = await freezableProxy(url)).url });
    operator = await hub.token({ sub: 'ops-1', roles: ['operator'] });
  });
  afterAll(async () => {
    if (proxy) proxy.frozen = false;
    await hub?.close();
    proxy?.close();
  });

  const scrape = async () => {
    const started = Date.now();
    const res = await fetch(`${hub.api.url}/metrics`, { signal: AbortSignal.timeout(15_000) });
    return { status: res.status, text: await res.text(), ms: Date.now() - started };
  };

  it('shows the queues and the work not yet relayed from the outbox, each source marked up', async () => {
    await hub.ctx.sql.query(`INSERT INTO outbox (topic, aggregate_id, created_at) VALUES ('connector.sync', 'run_metrics_test', now() - interval '5 minutes')`);
    const { status, text } = await scrape();
    expect(status).toBe(200);
    expect(text).toMatch(/childhub_queue_jobs\{queue="connector-sync",state="waiting"\} 0/);
    expect(text).toContain('childhub_metrics_source_up{source="redis"} 1');
    expect(text).toContain('childhub_metrics_source_up{source="postgres"} 1');
    expect(text).toMatch(/childhub_outbox_pending\{topic="connector.sync"\} 1\n/);
    const age = Number(/childhub_outbox_oldest_pending_seconds\{topic="connector.sync"\} ([\d.]+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(299);
  });

  it('answers within the bound with Redis frozen: no stale depths, the source marked down, queueCounts UPSTREAM_UNAVAILABLE', async () => {
    proxy.frozen = true;
    try {
      const { status, text, ms } = await scrape();
      expect(status).toBe(200);
      expect(ms).toBeLessThan(6_000);
      expect(text).toContain('childhub_metrics_source_up{source="redis"} 0');
      expect(text).not.toMatch(/^childhub_queue_jobs\{/m);
      // The outbox is PostgreSQL's: still shown.
      expect(text).toMatch(/childhub_outbox_pending\{topic="connector.sync"\} 1\n/);
      const res = await hub.gql<{ queueCounts: unknown }>('{ queueCounts { queue waiting } }', {}, operator);
      expect(res.body.errors?.[0]).toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
      expect(res.body.errors?.[0]?.message).toMatch(/^The job queues \(Redis\) did not answer/);
    } finally {
      proxy.frozen = false;
    }
  });
});
