import { describe, expect, it } from 'vitest';
import { isInstitutionName, normalizeName } from '../../domain/vietnamese-name.js';
import { communeByCode } from '../../reference/admin-units.js';
import { generateSourceRecords } from '../../sample/source-views.js';
import { compileCommuneParser } from './parse-commune.js';
import { compileDateParser } from './parse-date.js';
import { compileDateTimeParser } from './parse-datetime.js';
import { ParseFailure } from './parse-failure.js';
import { parseBoolean } from './parse-boolean.js';
import { parseIdentityNumber } from './parse-identity-number.js';
import { parseInteger } from './parse-integer.js';
import { parseName } from './parse-name.js';
import { parseSex } from './parse-sex.js';
import { parseText } from './parse-text.js';
import { CommuneValue, FlaggedValue, IsoDate } from './parsed-values.js';
import { describeValue } from './value-kind.js';

describe('parseText', () => {
  it('trims, stringifies numbers and booleans, and treats blank as absent', () => {
    expect(parseText('  Lớp 3A1 ')).toBe('Lớp 3A1');
    expect(parseText(12)).toBe('12');
    expect(parseText(true)).toBe('true');
    expect(parseText('   ')).toBeUndefined();
    expect(parseText(null)).toBeUndefined();
    expect(parseText(undefined)).toBeUndefined();
  });
  it('gives a date cell as its ISO date, flagged (Excel may have made it of other text: QA), and a parsed date as its ISO form', () => {
    const cell = parseText(new Date(Date.UTC(2022, 0, 1)));
    expect(cell).toBeInstanceOf(FlaggedValue);
    expect(cell).toMatchObject({ value: '2022-01-01', flag: 'TEXT_FROM_DATE_CELL', message: expect.stringContaining('format the column as Text') });
    expect(parseText(new Date(Date.UTC(2015, 2, 4, 10, 30)))).toMatchObject({ value: '2015-03-04T10:30:00.000Z', flag: 'TEXT_FROM_DATE_CELL' });
    expect(parseText(new IsoDate('2015-03-01', 'MONTH'))).toBe('2015-03-01');
  });
  it('refuses a whole number too large to have kept its digits, which as an id would be another record\'s (QA re-check)', () => {
    expect(parseText(JSON.parse('12345678901234567890'))).toEqual(new ParseFailure('INVALID_TEXT',
      'expected text; got a whole number too large to hold exactly (over 9,007,199,254,740,991): the source must send it as text'));
    expect(parseText(9_007_199_254_740_991)).toBe('9007199254740991');
    expect(parseText(0.5)).toBe('0.5');
  });
  it('refuses lists and objects', () => {
    expect(parseText({ a: 1 })).toEqual(new ParseFailure('INVALID_TEXT', 'expected text; got an object'));
    expect(parseText([1])).toBeInstanceOf(ParseFailure);
  });
});

describe('parseName', () => {
  it('gives the canonical name for any case, NFC or NFD, and does not split it', () => {
    expect(parseName('NGUYỄN THỊ THU HÀ')).toBe('Nguyễn Thị Thu Hà');
    expect(parseName('nguyễn   thị  thu hà '.normalize('NFD'))).toBe('Nguyễn Thị Thu Hà');
    expect(parseName('Lê Thuỷ')).toBe('Lê Thủy');
    expect(parseName('NGUYEN VAN AN')).toBe('Nguyen Van An');
  });
  it('equals normalizeName on every name variant the sources write, and on odd spacing', () => {
    const names: string[] = ['\tNGUYỄN\u00a0VĂN  AN ', 'Ðỗ  Ðức', 'trần\u2003thị', ' lê\nan ', 'H\'Hen Niê', 'y-moan ênuôl'];
    for (const { record } of generateSourceRecords({ seed: 8, count: 1500 })) {
      for (const v of Object.values(record.raw)) if (typeof v === 'string' && /\p{L}/u.test(v)) names.push(v);
    }
    for (const name of names) if (!isInstitutionName(name)) expect(parseName(name) ?? '').toBe(normalizeName(name));
  });
  it('reads what a register writes when the name is not known as no name, as a blank cell (QA)', () => {
    for (const s of ['Không rõ', 'KHÔNG RÕ', 'Chưa rõ họ tên', 'KXĐ', '-', 'N/A', 'khong ro']) expect([s, parseName(s)]).toEqual([s, undefined]);
    expect(parseName('KHỔNG RÕ')).toBe('Khổng Rõ');
    expect(parseName('KHỔNG THỊ LAN')).toBe('Khổng Thị Lan');
  });
  it('keeps a care facility\'s or another institution\'s name as written, not cased like a person\'s (QA)', () => {
    expect(parseName('Trung tâm Bảo trợ xã hội  số 1 ')).toBe('Trung tâm Bảo trợ xã hội số 1');
    expect(parseName('MÁI ẤM Hoa Hồng')).toBe('MÁI ẤM Hoa Hồng');
    expect(parseName('Chùa Bồ Đề')).toBe('Chùa Bồ Đề');
    expect(parseName('Uỷ ban nhân dân phường Bồ Đề')).toBe('Uỷ ban nhân dân phường Bồ Đề');
    expect(parseName('trung tâm  nuôi dưỡng'.normalize('NFD'))).toBe('trung tâm nuôi dưỡng');
    // Also as registers write them, without diacritics (QA re-check).
    expect(parseName('TRUNG TAM NUOI DUONG TRE EM')).toBe('TRUNG TAM NUOI DUONG TRE EM');
    expect(parseName('CHUA PHUC TAM')).toBe('CHUA PHUC TAM');
    expect(parseName('NIEM PHAT DUONG AN LAC')).toBe('NIEM PHAT DUONG AN LAC');
    // A person's name, whatever its first letters: cased (Mai is a family name: "Mai Âm" is not "Mái ấm").
    expect(parseName('TRUNG VĂN TÂM')).toBe('Trung Văn Tâm');
    expect(parseName('hồ thị chùa')).toBe('Hồ Thị Chùa');
    expect(parseName('MAI AM HOA')).toBe('Mai Am Hoa');
    expect(parseName('CHU VAN AN')).toBe('Chu Van An');
  });

  it('treats blank as absent and refuses non-text', () => {
    expect(parseName('  ')).toBeUndefined();
    expect(parseName(42)).toMatchObject({ code: 'INVALID_NAME' });
  });
});

describe('parseSex', () => {
  it.each([
    ['Nam', 'MALE'],
    ['nam', 'MALE'],
    ['NAM', 'MALE'],
    ['Nữ', 'FEMALE'],
    ['NỮ', 'FEMALE'],
    ['Nữ'.normalize('NFD'), 'FEMALE'],
    ['nu', 'FEMALE'],
    ['NU', 'FEMALE'],
    ['Nu', 'FEMALE'],
    ['1', 'MALE'],
    ['2', 'FEMALE'],
    [1, 'MALE'],
    [2, 'FEMALE'],
    ['M', 'MALE'],
    ['f', 'FEMALE'],
    ['male', 'MALE'],
    ['Female', 'FEMALE'],
    [' nam ', 'MALE'],
  ])('%j → %s', (input, sex) => {
    expect(parseSex(input)).toBe(sex);
  });
  it('refuses anything else with INVALID_SEX', () => {
    for (const v of ['Khác', '3', 3, 'x', true]) expect(parseSex(v)).toMatchObject({ code: 'INVALID_SEX' });
    expect(parseSex('')).toBeUndefined();
  });
});

describe('parseIdentityNumber', () => {
  it('removes spaces, dots and dashes and nothing else', () => {
    expect(parseIdentityNumber('001 215.000-123')).toBe('001215000123');
    expect(parseIdentityNumber('00121500012')).toBe('00121500012');
    expect(parseIdentityNumber('0012150001X3')).toBe('0012150001X3');
    // Not digits in groups, or a decimal number: kept as given, not made into another number (QA).
    expect(parseIdentityNumber('1.32271E+11')).toBe('1.32271E+11');
    expect(parseIdentityNumber(' 001322711590.0 ')).toBe('001322711590.0');
    expect(parseIdentityNumber('001322711590,00')).toBe('001322711590,00');
    expect(parseIdentityNumber("'001322711590")).toBe("'001322711590");
    expect(parseIdentityNumber('001.322.711.000')).toBe('001322711000');
    expect(parseIdentityNumber('\u00a0001 322 711 590.')).toBe('001322711590');
    expect(parseIdentityNumber(' - ')).toBeUndefined();
  });
  it('takes a numeric cell as its digits without putting a dropped zero back, and flags one shorter than 12 digits (QA: a child split in two)', () => {
    const short = parseIdentityNumber(1215000123);
    expect(short).toBeInstanceOf(FlaggedValue);
    expect(short).toMatchObject({ value: '1215000123', flag: 'IDENTITY_NUMBER_FROM_NUMBER' });
    expect((short as FlaggedValue).message).toMatch(/^read as a number of 10 digits, not as text: a number loses its leading zeros/);
    expect((short as FlaggedValue).message).not.toContain('1215000123');
    expect(parseIdentityNumber(101215000123)).toBe('101215000123');
    expect(parseIdentityNumber(1.5)).toMatchObject({ code: 'INVALID_IDENTITY_NUMBER' });
  });
  it('reads full-width digits as digits and zero-width characters as separators (QA: kept as given, a number that matched nothing)', () => {
    expect(parseIdentityNumber('００１２１８００００２７')).toBe('001218000027');
    expect(parseIdentityNumber('001218000021\u200b')).toBe('001218000021');
    expect(parseIdentityNumber('\u2060001\u200c218\u200d000021')).toBe('001218000021');
    expect(parseIdentityNumber('００１X')).toBe('001X');
  });
});

describe('parseInteger', () => {
  it('reads whole numbers and text holding one', () => {
    expect(parseInteger(12)).toBe(12);
    expect(parseInteger(' 12 ')).toBe(12);
    expect(parseInteger('-3')).toBe(-3);
    expect(parseInteger('')).toBeUndefined();
  });
  it('refuses fractions and words with INVALID_INTEGER', () => {
    expect(parseInteger(1.5)).toEqual(new ParseFailure('INVALID_INTEGER', 'expected a whole number; got a number with a fraction'));
    expect(parseInteger('12a')).toMatchObject({ code: 'INVALID_INTEGER' });
    expect(parseInteger('1.0')).toMatchObject({ code: 'INVALID_INTEGER' });
  });
  it('reads a count followed by the word for what it counts, as reports write it', () => {
    expect(parseInteger('40 trẻ')).toBe(40);
    expect(parseInteger('40trẻ')).toBe(40);
    expect(parseInteger('40 trẻ.')).toBe(40);
    expect(parseInteger('40 TRẺ EM')).toBe(40);
    expect(parseInteger(' 35  cháu ')).toBe(35);
    expect(parseInteger('35 chau')).toBe(35);
    expect(parseInteger('12 học sinh')).toBe(12);
    expect(parseInteger('60 chỗ')).toBe(60);
    expect(parseInteger('20 giường')).toBe(20);
  });
  it('refuses a count qualified by its words', () => {
    for (const v of ['40 trở lên', 'khoảng 40', '3 tuổi', '40-50 trẻ', '-40 trẻ', 'trẻ 40', '40 trẻ em nhỏ', '1.200 trẻ', '40 trẻ..']) {
      expect(parseInteger(v), v).toMatchObject({ code: 'INVALID_INTEGER', message: expect.stringMatching(/^expected a whole number, alone or followed by what it counts \(40 trẻ, 35 cháu\); got /) });
    }
  });
});

describe('parseBoolean', () => {
  it.each([
    [true, true],
    ['true', true],
    ['Có', true],
    ['CÓ'.normalize('NFD'), true],
    ['co', true],
    ['x', true],
    ['X', true],
    ['1', true],
    [1, true],
    [false, false],
    ['false', false],
    ['Không', false],
    ['khong', false],
    ['0', false],
    [0, false],
  ])('%j → %s', (input, b) => {
    expect(parseBoolean(input)).toBe(b);
  });
  it('refuses other words with INVALID_BOOLEAN and treats blank as absent', () => {
    expect(parseBoolean('Không áp dụng')).toMatchObject({ code: 'INVALID_BOOLEAN' });
    expect(parseBoolean(2)).toMatchObject({ code: 'INVALID_BOOLEAN' });
    expect(parseBoolean(' ')).toBeUndefined();
  });
});

describe('parseCommune', () => {
  const parse = compileCommuneParser();
  it('takes a 2025 code as VN-2025', () => {
    expect(parse('00004')).toEqual(new CommuneValue('00004', 'VN-2025'));
    // A numeric cell or a CSV that lost the leading zeros.
    expect(parse(4)).toEqual(new CommuneValue('00004', 'VN-2025'));
    expect(parse('4')).toEqual(new CommuneValue('00004', 'VN-2025'));
  });
  it('keeps a code in no list as given, without calling it pre-2025: an unknown code, flagged as such', () => {
    for (const given of ['99999', '00001']) {
      const v = parse(given) as CommuneValue;
      expect(v).toMatchObject({ code: given, codeSet: null, flag: 'COMMUNE_CODE_UNKNOWN' });
      expect(v.unresolved).toMatch(/not in the 2025 list/);
      expect(v.unresolved).not.toContain(given);
    }
    // A source that says its codes are 2025 codes gets the same answer for one that is not.
    expect(compileCommuneParser({ codeSet: 'VN-2025' })('99999')).toMatchObject({ code: '99999', codeSet: null, flag: 'COMMUNE_CODE_UNKNOWN' });
  });
  it('with codeSet VN-PRE2025 never reads a code as a 2025 code (2025 codes reuse old ones)', () => {
    const v = compileCommuneParser({ codeSet: 'VN-PRE2025' })('00004') as CommuneValue;
    expect(v).toMatchObject({ code: '00004', codeSet: 'VN-PRE2025', flag: 'COMMUNE_UNRESOLVED' });
    expect(v.unresolved).toMatch(/pre-2025/);
  });
  it("resolves names among Hà Nội's communes, or the province the text names, never anywhere (QA: an old Hà Nội commune became Gia Lai's)", () => {
    expect(parse('Phường Ba Đình')).toEqual(new CommuneValue('00004', 'VN-2025'));
    expect(parse('ba dinh')).toEqual(new CommuneValue('00004', 'VN-2025'));
    expect(parse('P. Ba Đình, Thành phố Hà Nội')).toEqual(new CommuneValue('00004', 'VN-2025'));
    // Vân Canh (Hoài Đức) was merged away in 2025; Gia Lai has a Vân Canh, Cao Bằng a Minh Khai, Đồng Nai a Tân Triều.
    for (const name of ['Xã Vân Canh', 'Xã Minh Khai', 'Tân Triều', 'Xã Vân Canh, Huyện Hoài Đức']) {
      const v = parse(name) as CommuneValue;
      expect(v.code, name).toBeNull();
      expect(v.unresolved, name).toMatch(/^commune name ".+" not (found, or not unique, among|resolved: the address names a district \(Huyện Hoài Đức\), so it was written before the 2025 reorganisation, and no 2025 commune of) Hà Nội's/);
    }
    expect(parse('Phường Sài Gòn') as CommuneValue).toMatchObject({ code: null });
    const named = parse('Phường Sài Gòn, TP. Hồ Chí Minh') as CommuneValue;
    expect(named.codeSet).toBe('VN-2025');
    expect(communeByCode(named.code!)?.provinceCode).toBe('79');
    expect(parse('Xã Vân Canh, Tỉnh Gia Lai')).toMatchObject({ codeSet: 'VN-2025' });
    expect(parse('Xã Không Có, Tỉnh Gia Lai')).toMatchObject({ code: null, unresolved: 'commune name "Xã Không Có, Tỉnh Gia Lai" not found, or not unique, among Tỉnh Gia Lai\'s 2025 communes' });
    // A later part naming no 2025 province, nor a district or commune, leaves it unresolved: it may be another
    // province's commune of the same name as a Hà Nội one (QA: all of these became Hà Nội's).
    for (const name of ['Xã Yên Lãng, Tỉnh Vĩnh Phúc', 'Xã Liên Minh, Tỉnh Hà Nam', 'Phường Hoàng Mai, Nghệ An Province', 'Phường Ba Đình, TP HCM', 'Xã Vân Canh, Hà Nội, Tỉnh Gia Lai']) {
      expect(parse(name), name).toMatchObject({ code: null, codeSet: null, unresolved: expect.stringMatching(/^commune name ".+" not resolved: the address names/) });
    }
    expect(parse('Phường Hoàng Mai, Tỉnh Nghệ An')).toMatchObject({ codeSet: 'VN-2025' });
    expect(parse('P. Văn Miếu – Quốc Tử Giám')).toEqual(new CommuneValue('00226', 'VN-2025'));
    expect(parse('Phường Văn Miếu-Quốc Tử Giám')).toEqual(new CommuneValue('00226', 'VN-2025'));
    expect(parse('Văn Miếu Quốc Tử Giám')).toEqual(new CommuneValue('00226', 'VN-2025'));
  });
  it('resolves a commune of an address naming a pre-2025 district only to the type that district held, and flags it (QA: Hồng Hà of Đan Phượng became central Hà Nội\'s)', () => {
    // Hồng Hà was a commune (xã) of Huyện Đan Phượng; Chương Dương a ward (phường) of Quận Hoàn Kiếm. The 2025 Phường
    // Hồng Hà is central Hà Nội, Xã Chương Dương Thường Tín: neither is where those were.
    for (const name of ['Hồng Hà, Huyện Đan Phượng, Hà Nội', 'Chương Dương, Quận Hoàn Kiếm, Hà Nội', 'Xã Hồng Hà, H. Đan Phượng', 'Phường Hồng Hà, Huyện Đan Phượng', 'Kim Bài, Thị xã Sơn Tây', 'Thị trấn Kim Bài, Huyện Thanh Oai']) {
      const v = parse(name) as CommuneValue;
      expect(v, name).toMatchObject({ code: null, codeSet: null, flag: 'COMMUNE_UNRESOLVED' });
      expect(v.unresolved, name).toContain(`commune name "${name}" not resolved: the address names a district (`);
    }
    // A name of the type the district held resolves, flagged: the hub has no table of the old units to tell
    // that the 2025 commune of that name is where the old one was.
    const flagged = (name: string, code: string) => {
      const v = parse(name) as CommuneValue;
      expect(v, name).toMatchObject({ code, codeSet: 'VN-2025', flag: 'COMMUNE_FROM_OLD_ADDRESS' });
      expect(v.unresolved, name).toMatch(/^commune name ".+" resolved by its name to .+: the address names a district \(.+\), so it was written before the 2025 reorganisation/);
    };
    flagged('Hồng Hà, Quận Hoàn Kiếm, Hà Nội', '00097');
    flagged('Xã Thanh Oai, Huyện Thanh Oai, Hà Nội', '10114');
    flagged('Thanh Oai, Huyện Thanh Oai', '10114');
    flagged('Phường Ba Đình, Q. Ba Đình, TP. Hà Nội, Việt Nam', '00004');
    // An abbreviation without its space is a district all the same (QA re-check: `Q.Nam Từ Liêm` was "not a province").
    expect(parse('Hồng Hà, H.Đan Phượng')).toMatchObject({ code: null, flag: 'COMMUNE_UNRESOLVED' });
    flagged('Ba Đình, Q.Ba Đình', '00004');
    // A district written without its type is said to be one possibility, not sent to write the province.
    expect((parse('Hồng Hà, Đan Phượng, Hà Nội') as CommuneValue).unresolved).toContain('neither a province of the 2025 list nor written as a district or commune ("Huyện …", "Quận …", "Phường …"): a district without its type');
    // A house address is not repeated in the flag (flags are BASIC data).
    const house = parse('Số 12 ngõ 5, Phường Không Có, Hà Nội') as CommuneValue;
    expect(house.unresolved).toBe("commune name (not repeated here: it holds digits or is long, as a house address is) not found, or not unique, among Hà Nội's 2025 communes");
    // Nor is a person's name a shifted column put there (QA); a place written with its type is repeated.
    for (const person of ['Trần Thị Mai', 'NGUYEN VAN AN', 'Trần Thị Mai, Hà Nội']) {
      expect((parse(person) as CommuneValue).unresolved).toBe("commune name (not repeated here: it reads as a person's name, as a column shifted by one would put there) not found, or not unique, among Hà Nội's 2025 communes");
    }
    expect((parse('Xã Nguyễn Văn Không') as CommuneValue).unresolved).toContain('"Xã Nguyễn Văn Không"');
    expect((parse('Không Có, Tỉnh Gia Lai') as CommuneValue).unresolved).toContain('"Không Có, Tỉnh Gia Lai"');
    // Without a district the name is read as a 2025 one, unflagged.
    expect(parse('Phường Hồng Hà, Hà Nội')).toEqual(new CommuneValue('00097', 'VN-2025'));
  });
  it('leaves an unknown name empty with a reason to flag', () => {
    const v = parse('Phường Không Có Thật') as CommuneValue;
    expect(v.code).toBeNull();
    expect(v.unresolved).toMatch(/not found/);
  });
  it('refuses codes of more than 5 digits and text without letters', () => {
    expect(parse('001234')).toMatchObject({ code: 'INVALID_COMMUNE' });
    expect(parse('01-004')).toMatchObject({ code: 'INVALID_COMMUNE' });
    expect(parse('')).toBeUndefined();
  });
});

describe('a number an XLSX cell pads with zeros, read as the text Excel shows', () => {
  // The XLSX reader gives `001203004567` for 1203004567 formatted `000000000000` (zero-padded-format.ts):
  // every parser that read the number reads the text as the same value, or as the register means it.
  it('is the same value to parsers that took the number', () => {
    expect(parseInteger('042')).toBe(42);
    expect(parseInteger('00000')).toBe(0);
    expect(compileCommuneParser()('00097')).toEqual(compileCommuneParser()(97));
    expect(compileCommuneParser()('00004')).toMatchObject({ code: '00004' });
    expect(parseSex('01')).toBe('MALE');
    expect(parseSex('002')).toBe('FEMALE');
    expect(parseSex('03')).toMatchObject({ code: 'INVALID_SEX' });
    expect(parseBoolean('01')).toBe(true);
    expect(parseBoolean('00')).toBe(false);
    expect(parseBoolean('02')).toMatchObject({ code: 'INVALID_BOOLEAN' });
    expect(compileDateParser(['yyyyMMdd'])('20180315')).toEqual(compileDateParser(['yyyyMMdd'])(20180315));
    expect(compileDateParser(['yyyy'])('2018')).toEqual(compileDateParser(['yyyy'])(2018));
    expect(parseText('00097')).toBe('00097');
  });
  it('keeps an identity number\'s leading zeros, which the number had lost', () => {
    expect(parseIdentityNumber('001203004567')).toBe('001203004567');
    // The number itself has lost them: kept as read, flagged (see parseIdentityNumber's tests).
    expect(parseIdentityNumber(1203004567)).toMatchObject({ value: '1203004567', flag: 'IDENTITY_NUMBER_FROM_NUMBER' });
  });
  it('flags text of 10 or 11 digits that begins with a province code once its zeros are back (a CSV re-saved by a spreadsheet), keeping it as read', () => {
    const short = parseIdentityNumber('1203004567');
    expect(short).toMatchObject({ value: '1203004567', flag: 'IDENTITY_NUMBER_ZEROS_LOST' });
    expect((short as { message: string }).message).toMatch(/^10 digits where a personal identification number has 12/);
    expect((short as { message: string }).message).not.toContain('1203004567');
    expect(parseIdentityNumber('1 203 004 567')).toMatchObject({ value: '1203004567', flag: 'IDENTITY_NUMBER_ZEROS_LOST' });
    expect(parseIdentityNumber('12030045678')).toMatchObject({ value: '12030045678', flag: 'IDENTITY_NUMBER_ZEROS_LOST' });
    // 12 digits, a 9-digit identity card number (CMND), a typo beginning with 0, and a prefix no province has: as read.
    expect(parseIdentityNumber('001203004567')).toBe('001203004567');
    expect(parseIdentityNumber('012345678')).toBe('012345678');
    expect(parseIdentityNumber('01203004567')).toBe('01203004567');
    expect(parseIdentityNumber('9903004567')).toBe('9903004567');
  });
});

describe('describeValue', () => {
  it('names the kind of a value', () => {
    expect(describeValue('20150304')).toBe('8 digits');
    expect(describeValue('15/03/2015')).toBe("text of 10 characters (digits, '/')");
    expect(describeValue('Nguyễn Văn A')).toBe('text of 12 characters (letters, spaces)');
    expect(describeValue(2.5)).toBe('a number with a fraction');
    // QA: `1e308` was refused as "expected a whole number; got a whole number".
    expect(describeValue(1e308)).toBe('a whole number too large to hold exactly (over 9,007,199,254,740,991)');
    expect(describeValue(2 ** 53 - 1)).toBe('a whole number');
    expect(describeValue(new Date(Number.NaN))).toBe('an invalid date cell');
  });
});

/** A deterministic stream of awkward values: personal data from the generator and random text. */
function* awkwardValues(): Generator<unknown> {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const alphabet = 'aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ0123456789 /-.:,;()ễữịọầ';
  for (let i = 0; i < 3000; i++) {
    const length = 6 + Math.floor(next() * 20);
    let s = '';
    for (let j = 0; j < length; j++) s += alphabet[Math.floor(next() * alphabet.length)];
    yield s;
  }
  for (const { record } of generateSourceRecords({ seed: 5, count: 200, sources: ['justice-register', 'school'] })) {
    for (const v of Object.values(record.raw)) if (typeof v === 'string' && v.trim().length >= 4) yield v;
  }
  yield 123_456_789.5;
}

describe('problem messages never contain the value', () => {
  const parsers: Array<[string, (v: unknown) => unknown]> = [
    ['text', parseText],
    ['name', parseName],
    ['sex', parseSex],
    ['date', compileDateParser()],
    ['date dd/MM/yyyy', compileDateParser(['dd/MM/yyyy'])],
    ['datetime', compileDateTimeParser()],
    ['commune', compileCommuneParser()],
    ['identityNumber', parseIdentityNumber],
    ['integer', parseInteger],
    ['boolean', parseBoolean],
  ];
  it('for every parser, over random text and generated personal values', () => {
    let failures = 0;
    for (const value of awkwardValues()) {
      const text = String(value).trim();
      for (const [kind, parse] of parsers) {
        const r = parse(value);
        if (!(r instanceof ParseFailure)) continue;
        failures++;
        expect(r.message.includes(text), `${kind} message holds the value`).toBe(false);
        // Nor any 4-character run of letters or digits from it (a name, part of a number or date).
        for (let i = 0; i + 4 <= text.length; i++) {
          const run = text.slice(i, i + 4);
          if (/^[\p{L}\d]{4}$/u.test(run)) expect(r.message.includes(run), `${kind} message holds part of the value`).toBe(false);
        }
      }
    }
    expect(failures).toBeGreaterThan(5000);
  }, 60_000);
});
