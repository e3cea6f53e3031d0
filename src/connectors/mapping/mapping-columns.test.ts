import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../config/config.js';
import { loadDefinitionFile } from '../definition/connector-catalog.js';
import { checkSheetColumns, columnsRead, describeUnreadPaths, headersWarning, optionalPathKey, pathsNoRecordHas, readingsNoRecordHas, sparsePathsRead, sparseReadingsNoRecordHas } from './mapping-columns.js';
import type { RecordMapping } from './mapping.schema.js';

const justice = loadDefinitionFile(path.join(PROJECT_ROOT, 'connectors', 'justice-register', 'connector.yaml')).definition;
const BIRTH_HEADERS = [
  'Mã hồ sơ', 'Số đăng ký', 'Quyển số', 'Ngày đăng ký', 'Nơi đăng ký', 'Mã xã nơi đăng ký', 'Họ và tên', 'Giới tính', 'Ngày sinh',
  'Nơi sinh', 'Dân tộc', 'Quốc tịch', 'Số định danh cá nhân', 'Họ tên cha', 'Họ tên mẹ', 'Người đi khai sinh',
  'Quan hệ với người được khai sinh', 'Ghi chú',
];

describe('mapping columns against a sheet\'s headers', () => {
  it('reads the columns of from, join and firstOf, tests and nested values, not literals', () => {
    const cols = columnsRead({
      fields: { fullName: { join: ['Họ', { from: 'Tên' }] }, carerName: { firstOf: ['Mẹ', 'Cha'], when: { from: 'Ghi chú', contains: 'Trẻ bị bỏ rơi' } } },
      groups: [{ clause: { from: 'Hoàn cảnh', map: { 'Trẻ bị bỏ rơi': 'b' } } }],
      projections: { vaccination: [{ each: 'tiem', fields: { vaccineCode: { from: 'ma' }, childName: { from: '$.Họ tên' } } }] },
    });
    expect([...cols].sort()).toEqual(['Cha', 'Ghi chú', 'Hoàn cảnh', 'Họ', 'Họ tên', 'Mẹ', 'Tên'].sort());
  });

  it('a birth register with every column: the birth mapping applies and nothing is missing (the adoption one does not apply)', () => {
    expect(checkSheetColumns(justice.records, 'child', BIRTH_HEADERS)).toEqual({ applicable: 1, missing: [], noneApplies: null });
  });

  it('a mapped column the file lacks is named: its field stays empty', () => {
    const check = checkSheetColumns(justice.records, 'child', BIRTH_HEADERS.filter((h) => h !== 'Giới tính'));
    expect(check).toEqual({ applicable: 1, missing: ['Giới tính'], noneApplies: null });
    expect(headersWarning(justice.records, { type: 'sheet-headers', fileName: 'a.csv', where: 'a.csv', recordType: 'child', columns: BIRTH_HEADERS.filter((h) => h !== 'Giới tính') }))
      .toBe('a.csv: the mapping reads column «Giới tính», which the file does not have: its field stays empty');
  });

  it('headers no mapping can take (another case) name the columns that would let one', () => {
    const upper = BIRTH_HEADERS.map((h) => h.toUpperCase());
    const check = checkSheetColumns(justice.records, 'child', upper);
    expect(check.applicable).toBe(0);
    expect(check.noneApplies).toEqual(['Họ và tên con nuôi', 'Họ và tên']);
    expect(headersWarning(justice.records, { type: 'sheet-headers', fileName: 'a.csv', where: 'a.csv', recordType: 'child', columns: upper }))
      .toMatch(/^a\.csv: no mapping takes its rows, which will all be rejected \(NO_MAPPING\): the mapping needs a column «Họ và tên con nuôi» or «Họ và tên»/);
  });

  it('a `when` testing for absence, or reading several columns, requires none of them', () => {
    const mappings = [
      { recordType: 'child' as const, when: { from: 'Ngày mất', present: false }, externalId: { from: 'Mã' }, fields: { fullName: { from: 'Họ tên' } } },
      { recordType: 'child' as const, when: { firstOf: ['A', 'B'], present: true }, externalId: { from: 'Mã' } },
    ] as unknown as Parameters<typeof checkSheetColumns>[0];
    expect(checkSheetColumns(mappings, 'child', ['Mã', 'Họ tên'])).toEqual({ applicable: 2, missing: [], noneApplies: null });
  });

  it('headers are compared trimmed and in NFC, as the file reader keys records', () => {
    const nfd = BIRTH_HEADERS.map((h) => ` ${h.normalize('NFD')} `);
    expect(checkSheetColumns(justice.records, 'child', nfd)).toEqual({ applicable: 1, missing: [], noneApplies: null });
  });
});

describe('paths of an API mapping that no record of a page has', () => {
  const mapping = (fields: Record<string, unknown>) => [{ recordType: 'child', externalId: { from: 'id' }, fields }] as unknown as RecordMapping[];
  const page = [{ id: '1', ten: 'An', ho: 'Nguyễn' }, { id: '2', ten: 'Bình', so: '001' }];

  it('names a path no record has; not one some record has', () => {
    expect(pathsNoRecordHas(mapping({ fullName: { from: 'ho_tenn' }, givenName: { from: 'ten' } }), page)).toEqual([['ho_tenn']]);
  });

  it('judges a firstOf whole: an alternative the page never uses is no misspelling while another is there', () => {
    expect(pathsNoRecordHas(mapping({ identityNumber: { firstOf: ['so', 'cccd'] } }), page)).toEqual([]);
    // With none there, every alternative is named: any of them may be the misspelt one.
    expect(pathsNoRecordHas(mapping({ identityNumber: { firstOf: ['so_dd', { from: 'cccd' }] } }), page)).toEqual([['so_dd', 'cccd']]);
    expect(describeUnreadPaths([['ho_tenn'], ['so_dd', 'cccd']])).toBe('«ho_tenn»; «so_dd» or «cccd»');
    expect(describeUnreadPaths([['ho_tenn'], ['cccd']])).toBe('«ho_tenn», «cccd»');
  });

  it('judges a join whole, also inside a firstOf: a part few records have (a fourth given name) is no misspelling', () => {
    const join = { join: ['ho', 'ten', 'ten_4'] };
    expect(pathsNoRecordHas(mapping({ fullName: join }), page)).toEqual([]);
    expect(pathsNoRecordHas(mapping({ fullName: { firstOf: ['ho_ten', join] } }), page)).toEqual([]);
    expect(pathsNoRecordHas(mapping({ fullName: { join: ['hoo', 'tenn'] } }), page)).toEqual([['hoo', 'tenn']]);
    expect(pathsNoRecordHas(mapping({ fullName: { firstOf: ['ho_ten', { join: ['hoo', 'tenn'] }] } }), page)).toEqual([['ho_ten', 'hoo', 'tenn']]);
  });

  it('judges each part of a record id\'s join on its own: an empty part quarantines the record (QA: a constant «QM» written as a path)', () => {
    const idOf = (externalId: unknown) => [{ recordType: 'child', externalId, fields: { givenName: { from: 'ten' } } }] as unknown as RecordMapping[];
    expect(pathsNoRecordHas(idOf({ join: ['QM', { from: 'id' }], separator: '-' }), page)).toEqual([['QM']]);
    expect(pathsNoRecordHas(idOf({ join: [{ value: 'QM' }, 'id'], separator: '-' }), page)).toEqual([]);
    expect(pathsNoRecordHas(idOf({ join: ['id', 'ho'] }), page)).toEqual([]);
  });

  it('judges a value\'s `when` apart from it: a misspelt test leaves the value empty too', () => {
    expect(pathsNoRecordHas(mapping({ givenName: { from: 'ten', when: { from: 'loaii', equals: 'X' } } }), page)).toEqual([['loaii']]);
  });

  it('leaves out boolean flags, absent by nature from nearly every record (an estimated birth date)', () => {
    expect(pathsNoRecordHas(mapping({ birthDateEstimated: { from: 'uoc_tinh', equals: true }, givenName: { from: 'ten' } }), page)).toEqual([]);
  });

  it('the health-station connector over Patients as its simulator serves them: nothing (QA: three paths warned over 200 records)', () => {
    const health = loadDefinitionFile(path.join(PROJECT_ROOT, 'connectors', 'health-station', 'connector.yaml')).definition;
    const patient = (id: string, extra: Record<string, unknown> = {}) => ({
      resourceType: 'Patient', id, meta: { lastUpdated: '2026-11-25T10:00:00+07:00' }, gender: 'female', birthDate: '2020-01-02',
      name: [{ text: 'Nguyễn Thị An', family: 'Nguyễn', given: ['Thị', 'An'] }],
      identifier: [{ system: 'urn:vn:so-dinh-danh-ca-nhan', value: '001220000001' }],
      address: [{ extension: [{ url: 'urn:vn:ma-don-vi-hanh-chinh-xa', valueCode: '00004' }] }],
      contact: [
        { relationship: [{ coding: [{ code: 'FTH' }] }], name: { text: 'Nguyễn Văn Bình' } },
        { relationship: [{ coding: [{ code: 'MTH' }] }], name: { text: 'Trần Thị Cúc' } },
        { relationship: [{ coding: [{ code: 'GUARD' }] }], name: { text: 'Lê Văn Dũng' } },
      ],
      ...extra,
    });
    const patients = Array.from({ length: 20 }, (_, i) => patient(String(i)));
    expect(pathsNoRecordHas(health.records, patients)).toEqual([]);
    // A misspelt path of it is still named.
    expect(pathsNoRecordHas(health.records, patients.map(({ gender: _g, ...p }) => p))).toEqual([['gender']]);
  });
});

describe('readingsNoRecordHas', () => {
  const mappings = [{ externalId: { from: 'id' }, fields: { fullName: { from: 'ho_ten' }, carerName: { from: 'giam_ho' } } }] as never;
  it('names the fields a value no record has feeds; with `present`, a key sent as null is had (QA re-check: a cleared guardian held a page)', () => {
    const page = [{ id: '1', ho_ten: 'A', giam_ho: null }, { id: '2', ho_ten: 'B', giam_ho: null }];
    expect(readingsNoRecordHas(mappings, page)).toEqual([{ paths: ['giam_ho'], fields: ['carerName'] }]);
    expect(readingsNoRecordHas(mappings, page, { present: true })).toEqual([]);
    expect(readingsNoRecordHas(mappings, [{ id: '1', ho_ten: 'A' }], { present: true })).toEqual([{ paths: ['giam_ho'], fields: ['carerName'] }]);
  });
});

describe('groups\' and projections\' values no record of a page has', () => {
  const mappings = [{
    externalId: { from: 'id' },
    fields: { fullName: { from: 'ho_ten' } },
    groups: [{ clause: 'd', when: { from: 'khuyet_tat', equals: true }, subType: { from: 'dang_tat' } }],
    projections: {
      schoolEnrolment: [{ fields: { studentCode: { from: 'id' }, schoolName: { from: 'ten_truong' } } }],
      vaccination: [{ each: 'tiem[*]', fields: { vaccineCode: { from: 'ma' }, vaccineName: { from: 'ten' }, performer: { from: '$.tram' } } }],
    },
  }] as never;
  const fields = (page: Array<Record<string, unknown>>, seen?: Set<string>) => sparseReadingsNoRecordHas(mappings, page, seen).map((r) => [r.field, r.paths, r.relative]);

  it('names each by what it feeds; a key sent as null is had; paths within `each` are judged by its elements', () => {
    const page = [
      { id: '1', ho_ten: 'A', khuyet_tat: null, ten_truong: 'X', tram: 'T', tiem: [{ ma: 'BCG', ten: 'Lao' }] },
      { id: '2', ho_ten: 'B', khuyet_tat: false, ten_truong: 'X', tiem: [] },
    ];
    expect(fields(page)).toEqual([['groups.d.subType', ['dang_tat'], false]]);
    // Elements lacking a relative path name it; a page with no element does not judge it (but judges `each` itself).
    expect(fields([{ id: '1', khuyet_tat: true, dang_tat: 'V', ten_truong: 'X', tram: 'T', tiem: [{ ma: 'BCG' }] }])).toEqual([['projections.vaccination.vaccineName', ['ten'], true]]);
    expect(fields([{ id: '1', khuyet_tatt: true, dang_tat: 'V', truong: 'X', tram: 'T' }])).toEqual([
      ['groups.d', ['khuyet_tat'], false],
      ['projections.schoolEnrolment.schoolName', ['ten_truong'], false],
      ['projections.vaccination', ['tiem[*]'], false],
    ]);
  });

  it('tells each path of a firstOf or join on its own: a misspelt alternative empties what the other does not cover', () => {
    const alternatives = [{ externalId: { from: 'id' }, groups: [{ clause: 'd', when: { firstOf: ['co_tatt', 'danh_gia'], present: true } }] }] as never;
    expect(sparseReadingsNoRecordHas(alternatives, [{ id: '1', danh_gia: 'x' }, { id: '2' }]).map((r) => [r.field, r.paths])).toEqual([['groups.d', ['co_tatt']]]);
  });

  it('names a path within `each` with it, as optionalPaths lists it (the same words read elsewhere are another path)', () => {
    const [reading] = sparseReadingsNoRecordHas(mappings, [{ id: '1', khuyet_tat: true, dang_tat: 'V', ten_truong: 'X', tram: 'T', tiem: [{ ma: 'BCG' }] }]);
    expect(reading).toMatchObject({ paths: ['ten'], qualified: 'tiem[*] » ten', relative: true });
    expect(optionalPathKey(' tiem[*]»ten ')).toBe('tiem[*] » ten');
    expect(optionalPathKey('$.ten_truong')).toBe('ten_truong');
  });

  it('does not judge a test for absence (`present: false`): a page without its path empties nothing (the health station\'s disability flag)', () => {
    const absence = [{ externalId: { from: 'id' }, fields: { carerName: { from: 'giam_ho', when: { from: 'cha', present: false } } },
      projections: { disability: [{ each: 'tat[*]', when: { from: '$.danh_gia', present: false }, fields: { type: { from: 'loai' } } }] } }] as never;
    expect(sparseReadingsNoRecordHas(absence, [{ id: '1', tat: [{ loai: 'V' }] }, { id: '2', tat: [{ loai: 'N' }] }])).toEqual([]);
    expect(readingsNoRecordHas(absence, [{ id: '1', giam_ho: 'X' }], { present: true })).toEqual([]);
  });

  it('does not judge again a reading a record of the run had (a path some record has is no misspelling)', () => {
    const seen = new Set<string>();
    expect(fields([{ id: '1', khuyet_tat: true, dang_tat: 'V', ten_truong: 'X', tram: 'T', tiem: [{ ma: 'A', ten: 'B' }] }], seen)).toEqual([]);
    expect(fields([{ id: '2' }], seen)).toEqual([]);
    expect(fields([{ id: '2' }]).map(([f]) => f)).toEqual(['groups.d', 'groups.d.subType', 'projections.schoolEnrolment.schoolName', 'projections.vaccination', 'projections.vaccination.performer']);
  });

  it('sparsePathsRead: what each group and projection reads, by what it feeds (paths within `each` named with it)', () => {
    expect(sparsePathsRead(mappings)).toEqual([
      'groups.d ← khuyet_tat', 'groups.d.subType ← dang_tat', 'projections.schoolEnrolment.studentCode ← id', 'projections.schoolEnrolment.schoolName ← ten_truong',
      'projections.vaccination ← tiem[*]', 'projections.vaccination.vaccineCode ← tiem[*] » ma', 'projections.vaccination.vaccineName ← tiem[*] » ten',
      'projections.vaccination.performer ← tram',
    ]);
    const health = loadDefinitionFile(path.join(PROJECT_ROOT, 'connectors', 'health-station', 'connector.yaml')).definition;
    expect(sparsePathsRead(health.records)).toEqual(expect.arrayContaining([
      'projections.vaccination ← _include.immunizations[*]', 'projections.vaccination.vaccineName ← _include.immunizations[*] » vaccineCode.text',
      'groups.d ← extension[url="urn:vn:byt:khuyet-tat"].valueCode', 'groups.b ← extension[url="urn:vn:byt:tre-bi-bo-roi"].valueBoolean',
    ]));
  });
});
