import path from 'node:path';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { ConnectorCatalog } from '../src/connectors/definition/connector-catalog.js';
import { createLogger } from '../src/observability/logger.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tempDir } from './support/temp-dir.js';

/** Run history, quarantine and the sync mutation over GraphQL, with their roles and audit. */
describe('connectors over GraphQL', () => {
  let hub: TestHub;
  const saved = { ...process.env };

  beforeAll(async () => {
    const dir = tempDir('childhub-api-drop-');
    await writeJusticeRegisterDrop({ dir, seed: 4242, count: 300, brokenRows: 2 });
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0'; // written just now, and whole
    hub = await startTestHub();
    await hub.ctx.connectors.run('justice-register', { trigger: 'CLI' });
  });

  const auditOf = (subject: string) => hub.ctx.sql.query(
    'SELECT action, operation, child_ids, field_classes, details FROM audit_event WHERE subject = $1 ORDER BY id', [subject]);

  afterAll(async () => {
    await hub?.close();
    process.env = saved;
  });

  it('lists each connector as its definition says now, not as its row was when it last synced (QA)', async () => {
    // The row is written when a connector syncs: make it say what an older definition said.
    await hub.ctx.sql.query(`UPDATE connector SET enabled = false, schedule = '*/5 * * * *', title = 'old title' WHERE name = 'justice-register'`);
    const token = await hub.token({ roles: ['integration_engineer'] });
    const res = await hub.gql<{ connectors: Array<{ name: string; title: string; schedule: string | null; enabled: boolean }> }>(
      '{ connectors { name title schedule enabled } }', {}, token);
    const justice = res.body.data!.connectors.find((c) => c.name === 'justice-register')!;
    const defined = ConnectorCatalog.load().get('justice-register').definition;
    expect(justice).toMatchObject({ title: defined.title, schedule: defined.schedule, enabled: true });
  });

  it('integration engineers see connectors, runs and rejects with reasons, but not the rejected payloads', async () => {
    const token = await hub.token({ roles: ['integration_engineer'] });
    const res = await hub.gql<{
      connectors: Array<{ name: string; kind: string; schedule: string | null; fullReadSchedule: string | null; checkpoint: string | null; lastRun: { status: string; fetched: number; rejected: number } | null }>;
      connectorRuns: Array<{ id: string; connector: string; status: string; inserted: number; rejected: number; filesIngested: number; repeatedIds: number }>;
      rejectedRecords: Array<{ id: string; location: string; reasons: Array<{ field: string; code: string; message: string }>; payload: string | null }>;
    }>(`{
      connectors { name kind schedule fullReadSchedule checkpoint lastRun { status fetched rejected } }
      connectorRuns(connector: "justice-register") { id connector status inserted rejected filesIngested repeatedIds }
      rejectedRecords(connector: "justice-register") { id location reasons { field code message } payload }
    }`, {}, token);
    expect(res.body.data!.connectors.map((c) => c.name)).toEqual(['facility-inspection', 'health-station', 'justice-register', 'school']);
    // The incremental schedule, and the weekly forced full read that finds records gone (only where removals are looked for).
    expect(Object.fromEntries(res.body.data!.connectors.map((c) => [c.name, [c.schedule, c.fullReadSchedule]]))).toMatchObject({
      school: ['*/30 * * * *', '10 2 * * 0'], 'health-station': ['15 * * * *', '40 3 * * 0'], 'justice-register': [expect.anything(), null],
    });
    const justice = res.body.data!.connectors.find((c) => c.name === 'justice-register')!;
    expect(justice.lastRun).toMatchObject({ status: 'SUCCEEDED', rejected: 2 });
    // The simulator's export lists each id once.
    expect(res.body.data!.connectorRuns[0]).toMatchObject({ connector: 'justice-register', status: 'SUCCEEDED', rejected: 2, filesIngested: 2, repeatedIds: 0 });
    const rejects = res.body.data!.rejectedRecords;
    expect(rejects).toHaveLength(2);
    expect(rejects[0]!.reasons[0]!.code).toBeTruthy();
    expect(rejects[0]!.location).toMatch(/row \d+/);
    // The payload may hold any personal data: denied to a role without every class.
    expect(rejects.every((r) => r.payload === null)).toBe(true);
    expect(res.body.errors?.some((e) => e.extensions?.code === 'FORBIDDEN' && e.path?.includes('payload'))).toBe(true);
  });

  it('refuses an unknown connector and a page cursor that is not an id, instead of an empty list (QA)', async () => {
    const token = await hub.token({ roles: ['integration_engineer'] });
    const code = async (q: string) => (await hub.gql(q, {}, token)).body.errors?.[0]?.extensions?.code;
    expect(await code('{ connectorRuns(connector: "nope") { id } }')).toBe('CONNECTOR_NOT_FOUND');
    expect(await code('{ connectorRuns(before: "garbage") { id } }')).toBe('BAD_USER_INPUT');
    expect(await code('{ rejectedRecords(before: "garbage") { id } }')).toBe('BAD_USER_INPUT');
    // A run id from the previous page pages on.
    const runs = await hub.gql<{ connectorRuns: Array<{ id: string }> }>('{ connectorRuns(connector: "justice-register") { id } }', {}, token);
    const last = runs.body.data!.connectorRuns.at(-1)!.id;
    expect((await hub.gql(`{ connectorRuns(before: "${last}") { id } }`, {}, token)).body.errors).toBeUndefined();
  });

  it('a refused payload is audited as DENIED, with nothing released', async () => {
    for (const role of ['integration_engineer', 'operator'] as const) {
      const token = await hub.token({ sub: `denied-${role}`, roles: [role] });
      const res = await hub.gql<{ rejectedRecords: Array<{ id: string; payload: string | null }> }>(
        'query Peek { rejectedRecords(connector: "justice-register") { id payload } }', {}, token);
      expect(res.body.data!.rejectedRecords.every((r) => r.payload === null)).toBe(true);
      expect(res.body.errors?.every((e) => e.extensions?.code === 'FORBIDDEN')).toBe(true);
      // Which rejects were asked for (QA: only the field was said).
      expect(await auditOf(`denied-${role}`)).toEqual([
        { action: 'DENIED', operation: 'Peek', child_ids: [], field_classes: [],
          details: { fields: ['RejectedRecord.payload'], rejectedRecordIds: res.body.data!.rejectedRecords.map((r) => r.id).sort() } },
      ]);
    }
  });

  it('a data steward of the whole city reads a rejected payload, audited as a read of every class it may hold', async () => {
    const token = await hub.token({ sub: 'city-steward', roles: ['data_steward'] });
    const res = await hub.gql<{ rejectedRecords: Array<{ id: string; payload: string }> }>(`{ rejectedRecords { id payload } }`, {}, token);
    expect(res.body.errors).toBeUndefined();
    const ids = res.body.data!.rejectedRecords.map((r) => r.id);
    expect(ids).toHaveLength(2);
    expect(JSON.parse(res.body.data!.rejectedRecords[0]!.payload)).toHaveProperty('row');
    expect(await auditOf('city-steward')).toEqual([{
      action: 'READ', operation: 'anonymous', child_ids: [],
      field_classes: ['ADOPTION', 'BASIC', 'HEALTH', 'IDENTITY', 'PROTECTION_GROUP', 'PROVENANCE', 'RELIGION_ETHNICITY'],
      details: { fields: ['RejectedRecord.payload'], rejectedRecordIds: [...ids].sort() },
    }]);
  });

  it('a data steward of some communes lists rejects but gets no payload: their commune cannot be trusted (DENIED audited)', async () => {
    const token = await hub.token({ sub: 'commune-steward', roles: ['data_steward'], communes: ['00004'] });
    const listed = await hub.gql<{ rejectedRecords: Array<{ id: string; reasons: Array<{ code: string }> }> }>(
      '{ rejectedRecords(connector: "justice-register") { id location reasons { code } } }', {}, token);
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data!.rejectedRecords).toHaveLength(2);
    expect(await auditOf('commune-steward')).toEqual([]);

    const res = await hub.gql<{ rejectedRecords: Array<{ payload: string | null }> }>(
      'query Peek { rejectedRecords(connector: "justice-register") { id payload } }', {}, token);
    expect(res.body.data!.rejectedRecords.map((r) => r.payload)).toEqual([null, null]);
    expect(res.body.errors).toHaveLength(2);
    for (const e of res.body.errors!) {
      expect(e.extensions?.code).toBe('FORBIDDEN');
      expect(e.path).toEqual(['rejectedRecords', expect.any(Number), 'payload']);
    }
    expect(await auditOf('commune-steward')).toEqual([
      { action: 'DENIED', operation: 'Peek', child_ids: [], field_classes: [],
        details: { fields: ['RejectedRecord.payload'], rejectedRecordIds: listed.body.data!.rejectedRecords.map((r) => r.id).sort() } },
    ]);
  });

  it('refuses roles without access to rejects, audited as DENIED', async () => {
    for (const role of ['health_officer', 'commune_officer'] as const) {
      const token = await hub.token({ sub: `outsider-${role}`, roles: [role], communes: ['00004'] });
      const res = await hub.gql('query Rejects { rejectedRecords { id } }', {}, token);
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.body.errors?.[0]?.message).toBe('Reading rejected records is for integration_engineer, operator and data_steward only');
      expect(await auditOf(`outsider-${role}`)).toEqual([
        { action: 'DENIED', operation: 'Rejects', child_ids: [], field_classes: [], details: { fields: ['Query.rejectedRecords'] } },
      ]);
    }
  });

  it('answers an unknown connector with CONNECTOR_NOT_FOUND and an unknown run, or another connector\'s, with NOT_FOUND', async () => {
    const token = await hub.token({ roles: ['integration_engineer'] });
    const list = (args: string) => hub.gql<{ rejectedRecords: unknown[] | null }>(`{ rejectedRecords(${args}) { id } }`, {}, token);
    const nope = await list('connector: "nope"');
    expect(nope.body.data).toBeNull();
    expect(nope.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONNECTOR_NOT_FOUND', connector: 'nope' });
    expect(nope.body.errors?.[0]?.message).toMatch(/^no connector named "nope" \(known: .*justice-register/);
    const noRun = await list('runId: "run_nope"');
    expect(noRun.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'runId', runId: 'run_nope' });
    expect(noRun.body.errors?.[0]?.message).toBe('no run run_nope');
    const [run] = await hub.ctx.sql.query<{ id: string }>(
      `SELECT r.id FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE c.name = 'justice-register' ORDER BY r.id LIMIT 1`);
    const otherConnector = await list(`connector: "school", runId: "${run!.id}"`);
    expect(otherConnector.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'runId' });
    // Defined but never synced: known, and nothing to list.
    expect((await list('connector: "school"')).body).toEqual({ data: { rejectedRecords: [] } });
    expect((await list(`connector: "justice-register", runId: "${run!.id}"`)).body.data!.rejectedRecords).toHaveLength(2);
    // Synced once, its definition removed since: still known by name (its rejects are kept).
    await hub.ctx.sql.query(`INSERT INTO connector (id, name, kind, source_system, definition, definition_hash)
      VALUES ('con_retired', 'retired', 'file', 'JUSTICE', '{}', 'x')`);
    expect((await list('connector: "retired"')).body).toEqual({ data: { rejectedRecords: [] } });
  });

  it('syncConnector queues a run for integration engineers and refuses other roles', async () => {
    const engineer = await hub.token({ roles: ['integration_engineer'] });
    const ok = await hub.gql<{ syncConnector: { id: string; status: string; trigger: string } }>(
      'mutation { syncConnector(name: "justice-register") { id status trigger } }', {}, engineer);
    expect(ok.body.data!.syncConnector).toMatchObject({ status: 'QUEUED', trigger: 'API' });
    const outbox = await hub.ctx.sql.query(`SELECT 1 FROM outbox WHERE topic = 'connector.sync' AND aggregate_id = $1`, [ok.body.data!.syncConnector.id]);
    expect(outbox).toHaveLength(1);
    // Asked again while it waits, twice at once: the same run, with the requestedBy of whoever queued it; nothing more queued.
    const again = await Promise.all([1, 2].map(async (i) => hub.gql<{ syncConnector: { id: string; status: string; requestedBy: string } }>(
      'mutation { syncConnector(name: "justice-register") { id status requestedBy } }', {}, await hub.token({ sub: `again-${i}`, roles: ['operator'] }))));
    for (const a of again) expect(a.body.data!.syncConnector).toEqual({ id: ok.body.data!.syncConnector.id, status: 'QUEUED', requestedBy: expect.not.stringMatching(/^again-/) });
    expect(await hub.ctx.sql.query(`SELECT 1 FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE c.name = 'justice-register' AND r.status = 'QUEUED'`)).toHaveLength(1);
    // A forced read is its own kind of request (as `connectors sync --force`): a run of its own, with the option kept for its job.
    const forced = await hub.gql<{ syncConnector: { id: string; status: string } }>(
      'mutation { syncConnector(name: "justice-register", force: true) { id status } }', {}, engineer);
    expect(forced.body.data!.syncConnector.id).not.toBe(ok.body.data!.syncConnector.id);
    expect(await hub.ctx.sql.one(`SELECT options FROM connector_run WHERE id = $1`, [forced.body.data!.syncConnector.id])).toEqual({ options: { force: true } });

    const officer = await hub.token({ roles: ['commune_officer'] });
    const denied = await hub.gql('mutation { syncConnector(name: "justice-register") { id } }', {}, officer);
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await hub.gql('mutation { syncConnector(name: "nope") { id } }', {}, engineer);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('CONNECTOR_NOT_FOUND');
  });

  it('currentRun is the run in progress while a sync asked for meanwhile waits QUEUED behind it, which lastRun shows (QA: its progress was hidden)', async () => {
    const queued = await hub.ctx.sql.query<{ id: string }>(
      `SELECT r.id FROM connector_run r JOIN connector c ON c.id = r.connector_id WHERE c.name = 'justice-register' AND r.status = 'QUEUED' ORDER BY r.id`);
    expect(queued.length).toBeGreaterThanOrEqual(2);
    const running = queued[0]!.id;
    await hub.ctx.sql.query(`UPDATE connector_run SET status = 'RUNNING', started_at = now(), heartbeat_at = now(), fetched = 7 WHERE id = $1`, [running]);
    try {
      const token = await hub.token({ roles: ['operator'] });
      const res = await hub.gql<{ connectors: Array<{ name: string; lastRun: { id: string; status: string } | null; currentRun: { id: string; status: string; fetched: number } | null }> }>(
        '{ connectors { name lastRun { id status } currentRun { id status fetched } } }', {}, token);
      const byName = Object.fromEntries(res.body.data!.connectors.map((c) => [c.name, c]));
      expect(byName['justice-register']!.lastRun).toMatchObject({ id: queued.at(-1)!.id, status: 'QUEUED' });
      expect(byName['justice-register']!.currentRun).toEqual({ id: running, status: 'RUNNING', fetched: 7 });
      expect(byName['school']!.currentRun).toBeNull();
    } finally {
      await hub.ctx.sql.query(`UPDATE connector_run SET status = 'QUEUED', started_at = NULL, heartbeat_at = NULL, fetched = 0 WHERE id = $1`, [running]);
    }
  });

  it('shows a checkpoint with the source\'s paging cursor withheld, to roles that see no personal data, and keeps it whole for the reader (QA)', async () => {
    // A school API's server-made cursor can carry anything: here a child's name and number.
    const state = {
      since: '2026-12-01T00:00:00.000Z', next: { params: { limit: '1000', cursor: 'NGUYỄN VĂN AN|001215000123' } },
      highWater: '2026-12-14T09:00:00.000Z', page: 3, upTo: '2026-12-14T10:00:00.000Z',
    };
    await hub.ctx.sql.query(`INSERT INTO connector (id, name, kind, source_system, definition, definition_hash, state, state_updated_at)
      VALUES ('con_cursorschool', 'school', 'http', 'school', '{}', 'x', $1, now())`, [JSON.stringify(state)]);
    await hub.ctx.sql.query(`INSERT INTO connector_run (id, connector_id, trigger, status, checkpoint) VALUES ('run_cursorschool', 'con_cursorschool', 'CLI', 'FAILED', $1)`,
      [JSON.stringify(state)]);
    const shown = { ...state, next: { params: { limit: '1000', cursor: '[withheld]' } } };
    for (const role of ['integration_engineer', 'operator'] as const) {
      const token = await hub.token({ sub: `cursor-${role}`, roles: [role], communes: ['00004'] });
      const res = await hub.gql<{
        connectors: Array<{ name: string; checkpoint: string | null; lastRun: { checkpoint: string | null } | null }>;
        connectorRuns: Array<{ checkpoint: string | null }>;
        connectorRun: { checkpoint: string | null } | null;
      }>(`{
        connectors { name checkpoint lastRun { checkpoint } }
        connectorRuns(connector: "school") { checkpoint }
        connectorRun(id: "run_cursorschool") { checkpoint }
      }`, {}, token);
      expect(res.body.errors).toBeUndefined();
      const school = res.body.data!.connectors.find((c) => c.name === 'school')!;
      for (const checkpoint of [school.checkpoint, school.lastRun!.checkpoint, res.body.data!.connectorRuns[0]!.checkpoint, res.body.data!.connectorRun!.checkpoint]) {
        expect(JSON.parse(checkpoint!)).toEqual(shown);
      }
      expect(JSON.stringify(res.body)).not.toMatch(/NGUY|001215000123/);
    }
    // Stored as the reader resumes from it.
    expect(await hub.ctx.sql.one(`SELECT state FROM connector WHERE name = 'school'`)).toEqual({ state });
    expect(await hub.ctx.sql.one(`SELECT checkpoint FROM connector_run WHERE id = 'run_cursorschool'`)).toEqual({ checkpoint: state });
  });

  // Last: it stores a record under a reject's key.
  it('a rejected payload whose record is stored for a child is audited as a read of that child too (QA: the event named no child)', async () => {
    const [reject] = await hub.ctx.sql.query<{ id: string; external_id: string }>(
      `SELECT id, external_id FROM rejected_record WHERE source_system = 'justice-register' AND external_id IS NOT NULL ORDER BY id LIMIT 1`);
    expect(reject).toBeDefined();
    const { aRecord } = await import('./support/records.js');
    await hub.ctx.ingest.ingest([aRecord({ sourceSystem: 'justice-register', externalId: reject!.external_id, identityNumber: null })]);
    const [{ child_id: childId }] = await hub.ctx.sql.query<{ child_id: string }>(
      `SELECT child_id FROM source_record WHERE source_system = 'justice-register' AND external_id = $1`, [reject!.external_id]) as [{ child_id: string }];
    expect(childId).toMatch(/^chd_/);
    const token = await hub.token({ sub: 'steward-by-child', roles: ['data_steward'] });
    const res = await hub.gql<{ rejectedRecords: Array<{ id: string }> }>(`{ rejectedRecords(connector: "justice-register") { id payload } }`, {}, token);
    expect(res.body.errors).toBeUndefined();
    expect(await auditOf('steward-by-child')).toEqual([{
      action: 'READ', operation: 'anonymous', child_ids: [childId],
      field_classes: ['ADOPTION', 'BASIC', 'HEALTH', 'IDENTITY', 'PROTECTION_GROUP', 'PROVENANCE', 'RELIGION_ETHNICITY'],
      details: { fields: ['RejectedRecord.payload'], rejectedRecordIds: res.body.data!.rejectedRecords.map((r) => r.id).sort() },
    }]);
  });
});

/** The gateway serves connectors as their files say now, as the worker runs them. */
describe('connectors added or edited while the gateway runs', () => {
  let hub: TestHub;
  let dir: string;
  const lines: string[] = [];
  const define = (name: string, edit: (yaml: string) => string = (y) => y) => {
    mkdirSync(path.join(dir, name), { recursive: true });
    writeFileSync(path.join(dir, name, 'connector.yaml'), edit(readFileSync(ConnectorCatalog.load().get('school').file, 'utf8').replace(/^name: school$/m, `name: ${name}`)));
  };

  beforeAll(async () => {
    dir = tempDir('childhub-api-defs-');
    define('school');
    define('broken', (y) => y.replace('kind: http', 'kind: carrier-pigeon'));
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    hub = await startTestHub({ env: { CONNECTORS_DIR: dir }, logger });
  });

  it('logs an invalid definition when it starts (QA: only when it read the folder again), and takes an edited one without a restart', async () => {
    const told = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.msg?.startsWith('connector definition invalid'));
    expect(told).toEqual([expect.objectContaining({ level: 50, connector: 'broken', err: expect.objectContaining({ code: 'CONNECTOR_DEFINITION_INVALID' }) })]);
    const engineer = await hub.token({ roles: ['integration_engineer'] });
    define('school', (y) => y.replace(/^kind: http$/m, 'enabled: false\nkind: http'));
    const disabled = await hub.gql('mutation { syncConnector(name: "school") { id } }', {}, engineer);
    expect(disabled.body.errors?.[0]?.extensions?.code).toBe('CONNECTOR_DISABLED');
    define('school');
  });
  afterAll(async () => hub?.close());

  it('lists an invalid definition with its problems, one that ran as it last ran, and one removed since it ran, none of them enabled (QA)', async () => {
    const engineer = await hub.token({ roles: ['integration_engineer'] });
    type Listed = { name: string; definitionStatus: string; definitionProblems: Array<{ path: string; line: number | null; message: string }>; kind: string; sourceSystem: string; title: string; schedule: string | null; enabled: boolean; lastRun: { status: string } | null };
    const list = async () => {
      const res = await hub.gql<{ connectors: Listed[] }>(
        '{ connectors { name definitionStatus definitionProblems { path line message } kind sourceSystem title schedule enabled lastRun { status } } }', {}, engineer);
      expect(res.body.errors).toBeUndefined();
      return new Map(res.body.data!.connectors.map((c) => [c.name, c]));
    };
    // Never ran: what the file says of itself, where it says it (its kind is not a kind: unknown).
    const before = await list();
    expect(before.get('broken')).toEqual({
      name: 'broken', definitionStatus: 'INVALID', definitionProblems: [expect.objectContaining({ path: 'kind', line: expect.any(Number) })],
      kind: 'unknown', sourceSystem: 'school', title: expect.any(String), schedule: null, enabled: false, lastRun: null,
    });
    expect(before.get('school')).toMatchObject({ definitionStatus: 'VALID', definitionProblems: [], kind: 'http', schedule: '*/30 * * * *', enabled: true });
    // Listed, so its runs and rejects are asked for: none yet, not CONNECTOR_NOT_FOUND (QA).
    const history = await hub.gql<{ connectorRuns: unknown[]; rejectedRecords: unknown[]; absentSourceRecords: unknown[] }>(
      '{ connectorRuns(connector: "broken") { id } rejectedRecords(connector: "broken") { id } absentSourceRecords(connector: "broken") { recordId } }', {}, engineer);
    expect(history.body.errors).toBeUndefined();
    expect(history.body.data).toEqual({ connectorRuns: [], rejectedRecords: [], absentSourceRecords: [] });

    // A connector that ran, then broken in its file: as it last ran, not scheduled; fixed, it is listed as its file says again.
    define('ran-then-broken');
    await hub.ctx.sql.query(`INSERT INTO connector (id, name, kind, source_system, title, schedule, enabled, definition, definition_hash) VALUES ('con_ranthenbroken', 'ran-then-broken', 'http', 'school', 'as it ran', '*/30 * * * *', true, '{}', 'x')`);
    define('ran-then-broken', (y) => y.replace(/^sourceSystem: .*$/m, 'sourceSystem: [not, a, string]'));
    // A connector that ran and whose folder is gone.
    await hub.ctx.sql.query(`INSERT INTO connector (id, name, kind, source_system, title, schedule, enabled, definition, definition_hash) VALUES ('con_removedsinceran', 'removed-since-ran', 'file', 'justice', 'gone', '0 * * * *', true, '{}', 'x')`);
    const after = await list();
    expect(after.get('ran-then-broken')).toMatchObject({
      definitionStatus: 'INVALID', definitionProblems: [expect.objectContaining({ path: 'sourceSystem' })], kind: 'http', sourceSystem: 'school',
      title: 'as it ran', schedule: null, enabled: false,
    });
    expect(after.get('removed-since-ran')).toMatchObject({
      definitionStatus: 'REMOVED', definitionProblems: [], kind: 'file', sourceSystem: 'justice', title: 'gone', schedule: null, enabled: false,
    });
    // A name that is none of them lists them all: valid, invalid and removed (QA: only the valid ones).
    const unknown = await hub.gql('{ connectorRuns(connector: "nope") { id } }', {}, engineer);
    expect(unknown.body.errors?.[0]?.message).toMatch(/^no connector named "nope" \(known: .*\bbroken\b.*\bran-then-broken\b.*\bremoved-since-ran\b.*\bschool\b/);
    define('ran-then-broken');
    expect((await list()).get('ran-then-broken')).toMatchObject({ definitionStatus: 'VALID', definitionProblems: [], enabled: true, schedule: '*/30 * * * *' });
    rmSync(path.join(dir, 'ran-then-broken'), { recursive: true });
    await hub.ctx.sql.query(`DELETE FROM connector WHERE id IN ('con_ranthenbroken', 'con_removedsinceran')`);
  });

  it('syncConnector queues a run of a connector defined after start, and an unknown name lists what is defined now', async () => {
    const engineer = await hub.token({ roles: ['integration_engineer'] });
    define('agency-a');
    const ok = await hub.gql<{ syncConnector: { connector: string; status: string } }>('mutation { syncConnector(name: "agency-a") { connector status } }', {}, engineer);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data!.syncConnector).toEqual({ connector: 'agency-a', status: 'QUEUED' });
    define('agency-b');
    const unknown = await hub.gql('mutation { syncConnector(name: "agency-c") { id } }', {}, engineer);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('CONNECTOR_NOT_FOUND');
    expect(unknown.body.errors?.[0]?.message).toBe('no connector named "agency-c" (known: agency-a, agency-b, broken, school)');
    // One that has synced here, defined in another directory (a shell's own CONNECTORS_DIR): said so (QA: a bare "no connector named").
    await hub.ctx.sql.query(`INSERT INTO connector (id, name, kind, source_system, title, enabled, definition, definition_hash) VALUES ('con_elsewhere', 'agency-elsewhere', 'http', 'school', 'elsewhere', true, '{}', 'x')`);
    const elsewhere = await hub.gql('mutation { syncConnector(name: "agency-elsewhere") { id } }', {}, engineer);
    expect(elsewhere.body.errors?.[0]?.extensions?.code).toBe('CONNECTOR_NOT_FOUND');
    expect(elsewhere.body.errors?.[0]?.message).toBe('no connector named "agency-elsewhere" in this gateway\'s connectors directory (its CONNECTORS_DIR; known: agency-a, agency-b, broken, school), '
      + 'though it has synced here: its folder was removed, or it is defined in another directory: sync it where it is defined with `connectors sync agency-elsewhere --in-process`, '
      + 'or start the gateway and a worker with that CONNECTORS_DIR');
    await hub.ctx.sql.query(`DELETE FROM connector WHERE id = 'con_elsewhere'`);
  });
});
