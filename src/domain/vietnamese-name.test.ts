import { describe, expect, it } from 'vitest';
import { foldName, joinName, normalizeName, placeToneMarks, splitFullName } from './vietnamese-name.js';

describe('normalizeName', () => {
  it('returns NFC for NFD input', () => {
    const nfd = 'Nguyễn Thị Thu Hà'.normalize('NFD');
    expect(nfd).not.toBe('Nguyễn Thị Thu Hà');
    expect(normalizeName(nfd)).toBe('Nguyễn Thị Thu Hà');
    expect(normalizeName(nfd).normalize('NFC')).toBe(normalizeName(nfd));
  });

  it('collapses and trims whitespace, including non-breaking and tab', () => {
    expect(normalizeName('  Trần\u00a0\u00a0Văn \t  Nam ')).toBe('Trần Văn Nam');
  });

  it('reads zero-width characters (U+200B–U+200D, U+2060) as spaces, so the name splits and folds as written (QA)', () => {
    expect(normalizeName('TRẦN\u200bVĂN AN')).toBe('Trần Văn An');
    expect(normalizeName('CAO THỊ TÂM\u200b')).toBe('Cao Thị Tâm');
    expect(normalizeName('\u2060Lê\u200c\u200dHoa')).toBe('Lê Hoa');
    expect(normalizeName('Trần\u00adVăn\u180eAn')).toBe('Trần Văn An');
    expect(foldName('Trần\u00adVăn An')).toBe('tran van an');
    expect(foldName('Trần\u200bVăn An')).toBe('tran van an');
    expect(foldName('cao thi tam\u200b')).toBe('cao thi tam');
    expect(splitFullName('Trần\u200bVăn An')).toEqual({ familyName: 'Trần', middleName: 'Văn', givenName: 'An' });
    expect(joinName({ familyName: 'Trần\u200b', givenName: 'An' })).toBe('Trần An');
  });

  it('title-cases registry-style upper case, Vietnamese-aware', () => {
    expect(normalizeName('NGUYỄN THỊ THU HÀ')).toBe('Nguyễn Thị Thu Hà');
    expect(normalizeName('đỗ đức đạt')).toBe('Đỗ Đức Đạt');
    expect(normalizeName('NGUYEN THI THU HA')).toBe('Nguyen Thi Thu Ha');
    expect(normalizeName("h'hen niê")).toBe("H'Hen Niê");
  });

  it('maps Ð (U+00D0) and ð (U+00F0) to Đ / đ', () => {
    expect(normalizeName('\u00D0ặng Văn \u00F0ức')).toBe('Đặng Văn Đức');
    expect(normalizeName('\u00D0ặng')).toBe('\u0110ặng');
  });

  it('puts tone marks in the traditional place of the reference data (Hòa, Thủy, Úy, Khỏe)', () => {
    expect(normalizeName('Lê Thị Hoà')).toBe('Lê Thị Hòa');
    expect(normalizeName('Thuỷ')).toBe('Thủy');
    expect(normalizeName('Uý')).toBe('Úy');
    expect(normalizeName('khoẻ')).toBe('Khỏe');
    expect(normalizeName('Nguyễn Văn Thoả')).toBe('Nguyễn Văn Thỏa');
    expect(normalizeName('HOÀ')).toBe('Hòa');
    expect(normalizeName('Hoà'.normalize('NFD'))).toBe('Hòa');
  });

  it('leaves correct placements alone, including qu/gi and closed syllables', () => {
    for (const name of ['Quý', 'Quỳnh', 'Huỳnh', 'Hoàng', 'Toàn', 'Hoài', 'Nguyễn', 'Giữa', 'Già', 'Gìn', 'Thuyền', 'Người', 'Khuỷu', 'Hòa', 'Thủy', 'Đoàn']) {
      expect(normalizeName(name)).toBe(name);
    }
  });

  it('repairs placements that are wrong in every style', () => {
    expect(normalizeName('Hùynh')).toBe('Huỳnh');
    expect(normalizeName('Hòang')).toBe('Hoàng');
    expect(normalizeName('Qúy')).toBe('Quý');
    expect(normalizeName('Ngùyên')).toBe('Nguyền');
    expect(normalizeName('Thủơng')).toBe('Thuởng');
  });

  it('does not touch names that are not Vietnamese syllables', () => {
    expect(normalizeName('JOHN SMITH')).toBe('John Smith');
    expect(normalizeName('')).toBe('');
    expect(normalizeName('   ')).toBe('');
  });
});

describe('placeToneMarks', () => {
  it('can produce the modern style too', () => {
    expect(placeToneMarks('Hòa Thủy Úy Khỏe', 'modern')).toBe('Hoà Thuỷ Uý Khoẻ');
    expect(placeToneMarks('Hoà Thuỷ Uý Khoẻ', 'traditional')).toBe('Hòa Thủy Úy Khỏe');
    expect(placeToneMarks('Quý Hoàng', 'modern')).toBe('Quý Hoàng');
  });
});

describe('foldName', () => {
  it('folds NFC, NFD and registry upper case alike', () => {
    const expected = 'nguyen thi thu ha';
    expect(foldName('Nguyễn Thị Thu Hà')).toBe(expected);
    expect(foldName('Nguyễn Thị Thu Hà'.normalize('NFD'))).toBe(expected);
    expect(foldName('NGUYEN THI THU HA')).toBe(expected);
    expect(foldName('  NGUYỄN   THỊ THU  HÀ ')).toBe(expected);
  });

  it('maps every Đ variant to d', () => {
    expect(foldName('Đặng Đức')).toBe('dang duc');
    expect(foldName('\u00D0ặng \u00F0ức')).toBe('dang duc');
    expect(foldName('đ')).toBe('d');
  });

  it('makes tone placement irrelevant', () => {
    expect(foldName('Hoà')).toBe(foldName('Hòa'));
    expect(foldName('Thuỷ')).toBe(foldName('Thủy'));
  });
});

describe('splitFullName / joinName', () => {
  it('splits family, middle, given', () => {
    expect(splitFullName('Nguyễn Thị Thu Hà')).toEqual({ familyName: 'Nguyễn', middleName: 'Thị Thu', givenName: 'Hà' });
    expect(splitFullName('Trần Văn Nam')).toEqual({ familyName: 'Trần', middleName: 'Văn', givenName: 'Nam' });
    expect(splitFullName('  Lê   Minh ')).toEqual({ familyName: 'Lê', middleName: null, givenName: 'Minh' });
  });

  it('treats one syllable as a given name and empty as nothing', () => {
    expect(splitFullName('Bống')).toEqual({ familyName: null, middleName: null, givenName: 'Bống' });
    expect(splitFullName('   ')).toEqual({ familyName: null, middleName: null, givenName: null });
  });

  it('round-trips with joinName', () => {
    for (const full of ['Nguyễn Thị Thu Hà', 'Lê Minh', 'Bống', 'Tôn Nữ Thị Ngọc Lan']) {
      expect(joinName(splitFullName(full))).toBe(full);
    }
    expect(joinName({ familyName: 'Phạm', middleName: null, givenName: ' An ' })).toBe('Phạm An');
    expect(joinName({})).toBe('');
  });
});
