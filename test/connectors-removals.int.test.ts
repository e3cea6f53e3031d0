import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthStationSimulator, type HealthStationSimulator } from '../connectors/health-station/simulator.js';
import { startSchoolSimulator, type SchoolSimulator } from '../connectors/school/simulator.js';
import type { AppContext } from '../src/app/app-context.js';
import { newId } from '../src/db/ids.js';
import { KnownRecords } from '../src/connectors/sync/known-records.js';
import { markRemovals, removalsBaseline } from '../src/connectors/sync/removals.js';
import type { Job } from 'bullmq';
import { connectorSyncProcessor } from '../jobs/processors/connector-sync.processor.js';
import { WITHHELD_MESSAGE } from '../jobs/processors/storable-job-error.js';
import type { QueueClient } from '../jobs/queue-client.js';
import { FULL_READ_REQUESTER, type RunSummary } from '../src/connectors/sync/connector-sync.service.js';
import { buildChildren } from './support/build-children.js';
import { aRecord } from './support/records.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tempDir } from './support/temp-dir.js';

const silent = pino({ level: 'silent' });

/**
 * Records a source no longer returns (`removals` in the school definition), end to end against the school
 * simulator on real PostgreSQL: a full read marks the stored records it did not read absent, keeps them, and
 * unmarks them when a read returns them; an incremental read marks nothing; a read that would mark more than
 * `maxShare`, or that quarantined records without an id, marks nothing new.
 */
describe('records gone from an HTTP source', () => {
  let hub: TestHub;
  let ctx: AppContext;
  let school: SchoolSimulator;
  let health: HealthStationSimulator;
  /** A copy of the project's definitions, to add a second connector of the school system to. */
  let defs: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    school = await startSchoolSimulator({ seed: 6262, count: 600, port: 0, apiKey: 'k', pageSize: 50, maxPageSize: 50, logger: silent });
    health = await startHealthStationSimulator({ seed: 6262, count: 300, port: 0, clientId: 'hub', clientSecret: 'hub-secret', pageSize: 40, maxPageSize: 40, logger: silent });
    Object.assign(process.env, {
      SCHOOL_API_URL: school.url, SCHOOL_API_KEY: 'k',
      HEALTH_STATION_FHIR_URL: health.url, HEALTH_STATION_TOKEN_URL: health.tokenUrl, HEALTH_STATION_CLIENT_ID: 'hub', HEALTH_STATION_CLIENT_SECRET: 'hub-secret',
    });
    defs = tempDir('childhub-removals-defs-');
    cpSync(path.resolve('connectors'), defs, { recursive: true });
    hub = await startTestHub({ env: { CONNECTORS_DIR: defs } });
    ctx = hub.ctx;
  });

  afterAll(async () => {
    await hub?.close();
    if (defs) rmSync(defs, { recursive: true, force: true });
    await school?.close();
    await health?.close();
    process.env = saved;
  });

  const absent = async () =>
    (await ctx.sql.query<{ external_id: string; absent_run_id: string }>(
      `SELECT external_id, absent_run_id FROM source_record WHERE source_system = 'school' AND absent_since IS NOT NULL ORDER BY external_id`,
    ));
  const stored = async () => (await ctx.sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM source_record WHERE source_system = 'school'`))!.n;
  const runRemovals = async (runId: string) =>
    (await ctx.sql.one<{ removals: unknown }>('SELECT removals FROM connector_run WHERE id = $1', [runId]))!.removals;

  it('marks what a full read no longer finds, keeps it, and unmarks what comes back', async () => {
    const total = school.recordCount;
    expect(total).toBeGreaterThan(100);
    const first = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(first).toMatchObject({ status: 'SUCCEEDED', inserted: total, removals: { stored: 0, marked: 0, absent: 0, heldReason: null } });

    // Records the source sends broken are quarantined, not gone. Those with an id are known read; those without one
    // (the simulator's "no id" variant) could be any record: the read then marks nothing, and says why.
    school.setFaults({ malformedRecordRate: 0.05 });
    const broken = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    const rejects = await ctx.sql.one<{ with_id: number; without_id: number }>(
      `SELECT count(external_id)::int AS with_id, count(*) FILTER (WHERE external_id IS NULL)::int AS without_id FROM rejected_record WHERE last_run_id = $1`,
      [broken.runId]);
    expect(rejects!.with_id).toBeGreaterThan(0);
    expect(rejects!.without_id).toBeGreaterThan(0);
    // Sent broken again, as they were: a whole read that meets them closes none of them.
    const stillBroken = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    school.setFaults({});
    expect(stillBroken.removals).toMatchObject({ heldReason: 'UNIDENTIFIED_REJECTS', rejectsClosed: 0 });
    expect((await ctx.sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM rejected_record WHERE resolved_at IS NULL AND last_run_id = $1`, [stillBroken.runId]))!.n)
      .toBe(rejects!.with_id + rejects!.without_id);
    // Held: exactly the records whose copy came without an id (the ones with an id were read).
    expect(broken.removals).toEqual({ stored: total, marked: 0, returned: 0, held: rejects!.without_id, heldReason: 'UNIDENTIFIED_REJECTS', absent: 0, rejectsClosed: 0 });
    // Read whole again: the rejects are resolved, and nothing was gone. Those with an id by the records stored under it;
    // those without one, which no stored record can be told to be, by the whole read not meeting them again.
    const fixed = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(fixed.removals).toMatchObject({ marked: 0, absent: 0, rejectsClosed: rejects!.without_id });
    const closed = await ctx.sql.query<{ resolution: string | null; with_id: boolean; by: string | null; n: number }>(
      `SELECT resolution, external_id IS NOT NULL AS with_id, resolved_by_run_id AS by, count(*)::int AS n FROM rejected_record
        WHERE connector_run_id = $1 GROUP BY 1, 2, 3 ORDER BY 2`, [broken.runId]);
    expect(closed).toEqual([
      { resolution: 'NOT_SENT_AGAIN', with_id: false, by: fixed.runId, n: rejects!.without_id },
      { resolution: 'STORED', with_id: true, by: fixed.runId, n: rejects!.with_id },
    ]);

    const gone = school.remove(3).ids;
    // An incremental read cannot tell a record gone from one unchanged: it does not look.
    const incremental = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(incremental.status).toBe('SUCCEEDED');
    expect(incremental.removals).toBeUndefined();
    expect(await runRemovals(incremental.runId)).toBeNull();
    expect(await absent()).toEqual([]);

    const full = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(full).toMatchObject({ status: 'SUCCEEDED', inserted: 0, updated: 0, unchanged: total - 3 });
    expect(full.removals).toEqual({ stored: total, marked: 3, returned: 0, held: 0, heldReason: null, absent: 3, rejectsClosed: 0 });
    expect(await runRemovals(full.runId)).toEqual(full.removals);
    expect(await absent()).toEqual(gone.sort().map((id) => ({ external_id: id, absent_run_id: full.runId })));
    // Kept, not deleted: the records, their enrolments and their links stay.
    expect(await stored()).toBe(total);
    const kept = await ctx.sql.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM source_record s JOIN school_enrolment e ON e.source_record_id = s.id WHERE s.absent_since IS NOT NULL AND s.child_id IS NOT NULL`);
    expect(kept!.n).toBe(3);

    // Over GraphQL: the run says what it found; the record and the facts it holds say since when the source lacks them.
    await buildChildren(ctx);
    const engineer = await hub.token({ roles: ['integration_engineer'] });
    const runs = await hub.gql<{ connectorRuns: Array<{ id: string; removals: unknown }> }>(
      '{ connectorRuns(connector: "school") { id removals { stored marked returned held heldReason absent rejectsClosed } } }', {}, engineer);
    expect(runs.body.errors).toBeUndefined();
    expect(runs.body.data!.connectorRuns.find((r) => r.id === full.runId)!.removals).toEqual(full.removals);
    expect(runs.body.data!.connectorRuns.find((r) => r.id === incremental.runId)!.removals).toBeNull();
    // Which they are: ids and dates, paged.
    type Absent = { recordId: string; externalId: string; childId: string; absentFromSourceSince: string; markedByRunId: string };
    const page = (before?: string) => hub.gql<{ absentSourceRecords: Absent[] }>(
      'query A($before: ID) { absentSourceRecords(connector: "school", first: 2, before: $before) { recordId externalId childId absentFromSourceSince markedByRunId } }',
      { before }, engineer);
    const first2 = (await page()).body.data!.absentSourceRecords;
    const rest = (await page(first2.at(-1)!.recordId)).body.data!.absentSourceRecords;
    expect([...first2, ...rest].map((r) => r.externalId).sort()).toEqual([...gone].sort());
    expect(first2).toHaveLength(2);
    expect([...first2, ...rest].every((r) => r.markedByRunId === full.runId && r.childId.startsWith('chd_'))).toBe(true);
    const refused = await hub.gql('{ absentSourceRecords(connector: "school") { recordId } }', {}, await hub.token({ roles: ['commune_officer'] }));
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await hub.gql('{ absentSourceRecords(connector: "nope") { recordId } }', {}, engineer);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('CONNECTOR_NOT_FOUND');
    const row = await ctx.sql.one<{ child_id: string; absent_since: Date }>(
      `SELECT child_id, absent_since FROM source_record WHERE source_system = 'school' AND external_id = $1`, [gone[0]]);
    // The school's own fact to an education officer; the source record (the evidence layer) to a data steward.
    const officer = await hub.token({ roles: ['education_officer'] });
    const enrolled = await hub.gql<{ child: { schoolEnrolments: Array<{ source: { externalId: string; absentFromSourceSince: string | null } }> } }>(
      `{ child(id: "${row!.child_id}") { schoolEnrolments { source { externalId absentFromSourceSince } } } }`, {}, officer);
    expect(enrolled.body.errors).toBeUndefined();
    const recorded = await hub.gql<{ child: { sourceRecords: Array<{ externalId: string; absentFromSourceSince: string | null }> } }>(
      `{ child(id: "${row!.child_id}") { sourceRecords { externalId absentFromSourceSince } } }`, {}, await hub.token({ roles: ['data_steward'] }));
    expect(recorded.body.errors).toBeUndefined();
    const child = { body: { data: { child: { ...recorded.body.data!.child, ...enrolled.body.data!.child } } } };
    const since = row!.absent_since.toISOString();
    expect(child.body.data!.child.sourceRecords.find((r) => r.externalId === gone[0])!.absentFromSourceSince).toBe(since);
    expect(child.body.data!.child.schoolEnrolments.find((e) => e.source.externalId === gone[0])!.source.absentFromSourceSince).toBe(since);

    // Read again: still gone, marked once (the date stays the first run's).
    const again = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(again.removals).toEqual({ stored: total, marked: 0, returned: 0, held: 0, heldReason: null, absent: 3, rejectsClosed: 0 });
    expect((await absent()).map((r) => r.absent_run_id)).toEqual([full.runId, full.runId, full.runId]);

    // A record marked absent that the source still returns unchanged (as after an outage) is unmarked by a full read…
    const present = school.records()[0]!.ma_dinh_danh_hoc_sinh;
    await ctx.sql.query(`UPDATE source_record SET absent_since = now(), absent_run_id = $2 WHERE source_system = 'school' AND external_id = $1`, [present, full.runId]);
    const before = (await ctx.sql.one<{ x: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x'))!.x;
    const back = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(back.removals).toEqual({ stored: total, marked: 0, returned: 1, held: 0, heldReason: null, absent: 3, rejectsClosed: 0 });
    // Its child has changed (its enrolment is vouched for again), for partner apps' change feed; no other.
    expect(await ctx.sql.query('SELECT id FROM child WHERE changed_xid >= $1::xid8', [before])).toEqual(
      await ctx.sql.query(`SELECT child_id AS id FROM source_record WHERE source_system = 'school' AND external_id = $1`, [present]));
    // …and one that returns changed is unmarked as it is written, by any read.
    const touched = school.touch(1).ids[0]!;
    await ctx.sql.query(`UPDATE source_record SET absent_since = now(), absent_run_id = $2 WHERE source_system = 'school' AND external_id = $1`, [touched, full.runId]);
    const changed = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(changed).toMatchObject({ status: 'SUCCEEDED', updated: 1 });
    expect((await absent()).map((r) => r.external_id)).toEqual(gone.sort());
    // A full read counts both kinds among `returned` (QA: one returned changed went uncounted).
    const touchedAgain = school.touch(1).ids[0]!;
    await ctx.sql.query(`UPDATE source_record SET absent_since = now(), absent_run_id = $2 WHERE source_system = 'school' AND external_id = ANY($1)`,
      [[touchedAgain, present], full.runId]);
    const both = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(both).toMatchObject({ updated: 1, removals: { stored: total, marked: 0, returned: 2, held: 0, heldReason: null, absent: 3 } });

    // Records another connector feeding the same source system stores are not this connector's to call gone (QA):
    // only the records last stored by the school connector's runs are compared.
    mkdirSync(path.join(defs, 'school-export'));
    writeFileSync(path.join(defs, 'school-export', 'connector.yaml'), readFileSync(path.join(defs, 'school', 'connector.yaml'), 'utf8')
      .replace(/^name: school$/m, 'name: school-export').replace(/^removals: .*$/m, ''));
    ctx.connectors.catalog.refresh();
    const other = await ctx.sql.one<{ id: string; run: string }>(
      `WITH c AS (INSERT INTO connector (id, name, kind, source_system, definition, definition_hash) VALUES ('con_otherschoolexport0000000', 'school-export', 'http', 'school', '{}', 'x') RETURNING id),
            r AS (INSERT INTO connector_run (id, connector_id, trigger, status) SELECT 'run_otherschoolexport0000000', id, 'CLI', 'SUCCEEDED' FROM c RETURNING id, connector_id)
       SELECT connector_id AS id, id AS run FROM r`);
    const stored_ = await ctx.ingest.ingest([aRecord({ sourceSystem: 'school', externalId: 'EXPORT-ONLY-1', identityNumber: null })],
      { connectorId: other!.id, connectorRunId: other!.run });
    expect(stored_).toMatchObject({ inserted: 1, rejected: 0 });
    const notMine = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(notMine.removals).toEqual({ stored: total, marked: 0, returned: 0, held: 0, heldReason: null, absent: 3, rejectsClosed: 0 });
    expect((await absent()).map((r) => r.external_id)).toEqual(gone.sort());
    // The other connector's definition gone (renamed, say: its row stays), its records are no one else's: compared,
    // and this one, which the school source does not return, is marked (QA: a renamed connector compared nothing).
    rmSync(path.join(defs, 'school-export'), { recursive: true });
    ctx.connectors.catalog.refresh();
    const alone = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(alone.removals).toEqual({ stored: total + 1, marked: 1, returned: 0, held: 0, heldReason: null, absent: 4, rejectsClosed: 0 });
    await ctx.sql.query(`DELETE FROM source_record WHERE external_id = 'EXPORT-ONLY-1'`);
    await ctx.sql.query(`DELETE FROM connector_run WHERE id = $1`, [other!.run]);
    await ctx.sql.query(`DELETE FROM connector WHERE id = $1`, [other!.id]);

    // Over maxShare (5%) gone at once: a source answering with part of its data. Nothing new is marked, and no open
    // reject is closed as no longer sent (the part missing may hold it).
    const schoolId = (await ctx.sql.one<{ id: string }>(`SELECT id FROM connector WHERE name = 'school'`))!.id;
    const brokenId = newId('rejectedRecord');
    await ctx.sql.query(
      `INSERT INTO rejected_record (id, connector_id, source_system, external_id, payload, payload_hash, reasons, connector_run_id, last_run_id)
       VALUES ($1, $2, 'school', NULL, '{"ho_ten":1}', 'broken-payload', '[]', $3, $3)`, [brokenId, schoolId, alone.runId]);
    const many = school.remove(Math.ceil(school.recordCount * 0.06)).ids;
    const held = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(held.status).toBe('SUCCEEDED');
    expect(held.removals).toEqual({ stored: total, marked: 0, returned: 0, held: many.length, heldReason: 'OVER_MAX_SHARE', absent: 3, rejectsClosed: 0 });
    expect((await absent()).map((r) => r.external_id)).toEqual(gone.sort());
    expect(await ctx.sql.one(`SELECT resolution FROM rejected_record WHERE id = $1`, [brokenId])).toEqual({ resolution: null });
    await ctx.sql.query(`DELETE FROM rejected_record WHERE id = $1`, [brokenId]);
  });

  it('marks nothing new when the read quarantined records whose id it could not read', async () => {
    const run = await ctx.connectors.run('school', { trigger: 'CLI' });
    const table = (await KnownRecords.load(ctx.sql.pool, 'school'))!;
    const rows = await ctx.sql.query<{ external_id: string; content_hash: string }>(
      `SELECT external_id, content_hash FROM source_record WHERE source_system = 'school' AND absent_since IS NULL ORDER BY external_id`);
    // Every record read but one.
    for (const r of rows.slice(1)) expect(table.judge(r.external_id, r.content_hash)).toBe('unchanged');
    await ctx.sql.query(
      `INSERT INTO rejected_record (id, source_system, external_id, payload, payload_hash, reasons, connector_run_id, last_run_id) VALUES ($1, 'school', NULL, '{}', 'test', '[]', $2, $2)`,
      [newId('rejectedRecord'), run.runId],
    );
    const connectorId = (await ctx.sql.one<{ id: string }>(`SELECT id FROM connector WHERE name = 'school'`))!.id;
    const baseline = await removalsBaseline(ctx.sql, 'school', connectorId, false);
    const input = { sourceSystem: 'school', connectorId, runId: run.runId, table, maxShare: 0.5, baseline };
    const found = await markRemovals(ctx.sql, input);
    expect(found).toMatchObject({ marked: 0, held: 1, heldReason: 'UNIDENTIFIED_REJECTS' });
    // Without that reject, the same read marks it.
    await ctx.sql.query(`DELETE FROM rejected_record WHERE last_run_id = $1`, [run.runId]);
    const marked = await markRemovals(ctx.sql, input);
    expect(marked).toMatchObject({ marked: 1, held: 0, heldReason: null });
    expect((await absent()).map((r) => r.external_id)).toContain(rows[0]!.external_id);
  });

  it('a forced read that stopped part-way goes on from its own checkpoint when its job is retried, counting each record once, and does not look (QA)', async () => {
    const { runId } = await ctx.connectors.requestSync('school', { trigger: 'CLI', force: true });
    let batches = 0;
    const stop = () => {
      if (++batches === 3) throw new Error('the worker stopped');
    };
    // The job's first attempt fails (its run waits RETRYING), and its second goes on.
    const attempt = (n: number) => ({ jobId: `removals-retried-${runId}`, attempt: n, maxAttempts: 5, retryInMs: () => 1_000 });
    await expect(ctx.connectors.runQueued(runId, { onProgress: stop, job: attempt(1) })).rejects.toThrow('the worker stopped');
    expect((await ctx.sql.one<{ status: string }>('SELECT status FROM connector_run WHERE id = $1', [runId]))!.status).toBe('RETRYING');
    const pagesBefore = school.stats().pagesServed;
    const retried = await ctx.connectors.runQueued(runId, { job: attempt(2) });
    expect(retried).toMatchObject({ status: 'SUCCEEDED', resumed: true, fetched: school.recordCount });
    // The retry read on from the checkpoint (pages of 50; three stored before the stop), not from the first page.
    expect(school.stats().pagesServed - pagesBefore).toBeLessThanOrEqual(Math.ceil(school.recordCount / 50) - 2);
    // Its first pages were judged by the first attempt, whose table is gone: it cannot tell what went.
    expect(retried.removals).toBeUndefined();
    // Owed, though forced by hand: the next scheduled sync reads the whole source and looks (QA: a forced read cut
    // short by a stop had to be repeated by hand).
    expect(await ctx.connectors.fullReadOwed('school')).toBe(true);
    const processor = connectorSyncProcessor(ctx, { queues: {} as QueueClient });
    const job = { id: 'j', data: { connector: 'school' }, timestamp: Date.now(), attemptsMade: 0, opts: { attempts: 5 }, updateProgress: async () => {} } as unknown as Job;
    const madeUp = (await processor(job)) as RunSummary;
    expect(madeUp).toMatchObject({ status: 'SUCCEEDED', fetched: school.recordCount });
    expect(madeUp.removals).toBeDefined(); // it looked (what it found is the first test's: held, over maxShare)
    expect(await ctx.connectors.fullReadOwed('school')).toBe(false);
  });

  it('a forced read that takes over from a stopped run says it started again, looks, and the stopped run\'s job does not revive it (QA)', async () => {
    const { runId: stopped } = await ctx.connectors.requestSync('school', { trigger: 'CLI', force: true });
    let batches = 0;
    await expect(ctx.connectors.runQueued(stopped, { onProgress: () => { if (++batches === 2) throw new Error('the worker stopped'); } })).rejects.toThrow();
    // As a worker killed mid-read leaves it.
    await ctx.sql.query(`UPDATE connector_run SET status = 'RUNNING', error = NULL, finished_at = NULL WHERE id = $1`, [stopped]);
    const next = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    expect(next).toMatchObject({ status: 'SUCCEEDED', resumed: false, fetched: school.recordCount });
    expect(next.removals).toBeDefined(); // it read the whole source itself: it looked
    const old = await ctx.sql.one<{ status: string; error: { code: string; message: string } }>('SELECT status, error FROM connector_run WHERE id = $1', [stopped]);
    expect(old).toEqual({ status: 'FAILED', error: { code: 'CONNECTOR_RUN_INTERRUPTED', message: `the process running it stopped (a worker, or a CLI sync); ${next.runId} read the source again from the beginning (forced)` } });
    // The stopped run's job, given out again later, finds it finished: it does not read the source behind the later run.
    const pages = school.stats().pagesServed;
    expect((await ctx.connectors.runQueued(stopped)).status).toBe('SKIPPED');
    expect(school.stats().pagesServed).toBe(pages);
    expect((await ctx.sql.one<{ status: string }>('SELECT status FROM connector_run WHERE id = $1', [stopped]))!.status).toBe('FAILED');
  });

  it('a full-read schedule\'s job reads the whole source, forced, and finds records gone, even when an incremental run started after it was due', async () => {
    const processor = connectorSyncProcessor(ctx, { queues: {} as QueueClient });
    const job = (data: unknown, timestamp: number) => ({ id: 'j', data, timestamp, attemptsMade: 0, opts: { attempts: 5 }, updateProgress: async () => {} }) as unknown as Job;
    // Records the earlier tests removed, and held back, marked first: the definition allowing any share for one read.
    const file = path.join(defs, 'school', 'connector.yaml');
    const definition = readFileSync(file, 'utf8');
    writeFileSync(file, definition.replace('maxShare: 0.05', 'maxShare: 1'));
    expect((await ctx.connectors.run('school', { trigger: 'CLI', force: true })).removals).toMatchObject({ heldReason: null });
    writeFileSync(file, definition);
    const gone = school.remove(2).ids;
    const due = Date.now();
    // The incremental schedule's run, started after the full read was due (the full read waited behind it): it does not look.
    const incremental = (await processor(job({ connector: 'school' }, due))) as RunSummary;
    expect(incremental).toMatchObject({ status: 'SUCCEEDED' });
    expect(incremental.removals).toBeUndefined();
    // The full read is not taken as done by that run: it reads every page, and marks the two records gone.
    const full = (await processor(job({ connector: 'school', reason: 'full-read' }, due))) as RunSummary;
    expect(full).toMatchObject({ status: 'SUCCEEDED', fetched: school.recordCount, removals: { marked: 2, heldReason: null } });
    const run = await ctx.sql.one<{ trigger: string; requested_by: string; options: unknown }>('SELECT trigger, requested_by, options FROM connector_run WHERE id = $1', [full.runId]);
    // The slot it is for kept on the run (a slot run late says when it was due).
    expect(run).toEqual({ trigger: 'SCHEDULE', requested_by: 'full-read', options: { force: true, scheduledAt: new Date(due).toISOString() } });
    expect((await absent()).filter((r) => r.absent_run_id === full.runId).map((r) => r.external_id).sort()).toEqual([...gone].sort());
    // Its job given out again (a stalled worker) after it finished: that slot's full read is done, nothing is read again.
    const pages = school.stats().pagesServed;
    expect(await processor(job({ connector: 'school', reason: 'full-read' }, due))).toMatchObject({ status: 'SKIPPED' });
    expect(school.stats().pagesServed).toBe(pages);

    // The next slot's job, as BullMQ's job scheduler makes it: created when the slot before it ran, due a minute
    // later (QA: taken as served by the previous slot's own run, every other slot was skipped).
    const slot = Date.now() + 60_000;
    const gone2 = school.remove(1).ids;
    const next = (await processor({ ...job({ connector: 'school', reason: 'full-read' }, due), opts: { attempts: 5, delay: slot - due, prevMillis: slot } } as unknown as Job)) as RunSummary;
    expect(next).toMatchObject({ status: 'SUCCEEDED', removals: { marked: 1 } });
    expect((await absent()).filter((r) => r.absent_run_id === next.runId).map((r) => r.external_id)).toEqual(gone2);

    // A full read that fails (the worker stopped on its second page, every attempt) is owed: the next incremental
    // schedule reads the whole source instead, and finds what went; after it, the schedule reads changes again.
    expect(await ctx.connectors.fullReadOwed('school')).toBe(false);
    const later = school.remove(1).ids;
    // The sync stops at its second page, as a worker closing aborts it (a failure to report progress no longer
    // stops a sync: its job may be gone from Redis while it goes on).
    const failing = (attemptsMade: number) => {
      const stop = new AbortController();
      let pages = 0;
      const failed = { ...job({ connector: 'school', reason: 'full-read' }, Date.now()), attemptsMade, updateProgress: async () => {
        if (++pages === 2) stop.abort(new Error('the worker stopped'));
      } } as unknown as Job;
      return processor(failed, undefined, stop.signal);
    };
    // Not owed while its job still retries (QA: each slot in between read a source that was down)…
    // (The job fails with the error's message withheld, as Redis keeps it: storableJobError.)
    await expect(failing(0)).rejects.toThrow(WITHHELD_MESSAGE);
    expect(await ctx.connectors.fullReadOwed('school')).toBe(false);
    // …owed once its last attempt failed.
    await expect(failing(4)).rejects.toThrow(WITHHELD_MESSAGE);
    expect(await ctx.connectors.fullReadOwed('school')).toBe(true);
    const owed = (await processor(job({ connector: 'school' }, Date.now()))) as RunSummary;
    expect(owed).toMatchObject({ status: 'SUCCEEDED', fetched: school.recordCount, removals: { marked: 1, heldReason: null } });
    expect((await absent()).filter((r) => r.absent_run_id === owed.runId).map((r) => r.external_id)).toEqual(later);
    expect(await ctx.connectors.fullReadOwed('school')).toBe(false);
    expect(((await processor(job({ connector: 'school' }, Date.now()))) as RunSummary).removals).toBeUndefined();
  });

  it('a scheduled full read finished from its checkpoint by a later sync does not look, and is owed: the next scheduled sync reads all and looks (QA: never looked for, with nothing said)', async () => {
    const processor = connectorSyncProcessor(ctx, { queues: {} as QueueClient });
    const job = (data: unknown, timestamp: number) => ({ id: 'j', data, timestamp, attemptsMade: 0, opts: { attempts: 5 }, updateProgress: async () => {} }) as unknown as Job;
    expect(await ctx.connectors.fullReadOwed('school')).toBe(false);
    const gone = school.remove(1).ids;
    const { runId: stopped } = await ctx.connectors.requestSync('school', { trigger: 'SCHEDULE', force: true, requestedBy: FULL_READ_REQUESTER });
    let batches = 0;
    await expect(ctx.connectors.runQueued(stopped, { onProgress: () => { if (++batches === 2) throw new Error('the worker stopped'); } })).rejects.toThrow();
    // As a worker stopped mid-read leaves it; the next sync (not forced) finishes its read from the checkpoint.
    await ctx.sql.query(`UPDATE connector_run SET status = 'RUNNING', error = NULL, finished_at = NULL WHERE id = $1`, [stopped]);
    const continued = await ctx.connectors.run('school', { trigger: 'CLI' });
    expect(continued).toMatchObject({ status: 'SUCCEEDED' });
    expect(continued.removals).toBeUndefined();
    expect(await ctx.connectors.fullReadOwed('school')).toBe(true);
    const owed = (await processor(job({ connector: 'school' }, Date.now()))) as RunSummary;
    expect(owed).toMatchObject({ status: 'SUCCEEDED', fetched: school.recordCount, removals: { marked: 1, heldReason: null } });
    expect((await absent()).filter((r) => r.absent_run_id === owed.runId).map((r) => r.external_id)).toEqual(gone);
    expect(await ctx.connectors.fullReadOwed('school')).toBe(false);
  });

  it('follows an empty page that gives a cursor, and after empty pages in a row stops without looking for records gone (QA: an empty page ended a full read, which then marked the unread records absent)', async () => {
    // A proxy before the simulator: from request `from` on, `count` requests are answered with no records and a
    // cursor that leads on (the real one, tagged so that each is a page not read yet).
    const withEmptyPages = async (from: number, count: number) => {
      let requests = 0;
      const server = http.createServer((req, res) => {
        const url = new URL(req.url!, 'http://proxy');
        const tagged = url.searchParams.get('cursor');
        if (tagged?.includes('~')) url.searchParams.set('cursor', tagged.slice(0, tagged.indexOf('~')));
        const n = ++requests;
        if (n >= from && n < from + count) {
          const cursor = `${url.searchParams.get('cursor') ?? ''}~${n}`;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [], next_cursor: cursor }));
          return;
        }
        fetch(`${school.url}${url.pathname}${url.search}`, { headers: { 'x-api-key': String(req.headers['x-api-key'] ?? '') } })
          .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(Buffer.from(await r.arrayBuffer())))
          .catch(() => res.writeHead(502).end());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
    };
    await ctx.connectors.run('school', { trigger: 'CLI', force: true });
    const before = await absent();
    const one = await withEmptyPages(4, 1);
    process.env.SCHOOL_API_URL = one.url;
    try {
      const full = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
      expect(full).toMatchObject({ status: 'SUCCEEDED', fetched: school.recordCount });
      expect(full.removals).toMatchObject({ marked: 0 });
    } finally {
      process.env.SCHOOL_API_URL = school.url;
      await one.close();
    }
    const four = await withEmptyPages(4, 4);
    process.env.SCHOOL_API_URL = four.url;
    try {
      const cut = await ctx.connectors.run('school', { trigger: 'CLI', force: true });
      expect(cut.status).toBe('SUCCEEDED');
      expect(cut.fetched).toBeLessThan(school.recordCount);
      expect(cut.removals).toBeUndefined();
      expect(await runRemovals(cut.runId)).toBeNull();
    } finally {
      process.env.SCHOOL_API_URL = school.url;
      await four.close();
    }
    expect(await absent()).toEqual(before);
  });

  it('measures maxShare against the records the source still had, not those marked absent already (QA)', async () => {
    const run = await ctx.connectors.run('school', { trigger: 'CLI' });
    const table = (await KnownRecords.load(ctx.sql.pool, 'school'))!;
    const rows = await ctx.sql.query<{ external_id: string; content_hash: string }>(
      `SELECT external_id, content_hash FROM source_record WHERE source_system = 'school' AND absent_since IS NULL ORDER BY external_id`);
    for (const r of rows.slice(1)) table.judge(r.external_id, r.content_hash);
    const connectorId = (await ctx.sql.one<{ id: string }>(`SELECT id FROM connector WHERE name = 'school'`))!.id;
    const baseline = await removalsBaseline(ctx.sql, 'school', connectorId, false);
    // One unread of hundreds stored: within 5%. Had all but 10 been marked absent earlier, the same one would be 10%.
    const input = { sourceSystem: 'school', connectorId, runId: run.runId, table, maxShare: 0.05 };
    const crowded = { ...baseline, stored: table.size, absent: table.size - 10 };
    expect((await markRemovals(ctx.sql, { ...input, baseline: crowded })).heldReason).toBe('OVER_MAX_SHARE');
    expect(await markRemovals(ctx.sql, { ...input, baseline })).toMatchObject({ marked: 1, heldReason: null });
  });

  it('marks the Patients the health stations\' FHIR server no longer returns, keeping their facts', async () => {
    const first = await ctx.connectors.run('health-station', { trigger: 'CLI' });
    expect(first).toMatchObject({ status: 'SUCCEEDED', inserted: health.recordCount });
    const factsOf = async (ids: string[]) => (await ctx.sql.one<{ n: number }>(
      `SELECT ((SELECT count(*) FROM vaccination v JOIN source_record s ON s.id = v.source_record_id WHERE s.source_system = 'health-station' AND s.external_id = ANY($1))
            + (SELECT count(*) FROM health_screening h JOIN source_record s ON s.id = h.source_record_id WHERE s.source_system = 'health-station' AND s.external_id = ANY($1)))::int AS n`,
      [ids]))!.n;
    const gone = health.remove(2).ids.sort();
    const factsBefore = await factsOf(gone);
    expect(factsBefore).toBeGreaterThan(0); // the seed's two removed Patients hold facts
    const full = await ctx.connectors.run('health-station', { trigger: 'CLI', force: true });
    expect(full.removals).toEqual({ stored: first.inserted, marked: 2, returned: 0, held: 0, heldReason: null, absent: 2, rejectsClosed: 0 });
    const marked = await ctx.sql.query<{ external_id: string }>(
      `SELECT external_id FROM source_record WHERE source_system = 'health-station' AND absent_since IS NOT NULL ORDER BY external_id`);
    expect(marked.map((r) => r.external_id)).toEqual(gone);
    // Their facts stay, as evidence.
    expect(await factsOf(gone)).toBe(factsBefore);
  });
});
