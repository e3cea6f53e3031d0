import { describe, expect, it } from 'vitest';
import { operationLabel } from './operation-label.js';

describe('operationLabel', () => {
  it.each([
    ['ChildById', 'ChildById'],
    ['ListChildrenInCommune', 'ListChildrenInCommune'],
    ['Nguyen_Cong_Huy_001217183443', '[withheld]'],
    // Underscores are the only separator a GraphQL name allows (QA re-check: these were logged as written).
    ['child_001_215_000_777', 'child_[withheld]'],
    ['x0912_345_678', 'x[withheld]'],
    ['v_001__215__000__777', 'v_[withheld]'],
  ])('%s → %s', (name, label) => expect(operationLabel(name)).toBe(label));
});
