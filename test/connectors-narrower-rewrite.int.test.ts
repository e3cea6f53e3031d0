import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchoolSimulator, type SchoolSimulator } from '../connectors/school/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { PROJECT_ROOT } from '../src/config/config.js';
import { ConnectorCatalog } from '../src/connectors/definition/connector-catalog.js';
import { ConnectorSyncService } from '../src/connectors/sync/connector-sync.service.js';
import { createLogger } from '../src/observability/logger.js';
import { ProjectionWriter } from '../src/services/projections/projection.writer.js';
import { createTestAppContext } from './support/jobs-test-context.js';
import { tempDir } from './support/temp-dir.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/**
 * Connectors of one source system share its records. A new connector whose mapping gives none of some values the
 * records another connector stored hold (QA: a second health-station connector mapping names and numbers only took
 * parents' names, group evidence and vaccinations from 291 records, and its sync SUCCEEDED) is held before it stores a
 * page, while that other connector is defined and enabled; once it is disabled, the new one takes its records over.
 */
describe('a connector narrower than another of its source system', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let sim: SchoolSimulator;
  let defs: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    sim = await startSchoolSimulator({ seed: 91, count: 300, port: 0, apiKey: 'narrow-key', pageSize: 100, maxPageSize: 100 });
    process.env.SCHOOL_API_URL = sim.url;
    process.env.SCHOOL_API_KEY = 'narrow-key';
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
    defs = tempDir('childhub-narrow-');
    write('school', (yaml) => yaml.replace(/requestsPerSecond:\s*\d+/, 'requestsPerSecond: 100000'));
  });

  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
    await sim?.close();
    if (defs) rmSync(defs, { recursive: true, force: true });
    process.env = saved;
  });

  /** Writes connector `name`: the committed school definition under that name, changed by `edit`. */
  function write(name: string, edit: (yaml: string) => string): void {
    const yaml = edit(readFileSync(path.join(PROJECT_ROOT, 'connectors', 'school', 'connector.yaml'), 'utf8').replace(/^name: school$/m, `name: ${name}`));
    mkdirSync(path.join(defs, name), { recursive: true });
    writeFileSync(path.join(defs, name, 'connector.yaml'), yaml);
  }

  const service = () => new ConnectorSyncService({
    sql: ctx.sql, ingest: ctx.ingest, projections: new ProjectionWriter(), catalog: ConnectorCatalog.load(defs), logger: createLogger({ level: 'silent' }),
  });

  /** What the school records hold that the narrow copy maps none of. */
  const held = async () => ctx.sql.one<{ records: number; fathers: number; mothers: number; groups: number; enrolments: number; disabilities: number }>(
    `SELECT count(*)::int AS records, count(father_name)::int AS fathers, count(mother_name)::int AS mothers,
            count(*) FILTER (WHERE jsonb_array_length(groups) > 0)::int AS groups,
            (SELECT count(*) FROM school_enrolment)::int AS enrolments, (SELECT count(*) FROM disability_record)::int AS disabilities
       FROM source_record WHERE source_system = 'school'`);

  /** The school definition without the parents' names, the groups and the projections. */
  const narrow = (yaml: string) => {
    const out = yaml
      .replace(/^ {6}(fatherName|motherName):.*\n/gm, '')
      .replace(/^ {4}groups:\n[\s\S]*$/m, '');
    expect(out).not.toMatch(/fatherName|motherName|groups:|projections:/);
    return out;
  };

  it('holds the narrower connector\'s first page, stores nothing of it, and says so in a dry run', async () => {
    expect((await service().run('school', { trigger: 'CLI' })).status).toBe('SUCCEEDED');
    const before = (await held())!;
    expect(before.records).toBe(sim.recordCount);
    for (const n of [before.fathers, before.mothers, before.groups, before.enrolments, before.disabilities]) expect(n).toBeGreaterThan(0);

    write('school-narrow', narrow);
    const sync = service();
    const dry = await sync.dryRun('school-narrow');
    expect(dry.wouldFail).toEqual(['CONNECTOR_MAPPING_NARROWER']);
    expect(dry.warnings).toContainEqual(expect.stringMatching(
      /^a sync would hold this page \(CONNECTOR_MAPPING_NARROWER\): connector school-narrow, page 1: of the page's 100 records, 100 were stored last by connector school, whose copies hold /));

    const refused = await sync.run('school-narrow', { trigger: 'CLI' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CONNECTOR_MAPPING_NARROWER' });
    const message = (refused as Error).message;
    expect(message).toMatch(new RegExp('^connector school-narrow, page 1: of the page\'s 100 records, 100 were stored last by connector school, whose copies hold '
      + 'fatherName \\(\\d+\\), motherName \\(\\d+\\), groups\\.d \\(\\d+\\), projections\\.disability \\(\\d+\\), projections\\.schoolEnrolment \\(100\\), '
      + 'which this connector\'s copies would not: stored, the records would lose those values, while that connector, defined here, goes on storing its own copies of them\\. '
      + 'The page was not stored'));
    expect(message).toMatch(/disable it \(enabled: false\) or remove its folder$/);
    // Nothing of the page stored; the run failed before its first batch, for good (no retry can help).
    expect(await held()).toEqual(before);
    const run = await ctx.sql.one<{ status: string; batches: number; error_code: string }>(
      `SELECT r.status, r.batches, r.error->>'code' AS error_code FROM connector_run r JOIN connector c ON c.id = r.connector_id
        WHERE c.name = 'school-narrow' ORDER BY r.created_at DESC LIMIT 1`);
    expect(run).toEqual({ status: 'FAILED', batches: 0, error_code: 'CONNECTOR_MAPPING_NARROWER' });
  });

  it('lets a connector that maps the same values rewrite the records, and names the connector that stored them last', async () => {
    // The same values from the same paths, without the source's update time (not a value another connector's copy loses).
    write('school-same', (yaml) => yaml.replace(/^ {6}sourceUpdatedAt:.*\n/m, '').replace(/requestsPerSecond:\s*\d+/, 'requestsPerSecond: 100000'));
    const before = (await held())!;
    const same = await service().run('school-same', { trigger: 'CLI' });
    expect(same).toMatchObject({ status: 'SUCCEEDED', updated: sim.recordCount });
    expect(await held()).toEqual(before);
    await expect(service().run('school-narrow', { trigger: 'CLI' })).rejects.toThrow(/100 were stored last by connector school-same, whose copies hold fatherName/);
  });

  it('holds a copy whose entries never give a value, and counts a sibling whose definition does not validate now (QA re-check)', async () => {
    const before = (await held())!;
    // Entries for every value, none of which ever holds: the mapping has them all, the records would lose them all.
    const never_ = '{ from: gioi_tinh, equals: "never" }';
    write('school-never', (yaml) => yaml.replace(/^records:[\s\S]*$/m, `records:
  - recordType: child
    externalId: { from: ma_dinh_danh_hoc_sinh, required: true }
    fields:
      fullName: { from: ho_ten }
      sex: { from: gioi_tinh, required: true }
      birthDate: { from: ngay_sinh, formats: ["dd/MM/yyyy"] }
      communeCode: { from: ma_xa_thuong_tru, codeSet: VN-2025, when: ${never_} }
      fatherName: { from: ho_ten_cha, when: ${never_} }
      motherName: { from: ho_ten_me, when: ${never_} }
      carerName: { from: ho_ten_nguoi_giam_ho, when: ${never_} }
      identityNumber: { from: so_dinh_danh_ca_nhan }
    groups:
      - { clause: d, when: ${never_} }
      - { clause: h, when: ${never_} }
    projections:
      schoolEnrolment:
        - when: ${never_}
          fields: { studentCode: { from: ma_dinh_danh_hoc_sinh }, status: { from: trang_thai, map: { "Đang học": STUDYING, "Thôi học": DROPPED_OUT } } }
      disability:
        - when: ${never_}
          fields: { type: { from: dang_khuyet_tat } }
`).replace(/requestsPerSecond:\s*\d+/, 'requestsPerSecond: 100000'));
    const never = await service().run('school-never', { trigger: 'CLI' }).catch((e: unknown) => e);
    expect(never).toMatchObject({ code: 'CONNECTOR_MAPPING_NARROWER' });
    expect((never as Error).message).toMatch(/whose copies hold communeCode \(100\), fatherName \(\d+\), motherName \(\d+\), .*projections\.schoolEnrolment \(100\)/);
    expect(await held()).toEqual(before);
    // A path giving a few records the value (QA second re-check: one record keeping it let the page empty the others).
    write('school-few', (yaml) => yaml.replace(/^ {6}fatherName: \{ from: ho_ten_cha \}$/m, '      fatherName: { from: ho_ten_cha, when: { from: khuyet_tat, equals: true } }')
      .replace(/requestsPerSecond:\s*\d+/, 'requestsPerSecond: 100000'));
    await expect(service().run('school-few', { trigger: 'CLI' })).rejects.toThrow(/whose copies hold fatherName \(\d+\), which this connector's copies would not/);
    expect(await held()).toEqual(before);
    // Pages of one record (QA second re-check: a rule judging each page alone never held one): held at the second
    // record that would lose a value; the first may be stored.
    write('school-one', (yaml) => yaml.replace(/^records:[\s\S]*$/m, (records) => records.replace(/^ {6}communeCode:.*$/m, `      communeCode: { from: ma_xa_thuong_tru, codeSet: VN-2025, when: ${never_} }`))
      .replace(/size: 1000\b/, 'size: 1').replace(/requestsPerSecond:\s*\d+/, 'requestsPerSecond: 100000'));
    await expect(service().run('school-one', { trigger: 'CLI' })).rejects.toThrow(/^connector school-one, page 2: of the page's 1 record, 1 was stored last by connector school-same, whose copy holds communeCode \(1\)/);
    const communes = await ctx.sql.one<{ n: number }>(`SELECT count(commune_code)::int AS n FROM source_record WHERE source_system = 'school'`);
    expect(communes!.n).toBeGreaterThanOrEqual(sim.recordCount - 1);
    // school-same (which stored the records last) broken by a typo in its file: still a connector of the system, still counted.
    write('school-same', (yaml) => yaml.replace(/^schedule:/m, 'schedul:').replace(/requestsPerSecond:\s*\d+/, 'requestsPerSecond: 100000'));
    await expect(service().run('school-narrow', { trigger: 'CLI' })).rejects.toThrow(/stored last by connector school-same, whose copies hold/);
    expect(await held()).toEqual(before);
    write('school-same', (yaml) => yaml.replace(/^ {6}sourceUpdatedAt:.*\n/m, '').replace(/requestsPerSecond:\s*\d+/, 'requestsPerSecond: 100000'));
    // Their folders removed, these copies are no connectors of the system any more (school-one stored a record last).
    for (const name of ['school-never', 'school-few', 'school-one']) rmSync(path.join(defs, name), { recursive: true, force: true });
  });

  it('takes the records over once the other connectors are disabled', async () => {
    write('school', (yaml) => yaml.replace(/^kind: http$/m, 'enabled: false\nkind: http'));
    // Still one enabled: still held (the folder is read again before each sync).
    await expect(service().run('school-narrow', { trigger: 'CLI' })).rejects.toMatchObject({ code: 'CONNECTOR_MAPPING_NARROWER' });
    write('school-same', (yaml) => yaml.replace(/^kind: http$/m, 'enabled: false\nkind: http'));
    const sync = service();
    expect((await sync.dryRun('school-narrow')).wouldFail).toEqual([]);
    const took = await sync.run('school-narrow', { trigger: 'CLI' });
    expect(took).toMatchObject({ status: 'SUCCEEDED', updated: sim.recordCount });
    expect(await held()).toEqual({ records: sim.recordCount, fathers: 0, mothers: 0, groups: 0, enrolments: 0, disabilities: 0 });
  });
});
