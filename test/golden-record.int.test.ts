import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../src/app/app-context.js';
import { newId } from '../src/db/ids.js';
import { checkIdentityNumber } from '../src/domain/identity-number.js';
import type { GroupEvidenceInput, SourceSystem } from '../src/domain/source-record-input.js';
import { computeGolden } from '../src/services/golden-record/survivorship.js';
import { createTestAppContext } from './support/jobs-test-context.js';
import { createTestEnv, type TestEnv } from './support/test-env.js';

/** A source record as ingest leaves it: linked to a child id that may have no row yet. */
interface RecordSpec {
  childId: string;
  sourceSystem?: SourceSystem;
  fullName?: string | null;
  familyName?: string | null;
  middleName?: string | null;
  givenName?: string | null;
  sex?: 'MALE' | 'FEMALE' | null;
  birthDate?: string | null;
  communeCode?: string | null;
  identityNumber?: string | null;
  groups?: GroupEvidenceInput[];
  sourceUpdatedAt?: string | null;
}

const HA = { fullName: 'Nguyễn Thị Thu Hà', familyName: 'Nguyễn', middleName: 'Thị Thu', givenName: 'Hà' };

describe('golden-record stage', () => {
  let env: TestEnv;
  let ctx: AppContext;
  beforeAll(async () => {
    env = await createTestEnv();
    ctx = await createTestAppContext(env);
  });
  afterAll(async () => {
    await ctx?.close();
    await env?.cleanup();
  });

  let n = 0;
  /** Inserts a linked source record directly (ingest's link decision, without ingest); returns its id. */
  const addRecord = async (spec: RecordSpec): Promise<string> => {
    const id = newId('sourceRecord');
    const r = { sourceSystem: 'health-station', ...HA, sex: 'FEMALE', birthDate: '2015-03-02', communeCode: '00004', identityNumber: null, groups: [], sourceUpdatedAt: null, ...spec };
    await ctx.sql.query(
      `INSERT INTO source_record (id, source_system, external_id, raw, full_name, family_name, middle_name, given_name, name_folded, sex,
         birth_date, birth_date_precision, commune_code, commune_code_set, identity_number, groups, content_hash, source_updated_at,
         child_id, link_rule, linked_at, linked_by)
       VALUES ($1, $2, $3, '{}', $4, $5, $6, $7, lower($4), $8, $9, CASE WHEN $9::date IS NOT NULL THEN 'DAY' END, $10,
         CASE WHEN $10::text IS NOT NULL THEN 'VN-2025' END, $11, $12, $1, $13, $14, 'NEW_CHILD', now(), 'test')`,
      [id, r.sourceSystem, `GR-${++n}`, r.fullName, r.familyName, r.middleName, r.givenName, r.sex, r.birthDate, r.communeCode,
        r.identityNumber, JSON.stringify(r.groups), r.sourceUpdatedAt, r.childId],
    );
    return id;
  };
  const childRow = (id: string) =>
    ctx.sql.one<Record<string, any>>(`SELECT *, xmin::text AS xmin FROM child WHERE id = $1`, [id]);
  const numbersOf = (id: string) =>
    ctx.sql.query<Record<string, any>>(`SELECT id, number, status, source_record_id, structural_findings, xmin::text AS xmin FROM identity_number WHERE child_id = $1 ORDER BY number`, [id]);
  const membershipsOf = (id: string) =>
    ctx.sql.query<Record<string, any>>(
      `SELECT id, clause, sub_type, source_record_id, evidence, started_on, xmin::text AS xmin FROM special_circumstance WHERE child_id = $1 ORDER BY clause`, [id]);
  const outboxMark = async () => (await ctx.sql.one<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM outbox`))!.id;
  /** Children enqueued for identity reconciliation since `mark`, whichever way the outbox groups them. */
  const reconcileSince = async (mark: string) =>
    (await ctx.sql.query<{ ids: string[] }>(
      `SELECT CASE WHEN jsonb_typeof(payload->'ids') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(payload->'ids')) ELSE ARRAY[aggregate_id] END AS ids
         FROM outbox WHERE topic = 'identity.reconcile' AND id > $1::bigint ORDER BY id`, [mark])).flatMap((r) => r.ids).sort();

  // Built by the first test, used by the ones after it.
  const foundling = newId('child');
  const numberless = newId('child');
  const mismatched = newId('child');
  let justice = '';
  let health = '';

  it('builds a child whose row does not exist yet from the records linked to it', async () => {
    justice = await addRecord({
      childId: foundling, sourceSystem: 'justice-register', fullName: 'NGUYEN THI THU HA', familyName: 'NGUYEN', middleName: 'THI THU', givenName: 'HA',
      identityNumber: '001215000456', groups: [{ clause: 'b', since: '2024-05-01' }], sourceUpdatedAt: '2020-01-01T00:00:00Z',
    });
    health = await addRecord({
      childId: foundling, communeCode: '00008', identityNumber: '001215000456', groups: [{ clause: 'd', subType: 'VAN_DONG' }], sourceUpdatedAt: '2026-01-01T00:00:00Z',
    });
    await addRecord({ childId: numberless, sourceSystem: 'school', fullName: 'Trần Văn Minh', familyName: 'Trần', middleName: 'Văn', givenName: 'Minh', sex: 'MALE' });
    await addRecord({ childId: mismatched, identityNumber: '001215000789' });
    const mark = await outboxMark();

    const result = await ctx.goldenRecords.recompute([numberless, foundling, mismatched, foundling]);
    expect(result).toEqual({ changed: [foundling, numberless, mismatched].sort(), unchanged: [], skipped: [] });

    const child = (await childRow(foundling))!;
    // The golden values are survivorship's over the two records (the one with diacritics, the latest commune).
    const golden = computeGolden([
      { id: justice, sourceSystem: 'justice-register', fullName: 'NGUYEN THI THU HA', familyName: 'NGUYEN', middleName: 'THI THU', givenName: 'HA', nameFolded: 'nguyen thi thu ha', sex: 'FEMALE', birthDate: '2015-03-02', birthDatePrecision: 'DAY', birthDateEstimated: false, communeCode: '00004', communeCodeSet: 'VN-2025', identityNumber: '001215000456', groups: [{ clause: 'b', since: '2024-05-01' }], observedAt: new Date('2020-01-01T00:00:00Z') },
      { id: health, sourceSystem: 'health-station', ...HA, nameFolded: 'nguyễn thị thu hà', sex: 'FEMALE', birthDate: '2015-03-02', birthDatePrecision: 'DAY', birthDateEstimated: false, communeCode: '00008', communeCodeSet: 'VN-2025', identityNumber: '001215000456', groups: [{ clause: 'd', subType: 'VAN_DONG' }], observedAt: new Date('2026-01-01T00:00:00Z') },
    ]);
    expect(child).toMatchObject({
      status: 'ACTIVE', merged_into_id: null, version: 1,
      full_name: golden.fullName, family_name: 'Nguyễn', middle_name: 'Thị Thu', given_name: 'Hà', name_folded: golden.nameFolded,
      sex: 'FEMALE', birth_date: '2015-03-02', birth_date_precision: 'DAY', birth_date_estimated: false, birth_year: 2015,
      commune_code: '00008', commune_code_set: 'VN-2025', identity_number: '001215000456', identity_status: 'UNVERIFIED', group_clauses: ['b', 'd'],
    });
    expect(child.full_name).toBe('Nguyễn Thị Thu Hà');
    expect(child.created_at).toEqual(child.updated_at);
    // Provenance per field, in the shape GraphQL reads: the supplying record, its system, when it was chosen.
    expect(Object.keys(child.provenance).sort()).toEqual(Object.keys(golden.provenance).sort());
    for (const [field, p] of Object.entries(golden.provenance)) {
      expect(child.provenance[field]).toEqual({ sourceRecordId: p.sourceRecordId, sourceSystem: p.sourceSystem, chosenAt: expect.any(String) });
      expect(Number.isNaN(Date.parse(child.provenance[field].chosenAt))).toBe(false);
    }
    expect(child.provenance.fullName.sourceRecordId).toBe(health);
    expect(child.provenance.communeCode.sourceRecordId).toBe(health);

    // One history row per number; the first record carrying it is its source. Abandoned: no sex/year findings.
    expect(await numbersOf(foundling)).toEqual([expect.objectContaining({ number: '001215000456', status: 'GIVEN', source_record_id: justice, structural_findings: [] })]);
    const other = await numbersOf(mismatched);
    expect(other).toEqual([expect.objectContaining({ number: '001215000789', status: 'GIVEN' })]);
    expect(other[0]!.structural_findings).toEqual(checkIdentityNumber('001215000789', { sex: 'FEMALE', birthYear: 2015, abandoned: false }).findings);
    expect(other[0]!.structural_findings.map((f: { code: string }) => f.code)).toEqual(['SEX_DIGIT_MISMATCH']);
    expect(await numbersOf(numberless)).toEqual([]);

    expect((await membershipsOf(foundling)).map(({ id: _id, xmin: _x, ...m }) => m)).toEqual([
      { clause: 'b', sub_type: null, source_record_id: justice, evidence: { sourceSystem: 'justice-register' }, started_on: '2024-05-01' },
      { clause: 'd', sub_type: 'VAN_DONG', source_record_id: health, evidence: { sourceSystem: 'health-station' }, started_on: null },
    ]);
    expect(await childRow(numberless)).toMatchObject({ version: 1, identity_number: null, identity_status: 'NO_NUMBER', full_name: 'Trần Văn Minh', group_clauses: [] });

    // Every new child is checked against the population database (or its issuance started).
    expect(await reconcileSince(mark)).toEqual([foundling, numberless, mismatched].sort());
  });

  it('is idempotent: a second run changes nothing and writes nothing but the reconciliation rule asks for', async () => {
    const before = await Promise.all([foundling, numberless].map(async (id) => ({ child: await childRow(id), numbers: await numbersOf(id), groups: await membershipsOf(id) })));
    const mark = await outboxMark();
    expect(await ctx.goldenRecords.recompute([foundling, numberless])).toEqual({ changed: [], unchanged: [foundling, numberless].sort(), skipped: [] });
    const after = await Promise.all([foundling, numberless].map(async (id) => ({ child: await childRow(id), numbers: await numbersOf(id), groups: await membershipsOf(id) })));
    // Same row versions (xmin): not even rewritten with the same values.
    expect(after).toEqual(before);
    // As before this rewrite: a number not yet verified, or no number, is asked about again on every run.
    expect(await reconcileSince(mark)).toEqual([foundling, numberless].sort());

    // Once reconciliation has verified the number, a run writes nothing at all.
    await ctx.sql.query(`UPDATE child SET identity_status = 'VERIFIED', identity_verified_at = now() WHERE id = $1`, [foundling]);
    await ctx.sql.query(`UPDATE identity_number SET status = 'VERIFIED', verified_at = now() WHERE child_id = $1`, [foundling]);
    const verified = await childRow(foundling);
    const mark2 = await outboxMark();
    expect(await ctx.goldenRecords.recompute([foundling])).toEqual({ changed: [], unchanged: [foundling], skipped: [] });
    expect(await childRow(foundling)).toEqual(verified);
    expect(await outboxMark()).toBe(mark2);
  });

  it('updates a child whose records changed and bumps its version by one', async () => {
    const before = (await childRow(foundling))!;
    // A move: the golden commune changes; what the registry is asked about does not, so VERIFIED stays.
    await ctx.sql.query(`UPDATE source_record SET commune_code = '00012', source_updated_at = '2026-06-01T00:00:00Z' WHERE id = $1`, [health]);
    let mark = await outboxMark();
    expect(await ctx.goldenRecords.recompute([foundling])).toEqual({ changed: [foundling], unchanged: [], skipped: [] });
    const moved = (await childRow(foundling))!;
    expect(moved).toMatchObject({ version: before.version + 1, commune_code: '00012', identity_status: 'VERIFIED', created_at: before.created_at });
    expect(moved.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    expect(moved.provenance).toEqual(before.provenance); // same supplying records
    expect(await reconcileSince(mark)).toEqual([]);

    // Both sources now give another number and the disability evidence is withdrawn: the new number starts
    // UNVERIFIED and is checked, the old one stays in the history, the membership goes.
    await ctx.sql.query(`UPDATE source_record SET identity_number = '001315000111' WHERE id = ANY($1::text[])`, [[justice, health]]);
    await ctx.sql.query(`UPDATE source_record SET groups = '[]' WHERE id = $1`, [health]);
    mark = await outboxMark();
    expect(await ctx.goldenRecords.recompute([foundling])).toEqual({ changed: [foundling], unchanged: [], skipped: [] });
    expect(await childRow(foundling)).toMatchObject({ version: before.version + 2, identity_number: '001315000111', identity_status: 'UNVERIFIED', group_clauses: ['b'] });
    expect((await numbersOf(foundling)).map((x) => [x.number, x.status, x.source_record_id])).toEqual([
      ['001215000456', 'VERIFIED', justice],
      ['001315000111', 'GIVEN', justice],
    ]);
    expect((await membershipsOf(foundling)).map((m) => m.clause)).toEqual(['b']);
    expect(await reconcileSince(mark)).toEqual([foundling]);
  });

  it('keeps a drop-out spell as history when the school lists the pupil at school again (whenGone: end), and a second spell as another row (QA)', async () => {
    const child = newId('child');
    const out = [{ clause: 'h' as const, subType: 'THOI_HOC', whenGone: 'end' as const }];
    const pupil = await addRecord({ childId: child, sourceSystem: 'school', groups: out, sourceUpdatedAt: '2026-02-10T08:00:00+07:00' });
    await ctx.goldenRecords.recompute([child]);
    const spells = async () => (await ctx.sql.query<Record<string, any>>(
      `SELECT clause, started_on, ended_on::text AS ended_on, evidence FROM special_circumstance WHERE child_id = $1 ORDER BY recorded_at, ended_on NULLS LAST`, [child]))
      .map((m) => [m.clause, m.ended_on, m.evidence.whenGone ?? null, m.evidence.withdrawnOn ?? null]);
    expect(await spells()).toEqual([['h', null, 'end', null]]);
    expect(await childRow(child)).toMatchObject({ group_clauses: ['h'] });
    // Back at school from 5 September (the school changed the record then).
    await ctx.sql.query(`UPDATE source_record SET groups = '[]', source_updated_at = '2026-09-05T07:30:00+07:00' WHERE id = $1`, [pupil]);
    await ctx.goldenRecords.recompute([child]);
    expect(await spells()).toEqual([['h', '2026-09-05', 'end', '2026-09-05']]);
    expect(await childRow(child)).toMatchObject({ group_clauses: [] });
    // Rebuilt again: nothing changes. Out again: a second spell beside the first.
    expect(await ctx.goldenRecords.recompute([child])).toMatchObject({ unchanged: [child] });
    await ctx.sql.query(`UPDATE source_record SET groups = $2::jsonb, source_updated_at = '2026-11-20T07:30:00+07:00' WHERE id = $1`, [pupil, JSON.stringify(out)]);
    await ctx.goldenRecords.recompute([child]);
    expect(await spells()).toEqual([['h', '2026-09-05', 'end', '2026-09-05'], ['h', null, 'end', null]]);
    expect(await childRow(child)).toMatchObject({ group_clauses: ['h'] });
    // The record joins another child (its number corrected): its past spell goes with it, its open one is rebuilt there;
    // the child it left, empty, keeps neither (QA re-check: the ended spell was deleted).
    const other = newId('child');
    await addRecord({ childId: other, sourceSystem: 'justice-register' });
    await ctx.goldenRecords.recompute([other]);
    await ctx.sql.query(`UPDATE source_record SET child_id = $2 WHERE id = $1`, [pupil, other]);
    await ctx.sql.query(`UPDATE child SET status = 'MERGED', merged_into_id = $2 WHERE id = $1`, [child, other]);
    await ctx.goldenRecords.recompute([child, other]);
    const spellsOf = async (id: string) => (await ctx.sql.query<Record<string, any>>(
      `SELECT ended_on::text AS ended_on FROM special_circumstance WHERE child_id = $1 ORDER BY ended_on NULLS LAST`, [id])).map((m) => m.ended_on);
    expect(await spellsOf(other)).toEqual(['2026-09-05', null]);
    expect(await spellsOf(child)).toEqual([]);
  });

  it('names an adopted child as the adoption register does, over the birth name of records observed before it (QA)', async () => {
    const child = newId('child');
    const birthName = { fullName: 'Nguyễn Thị Bình An', familyName: 'Nguyễn', middleName: 'Thị Bình', givenName: 'An' };
    await addRecord({ childId: child, sourceSystem: 'justice-register', ...birthName, sourceUpdatedAt: '2025-03-01T00:00:00+07:00' });
    await addRecord({ childId: child, sourceSystem: 'health-station', ...birthName, sourceUpdatedAt: '2025-06-01T00:00:00+07:00' });
    const adoption = await addRecord({ childId: child, sourceSystem: 'justice-register', fullName: 'Trần Thị An Nhiên', familyName: 'Trần', middleName: 'Thị An',
      givenName: 'Nhiên', sourceUpdatedAt: '2026-05-20T00:00:00+07:00' });
    await ctx.goldenRecords.recompute([child]);
    // Not yet an adoption the register shows (no adoption registration): most sources agree on the birth name.
    expect(await childRow(child)).toMatchObject({ full_name: 'Nguyễn Thị Bình An' });
    await ctx.sql.query(`INSERT INTO adoption_registration (id, source_record_id, registration_number, registered_on) VALUES ($1, $2, '7', '2026-05-20')`,
      [newId('adoptionRegistration'), adoption]);
    await ctx.goldenRecords.recompute([child]);
    expect(await childRow(child)).toMatchObject({ full_name: 'Trần Thị An Nhiên', given_name: 'Nhiên' });
    expect((await childRow(child))!.provenance.fullName).toMatchObject({ sourceRecordId: adoption });
  });

  it('checks a child\'s numbers again when its sex or birth year changes (QA: the findings stayed those of the first check)', async () => {
    const child = newId('child');
    const record = await addRecord({ childId: child, sex: 'MALE', birthDate: '2016-01-01', identityNumber: '001216000777' });
    await ctx.goldenRecords.recompute([child]);
    expect((await numbersOf(child)).map((n) => n.structural_findings)).toEqual([[]]);
    await ctx.sql.query(`UPDATE source_record SET sex = 'FEMALE', birth_date = '2013-09-09' WHERE id = $1`, [record]);
    await ctx.goldenRecords.recompute([child]);
    const [number] = await numbersOf(child);
    expect((number!.structural_findings as Array<{ code: string }>).map((f) => f.code).sort())
      .toEqual(checkIdentityNumber('001216000777', { sex: 'FEMALE', birthYear: 2013 }).findings.map((f) => f.code).sort());
    expect(number!.structural_findings).not.toEqual([]);
  });

  it('keeps a number the registry issued, and statuses reached for the current number', async () => {
    const issuedTo = newId('child');
    await addRecord({ childId: issuedTo, sourceSystem: 'facility-inspection', groups: [{ clause: 'b' }] });
    await ctx.goldenRecords.recompute([issuedTo]);
    expect(await childRow(issuedTo)).toMatchObject({ identity_status: 'NO_NUMBER', identity_number: null });
    // What identity issuance records when the registry has issued a number (no source gave it): the issuance
    // names it, and the history holds it as VERIFIED.
    await ctx.sql.query(`INSERT INTO identity_issuance (child_id, due_at, issued_at, issued_number) VALUES ($1, now(), now(), '001315000222')`, [issuedTo]);
    await ctx.sql.query(`INSERT INTO identity_number (id, child_id, number, status, verified_at) VALUES ($1, $2, '001315000222', 'VERIFIED', now())`, [newId('identityNumber'), issuedTo]);
    await ctx.sql.query(`UPDATE child SET identity_number = '001315000222', identity_status = 'ISSUED', version = version + 1, updated_at = now() WHERE id = $1`, [issuedTo]);
    const issued = await childRow(issuedTo);
    const mark = await outboxMark();
    expect(await ctx.goldenRecords.recompute([issuedTo])).toEqual({ changed: [], unchanged: [issuedTo], skipped: [] });
    expect(await childRow(issuedTo)).toEqual(issued);
    expect(await reconcileSince(mark)).toEqual([]);

    // A child waiting for issuance keeps waiting while no source gives a number.
    await ctx.sql.query(`UPDATE child SET identity_status = 'PENDING_ISSUANCE' WHERE id = $1`, [numberless]);
    expect(await ctx.goldenRecords.recompute([numberless])).toEqual({ changed: [], unchanged: [numberless], skipped: [] });
    expect(await childRow(numberless)).toMatchObject({ identity_status: 'PENDING_ISSUANCE', version: 1 });
  });

  it('checks again a child in CONFLICT once no other active child holds its number (the other merged into it), and only then', async () => {
    const [kept, merged, third] = [newId('child'), newId('child'), newId('child')];
    await addRecord({ childId: kept, identityNumber: '001315000444' });
    const mergedRecord = await addRecord({ childId: merged, identityNumber: '001315000444' });
    await addRecord({ childId: third, identityNumber: '001315000555' });
    await ctx.goldenRecords.recompute([kept, merged, third]);
    // What reconciliation records for two children verified with one number.
    await ctx.sql.query(`UPDATE child SET identity_status = 'CONFLICT' WHERE id = ANY($1::text[])`, [[kept, merged]]);
    let mark = await outboxMark();
    // Still two holders: a recompute asks nothing (a conflict is a steward's to resolve).
    await ctx.sql.query(`UPDATE source_record SET full_name = 'Nguyễn Thị Thu Hằng' WHERE child_id = $1`, [kept]);
    await ctx.goldenRecords.recompute([kept]);
    expect(await reconcileSince(mark)).toEqual([kept]); // the name asked about changed
    mark = await outboxMark();
    await ctx.goldenRecords.recompute([kept, merged]);
    expect(await reconcileSince(mark)).toEqual([]);
    // What ingest does when a record's number joins it to the child holding the number.
    await ctx.sql.query(`UPDATE source_record SET child_id = $1, link_rule = 'IDENTITY_NUMBER' WHERE id = $2`, [kept, mergedRecord]);
    await ctx.sql.query(`UPDATE child SET status = 'MERGED', merged_into_id = $1 WHERE id = $2`, [kept, merged]);
    mark = await outboxMark();
    await ctx.goldenRecords.recompute([kept, merged]);
    expect(await reconcileSince(mark)).toEqual([kept]);
    expect(await childRow(third)).toMatchObject({ identity_status: 'UNVERIFIED' });

    // The other holder's records give it another number instead, and only it is rebuilt (QA re-check: the one left
    // stayed CONFLICT for good).
    const [alone, renumbered] = [newId('child'), newId('child')];
    await addRecord({ childId: alone, identityNumber: '001315000466' });
    const renumberedRecord = await addRecord({ childId: renumbered, identityNumber: '001315000466' });
    await ctx.goldenRecords.recompute([alone, renumbered]);
    await ctx.sql.query(`UPDATE child SET identity_status = 'CONFLICT' WHERE id = ANY($1::text[])`, [[alone, renumbered]]);
    await ctx.sql.query(`UPDATE source_record SET identity_number = '001315000477' WHERE id = $1`, [renumberedRecord]);
    mark = await outboxMark();
    await ctx.goldenRecords.recompute([renumbered]);
    expect(await reconcileSince(mark)).toEqual([alone, renumbered].sort());
  });

  it('supersedes a number no linked record gives any more, and makes it current again when a record gives it again', async () => {
    const child = newId('child');
    // QA: a birth-register record whose number was corrected (…978 → …979) in a re-dropped file.
    const birth = await addRecord({ childId: child, sourceSystem: 'justice-register', identityNumber: '012213802978', groups: [{ clause: 'b' }] });
    await addRecord({ childId: child, sourceSystem: 'school', identityNumber: null });
    await ctx.goldenRecords.recompute([child]);
    const history = async () => (await ctx.sql.query<{ number: string; status: string; source_record_id: string; superseded_at: Date | null; first_seen_at: Date }>(
      `SELECT number, status, source_record_id, superseded_at, first_seen_at FROM identity_number WHERE child_id = $1 ORDER BY number`, [child]));
    expect((await history()).map((x) => [x.number, x.status, x.superseded_at])).toEqual([['012213802978', 'GIVEN', null]]);

    await ctx.sql.query(`UPDATE source_record SET identity_number = '012213802979' WHERE id = $1`, [birth]);
    const before = (await childRow(child))!;
    expect(await ctx.goldenRecords.recompute([child])).toEqual({ changed: [child], unchanged: [], skipped: [] });
    const corrected = await history();
    expect(corrected.map((x) => [x.number, x.status, x.source_record_id])).toEqual([
      ['012213802978', 'SUPERSEDED', birth],
      ['012213802979', 'GIVEN', birth],
    ]);
    // When it changed: the recompute's time, after the number was first seen; the current number has none.
    expect(corrected[0]!.superseded_at).toBeInstanceOf(Date);
    expect(corrected[0]!.superseded_at!.getTime()).toBeGreaterThanOrEqual(corrected[0]!.first_seen_at.getTime());
    expect(corrected[1]!.superseded_at).toBeNull();
    expect(await childRow(child)).toMatchObject({ identity_number: '012213802979', identity_status: 'UNVERIFIED', version: before.version + 1 });

    // Idempotent: the history is not rewritten (nor the superseded time moved) by the next run.
    const xmins = await ctx.sql.query(`SELECT id, xmin::text AS xmin, superseded_at FROM identity_number WHERE child_id = $1 ORDER BY id`, [child]);
    expect(await ctx.goldenRecords.recompute([child])).toEqual({ changed: [], unchanged: [child], skipped: [] });
    expect(await ctx.sql.query(`SELECT id, xmin::text AS xmin, superseded_at FROM identity_number WHERE child_id = $1 ORDER BY id`, [child])).toEqual(xmins);

    // The correction is undone: the old number is current again and the other one superseded in turn.
    await ctx.sql.query(`UPDATE source_record SET identity_number = '012213802978' WHERE id = $1`, [birth]);
    expect(await ctx.goldenRecords.recompute([child])).toEqual({ changed: [child], unchanged: [], skipped: [] });
    const undone = await history();
    expect(undone.map((x) => [x.number, x.status, x.superseded_at === null])).toEqual([
      ['012213802978', 'GIVEN', true],
      ['012213802979', 'SUPERSEDED', false],
    ]);
    // Still one row per number: the history row comes back, with when it was first seen.
    expect(undone[0]!.first_seen_at).toEqual(corrected[0]!.first_seen_at);
    expect(await childRow(child)).toMatchObject({ identity_number: '012213802978', version: before.version + 2 });
  });

  it('skips merged children and ids with neither a row nor a record', async () => {
    const merged = newId('child');
    const unknown = newId('child');
    await ctx.sql.query(`INSERT INTO child (id, status, merged_into_id) VALUES ($1, 'MERGED', $2)`, [merged, foundling]);
    await addRecord({ childId: merged, identityNumber: '001315000333', groups: [{ clause: 'a' }] });
    const mergedBefore = await childRow(merged);
    const foundlingBefore = await childRow(foundling);
    const mark = await outboxMark();
    expect(await ctx.goldenRecords.recompute([unknown, merged])).toEqual({ changed: [], unchanged: [], skipped: [merged, unknown].sort() });
    expect(await childRow(unknown)).toBeUndefined();
    expect(await childRow(merged)).toEqual(mergedBefore);
    expect(await numbersOf(merged)).toEqual([]);
    expect(await membershipsOf(merged)).toEqual([]);
    expect(await childRow(foundling)).toEqual(foundlingBefore);
    expect(await reconcileSince(mark)).toEqual([]);
  });

  it('builds a new child once when two recomputes of it run at the same time', async () => {
    const twice = newId('child');
    const d = newId('child');
    const e = newId('child');
    await addRecord({ childId: twice, identityNumber: '001315000444', groups: [{ clause: 'd' }] });
    await addRecord({ childId: twice, sourceSystem: 'school', identityNumber: '001315000444', groups: [{ clause: 'd' }] });
    for (const id of [d, e]) await addRecord({ childId: id, identityNumber: null, groups: [{ clause: 'c' }] });
    const results = await Promise.all([
      ctx.goldenRecords.recompute([twice]), ctx.goldenRecords.recompute([twice]),
      ctx.goldenRecords.recompute([d, e]), ctx.goldenRecords.recompute([e, d]), ctx.goldenRecords.recompute([e]),
    ]);
    // One built it, the other found it built.
    expect(results.slice(0, 2).map((r) => r.changed.length).sort()).toEqual([0, 1]);
    expect(results.slice(0, 2).map((r) => r.unchanged.length).sort()).toEqual([0, 1]);
    const counts = await ctx.sql.one<Record<string, string>>(
      `SELECT (SELECT count(*) FROM child WHERE id = ANY($1::text[])) AS children,
              (SELECT count(*) FROM identity_number WHERE child_id = ANY($1::text[])) AS numbers,
              (SELECT count(*) FROM special_circumstance WHERE child_id = ANY($1::text[])) AS memberships,
              (SELECT max(version) FROM child WHERE id = ANY($1::text[])) AS version`, [[twice, d, e]]);
    expect(counts).toEqual({ children: '3', numbers: '1', memberships: '4', version: 1 });
  });

  it('runs the same number of statements for 3 children as for 60, new or changed', async () => {
    const build = async (count: number) => {
      const ids = Array.from({ length: count }, () => newId('child'));
      const records: string[] = [];
      for (const [i, id] of ids.entries()) {
        const number = `0013150${String(50_000 + count * 100 + i).padStart(5, '0')}`;
        records.push(await addRecord({ childId: id, identityNumber: number, groups: [{ clause: 'd' }] }));
        await addRecord({ childId: id, sourceSystem: 'school', identityNumber: number });
      }
      return { ids, records };
    };
    const statements = async (ids: string[]) => {
      const spy = vi.spyOn(pg.Client.prototype, 'query');
      try {
        const result = await ctx.goldenRecords.recompute(ids);
        expect(result.changed).toHaveLength(ids.length);
        return spy.mock.calls.length;
      } finally {
        spy.mockRestore();
      }
    };
    const few = await build(3);
    const many = await build(60);
    const created = [await statements(few.ids), await statements(many.ids)];
    expect(created[1]).toBe(created[0]);
    // BEGIN, locks, children, records, COPY children, numbers and memberships, outbox, COMMIT.
    expect(created[0]).toBeLessThanOrEqual(9);

    // Changed records: a new number and different group evidence for every child.
    for (const { records } of [few, many]) {
      await ctx.sql.query(`UPDATE source_record SET identity_number = '0' || substr(identity_number, 2, 10) || '9', groups = '[{"clause":"a"}]' WHERE id = ANY($1::text[])`, [records]);
    }
    const changed = [await statements(few.ids), await statements(many.ids)];
    expect(changed[1]).toBe(changed[0]);
    // …plus the number history and memberships read, the UPDATE, the membership DELETE, and the old number's history row
    // credited to the school's record, which still gives it (the health record that gave it first gives another now).
    expect(changed[0]).toBeLessThanOrEqual(14);
  });
});
