import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FACILITY_TABLE, INSPECTION_TABLE, RECORD_PROJECTION_TABLES } from '../../services/projections/projection-tables.js';
import { PROJECTION_FIELDS, type FieldTarget } from './field-targets.js';
import { recordMappingSchema, recordMappingsSchema } from './mapping.schema.js';

const FIXTURES = new URL('./__fixtures__/', import.meta.url);

/** The issues of a refused mapping as `path: message` lines. */
function issues(input: unknown): string[] {
  const r = recordMappingSchema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const minimal = { externalId: { from: 'id' } };

describe('recordMappingSchema', () => {
  it('accepts the example mappings and applies defaults', () => {
    for (const name of ['school', 'health-station', 'justice-register', 'facility-inspection']) {
      const yaml = readFileSync(new URL(`${name}.mapping.yaml`, FIXTURES), 'utf8');
      const r = recordMappingsSchema.safeParse(parseYaml(yaml));
      expect(r.success, `${name}: ${r.success ? '' : JSON.stringify(r.error.issues)}`).toBe(true);
    }
    expect(recordMappingSchema.parse(minimal).recordType).toBe('child');
  });

  it('accepts the docs/connectors.md example', () => {
    const yaml = `
recordType: child
sheet: "Trẻ em"
externalId: { from: ma_dinh_danh_hoc_sinh }
fields:
  fullName: { from: ho_ten }
  sex: { from: gioi_tinh, parse: sex }
  birthDate: { from: ngay_sinh, parse: date, formats: ["dd/MM/yyyy"] }
  communeCode: { from: ma_xa_thuong_tru, parse: commune }
  identityNumber: { from: so_dinh_danh_ca_nhan, parse: identityNumber }
  fatherName: { from: ho_ten_cha, parse: name }
  sourceUpdatedAt: { from: ngay_cap_nhat, parse: datetime }
groups:
  - clause: d
    when: { from: khuyet_tat, equals: true }
    subType: { from: dang_khuyet_tat }
  - clause: { from: "Hoàn cảnh", map: { "Bị bỏ rơi": b, "Mồ côi cả cha và mẹ": a }, default: null }
    since: { from: "Ngày tiếp nhận", parse: date }
projections:
  schoolEnrolment:
    - fields:
        studentCode: { from: ma_dinh_danh_hoc_sinh }
        status: { from: trang_thai, map: { "Đang học": STUDYING, "Thôi học": DROPPED_OUT } }
  vaccination:
    - each: "_include.immunizations[*]"
      fields:
        vaccineCode: { from: "vaccineCode.coding[0].code" }
        occurredOn: { from: occurrenceDateTime, parse: date }
        status: { value: COMPLETED }
      when: { from: status, equals: completed }
`;
    expect(issues(parseYaml(yaml))).toEqual([]);
  });

  it('refuses a bad path, naming where it is and what is wrong', () => {
    expect(issues({ ...minimal, fields: { sex: { from: 'a..b' } } })).toEqual([
      expect.stringMatching(/^fields\.sex\.from: invalid path "a\.\.b" at 3: a key is missing before "\."/),
    ]);
    expect(issues({ ...minimal, fields: { fullName: { join: ['ho', 'ten[', { from: 'x' }] } } })).toEqual([
      expect.stringMatching(/^fields\.fullName\.join\.1: invalid path "ten\[" at 4: unclosed "\["/),
    ]);
    expect(issues({ ...minimal, projections: { vaccination: [{ each: 'a[=1]', fields: { vaccineCode: { from: 'c' }, status: { value: 'COMPLETED' } } }] } })).toEqual([
      expect.stringMatching(/^projections\.vaccination\.0\.each: invalid path/),
    ]);
  });

  it('refuses unknown keys, fields and projection kinds', () => {
    expect(issues({ ...minimal, fields: { ten: { from: 'x' } } })).toEqual(['fields: Unrecognized key: "ten"']);
    expect(issues({ ...minimal, fields: { sex: { frm: 'x' } } })).toContain('fields.sex: Unrecognized key: "frm"');
    expect(issues({ ...minimal, projections: { school: [] } })).toEqual(['projections: Unrecognized key: "school"']);
    expect(issues({ ...minimal, birthDatePrecision: { value: 'DAY' } })).toEqual([': Unrecognized key: "birthDatePrecision"']);
  });

  it('refuses a value with no source or two, and transforms that do not combine', () => {
    expect(issues({ ...minimal, fields: { sex: { parse: 'sex' } } })).toEqual(['fields.sex: a value needs one of from, value, join, firstOf']);
    expect(issues({ ...minimal, fields: { sex: { from: 'a', value: 'Nam' } } })).toEqual(['fields.sex: a value takes only one of from, value']);
    expect(issues({ ...minimal, fields: { birthDateEstimated: { from: 'a', equals: 1, present: true } } })).toEqual([
      'fields.birthDateEstimated: a value takes only one of equals, present',
    ]);
    expect(issues({ ...minimal, fields: { fullName: { from: 'a', default: 'x' } } })).toEqual(['fields.fullName.default: `default` belongs to `map`']);
    expect(issues({ ...minimal, fields: { fullName: { from: 'a', separator: ' ' } } })).toEqual(['fields.fullName.separator: `separator` belongs to `join`']);
  });

  it('refuses a parse that does not fit the field, and options of another parse', () => {
    expect(issues({ ...minimal, fields: { sex: { from: 'a', parse: 'date' } } })).toEqual(['fields.sex.parse: this field takes parse sex']);
    expect(issues({ ...minimal, fields: { fullName: { from: 'a', formats: ['yyyy'] } } })).toEqual(['fields.fullName.formats: `formats` needs parse: date or datetime']);
    expect(issues({ ...minimal, fields: { birthDate: { from: 'a', codeSet: 'VN-2025' } } })).toEqual(['fields.birthDate.codeSet: `codeSet` needs parse: commune']);
    expect(issues({ ...minimal, fields: { birthDate: { from: 'a', formats: ['dd/mm/yy'] } } })).toEqual([
      expect.stringMatching(/^fields\.birthDate\.formats\.0: Invalid option/),
    ]);
    expect(issues({ ...minimal, fields: { fullName: { from: 'a', equals: 'x' } } })).toEqual([
      'fields.fullName: a test (equals, contains, in, present) gives a boolean; this field is not one',
    ]);
    // A value's own parse that takes no formats (or codeSet): said once (QA: printed twice), with the parse the field refuses.
    expect(issues({ ...minimal, fields: { birthDate: { from: 'a', formats: ['dd/MM/yyyy'], parse: 'sex' } } })).toEqual([
      'fields.birthDate.formats: `formats` needs parse: date or datetime',
      'fields.birthDate.parse: this field takes parse date',
    ]);
    expect(issues({ ...minimal, fields: { communeCode: { from: 'a', codeSet: 'VN-2025', parse: 'text' } } })).toEqual([
      'fields.communeCode.codeSet: `codeSet` needs parse: commune',
      'fields.communeCode.parse: this field takes parse commune',
    ]);
    // A firstOf element read as the field reads it (QA re-check: its `formats` passed), or as the firstOf's own parse.
    expect(issues({ ...minimal, fields: { fullName: { firstOf: [{ from: 'a', parse: 'text', formats: ['dd/MM/yyyy'] }, { from: 'b', formats: ['dd/MM/yyyy'] }] } } })).toEqual([
      'fields.fullName.firstOf.0.formats: `formats` needs parse: date or datetime',
      'fields.fullName.firstOf.1.formats: `formats` needs parse: date or datetime',
    ]);
    expect(issues({ ...minimal, fields: { birthDate: { firstOf: [{ from: 'a', formats: ['yyyy'] }, 'b'] } } })).toEqual([]);
    // A name field may keep text as written; a map may give any field its values.
    expect(issues({ ...minimal, fields: { carerName: { from: 'a', parse: 'text' }, sex: { from: 'b', map: { Trai: 'MALE' } } } })).toEqual([]);
  });

  it('refuses a `when` that is not a test', () => {
    expect(issues({ ...minimal, groups: [{ clause: 'd', when: { from: 'khuyet_tat' } }] })).toEqual([
      'groups.0.when: `when` needs a test (equals, contains, in, present) or parse: boolean',
    ]);
    expect(issues({ ...minimal, groups: [{ clause: 'd', when: { from: 'khuyet_tat', parse: 'boolean' } }] })).toEqual([]);
  });

  it('refuses unknown clause letters and projection fields, and requires the starred ones', () => {
    expect(issues({ ...minimal, groups: [{ clause: 'f' }] })).toEqual([
      'groups.0.clause: must be a clause letter (a, b, c, d, đ, e, g, h, i, k, l, m, n, o) or a value giving one, e.g. { from: column, map: { … } }',
    ]);
    expect(issues({ ...minimal, projections: { schoolEnrolment: [{ fields: { studentCode: { from: 'a' } } }] } })).toEqual([
      'projections.schoolEnrolment.0.fields.status: Invalid input: expected object, received undefined',
    ]);
    expect(issues({ ...minimal, projections: { placement: [{ fields: { facilityCode: { from: 'a' }, room: { from: 'b' } } }] } })).toEqual([
      'projections.placement.0.fields: Unrecognized key: "room"',
    ]);
  });

  it('refuses a constant a field with a closed list of values cannot store, wherever the value gives it', () => {
    const enrolment = (status: unknown) => ({ ...minimal, projections: { schoolEnrolment: [{ fields: { studentCode: { from: 'a' }, status } }] } });
    const allowed = 'is not a value this field takes: allowed STUDYING, DROPPED_OUT';
    expect(issues(enrolment({ from: 'gioi_tinh', map: { Nam: 'STUDYNG', Nữ: 'DROPPED_OUT', x: null }, default: 'GONE' }))).toEqual([
      `projections.schoolEnrolment.0.fields.status.map.Nam: "STUDYNG" ${allowed}`,
      `projections.schoolEnrolment.0.fields.status.default: "GONE" ${allowed}`,
    ]);
    expect(issues(enrolment({ value: 'studying' }))).toEqual([`projections.schoolEnrolment.0.fields.status.value: "studying" ${allowed}`]);
    expect(issues(enrolment({ firstOf: ['a', { value: 'STUDYING', when: { from: 'b', present: true } }, { value: 1 }] }))).toEqual([
      `projections.schoolEnrolment.0.fields.status.firstOf.2.value: 1 ${allowed}`,
    ]);
    // Reported whatever else is wrong with the projection (here: a required field missing).
    expect(issues({ ...minimal, projections: { vaccination: [{ fields: { status: { value: 'DONE' } } }] } })).toEqual([
      'projections.vaccination.0.fields.vaccineCode: Invalid input: expected object, received undefined',
      'projections.vaccination.0.fields.status.value: "DONE" is not a value this field takes: allowed COMPLETED, NOT_DONE',
    ]);
    // The allowed values (trimmed, as the mapper writes text), a null result, and values read from the source unmapped.
    expect(issues(enrolment({ from: 's', map: { a: ' STUDYING ', b: null }, default: 'DROPPED_OUT' }))).toEqual([]);
    expect(issues(enrolment({ from: 's' }))).toEqual([]);
  });

  it('refuses a constant that does not read as its field\'s kind, so a definition mistake is not a sync failure or a quarantine of valid rows (QA)', () => {
    const sex = 'is not a value this field takes: expected Nam/Nữ, 1/2, M/F or male/female';
    expect(issues({ ...minimal, fields: { sex: { value: 'Q' }, birthDate: { value: 'not a date' }, fullName: { from: 'Họ', map: { a: 'An' }, default: 3 } } })).toEqual([
      'fields.fullName.default: 3 is not a value this field takes: expected a name; got a whole number',
      `fields.sex.value: "Q" ${sex}; got text of 1 character (letters) (stored as MALE or FEMALE: the hub records no other)`,
      'fields.birthDate.value: "not a date" is not a value this field takes: expected a date in one of the formats tried, d/M/yyyy, yyyy-MM-dd, yyyyMMdd, d-M-yyyy, d.M.yyyy, M/yyyy, yyyy, fhir (the default: a mapping names others with `formats`), optionally followed by a time, or a date cell; got text of 10 characters (letters, spaces)',
    ]);
    // A map's results are read as the field's kind: the source value is not to blame for them.
    expect(issues({ ...minimal, fields: { sex: { from: 'GT', map: { Trai: 'MALE', Gái: 'Nữ', Khác: 'OTHER' } } } })).toEqual([
      `fields.sex.map.Khác: "OTHER" ${sex}; got text of 5 characters (letters) (stored as MALE or FEMALE: the hub records no other)`,
    ]);
    // A clause letter, as the mapper compares it (any case), from a map, a default or firstOf.
    expect(issues({ ...minimal, groups: [{ clause: { from: 'HC', map: { x: 'q', y: 'D', z: 'đ' }, default: 'ư' } }] })).toEqual([
      'groups.0.clause.map.x: "q" is not a value this field takes: allowed a, b, c, d, đ, e, g, h, i, k, l, m, n, o',
      'groups.0.clause.default: "ư" is not a value this field takes: allowed a, b, c, d, đ, e, g, h, i, k, l, m, n, o',
    ]);
    // A date format a constant follows, a group's dates, and firstOf elements read as the field reads them.
    expect(issues({ ...minimal, fields: { birthDate: { firstOf: ['a', { value: '2015' }], formats: ['yyyy'] } }, groups: [{ clause: 'a', since: { value: '2020-01-01' } }] })).toEqual([]);
    expect(issues({ ...minimal, fields: { birthDate: { firstOf: ['a', { value: '01/02/2015' }], formats: ['yyyy'] } } })).toEqual([
      'fields.birthDate.firstOf.1.value: "01/02/2015" is not a value this field takes: expected a date in one of the formats tried, yyyy (the mapping\'s `formats`), optionally followed by a time, or a date cell; got text of 10 characters (digits, \'/\')',
    ]);
    // An element with its own parse reads its constant so (QA re-check: refused though the mapper takes it).
    expect(issues({ ...minimal, fields: { birthDate: { firstOf: ['a', { value: '01/02/2015', parse: 'date', formats: ['dd/MM/yyyy'] }], formats: ['yyyy'] } } })).toEqual([]);
    // A clause letter is lower-cased by the mapper, not trimmed.
    expect(issues({ ...minimal, groups: [{ clause: { from: 'HC', map: { y: 'd ' } } }] })).toEqual([
      'groups.0.clause.map.y: "d " is not a value this field takes: allowed a, b, c, d, đ, e, g, h, i, k, l, m, n, o',
    ]);
  });

  it('tells every problem of a mapping at once, each part checked whatever is wrong beside it (QA: a clause `x` hid a sex `X`)', () => {
    expect(issues({
      externalId: 3, fields: { sex: { value: 'X' } }, groups: [{ clause: 'x', when: { from: 'a' } }, { clause: { from: 'a', map: { a: 'q' } } }], when: { from: 'a' },
    })).toEqual([
      'when: `when` needs a test (equals, contains, in, present) or parse: boolean',
      'externalId: Invalid input: expected object, received number',
      'fields.sex.value: "X" is not a value this field takes: expected Nam/Nữ, 1/2, M/F or male/female; got text of 1 character (letters) (stored as MALE or FEMALE: the hub records no other)',
      'groups.0.clause: must be a clause letter (a, b, c, d, đ, e, g, h, i, k, l, m, n, o) or a value giving one, e.g. { from: column, map: { … } }',
      'groups.0.when: `when` needs a test (equals, contains, in, present) or parse: boolean',
      'groups.1.clause.map.a: "q" is not a value this field takes: allowed a, b, c, d, đ, e, g, h, i, k, l, m, n, o',
    ]);
    // The rules between parts, on parts of any shape, and on no mapping at all (QA re-check: null crashed validate).
    for (const notAMapping of [null, 3, 'x', []]) expect(issues(notAMapping)).toEqual([expect.stringMatching(/^: Invalid input: expected object, received/)]);
    expect(recordMappingsSchema.safeParse([minimal, null]).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['1: Invalid input: expected object, received null']);
    expect(issues({ ...minimal, recordType: 'facility', fields: null, groups: 'x' })).toEqual([
      'fields: Invalid input: expected object, received null',
      'groups: Invalid input: expected array, received string',
      'fields: a facility record has no child fields; use projections',
      'groups: a facility record has no group evidence',
    ]);
  });

  it('says what a constant or a part of a value must be, and what it got (QA re-check: "Invalid input")', () => {
    const scalar = 'must be a constant: text, a number or true/false; got';
    expect(issues({ ...minimal, fields: { fullName: { value: {} }, familyName: { value: [1, 2] }, givenName: { value: null }, sex: { from: 'a', map: { x: ['M'] } } } })).toEqual([
      `fields.fullName.value: ${scalar} a map`,
      `fields.familyName.value: ${scalar} a list`,
      `fields.givenName.value: ${scalar} null (nothing)`,
      `fields.sex.map.x: ${scalar} a list`,
    ]);
    expect(issues({ ...minimal, fields: { fullName: { firstOf: [null, 3] } }, groups: [{ clause: ['d'] }] })).toEqual([
      'fields.fullName.firstOf.0: must be a path (text) or a value ({ from: … }, { value: … }); got null (nothing)',
      'fields.fullName.firstOf.1: must be a path (text) or a value ({ from: … }, { value: … }); got a number',
      'groups.0.clause: must be a clause letter (a, b, c, d, đ, e, g, h, i, k, l, m, n, o) or a value giving one, e.g. { from: column, map: { … } }',
    ]);
  });

  it('refuses a constant the store would refuse or flag in every record: too long, a birth date to come, a commune the lists do not know (QA)', () => {
    const long = (n: number) => 'Nguyễn Văn ' + 'a'.repeat(n);
    expect(issues({
      ...minimal,
      fields: { fullName: { value: long(200) }, birthDate: { value: '2090' }, communeCode: { value: 'Xã Không Có' } },
      groups: [{ clause: 'a', subType: { value: 'x'.repeat(51) } }],
    })).toEqual([
      'fields.fullName.value: "Nguyễn Văn aaaaaaaaaaaaaaaaaaa"… (211 characters) is not a value this field takes: longer than the 200 characters the store keeps',
      'fields.birthDate.value: "2090" is not a value this field takes: is after today (a birth date cannot be in the future)',
      expect.stringMatching(/^fields\.communeCode\.value: "Xã Không Có" is not a value this field takes: .*\(every record would be flagged COMMUNE_UNRESOLVED\); give the commune.s 2025 code or its name as the 2025 list writes it$/),
      'groups.0.subType.value: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… (51 characters) is not a value this field takes: longer than the 50 characters the store keeps',
    ]);
    // At the limits, and a commune the 2025 list knows, or a pre-2025 code it maps.
    expect(issues({
      ...minimal,
      fields: { fullName: { value: long(189) }, birthDate: { value: '2015' }, communeCode: { value: '00004' } },
      groups: [{ clause: 'a', subType: { value: 'x'.repeat(50) } }],
    })).toEqual([]);
    // A clause letter written in capitals, as the mapper takes it.
    expect(issues({ ...minimal, groups: [{ clause: 'D' }, { clause: 'Đ' }] })).toEqual([]);
  });

  it('knows the closed lists of values the store checks, field by field', () => {
    for (const table of [...RECORD_PROJECTION_TABLES, FACILITY_TABLE, INSPECTION_TABLE]) {
      const targets = PROJECTION_FIELDS[table.kind] as Record<string, FieldTarget>;
      // A date's precision is not mapped: the date's parse gives it.
      for (const column of table.columns) {
        if (column.precisionOf) expect(targets[column.field], `${table.kind}.${column.field}`).toBeUndefined();
        else expect(targets[column.field]?.oneOf, `${table.kind}.${column.field}`).toEqual(column.oneOf);
      }
    }
  });

  it('refuses child fields and groups on a facility record', () => {
    expect(issues({ recordType: 'facility', externalId: { from: 'ma' }, fields: { fullName: { from: 'x' } }, groups: [] })).toEqual([
      'fields: a facility record has no child fields; use projections',
      'groups: a facility record has no group evidence',
    ]);
  });

  it('refuses a projection with no fields, which would be made all null for every record (QA)', () => {
    expect(issues({ ...minimal, projections: { disability: [{ fields: {} }] } })).toEqual([
      'projections.disability.0.fields: a projection needs at least one field: give the disability fields it records',
    ]);
    expect(issues({ ...minimal, projections: { disability: [{ fields: { type: { from: 'dang_tat' } } }] } })).toEqual([]);
    expect(issues({ ...minimal, projections: { disability: [{ fields: { tpye: { from: 'dang_tat' } } }] } })).toEqual([
      'projections.disability.0.fields: Unrecognized key: "tpye"',
    ]);
  });

  it('refuses an empty list of mappings', () => {
    expect(recordMappingsSchema.safeParse([]).success).toBe(false);
  });
});

describe('the published JSON Schema', () => {
  it('is generated without error, with descriptions and the value definition shared', () => {
    for (const io of ['input', 'output'] as const) {
      const schema = z.toJSONSchema(recordMappingsSchema, { io }) as Record<string, any>;
      expect(schema.type).toBe('array');
      expect(Object.keys(schema.$defs)).toEqual(expect.arrayContaining(['RecordMapping', 'MappingValue']));
      const record = schema.$defs.RecordMapping;
      expect(record.properties.fields.properties.birthDate.description).toMatch(/birthDatePrecision/);
      expect(record.properties.fields.additionalProperties).toBe(false);
      expect(schema.$defs.MappingValue.properties.parse.enum).toContain('identityNumber');
      expect(record.properties.projections.properties.vaccination.items.properties.fields.required).toEqual(['vaccineCode', 'status']);
    }
  });
});
