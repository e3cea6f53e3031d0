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
    ['NamHa', '[withheld]'],
    ['Be_Hoa_01012023', '[withheld]'],
    // QA re-check: a given name beside a health word; English and place names withheld before.
    ['Huong_HIV', '[withheld]'],
    ['WhatToDo', 'WhatToDo'],
    ['MyToDoList', 'MyToDoList'],
    ['LeChild', 'LeChild'],
    ['MaiTest', 'MaiTest'],
    ['CasesInHaDong', 'CasesInHaDong'],
    ['HaiBaTrungReport', 'HaiBaTrungReport'],
    ['HoangMaiDashboard', 'HoangMaiDashboard'],
    ['KhaiSinhList', 'KhaiSinhList'],
    ['HoSo', 'HoSo'],
  ])('%s → %s', (name, label) => expect(operationLabel(name)).toBe(label));
});
