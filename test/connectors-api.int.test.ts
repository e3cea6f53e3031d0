import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

/** Run history, quarantine and the sync mutation over GraphQL, with their roles and audit. */
describe('connectors over GraphQL', () => {
  let hub: TestHub;
  const saved = { ...process.env };

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'childhub-api-drop-'));
    await writeJusticeRegisterDrop({ dir, seed: 4242, count: 300, brokenRows: 2 });
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0'; // written just now, and whole
    hub = await startTestHub();
    await hub.ctx.connectors.run('justice-register', { trigger: 'CLI' });
  });

  afterAll(async () => {
    await hub?.close();
    process.env = saved;
  });

  it('integration engineers see connectors, runs and rejects with reasons, but not the rejected payloads', async () => {
    const token = await hub.token({ roles: ['integration_engineer'] });
    const res = await hub.gql<{
      connectors: Array<{ name: string; kind: string; checkpoint: string | null; lastRun: { status: string; fetched: number; rejected: number } | null }>;
      connectorRuns: Array<{ id: string; connector: string; status: string; inserted: number; rejected: number; filesIngested: number }>;
      rejectedRecords: Array<{ id: string; location: string; reasons: Array<{ field: string; code: string; message: string }>; payload: string | null }>;
    }>(`{
      connectors { name kind checkpoint lastRun { status fetched rejected } }
      connectorRuns(connector: "justice-register") { id connector status inserted rejected filesIngested }
      rejectedRecords(connector: "justice-register") { id location reasons { field code message } payload }
    }`, {}, token);
    expect(res.body.data!.connectors.map((c) => c.name)).toEqual(['facility-inspection', 'health-station', 'justice-register', 'school']);
    const justice = res.body.data!.connectors.find((c) => c.name === 'justice-register')!;
    expect(justice.lastRun).toMatchObject({ status: 'SUCCEEDED', rejected: 2 });
    expect(res.body.data!.connectorRuns[0]).toMatchObject({ connector: 'justice-register', status: 'SUCCEEDED', rejected: 2, filesIngested: 2 });
    const rejects = res.body.data!.rejectedRecords;
    expect(rejects).toHaveLength(2);
    expect(rejects[0]!.reasons[0]!.code).toBeTruthy();
    expect(rejects[0]!.location).toMatch(/row \d+/);
    // The payload may hold any personal data: denied to a role without every class.
    expect(rejects.every((r) => r.payload === null)).toBe(true);
    expect(res.body.errors?.some((e) => e.extensions?.code === 'FORBIDDEN' && e.path?.includes('payload'))).toBe(true);
  });

  it('a data steward reads a rejected payload, and the read is audited', async () => {
    const token = await hub.token({ roles: ['data_steward'] });
    const res = await hub.gql<{ rejectedRecords: Array<{ id: string; payload: string }> }>(`{ rejectedRecords { id payload } }`, {}, token);
    expect(res.body.errors).toBeUndefined();
    const first = res.body.data!.rejectedRecords[0]!;
    expect(JSON.parse(first.payload)).toHaveProperty('row');
    await new Promise((r) => setTimeout(r, 100));
    const audit = await hub.ctx.sql.query<{ details: unknown }>(`SELECT details FROM audit_event WHERE action = 'READ' AND details::text LIKE $1`, [`%${first.id}%`]);
    expect(audit.length).toBeGreaterThan(0);
  });

  it('syncConnector queues a run for integration engineers and refuses other roles', async () => {
    const engineer = await hub.token({ roles: ['integration_engineer'] });
    const ok = await hub.gql<{ syncConnector: { id: string; status: string; trigger: string } }>(
      'mutation { syncConnector(name: "justice-register") { id status trigger } }', {}, engineer);
    expect(ok.body.data!.syncConnector).toMatchObject({ status: 'QUEUED', trigger: 'API' });
    const outbox = await hub.ctx.sql.query(`SELECT 1 FROM outbox WHERE topic = 'connector.sync' AND aggregate_id = $1`, [ok.body.data!.syncConnector.id]);
    expect(outbox).toHaveLength(1);

    const officer = await hub.token({ roles: ['commune_officer'] });
    const denied = await hub.gql('mutation { syncConnector(name: "justice-register") { id } }', {}, officer);
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await hub.gql('mutation { syncConnector(name: "nope") { id } }', {}, engineer);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('CONNECTOR_NOT_FOUND');
  });
});
