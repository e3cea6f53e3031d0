import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezableProxy, type FreezableProxy } from './support/freezable-proxy.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tcpProxy, type TcpProxy } from './support/tcp-proxy.js';

describe('metrics and queue counts while Redis does not answer (QA)', () => {
  let hub: TestHub;
  let proxy: FreezableProxy;
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
    expect(text).toContain('childhub_redis_setting_ok{setting="appendonly"} 1');
    expect(text).toContain('childhub_redis_setting_ok{setting="maxmemory-policy"} 1');
    expect(text).toMatch(/childhub_outbox_pending\{topic="connector.sync"\} 1\n/);
    // A topic with nothing waiting says 0, not nothing (QA: "none pending" looked like "not scraped").
    expect(text).toMatch(/childhub_outbox_pending\{topic="identity.reconcile"\} 0\n/);
    expect(text).toMatch(/childhub_outbox_oldest_pending_seconds\{topic="identity.reconcile"\} 0\n/);
    const age = Number(/childhub_outbox_oldest_pending_seconds\{topic="connector.sync"\} ([\d.]+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(299);
  });

  it('shows the population database\'s recent calls, when it last answered, and the identity work waiting (QA: nothing to alert on through an outage)', async () => {
    const call = (outcome: string, ago: string, latencyMs: number | null) => hub.ctx.sql.query(
      `INSERT INTO registry_call (request_id, operation, transport, officer_id, unit, purpose_code, case_ref, outcome, latency_ms, started_at)
       VALUES (gen_random_uuid()::text, 'XacThucThongTinCongDan', 'soap', 'CB-1', 'u', 'p', 'c', $1, $2, now() - $3::interval)`, [outcome, latencyMs, ago]);
    await call('MATCH', '20 minutes', 120);
    for (const ms of [900, 1000, 1100]) await call('REJECTED', '1 minute', ms);
    const children = ['chd_METRICS1', 'chd_METRICS2', 'chd_METRICS3', 'chd_METRICS4', 'chd_METRICS5'];
    for (const id of children) await hub.ctx.sql.query(`INSERT INTO child (id, commune_code) VALUES ($1, '00004')`, [id]);
    // The fourth waits no more: a source gave it a number, which stopped its request's polls (QA: counted pending, overdue
    // and late for good).
    await hub.ctx.sql.query(`UPDATE child SET identity_number = '001226000404', identity_status = 'UNVERIFIED' WHERE id = $1`, [children[3]]);
    // The fifth was given one the population database does not know (or that cannot exist): it still waits, overdue,
    // though its polls stopped (not late: QA re-check, it dropped out of the overdue escalation).
    await hub.ctx.sql.query(`UPDATE child SET identity_number = '999310000611', identity_status = 'NOT_FOUND' WHERE id = $1`, [children[4]]);
    await hub.ctx.sql.query(
      `INSERT INTO identity_issuance (child_id, due_at, requested_at, next_poll_at, overdue_at) VALUES
         ($1, now() + interval '7 days', now(), now() + interval '1 hour', NULL),
         ($2, now() - interval '1 day', now() - interval '8 days', now() - interval '2 hours', now() - interval '1 day'),
         ($3, now(), now(), NULL, NULL),
         ($4, now() - interval '1 day', now() - interval '8 days', now() - interval '2 hours', now() - interval '1 day'),
         ($5, now() - interval '1 day', now() - interval '8 days', now() - interval '2 hours', now() - interval '1 day')`, children);
    await hub.ctx.sql.query(`INSERT INTO identity_request (id, child_id, requested_by, agency, purpose) VALUES ('idr_METRICS1', $1, 's', 'a', 'p')`, [children[0]]);
    // A call in flight for two minutes (its worker killed), and one just sent.
    await hub.ctx.sql.query(
      `INSERT INTO registry_call_pending (request_id, operation, transport, officer_id, unit, purpose_code, case_ref, started_at)
       VALUES ('pending-old', 'XacThucThongTinCongDan', 'soap', 'CB-1', 'u', 'p', 'c', now() - interval '2 minutes'),
              ('pending-new', 'XacThucThongTinCongDan', 'soap', 'CB-1', 'u', 'p', 'c', now())`);
    const { text } = await scrape();
    expect(text).toMatch(/childhub_registry_calls_recent\{outcome="REJECTED"\} 3\n/);
    expect(text).toMatch(/childhub_registry_calls_recent\{outcome="MATCH"\} 0\n/);
    expect(Number(/childhub_registry_call_latency_p95_seconds\{outcome="REJECTED"\} ([\d.]+)/.exec(text)?.[1])).toBeCloseTo(1.09, 2);
    const lastAnswer = Number(/childhub_registry_last_answer_timestamp_seconds ([\d.e+]+)/.exec(text)?.[1]);
    expect(Date.now() / 1000 - lastAnswer).toBeGreaterThan(19 * 60);
    expect(text).toMatch(/childhub_identity_issuance_requests\{state="pending"\} 4\n/);
    expect(text).toMatch(/childhub_identity_issuance_requests\{state="overdue"\} 2\n/);
    expect(text).toMatch(/childhub_identity_issuance_requests\{state="poll_late"\} 1\n/);
    expect(text).toMatch(/childhub_identity_requests_open 1\n/);
    expect(text).toMatch(/childhub_registry_calls_unfinished 1\n/);
    expect(text).not.toMatch(/childhub_registry_calls_recent\{outcome="UNKNOWN"\}/);
    // The same figures over GraphQL for operators, counts only (QA: they could read nothing of reconciliation but queue sizes).
    const work = await hub.gql<{ identityWork: Record<string, unknown> }>(
      `{ identityWork { windowSeconds recentCalls { outcome calls p95Seconds } lastAnswerAt issuancePending issuanceOverdue issuancePollLate requestsOpen callsUnfinished } }`, {}, operator);
    expect(work.body.errors).toBeUndefined();
    expect(work.body.data!.identityWork).toMatchObject({
      windowSeconds: 300, recentCalls: [{ outcome: 'REJECTED', calls: 3, p95Seconds: expect.closeTo(1.09, 2) }],
      issuancePending: 4, issuanceOverdue: 2, issuancePollLate: 1, requestsOpen: 1, callsUnfinished: 1,
    });
    expect(Date.now() - new Date(work.body.data!.identityWork['lastAnswerAt'] as string).getTime()).toBeGreaterThan(19 * 60_000);
    const officer = await hub.gql(`{ identityWork { requestsOpen } }`, {}, await hub.token({ sub: 'health-work', roles: ['health_officer'] }));
    expect(officer.body.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });

  it('answers within the bound with Redis frozen: no stale depths, the source marked down, queueCounts UPSTREAM_UNAVAILABLE', async () => {
    proxy.frozen = true;
    try {
      const { status, text, ms } = await scrape();
      expect(status).toBe(200);
      expect(ms).toBeLessThan(6_000);
      expect(text).toContain('childhub_metrics_source_up{source="redis"} 0');
      expect(text).not.toMatch(/^childhub_queue_jobs\{/m);
      expect(text).not.toMatch(/^childhub_redis_setting_ok\{/m);
      // The outbox is PostgreSQL's: still shown.
      expect(text).toMatch(/childhub_outbox_pending\{topic="connector.sync"\} 1\n/);
      const res = await hub.gql<{ queueCounts: unknown }>('{ queueCounts { queue waiting } }', {}, operator);
      expect(res.body.errors?.[0]).toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
      expect(res.body.errors?.[0]?.message).toMatch(/^The job queues \(Redis\) did not answer/);
      const ready = await fetch(`${hub.api.url}/readyz`, { signal: AbortSignal.timeout(15_000) });
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', checks: { postgres: 'ok', redis: 'unavailable: no answer within 2000 ms' } });
    } finally {
      proxy.frozen = false;
    }
  });
});

describe('a GraphQL request while PostgreSQL does not answer (QA)', () => {
  let hub: TestHub;
  let proxy: FreezableProxy;

  beforeAll(async () => {
    hub = await startTestHub({ env: { GRAPHQL_REQUEST_TIMEOUT_MS: '1500' }, databaseVia: async (url) => (proxy = await freezableProxy(url)).url });
  });
  afterAll(async () => {
    if (proxy) proxy.frozen = false;
    await hub?.close();
    proxy?.close();
  });

  it('is answered 503 UPSTREAM_UNAVAILABLE after GRAPHQL_REQUEST_TIMEOUT_MS instead of holding the client, and answered again once it is back', async () => {
    const operator = await hub.token({ sub: 'ops-1', roles: ['operator'] });
    expect((await hub.gql('{ connectors { name } }', {}, operator)).body.errors).toBeUndefined();
    proxy.frozen = true;
    const started = Date.now();
    const frozen = await hub.gql('{ connectors { name } }', {}, operator);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(frozen.status).toBe(503);
    expect(frozen.body.errors?.[0]).toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(frozen.body.errors?.[0]?.message).toMatch(/^The request took longer than 1500 ms/);
    const ready = await fetch(`${hub.api.url}/readyz`, { signal: AbortSignal.timeout(15_000) });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', checks: { postgres: 'unavailable: no answer within 2000 ms', redis: 'ok' } });
    proxy.frozen = false;
    expect((await (await fetch(`${hub.api.url}/readyz`)).json())).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    expect((await hub.gql('{ connectors { name } }', {}, operator)).body.errors).toBeUndefined();
  });
});

describe('/readyz while Redis refuses connections (QA re-check)', () => {
  let hub: TestHub;
  let proxy: TcpProxy;
  const state = { down: false };

  beforeAll(async () => {
    hub = await startTestHub({
      redisVia: async (url) => (proxy = await tcpProxy(url, {
        accept: (client) => {
          if (!state.down) return true;
          client.destroy();
          return false;
        },
      })).url,
    });
  });
  afterAll(async () => {
    state.down = false;
    await hub?.close();
    proxy?.close();
  });

  it('says why: the connection\'s own error, not the offline queue\'s refusal; ready again once Redis is back', async () => {
    state.down = true;
    for (const s of proxy.sockets) s.destroy();
    const checks = async () => ((await (await fetch(`${hub.api.url}/readyz`, { signal: AbortSignal.timeout(15_000) })).json()) as { checks: Record<string, string> }).checks;
    await expect.poll(async () => (await checks()).redis, { timeout: 10_000 }).toMatch(/^unavailable: /);
    const redis = (await checks()).redis;
    expect(redis).not.toMatch(/enableOfflineQueue/);
    expect(redis).toMatch(/ECONNRESET|ECONNREFUSED|EPIPE|Connection is closed/);
    state.down = false;
    await expect.poll(async () => (await checks()).redis, { timeout: 15_000 }).toBe('ok');
  });
});
