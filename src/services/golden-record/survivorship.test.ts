import { describe, expect, it } from 'vitest';
import { ConnectorCatalog } from '../../connectors/definition/connector-catalog.js';
import { birthDateDigest, nameDigest } from '../identity/rejected-values.js';
import { foldName } from '../../domain/vietnamese-name.js';
import { computeGolden, disagreementsOf, SOURCE_TRUST, STATES_BIRTH_DATE_ESTIMATE, type SurvivorshipInput } from './survivorship.js';

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

  it('names an adopted child as the adoption registers, over the birth name records observed before it gave (QA)', () => {
    const name = (id: string, sourceSystem: string, fullName: string, observed: string, adoptedOn?: string) =>
      rec({ id, sourceSystem, fullName, nameFolded: foldName(fullName), observedAt: new Date(observed), adoptedOn });
    const birth = name('src_B', 'justice-register', 'Nguyễn Thị Bình An', '2025-03-01T00:00:00+07:00');
    const health = name('src_H', 'health-station', 'Nguyễn Thị Bình An', '2025-06-01T00:00:00+07:00');
    const adoption = name('src_A', 'justice-register', 'Trần Thị An Nhiên', '2026-05-20T00:00:00+07:00', '2026-05-20');
    expect(computeGolden([birth, health], now).fullName).toBe('Nguyễn Thị Bình An');
    const g = computeGolden([birth, health, adoption], now);
    expect(g).toMatchObject({ fullName: 'Trần Thị An Nhiên', provenance: { fullName: { sourceRecordId: 'src_A' } } });
    // Other sources copy the name and may lag, whatever their dates: a school still writing the birth name, a health record
    // touched after the adoption or undated, do not outvote it (QA re-check); nor do two agreeing on another spelling.
    expect(computeGolden([birth, health, adoption, name('src_S', 'school', 'Nguyễn Thị Bình An', '2026-09-05T00:00:00+07:00')], now).fullName).toBe('Trần Thị An Nhiên');
    expect(computeGolden([birth, { ...health, observedAt: new Date('2026-07-01T00:00:00+07:00') }, name('src_S', 'school', 'Nguyễn Thị Bình An', '2026-09-05T00:00:00+07:00'), adoption], now).fullName)
      .toBe('Trần Thị An Nhiên');
    expect(computeGolden([birth, health, adoption, name('src_S', 'school', 'Trần An Nhiên', '2026-09-05T00:00:00+07:00'),
      name('src_H2', 'health-station', 'Trần An Nhiên', '2026-10-05T00:00:00+07:00')], now).fullName).toBe('Trần Thị An Nhiên');
    // A later civil-status record (a name changed at the register) does vote.
    expect(computeGolden([birth, health, adoption, name('src_J2', 'justice-register', 'Trần Thị Nhiên', '2026-11-01T00:00:00+07:00')], now).fullName)
      .toBe('Trần Thị Nhiên');
    // The latest adoption counts (a child adopted twice).
    const again = name('src_A2', 'justice-register', 'Lê An Nhiên', '2026-10-01T00:00:00+07:00', '2026-10-01');
    expect(computeGolden([birth, health, adoption, again], now).fullName).toBe('Lê An Nhiên');
  });
  it('takes the name most sources agree on, letter for letter, over a more trusted source\'s other spelling (QA: a health record\'s typo won)', () => {
    const typo = rec({ id: 'src_H', sourceSystem: 'health-station', fullName: 'Trần Minh Tiế', nameFolded: 'tran minh tie' });
    const school = rec({ id: 'src_S', sourceSystem: 'school', fullName: 'Trần Minh Tiến', nameFolded: 'tran minh tien' });
    const register = rec({ id: 'src_J', sourceSystem: 'justice-register', fullName: 'TRAN MINH TIEN', nameFolded: 'tran minh tien' });
    const g = computeGolden([typo, school, register], now);
    expect(g.fullName).toBe('Trần Minh Tiến');
    expect(g.provenance.fullName?.sourceRecordId).toBe('src_S');
    // Two records of one source are one voice: its repeated typo does not outvote the other two sources.
    const again = rec({ ...typo, id: 'src_H2' });
    expect(computeGolden([typo, again, school, register], now).fullName).toBe('Trần Minh Tiến');
    // Two sources disagreeing: diacritics, then trust, as before.
    expect(computeGolden([typo, register], now).fullName).toBe('Trần Minh Tiế');
  });

  it('ranks last, for the number chosen, a name or birth date the population database refused for it (QA: a typo stayed the name)', () => {
    const number = '001215000123';
    const typo = rec({ id: 'src_H', sourceSystem: 'health-station', fullName: 'Nguyễn Vnă An', nameFolded: 'nguyen vna an', identityNumber: number, birthDate: '2012-12-08', birthDatePrecision: 'DAY' });
    const school = rec({ id: 'src_S', sourceSystem: 'school', fullName: 'Nguyễn Văn An', nameFolded: 'nguyen van an', identityNumber: number, birthDate: '2012-08-12', birthDatePrecision: 'DAY' });
    expect(computeGolden([typo, school], now)).toMatchObject({ fullName: 'Nguyễn Vnă An', birthDate: '2012-12-08' });
    const refusedName = new Map([[number, { names: new Map([[nameDigest('NGUYEN VNA AN'), 1]]), birthDates: new Map<string, number>() }]]);
    expect(computeGolden([typo, school], now, refusedName)).toMatchObject({ fullName: 'Nguyễn Văn An', birthDate: '2012-12-08' });
    const refusedBoth = new Map([[number, { names: new Map([[nameDigest('Nguyễn Vnă An'), 1]]), birthDates: new Map([[birthDateDigest('2012-12-08', 'DAY'), 1]]) }]]);
    const g = computeGolden([typo, school], now, refusedBoth);
    expect(g).toMatchObject({ fullName: 'Nguyễn Văn An', birthDate: '2012-08-12' });
    expect(g.provenance.birthDate?.sourceRecordId).toBe('src_S');
    // Refused for another number: no bearing. Every candidate refused: the one refused last stays (not asked again).
    expect(computeGolden([typo, school], now, new Map([['001215000999', refusedBoth.get(number)!]]))).toMatchObject({ fullName: 'Nguyễn Vnă An' });
    const all = new Map([[number, { names: new Map([[nameDigest('Nguyễn Vnă An'), 7], [nameDigest('Nguyễn Văn An'), 9]]), birthDates: new Map<string, number>() }]]);
    expect(computeGolden([typo, school], now, all)).toMatchObject({ fullName: 'Nguyễn Văn An' });
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

  describe('birth date of an abandoned child (the date found, registered as an estimate)', () => {
    const day = (id: string, sourceSystem: string, birthDate: string, birthDateEstimated: boolean, observedAt = '2026-01-01') =>
      rec({ id, sourceSystem, birthDate, birthDatePrecision: 'DAY', birthDateEstimated, observedAt: new Date(observedAt) });

    it('stays estimated when a source that cannot mark an estimate (school) gives the same date, credited to the register', () => {
      // QA's child: every source that can say so marks 2018-04-14 estimated; the school API has no such field.
      const records = [
        day('src_H', 'health-station', '2018-04-14', true),
        day('src_JB', 'justice-register', '2018-04-14', true, '2018-05-02'),
        day('src_JA', 'justice-register', '2018-04-14', true, '2022-09-10'),
        day('src_F', 'facility-inspection', '2018-04-14', true),
        day('src_S', 'school', '2018-04-14', false, '2026-09-01'),
      ];
      const g = computeGolden(records, now);
      expect(g).toMatchObject({ birthDate: '2018-04-14', birthDatePrecision: 'DAY', birthDateEstimated: true, birthYear: 2018 });
      // Of the two register records, the later one.
      expect(g.provenance.birthDate).toMatchObject({ sourceRecordId: 'src_JA', sourceSystem: 'justice-register' });
      expect(computeGolden([...records].reverse(), now)).toEqual(g);
    });

    it('takes the register\'s date over a less trusted source\'s other date, even one it calls exact', () => {
      const g = computeGolden([day('src_H', 'health-station', '2018-04-10', false), day('src_J', 'justice-register', '2018-04-14', true)], now);
      expect(g).toMatchObject({ birthDate: '2018-04-14', birthDateEstimated: true });
      expect(g.provenance.birthDate?.sourceRecordId).toBe('src_J');
    });

    it('is exact when the most trusted source giving the date says so, whatever less trusted ones mark', () => {
      const g = computeGolden([day('src_J', 'justice-register', '2018-04-14', false), day('src_F', 'facility-inspection', '2018-04-14', true)], now);
      expect(g).toMatchObject({ birthDate: '2018-04-14', birthDateEstimated: false });
      expect(g.provenance.birthDate?.sourceRecordId).toBe('src_J');
    });

    it('is estimated when sources of equal trust disagree about the same date, credited to the one marking it', () => {
      const records = [day('src_J1', 'justice-register', '2018-04-14', false, '2026-06-01'), day('src_J2', 'justice-register', '2018-04-14', true, '2020-01-01')];
      const g = computeGolden(records, now);
      expect(g).toMatchObject({ birthDate: '2018-04-14', birthDateEstimated: true });
      expect(g.provenance.birthDate?.sourceRecordId).toBe('src_J2');
    });

    it('counts only sources that can mark an estimate: a less trusted one that does makes the school\'s date estimated', () => {
      const g = computeGolden([day('src_S', 'school', '2018-04-14', false), day('src_F', 'facility-inspection', '2018-04-14', true)], now);
      expect(g).toMatchObject({ birthDate: '2018-04-14', birthDateEstimated: true });
      // The date is credited to the most trusted source giving it.
      expect(g.provenance.birthDate?.sourceRecordId).toBe('src_S');
      // A date only the school gives is not marked: nothing says it is an estimate.
      expect(computeGolden([day('src_S', 'school', '2018-04-14', false)], now).birthDateEstimated).toBe(false);
    });

    it('judges the flag at the chosen precision only, and prefers an exact date between sources of equal trust', () => {
      const yearOnly = rec({ id: 'src_F', sourceSystem: 'facility-inspection', birthDate: '2018-01-01', birthDatePrecision: 'YEAR', birthDateEstimated: true });
      expect(computeGolden([day('src_S', 'school', '2018-04-14', false), yearOnly], now)).toMatchObject({ birthDate: '2018-04-14', birthDateEstimated: false });
      const g = computeGolden([day('src_J1', 'justice-register', '2018-04-14', true, '2026-06-01'), day('src_J2', 'justice-register', '2018-04-20', false, '2020-01-01')], now);
      expect(g).toMatchObject({ birthDate: '2018-04-20', birthDateEstimated: false });
    });

    it('lists exactly the sources whose connectors map birthDateEstimated', () => {
      const mapping = new Set<string>();
      for (const c of ConnectorCatalog.load().list()) {
        if (c.definition.records.some((r) => 'fields' in r && r.fields && 'birthDateEstimated' in r.fields)) mapping.add(c.definition.sourceSystem);
      }
      expect([...STATES_BIRTH_DATE_ESTIMATE].sort()).toEqual([...mapping].sort());
      for (const system of STATES_BIRTH_DATE_ESTIMATE) expect(SOURCE_TRUST[system]).toBeGreaterThan(0);
    });
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

describe('where the sources disagree', () => {
  const ref = (r: SurvivorshipInput) => ({ sourceRecordId: r.id, sourceSystem: r.sourceSystem });
  const name = (id: string, sourceSystem: string, fullName: string) => rec({ id, sourceSystem, fullName, nameFolded: foldName(fullName) });
  const born = (id: string, sourceSystem: string, birthDate: string, birthDatePrecision: 'DAY' | 'MONTH' | 'YEAR' = 'DAY') =>
    rec({ id, sourceSystem, birthDate, birthDatePrecision });

  it('finds a commune two records give as different 2025 codes, whichever the newer record (QA: the school\'s newer commune won silently)', () => {
    const health = rec({ id: 'src_H', sourceSystem: 'health-station', communeCode: '00541', communeCodeSet: 'VN-2025', observedAt: new Date('2026-01-01') });
    const school = rec({ id: 'src_S', sourceSystem: 'school', communeCode: '09634', communeCodeSet: 'VN-2025', observedAt: new Date('2026-09-01') });
    const g = computeGolden([school, health], now);
    expect(g.communeCode).toBe('09634');
    expect(g.disagreements).toEqual({ communeCode: [[ref(health)], [ref(school)]] });
  });

  it('does not compare a legacy commune code with a 2025 one (no reliable mapping), nor count records giving none', () => {
    const legacy = rec({ id: 'src_1', communeCode: '00541', communeCodeSet: 'VN-PRE2025' });
    const current = rec({ id: 'src_2', sourceSystem: 'school', communeCode: '09634', communeCodeSet: 'VN-2025' });
    expect(computeGolden([legacy, current, rec({ id: 'src_3' })], now).disagreements).toBeNull();
  });

  it('finds names of different letters (Da / Gia), not case, diacritics, spacing or word order of one spelling', () => {
    const school = name('src_S', 'school', 'Ngô Da Trung');
    const register = name('src_J', 'justice-register', 'Ngô Gia Trung');
    expect(computeGolden([school, register], now).disagreements).toEqual({ fullName: [[ref(register)], [ref(school)]] });
    expect(disagreementsOf([name('src_1', 'justice-register', 'NGO GIA TRUNG'), name('src_2', 'school', 'Ngô  Gia   Trung'), register])).toBeNull();
    // A record stored without its folded name is folded as ingest folds it.
    expect(disagreementsOf([rec({ id: 'src_1', fullName: 'NGÔ GIA TRUNG' }), register])).toBeNull();
    // The same words in another order (the given name first) are a difference of form (QA re-check).
    expect(disagreementsOf([name('src_1', 'school', 'Trung Ngô Gia'), register])).toBeNull();
    expect(disagreementsOf([name('src_1', 'school', 'Trung Ngô'), register])).toEqual({ fullName: [[{ sourceRecordId: 'src_1', sourceSystem: 'school' }], [ref(register)]] });
  });

  it('finds birth dates that cannot be the same day at the coarser precision: 2015 agrees with 2015-10-15, not with 2016-10-15', () => {
    const facility = born('src_F', 'facility-inspection', '2015-01-01', 'YEAR');
    const register = born('src_J', 'justice-register', '2016-10-15');
    expect(computeGolden([register, facility], now).disagreements).toEqual({ birthDate: [[ref(facility)], [ref(register)]] });
    expect(disagreementsOf([facility, born('src_J', 'justice-register', '2015-10-15'), born('src_S', 'school', '2015-10', 'MONTH')])).toBeNull();
    expect(disagreementsOf([born('src_1', 'school', '2015-10-01', 'MONTH'), born('src_2', 'health-station', '2015-11-02')])).toEqual({
      birthDate: [[{ sourceRecordId: 'src_1', sourceSystem: 'school' }], [{ sourceRecordId: 'src_2', sourceSystem: 'health-station' }]],
    });
  });

  it('puts a date known only to the year on every side it fits', () => {
    const year = born('src_1', 'facility-inspection', '2015-01-01', 'YEAR');
    const oct = born('src_2', 'justice-register', '2015-10-15');
    const mar = born('src_3', 'school', '2015-03-01');
    expect(disagreementsOf([year, oct, mar])).toEqual({ birthDate: [[ref(year), ref(oct)], [ref(year), ref(mar)]] });
  });

  it('finds sex and identity numbers that differ, lists every record on its side, and nothing for one record or records that agree', () => {
    const a = rec({ id: 'src_1', sourceSystem: 'justice-register', sex: 'MALE', identityNumber: '001215000001' });
    const b = rec({ id: 'src_2', sourceSystem: 'school', sex: 'FEMALE', identityNumber: '001215000002' });
    const c = rec({ id: 'src_3', sourceSystem: 'health-station', sex: 'MALE', identityNumber: '001215000002' });
    expect(computeGolden([c, b, a], now).disagreements).toEqual({
      sex: [[ref(a), ref(c)], [ref(b)]],
      identityNumber: [[ref(a)], [ref(b), ref(c)]],
    });
    expect(computeGolden([a], now).disagreements).toBeNull();
    expect(computeGolden([a, { ...a, id: 'src_9', sourceSystem: 'school' }], now).disagreements).toBeNull();
  });
});
