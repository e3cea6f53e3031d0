import { describe, expect, it } from 'vitest';
import type { SourceRecordInput } from '../../domain/source-record-input.js';
import { validateSourceRecord } from '../../services/ingest/source-record.validator.js';
import { ProjectionWriter } from '../../services/projections/projection.writer.js';
import { CellError } from '../cell-error.js';
import type { MappedRecord, RawRecord } from '../types.js';
import { recordMappingsSchema, type RecordMapping, type RecordMappingInput } from './mapping.schema.js';
import { compileRecordMapper } from './record-mapper.js';
import { MappingCompileError } from './value-compiler.js';

function mapper(...mappings: RecordMappingInput[]) {
  return compileRecordMapper('school', recordMappingsSchema.parse(mappings));
}

function ok(r: MappedRecord) {
  if (!r.ok) throw new Error(`expected a mapped record, got problems ${JSON.stringify(r.problems)}`);
  return r;
}

function child(r: MappedRecord): SourceRecordInput {
  const record = ok(r).record;
  if (!record) throw new Error('expected a child record');
  return record;
}

const raw = (data: Record<string, unknown>, recordType?: string): RawRecord => ({ data, recordType });

describe('paths', () => {
  it('a column header written exactly like the path wins over path syntax', () => {
    const map = mapper({ externalId: { from: 'Mã' }, fields: { fullName: { from: 'Họ và tên (khai sinh)' }, carerName: { from: 'Người đ.diện' } } });
    const r = child(map(raw({ Mã: 'A1', 'Họ và tên (khai sinh)': 'lê an', 'Người đ.diện': 'trần bình', 'Người đ': { diện: 'x' } })));
    expect(r).toMatchObject({ externalId: 'A1', fullName: 'Lê An', carerName: 'Trần Bình' });
    // Without such a header the same text is a path.
    expect(child(map(raw({ Mã: 'A1', 'Người đ': { diện: 'võ cường' } }))).carerName).toBe('Võ Cường');
  });

  it('quoted keys, indexes from the end, filters with quoted values and nested filters', () => {
    const map = mapper({
      externalId: { from: '"Số hồ sơ"' },
      fields: {
        fullName: { from: 'name[-1].text' },
        identityNumber: { from: 'identifier[system="urn:vn:a.b c"].value' },
        motherName: { from: 'contact[relationship[*].coding[*].code=MTH].name' },
      },
    });
    const r = child(
      map(
        raw({
          'Số hồ sơ': 7,
          name: [{ text: 'old' }, { text: 'nguyễn an' }],
          identifier: [
            { system: 'urn:other', value: '1' },
            { system: 'urn:vn:a.b c', value: '001 215 000 123' },
          ],
          contact: [
            { relationship: [{ coding: [{ code: 'FTH' }] }], name: 'cha' },
            { relationship: [{ coding: [{ code: 'X' }, { code: 'MTH' }] }], name: 'mẹ bé' },
          ],
        }),
      ),
    );
    expect(r).toMatchObject({ externalId: '7', fullName: 'Nguyễn An', identityNumber: '001215000123', motherName: 'Mẹ Bé' });
  });

  it('finds nothing through a list without a bracket, and nothing on a miss', () => {
    const map = mapper({ externalId: { value: 'x' }, fields: { fullName: { from: 'name.text' }, fatherName: { from: 'a.b.c' } } });
    expect(child(map(raw({ name: [{ text: 'An' }], a: { b: 1 } })))).toMatchObject({ fullName: null, fatherName: null });
  });

  it('does not read inherited properties as columns', () => {
    const map = mapper({ externalId: { from: 'constructor' } });
    expect(map(raw({}))).toMatchObject({ ok: false, problems: [{ field: 'externalId', code: 'REQUIRED' }] });
  });
});

describe('values', () => {
  it('join skips empty parts; firstOf takes the first non-empty one', () => {
    const map = mapper({
      externalId: { join: ['ma_xa', { value: 'KS' }, 'so'], separator: '-' },
      fields: { fullName: { join: ['ho', 'dem', 'ten'] }, carerName: { firstOf: ['me', { from: 'cha', parse: 'text' }] } },
    });
    const r = child(map(raw({ ma_xa: '00004', so: 12, ho: 'NGUYỄN', dem: ' ', ten: 'AN', me: '', cha: 'TRẦN VĂN BA' })));
    expect(r).toMatchObject({ externalId: '00004-KS-12', fullName: 'Nguyễn An', carerName: 'Trần Văn Ba' });
  });

  it('firstOf reads an element with its own formats or codeSet so (QA: a column of pre-2025 codes was read as 2025 codes)', () => {
    const map = mapper({
      externalId: { from: 'id' },
      fields: {
        birthDate: { firstOf: [{ from: 'ngay' }, { from: 'thang', formats: ['yyyy-MM'] }] },
        communeCode: { firstOf: ['xa', { from: 'xa_cu', codeSet: 'VN-PRE2025' }] },
      },
    });
    const old = ok(map(raw({ id: '1', ngay: '', thang: '2018-03', xa: '', xa_cu: '00031' })));
    expect(old.record).toMatchObject({ birthDate: '2018-03-01', birthDatePrecision: 'MONTH', communeCode: '00031', communeCodeSet: 'VN-PRE2025' });
    expect(old.flags?.map((f) => f.code)).toEqual(['COMMUNE_UNRESOLVED']);
    // The first element is read as the value reads it: the default formats, 2025 codes.
    const first = ok(map(raw({ id: '2', ngay: '15/03/2018', thang: '2018-04', xa: '00004', xa_cu: '00031' })));
    expect(first.record).toMatchObject({ birthDate: '2018-03-15', birthDatePrecision: 'DAY', communeCode: '00004', communeCodeSet: 'VN-2025' });
    // The element's formats are its own: a day the default formats read is refused there.
    expect(map(raw({ id: '3', ngay: '', thang: '15/03/2018', xa: '00004' }))).toMatchObject({ ok: false, problems: [{ field: 'birthDate', code: 'INVALID_DATE' }] });
  });

  it('tells a closed list\'s value read unmapped with the record\'s other problems, in one round (QA)', () => {
    const map = mapper({
      externalId: { from: 'id' },
      fields: { sex: { from: 'gt' } },
      projections: { schoolEnrolment: [{ fields: { studentCode: { from: 'id' }, status: { from: 'tt' } } }] },
    });
    const r = map(raw({ id: 'S1', gt: 'X', tt: 'Đang học' }));
    expect(r.ok ? [] : r.problems.map((p) => [p.field, p.code])).toEqual([['sex', 'INVALID_SEX'], ['projections.schoolEnrolment[0].status', 'NOT_ALLOWED_VALUE']]);
    expect(JSON.stringify(r.ok ? [] : r.problems)).not.toContain('Đang');
    expect(ok(map(raw({ id: 'S1', gt: 'Nam', tt: 'STUDYING' }))).projections.schoolEnrolment?.[0]?.status).toBe('STUDYING');
  });

  it('map: trimmed NFC keys, default for values not in it, UNKNOWN_VALUE without a default', () => {
    const statusMap = { 'Đang học': 'STUDYING', 'Thôi học': 'DROPPED_OUT' };
    const map = mapper({
      externalId: { value: 'x' },
      projections: {
        schoolEnrolment: [{ fields: { studentCode: { value: 'S' }, status: { from: 's', map: statusMap } } }],
        facility: [{ fields: { code: { value: 'C' }, name: { value: 'N' }, type: { from: 't', map: { 'Công lập': 'PUBLIC_SOCIAL_ASSISTANCE' }, default: 'OTHER' }, licenceStatus: { value: 'UNKNOWN' } } }],
      },
    });
    const r = ok(map(raw({ s: ' Thôi học '.normalize('NFD'), t: 'Chùa' })));
    expect(r.projections.schoolEnrolment?.[0]?.status).toBe('DROPPED_OUT');
    expect(r.projections.facility?.[0]?.type).toBe('OTHER');
    expect(ok(map(raw({ s: 'Đang học' }))).projections.facility?.[0]?.type).toBe('OTHER');
    expect(map(raw({ s: 'Nghỉ ốm' }))).toEqual({
      ok: false,
      externalId: 'x',
      problems: [
        { field: 'projections.schoolEnrolment[0].status', code: 'UNKNOWN_VALUE', message: 'expected one of the 2 mapped values; got text of 7 characters (letters, spaces)' },
        { field: 'projections.schoolEnrolment[0].status', code: 'REQUIRED', message: 'a value is required but none was found' },
      ],
    });
  });

  it('a map result is read as the field kind', () => {
    const map = mapper({ externalId: { value: 'x' }, fields: { sex: { from: 'g', map: { Trai: 'MALE', Gái: 'FEMALE' } }, birthDate: { from: 'y', map: { 'không rõ': null }, default: '2015' } } });
    expect(child(map(raw({ g: 'Gái', y: 'năm 2015' })))).toMatchObject({ sex: 'FEMALE', birthDate: '2015-01-01', birthDatePrecision: 'YEAR' });
    expect(child(map(raw({ g: 'Trai', y: 'không rõ' })))).toMatchObject({ sex: 'MALE', birthDate: null, birthDatePrecision: null });
  });

  it('tests: equals, contains, in, present', () => {
    const map = mapper({
      externalId: { value: 'x' },
      groups: [
        { clause: 'a', when: { from: 'k', equals: true } },
        { clause: 'b', when: { from: 'note', contains: 'bỏ rơi' } },
        { clause: 'c', when: { from: 'n', in: [1, 2] } },
        { clause: 'd', when: { from: 'dt', present: true } },
        { clause: 'e', when: { from: 'dt', present: false } },
      ],
    });
    expect(child(map(raw({ k: true, note: 'Trẻ bị bỏ rơi'.normalize('NFD'), n: '2', dt: 'x' }))).groups).toEqual([
      { clause: 'a' },
      { clause: 'b' },
      { clause: 'c' },
      { clause: 'd' },
    ]);
    expect(child(map(raw({ k: 'true', n: 3, dt: '  ' }))).groups).toEqual([{ clause: 'a' }, { clause: 'e' }]);
    // `equals: true` reads the value as `parse: boolean` does (QA: 1 and Có failed the test).
    for (const k of [1, '1', 'Có', 'x', 'TRUE']) expect([k, child(map(raw({ k, dt: 'x' }))).groups]).toEqual([k, [{ clause: 'a' }, { clause: 'd' }]]);
    for (const k of [0, 'Không', 'false']) expect([k, child(map(raw({ k, dt: 'x' }))).groups]).toEqual([k, [{ clause: 'd' }]]);
    // A value that reads as neither is a problem naming the field, not a false that drops the evidence (QA:
    // a disability column written `Khuyết tật` gave no group d, with nothing said).
    for (const k of ['maybe', 2, 'Khuyết tật']) {
      const r = map(raw({ k, dt: 'x' }));
      expect(r.ok ? [] : r.problems.map((p) => [p.field, p.code, p.message])).toEqual([
        ['groups[0].when', 'INVALID_BOOLEAN', expect.stringMatching(/^equals: true reads «k» as a yes\/no: expected true\/Có\/x\/1 or false\/Không\/0; got /)],
      ]);
    }
    // An empty or absent value is no answer, as before: the test does not hold.
    for (const k of [undefined, '', null]) expect(child(map(raw({ k, dt: 'x' }))).groups).toEqual([{ clause: 'd' }]);
    const estimated = mapper({ externalId: { value: 'x' }, fields: { birthDateEstimated: { from: 'u', equals: true } } });
    expect(child(estimated(raw({ u: 'Có' }))).birthDateEstimated).toBe(true);
    const refused = estimated(raw({ u: 'ước tính' }));
    expect(refused.ok ? [] : refused.problems.map((p) => [p.field, p.code])).toEqual([['birthDateEstimated', 'INVALID_BOOLEAN']]);
  });

  it('map keys and test operands match whatever the letter case and spacing, and without accents when either side is written without them (QA: TRẺ BỊ BỎ RƠI lost the evidence)', () => {
    const map = mapper({
      externalId: { value: 'x' },
      fields: { birthDateEstimated: { from: 'note', contains: 'Trẻ bị bỏ rơi' } },
      groups: [
        { clause: { from: 'hc', map: { 'Trẻ bị bỏ rơi': 'b', 'Mồ côi cả cha và mẹ': 'a' }, default: null } },
        { clause: 'c', when: { from: 'st', equals: 'Không nơi nương tựa' } },
        { clause: 'd', when: { from: 'dt', in: ['Khuyết tật nặng', 'khuyet tat dac biet nang'] } },
      ],
    });
    const groupsOf = (data: Record<string, unknown>) => (child(map(raw(data))).groups ?? []).map((g) => g.clause);
    const estimated = (note: string) => child(map(raw({ note }))).birthDateEstimated;
    for (const note of ['TRẺ BỊ BỎ RƠI', 'trẻ bị bỏ rơi', 'Tre bi bo roi', 'TRE BI BO ROI', 'Trẻ\u00a0bị bỏ rơi', 'Trẻ bị  bỏ rơi', 'Khai sinh cho trẻ bị bỏ rơi theo Điều 14', 'Trẻ bị bỏ rơi'.normalize('NFD'), 'Tre bi bo roi, tiếp nhận tại chùa', 'Tiếp nhận: TRE BI BO ROI']) {
      expect([note, estimated(note)]).toEqual([note, true]);
    }
    expect(estimated('Trẻ bị bỏ lại')).toBe(false);
    // Where the value has accents, they must agree: the accented part is not read without them.
    expect(estimated('Trẻ bị bõ rời, tiếp nhận tại chùa')).toBe(false);
    expect(groupsOf({ hc: 'TRẺ BỊ BỎ RƠI' })).toEqual(['b']);
    expect(groupsOf({ hc: 'mo coi ca cha va me' })).toEqual(['a']);
    expect(groupsOf({ hc: ' Mồ  côi cả cha và mẹ ' })).toEqual(['a']);
    expect(groupsOf({ st: 'KHONG NOI NUONG TUA', dt: 'KHUYẾT TẬT NẶNG' })).toEqual(['c', 'd']);
    // An operand written without accents matches the value with them.
    expect(groupsOf({ dt: 'Khuyết tật đặc biệt nặng' })).toEqual(['d']);
    // Accents are compared when both sides have them.
    expect(groupsOf({ st: 'Không nơi nương tữa', dt: 'Khuyết tật nhẹ' })).toEqual([]);
  });

  it('a map whose keys differ only in case or accents keeps them apart: the exact key first, a looser match only when it is not shared', () => {
    const map = mapper({ externalId: { value: 'x' }, fields: { sex: { from: 'g', map: { Nam: 'MALE', Năm: 'FEMALE' }, default: null } } });
    const sexOf = (g: string) => child(map(raw({ g }))).sex;
    expect([sexOf('Nam'), sexOf('Năm'), sexOf('NĂM'), sexOf('nam')]).toEqual(['MALE', 'FEMALE', 'FEMALE', 'MALE']);
    // Written without accents, "NAM" is both: neither is guessed.
    const clash = mapper({ externalId: { value: 'x' }, fields: { sex: { from: 'g', map: { Nàm: 'MALE', Năm: 'FEMALE' }, default: null } } });
    expect(child(clash(raw({ g: 'NAM' }))).sex).toBeNull();
  });

  it('when on a value: absent when the test fails', () => {
    const map = mapper({ externalId: { value: 'x' }, fields: { carerName: { from: 'khai', when: { from: 'note', contains: 'bỏ rơi' } } } });
    expect(child(map(raw({ khai: 'AN', note: 'bỏ rơi' }))).carerName).toBe('An');
    expect(child(map(raw({ khai: 'AN', note: '' }))).carerName).toBeNull();
  });

  it('a test with a `when` of its own holds only when both do (conditions combined)', () => {
    const map = mapper({
      externalId: { value: 'x' },
      groups: [{ clause: 'h', when: { from: 'tt', equals: 'Thôi học', when: { from: 'cap', in: ['Tiểu học', 'THCS'] } } }],
    });
    expect(child(map(raw({ tt: 'Thôi học', cap: 'THCS' }))).groups).toEqual([{ clause: 'h' }]);
    expect(child(map(raw({ tt: 'Thôi học', cap: 'THPT' }))).groups).toEqual([]);
    expect(child(map(raw({ tt: 'Đang học', cap: 'THCS' }))).groups).toEqual([]);
    expect(child(map(raw({ tt: 'Thôi học' }))).groups).toEqual([]);
  });

  it('required: an absent value rejects the record', () => {
    const map = mapper({ externalId: { from: 'id' }, fields: { birthDate: { from: 'ns', required: true } } });
    expect(map(raw({ id: 'r1' }))).toEqual({
      ok: false,
      externalId: 'r1',
      problems: [{ field: 'birthDate', code: 'REQUIRED', message: 'a value is required but none was found' }],
    });
  });

  it('required: a value its own problem refuses is not also said to be missing (QA: INVALID_SEX and REQUIRED)', () => {
    const map = mapper({ externalId: { from: 'id' }, fields: { sex: { from: 'gt', required: true } } });
    const r = map(raw({ id: 'r1', gt: 'X' }));
    expect(r.ok ? [] : r.problems.map((p) => [p.field, p.code])).toEqual([['sex', 'INVALID_SEX']]);
    expect(map(raw({ id: 'r1' }))).toMatchObject({ ok: false, problems: [{ field: 'sex', code: 'REQUIRED' }] });
  });

  it('a record id joins every part or is missing: an empty part would make another record\'s id (QA: rows with no code all became `BTXH`)', () => {
    const map = mapper({ externalId: { join: [{ value: 'BTXH' }, 'Mã đối tượng'], separator: '-', required: true }, fields: { fullName: { from: 'ten' } } });
    expect(ok(map(raw({ 'Mã đối tượng': '0042', ten: 'An' }))).externalId).toBe('BTXH-0042');
    for (const missing of [{}, { 'Mã đối tượng': null }, { 'Mã đối tượng': '  ' }]) {
      expect(map(raw({ ...missing, ten: 'An' }))).toEqual({
        ok: false,
        externalId: null,
        problems: [{ field: 'externalId', code: 'REQUIRED', message: 'part 2 («Mã đối tượng») of the 2 the record id joins is empty: the id would be another record\'s' }],
      });
    }
    // Not `required`: the same, the id being required anyway.
    const loose = mapper({ externalId: { join: ['a', 'b'] }, fields: { fullName: { from: 'ten' } } });
    expect(loose(raw({ a: 'X', ten: 'An' }))).toMatchObject({ ok: false, externalId: null, problems: [{ field: 'externalId', code: 'REQUIRED', message: expect.stringMatching(/^part 2 \(«b»\) of the 2/) }] });
    // Other joins leave empty parts out.
    const names = mapper({ externalId: { from: 'id' }, fields: { fullName: { join: ['ho', 'dem', 'ten'] } } });
    expect(child(names(raw({ id: '1', ho: 'lê', dem: '', ten: 'an' }))).fullName).toBe('Lê An');
  });

  it('a constant that does not parse as its field fails when compiling (validation refuses it first)', () => {
    const mapping: RecordMappingInput = { externalId: { value: 'x' }, fields: { sex: { value: 'Khác' } } };
    expect(() => mapper(mapping)).toThrow(/Khác.+is not a value this field takes/);
    expect(() => compileRecordMapper('school', [{ ...mapping, recordType: 'child' } as RecordMapping])).toThrow(MappingCompileError);
  });
});

describe('child records', () => {
  const map = mapper({
    externalId: { from: 'id', required: true },
    fields: {
      fullName: { from: 'ten' },
      sex: { from: 'gt' },
      birthDate: { from: 'ns' },
      communeCode: { from: 'xa' },
      identityNumber: { from: 'so' },
      sourceUpdatedAt: { from: 'cn' },
    },
    groups: [
      { clause: { from: 'hc', map: { 'Bị bỏ rơi': 'b' }, default: null }, since: { from: 'tn' }, subType: { from: 'loai' } },
      // A letter the source gives itself (a map's results are checked when the definition is).
      { clause: { from: 'nhom' } },
    ],
  });

  it('gives a record that passes the ingest validator, with precision, code set and defaults', () => {
    const r = ok(map(raw({ id: 'HS1', ten: 'NGUYỄN VĂN AN', gt: 'Nam', ns: '03/2015', xa: '00004', so: '001.215.000.123', cn: '01/11/2026', hc: 'Bị bỏ rơi', tn: '2015-04-01' })));
    expect(r).toMatchObject({ type: 'child', externalId: 'HS1', flags: [], projections: {} });
    expect(r.record).toEqual({
      sourceSystem: 'school',
      externalId: 'HS1',
      raw: expect.any(Object),
      fullName: 'Nguyễn Văn An',
      sex: 'MALE',
      birthDate: '2015-03-01',
      birthDatePrecision: 'MONTH',
      birthDateEstimated: false,
      communeCode: '00004',
      communeCodeSet: 'VN-2025',
      identityNumber: '001215000123',
      sourceUpdatedAt: '2026-11-01T00:00:00+07:00',
      groups: [{ clause: 'b', since: '2015-04-01', subType: null }],
    });
    expect(r.record?.familyName).toBeUndefined();
    expect(validateSourceRecord(r.record)).toMatchObject({ ok: true });
    // A start known to the year only says so (QA), and the store takes it.
    const year = ok(map(raw({ id: 'HS2', hc: 'Bị bỏ rơi', tn: '2015' })));
    expect(year.record?.groups).toEqual([{ clause: 'b', since: '2015-01-01', sincePrecision: 'YEAR', subType: null }]);
    expect(validateSourceRecord(year.record)).toMatchObject({ ok: true });
  });

  it('a group may say when the circumstance ended (`until`), as a date', () => {
    const adoption = mapper({
      externalId: { from: 'id' },
      groups: [{
        clause: { from: 'hc', map: { 'Trẻ bị bỏ rơi': 'b', 'Mồ côi cả cha và mẹ': 'a' }, default: null },
        until: { from: 'ndk' },
      }],
    });
    const r = child(adoption(raw({ id: 'NCN1', hc: 'Trẻ bị bỏ rơi', ndk: '27/08/2021' })));
    expect(r.groups).toEqual([{ clause: 'b', until: '2021-08-27' }]);
    expect(validateSourceRecord(r)).toMatchObject({ ok: true, value: { groups: [{ clause: 'b', until: '2021-08-27' }] } });
    expect(child(adoption(raw({ id: 'NCN2', hc: 'Mồ côi cả cha và mẹ' }))).groups).toEqual([{ clause: 'a', until: null }]);
    expect(child(adoption(raw({ id: 'NCN3' }))).groups).toEqual([]);
    expect(adoption(raw({ id: 'NCN4', hc: 'Trẻ bị bỏ rơi', ndk: '2021' }))).toMatchObject({ ok: true });
    expect(adoption(raw({ id: 'NCN5', hc: 'Trẻ bị bỏ rơi', ndk: 'hôm qua' }))).toMatchObject({ ok: false, problems: [{ field: 'groups[0].until', code: 'INVALID_DATE' }] });
    expect(() => mapper({ externalId: { from: 'id' }, groups: [{ clause: 'b', until: { from: 'x', parse: 'integer' } }] })).toThrow(/until/);
  });

  it('keeps the raw payload as given', () => {
    const data = { id: 'HS1', ten: ' an ' };
    expect(child(map(raw(data))).raw).toBe(data);
  });

  it('reads the id of a record read in part only when every mapping its record type may take reads it alike', () => {
    const both = mapper(
      { recordType: 'child', sheet: 'A', when: { from: 'loai', equals: 'a' }, externalId: { from: 'id' } },
      { recordType: 'child', sheet: 'B', when: { from: 'ten', present: true }, externalId: { from: 'id' } },
      { recordType: 'facility', externalId: { from: 'ma' }, projections: { facility: [{ fields: { code: { from: 'ma' }, name: { value: 'x' }, type: { value: 'OTHER' }, licenceStatus: { value: 'NONE' } } }] } },
    );
    // No `when` holds on part of a row, but both child mappings read `id`.
    expect(both.externalIdOf({ data: { id: ' HS1 ' }, recordType: 'child' })).toBe('HS1');
    expect(both.externalIdOf({ data: { ma: 'CS-1' }, recordType: 'facility' })).toBe('CS-1');
    expect(both.externalIdOf({ data: {}, recordType: 'child' })).toBeNull();
    // Any mapping (no record type): child and facility ids differ.
    expect(both.externalIdOf({ data: { id: 'HS1', ma: 'CS-1' } })).toBeNull();
  });

  it('flags an unresolved commune without rejecting the record', () => {
    const r = ok(map(raw({ id: 'HS1', xa: '99999' })));
    expect(r.record).toMatchObject({ communeCode: '99999', communeCodeSet: null });
    expect(r.flags).toEqual([{ field: 'communeCode', code: 'COMMUNE_CODE_UNKNOWN', message: expect.stringContaining('not in the 2025 list') }]);
    expect(r.flags[0]!.message).not.toMatch(/kept as given as a pre-2025 code/);
    const byName = ok(map(raw({ id: 'HS1', xa: 'Phường Không Có Thật' })));
    expect(byName.record).toMatchObject({ communeCode: null, communeCodeSet: null });
    expect(byName.flags.map((f) => f.code)).toEqual(['COMMUNE_UNRESOLVED']);
  });

  it('flags an identity number read as a number of fewer than 12 digits, and keeps it as read (QA)', () => {
    const r = ok(map(raw({ id: 'HS1', so: 1203004567 })));
    expect(r.record).toMatchObject({ identityNumber: '1203004567' });
    expect(r.flags).toEqual([{ field: 'identityNumber', code: 'IDENTITY_NUMBER_FROM_NUMBER', message: expect.stringMatching(/^read as a number of 10 digits/) }]);
    expect(ok(map(raw({ id: 'HS1', so: '001203004567' }))).flags).toEqual([]);
  });

  it('flags a text field read from an XLSX date cell, keeping its ISO date: Excel makes dates of text such as a book 01/2022 (QA)', () => {
    const m = mapper({ externalId: { from: 'id' }, projections: { birthRegistration: [{ fields: { book: { from: 'quyen' }, registrationNumber: { from: 'so' } } }] } });
    const r = ok(m(raw({ id: 'KS1', quyen: new Date(Date.UTC(2022, 0, 1)), so: '12' })));
    expect(r.projections).toMatchObject({ birthRegistration: [{ book: '2022-01-01', registrationNumber: '12' }] });
    expect(r.flags).toEqual([{ field: 'projections.birthRegistration[0].book', code: 'TEXT_FROM_DATE_CELL', message: expect.stringContaining('format the column as Text') }]);
    expect(ok(m(raw({ id: 'KS1', quyen: '01/2022', so: '12' }))).flags).toEqual([]);
  });

  it('rejects a record with unparseable values, every problem named, no value in any message', () => {
    const values = { id: 'HS1', gt: 'Khác', ns: '31/02/2015', so: { x: 1 }, nhom: 'Khác', cn: 'hôm qua' };
    const r = map(raw(values));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.externalId).toBe('HS1');
    expect(r.problems.map((p) => [p.field, p.code])).toEqual([
      ['sex', 'INVALID_SEX'],
      ['birthDate', 'INVALID_DATE'],
      ['identityNumber', 'INVALID_IDENTITY_NUMBER'],
      ['sourceUpdatedAt', 'INVALID_DATETIME'],
      ['groups[1].clause', 'INVALID_CLAUSE'],
    ]);
    for (const p of r.problems) {
      for (const v of ['Khác', '31/02/2015', 'hôm qua']) expect(p.message).not.toContain(v);
    }
  });

  it('refuses a spreadsheet error cell where the mapping reads one, and not elsewhere (QA)', () => {
    const m = mapper({
      externalId: { from: 'id' },
      fields: { sex: { from: 'gt' }, birthDate: { from: 'ns' }, fullName: { from: 'ten', map: { a: 'An' }, default: 'Bình' } },
    });
    const r = m(raw({ id: 'F1', gt: new CellError('#DIV/0!'), ns: new CellError('#VALUE!'), ten: new CellError('#N/A'), ghi_chu: new CellError('#REF!') }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      // Read as text before the map looks it up: the record is refused, whatever the default.
      { field: 'fullName', code: 'INVALID_TEXT', message: 'expected text; got an Excel error cell (#N/A)' },
      { field: 'sex', code: 'INVALID_SEX', message: 'expected Nam/Nữ, 1/2, M/F or male/female; got an Excel error cell (#DIV/0!)' },
      { field: 'birthDate', code: 'INVALID_DATE', message: expect.stringContaining('got an Excel error cell (#VALUE!)') },
    ]);
    // A column no mapping reads is no one's concern; an error code outside Excel's own is not repeated.
    expect(child(m(raw({ id: 'F2', gt: 'Nam', ghi_chu: new CellError('#REF!') }))).sex).toBe('MALE');
    expect(new CellError('Nguyễn').describe()).toBe('an Excel error cell');
    expect(JSON.stringify(new CellError('Nguyễn'))).toBe('{"cellError":"error"}');
  });

  it('a missing id is a problem', () => {
    expect(map(raw({ ten: 'An' }))).toMatchObject({ ok: false, externalId: null, problems: [{ field: 'externalId', code: 'REQUIRED' }] });
  });
});

describe('projections', () => {
  const map = mapper({
    externalId: { from: 'id' },
    fields: { fullName: { from: 'ten' } },
    projections: {
      vaccination: [
        {
          each: '_include.immunizations[*]',
          when: { from: 'status', equals: 'completed' },
          fields: {
            vaccineCode: { from: 'vaccineCode.coding[0].code' },
            vaccineName: { join: ['vaccineCode.text', '$.ten'], separator: ' / ' },
            occurredOn: { from: 'occurrenceDateTime' },
            doseNumber: { from: 'protocolApplied[0].doseNumberPositiveInt' },
            status: { value: 'COMPLETED' },
          },
        },
      ],
      healthScreening: [{ when: { from: 'kham', present: true }, fields: { kind: { value: 'GENERAL' }, screenedOn: { from: 'kham' } } }],
    },
  });

  it('one projection per `each` element, `$.` reading the record root, `when` per element', () => {
    const r = ok(
      map(
        raw({
          id: 'P1',
          ten: 'An',
          _include: {
            immunizations: [
              { status: 'completed', vaccineCode: { coding: [{ code: 'BCG' }], text: 'Lao' }, occurrenceDateTime: '2015-03-05T09:00:00+07:00', protocolApplied: [{ doseNumberPositiveInt: 1 }] },
              { status: 'not-done', vaccineCode: { coding: [{ code: 'VGB' }] } },
              { status: 'completed', vaccineCode: { coding: [{ code: 'DPT' }] }, protocolApplied: [{ doseNumberPositiveInt: '2' }] },
            ],
          },
        }),
      ),
    );
    expect(r.projections).toEqual({
      vaccination: [
        { vaccineCode: 'BCG', vaccineName: 'Lao / An', occurredOn: '2015-03-05', doseNumber: 1, status: 'COMPLETED', performer: null },
        { vaccineCode: 'DPT', vaccineName: 'An', occurredOn: null, doseNumber: 2, status: 'COMPLETED', performer: null },
      ],
      healthScreening: [],
    });
  });

  it('a projection missing a required field rejects the record', () => {
    const r = map(raw({ id: 'P1', _include: { immunizations: [{ status: 'completed' }] } }));
    expect(r).toMatchObject({ ok: false, problems: [{ field: 'projections.vaccination[0].vaccineCode', code: 'REQUIRED' }] });
  });

  it('fills fields a mapping leaves out with null, and never-null booleans with false', () => {
    const m = mapper({ externalId: { value: 'x' }, projections: { schoolEnrolment: [{ fields: { studentCode: { value: 'S' }, status: { value: 'STUDYING' } } }] } });
    expect(ok(m(raw({}))).projections.schoolEnrolment).toEqual([
      { studentCode: 'S', schoolYear: null, schoolCode: null, schoolName: null, level: null, grade: null, className: null, status: 'STUDYING', inclusiveEducation: false },
    ]);
  });
});

describe('choosing the mapping', () => {
  const map = mapper(
    { recordType: 'child', when: { from: 'LOAI', equals: 'KS' }, externalId: { from: 'id' }, fields: { fullName: { from: 'ten' } } },
    { recordType: 'child', when: { from: 'LOAI', equals: 'NCN' }, externalId: { from: 'id' }, fields: { fullName: { from: 'ten_con' } } },
    { recordType: 'facility', sheet: 'Cơ sở', externalId: { from: 'ma' }, projections: { facility: [{ fields: { code: { from: 'ma' }, name: { from: 'ten' }, type: { value: 'OTHER' }, licenceStatus: { value: 'UNKNOWN' } } }] } },
  );

  it('by the raw record type (or sheet), then the first `when` that holds', () => {
    // (Names of two letters: one letter is no name, a ticked blank.)
    expect(child(map(raw({ LOAI: 'NCN', id: '1', ten: 'an', ten_con: 'bo' }, 'child'))).fullName).toBe('Bo');
    expect(child(map(raw({ LOAI: 'KS', id: '1', ten: 'an' })))).toMatchObject({ fullName: 'An' });
    const facility = ok(map(raw({ ma: 'CS-1', ten: 'Mái ấm' }, 'facility')));
    expect(facility).toMatchObject({ type: 'facility', record: null, externalId: 'CS-1', projections: { facility: [{ code: 'CS-1', name: 'Mái ấm' }] } });
    expect(ok(map(raw({ ma: 'CS-1', ten: 'Mái ấm' }, 'Cơ sở'))).type).toBe('facility');
  });

  it('a record no mapping takes is a problem, told with its id when the mappings that could take it read it alike', () => {
    expect(map(raw({ LOAI: 'KHAC', id: '1' }, 'child'))).toMatchObject({ ok: false, externalId: '1', problems: [{ code: 'NO_MAPPING' }] });
    expect(map(raw({ id: '1' }, 'school'))).toMatchObject({ ok: false, externalId: null, problems: [{ code: 'NO_MAPPING' }] });
    // Mappings reading the id differently: none is the record's.
    const apart = mapper(
      { recordType: 'child', when: { from: 'LOAI', equals: 'KS' }, externalId: { from: 'id' } },
      { recordType: 'child', when: { from: 'LOAI', equals: 'NCN' }, externalId: { from: 'so' } },
    );
    expect(apart(raw({ LOAI: 'KHAC', id: '1', so: '2' }, 'child'))).toMatchObject({ ok: false, externalId: null, problems: [{ code: 'NO_MAPPING' }] });
  });

  it('says which columns the `when` tests read, and which of them the record has empty (QA: an empty name said only NO_MAPPING), never a value', () => {
    const message = (r: ReturnType<typeof map>) => (r.ok ? null : r.problems[0]!.message);
    expect(message(map(raw({ LOAI: 'KHAC', id: '1' }, 'child')))).toBe('no mapping of record type "child" takes this record: the `when` of each tests «LOAI»');
    expect(message(map(raw({ LOAI: ' ', id: '1' }, 'child')))).toBe('no mapping of record type "child" takes this record: the `when` of each tests «LOAI», of which «LOAI» is empty or missing here');
    const names = mapper(
      { recordType: 'child', when: { from: 'Họ và tên con nuôi', present: true }, externalId: { from: 'id' } },
      { recordType: 'child', when: { from: 'Họ và tên', present: true }, externalId: { from: 'id' } },
    );
    expect(message(names(raw({ id: '1', 'Họ và tên': '' }, 'child')))).toBe(
      'no mapping of record type "child" takes this record: the `when` of each tests «Họ và tên con nuôi», «Họ và tên», of which all are empty or missing here');
    // As a file's record comes: its empty cells left out (QA re-check: «Họ và tên», a prefix of the other, was dropped).
    expect(message(names(raw({ id: '1' }, 'child')))).toBe(
      'no mapping of record type "child" takes this record: the `when` of each tests «Họ và tên con nuôi», «Họ và tên», of which all are empty or missing here');
    // A file's header may hold a dot: its empty cell is told (QA second re-check); a nested record's path is not claimed empty.
    const dotted = mapper({ recordType: 'child', when: { from: 'Người đ.diện', present: true }, externalId: { from: 'id' } });
    expect(message(dotted(raw({ id: '1' }, 'child')))).toBe(
      'no mapping of record type "child" takes this record: the `when` of its mapping tests «Người đ.diện», of which «Người đ.diện» is empty or missing here');
    const nested = mapper({ recordType: 'child', when: { from: 'patient.name[0].text', present: true }, externalId: { from: 'id' } });
    expect(message(nested(raw({ id: '1', patient: { name: [] } }, 'child')))).toBe(
      'no mapping of record type "child" takes this record: the `when` of its mapping tests «patient.name[0].text»');
    // A mapping without a `when` takes every record of its type: nothing to tell.
    expect(message(map(raw({ id: '1' }, 'school')))).toBe('no mapping of record type "school" takes this record');
  });
});

describe('identify', () => {
  it('gives the external id of a raw child record without mapping it, and null when no child record with an id would come out', () => {
    const map = mapper(
      { recordType: 'child', when: { from: 'LOAI', equals: 'KS' }, externalId: { from: 'id' }, fields: { fullName: { from: 'ten' } } },
      { recordType: 'facility', sheet: 'Cơ sở', externalId: { from: 'ma' }, projections: { facility: [{ fields: { code: { from: 'ma' }, name: { from: 'ten' }, type: { value: 'OTHER' }, licenceStatus: { value: 'UNKNOWN' } } }] } },
    );
    const kid = raw({ LOAI: 'KS', id: 'S-1', ten: 'lê an' });
    expect(map.identify(kid)).toBe('S-1');
    expect(map.identify(kid)).toBe(ok(map(kid)).externalId);
    expect(map.identify(raw({ LOAI: 'KS', ten: 'no id' }))).toBeNull();
    expect(map.identify(raw({ LOAI: 'OTHER', id: 'S-2' }))).toBeNull();
    expect(map.identify(raw({ ma: 'CS-1', ten: 'Mái ấm' }, 'Cơ sở'))).toBeNull();
  });
});

describe('dates that contradict each other (DATES_INCONSISTENT)', () => {
  const birth = mapper({
    externalId: { from: 'Mã hồ sơ' },
    fields: { fullName: { from: 'Họ và tên' }, birthDate: { from: 'Ngày sinh' } },
    projections: { birthRegistration: [{ fields: { registrationNumber: { from: 'Số đăng ký' }, registeredOn: { from: 'Ngày đăng ký' } } }] },
  });
  const row = (ngaySinh: string, ngayDangKy: string) => raw({ 'Mã hồ sơ': 'KS1', 'Họ và tên': 'Nguyễn An', 'Ngày sinh': ngaySinh, 'Ngày đăng ký': ngayDangKy, 'Số đăng ký': '1' });

  it('flags a birth registered before the birth, keeping both dates as given, naming the fields and never the dates (QA)', () => {
    const r = ok(birth(row('15/03/2019', '20/03/2018')));
    expect(r.record).toMatchObject({ birthDate: '2019-03-15', birthDatePrecision: 'DAY' });
    expect(r.projections.birthRegistration).toEqual([expect.objectContaining({ registeredOn: '2018-03-20' })]);
    expect(r.flags).toEqual([
      {
        field: 'birthDate',
        code: 'DATES_INCONSISTENT',
        message:
          'the birth date (birthDate, read from «Ngày sinh») is after the birth registration date (projections.birthRegistration[0].registeredOn, read from «Ngày đăng ký»): one of the two dates is wrong; both are kept as the source gave them',
      },
    ]);
    expect(r.flags[0]!.message).not.toMatch(/2018|2019|03/);
    // Stored like any record: a flag is no reason to refuse it.
    expect(validateSourceRecord(r.record!).ok).toBe(true);
  });

  it('compares at the precision each date is known', () => {
    expect(ok(birth(row('15/03/2018', '15/03/2018'))).flags).toEqual([]);
    expect(ok(birth(row('15/03/2018', '20/03/2018'))).flags).toEqual([]);
    // A year or month of birth is after a date only when all of it is.
    expect(ok(birth(row('2018', '01/06/2018'))).flags).toEqual([]);
    expect(ok(birth(row('03/2018', '01/03/2018'))).flags).toEqual([]);
    expect(ok(birth(row('2018', '31/12/2017'))).flags.map((f) => f.code)).toEqual(['DATES_INCONSISTENT']);
    expect(ok(birth(row('03/2018', '28/02/2018'))).flags.map((f) => f.code)).toEqual(['DATES_INCONSISTENT']);
    // No birth date, or no second date: nothing to compare.
    expect(ok(birth(row('', '20/03/2018'))).flags).toEqual([]);
    expect(ok(birth(row('15/03/2019', ''))).flags).toEqual([]);
  });

  it('checks adoption registrations, placements, screenings, vaccinations and assessments too, once per date field', () => {
    const map = mapper({
      externalId: { from: 'id' },
      fields: { birthDate: { from: 'ns' } },
      projections: {
        adoptionRegistration: [{ fields: { registrationNumber: { value: '1' }, registeredOn: { from: 'nuoi' } } }],
        placement: [{ fields: { facilityCode: { value: 'CS-1' }, startedOn: { from: 'nhan' }, seenOn: { from: 'kt' } } }],
        vaccination: [{ each: 'tiem[*]', fields: { vaccineCode: { from: 'ma' }, status: { value: 'COMPLETED' }, occurredOn: { from: 'ngay' } } }],
        healthScreening: [{ fields: { kind: { value: 'GENERAL' }, screenedOn: { from: 'kham' } } }],
        disability: [{ fields: { assessedOn: { from: 'dg' } } }],
      },
    });
    const before = '01/01/2014';
    const r = ok(map(raw({ id: 'X', ns: '2015', nuoi: before, nhan: before, kt: '01/06/2015', tiem: [{ ma: 'BCG', ngay: before }, { ma: 'VGB', ngay: before }], kham: before, dg: before })));
    // One flag for the two vaccinations; none for the date seen there, after the birth year.
    expect(r.flags.map((f) => f.message.match(/is after (.+?) \(/)![1])).toEqual([
      'the screening date',
      'the vaccination date',
      'the disability assessment date',
      "the adoption's registration date",
      'the date taken in',
    ]);
    expect(new Set(r.flags.map((f) => `${f.field} ${f.code}`))).toEqual(new Set(['birthDate DATES_INCONSISTENT']));
    expect(ok(map(raw({ id: 'X', ns: '2015', nuoi: '2016', nhan: '01/01/2015', kt: '01/06/2015', tiem: [{ ma: 'BCG', ngay: '2015' }], kham: '31/12/2015', dg: '2015' }))).flags).toEqual([]);
  });

  describe('a birth date read from a date column, else a year column (facility inspection, QA)', () => {
    const inspection = mapper({
      externalId: { from: 'Mã phiếu' },
      fields: { birthDate: { firstOf: ['Ngày sinh', 'Năm sinh'] } },
      projections: { placement: [{ fields: { facilityCode: { from: 'Mã cơ sở' }, startedOn: { from: 'Ngày tiếp nhận' } } }] },
    });
    const child = (cells: Record<string, unknown>) => ok(inspection(raw({ 'Mã phiếu': 'K1', 'Mã cơ sở': 'CS-1', ...cells })));

    it('flags a day of birth whose year is not the birth year the row also gives; the day is kept', () => {
      const r = child({ 'Ngày sinh': new Date(Date.UTC(2015, 2, 15)), 'Năm sinh': 2014 });
      expect(r.record).toMatchObject({ birthDate: '2015-03-15', birthDatePrecision: 'DAY' });
      expect(r.flags).toEqual([
        { field: 'birthDate', code: 'DATES_INCONSISTENT', message: 'birthDate reads «Ngày sinh» and «Năm sinh», which give different dates: «Ngày sinh» is kept' },
      ]);
      expect(child({ 'Ngày sinh': '15/03/2015', 'Năm sinh': '2015' }).flags).toEqual([]);
      expect(child({ 'Ngày sinh': '15/03/2015' }).flags).toEqual([]);
      expect(child({ 'Năm sinh': 2014 }).flags).toEqual([]);
      // A year column that does not read as a year is not the value, and not a problem (as before).
      expect(child({ 'Ngày sinh': '15/03/2015', 'Năm sinh': 'năm 2014' }).flags).toEqual([]);
    });

    it('flags a child taken in before its birth year (QA: 2014-01-01, born 2015), not one taken in during that year', () => {
      const r = child({ 'Năm sinh': 2015, 'Ngày tiếp nhận': new Date(Date.UTC(2014, 0, 1)) });
      expect(r.record).toMatchObject({ birthDate: '2015-01-01', birthDatePrecision: 'YEAR' });
      expect(r.flags).toEqual([
        {
          field: 'birthDate',
          code: 'DATES_INCONSISTENT',
          message:
            'the birth date (birthDate, read from «Ngày sinh» or «Năm sinh») is after the date taken in (projections.placement[0].startedOn, read from «Ngày tiếp nhận»): one of the two dates is wrong; both are kept as the source gave them',
        },
      ]);
      expect(child({ 'Năm sinh': 2015, 'Ngày tiếp nhận': new Date(Date.UTC(2015, 2, 1)) }).flags).toEqual([]);
    });

    it('says how much of a projection\'s date is known: a year or a month is not passed off as its first day (QA)', () => {
      const placement = (taken: string) => child({ 'Ngày tiếp nhận': taken }).projections.placement![0] as unknown as Record<string, unknown>;
      expect(placement('2023')).toMatchObject({ facilityCode: 'CS-1', startedOn: '2023-01-01', startedOnPrecision: 'YEAR' });
      expect(placement('03/2024')).toMatchObject({ startedOn: '2024-03-01', startedOnPrecision: 'MONTH' });
      // A day says nothing more: most dates, and the records stored before, read as days.
      expect(placement('05/03/2024')).toMatchObject({ startedOn: '2024-03-05' });
      expect(placement('05/03/2024')).not.toHaveProperty('startedOnPrecision');
      // The store takes them.
      expect(new ProjectionWriter().check('child', child({ 'Ngày tiếp nhận': '2023' }).projections)).toEqual([]);
    });
  });
});

describe('a column read twice with one parse (a field and its projection\'s)', () => {
  // Parsed once a record (the last parse of a column is kept), each value still says its own problems and flags.
  const map = mapper({
    externalId: { from: 'id' },
    fields: { fatherName: { from: 'cha' }, communeCode: { from: 'xa' } },
    projections: {
      birthRegistration: [{ fields: { registrationNumber: { from: 'id' }, fatherName: { from: 'cha' }, communeCode: { from: 'xa' } } }],
    },
  });
  const birth = (r: MappedRecord) => ok(r).projections.birthRegistration?.[0];

  it('gives every record its own values, however records alternate', () => {
    const rows = [
      { id: 'KS1', cha: 'TRẦN VĂN BA', xa: '00004' },
      { id: 'KS2', cha: 'lê văn nam', xa: '00008' },
      { id: 'KS3', cha: 'TRẦN VĂN BA', xa: '00004' },
      { id: 'KS4', xa: '00008' },
    ];
    const mapped = rows.map((row) => map(raw(row)));
    expect(mapped.map((r) => [child(r).fatherName, child(r).communeCode, birth(r)?.fatherName, birth(r)?.communeCode])).toEqual([
      ['Trần Văn Ba', '00004', 'Trần Văn Ba', '00004'],
      ['Lê Văn Nam', '00008', 'Lê Văn Nam', '00008'],
      ['Trần Văn Ba', '00004', 'Trần Văn Ba', '00004'],
      [null, '00008', null, '00008'],
    ]);
  });

  it('tells a flag of the value once for each place it is read, as before', () => {
    const r = ok(map(raw({ id: 'KS5', cha: 'Trần Văn Ba', xa: '99999' })));
    expect(r.flags.map((f) => [f.field, f.code])).toEqual([
      ['communeCode', 'COMMUNE_CODE_UNKNOWN'],
      ['projections.birthRegistration[0].communeCode', 'COMMUNE_CODE_UNKNOWN'],
    ]);
    // The next record, with a known commune, has no flag left over.
    expect(ok(map(raw({ id: 'KS6', cha: 'Trần Văn Ba', xa: '00004' }))).flags).toEqual([]);
  });
});
