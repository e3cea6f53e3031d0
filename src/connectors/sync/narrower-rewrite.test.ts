import { describe, expect, it } from 'vitest';
import { activeSiblings, MappingNarrowerError, notMappedBy } from './narrower-rewrite.js';

const fieldsOf = (records: unknown[]) => notMappedBy(records as never)?.fields.map((f) => f.field);

describe('what a mapping gives none of', () => {
  it('names the record fields it has no entry for; any part of the name gives the name', () => {
    expect(fieldsOf([{ externalId: { from: 'id' }, fields: { familyName: { from: 'ho' }, givenName: { from: 'ten' }, sex: { from: 'gt' } } }]))
      .toEqual(['birthDate', 'birthDateEstimated', 'communeCode', 'fatherName', 'motherName', 'carerName', 'identityNumber']);
    // Several record mappings (sheets) give what any of them gives.
    expect(fieldsOf([
      { externalId: { from: 'id' }, fields: { fullName: { from: 'ten' }, fatherName: { from: 'cha' } } },
      { externalId: { from: 'id' }, fields: { birthDate: { from: 'ns' } } },
    ])).toEqual(['sex', 'birthDateEstimated', 'communeCode', 'motherName', 'carerName', 'identityNumber']);
  });

  it('names the clauses its groups give (none when a clause is a value, which may give any) and the projections it has no entry for', () => {
    const letters = notMappedBy([{ externalId: { from: 'id' }, groups: [{ clause: 'D', when: { from: 'kt', equals: true } }, { clause: 'h' }],
      projections: { schoolEnrolment: [{ fields: { schoolName: { from: 'truong' } } }] } }] as never)!;
    expect(letters.clauses).toEqual(['d', 'h']);
    expect(letters.projections.map((p) => p.kind)).not.toContain('schoolEnrolment');
    expect(letters.projections.map((p) => p.kind)).toContain('vaccination');
    const valued = notMappedBy([{ externalId: { from: 'id' }, groups: [{ clause: { from: 'nhom' } }] }] as never)!;
    expect(valued.clauses).toBeNull();
    // A connector of facility records only rewrites no child record.
    expect(notMappedBy([{ recordType: 'facility', externalId: { from: 'ma' }, projections: { facility: [{}] } }] as never)).toBeNull();
  });

  it('counts as siblings the other enabled connectors of the same source system', () => {
    const c = (name: string, sourceSystem: string, enabled = true) => ({ definition: { name, sourceSystem, enabled } });
    expect(activeSiblings([c('school', 'school'), c('school-export', 'school'), c('old-school', 'school', false), c('health-station', 'health-station')] as never,
      { name: 'school', sourceSystem: 'school' } as never)).toEqual(['school-export']);
  });

  it('names, in its message, each connector with what its records would lose, and the ways out', () => {
    const err = new MappingNarrowerError('ho-tich-2', 'khai-sinh.csv rows 2–1001', 1000, [
      { connector: 'justice-register', records: 12, targets: [{ target: 'fatherName', records: 12 }, { target: 'projections.birthRegistration', records: 3 }] },
    ]);
    expect(err.code).toBe('CONNECTOR_MAPPING_NARROWER');
    expect(err.message).toBe(
      'connector ho-tich-2, khai-sinh.csv rows 2–1001: of the page\'s 1000 records, 12 were stored last by connector justice-register, and hold fatherName (12), '
        + 'projections.birthRegistration (3), which this connector\'s mapping gives none of: stored, they would lose them, and each sync of that connector, defined '
        + 'and enabled here, would put it back. The page was not stored, and the sync stopped before it (the checkpoint is kept). Connectors of one source system '
        + 'share its records: map these values too (connectors dry-run shows what a page maps to), or, if this connector replaces justice-register, disable it '
        + '(enabled: false) or remove its folder',
    );
  });
});
