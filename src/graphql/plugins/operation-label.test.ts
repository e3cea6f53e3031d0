import { describe, expect, it } from 'vitest';
import { operationLabel } from './operation-label.js';

describe('operationLabel', () => {
  it.each([
    ['ChildById', 'ChildById'],
    ['ListChildrenInCommune', 'ListChildrenInCommune'],
    ['Dismiss', 'Dismiss'],
    ['IdentityWork', 'IdentityWork'],
    ['OverdueIdentityIssuance', 'OverdueIdentityIssuance'],
    ['GetAbandonedChildren', 'GetAbandonedChildren'],
    ['MyQuery', 'MyQuery'],
    ['LongList', 'LongList'],
    ['IntrospectionQuery', 'IntrospectionQuery'],
    ['Nguyen_Cong_Huy_001217183443', '[withheld]'],
    // Underscores are the only separator a GraphQL name allows (QA re-check: these were logged as written); withheld
    // whole, so nothing written beside a number or a name is kept either.
    ['child_001_215_000_777', '[withheld]'],
    ['x0912_345_678', '[withheld]'],
    ['v_001__215__000__777', '[withheld]'],
    // Security QA: a health word kept beside a withheld name; a given name without its family name; a family name
    // before a syllable the reference data lacks.
    ['Dinh_Thi_Hoa_HIV', '[withheld]'],
    ['Thuy_Huong', '[withheld]'],
    ['Vu_Bay_Case', '[withheld]'],
    ['NamHa', '[withheld]'],
  ])('%s → %s', (name, label) => expect(operationLabel(name)).toBe(label));
});
