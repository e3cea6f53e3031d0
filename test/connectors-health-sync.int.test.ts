import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChildren } from './support/build-children.js';
import { startHealthStationSimulator, type HealthStationSimulator } from '../connectors/health-station/simulator.js';
import { generateHealthStationEntries } from '../src/sample/sources/health-clinical.js';
import { FHIR_SYSTEMS } from '../src/sample/sources/health-station.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

const SEED = 4242;
const COUNT = 800;

/**
 * The health-station connector (FHIR R4, OAuth2) end to end: Patients with their Immunizations and
 * Observations become source records and typed projections, tokens are refreshed when they expire, an
 * incremental run reads only changed Patients, and the facts are served on `Child` with their source to
 * the roles that may read health data.
 */
describe('health-station connector against its FHIR simulator', () => {
  let hub: TestHub;
  let sim: HealthStationSimulator;
  const saved = { ...process.env };
  const truth = [...generateHealthStationEntries({ seed: SEED, count: COUNT })];

  beforeAll(async () => {
    // Tokens live 2 s: a sync of several pages with a slow page in between must refresh.
    sim = await startHealthStationSimulator({ seed: SEED, count: COUNT, port: 0, clientId: 'hub', clientSecret: 'hub-secret', tokenTtlSeconds: 2, pageSize: 120, maxPageSize: 120 });
    Object.assign(process.env, {
      HEALTH_STATION_FHIR_URL: sim.url, HEALTH_STATION_TOKEN_URL: sim.tokenUrl, HEALTH_STATION_CLIENT_ID: 'hub', HEALTH_STATION_CLIENT_SECRET: 'hub-secret',
    });
    hub = await startTestHub();
  });

  afterAll(async () => {
    await hub?.close();
    await sim?.close();
    process.env = saved;
  });

  const count = async (sql: string) => Number((await hub.ctx.sql.one<{ n: string }>(sql))!.n);

  it('stores every Patient with its vaccinations, screenings and disability records', async () => {
    const run = await hub.ctx.connectors.run('health-station', { trigger: 'CLI' }, {
      // One slow page: the 2-second token expires mid-sync and must be renewed, not fail the run.
      onProgress: async (p) => { if (p.batches === 2) await new Promise((r) => setTimeout(r, 2_500)); },
    });
    expect(run).toMatchObject({ status: 'SUCCEEDED', inserted: truth.length, rejected: 0 });
    expect(sim.stats().byRoute['POST /oauth/token']).toBeGreaterThanOrEqual(2);
    const completed = truth.flatMap((t) => t.clinical.immunizations).filter((i) => i.status === 'completed').length;
    const vaccinations = await count(`SELECT count(*) AS n FROM vaccination WHERE status = 'COMPLETED'`);
    expect(vaccinations).toBe(completed);
    expect(await count('SELECT count(*) AS n FROM health_screening')).toBeGreaterThan(0);
    // Every Patient whose record carries the disability extension has a disability record.
    const disabled = truth.filter((t) => t.patient.extension.some((e) => e.url === FHIR_SYSTEMS.disability)).length;
    expect(disabled).toBeGreaterThan(0);
    expect(await count(`SELECT count(DISTINCT source_record_id) AS n FROM disability_record`)).toBeGreaterThanOrEqual(disabled);
  }, 60_000);

  it('an incremental run reads only the Patients changed since', async () => {
    const touched = sim.touch(3);
    const run = await hub.ctx.connectors.run('health-station', { trigger: 'CLI' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.updated).toBe(3);
    expect(run.inserted).toBe(0);
    expect(run.fetched).toBeLessThan(truth.length);
    expect(touched.ids).toHaveLength(3);
  });

  it('serves the facts on Child with their source, to health roles only', async () => {
    await buildChildren(hub.ctx);
    const row = await hub.ctx.sql.one<{ child_id: string }>(
      `SELECT s.child_id FROM vaccination v JOIN source_record s ON s.id = v.source_record_id LIMIT 1`);
    const query = `{ child(id: "${row!.child_id}") { id vaccinations { vaccineCode occurredOn status source { sourceSystem externalId } } } }`;
    const healthOfficer = await hub.token({ roles: ['health_officer'] });
    const ok = await hub.gql<{ child: { vaccinations: Array<{ vaccineCode: string; source: { sourceSystem: string } }> } }>(query, {}, healthOfficer);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data!.child.vaccinations.length).toBeGreaterThan(0);
    expect(ok.body.data!.child.vaccinations[0]!.source.sourceSystem).toBe('HEALTH_STATION');

    const teacher = await hub.token({ roles: ['education_officer'] });
    const denied = await hub.gql<{ child: { vaccinations: unknown } }>(query, {}, teacher);
    expect(denied.body.data!.child.vaccinations).toBeNull();
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
