import { describe, expect, it } from 'vitest';
import { computeGolden, type SurvivorshipInput } from './survivorship.js';

const base: SurvivorshipInput = {
  id: 'src_A', sourceSystem: 'school', fullName: null, familyName: null, middleName: null, givenName: null, nameFolded: null,
  sex: null, birthDate: null, birthDatePrecision: null, birthDateEstimated: false, communeCode: null, communeCodeSet: null,
  identityNumber: null, groups: [], observedAt: new Date('2026-01-01T00:00:00Z'),
};
const rec = (o: Partial<SurvivorshipInput>): SurvivorshipInput => ({ ...base, ...o });
const now = new Date('2026-11-25T00:00:00Z');

describe('survivorship', () => {
  it('prefers a spelling with diacritics over registry upper-case, whatever the trust', () => {
    const g = computeGolden([
      rec({ id: 'src_J', sourceSystem: 'justice-register', fullName: 'NGUYEN THI THU HA', familyName: 'NGUYEN', givenName: 'HA' }),
      rec({ id: 'src_S', sourceSystem: 'school', fullName: 'Nguyễn Thị Thu Hà', familyName: 'Nguyễn', middleName: 'Thị Thu', givenName: 'Hà' }),
    ], now);
    expect(g.fullName).toBe('Nguyễn Thị Thu Hà');
    expect(g.provenance.fullName).toEqual({ sourceRecordId: 'src_S', sourceSystem: 'school', chosenAt: now.toISOString() });
  });

  it('takes the most precise birth date, then the most trusted source', () => {
    const g = computeGolden([
      rec({ id: 'src_F', sourceSystem: 'facility-inspection', birthDate: '2014-01-01', birthDatePrecision: 'YEAR' }),
      rec({ id: 'src_S', sourceSystem: 'school', birthDate: '2014-05-03', birthDatePrecision: 'DAY' }),
      rec({ id: 'src_H', sourceSystem: 'health-station', birthDate: '2014-03-05', birthDatePrecision: 'DAY' }),
    ], now);
    expect(g).toMatchObject({ birthDate: '2014-03-05', birthYear: 2014, birthDatePrecision: 'DAY' });
    expect(g.provenance.birthDate?.sourceRecordId).toBe('src_H');
  });

  it('takes the most recently observed commune (children move)', () => {
    const g = computeGolden([
      rec({ id: 'src_1', sourceSystem: 'justice-register', communeCode: '00004', communeCodeSet: 'VN-2025', observedAt: new Date('2020-01-01') }),
      rec({ id: 'src_2', sourceSystem: 'school', communeCode: '00008', communeCodeSet: 'VN-2025', observedAt: new Date('2026-09-01') }),
    ], now);
    expect(g.communeCode).toBe('00008');
  });

  it('takes the identity number most sources agree on, and unions group evidence', () => {
    const g = computeGolden([
      rec({ id: 'src_1', sourceSystem: 'justice-register', identityNumber: '001215000001', groups: [{ clause: 'b' }] }),
      rec({ id: 'src_2', sourceSystem: 'school', identityNumber: '001215000002', groups: [{ clause: 'd' }] }),
      rec({ id: 'src_3', sourceSystem: 'health-station', identityNumber: '001215000002', groups: [{ clause: 'd' }] }),
    ], now);
    expect(g).toMatchObject({ identityNumber: '001215000002', identityStatus: 'UNVERIFIED', groupClauses: ['b', 'd'] });
  });

  it('is order-independent and says NO_NUMBER when no source gives one', () => {
    const records = [rec({ id: 'src_1', sex: 'MALE' }), rec({ id: 'src_2', sourceSystem: 'health-station', sex: 'FEMALE' })];
    expect(computeGolden(records, now)).toEqual(computeGolden([...records].reverse(), now));
    expect(computeGolden(records, now)).toMatchObject({ sex: 'FEMALE', identityStatus: 'NO_NUMBER', identityNumber: null });
  });
});
