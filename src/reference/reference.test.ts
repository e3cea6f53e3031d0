import { describe, expect, it } from 'vitest';
import {
  HANOI_PROVINCE_CODE,
  communeByCode,
  communes2025,
  communesOfProvince,
  resolveCommuneByName,
} from './admin-units.js';
import { idProvinceCodes, idProvinceMerges, idProvinceName, isKnownIdProvinceCode } from './id-province-codes.js';
import {
  NAME_SAMPLE_SIZES,
  familyNameFrequencies,
  familyNameShare,
  givenNameFrequencies,
  givenNameRarity,
  middleNameFrequencies,
} from './vn-names.js';

describe('admin units 2025', () => {
  it('loads all 3,321 units with the documented counts', () => {
    const all = communes2025();
    expect(all).toHaveLength(3321);
    const byType = (t: string) => all.filter((u) => u.communeType === t).length;
    expect([byType('xã'), byType('phường'), byType('đặc khu')]).toEqual([2621, 687, 13]);
    expect(new Set(all.map((u) => u.provinceCode)).size).toBe(34);
    expect(new Set(all.map((u) => u.communeCode)).size).toBe(3321);
  });

  it('has Hà Nội with 126 units (51 phường, 75 xã)', () => {
    const hanoi = communesOfProvince(HANOI_PROVINCE_CODE);
    expect(hanoi).toHaveLength(126);
    expect(hanoi.filter((u) => u.communeType === 'phường')).toHaveLength(51);
    expect(hanoi.every((u) => u.provinceName === 'Thành phố Hà Nội')).toBe(true);
    expect(communesOfProvince('99')).toEqual([]);
  });

  it('finds a unit by code', () => {
    expect(communeByCode('00004')).toMatchObject({ communeName: 'Phường Ba Đình', communeType: 'phường', provinceCode: '01' });
    expect(communeByCode('00070')?.communeName).toBe('Phường Hoàn Kiếm');
    expect(communeByCode('99999')).toBeNull();
  });

  it('resolves names regardless of case, diacritics, tone placement and type word', () => {
    for (const q of ['Phường Ba Đình', 'ba dinh', 'P. Ba Đình', 'P.Ba Dinh', 'PHƯỜNG BA ĐÌNH', 'phuong  ba dinh']) {
      expect(resolveCommuneByName(q, '01')?.communeCode, q).toBe('00004');
    }
    expect(resolveCommuneByName('Xa Thanh Tri', '01')?.communeName).toBe('Xã Thanh Trì');
    expect(resolveCommuneByName('Ba Đình'.normalize('NFD'), '01')?.communeCode).toBe('00004');
    // Nationwide "Ba Đình" is ambiguous (Xã Ba Đình, Thanh Hóa); the type word settles it.
    expect(resolveCommuneByName('Ba Đình')).toBeNull();
    expect(resolveCommuneByName('P. Ba Đình')?.communeCode).toBe('00004');
    expect(resolveCommuneByName('Xã Ba Đình')?.communeCode).toBe('16171');
    expect(resolveCommuneByName('Xã Ba Dinh')?.communeCode).toBe('21499'); // Quảng Ngãi
    expect(resolveCommuneByName('xa ba dinh')).toBeNull(); // lost diacritics: either of the two
  });

  it('ignores tone-mark placement in names with oa/uy', () => {
    const withHoa = communes2025().find((u) => / Hòa/.test(u.communeName) && u.provinceCode === '01');
    expect(withHoa).toBeDefined();
    const modern = withHoa!.communeName.replace('Hòa', 'Hoà');
    expect(resolveCommuneByName(modern, '01')).toBe(withHoa);
  });

  it('returns null for unknown, ambiguous, or type-contradicting names', () => {
    expect(resolveCommuneByName('Không Tồn Tại', '01')).toBeNull();
    expect(resolveCommuneByName('')).toBeNull();
    expect(resolveCommuneByName('Xã Ba Đình', '01')).toBeNull();
    const folded = new Map<string, number>();
    for (const u of communes2025()) {
      const key = u.communeName.split(' ').slice(u.communeType.split(' ').length).join(' ');
      folded.set(key, (folded.get(key) ?? 0) + 1);
    }
    const duplicate = [...folded].find(([, n]) => n > 1);
    expect(duplicate).toBeDefined();
    expect(resolveCommuneByName(duplicate![0])).toBeNull();
  });
});

describe('ID province codes', () => {
  it('has the 63 legacy codes', () => {
    expect(idProvinceCodes()).toHaveLength(63);
    expect(idProvinceName('001')).toBe('Hà Nội');
    expect(idProvinceName('079')).toBe('Hồ Chí Minh');
    expect(isKnownIdProvinceCode('096')).toBe(true);
    expect(isKnownIdProvinceCode('003')).toBe(false);
    expect(isKnownIdProvinceCode('1')).toBe(false);
  });

  it('joins each code to one 2025 province', () => {
    const merges = idProvinceMerges();
    expect(merges).toHaveLength(63);
    expect(new Set(merges.map((m) => m.provinceCode2025)).size).toBe(34);
    expect(merges.find((m) => m.idCode === '002')?.provinceCode2025).toBe('08');
  });
});

describe('Vietnamese name frequencies', () => {
  it('loads the tables', () => {
    expect(familyNameFrequencies()).toHaveLength(211);
    expect(middleNameFrequencies('FEMALE')).toHaveLength(300);
    expect(givenNameFrequencies('MALE')).toHaveLength(300);
    expect(familyNameFrequencies()[0]).toEqual({ name: 'Nguyễn', weight: 24.6272 });
    expect(NAME_SAMPLE_SIZES.FEMALE).toBe(20_166);
  });

  it('gives shares, 0 when unknown', () => {
    expect(familyNameShare('Nguyễn')).toBeCloseTo(0.246272, 6);
    expect(familyNameShare('NGUYỄN')).toBeCloseTo(0.246272, 6);
    expect(familyNameShare('Smith')).toBe(0);
    expect(givenNameRarity('Anh', 'FEMALE')).toBeGreaterThan(givenNameRarity('Thoại', 'FEMALE'));
    expect(givenNameRarity('Zzz')).toBe(0);
  });

  it('sums spellings that fold alike when the query has no diacritics', () => {
    const thuy = ['Thủy', 'Thúy', 'Thùy', 'Thụy'].reduce((s, n) => s + givenNameRarity(n, 'FEMALE'), 0);
    expect(givenNameRarity('THUY', 'FEMALE')).toBeCloseTo(thuy, 6);
    expect(givenNameRarity('Thuỷ', 'FEMALE')).toBeCloseTo(givenNameRarity('Thủy', 'FEMALE'), 9);
  });

  it('weights both sexes by sample size when sex is not given', () => {
    const f = givenNameRarity('Anh', 'FEMALE');
    const m = givenNameRarity('Anh', 'MALE');
    expect(givenNameRarity('Anh')).toBeCloseTo((f * 20_166 + m * 20_330) / 40_496, 9);
  });
});
