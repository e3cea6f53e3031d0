import { describe, expect, it } from 'vitest';
import { pathsToRecord } from './unread-loss.js';

/** A school-like mapping: group d from a flag, its sub-type, and the school's name. */
const mapping = (flag: string, school = 'ten_truong') => [{
  externalId: { from: 'id' },
  groups: [{ clause: 'd', when: { from: flag, equals: true }, subType: { from: 'dang_tat' } }],
  projections: { schoolEnrolment: [{ fields: { schoolName: { from: school } } }] },
}] as never;

const READ_BEFORE = ['groups.d ← khuyet_tat', 'groups.d.subType ← dang_tat', 'projections.schoolEnrolment.schoolName ← ten_truong'];

describe('the paths a whole read records as its stored records\' mapping', () => {
  it('records the mapping\'s paths when every new one was had by a record of the read, or none is new', () => {
    expect(pathsToRecord(mapping('khuyet_tat'), { recorded: new Set(READ_BEFORE), seen: new Set() })).toEqual(READ_BEFORE);
    const renamed = pathsToRecord(mapping('co_khuyet_tat'), { recorded: new Set(READ_BEFORE), seen: new Set(['groups.d ← co_khuyet_tat']) });
    expect(renamed).toEqual(['groups.d ← co_khuyet_tat', 'groups.d.subType ← dang_tat', 'projections.schoolEnrolment.schoolName ← ten_truong']);
  });

  it('keeps the replaced path, not a new one no record had (QA third round: a misspelling whose read refused every record it touched was recorded as read)', () => {
    const misspelt = pathsToRecord(mapping('khuyet_tatt'), { recorded: new Set(READ_BEFORE), seen: new Set(['groups.d.subType ← dang_tat']) });
    expect(misspelt.sort()).toEqual(READ_BEFORE.slice().sort());
    // Only for what the unproven path feeds: the school's name, renamed and had, is recorded as now read.
    const both = pathsToRecord(mapping('khuyet_tatt', 'truong'), { recorded: new Set(READ_BEFORE), seen: new Set(['projections.schoolEnrolment.schoolName ← truong']) });
    expect(both.sort()).toEqual(['groups.d ← khuyet_tat', 'groups.d.subType ← dang_tat', 'projections.schoolEnrolment.schoolName ← truong']);
  });

  it('a path only added, which no record had yet, stays new; without what the stored records were read with, the mapping\'s paths', () => {
    const added = [{ externalId: { from: 'id' }, groups: [{ clause: 'd', when: { from: 'khuyet_tat', equals: true }, subType: { from: 'dang_tat' } }, { clause: 'd', when: { from: 'khuyet_tat_2026', equals: true } }],
      projections: { schoolEnrolment: [{ fields: { schoolName: { from: 'ten_truong' } } }] } }] as never;
    expect(pathsToRecord(added, { recorded: new Set(READ_BEFORE), seen: new Set() }).sort()).toEqual(READ_BEFORE.slice().sort());
    expect(pathsToRecord(mapping('khuyet_tatt'), { recorded: null, seen: new Set() })).toContain('groups.d ← khuyet_tatt');
    expect(pathsToRecord(mapping('khuyet_tatt'), null)).toContain('groups.d ← khuyet_tatt');
  });
});
