import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { buildChildren } from './support/build-children.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tempDir } from './support/temp-dir.js';

/**
 * What an operator and a steward see of the quarantine over several runs of the justice register's CSV, whose
 * stored rows later arrive broken (a birth date of 29/02/2025): which run rejected what, which connectors have
 * open rejects, and, on the stored record, that the source sent a newer version the hub refused.
 */
describe('the quarantine seen over runs', () => {
  let hub: TestHub;
  let file: string;
  let original: string;
  /** External ids of the rows broken on day 2. */
  const broken: string[] = [];
  /** The runs that read the broken rows, oldest first. */
  const runs: string[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    const dir = tempDir('childhub-rejects-overview-');
    const drop = await writeJusticeRegisterDrop({ dir, seed: 4242, count: 120 });
    file = drop.files.find((f) => f.path.endsWith('.csv'))!.path;
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    hub = await startTestHub();
    original = readFileSync(file, 'utf8');
    // Day 1: every row stored.
    expect((await sync()).rejected).toBe(0);
    // Day 2 on: three stored rows come with a birth date that does not exist.
    const lines = original.split('\n');
    for (let i = 41; broken.length < 3; i++) {
      // A row without quotes, so its cells split on commas: its 8th cell is the birth date (dd/MM/yyyy).
      if (lines[i]!.includes('"') || !/^[^,]+(,[^,]*){7}/.test(lines[i]!)) continue;
      const cells = lines[i]!.split(',');
      cells[7] = '29/02/2025';
      lines[i] = cells.join(',');
      broken.push(cells[0]!);
    }
    writeFileSync(file, lines.join('\n'));
    for (let n = 0; n < 3; n++) {
      const run = await sync();
      expect(run.rejected).toBe(broken.length);
      runs.push(run.runId);
    }
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    process.env = saved;
  });

  async function sync() {
    const run = await hub.ctx.connectors.run('justice-register', { trigger: 'CLI', files: [file], force: true });
    expect(run.status).toBe('SUCCEEDED');
    return run;
  }

  it('lists what each run rejected for that run, the runs between the first and the last too', async () => {
    const token = await hub.token({ roles: ['operator'] });
    for (const runId of runs) {
      const res = await hub.gql<{ rejectedRecords: Array<{ externalId: string; runId: string; lastRunId: string }> }>(
        'query($runId: ID) { rejectedRecords(runId: $runId, unresolvedOnly: false) { externalId runId lastRunId } }', { runId }, token);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.rejectedRecords.map((r) => r.externalId).sort(), runId).toEqual([...broken].sort());
      for (const r of res.body.data!.rejectedRecords) expect(r).toMatchObject({ runId: runs[0], lastRunId: runs[2] });
    }
  });

  it('tells each connector\'s open rejects and last successful run, and counts and filters the rejects', async () => {
    const token = await hub.token({ roles: ['operator'] });
    const res = await hub.gql<{ connectors: Array<{ name: string; openRejects: number; lastSucceededRun: { id: string } | null; lastRun: { id: string } | null }> }>(
      '{ connectors { name openRejects lastSucceededRun { id } lastRun { id } } }', {}, token);
    expect(res.body.errors).toBeUndefined();
    const justice = res.body.data!.connectors.find((c) => c.name === 'justice-register')!;
    expect(justice).toEqual({ name: 'justice-register', openRejects: broken.length, lastSucceededRun: { id: runs[2] }, lastRun: { id: runs[2] } });
    expect(res.body.data!.connectors.filter((c) => c.name !== 'justice-register').every((c) => c.openRejects === 0 && c.lastSucceededRun === null)).toBe(true);

    const listed = await hub.gql<{ rejectedRecords: Array<{ reasons: Array<{ field: string; code: string }>; lastSeenAt: string }> }>(
      '{ rejectedRecords(connector: "justice-register") { reasons { field code } lastSeenAt } }', {}, token);
    const { field, code } = listed.body.data!.rejectedRecords[0]!.reasons[0]!;
    const lastSeen = listed.body.data!.rejectedRecords.map((r) => Date.parse(r.lastSeenAt));
    const count = async (args: string) => {
      const r = await hub.gql<{ rejectedRecords: unknown[]; rejectedRecordCount: number }>(
        `{ rejectedRecords(connector: "justice-register", ${args}) { id } rejectedRecordCount(connector: "justice-register", ${args}) }`, {}, token);
      expect(r.body.errors, args).toBeUndefined();
      expect(r.body.data!.rejectedRecords, args).toHaveLength(r.body.data!.rejectedRecordCount);
      return r.body.data!.rejectedRecordCount;
    };
    expect(await count('unresolvedOnly: true')).toBe(broken.length);
    expect(await count(`code: "${code}"`)).toBe(broken.length);
    expect(await count(`field: "${field}"`)).toBe(broken.length);
    expect(await count(`code: "${code}", field: "${field}"`)).toBe(broken.length);
    expect(await count(`code: "${code.toLowerCase()}"`)).toBe(broken.length); // codes in any letter case
    expect(await count('code: "NO_SUCH_CODE"')).toBe(0);
    // An empty code or field is refused, not "no rejects" (QA re-check).
    for (const empty of ['code: ""', 'field: " "']) {
      const r = await hub.gql(`{ rejectedRecordCount(connector: "justice-register", ${empty}) }`, {}, token);
      expect(r.body.errors?.[0]?.extensions?.code, empty).toBe('BAD_USER_INPUT');
    }
    expect(await count(`field: "${field}", code: "NO_SUCH_CODE"`)).toBe(0);
    expect(await count(`since: "${new Date(Math.min(...lastSeen)).toISOString()}"`)).toBe(broken.length);
    expect(await count(`since: "${new Date(Math.max(...lastSeen) + 1).toISOString()}"`)).toBe(0);
    expect(await count(`until: "${new Date(Math.min(...lastSeen)).toISOString()}"`)).toBe(0);
    expect(await count(`runId: "${runs[1]}", unresolvedOnly: false`)).toBe(broken.length);
    const backwards = await hub.gql('{ rejectedRecordCount(since: "2026-12-02T00:00:00Z", until: "2026-12-01T00:00:00Z") }', {}, token);
    expect(backwards.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('shows on a stored record the newer version its source sent that the hub refused, and nothing on the others', async () => {
    const rows = await hub.ctx.sql.query<{ id: string; external_id: string; child_id: string; reject_id: string | null }>(
      `SELECT s.id, s.external_id, s.child_id, x.id AS reject_id FROM source_record s
         LEFT JOIN rejected_record x ON x.source_system = s.source_system AND x.external_id = s.external_id AND x.resolved_at IS NULL
        WHERE s.external_id = ANY($1::text[]) OR s.id = (SELECT min(id) FROM source_record WHERE external_id <> ALL($1::text[]))`, [broken]);
    expect(rows).toHaveLength(broken.length + 1);
    const steward = await hub.token();
    for (const row of rows) {
      const res = await hub.gql<{ sourceRecord: { externalId: string; openReject: { id: string; reasons: Array<{ field: string; code: string }>; rejectedAt: string; lastSeenAt: string; lastRunId: string; timesSeen: number } | null } }>(
        'query($id: ID!) { sourceRecord(id: $id) { externalId openReject { id reasons { field code } rejectedAt lastSeenAt lastRunId timesSeen } } }', { id: row.id }, steward);
      expect(res.body.errors).toBeUndefined();
      const open = res.body.data!.sourceRecord.openReject;
      if (row.reject_id === null) {
        expect(open).toBeNull();
        continue;
      }
      expect(open).toMatchObject({ id: row.reject_id, lastRunId: runs[2], timesSeen: runs.length });
      expect(open!.reasons.length).toBeGreaterThan(0);
      expect(Date.parse(open!.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(open!.rejectedAt));
    }
    // On the child's records too, batched: one statement for the page's records, whatever their number.
    await buildChildren(hub.ctx);
    const broken0 = rows.find((r) => r.reject_id !== null)!;
    const viaChild = await hub.gql<{ child: { sourceRecords: Array<{ externalId: string; openReject: { id: string } | null }> } }>(
      'query($id: ID!) { child(id: $id) { sourceRecords { externalId openReject { id } } } }', { id: broken0.child_id }, steward);
    expect(viaChild.body.errors).toBeUndefined();
    expect(viaChild.body.data!.child.sourceRecords.find((r) => r.externalId === broken0.external_id)!.openReject).toEqual({ id: broken0.reject_id });
  });
});
