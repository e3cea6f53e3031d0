import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SourceRecordInput } from '../../domain/source-record-input.js';
import { normalizeIdentityNumber } from '../../domain/identity-number.js';
import { foldName, joinName, normalizeName, splitFullName } from '../../domain/vietnamese-name.js';
import { canonicalJson, normalizeSourceRecord } from './source-record.normalizer.js';

/** The normaliser as it was before it wrote its fields out: stored content hashes must not change. */
function before(input: SourceRecordInput) {
  const clean = (s: string | null | undefined) => (s && s.trim() ? normalizeName(s) : null);
  let fullName = clean(input.fullName);
  let familyName = clean(input.familyName);
  let middleName = clean(input.middleName);
  let givenName = clean(input.givenName);
  if (fullName && !familyName && !givenName) ({ familyName, middleName, givenName } = splitFullName(fullName));
  else if (!fullName && (familyName || givenName)) fullName = joinName({ familyName, middleName, givenName }) || null;
  const identityNumber = input.identityNumber ? normalizeIdentityNumber(input.identityNumber) || null : null;
  const normalized = {
    ...input, fullName, familyName: familyName || null, middleName: middleName || null, givenName: givenName || null,
    nameFolded: fullName ? foldName(fullName) : null, identityNumber, groups: input.groups ?? [],
  };
  return { ...normalized, contentHash: createHash('sha256').update(canonicalJson(normalized)).digest('base64url') };
}

const RECORDS: SourceRecordInput[] = [
  { sourceSystem: 'justice-register', externalId: 'KS-1', raw: { a: 'b' }, fullName: 'NGUYỄN THỊ THU HÀ', sex: 'FEMALE', birthDate: '2015-03-02', birthDatePrecision: 'DAY', birthDateEstimated: false, communeCode: '00004', communeCodeSet: 'VN-2025', identityNumber: '001.315.000.123', groups: [] },
  { sourceSystem: 'school', externalId: 'S-1', raw: { x: 1 }, familyName: 'Lê', givenName: 'Bình', fatherName: 'Lê Văn C', sourceUpdatedAt: '2026-11-01T00:00:00+07:00', groups: [{ clause: 'd', subType: 'NHIN' }] },
  { sourceSystem: 'health-station', externalId: 'H-1', raw: {} },
  { sourceSystem: 'facility-inspection', externalId: 'F-1', raw: { n: null }, fullName: '  ', sex: null, birthDate: null, identityNumber: '', carerName: 'Chùa X' },
];

describe('normalizeSourceRecord', () => {
  it('gives the same values and content hash as before', () => {
    for (const r of RECORDS) {
      const now = normalizeSourceRecord(r);
      const old = before(r);
      expect(now.contentHash).toBe(old.contentHash);
      expect(JSON.parse(JSON.stringify(now))).toEqual(JSON.parse(JSON.stringify(old)));
    }
  });

  it('keeps a content hash the caller computed instead of hashing again', () => {
    expect(normalizeSourceRecord(RECORDS[0]!, 'given').contentHash).toBe('given');
  });
});
