import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthStationSimulator, type HealthStationSimulator } from '../connectors/health-station/simulator.js';
import { startSchoolSimulator, type SchoolSimulator } from '../connectors/school/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { parseInstantMs } from '../src/connectors/simulator/hanoi-time.js';
import type { AddResult } from '../src/connectors/simulator/record-changes.js';
import { createTestAppContext } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

const SEED = 5151;
const COUNT = 300;
/** The definitions' `incremental.lookback` (PT10M), which these tests check is honoured. */
const LOOKBACK_MS = 10 * 60_000;
const silent = pino({ level: 'silent' });

/**
 * Incremental syncs that must pick up records the source *added* since the last run (new pupils, new patients),
 * end to end against the school and health-station simulators (definitions unchanged) on real PostgreSQL: after
 * a full sync, the simulator adds and changes records; the next run inserts exactly the added ones, updates
 * exactly the changed ones, leaves every other record and its projections as they were, moves the checkpoint,
 * and reads again unchanged what its lookback window holds. A child both sources add is one child.
 */
describe('incremental syncs pick up the records sources add', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let school: SchoolSimulator;
  let health: HealthStationSimulator;
  const saved = { ...process.env };
  /** Every add, by source: external id → synthetic child. */
  const addedTruth = { school: new Map<string, string>(), 'health-station': new Map<string, string>() };

  beforeAll(async () => {
    // Small pages, so an incremental read spans several.
    school = await startSchoolSimulator({ seed: SEED, count: COUNT, port: 0, apiKey: 'k', pageSize: 10, maxPageSize: 10, logger: silent });
    health = await startHealthStationSimulator({ seed: SEED, count: COUNT, port: 0, clientId: 'hub', clientSecret: 'hub-secret', pageSize: 10, maxPageSize: 10, logger: silent });
    Object.assign(process.env, {
      SCHOOL_API_URL: school.url, SCHOOL_API_KEY: 'k',
      HEALTH_STATION_FHIR_URL: health.url, HEALTH_STATION_TOKEN_URL: health.tokenUrl, HEALTH_STATION_CLIENT_ID: 'hub', HEALTH_STATION_CLIENT_SECRET: 'hub-secret',
    });
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
  });

  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
    await school?.close();
    await health?.close();
    process.env = saved;
  });

  type Source = 'school' | 'health-station';

  /** Each stored record of the source as its row and its projection rows stand (ids included). */
  const snapshot = async (source: Source, projection: 'school_enrolment' | 'vaccination') => {
    const rows = await ctx.sql.query<{ external_id: string; state: string }>(
      `SELECT s.external_id, json_build_object('id', s.id, 'hash', s.content_hash, 'run', s.connector_run_id, 'seen', s.last_seen_at,
              'child', s.child_id, 'updated', s.source_updated_at, 'facts', (SELECT array_agg(p.id ORDER BY p.id) FROM ${projection} p WHERE p.source_record_id = s.id))::text AS state
         FROM source_record s WHERE s.source_system = $1`, [source]);
    return new Map(rows.map((r) => [r.external_id, r.state]));
  };

  const highWater = async (connector: Source) =>
    (await ctx.sql.one<{ hw: string }>(`SELECT state->>'highWater' AS hw FROM connector WHERE name = $1`, [connector]))!.hw;

  const storedByRun = async (runId: string) =>
    (await ctx.sql.query<{ external_id: string }>('SELECT external_id FROM source_record WHERE connector_run_id = $1', [runId])).map((r) => r.external_id).sort();

  /**
   * The scenario for one source: `times()` lists the last-modified time of each record the simulator holds;
   * `inclusive`: whether the source's incremental filter takes records at the lower bound itself.
   */
  const scenario = async (
    source: Source,
    sim: { recordCount: number; touch(n: number): { ids: string[]; updatedAt: string }; add(n: number): AddResult },
    times: () => string[],
    inclusive: boolean,
    projection: 'school_enrolment' | 'vaccination',
  ) => {
    /** Records an incremental run from `hw` reads: those inside the lookback window behind it, and later. */
    const window = (hw: string) => times().filter((t) => (inclusive ? parseInstantMs(t) >= parseInstantMs(hw) - LOOKBACK_MS : parseInstantMs(t) > parseInstantMs(hw) - LOOKBACK_MS)).length;
    const remember = (a: AddResult) => a.ids.forEach((id, i) => addedTruth[source].set(id, a.truthIds[i]!));

    const full = await ctx.connectors.run(source, { trigger: 'CLI' });
    expect(full).toMatchObject({ status: 'SUCCEEDED', inserted: sim.recordCount, rejected: 0 });
    const firstMark = await highWater(source);
    expect(firstMark).toBe(times().sort((a, b) => parseInstantMs(a) - parseInstantMs(b)).at(-1));
    const before = await snapshot(source, projection);

    // Records added and changed at the source.
    const touched = sim.touch(4);
    const added = sim.add(9);
    remember(added);
    const changed = new Set([...touched.ids, ...added.ids]);
    expect(changed.size).toBe(13);
    const expectedFetch = window(firstMark);

    const incremental = await ctx.connectors.run(source, { trigger: 'CLI' });
    expect(incremental).toMatchObject({ status: 'SUCCEEDED', inserted: 9, updated: 4, rejected: 0, fetched: expectedFetch });
    // The lookback window read again what it holds (the records at the old high-water mark at least): unchanged.
    expect(incremental.unchanged).toBe(expectedFetch - 13);
    expect(incremental.unchanged).toBeGreaterThan(0);
    expect(await storedByRun(incremental.runId)).toEqual([...changed].sort());
    expect(await highWater(source)).toBe(added.updatedAt);

    const after = await snapshot(source, projection);
    expect(after.size).toBe(before.size + 9);
    for (const [id, state] of before) {
      if (touched.ids.includes(id)) expect(after.get(id)).not.toBe(state);
      else expect(after.get(id)).toBe(state);
    }
    for (const id of added.ids) expect(JSON.parse(after.get(id)!)).toMatchObject({ child: expect.stringMatching(/^chd_/) });

    // Nothing new: the window behind the new mark (the records just touched and added) is read again, unchanged.
    const quiet = await ctx.connectors.run(source, { trigger: 'CLI' });
    expect(quiet).toMatchObject({ status: 'SUCCEEDED', inserted: 0, updated: 0, rejected: 0, fetched: window(added.updatedAt) });
    expect(quiet.fetched).toBeGreaterThanOrEqual(13);
    expect(await snapshot(source, projection)).toEqual(after);
    expect(await highWater(source)).toBe(added.updatedAt);

    // More added: only they are new; the ones added before, still inside the window, are unchanged.
    const more = sim.add(3);
    remember(more);
    const next = await ctx.connectors.run(source, { trigger: 'CLI' });
    expect(next).toMatchObject({ status: 'SUCCEEDED', inserted: 3, updated: 0, fetched: window(added.updatedAt) });
    expect(next.unchanged).toBe(next.fetched - 3);
    expect(await storedByRun(next.runId)).toEqual([...more.ids].sort());
    expect(await highWater(source)).toBe(more.updatedAt);
    const stored = Number((await ctx.sql.one<{ n: string }>('SELECT count(*)::text AS n FROM source_record WHERE source_system = $1', [source]))!.n);
    expect(stored).toBe(sim.recordCount);
  };

  it('school: exactly the added pupils are inserted and the changed ones updated; nothing else changes', async () => {
    await scenario('school', school, () => school.records().map((r) => r.ngay_cap_nhat), true, 'school_enrolment');
    expect(Number((await ctx.sql.one<{ n: string }>('SELECT count(*)::text AS n FROM school_enrolment'))!.n)).toBe(school.recordCount);
  }, 60_000);

  it('health-station: exactly the added Patients are inserted and the changed ones updated; nothing else changes', async () => {
    await scenario('health-station', health, () => health.patients().map((p) => p.meta.lastUpdated), false, 'vaccination');
  }, 60_000);

  it('links a child both sources added, by the number both hold, to one child', async () => {
    const rows = await ctx.sql.query<{ source_system: Source; external_id: string; child_id: string; identity_number: string | null }>(
      `SELECT source_system, external_id, child_id, identity_number FROM source_record WHERE external_id = ANY($1)`,
      [[...addedTruth.school.keys(), ...addedTruth['health-station'].keys()]]);
    const bySource = (source: Source) => new Map(rows.filter((r) => r.source_system === source).map((r) => [addedTruth[source].get(r.external_id)!, r]));
    const inSchool = bySource('school');
    const inHealth = bySource('health-station');
    const both = [...inSchool.keys()].filter((truthId) => inHealth.has(truthId));
    const numbered = both.filter((t) => inSchool.get(t)!.identity_number && inSchool.get(t)!.identity_number === inHealth.get(t)!.identity_number);
    expect(numbered.length).toBeGreaterThan(0);
    for (const t of numbered) expect(inSchool.get(t)!.child_id).toBe(inHealth.get(t)!.child_id);
  });
});
