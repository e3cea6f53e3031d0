import type { SourceRecordInput } from '../../src/domain/source-record-input.js';

let n = 0;
/** A valid normalised source record for tests; override what the test is about. */
export function aRecord(overrides: Partial<SourceRecordInput> = {}): SourceRecordInput {
  n++;
  return {
    sourceSystem: 'health-station',
    externalId: `EXT-${process.pid}-${n}`,
    raw: { resourceType: 'Patient', id: `p${n}` },
    fullName: 'Nguyễn Thị Thu Hà',
    sex: 'FEMALE',
    birthDate: '2015-03-02',
    birthDatePrecision: 'DAY',
    communeCode: '00004',
    communeCodeSet: 'VN-2025',
    identityNumber: '001315000123',
    groups: [],
    ...overrides,
  };
}
