import { describe, expect, it } from 'vitest';
import type { IdentityStatus } from '../../db/entities/child.entity.js';
import { planRecompute, type KnownMembership, type KnownNumber, type LinkedRecord, type LockedChild } from './recompute-plan.js';
import { computeGolden } from './survivorship.js';

const now = new Date('2026-12-03T00:00:00Z');
const rec = (o: Partial<LinkedRecord> & Pick<LinkedRecord, 'id' | 'childId'>): LinkedRecord => ({
  sourceSystem: 'health-station', fullName: 'Nguyễn Thị Thu Hà', familyName: 'Nguyễn', middleName: 'Thị Thu', givenName: 'Hà',
  nameFolded: 'nguyen thi thu ha', sex: 'FEMALE', birthDate: '2015-03-02', birthDatePrecision: 'DAY', birthDateEstimated: false,
  communeCode: '00004', communeCodeSet: 'VN-2025', identityNumber: '001315000123', groups: [], observedAt: new Date('2026-01-01T00:00:00Z'), ...o,
});

/** The row a recompute of `records` would have left, with the given status. */
function rowOf(id: string, records: LinkedRecord[], identityStatus: IdentityStatus, version = 3): LockedChild {
  const g = computeGolden(records, new Date('2026-06-01T00:00:00Z'));
  return {
    id, status: 'ACTIVE', version, identityStatus, provenance: g.provenance, disagreements: g.disagreements,
    fullName: g.fullName, familyName: g.familyName, middleName: g.middleName, givenName: g.givenName, nameFolded: g.nameFolded, sex: g.sex,
    birthDate: g.birthDate, birthDatePrecision: g.birthDatePrecision, birthDateEstimated: g.birthDateEstimated, birthYear: g.birthYear,
    communeCode: g.communeCode, communeCodeSet: g.communeCodeSet, identityNumber: g.identityNumber, groupClauses: g.groupClauses,
  };
}

function plan(opts: { children?: LockedChild[]; records?: LinkedRecord[]; numbers?: KnownNumber[]; memberships?: KnownMembership[]; ids?: string[]; at?: Date }) {
  const group = <T extends { childId: string }>(xs: T[] = []) => {
    const m = new Map<string, T[]>();
    for (const x of xs) m.set(x.childId, [...(m.get(x.childId) ?? []), x]);
    return m;
  };
  const ids = opts.ids ?? [...new Set([...(opts.children ?? []).map((c) => c.id), ...(opts.records ?? []).map((r) => r.childId)])].sort();
  return planRecompute({
    ids, children: new Map((opts.children ?? []).map((c) => [c.id, c])), records: group(opts.records), numbers: group(opts.numbers), memberships: group(opts.memberships),
  }, opts.at ?? now);
}

const given = (childId: string, number: string, sourceRecordId: string | null = 'src_1', status: KnownNumber['status'] = 'GIVEN'): KnownNumber =>
  ({ id: `idn_${childId}_${number}`, childId, number, status, sourceRecordId, verifiedAt: status === 'VERIFIED' ? new Date('2026-02-01T00:00:00Z') : null, findings: [] });
/** The history row of a number the registry verified (a source gave it) at `at`. */
const verified = (childId: string, number: string, at: string, sourceRecordId: string | null = 'src_1'): KnownNumber =>
  ({ ...given(childId, number, sourceRecordId, 'VERIFIED'), verifiedAt: new Date(at) });
/** The history row of a number the registry issued: VERIFIED, written by the issuance (no source record) unless a source gave it once. */
const issued = (childId: string, number: string, sourceRecordId: string | null = null): KnownNumber => given(childId, number, sourceRecordId, 'VERIFIED');

describe('planRecompute', () => {
  it('builds a child without a row from survivorship over its records, and checks it', () => {
    const records = [rec({ id: 'src_1', childId: 'chd_A', groups: [{ clause: 'b', since: '2024-05-01' }] }), rec({ id: 'src_2', childId: 'chd_A', sourceSystem: 'school', communeCode: '00008' })];
    const p = plan({ records });
    const g = computeGolden(records, now);
    expect(p.result).toEqual({ changed: ['chd_A'], unchanged: [], skipped: [] });
    expect(p.created).toEqual([expect.objectContaining({ id: 'chd_A', identityStatus: 'UNVERIFIED', fullName: g.fullName, communeCode: g.communeCode, groupClauses: ['b'], provenance: g.provenance })]);
    expect(p.updated).toEqual([]);
    expect(p.numbers).toEqual([expect.objectContaining({ childId: 'chd_A', number: '001315000123', sourceRecordId: 'src_1', findings: [] })]);
    expect(p.membershipsAdded).toEqual([expect.objectContaining({ childId: 'chd_A', clause: 'b', subType: null, sourceRecordId: 'src_1', sourceSystem: 'health-station', startedOn: '2024-05-01' })]);
    expect(p.reconcile).toEqual(['chd_A']);
  });

  it('skips merged children and ids with neither a row nor a record', () => {
    const merged = { ...rowOf('chd_M', [], 'NO_NUMBER'), status: 'MERGED' as const };
    const p = plan({ ids: ['chd_M', 'chd_U'], children: [merged], records: [rec({ id: 'src_9', childId: 'chd_M' })] });
    expect(p).toMatchObject({ result: { changed: [], unchanged: [], skipped: ['chd_M', 'chd_U'] }, created: [], updated: [], numbers: [], reconcile: [] });
  });

  it('leaves a current child alone, whatever the provenance timestamps say', () => {
    const records = [rec({ id: 'src_1', childId: 'chd_A' })];
    const p = plan({ children: [rowOf('chd_A', records, 'VERIFIED')], records, numbers: [given('chd_A', '001315000123', 'src_1', 'VERIFIED')] });
    expect(p).toMatchObject({ result: { changed: [], unchanged: ['chd_A'] }, updated: [], numbers: [], membershipsAdded: [], membershipsRemoved: [], reconcile: [] });
  });

  it('credits a number still given to a record giving it, once the record it was credited to left or gave another (QA re-check)', () => {
    // src_1 gave the number first and left with a corrected one; src_2, its twin's, still gives it.
    const records = [rec({ id: 'src_2', childId: 'chd_A', identityNumber: '001315000123' })];
    const p = plan({ children: [rowOf('chd_A', records, 'UNVERIFIED')], records, numbers: [given('chd_A', '001315000123', 'src_1')] });
    expect(p.numbersRecredited).toEqual([{ id: 'idn_chd_A_001315000123', sourceRecordId: 'src_2' }]);
    expect(p.numbersSuperseded).toEqual([]);
    // Credited right: nothing to do; a number no record gives is superseded, not credited.
    expect(plan({ children: [rowOf('chd_A', records, 'UNVERIFIED')], records, numbers: [given('chd_A', '001315000123', 'src_2')] }).numbersRecredited).toEqual([]);
    expect(plan({ children: [rowOf('chd_A', records, 'UNVERIFIED')], records, numbers: [given('chd_A', '001315000123', 'src_2'), given('chd_A', '001315000999', 'src_1')] }))
      .toMatchObject({ numbersRecredited: [], numbersSuperseded: ['idn_chd_A_001315000999'] });
  });

  it('sends a checked child to the population database again when its number, name or birth date changes, not its sex alone (QA: a second call)', () => {
    const before = [rec({ id: 'src_1', childId: 'chd_A', sex: 'MALE' })];
    const numbers = [given('chd_A', '001315000123', 'src_1', 'VERIFIED')];
    for (const status of ['VERIFIED', 'MISMATCH', 'NOT_FOUND'] as const) {
      const child = rowOf('chd_A', before, status);
      const sexOnly = plan({ children: [child], records: [{ ...before[0]!, sex: 'FEMALE' }], numbers });
      expect([status, sexOnly.result.changed, sexOnly.reconcile]).toEqual([status, ['chd_A'], []]);
      const renamed = plan({ children: [child], records: [{ ...before[0]!, fullName: 'Nguyễn Thị Thu Hằng', nameFolded: 'nguyen thi thu hang' }], numbers });
      expect([status, renamed.reconcile]).toEqual([status, ['chd_A']]);
    }
  });

  it('stores where the sources disagree on a child built before it was kept, then leaves it alone whatever order jsonb gives the keys', () => {
    const records = [
      rec({ id: 'src_1', childId: 'chd_A', communeCode: '00541', sex: 'MALE' }),
      rec({ id: 'src_2', childId: 'chd_A', sourceSystem: 'school', communeCode: '09634', sex: 'FEMALE', observedAt: new Date('2026-05-01T00:00:00Z') }),
    ];
    const numbers = [given('chd_A', '001315000123', 'src_1', 'VERIFIED')];
    const before = { ...rowOf('chd_A', records, 'VERIFIED'), disagreements: null };
    const p = plan({ children: [before], records, numbers });
    expect(p.result.changed).toEqual(['chd_A']);
    expect(p.updated[0]!.disagreements).toEqual({
      sex: [[{ sourceRecordId: 'src_1', sourceSystem: 'health-station' }], [{ sourceRecordId: 'src_2', sourceSystem: 'school' }]],
      communeCode: [[{ sourceRecordId: 'src_1', sourceSystem: 'health-station' }], [{ sourceRecordId: 'src_2', sourceSystem: 'school' }]],
    });
    // As read back from jsonb: shorter keys first, in objects and in each record.
    const stored = JSON.parse(JSON.stringify({
      sex: p.updated[0]!.disagreements!.sex!.map((side) => side.map((r) => ({ sourceSystem: r.sourceSystem, sourceRecordId: r.sourceRecordId }))),
      communeCode: p.updated[0]!.disagreements!.communeCode,
    }));
    const again = plan({ children: [{ ...rowOf('chd_A', records, 'VERIFIED'), disagreements: stored }], records, numbers });
    expect(again.result).toMatchObject({ changed: [], unchanged: ['chd_A'] });
  });

  // [status before, number before → number now, status after, reconciled]
  const cases: Array<[IdentityStatus, string | null, string | null, IdentityStatus, boolean]> = [
    ['VERIFIED', '001315000123', '001315000123', 'VERIFIED', false],
    ['MISMATCH', '001315000123', '001315000123', 'MISMATCH', false],
    ['VERIFIED', '001315000123', '001315000999', 'UNVERIFIED', true],
    ['NO_NUMBER', null, '001315000123', 'UNVERIFIED', true],
    ['PENDING_ISSUANCE', null, '001315000123', 'UNVERIFIED', true],
    ['PENDING_ISSUANCE', null, null, 'PENDING_ISSUANCE', false],
    ['NO_NUMBER', null, null, 'NO_NUMBER', true],
    ['UNVERIFIED', '001315000123', '001315000123', 'UNVERIFIED', true],
    ['VERIFIED', '001315000123', null, 'NO_NUMBER', true],
  ];
  it.each(cases)('keeps a status reached for the number: %s with %s → %s gives %s', (before, from, to, after, reconciled) => {
    const old = [rec({ id: 'src_1', childId: 'chd_A', identityNumber: from })];
    const records = [rec({ id: 'src_1', childId: 'chd_A', identityNumber: to })];
    const p = plan({ children: [rowOf('chd_A', old, before)], records, numbers: from ? [given('chd_A', from)] : [] });
    const next = p.updated[0] ?? rowOf('chd_A', old, before);
    expect(next.identityStatus).toBe(after);
    expect(p.reconcile.includes('chd_A')).toBe(reconciled);
  });

  it('checks a number again when what the registry is asked about changes, without touching its status', () => {
    const old = [rec({ id: 'src_1', childId: 'chd_A' })];
    const records = [rec({ id: 'src_1', childId: 'chd_A', fullName: 'Nguyễn Thị Thu Hằng' })];
    const p = plan({ children: [rowOf('chd_A', old, 'MISMATCH')], records, numbers: [given('chd_A', '001315000123')] });
    expect(p.updated).toEqual([expect.objectContaining({ fullName: 'Nguyễn Thị Thu Hằng', identityStatus: 'MISMATCH', version: 3 })]);
    expect(p.reconcile).toEqual(['chd_A']);
  });

  it('keeps a number the registry issued while no source gives one', () => {
    const records = [rec({ id: 'src_1', childId: 'chd_A', identityNumber: null })];
    const row = { ...rowOf('chd_A', records, 'ISSUED'), identityNumber: '001315000777' };
    const p = plan({ children: [row], records, numbers: [issued('chd_A', '001315000777')] });
    expect(p).toMatchObject({ result: { unchanged: ['chd_A'] }, updated: [], reconcile: [] });
    // Verified since (a corrected name was checked with it): kept all the same.
    expect(plan({ children: [{ ...row, identityStatus: 'VERIFIED' }], records, numbers: [issued('chd_A', '001315000777')] }))
      .toMatchObject({ result: { unchanged: ['chd_A'] }, updated: [], reconcile: [] });
  });

  it('keeps a number the registry issued that a source gave once and dropped, in whichever row it was first recorded', () => {
    // The register gave …777 and dropped it (SUPERSEDED, its record as the source); the registry then issued it.
    const records = [rec({ id: 'src_1', childId: 'chd_A', sourceSystem: 'justice-register', identityNumber: null })];
    const row = { ...rowOf('chd_A', records, 'ISSUED'), identityNumber: '001315000777' };
    const p = plan({ children: [row], records, numbers: [issued('chd_A', '001315000777', 'src_1')] });
    expect(p).toMatchObject({ result: { unchanged: ['chd_A'] }, updated: [], numbersSuperseded: [], reconcile: [] });

    // A source giving another number still wins; the issued one is the child's again once it is dropped.
    const other = [{ ...records[0]!, identityNumber: '001315000888' }];
    expect(plan({ children: [row], records: other, numbers: [issued('chd_A', '001315000777', 'src_1')] }).updated)
      .toEqual([expect.objectContaining({ identityNumber: '001315000888', identityStatus: 'UNVERIFIED' })]);
    const back = plan({ children: [{ ...row, identityNumber: '001315000888', identityStatus: 'UNVERIFIED' }], records, numbers: [issued('chd_A', '001315000777', 'src_1'), given('chd_A', '001315000888')] });
    expect(back.updated).toEqual([expect.objectContaining({ identityNumber: '001315000777', identityStatus: 'UNVERIFIED' })]);
    expect(back.numbersSuperseded).toEqual(['idn_chd_A_001315000888']);

    // Not the registry's once rejected as not the child's.
    const rejected = { ...issued('chd_A', '001315000777', 'src_1'), status: 'REJECTED' as const };
    expect(plan({ children: [row], records, numbers: [rejected] }).updated).toEqual([expect.objectContaining({ identityNumber: null, identityStatus: 'NO_NUMBER' })]);
  });

  it('keeps a number the registry verified when its source drops it: same number and status, nothing to check', () => {
    // The register gave …123, the registry verified it; the register's next export leaves the field empty.
    const old = [rec({ id: 'src_1', childId: 'chd_A', sourceSystem: 'justice-register' })];
    const records = [{ ...old[0]!, identityNumber: null }];
    const numbers = [verified('chd_A', '001315000123', '2026-02-01T00:00:00Z')];
    const p = plan({ children: [rowOf('chd_A', old, 'VERIFIED')], records, numbers });
    expect(p.updated).toEqual([expect.objectContaining({ identityNumber: '001315000123', identityStatus: 'VERIFIED', version: 3 })]);
    // Only the provenance changed (no record supplies the number now); the history row stays VERIFIED.
    expect(p.updated[0]!.provenance?.identityNumber).toBeUndefined();
    expect(p).toMatchObject({ numbers: [], numbersSuperseded: [], numbersRestored: [], reconcile: [] });

    // Rebuilt again: nothing to write.
    const settled = plan({ children: [{ ...rowOf('chd_A', records, 'VERIFIED'), identityNumber: '001315000123' }], records, numbers });
    expect(settled).toMatchObject({ result: { unchanged: ['chd_A'] }, updated: [], reconcile: [] });

    // Whatever the registry said since about the number (with other data), that status stays with it.
    for (const status of ['MISMATCH', 'CONFLICT', 'NOT_FOUND'] as const) {
      expect(plan({ children: [rowOf('chd_A', old, status)], records, numbers }))
        .toMatchObject({ updated: [expect.objectContaining({ identityNumber: '001315000123', identityStatus: status })], reconcile: [] });
    }
  });

  it('keeps the most recently verified number while no source gives one; a source giving another still wins', () => {
    const records = [rec({ id: 'src_1', childId: 'chd_A', identityNumber: null })];
    const numbers = [
      verified('chd_A', '001315000123', '2026-02-01T00:00:00Z'),
      verified('chd_A', '001315000456', '2026-05-01T00:00:00Z'), // corrected in the source and verified later
      given('chd_A', '001315000789', 'src_1', 'SUPERSEDED'),
      given('chd_A', '001315000999', 'src_1', 'REJECTED'),
    ];
    const withNumber = (n: string, status: IdentityStatus) => ({ ...rowOf('chd_A', records, status), identityNumber: n });
    expect(plan({ children: [withNumber('001315000456', 'VERIFIED')], records, numbers }))
      .toMatchObject({ result: { unchanged: ['chd_A'] }, updated: [], reconcile: [] });
    // In whatever order the history is read.
    expect(plan({ children: [withNumber('001315000456', 'VERIFIED')], records, numbers: [...numbers].reverse() }))
      .toMatchObject({ result: { unchanged: ['chd_A'] }, updated: [], reconcile: [] });

    // A source gives another number: it is the child's, unverified and checked; the verified rows stay as they are.
    const other = [{ ...records[0]!, identityNumber: '001315000888' }];
    const p = plan({ children: [withNumber('001315000456', 'VERIFIED')], records: other, numbers });
    expect(p.updated).toEqual([expect.objectContaining({ identityNumber: '001315000888', identityStatus: 'UNVERIFIED' })]);
    expect(p).toMatchObject({ numbersSuperseded: [], reconcile: ['chd_A'] });
    // It was not confirmed (NOT_FOUND) and the source drops it: the verified number is the child's again, checked again.
    const back = plan({ children: [withNumber('001315000888', 'NOT_FOUND')], records, numbers: [...numbers, given('chd_A', '001315000888')] });
    expect(back.updated).toEqual([expect.objectContaining({ identityNumber: '001315000456', identityStatus: 'UNVERIFIED' })]);
    expect(back).toMatchObject({ numbersSuperseded: ['idn_chd_A_001315000888'], reconcile: ['chd_A'] });

    // Only numbers the registry confirmed are kept: a number only a source gave is not.
    const unconfirmed = plan({ children: [withNumber('001315000789', 'NOT_FOUND')], records, numbers: [given('chd_A', '001315000789')] });
    expect(unconfirmed.updated).toEqual([expect.objectContaining({ identityNumber: null, identityStatus: 'NO_NUMBER' })]);
    expect(unconfirmed).toMatchObject({ numbersSuperseded: ['idn_chd_A_001315000789'], reconcile: ['chd_A'] });
  });

  it('checks a child\'s numbers again when its sex or birth year changes, and writes the findings only when they change (QA: a number saying male, 2016, on a child now female, 2013, kept no finding)', () => {
    // 0 0 1 2 16 …: registered in Hà Nội, male, born 2016; the child was built from a record that agreed.
    const before = [rec({ id: 'src_1', childId: 'chd_A', identityNumber: '001216000111', sex: 'MALE', birthDate: '2016-01-01' })];
    const now = [rec({ id: 'src_1', childId: 'chd_A', identityNumber: '001216000111', sex: 'FEMALE', birthDate: '2013-09-09' })];
    const p = plan({ children: [rowOf('chd_A', before, 'UNVERIFIED')], records: now, numbers: [given('chd_A', '001216000111')] });
    expect(p.numbersRechecked).toHaveLength(1);
    expect(p.numbersRechecked[0]!.id).toBe('idn_chd_A_001216000111');
    expect(p.numbersRechecked[0]!.findings.length).toBeGreaterThan(0);
    // Stored so, nothing more to write; the child as it agrees with the number again, the findings are cleared.
    const stored = { ...given('chd_A', '001216000111'), findings: p.numbersRechecked[0]!.findings };
    expect(plan({ children: [rowOf('chd_A', now, 'UNVERIFIED')], records: now, numbers: [stored] }).numbersRechecked).toEqual([]);
    expect(plan({ children: [rowOf('chd_A', now, 'UNVERIFIED')], records: before, numbers: [stored] }).numbersRechecked).toEqual([{ id: 'idn_chd_A_001216000111', findings: [] }]);
  });

  it('supersedes a number no linked record gives any more, and makes it current again when one does', () => {
    // QA: a birth-register record's number corrected from …978 to …979.
    const old = [rec({ id: 'src_1', childId: 'chd_A', identityNumber: '012213802978' })];
    const records = [rec({ id: 'src_1', childId: 'chd_A', identityNumber: '012213802979' })];
    const p = plan({ children: [rowOf('chd_A', old, 'UNVERIFIED')], records, numbers: [given('chd_A', '012213802978')] });
    expect(p.numbers.map((n) => n.number)).toEqual(['012213802979']);
    expect(p.numbersSuperseded).toEqual(['idn_chd_A_012213802978']);
    expect(p.numbersRestored).toEqual([]);
    expect(p.updated[0]).toMatchObject({ identityNumber: '012213802979', identityStatus: 'UNVERIFIED', version: 3 });

    // The correction is undone: …978 is current again, …979 is superseded in turn.
    const back = plan({
      children: [rowOf('chd_A', records, 'UNVERIFIED')], records: old,
      numbers: [given('chd_A', '012213802978', 'src_1', 'SUPERSEDED'), given('chd_A', '012213802979')],
    });
    expect(back).toMatchObject({ numbers: [], numbersSuperseded: ['idn_chd_A_012213802979'], numbersRestored: ['idn_chd_A_012213802978'] });

    // Once current again, nothing more to do: the plan is stable.
    const settled = plan({
      children: [rowOf('chd_A', old, 'UNVERIFIED')], records: old,
      numbers: [given('chd_A', '012213802978'), given('chd_A', '012213802979', 'src_1', 'SUPERSEDED')],
    });
    expect(settled).toMatchObject({ numbers: [], numbersSuperseded: [], numbersRestored: [], updated: [], result: { unchanged: ['chd_A'] } });
  });

  it('supersedes a dropped number, a number of another source still counts, and registry rows stay as they are', () => {
    const records = [
      rec({ id: 'src_1', childId: 'chd_A', identityNumber: null }),
      rec({ id: 'src_2', childId: 'chd_A', sourceSystem: 'school', identityNumber: '001315000456' }),
    ];
    const numbers = [
      given('chd_A', '001315000123', 'src_1'), // dropped by its record
      given('chd_A', '001315000456', 'src_1'), // first given by src_1, still given by src_2
      given('chd_A', '001315000789', 'src_1', 'VERIFIED'), // verified: the registry's word, kept
      issued('chd_A', '001315000777'), // issued by the registry
      given('chd_A', '001315000555', 'src_1', 'REJECTED'),
      given('chd_A', '001315000444', null, 'GIVEN'), // recorded without a source record
    ];
    const p = plan({ children: [rowOf('chd_A', records, 'UNVERIFIED')], records, numbers });
    expect(p).toMatchObject({ numbers: [], numbersSuperseded: ['idn_chd_A_001315000123'], numbersRestored: [], result: { changed: ['chd_A'] } });
    // The version counts the history's change even when the golden values did not change.
    expect(p.updated).toEqual([expect.objectContaining({ id: 'chd_A', version: 3 })]);
  });

  it('adds history rows for new numbers only, and mirrors group evidence (steward memberships stay)', () => {
    const old = [rec({ id: 'src_1', childId: 'chd_A' })];
    const records = [
      rec({ id: 'src_1', childId: 'chd_A', groups: [{ clause: 'd', subType: 'NHIN' }] }),
      rec({ id: 'src_2', childId: 'chd_A', sourceSystem: 'school', identityNumber: '001215000456' }),
    ];
    const memberships: KnownMembership[] = [
      { id: 'grp_1', childId: 'chd_A', clause: 'b', subType: null, sourceRecordId: 'src_1', startedOn: null, endedOn: null, startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
      { id: 'grp_2', childId: 'chd_A', clause: 'a', subType: null, sourceRecordId: null, startedOn: null, endedOn: null, startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
    ];
    const p = plan({ children: [rowOf('chd_A', old, 'VERIFIED')], records, numbers: [given('chd_A', '001315000123')], memberships });
    expect(p.numbers.map((n) => [n.number, n.sourceRecordId, n.findings.map((f) => f.code)])).toEqual([['001215000456', 'src_2', ['SEX_DIGIT_MISMATCH']]]);
    expect(p.membershipsRemoved).toEqual(['grp_1']);
    expect(p.membershipsAdded.map((m) => [m.clause, m.subType, m.sourceRecordId])).toEqual([['d', 'NHIN', 'src_1']]);
    expect(p.result.changed).toEqual(['chd_A']);
    expect(p.updated[0]).toMatchObject({ version: 3, groupClauses: ['d'] });
  });

  it('ends a group at the date a record ends it: the child is no longer in it, and every membership of it says when it ended', () => {
    const adopted = 'src_3';
    const before = [
      rec({ id: 'src_1', childId: 'chd_A', sourceSystem: 'justice-register', groups: [{ clause: 'b', since: '2015-03-02' }], birthDateEstimated: true }),
      rec({ id: 'src_2', childId: 'chd_A', groups: [{ clause: 'b' }, { clause: 'd', subType: 'NHIN' }] }),
    ];
    const stored: KnownMembership[] = [
      { id: 'grp_1', childId: 'chd_A', clause: 'b', subType: null, sourceRecordId: 'src_1', startedOn: '2015-03-02', endedOn: null, startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
      { id: 'grp_2', childId: 'chd_A', clause: 'b', subType: null, sourceRecordId: 'src_2', startedOn: null, endedOn: null, startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
      { id: 'grp_3', childId: 'chd_A', clause: 'd', subType: 'NHIN', sourceRecordId: 'src_2', startedOn: null, endedOn: null, startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
    ];
    // The adoption register's row: the circumstance before adoption, ended on the registration date.
    const records = [...before, rec({ id: adopted, childId: 'chd_A', sourceSystem: 'justice-register', groups: [{ clause: 'b', since: null, until: '2021-08-27' }] })];
    const p = plan({ children: [rowOf('chd_A', before, 'VERIFIED')], records, numbers: [given('chd_A', '001315000123')], memberships: stored });
    expect(p.updated[0]).toMatchObject({ groupClauses: ['d'] });
    expect(p.membershipsAdded.map((m) => [m.clause, m.sourceRecordId, m.startedOn, m.endedOn])).toEqual([['b', adopted, null, '2021-08-27']]);
    expect(p.membershipsRedated).toEqual([
      { id: 'grp_1', startedOn: '2015-03-02', endedOn: '2021-08-27', startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
      { id: 'grp_2', startedOn: null, endedOn: '2021-08-27', startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
    ]);
    expect(p.membershipsRemoved).toEqual([]);

    // Recomputed again with those rows stored: nothing to do.
    const now = plan({
      children: [{ ...rowOf('chd_A', records, 'VERIFIED'), version: 4 }], records, numbers: [given('chd_A', '001315000123')],
      memberships: [
        ...stored.map((m) => (m.clause === 'b' ? { ...m, endedOn: '2021-08-27' } : m)),
        { id: 'grp_4', childId: 'chd_A', clause: 'b', subType: null, sourceRecordId: adopted, startedOn: null, endedOn: '2021-08-27', startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
      ],
    });
    expect(now).toMatchObject({ result: { unchanged: ['chd_A'] }, membershipsAdded: [], membershipsRedated: [], membershipsRemoved: [] });
  });

  it('keeps a group current when evidence of it started after the end, and judges numbers of a child found abandoned as such after adoption', () => {
    const records = [
      rec({ id: 'src_1', childId: 'chd_A', identityNumber: null, groups: [{ clause: 'b', since: '2016-01-10' }, { clause: 'a', since: '2016-01-10' }] }),
      rec({ id: 'src_2', childId: 'chd_A', sourceSystem: 'justice-register', identityNumber: null, groups: [{ clause: 'b', until: '2019-05-01' }] }),
      // Abandoned again, by the adoptive family: a new finding after the adoption.
      rec({ id: 'src_3', childId: 'chd_A', sourceSystem: 'facility-inspection', identityNumber: '001215000456', groups: [{ clause: 'b', since: '2023-02-01' }] }),
    ];
    const p = plan({ records });
    expect(p.created[0]).toMatchObject({ groupClauses: ['a', 'b'] });
    expect(p.membershipsAdded.map((m) => [m.clause, m.sourceRecordId, m.startedOn, m.endedOn])).toEqual([
      ['b', 'src_1', '2016-01-10', '2019-05-01'],
      ['a', 'src_1', '2016-01-10', null],
      ['b', 'src_2', null, '2019-05-01'],
      ['b', 'src_3', '2023-02-01', null],
    ]);
    // The golden birth date is the date found (2015) and the number's sex digit says male: neither counts
    // against a child found abandoned.
    expect(p.numbers.map((n) => n.findings)).toEqual([[]]);

    const adoptedOnly = plan({ records: records.slice(0, 2) });
    expect(adoptedOnly.created[0]).toMatchObject({ groupClauses: ['a'] });
    expect(plan({ records: [{ ...records[0]!, identityNumber: '001215000456' }, records[1]!] }).numbers.map((n) => n.findings)).toEqual([[]]);
  });

  it('ends, not removes, evidence its record stops giving with whenGone: end, kept as history; given again, a new spell (QA)', () => {
    const out = rec({ id: 'src_1', childId: 'chd_A', sourceSystem: 'school', groups: [{ clause: 'h', subType: 'THOI_HOC', whenGone: 'end' }, { clause: 'd' }] });
    const first = plan({ records: [out] });
    expect(first.membershipsAdded.map((m) => [m.clause, m.endsWhenGone])).toEqual([['h', true], ['d', false]]);
    const stored: KnownMembership[] = first.membershipsAdded.map((m) => ({
      id: m.id, childId: 'chd_A', clause: m.clause, subType: m.subType, sourceRecordId: m.sourceRecordId, startedOn: null, endedOn: null,
      startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: m.endsWhenGone, withdrawnOn: null,
    }));
    const [h, d] = [stored[0]!.id, stored[1]!.id];
    // Back at school (the source changed the record on 2026-09-05, 06:00 in Hà Nội): the spell ends that day; the
    // disability the school no longer reports (a correction, by default) is removed.
    const back = rec({ id: 'src_1', childId: 'chd_A', sourceSystem: 'school', groups: [], observedAt: new Date('2026-09-04T23:00:00Z') });
    const child = { ...rowOf('chd_A', [out], 'UNVERIFIED'), groupClauses: ['d', 'h'] as LockedChild['groupClauses'] };
    const p = plan({ children: [child], records: [back], memberships: stored });
    expect(p.membershipsRedated).toEqual([
      { id: h, startedOn: null, startedOnPrecision: null, endedOn: '2026-09-05', endedOnPrecision: null, endsWhenGone: true, withdrawnOn: '2026-09-05' },
    ]);
    expect(p.membershipsRemoved).toEqual([d]);
    expect(p.updated[0]).toMatchObject({ groupClauses: [] });
    const ended: KnownMembership = { ...stored[0]!, endedOn: '2026-09-05', withdrawnOn: '2026-09-05' };
    // Stored so, it stays as it is; the pupil dropping out again is a new spell, a row of its own.
    expect(plan({ children: [{ ...child, groupClauses: [], version: 4 }], records: [back], memberships: [ended] }))
      .toMatchObject({ membershipsAdded: [], membershipsRedated: [], membershipsRemoved: [] });
    const again = plan({ children: [{ ...child, groupClauses: [], version: 4 }], records: [{ ...out, groups: [{ clause: 'h', subType: 'THOI_HOC', whenGone: 'end' }] }], memberships: [ended] });
    expect(again.membershipsAdded.map((m) => [m.clause, m.endedOn])).toEqual([['h', null]]);
    expect(again).toMatchObject({ membershipsRedated: [], membershipsRemoved: [] });
    // The record moved to another child: the past spell goes with it (QA re-check: deleted), moved by that child's rebuild.
    expect(plan({ children: [{ ...child, groupClauses: [], version: 4 }], records: [], memberships: [ended] })).toMatchObject({ membershipsRemoved: [], membershipsMoved: [] });
    const other = plan({ children: [{ ...rowOf('chd_B', [{ ...back, childId: 'chd_B' }], 'UNVERIFIED'), groupClauses: [] }], records: [{ ...back, childId: 'chd_B' }],
      memberships: [{ ...ended, childId: 'chd_B', storedChildId: 'chd_A' }] });
    expect(other).toMatchObject({ membershipsMoved: [{ id: ended.id, childId: 'chd_B' }], membershipsRemoved: [], membershipsAdded: [] });
    // Merged away, the child keeps no membership, but leaves the past spell for its record's child to move.
    expect(plan({ children: [{ ...child, status: 'MERGED', groupClauses: ['h'] }], records: [], memberships: [ended] })).toMatchObject({ membershipsRemoved: [] });
    // Given again after a spell that ended at 16 (no date of its own): no second spell ending before it started (QA re-check).
    const sixteen = rec({ ...out, birthDate: '2010-11-01', groups: [{ clause: 'h', subType: 'THOI_HOC', whenGone: 'end' }] });
    const atSixteen: KnownMembership = { ...stored[0]!, endedOn: '2026-11-01', withdrawnOn: '2026-11-01' };
    expect(plan({ children: [{ ...rowOf('chd_A', [sixteen], 'UNVERIFIED'), groupClauses: [] }], records: [sixteen], memberships: [atSixteen] }).membershipsAdded).toEqual([]);
  });

  describe('at 16 (a child is a person under 16)', () => {
    // `now` is 2026-12-03 07:00 in Hà Nội.
    const inGroups = (birthDate: string, birthDatePrecision: LinkedRecord['birthDatePrecision']) => [
      rec({ id: 'src_1', childId: 'chd_A', birthDate, birthDatePrecision, groups: [{ clause: 'd', subType: 'VAN_DONG', since: '2014-01-01' }, { clause: 'b' }] }),
    ];

    it.each([
      ['DAY', '2010-12-03', '2026-12-03'],
      ['MONTH', '2010-11-01', '2026-11-30'],
      ['YEAR', '2009-01-01', '2025-12-31'],
    ] as const)('ends every group on the 16th birthday once passed (%s precision: born %s, 16 on %s)', (precision, birthDate, sixteen) => {
      const records = inGroups(birthDate, precision);
      const stored: KnownMembership[] = [
        { id: 'grp_1', childId: 'chd_A', clause: 'd', subType: 'VAN_DONG', sourceRecordId: 'src_1', startedOn: '2014-01-01', endedOn: null, startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
        { id: 'grp_2', childId: 'chd_A', clause: 'b', subType: null, sourceRecordId: 'src_1', startedOn: null, endedOn: null, startedOnPrecision: null, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
      ];
      // The row as built before the birthday, when nothing has changed since.
      const child = { ...rowOf('chd_A', records, 'VERIFIED'), groupClauses: ['b', 'd'] as LockedChild['groupClauses'] };
      const p = plan({ children: [child], records, numbers: [given('chd_A', '001315000123', 'src_1', 'VERIFIED')], memberships: stored });
      expect(p.updated).toEqual([expect.objectContaining({ id: 'chd_A', groupClauses: [], version: 3 })]);
      // History, with the day it ended; no registry call for it.
      expect(p.membershipsRedated).toEqual([
        { id: 'grp_1', startedOn: '2014-01-01', startedOnPrecision: null, endedOn: sixteen, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
        { id: 'grp_2', startedOn: null, startedOnPrecision: null, endedOn: sixteen, endedOnPrecision: null, endsWhenGone: false, withdrawnOn: null },
      ]);
      expect(p).toMatchObject({ membershipsAdded: [], membershipsRemoved: [], reconcile: [] });

      // Built again with those rows stored: nothing to do.
      const again = plan({
        children: [{ ...child, groupClauses: [], version: 4 }], records, numbers: [given('chd_A', '001315000123', 'src_1', 'VERIFIED')],
        memberships: stored.map((m) => ({ ...m, endedOn: sixteen })),
      });
      expect(again).toMatchObject({ result: { unchanged: ['chd_A'] }, updated: [], membershipsRedated: [] });
    });

    it.each([
      ['DAY', '2010-12-04'],
      // Born in December 2010 or in 2010, maybe on the 31st: not 16 for sure before 31 December 2026.
      ['MONTH', '2010-12-01'],
      ['YEAR', '2010-01-01'],
    ] as const)('keeps the groups of a child who may still be under 16 (%s precision: born %s)', (precision, birthDate) => {
      const p = plan({ records: inGroups(birthDate, precision) });
      expect(p.created[0]).toMatchObject({ groupClauses: ['b', 'd'] });
      expect(p.membershipsAdded.map((m) => m.endedOn)).toEqual([null, null]);
    });

    it('keeps an earlier end, cuts a later one to the 16th birthday, and ends evidence that starts after it the day it starts', () => {
      const records = [
        rec({ id: 'src_1', childId: 'chd_A', birthDate: '2009-06-10', groups: [{ clause: 'b', since: '2009-06-10' }, { clause: 'a', since: '2020-01-01' }] }),
        rec({ id: 'src_2', childId: 'chd_A', sourceSystem: 'justice-register', birthDate: '2009-06-10', groups: [{ clause: 'b', until: '2018-03-01' }, { clause: 'a', until: '2026-01-15' }] }),
        rec({ id: 'src_3', childId: 'chd_A', sourceSystem: 'facility-inspection', birthDate: '2009-06-10', groups: [{ clause: 'k', since: '2026-02-01' }] }),
      ];
      const p = plan({ records });
      expect(p.created[0]).toMatchObject({ groupClauses: [] });
      expect(p.membershipsAdded.map((m) => [m.clause, m.sourceRecordId, m.startedOn, m.endedOn])).toEqual([
        ['b', 'src_1', '2009-06-10', '2018-03-01'],
        ['a', 'src_1', '2020-01-01', '2025-06-10'],
        ['b', 'src_2', null, '2018-03-01'],
        ['a', 'src_2', null, '2025-06-10'],
        ['k', 'src_3', '2026-02-01', '2026-02-01'],
      ]);
    });

    it('judges the age by the Hà Nội date of the recompute, and keeps the groups of a child with no birth date', () => {
      const records = inGroups('2010-12-04', 'DAY');
      expect(plan({ records, at: new Date('2026-12-03T16:59:59Z') }).created[0]).toMatchObject({ groupClauses: ['b', 'd'] });
      expect(plan({ records, at: new Date('2026-12-03T17:00:00Z') }).created[0]).toMatchObject({ groupClauses: [] });
      const undated = [{ ...records[0]!, birthDate: null, birthDatePrecision: null }];
      expect(plan({ records: undated, at: new Date('2099-01-01T00:00:00Z') }).created[0]).toMatchObject({ groupClauses: ['b', 'd'] });
    });
  });
});
