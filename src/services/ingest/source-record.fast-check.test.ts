import { describe, expect, it } from 'vitest';
import { fastCheckSourceRecord } from './source-record.fast-check.js';
import { hanoiDate } from '../../domain/child-age.js';
import { BIRTH_DATE_IN_FUTURE, sourceRecordInputSchema, validateSourceRecord } from './source-record.validator.js';

/** Candidate values per field: valid ones, edge cases, and values the schema refuses. `undefined` = key present with undefined. */
const CANDIDATES: Record<string, unknown[]> = {
  sourceSystem: ['health-station', 'school', 'justice-register', 'facility-inspection', 'other', '', ' school', null, 1, undefined],
  externalId: ['A-1', '  A-1  ', '', '   ', 'x'.repeat(200), 'x'.repeat(201), ` ${'x'.repeat(200)} `, null, 5, undefined],
  raw: [{}, { 'Họ và tên': 'NGUYỄN VĂN A', n: 1 }, [], null, 'x', Object.create(null), JSON.parse('{"__proto__":1,"a":2}'), { [Symbol('s')]: 1 }, new Date(0), undefined],
  fullName: ['Nguyễn Văn A', '  Lê Thị B  ', '', '   ', 'x'.repeat(200), `  ${'x'.repeat(200)}`, 'x'.repeat(201), null, 5, true, undefined],
  familyName: ['Nguyễn', ' x ', 'x'.repeat(201), null, 0, undefined],
  middleName: ['Văn', '', null, [], undefined],
  givenName: ['A', '\tA\n', null, {}, undefined],
  fatherName: ['Nguyễn Văn C', 'x'.repeat(201), null, undefined],
  motherName: ['Trần Thị D', ' ', null, 1, undefined],
  carerName: ['Chùa X', null, false, undefined],
  sex: ['MALE', 'FEMALE', 'male', '', null, 1, undefined],
  birthDate: ['2015-03-02', '2015-02-30', '2016-02-29', '2015-02-29', '2015-3-2', '20150302', ' 2015-03-02', '0000-01-01', '9999-12-31', null, 0, undefined],
  birthDatePrecision: ['DAY', 'MONTH', 'YEAR', 'day', null, undefined],
  birthDateEstimated: [true, false, null, 'true', 0, undefined],
  communeCode: ['00004', '0004', '000041', 'abcde', '０００04', ' 00004', null, 4, undefined],
  communeCodeSet: ['VN-2025', 'VN-PRE2025', 'VN', null, undefined],
  identityNumber: ['001315000123', ' 001 315 ', 'x'.repeat(40), ` ${'x'.repeat(40)} `, 'x'.repeat(41), '', null, 12, undefined],
  sourceUpdatedAt: [
    '2026-11-01T00:00:00+07:00', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00.123+07:00', '2026-11-01T00:00+07:00', '2026-11-01',
    '2026-13-01T00:00:00Z', '2026-11-01T24:00:00Z', '2026-02-30T00:00:00Z', '2026-11-01T00:00:00+7:00', ' 2026-11-01T00:00:00Z', null, 5, undefined,
  ],
  groups: [
    [], [{ clause: 'a' }], [{ clause: 'đ', subType: 'NHIN', since: '2024-05-01' }], [{ clause: 'b' }, { clause: 'd', subType: null, since: null }],
    [{ clause: 'z' }], [{ clause: 'a', extra: 1 }], [{}], [{ clause: 'a', subType: 'x'.repeat(51) }], [{ clause: 'a', subType: 'x'.repeat(50) }],
    [{ clause: 'a', since: '2024-02-30' }], [{ clause: 'b', since: null, until: '2021-08-27' }], [{ clause: 'a', until: '2021-02-30' }], [{ clause: 'c', until: null }],
    [{ clause: 'a', subType: undefined }], [null], [Object.assign(Object.create(null), { clause: 'a' })], null, 'a', undefined,
  ],
  unknownKey: [1, null, undefined],
};
const FIELDS = Object.keys(CANDIDATES);

const BASE = {
  sourceSystem: 'justice-register', externalId: 'KS-1', raw: { 'Mã hồ sơ': 'KS-1' }, fullName: 'Nguyễn Thị Thu Hà', sex: 'FEMALE',
  birthDate: '2015-03-02', birthDatePrecision: 'DAY', birthDateEstimated: false, communeCode: '00004', communeCodeSet: 'VN-2025',
  fatherName: null, motherName: 'Lê Thị E', carerName: null, identityNumber: '001315000123', sourceUpdatedAt: '2026-11-01T00:00:00+07:00', groups: [],
};

/** mulberry32: the same cases on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function agree(input: unknown): 'fast' | 'schema' {
  const fast = fastCheckSourceRecord(input);
  const parsed = sourceRecordInputSchema.safeParse(input);
  if (fast === null) return 'schema';
  // Whatever the fast path accepts, the schema accepts, with exactly the same output.
  expect(parsed.success).toBe(true);
  expect(fast).toStrictEqual(parsed.data);
  return 'fast';
}

describe('fastCheckSourceRecord', () => {
  it('accepts a plainly valid record with the output of the schema', () => {
    expect(agree(BASE)).toBe('fast');
    expect(agree({ ...BASE, externalId: '  KS-2 ', fullName: '  Lê Văn Bình ', groups: [{ clause: 'b', since: '2015-03-02' }] })).toBe('fast');
    expect(validateSourceRecord(BASE)).toEqual({ ok: true, value: sourceRecordInputSchema.parse(BASE) });
  });

  it('agrees with the schema on every single-field variation', () => {
    for (const field of FIELDS) {
      for (const value of CANDIDATES[field]!) agree({ ...BASE, [field]: value });
      const { [field]: _dropped, ...without } = BASE as Record<string, unknown>;
      agree(without);
    }
  });

  it('agrees with the schema on 20,000 random records, and takes the fast path for the valid ones it can', () => {
    const rnd = random(2026);
    let fast = 0;
    let valid = 0;
    for (let n = 0; n < 20_000; n++) {
      const input: Record<string, unknown> = {};
      for (const field of FIELDS) {
        const r = rnd();
        // Mostly the base value, sometimes a candidate, sometimes absent.
        if (r < 0.75) {
          if (field in BASE) input[field] = (BASE as Record<string, unknown>)[field];
        } else if (r < 0.95) {
          const list = CANDIDATES[field]!;
          input[field] = list[Math.floor(rnd() * list.length)];
        }
      }
      if (agree(input) === 'fast') fast++;
      if (sourceRecordInputSchema.safeParse(input).success) valid++;
    }
    expect(fast).toBeGreaterThan(1000);
    expect(fast).toBeLessThanOrEqual(valid);
  });

  it('refuses a birth date after today in Hà Nội, by either path (QA: 2030 was stored); a month or year refused only when still all to come', () => {
    const day = (offsetDays: number) => hanoiDate(new Date(Date.now() + offsetDays * 86_400_000));
    const year = Number(day(0).slice(0, 4));
    for (const [birthDate, precision] of [[day(2), 'DAY'], [`${year + 1}-01-01`, 'YEAR'], ['2030-01-01', 'DAY']] as const) {
      const input = { ...BASE, birthDate, birthDatePrecision: precision };
      expect(fastCheckSourceRecord(input), birthDate).toBeNull();
      expect(validateSourceRecord(input), birthDate).toEqual({ ok: false, problems: [{ field: 'birthDate', code: 'CUSTOM', message: BIRTH_DATE_IN_FUTURE }] });
    }
    for (const [birthDate, precision] of [[day(-1), 'DAY'], [`${year}-01-01`, 'YEAR'], [`${day(0).slice(0, 7)}-01`, 'MONTH']] as const) {
      expect(fastCheckSourceRecord({ ...BASE, birthDate, birthDatePrecision: precision }), birthDate).not.toBeNull();
    }
  });

  it('leaves every invalid record to the schema, so its problems are worded as before', () => {
    const res = validateSourceRecord({ ...BASE, birthDate: '2015-02-30', sex: 'X' });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.problems.map((p) => p.field).sort()).toEqual(['birthDate', 'sex']);
  });
});
