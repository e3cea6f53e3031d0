import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import type { TokenClaims } from '../src/auth/token-claims.js';
import { createLogger } from '../src/observability/logger.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { CELL, plainRows, withCells, type RegisterRow } from './support/register-rows.js';
import { tempDir } from './support/temp-dir.js';

interface Reject {
  id: string;
  externalId: string | null;
  resolution: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  resolvedByRunId: string | null;
  lastRunId: string | null;
  timesSeen: number;
}
type GqlErrors = Array<{ message: string; extensions?: Record<string, unknown> }> | undefined;

const FIELDS = 'id externalId resolution resolvedAt resolvedBy resolutionNote resolvedByRunId lastRunId timesSeen';
const DISMISS = `mutation Dismiss($ids: [ID!]!, $reason: String!) { dismissRejectedRecords(ids: $ids, reason: $reason) { ${FIELDS} } }`;
const REASON = 'Dòng thử nghiệm của Sở Tư pháp: không bao giờ được sửa';

/**
 * Closing quarantined records by hand: who may, what is kept and audited, all or nothing, and what a dismissed
 * record does when the source sends it again (unchanged: stays dismissed; changed: quarantined anew; valid:
 * stored, the dismissal left as it is). Over the justice register's CSV with a broken row (rejected without
 * an external id) and two rows with an impossible birth date (rejected with theirs).
 */
describe('dismissRejectedRecords', () => {
  let hub: TestHub;
  let file: string;
  let original: string;
  const lines: string[] = [];
  const saved = { ...process.env };
  /** External ids of the two rows broken by date, and their line numbers (0-based) in the file. */
  let broken: RegisterRow[] = [];
  let idless: Reject;
  let a: Reject;
  let b: Reject;

  /** The file with the chosen rows' birth dates made impossible (`day` of February). */
  const withDates = (days: number[]) => withCells(original, broken, CELL.birthDate, days.map((d) => `${d}/02/2015`));
  const sync = async (text: string) => {
    writeFileSync(file, text);
    const run = await hub.ctx.connectors.run('justice-register', { trigger: 'CLI', files: [file], force: true });
    expect(run.status).toBe('SUCCEEDED');
    return run;
  };
  const list = async (args: string, token?: string) => {
    const res = await hub.gql<{ rejectedRecords: Reject[] }>(`{ rejectedRecords(connector: "justice-register", first: 100${args}) { ${FIELDS} } }`, {}, token ?? await hub.token({ roles: ['integration_engineer'] }));
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.rejectedRecords;
  };
  const dismiss = async (ids: string[], reason = REASON, roles = ['integration_engineer'], claims: Partial<TokenClaims> = {}) =>
    hub.gql<{ dismissRejectedRecords: Reject[] | null }>(DISMISS, { ids, reason }, await hub.token({ roles: roles as never, ...claims }));
  const rows = () => hub.ctx.sql.query<{ id: string; external_id: string | null; resolution: string | null; last_run_id: string; times_seen: number }>(
    'SELECT id, external_id, resolution, last_run_id, times_seen FROM rejected_record ORDER BY id');
  const code = (errors: GqlErrors) => errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    const dir = tempDir('childhub-dismiss-drop-');
    const drop = await writeJusticeRegisterDrop({ dir, seed: 4242, count: 120, brokenRows: 1 });
    file = drop.files.find((f) => f.path.endsWith('.csv'))!.path;
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    // Debug level: the request log is written too. The reason is free text a person wrote: never logged.
    hub = await startTestHub({ logger: createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } }) });
    original = readFileSync(file, 'utf8');
    broken = plainRows(original, 2, 39);
    const run = await sync(withDates([31, 31]));
    expect(run.rejected).toBe(3);
    const open = await list('');
    idless = open.find((r) => r.externalId === null)!;
    a = open.find((r) => r.externalId === broken[0]!.externalId)!;
    b = open.find((r) => r.externalId === broken[1]!.externalId)!;
    expect([idless, a, b].every((r) => r && r.resolution === null && r.timesSeen === 1)).toBe(true);
  });

  afterAll(async () => {
    await hub?.close();
    process.env = saved;
  });

  it('refuses callers who may not read rejected records, audited as DENIED, and changes nothing', async () => {
    for (const role of ['commune_officer', 'health_officer', 'auditor']) {
      const res = await dismiss([a.id], REASON, [role], { sub: `refused-${role}`, communes: ['00004'] });
      expect(code(res.body.errors)).toBe('FORBIDDEN');
      expect(res.body.errors?.[0]?.message).toBe('Dismissing rejected records is for integration_engineer, operator and data_steward only');
      expect(await hub.ctx.sql.query('SELECT action, operation, details FROM audit_event WHERE subject = $1', [`refused-${role}`])).toEqual([
        { action: 'DENIED', operation: 'Dismiss', details: { fields: ['Mutation.dismissRejectedRecords'] } },
      ]);
    }
    const anonymous = await hub.gql(DISMISS, { ids: [a.id], reason: REASON }, null);
    expect(code(anonymous.body.errors)).toBe('UNAUTHENTICATED');
    expect((await rows()).every((r) => r.resolution === null)).toBe(true);
  });

  it('refuses a data steward of some communes only: a quarantined record may be any commune\'s (DENIED audited)', async () => {
    const res = await dismiss([a.id], REASON, ['data_steward'], { sub: 'commune-steward', communes: ['00004'] });
    expect(res.body.data).toBeNull();
    expect(code(res.body.errors)).toBe('FORBIDDEN');
    expect(res.body.errors?.[0]?.message).toMatch(/whole city/);
    expect(await hub.ctx.sql.query('SELECT action, details FROM audit_event WHERE subject = $1', ['commune-steward'])).toEqual([
      { action: 'DENIED', details: { fields: ['Mutation.dismissRejectedRecords'] } },
    ]);
    // They still list them: nothing listed but the payload holds personal values.
    const listed = await list('', await hub.token({ roles: ['data_steward'], communes: ['00004'] }));
    expect(listed.map((r) => r.id).sort()).toEqual([idless.id, a.id, b.id].sort());
    expect((await rows()).every((r) => r.resolution === null)).toBe(true);
  });

  it('refuses a missing or too long reason, one with control characters, and no ids, with BAD_USER_INPUT naming the argument', async () => {
    const cases = [[[a.id], '   ', 'reason'], [[a.id], 'x'.repeat(501), 'reason'], [[a.id], 'a\u0000b', 'reason'], [[a.id], 'bell\u0007', 'reason'], [[], REASON, 'ids']] as const;
    for (const [ids, reason, argument] of cases) {
      const res = await dismiss([...ids], reason);
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
    expect((await rows()).every((r) => r.resolution === null)).toBe(true);
  });

  it('dismisses with who, when and why, audited as a WRITE naming the records, the reason never logged', async () => {
    const res = await dismiss([idless.id, a.id, a.id]);
    expect(res.body.errors).toBeUndefined();
    const dismissed = res.body.data!.dismissRejectedRecords!;
    expect(dismissed.map((r) => r.id)).toEqual([idless.id, a.id]);
    for (const r of dismissed) {
      expect(r).toMatchObject({ resolution: 'DISMISSED', resolvedBy: 'CB-0001', resolutionNote: REASON, resolvedByRunId: null, resolvedAt: expect.any(String) });
    }
    const audit = await hub.ctx.sql.query<{ operation: string; subject: string; officer_id: string; roles: string[]; details: Record<string, unknown> }>(
      `SELECT operation, subject, officer_id, roles, details FROM audit_event WHERE action = 'WRITE'`);
    expect(audit).toEqual([{
      operation: 'Dismiss', subject: 'test-user', officer_id: 'CB-0001', roles: ['integration_engineer'],
      details: { operations: ['dismissRejectedRecords'], recordIds: [idless.id, a.id].sort() },
    }]);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('Sở Tư pháp');
  });

  it('refuses the whole call when one id is closed already (CONFLICT naming it) or unknown (NOT_FOUND naming it)', async () => {
    const conflict = await dismiss([b.id, a.id], 'again', ['data_steward']);
    expect(conflict.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', argument: 'ids', ids: [a.id], resolutions: ['DISMISSED'] });
    expect(conflict.body.errors?.[0]?.message).toContain(a.id);
    const unknown = await dismiss([b.id, 'rej_01NOSUCHRECORD00000000000'], 'again', ['operator']);
    expect(unknown.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'ids', ids: ['rej_01NOSUCHRECORD00000000000'] });
    // Nothing written: b is still open, a keeps its first dismissal, and only that one was audited.
    expect((await rows()).find((r) => r.id === b.id)!.resolution).toBeNull();
    expect((await list(', resolution: DISMISSED')).map((r) => r.resolutionNote)).toEqual([REASON, REASON]);
    expect(await hub.ctx.sql.query(`SELECT 1 FROM audit_event WHERE action = 'WRITE'`)).toHaveLength(1);
  });

  it('gives a dismissal\'s note to its author and to whole-city stewards (audited), and to no other reader (DENIED audited)', async () => {
    // Another engineer, and an operator of one commune: the note is free text that may name a child (security QA).
    // A token of another subject carrying the author's officer number is not the author (QA: an officer number is not
    // known to be unique across agencies, and every dev token carried the same one).
    for (const [sub, claims] of [
      ['other-engineer', { officer_id: 'CB-0002', roles: ['integration_engineer'] }],
      ['commune-operator', { officer_id: 'CB-0003', roles: ['operator'], communes: ['00004'] }],
      ['same-officer-number', { officer_id: 'CB-0001', roles: ['operator'], agency: 'so-y-te' }],
    ] as const) {
      const res = await hub.gql<{ rejectedRecords: Reject[] }>(`{ rejectedRecords(connector: "justice-register", resolution: DISMISSED) { id resolvedBy resolutionNote } }`, {},
        await hub.token({ sub, ...claims } as never));
      expect(res.body.data!.rejectedRecords.map((r) => r.resolutionNote)).toEqual([null, null]);
      expect(res.body.data!.rejectedRecords.map((r) => r.resolvedBy)).toEqual(['CB-0001', 'CB-0001']);
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
      expect(res.body.errors?.[0]?.message).toMatch(/^A dismissal's note is free text that may hold any personal data/);
      const audited = await hub.ctx.sql.query<{ action: string; details: { fields?: string[] } }>('SELECT action, details FROM audit_event WHERE subject = $1', [sub]);
      expect(audited.map((e) => e.action)).toEqual(['DENIED']);
      expect(audited[0]!.details.fields).toEqual(['RejectedRecord.resolutionNote']);
    }
    // A data steward of the whole city reads it, audited as a read of every class.
    const steward = await hub.gql<{ rejectedRecords: Reject[] }>(`{ rejectedRecords(connector: "justice-register", resolution: DISMISSED) { id resolutionNote } }`, {},
      await hub.token({ sub: 'city-steward', officer_id: 'CB-0004', roles: ['data_steward'] } as never));
    expect(steward.body.errors).toBeUndefined();
    expect(steward.body.data!.rejectedRecords.map((r) => r.resolutionNote)).toEqual([REASON, REASON]);
    const read = await hub.ctx.sql.query<{ action: string; field_classes: string[] }>(`SELECT action, field_classes FROM audit_event WHERE subject = 'city-steward'`);
    expect(read).toEqual([{ action: 'READ', field_classes: expect.arrayContaining(['BASIC', 'HEALTH', 'IDENTITY', 'PROTECTION_GROUP']) }]);
  });

  it('lists open ones by default, the dismissed ones by resolution, and all with unresolvedOnly: false', async () => {
    expect((await list('')).map((r) => r.id)).toEqual([b.id]);
    expect((await list(', resolution: DISMISSED')).map((r) => r.id).sort()).toEqual([idless.id, a.id].sort());
    expect(await list(', resolution: STORED')).toEqual([]);
    expect(await list(', unresolvedOnly: false')).toHaveLength(3);
  });

  it('keeps a record read again unchanged dismissed: no open row, seen again, still counted as rejected', async () => {
    const run = await sync(withDates([31, 31]));
    expect(run.rejected).toBe(3);
    expect(run.inserted + run.updated + run.unchanged + run.rejected).toBe(run.fetched);
    const after = await rows();
    expect(after).toHaveLength(3);
    for (const r of after) expect(r).toMatchObject({ last_run_id: run.runId, times_seen: 2 });
    expect(after.filter((r) => r.resolution === null).map((r) => r.id)).toEqual([b.id]);
    expect((await list(', resolution: DISMISSED')).map((r) => [r.id, r.timesSeen, r.lastRunId]).sort()).toEqual(
      [[idless.id, 2, run.runId], [a.id, 2, run.runId]].sort());
  });

  it('quarantines a dismissed record anew when it is read again changed and still invalid', async () => {
    const previous = (await rows()).find((r) => r.id === a.id)!;
    const run = await sync(withDates([30, 31]));
    expect(run.rejected).toBe(3);
    const open = await list('');
    expect(open.map((r) => r.externalId).sort()).toEqual([broken[0]!.externalId, broken[1]!.externalId].sort());
    expect(open.find((r) => r.externalId === broken[0]!.externalId)).toMatchObject({ resolution: null, timesSeen: 1, lastRunId: run.runId });
    // The dismissed reading stays as it was: not seen by this run.
    expect((await rows()).find((r) => r.id === a.id)).toEqual(previous);
  });

  it('leaves the dismissal as it is when the record is stored valid later', async () => {
    const run = await sync(original);
    expect(run.rejected).toBe(1); // the broken row, still dismissed
    const all = await list(', unresolvedOnly: false');
    const ofA = all.filter((r) => r.externalId === broken[0]!.externalId);
    expect(ofA.map((r) => r.resolution).sort()).toEqual(['DISMISSED', 'STORED']);
    expect(ofA.find((r) => r.resolution === 'STORED')!.resolvedByRunId).toBe(run.runId);
    expect(ofA.find((r) => r.id === a.id)).toMatchObject({ resolution: 'DISMISSED', resolvedBy: 'CB-0001', resolutionNote: REASON, resolvedByRunId: null });
    expect(all.find((r) => r.id === idless.id)).toMatchObject({ resolution: 'DISMISSED', timesSeen: 4, lastRunId: run.runId });
    expect(await list('')).toEqual([]);
  });
});
