import { describe, expect, it } from 'vitest';
import { GROUP_CLAUSES } from '../../domain/source-record-input.js';
import { computeGolden } from '../golden-record/survivorship.js';
import { goldenLine, newChildLine, survivorshipInput, type LinkedRecord } from './new-child.js';
import type { NormalizedSourceRecord } from './source-record.normalizer.js';

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

function aRecord(rnd: () => number, n: number): LinkedRecord {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maybe = <T,>(v: T): T | null | undefined => pick([v, v, v, null, undefined, '' as unknown as T]);
  const record = {
    sourceSystem: pick(['justice-register', 'school', 'health-station', 'facility-inspection'] as const),
    externalId: `X-${n}`,
    raw: {},
    fullName: maybe('Nguyễn Thị Thu Hà'),
    familyName: maybe('Nguyễn'),
    middleName: maybe('Thị Thu'),
    givenName: maybe('Hà'),
    nameFolded: maybe('nguyen thi thu ha'),
    sex: maybe(pick(['MALE', 'FEMALE'] as const)),
    birthDate: maybe(pick(['2015-03-02', '2015-03-01', '2015-01-01'])),
    birthDatePrecision: maybe(pick(['DAY', 'MONTH', 'YEAR'] as const)),
    birthDateEstimated: pick([true, false, undefined]),
    communeCode: maybe('00004'),
    communeCodeSet: maybe(pick(['VN-2025', 'VN-PRE2025'] as const)),
    identityNumber: pick(['001315000123', null, '']) as string | null,
    sourceUpdatedAt: pick(['2026-11-01T00:00:00+07:00', null, undefined]),
    groups: pick([[], [{ clause: pick(GROUP_CLAUSES) }], [{ clause: 'd' as const }, { clause: 'b' as const }, { clause: 'd' as const, subType: 'X' }], undefined]),
    contentHash: 'h',
  } as unknown as NormalizedSourceRecord;
  return { id: `src_${n}`, record };
}

describe('newChildLine', () => {
  it('writes for one record exactly the row computeGolden gives', () => {
    const rnd = random(7);
    const now = new Date('2026-11-25T01:02:03.456Z');
    for (let n = 0; n < 5000; n++) {
      const r = aRecord(rnd, n);
      expect(newChildLine('chd_1', [r], now)).toBe(goldenLine('chd_1', computeGolden([survivorshipInput(r, now)], now)));
    }
  });

  it('ranks several records with computeGolden', () => {
    const rnd = random(8);
    const now = new Date('2026-11-25T01:02:03.456Z');
    const rs = [aRecord(rnd, 1), aRecord(rnd, 2)];
    expect(newChildLine('chd_2', rs, now)).toBe(goldenLine('chd_2', computeGolden(rs.map((r) => survivorshipInput(r, now)), now)));
  });
});
