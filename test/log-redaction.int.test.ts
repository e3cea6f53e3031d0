import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/observability/logger.js';
import { seedSample } from '../src/seed/sample-seeder.js';
import { startWorker, type RunningWorker } from '../jobs/worker.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { startPopulationDbSimulator, type PopulationDbSimulator } from '../src/population-db/simulator/population-db.simulator.js';
import { registryEnv, SIM_CREDENTIALS, waitFor } from './support/identity-hub.js';
import path from 'node:path';
import { startHealthStationSimulator, type HealthStationSimulator } from '../connectors/health-station/simulator.js';
import { startSchoolSimulator, type SchoolSimulator } from '../connectors/school/simulator.js';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { writeFacilityInspectionDrop } from '../connectors/facility-inspection/simulator.js';
import { tempDir } from './support/temp-dir.js';

/**
 * An end-to-end run (sample ingest, outbox relay, golden-record jobs, GraphQL reads, denied fields and
 * errors) with every log line captured at trace level: no name or identity number of the sample may appear.
 */
describe('logs carry no personal data', () => {
  const lines: string[] = [];
  let hub: TestHub;
  let worker: RunningWorker;
  let sim: PopulationDbSimulator;
  let healthSim: HealthStationSimulator;
  let schoolSim: SchoolSimulator;
  const savedEnv = { ...process.env };
  let operationNamedAfterChild = '';

  beforeAll(async () => {
    const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } });
    // The registry answers with religion, ethnicity and names: none of it may reach a log either.
    sim = await startPopulationDbSimulator({ seed: 7, count: 300, quotaPerSecond: 200, credentials: SIM_CREDENTIALS, logger, faults: { errorRate: 0.05, malformedRate: 0.05 } });
    hub = await startTestHub({ logger, env: registryEnv(sim.url, { POPULATION_DB_QUOTA: '200' }) });
    await seedSample(hub.ctx, { children: 300, seed: 7 });
    // The four connectors over the same children, with faults: retries, quarantined records, broken rows.
    healthSim = await startHealthStationSimulator({ seed: 7, count: 300, port: 0, clientId: 'c', clientSecret: 's', logger, pageSize: 50,
      faults: { rateLimitEvery: 4, retryAfterSeconds: 1, malformedRecordRate: 0.05, seed: 3 } });
    schoolSim = await startSchoolSimulator({ seed: 7, count: 300, port: 0, apiKey: 'k', logger, pageSize: 50, maxPageSize: 50,
      faults: { errorRate: 0.1, malformedRecordRate: 0.05, seed: 5 } });
    const drops = tempDir('childhub-redaction-');
    await writeJusticeRegisterDrop({ dir: path.join(drops, 'j'), seed: 7, count: 300, brokenRows: 3 });
    await writeFacilityInspectionDrop({ dir: path.join(drops, 'f'), seed: 7, count: 3000, brokenRows: 2 });
    Object.assign(process.env, {
      HEALTH_STATION_FHIR_URL: healthSim.url, HEALTH_STATION_TOKEN_URL: `${healthSim.url}/oauth/token`, HEALTH_STATION_CLIENT_ID: 'c',
      HEALTH_STATION_CLIENT_SECRET: 's', SCHOOL_API_URL: schoolSim.url, SCHOOL_API_KEY: 'k',
      JUSTICE_REGISTER_DROP_DIR: path.join(drops, 'j'), FACILITY_INSPECTION_DROP_DIR: path.join(drops, 'f'),
      JUSTICE_REGISTER_SETTLE_SECONDS: '0', FACILITY_INSPECTION_SETTLE_SECONDS: '0', // written just now, and whole
    });
    for (const name of ['health-station', 'school', 'justice-register', 'facility-inspection']) {
      const run = await hub.ctx.connectors.run(name, { trigger: 'CLI' });
      expect(run.status).toBe('SUCCEEDED');
    }
    expect(Number((await hub.ctx.sql.one<{ n: string }>('SELECT count(*) AS n FROM rejected_record'))!.n)).toBeGreaterThan(5);
    worker = await startWorker(hub.ctx);
    await waitFor('registry calls', async () => Number((await hub.ctx.sql.one<{ n: string }>(`SELECT count(*) AS n FROM identity_check`))!.n) > 150, 60_000);
    const steward = await hub.token();
    const health = await hub.token({ roles: ['health_officer'] });
    const page = await hub.gql<{ children: { nodes: Array<{ id: string }> } }>(
      `{ children(first: 100) { nodes { id fullName identityNumber sourceRecords { fullName motherName identityNumber } identityNumbers { number } } } }`, {}, steward);
    expect(page.body.errors).toBeUndefined();
    for (const { id } of page.body.data!.children.nodes.slice(0, 20)) {
      await hub.gql(`{ child(id: "${id}") { fullName groups specialCircumstances { group } } }`, {}, health);
    }
    await hub.gql(`{ children(filter: { name: "x" }) { nodes { id } } }`, {}, steward);
    // A client may name an operation after the child it asks about (QA: logged as written).
    const named = (await hub.ctx.sql.one<{ name: string; number: string }>(
      `SELECT name_folded AS name, identity_number AS number FROM source_record WHERE identity_number ~ '^[0-9]{12}$' AND name_folded IS NOT NULL LIMIT 1`))!;
    operationNamedAfterChild = `${named.name.replace(/ /g, '_')}_${named.number}`;
    expect((await hub.gql(`query ${operationNamedAfterChild} { children(first: 1) { nodes { id fullName } } }`, {}, steward)).body.errors).toBeUndefined();
    await hub.gql(`{ children(filter: { name: "nguyễn thị" }) { nodes { id } } }`, {}, 'garbage-token');
  }, 180_000);

  afterAll(async () => {
    await worker?.close();
    await hub?.close();
    await sim?.close();
    await healthSim?.close();
    await schoolSim?.close();
    process.env = savedEnv;
  });

  it('ran the whole path and logged about it', async () => {
    const withGolden = await hub.ctx.sql.one<{ n: string }>(`SELECT count(*) AS n FROM identity_number`);
    expect(Number(withGolden!.n)).toBeGreaterThan(100);
    expect(lines.length).toBeGreaterThan(30);
    expect(lines.join('')).toContain('graphql operation');
    expect(lines.join('')).toContain('XacThucThongTinCongDan');
    expect(lines.join('')).toContain('connector sync finished');
  });

  it('writes each line as JSON with every key once (a repeated key is dropped or refused by strict log pipelines)', () => {
    const repeated = lines.flatMap((line) => {
      // The top-level keys as written, in order: a string scan, since JSON.parse keeps only the last copy.
      const keys: string[] = [];
      let depth = 0;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === '"') {
          let j = i + 1;
          while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
          if (depth === 1 && line[j + 1] === ':') keys.push(line.slice(i + 1, j));
          i = j;
        } else if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') depth--;
      }
      const twice = keys.filter((k, n) => keys.indexOf(k) !== n);
      return twice.length ? [`${twice.join(', ')} in ${JSON.parse(line).msg as string}`] : [];
    });
    expect(repeated).toEqual([]);
  });

  it('contains none of the sample\'s names or identity numbers', async () => {
    const secrets = await hub.ctx.sql.query<{ v: string }>(`
      SELECT DISTINCT v FROM (
        SELECT full_name AS v FROM source_record UNION ALL SELECT father_name FROM source_record
        UNION ALL SELECT mother_name FROM source_record UNION ALL SELECT carer_name FROM source_record
        UNION ALL SELECT identity_number FROM source_record UNION ALL SELECT name_folded FROM source_record
      ) s WHERE v IS NOT NULL AND length(v) >= 8`);
    expect(secrets.length).toBeGreaterThan(300);
    const log = lines.join('');
    const leaked = secrets.map((s) => s.v).filter((v) => log.includes(v) || log.includes(JSON.stringify(v).slice(1, -1)));
    expect(leaked).toEqual([]);
  });

  it('withholds an operation name that holds a child\'s name and number, in the log and the audit', async () => {
    expect(operationNamedAfterChild).toMatch(/_\d{12}$/);
    const line = lines.map((l) => JSON.parse(l) as { msg: string; operation?: string }).find((l) => l.msg === 'graphql operation' && l.operation === '[withheld]');
    expect(line).toBeDefined();
    expect(lines.join('')).not.toContain(operationNamedAfterChild.slice(-12));
    const audited = await hub.ctx.sql.query<{ operation: string }>(`SELECT DISTINCT operation FROM audit_event WHERE operation LIKE '%withheld%' OR operation LIKE $1`, [`%${operationNamedAfterChild.slice(-12)}%`]);
    expect(audited.map((r) => r.operation)).toEqual(['[withheld]']);
  });
});
