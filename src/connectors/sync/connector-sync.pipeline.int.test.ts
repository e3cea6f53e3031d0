import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchoolSimulator, type SchoolSimulator } from '../../../connectors/school/simulator.js';
import { createTestAppContext } from '../../../test/support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from '../../../test/support/test-env.js';
import type { AppContext } from '../../app/app-context.js';
import { PROJECT_ROOT } from '../../config/config.js';
import { createSql, type Sql } from '../../db/sql.js';
import { newId } from '../../db/ids.js';
import { createLogger } from '../../observability/logger.js';
import { ProjectionWriter } from '../../services/projections/projection.writer.js';
import { ConnectorCatalog } from '../definition/connector-catalog.js';
import { ConnectorSyncService } from './connector-sync.service.js';
import { tempDir } from '../../../test/support/temp-dir.js';

/**
 * The sync prepares the next page while the current one is being stored. A page that fails while the
 * previous one is in its transaction must fail the run cleanly (no unhandled rejection, the previous page
 * and its checkpoint kept), and the next run must resume from that checkpoint with every record stored once.
 */
describe('connector sync pipeline', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let sim: SchoolSimulator;
  let defs: string;
  let sync: ConnectorSyncService;
  const saved = { ...process.env };

  beforeAll(async () => {
    sim = await startSchoolSimulator({ seed: 77, count: 400, port: 0, apiKey: 'pipeline-key', pageSize: 50, maxPageSize: 50 });
    process.env.SCHOOL_API_URL = sim.url;
    process.env.SCHOOL_API_KEY = 'pipeline-key';
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
    // The school definition with a single attempt per request, so an injected 429 fails the page at once,
    // and a budget that does not space the requests: the failing page is read while the previous one is stored.
    defs = tempDir('childhub-pipeline-');
    mkdirSync(path.join(defs, 'school'));
    const yaml = readFileSync(path.join(PROJECT_ROOT, 'connectors', 'school', 'connector.yaml'), 'utf8');
    const once = yaml.replace(/maxAttempts:\s*\d+/, 'maxAttempts: 1').replace(/requestsPerSecond:\s*\d+/, 'requestsPerSecond: 100000');
    expect(once).not.toBe(yaml);
    writeFileSync(path.join(defs, 'school', 'connector.yaml'), once);
    sync = new ConnectorSyncService({
      sql: ctx.sql, ingest: ctx.ingest, projections: new ProjectionWriter(), catalog: ConnectorCatalog.load(defs), logger: createLogger({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
    await sim?.close();
    if (defs) rmSync(defs, { recursive: true, force: true });
    process.env = saved;
  });

  it('fails cleanly on a page that breaks while the previous one is stored, then resumes with every record once', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // The third request is refused with 429; with one attempt the third page fails the run.
      sim.setFaults({ rateLimitEvery: 3 });
      await expect(sync.run('school', { trigger: 'CLI' })).rejects.toMatchObject({ code: 'CONNECTOR_UPSTREAM_UNAVAILABLE' });
      const failed = await ctx.sql.one<{ status: string; batches: number; inserted: number }>(
        `SELECT status, batches, inserted FROM connector_run ORDER BY created_at DESC LIMIT 1`);
      expect(failed).toMatchObject({ status: 'FAILED', batches: 2, inserted: 100 });
      expect(Number((await ctx.sql.one<{ n: string }>(`SELECT count(*)::text AS n FROM source_record WHERE source_system = 'school'`))!.n)).toBe(100);

      sim.setFaults({});
      const resumed = await sync.run('school', { trigger: 'CLI' });
      expect(resumed.status).toBe('SUCCEEDED');
      const rows = await ctx.sql.one<{ n: string; keys: string; unlinked: string; enrolments: string }>(
        `SELECT count(*)::text AS n, count(DISTINCT external_id)::text AS keys, count(*) FILTER (WHERE child_id IS NULL)::text AS unlinked,
                (SELECT count(*) FROM school_enrolment)::text AS enrolments
           FROM source_record WHERE source_system = 'school'`);
      expect(rows).toEqual({ n: String(sim.recordCount), keys: String(sim.recordCount), unlinked: '0', enrolments: String(sim.recordCount) });
      // Give any stray rejection a turn of the event loop to surface.
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  /**
   * A copy of the test's school definition under another name, changed by `edit` (the copy must then contain
   * `expected`), and a sync service that knows it.
   */
  const variant = (name: string, edit: (yaml: string) => string, expected: string, dir = defs) => {
    const yaml = edit(readFileSync(path.join(defs, 'school', 'connector.yaml'), 'utf8').replace(/^name: school$/m, `name: ${name}`));
    expect(yaml).toContain(expected);
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'connector.yaml'), yaml);
    return new ConnectorSyncService({
      sql: ctx.sql, ingest: ctx.ingest, projections: new ProjectionWriter(), catalog: ConnectorCatalog.load(dir), logger: createLogger({ level: 'silent' }),
    });
  };

  it('dry-run names the paths of the mapping that no record of the page has (QA: a misspelt path, every field empty, no word)', async () => {
    const s = variant('school-typo', (yaml) => yaml.replace(/\{ from: ho_ten\b/, '{ from: ho_tenn'), 'from: ho_tenn');
    const dry = await s.dryRun('school-typo');
    expect(dry.warnings).toContainEqual(expect.stringMatching(/^page 1: the mapping reads «ho_tenn», which none of the page's 50 records has/));
    // A pilot API's small page read from the beginning is judged too, saying so few records may lack it by chance.
    const small = variant('school-small', (yaml) => yaml.replace(/\{ from: ho_ten\b/, '{ from: ho_tenn').replace(/size: 1000\b/, 'size: 3'), 'size: 3');
    // (Three pupils may all lack a guardian's name: the warning says so few records may lack a field by chance.)
    expect((await small.dryRun('school-small')).warnings).toContainEqual(
      expect.stringMatching(/^page 1: the mapping reads «ho_tenn»(, «\w+»)*, which none of the page's 3 records has: .*\(or so few records happen not to use it\)$/));
    // The shipped definition reads nothing a whole page lacks; a page of one record of an incremental read is
    // not judged.
    expect((await variant('school-plain', (yaml) => yaml, 'name: school-plain').dryRun('school-plain')).warnings).toEqual([]);
    expect((await sync.dryRun('school')).warnings).toEqual([]);
    // A record id's join part written as a bare string, meant as text: the warning names it and says how text is written (QA re-check).
    const joined = variant('school-join', (yaml) => yaml.replace('externalId: { from: ma_dinh_danh_hoc_sinh, required: true }', 'externalId: { join: [HS, { from: ma_dinh_danh_hoc_sinh }], separator: "-" }'), 'join: [HS');
    expect((await joined.dryRun('school-join')).warnings).toContainEqual(expect.stringMatching(
      /^page 1: the mapping reads «HS», which none of the page's 50 records has: .*; a record id's join part written as a bare string is a column: text is written \{ value: "HS" \}$/));
  });

  it('commits each batch without waiting for the disk, and the run\'s own transactions as usual', async () => {
    // The test cluster runs with synchronous_commit off; these connections have it on, as a production server.
    const url = new URL(env.databaseUrl);
    url.searchParams.set('options', '-c synchronous_commit=on');
    const durable = createSql(url.toString(), 3);
    const seen: string[] = [];
    const sql = Object.create(durable) as Sql;
    sql.tx = (fn, opts) => durable.tx(async (client) => {
      seen.push((await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!.synchronous_commit);
      return fn(client);
    }, opts);
    try {
      const s = new ConnectorSyncService({
        sql, ingest: ctx.ingest, projections: new ProjectionWriter(), catalog: ConnectorCatalog.load(defs), logger: createLogger({ level: 'silent' }),
      });
      await ctx.sql.query(`UPDATE connector SET state = NULL WHERE name = 'school'`);
      sim.touch(60);
      const run = await s.run('school', { trigger: 'CLI' });
      expect(run).toMatchObject({ status: 'SUCCEEDED', updated: 60 });
      const batches = Math.ceil(sim.recordCount / 50);
      // Claiming the run is an ordinary transaction; each batch's is not; nor is marking the records gone from the
      // source (the school connector has `removals`, and this read starts from no state: a full read).
      expect(seen).toEqual(['on', ...Array<string>(batches).fill('off'), 'on']);
      // SET LOCAL ends with its transaction: the pool's connections keep the server's setting.
      expect((await durable.one<{ synchronous_commit: string }>('SHOW synchronous_commit'))!.synchronous_commit).toBe('on');
    } finally {
      await durable.close();
    }
  });

  it('a record whose projection value is not one the store takes is quarantined with the path and reason; the records around it land (QA: one value failed the whole sync)', async () => {
    // A status read unmapped: the pupil's personal number where there is one (refused), STUDYING otherwise.
    // The definition validates (a value read from the source cannot be judged before a sync).
    // Last: its run stores the valid school records under this mapping, which the tests above do not expect.
    const s = variant('school-raw-status', (yaml) => yaml.replace(/status: \{ from: trang_thai, map: \{[^}]*\} \}/, 'status: { firstOf: [{ from: so_dinh_danh_ca_nhan }, { value: STUDYING }] }'), 'firstOf: [{ from: so_dinh_danh_ca_nhan }');
    // Told by the mapping, with the record's other problems (QA: it came in a second round, from the store).
    const refusal = { field: 'projections.schoolEnrolment[0].status', code: 'NOT_ALLOWED_VALUE', message: expect.stringMatching(/^must be one of STUDYING, DROPPED_OUT; got (12 digits|text of \d+ characters \(digits, spaces\)) \(map the source's values onto these\)$/) };

    const dry = await s.dryRun('school-raw-status');
    expect(dry.warnings).toEqual([]);
    expect(dry.rejects.length).toBeGreaterThan(0);
    expect(dry.valid).toBeGreaterThan(0);
    expect(dry.rejects.length + dry.valid).toBe(dry.fetched);
    for (const r of dry.rejects) expect(r.problems).toEqual([refusal]);

    const result = await s.run('school-raw-status', { trigger: 'CLI' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.rejected).toBeGreaterThan(0);
    expect(result.inserted + result.updated + result.unchanged + result.rejected).toBe(result.fetched);
    expect(result.inserted + result.updated).toBe(result.fetched - result.rejected);
    const quarantined = await ctx.sql.query<{ reasons: unknown; has_number: boolean }>(
      `SELECT x.reasons, coalesce(x.payload->>'so_dinh_danh_ca_nhan', '') <> '' AS has_number FROM rejected_record x
         JOIN connector c ON c.id = x.connector_id WHERE c.name = 'school-raw-status' AND x.resolved_at IS NULL`);
    expect(quarantined).toHaveLength(result.rejected);
    for (const q of quarantined) expect(q).toEqual({ reasons: [refusal], has_number: true });
    // The valid records were stored with their enrolment, as this mapping made it.
    const studying = await ctx.sql.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM source_record r JOIN connector_run cr ON cr.id = r.connector_run_id JOIN connector c ON c.id = cr.connector_id
         JOIN school_enrolment e ON e.source_record_id = r.id AND e.status = 'STUDYING' WHERE c.name = 'school-raw-status'`);
    expect(studying!.n).toBe(result.fetched - result.rejected);
  });
  it('a queued run that continues a stopped run\'s checkpoint counts as resumed; a scheduled job served by a later run is skipped (QA)', async () => {
    const connectorId = (await ctx.sql.one<{ id: string }>(`SELECT id FROM connector WHERE name = 'school'`))!.id;
    // A run its worker left RUNNING (no lock held), and a queued run that takes over its checkpoint.
    const stopped = newId('connectorRun');
    await ctx.sql.query(`INSERT INTO connector_run (id, connector_id, trigger, status, started_at, heartbeat_at) VALUES ($1, $2, 'SCHEDULE', 'RUNNING', now(), now())`, [stopped, connectorId]);
    const { runId } = await sync.requestSync('school', { trigger: 'CLI' });
    const queued = await sync.runQueued(runId);
    expect(queued).toMatchObject({ status: 'SUCCEEDED', resumed: true });
    expect(await ctx.sql.one(`SELECT resumed FROM connector_run WHERE id = $1`, [runId])).toEqual({ resumed: 1 });
    expect(await ctx.sql.one(`SELECT status, error->>'message' AS message FROM connector_run WHERE id = $1`, [stopped]))
      .toEqual({ status: 'FAILED', message: `the process running it stopped (a worker, or a CLI sync); ${runId} continued from its checkpoint` });

    // A scheduled job whose slot fired before that run started, given out again late: skipped, nothing read.
    const runs = async () => Number((await ctx.sql.one<{ n: string }>(`SELECT count(*)::text AS n FROM connector_run WHERE connector_id = $1`, [connectorId]))!.n);
    const before = await runs();
    const late = await sync.run('school', { trigger: 'SCHEDULE' }, { scheduledAt: Date.now() - 60_000 });
    expect(late.status).toBe('SKIPPED');
    expect(await runs()).toBe(before);
    // One whose slot fired after the last run started runs.
    const due = await sync.run('school', { trigger: 'SCHEDULE' }, { scheduledAt: Date.now() });
    expect(due.status).toBe('SUCCEEDED');
  });
  it('holds a page whose records would lose stored values to a path none of them has, and stores it once the path is optional', async () => {
    // The school records are stored (the first test), with their names.
    const named = async () => (await ctx.sql.one<{ n: number }>(
      `SELECT count(full_name)::int AS n FROM source_record WHERE source_system = 'school'`))!.n;
    const before = await named();
    expect(before).toBe(sim.recordCount);
    // A copy of the connector with the name's path misspelt (QA: 216 children's names emptied, the run SUCCEEDED).
    const typo = variant('school-typo-sync', (yaml) => yaml.replace(/\{ from: ho_ten\b/, '{ from: ho_tenn'), 'from: ho_tenn');
    const refused = await typo.run('school-typo-sync', { trigger: 'CLI', force: true }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CONNECTOR_MAPPING_UNREAD' });
    expect((refused as Error).message).toMatch(
      /^connector school-typo-sync, page 1: the mapping reads «ho_tenn», which none of the page's 50 records has, and records of the page were stored before with a value there \(fullName of 50\): stored, they would lose it\. The page was not stored.* list it in http\.optionalPaths$/);
    const run = await ctx.sql.one<{ status: string; batches: number; error_code: string }>(
      `SELECT r.status, r.batches, r.error->>'code' AS error_code FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE c.name = 'school-typo-sync' ORDER BY r.created_at DESC LIMIT 1`);
    expect(run).toEqual({ status: 'FAILED', batches: 0, error_code: 'CONNECTOR_MAPPING_UNREAD' });
    expect(await named()).toBe(before);
    // The dry run says so, and a script relying on it stops (QA re-check: it warned and exited 0).
    const dry = await typo.dryRun('school-typo-sync', { force: true });
    // (A copy that would empty the names the school connector, defined beside it, stored: held as narrower too.)
    expect(dry.wouldFail).toEqual(['CONNECTOR_MAPPING_NARROWER', 'CONNECTOR_MAPPING_UNREAD']);
    expect(dry.warnings).toContainEqual(expect.stringMatching(/^a sync would hold this page \(CONNECTOR_MAPPING_UNREAD\): connector school-typo-sync, page 1: /));
    // Pages of a few records are held too when every record of the page had a value there (QA re-check: pages of 5
    // emptied 216 names unchecked).
    const small = variant('school-typo-small', (yaml) => yaml.replace(/\{ from: ho_ten\b/, '{ from: ho_tenn').replace(/size: 1000\b/, 'size: 5'), 'size: 5');
    await expect(small.run('school-typo-small', { trigger: 'CLI', force: true })).rejects.toMatchObject({ code: 'CONNECTOR_MAPPING_UNREAD' });
    expect(await named()).toBe(before);

    // Listed as a path the API may leave out: stored empty, as the definition says.
    // In a folder of its own: the copy replaces the school connector and its other copies, which stored the records (beside
    // them, it is held as narrower, CONNECTOR_MAPPING_NARROWER: its copies would lose the names they keep storing).
    const alone = tempDir('childhub-pipeline-alone-');
    const optional = variant('school-optional', (yaml) => yaml.replace(/\{ from: ho_ten\b/, '{ from: ho_tenn').replace(/^  records: data$/m, '  records: data\n  optionalPaths: [ho_tenn]'), 'optionalPaths: [ho_tenn]', alone);
    expect((await optional.run('school-optional', { trigger: 'CLI', force: true })).status).toBe('SUCCEEDED');
    expect(await named()).toBe(0);
    // Told in the log at info level, not as a warning: the definition says the source leaves it out (QA: a fresh demo
    // warned of the health station's guardian).
    const lines: Array<{ level: number; msg: string }> = [];
    const told = new ConnectorSyncService({
      sql: ctx.sql, ingest: ctx.ingest, projections: new ProjectionWriter(), catalog: ConnectorCatalog.load(alone),
      logger: createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) } }),
    });
    expect((await told.run('school-optional', { trigger: 'CLI', force: true })).status).toBe('SUCCEEDED');
    const unreadLines = lines.filter((l) => /the mapping reads «ho_tenn», which none of the page's \d+ records has: fullName stored empty \(listed in http\.optionalPaths\)$/.test(l.msg));
    expect(unreadLines.length).toBeGreaterThan(0);
    expect(unreadLines.every((l) => l.level === 30)).toBe(true);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    // The dry run tells it the same way: a note, not a warning (QA re-check).
    const toldDry = await told.dryRun('school-optional', { force: true });
    expect(toldDry.warnings.filter((w) => w.includes('ho_tenn'))).toEqual([]);
    expect(toldDry.notes).toEqual([expect.stringMatching(/^page 1: the mapping reads «ho_tenn», which none of the page's 50 records has: stored empty \(listed in http\.optionalPaths\)$/)]);
    rmSync(alone, { recursive: true, force: true });
  });

  it('holds a page whose groups or projections would lose stored values to a path none of its records has (QA: school names and group d taken, no word)', async () => {
    const stored = async () => (await ctx.sql.one<{ names: number; disabled: number }>(
      `SELECT (SELECT count(e.school_name)::int FROM school_enrolment e JOIN source_record s ON s.id = e.source_record_id WHERE s.source_system = 'school') AS names,
              (SELECT count(*)::int FROM source_record WHERE source_system = 'school' AND groups @> '[{"clause": "d"}]') AS disabled`))!;
    const before = await stored();
    expect(before.names).toBe(sim.recordCount);
    expect(before.disabled).toBeGreaterThan(0);

    // A projection's field misspelt in a copy of the connector: every pupil of the page had a school name.
    const enrolment = variant('school-typo-enrolment', (yaml) => yaml.replace(/\{ from: ten_truong \}/, '{ from: ten_truongg }'), 'from: ten_truongg }');
    const held = await enrolment.run('school-typo-enrolment', { trigger: 'CLI', force: true }).catch((e: unknown) => e);
    expect(held).toMatchObject({ code: 'CONNECTOR_MAPPING_UNREAD' });
    expect((held as Error).message).toMatch(new RegExp(
      '^connector school-typo-enrolment, page 1: the mapping reads «ten_truongg», which none of the page\'s 50 records has, and records of the page ' +
        'were stored before with a value there \\(projections\\.schoolEnrolment\\.schoolName of 50\\): stored, they would lose it\\. ' +
        '«ten_truongg» is new there: the mapping they were stored with read another path\\. The page was not stored'));
    const dry = await enrolment.dryRun('school-typo-enrolment', { force: true });
    expect(dry.wouldFail).toEqual(['CONNECTOR_MAPPING_UNREAD']);

    // A group's test misspelt: few pupils are disabled, so no page had it for every pupil, but the path is new since
    // the records were stored (the school connector's mapping, which the copy's records would rewrite).
    const group = variant('school-typo-group', (yaml) => yaml.replace(/when: \{ from: khuyet_tat, equals: true \}/, 'when: { from: khuyet_tatt, equals: true }'), 'from: khuyet_tatt');
    const heldGroup = await group.run('school-typo-group', { trigger: 'CLI', force: true }).catch((e: unknown) => e);
    expect(heldGroup).toMatchObject({ code: 'CONNECTOR_MAPPING_UNREAD' });
    expect((heldGroup as Error).message).toMatch(/, page \d+: the mapping reads «khuyet_tatt», which none of the page's 50 records has, .*\(groups\.d of \d+\): stored, they would lose it\. «khuyet_tatt» is new there: /);
    expect(await stored()).toEqual(before);
    // One alternative of a firstOf misspelt: the pupils the other does not cover would lose group d (QA: the flag's
    // alternative misspelt took d from the flag-only children, the run SUCCEEDED).
    const uncovered = (await ctx.sql.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM source_record WHERE source_system = 'school' AND groups @> '[{"clause": "d"}]' AND (raw->>'dang_khuyet_tat') IS DISTINCT FROM 'VAN_DONG'`))!.n;
    expect(uncovered).toBeGreaterThan(0);
    const alternative = variant('school-typo-firstof', (yaml) => yaml.replace(/when: \{ from: khuyet_tat, equals: true \}/, 'when: { firstOf: [khuyet_tatt, dang_khuyet_tat], in: [true, VAN_DONG] }'), 'firstOf: [khuyet_tatt, dang_khuyet_tat]');
    await expect(alternative.run('school-typo-firstof', { trigger: 'CLI', force: true })).rejects.toMatchObject({ code: 'CONNECTOR_MAPPING_UNREAD', message: expect.stringMatching(/«khuyet_tatt».*\(groups\.d of \d+\).*«khuyet_tatt» is new/) });
    expect(await stored()).toEqual(before);
    // A second source of group d's evidence, which no record has yet, beside the first: nothing is lost, stored (QA: held).
    const second = variant('school-second-d', (yaml) => yaml.replace(/^    groups:\n/m, '    groups:\n      - clause: d\n        when: { from: khuyet_tat_2026, equals: true }\n'), 'from: khuyet_tat_2026');
    expect((await second.run('school-second-d', { trigger: 'CLI', force: true })).status).toBe('SUCCEEDED');
    expect(await stored()).toEqual(before);
    // A path no record of the whole read had is not recorded as read (QA third round: a misspelling whose read stored
    // nothing it would empty was, and never told after). The first path then taken out, the added one is still new
    // there and replaces it: the disabled pupils would lose their evidence, held.
    const recordedBy = async (name: string) => (await ctx.sql.one<{ p: string[] }>(`SELECT records_mapping_paths AS p FROM connector WHERE name = $1`, [name]))!.p;
    expect(await recordedBy('school-second-d')).toContain('groups.d ← khuyet_tat');
    expect(await recordedBy('school-second-d')).not.toContain('groups.d ← khuyet_tat_2026');
    const secondFile = path.join(defs, 'school-second-d', 'connector.yaml');
    const onlyNew = readFileSync(secondFile, 'utf8').replace(/when: \{ from: khuyet_tat, equals: true \}/, 'when: { from: khuyet_tat_2026, equals: true }');
    expect(onlyNew.match(/- clause: d\s+(#[^\n]*)?\s+when: \{ from: khuyet_tat_2026, equals: true \}/g)).toHaveLength(2);
    writeFileSync(secondFile, onlyNew);
    const secondOnly = new ConnectorSyncService({
      sql: ctx.sql, ingest: ctx.ingest, projections: new ProjectionWriter(), catalog: ConnectorCatalog.load(defs), logger: createLogger({ level: 'silent' }),
    });
    await expect(secondOnly.run('school-second-d', { trigger: 'CLI', force: true })).rejects.toMatchObject({ code: 'CONNECTOR_MAPPING_UNREAD', message: expect.stringMatching(/«khuyet_tat_2026».*\(groups\.d of \d+\).*«khuyet_tat_2026» is new there/) });
    expect(await stored()).toEqual(before);
    // The connector itself edited: its next sync reads from the first page (the mapping changed), and so does its dry
    // run, which tells the hold (QA: it previewed the incremental page and exited 0).
    const own = path.join(defs, 'school', 'connector.yaml');
    const kept = readFileSync(own, 'utf8');
    try {
      writeFileSync(own, kept.replace(/\{ from: ten_truong \}/, '{ from: ten_truongg }'));
      const edited = new ConnectorSyncService({
        sql: ctx.sql, ingest: ctx.ingest, projections: new ProjectionWriter(), catalog: ConnectorCatalog.load(defs), logger: createLogger({ level: 'silent' }),
      });
      const preview = await edited.dryRun('school');
      expect(preview.warnings[0]).toMatch(/^the mapping changed since the stored records were read: a sync reads the whole source again, as a forced one, and so does this dry run/);
      expect(preview.location).toBe('page 1');
      expect(preview.wouldFail).toEqual(['CONNECTOR_MAPPING_UNREAD']);
    } finally {
      writeFileSync(own, kept);
    }
    // A new path of a group no record had, over a page of records stored without it: stored, but the dry run tells it.
    const added = variant('school-new-group', (yaml) => yaml.replace(/^    groups:\n/m, '    groups:\n      - clause: k\n        when: { from: mo_coii, equals: true }\n'), 'from: mo_coii');
    const told = await added.dryRun('school-new-group', { force: true });
    expect(told.wouldFail).toEqual([]);
    expect(told.warnings).toContainEqual(expect.stringMatching(
      /^page 1: the mapping reads «mo_coii» \(groups\.k\), new since the stored records were read, which none of the page's 50 records has: a misspelt path leaves it empty in every record/));

    // The connector itself, its mapping unchanged: evidence the source ended is lost on a page of few changed records,
    // whoever had it (QA re-check: two flags corrected in one hour held the connector for good); a value every record
    // of a page of 10 or more would lose holds it; a new path is blamed only where one read before is read no more.
    const { unreadLoss, recordedPaths } = await import('./unread-loss.js');
    const { compileRecordMapper } = await import('../mapping/record-mapper.js');
    const loaded = ConnectorCatalog.load(defs).get('school');
    const mapper = compileRecordMapper('school', loaded.definition.records);
    const recorded = await recordedPaths(ctx.sql, (await ctx.sql.one<{ id: string }>(`SELECT id FROM connector WHERE name = 'school'`))!.id, 'school');
    expect(recorded?.has('groups.d ← khuyet_tat')).toBe(true);
    const ids = await ctx.sql.query<{ id: string; d: boolean }>(
      `SELECT external_id AS id, groups @> '[{"clause": "d"}]' AS d FROM source_record WHERE source_system = 'school' ORDER BY external_id`);
    const pupil = (id: string) => ({ data: { ma_dinh_danh_hoc_sinh: id, ho_ten: 'X', gioi_tinh: 'Nam', trang_thai: 'Đang học' } });
    const disabled = ids.filter((r) => r.d).map((r) => r.id);
    const other = ids.find((r) => !r.d)!.id;
    const judge = (page: string[], paths = recorded, fullRead = true) => unreadLoss(ctx.sql, loaded.definition, page.map(pupil), mapper, { recorded: paths, seen: new Set(), wouldStore: () => true, fullRead });
    const onGroups = (lost: Array<{ field: string }>) => lost.filter((l) => l.field.startsWith('groups'));
    expect(onGroups((await judge([disabled[0]!, other])).lost)).toEqual([]);
    expect(onGroups((await judge(disabled.slice(0, 2))).lost)).toEqual([]);
    const names = (lost: Array<{ field: string }>) => lost.filter((l) => l.field === 'projections.schoolEnrolment.schoolName');
    expect(names((await judge(ids.slice(0, 12).map((r) => r.id))).lost)).toEqual([{ paths: ['ten_truong'], field: 'projections.schoolEnrolment.schoolName', stored: 12 }]);
    expect(names((await judge(ids.slice(0, 9).map((r) => r.id))).lost)).toEqual([]);
    // A record new to the hub on the page has nothing to lose: the rule counts those stored with a value (QA fourth round).
    expect(names((await judge([...ids.slice(0, 11).map((r) => r.id), 'HS-NEW-1'])).lost)).toEqual([{ paths: ['ten_truong'], field: 'projections.schoolEnrolment.schoolName', stored: 11 }]);
    // Not on an incremental page: it holds the records changed, which a correction may all have changed alike.
    expect(names((await judge(ids.slice(0, 12).map((r) => r.id), recorded, false)).lost)).toEqual([]);
    // Read with a path the definition no longer reads for group d: the new one is blamed for what any record would lose,
    // though the definition still reads its words for the disability projection (QA third round: not held).
    const renamed = new Set([...recorded!].filter((p) => p !== 'groups.d ← khuyet_tat').concat('groups.d ← dang_khuyet_tat'));
    expect(onGroups((await judge([disabled[0]!, other], renamed)).lost)).toEqual([{ paths: ['khuyet_tat'], field: 'groups.d', stored: 1, newPath: true }]);
    // Not where the path it replaced gave the losing record nothing: what it loses came from elsewhere, and the source
    // ended it (QA fourth round: a renamed second path of group d was blamed, run after run).
    const unused = new Set([...recorded!].filter((p) => p !== 'groups.d ← khuyet_tat').concat('groups.d ← khuyet_tat_cu'));
    expect(onGroups((await judge([disabled[0]!, other], unused)).lost)).toEqual([]);
    // Only added beside those read before (none read no more): not blamed for evidence the source ended.
    expect(onGroups((await judge([disabled[0]!, other], new Set([...recorded!].filter((p) => p !== 'groups.d ← khuyet_tat')))).lost)).toEqual([]);
    // A record that would be refused (quarantined) empties nothing.
    expect(onGroups((await unreadLoss(ctx.sql, loaded.definition, [disabled[0]!, other].map(pupil), mapper, { recorded: renamed, seen: new Set(), wouldStore: () => false, fullRead: true })).lost)).toEqual([]);
    // A path a record of the run had is no misspelling: not judged on the run's later pages.
    const seen = new Set<string>();
    await unreadLoss(ctx.sql, loaded.definition, [{ data: { ...pupil(other).data, khuyet_tat: false } }, pupil(disabled[1]!)], mapper, { recorded: renamed, seen, wouldStore: () => true, fullRead: true });
    expect(onGroups((await unreadLoss(ctx.sql, loaded.definition, [disabled[0]!, other].map(pupil), mapper, { recorded: renamed, seen, wouldStore: () => true, fullRead: true })).lost)).toEqual([]);
  });
  // Last: its connector stores the school system's records under another mapping.
  it('a whole read resumed from its checkpoint counts the paths its pages before the stop had, and records them (QA: they stayed new)', async () => {
    // A group no record has, so that only what the checkpoint carries can make it "had".
    const s = variant('school-resume-paths', (yaml) => yaml.replace(/^    groups:\n/m, '    groups:\n      - clause: k\n        when: { from: mo_coii, equals: true }\n'), 'from: mo_coii');
    // Judged against what the school system's records were read with (a whole read of the school connector's).
    const { recordedPaths } = await import('./unread-loss.js');
    if (!(await recordedPaths(ctx.sql, null, 'school'))?.has('groups.d ← khuyet_tat')) expect((await sync.run('school', { trigger: 'CLI', force: true })).status).toBe('SUCCEEDED');
    expect((await recordedPaths(ctx.sql, null, 'school'))?.has('groups.k ← mo_coii')).toBe(false);
    const pathsOf = async () => (await ctx.sql.one<{ had: string[] | null; recorded: string[] | null }>(
      `SELECT state_paths_had AS had, records_mapping_paths AS recorded FROM connector WHERE name = 'school-resume-paths'`))!;
    try {
      sim.setFaults({ rateLimitEvery: 3 });
      await expect(s.run('school-resume-paths', { trigger: 'CLI' })).rejects.toMatchObject({ code: 'CONNECTOR_UPSTREAM_UNAVAILABLE' });
    } finally {
      sim.setFaults({});
    }
    // Saved with the checkpoint of the second page: what its records and the first page's had.
    const stopped = await pathsOf();
    expect(stopped.had).toContain('groups.d ← khuyet_tat');
    expect(stopped.had).not.toContain('groups.k ← mo_coii');
    expect(stopped.recorded).toBeNull();
    // As if a record of those pages had had it: the resumed read counts it, and records it at its end.
    await ctx.sql.query(`UPDATE connector SET state_paths_had = state_paths_had || '["groups.k ← mo_coii"]'::jsonb WHERE name = 'school-resume-paths'`);
    expect((await s.run('school-resume-paths', { trigger: 'CLI' })).status).toBe('SUCCEEDED');
    const done = await pathsOf();
    expect(done.recorded).toEqual(expect.arrayContaining(['groups.d ← khuyet_tat', 'groups.k ← mo_coii']));
    expect(done.had).toBeNull();
  });
});
