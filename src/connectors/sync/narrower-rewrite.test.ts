import { describe, expect, it } from 'vitest';
import { givenMask, MappingNarrowerError, notMappedMask, siblingsOf } from './narrower-rewrite.js';

/** The targets a mask names, by their bits' order (fields, then group clauses, then projections). */
const NAMES = ['fullName', 'sex', 'birthDate', 'birthDateEstimated', 'communeCode', 'fatherName', 'motherName', 'carerName', 'identityNumber'];
const fieldsIn = (mask: number) => NAMES.filter((_, i) => mask & (1 << i));

describe('what a copy of a record holds, and what a mapping has no entry for', () => {
  it('tells the values a mapped record holds: any part of the name gives the name; empty values are none', () => {
    const mask = givenMask({ familyName: 'Nguyễn', givenName: 'An', sex: 'MALE', fatherName: '', birthDateEstimated: false, groups: [{ clause: 'd' }] } as never,
      { schoolEnrolment: [{}], vaccination: [] } as never);
    expect(fieldsIn(mask)).toEqual(['fullName', 'sex']);
    expect(mask).not.toBe(givenMask({ familyName: 'Nguyễn', givenName: 'An', sex: 'MALE' } as never, { schoolEnrolment: [{}] } as never));
    expect(givenMask({} as never, {} as never)).toBe(0);
  });

  it('names the record fields, clauses and projections no mapping of the connector has an entry for', () => {
    const school = notMappedMask([{ externalId: { from: 'id' }, fields: { familyName: { from: 'ho' }, givenName: { from: 'ten' }, sex: { from: 'gt' } },
      groups: [{ clause: 'D', when: { from: 'kt', equals: true } }], projections: { schoolEnrolment: [{ fields: { schoolName: { from: 'truong' } } }] } }] as never);
    expect(fieldsIn(school)).toEqual(['birthDate', 'birthDateEstimated', 'communeCode', 'fatherName', 'motherName', 'carerName', 'identityNumber']);
    const given = givenMask({ groups: [{ clause: 'd' }, { clause: 'h' }] } as never, { schoolEnrolment: [{}], vaccination: [{}] } as never);
    const dOnly = givenMask({ groups: [{ clause: 'd' }] } as never, { schoolEnrolment: [{}] } as never);
    // Group d and the enrolment have entries; group h and vaccinations do not.
    expect(given & school).toBe(given & ~dOnly);
    // A clause given by a value may be any clause.
    const valued = notMappedMask([{ externalId: { from: 'id' }, groups: [{ clause: { from: 'nhom' } }] }] as never);
    expect(valued & given & ~dOnly & givenMask({ groups: [{ clause: 'h' }] } as never, {} as never)).toBe(0);
  });

  it('counts as siblings the other connectors of the system defined here and not disabled, those whose definition does not validate now included', () => {
    const c = (name: string, sourceSystem: string, enabled = true) => ({ definition: { name, sourceSystem, enabled } });
    const valid = [c('school', 'school'), c('school-export', 'school'), c('old-school', 'school', false), c('health-station', 'health-station')] as never;
    expect(siblingsOf({ name: 'school', sourceSystem: 'school' } as never, valid, [], [])).toEqual(['school-export']);
    // A folder whose definition does not validate: counted when it last synced enabled for this system.
    const known = [{ name: 'school-api', enabled: true }, { name: 'school-retired', enabled: false }, { name: 'school', enabled: true }];
    expect(siblingsOf({ name: 'school', sourceSystem: 'school' } as never, valid, ['school-api', 'school-retired', 'unrelated'], known)).toEqual(['school-api', 'school-export']);
  });

  it('names, in its message, each connector with what its records would lose, and the ways out', () => {
    const err = new MappingNarrowerError('ho-tich-2', 'khai-sinh.csv rows 2–1001', 1000, [
      { connector: 'justice-register', records: 12, targets: [{ target: 'fatherName', records: 12 }, { target: 'projections.birthRegistration', records: 3 }] },
    ]);
    expect(err.code).toBe('CONNECTOR_MAPPING_NARROWER');
    expect(err.message).toBe(
      'connector ho-tich-2, khai-sinh.csv rows 2–1001: of the page\'s 1000 records, 12 were stored last by connector justice-register, whose copies hold fatherName (12), '
        + 'projections.birthRegistration (3), which this connector\'s copies would not: stored, the records would lose those values, while that connector, defined here, '
        + 'goes on storing its own copies of them. The page was not stored, and the sync stopped before it (the checkpoint is kept). Connectors of one source system '
        + 'share its records: map these values too (connectors dry-run shows what a page maps to), or, if this connector replaces justice-register, disable it '
        + '(enabled: false) or remove its folder',
    );
    expect(new MappingNarrowerError('x', 'page 1', 1, [{ connector: 'y', records: 1, targets: [{ target: 'sex', records: 1 }] }]).message)
      .toMatch(/^connector x, page 1: of the page's 1 record, 1 was stored last by connector y, whose copy holds sex \(1\), /);
  });
});
