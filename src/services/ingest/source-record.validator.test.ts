import { describe, expect, it } from 'vitest';
import { validateSourceRecord } from './source-record.validator.js';

const base = { sourceSystem: 'health-station', externalId: 'KT-1', raw: { a: 1 }, fullName: 'Kiều Thị Bé', sex: 'FEMALE' };

describe('validateSourceRecord reasons', () => {
  it('names a field of a list as the mapping\'s reasons do (`groups[0].subType`), and a text too long in words, with its length only', () => {
    const subType = 'Khuyết tật vận động kèm theo khuyết tật trí tuệ và khuyết tật nghe nói mức độ nặng';
    const result = validateSourceRecord({ ...base, fullName: 'A'.repeat(201), groups: [{ clause: 'd', subType }] });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual([
      { field: 'fullName', code: 'TOO_LONG', message: 'is longer than the 200 characters it may have; got text of 201 characters' },
      { field: 'groups[0].subType', code: 'TOO_LONG', message: `is longer than the 50 characters it may have; got text of ${subType.length} characters` },
    ]);
    // Never the value.
    expect(JSON.stringify(problems)).not.toContain('Khuyết');
  });

  it('keeps the other checks\' codes and messages', () => {
    const result = validateSourceRecord({ ...base, birthDate: '2015-02-31', groups: [{ clause: 'z' }] });
    expect(result.ok ? [] : result.problems.map((p) => [p.field, p.code])).toEqual([['birthDate', 'CUSTOM'], ['groups[0].clause', 'INVALID_VALUE']]);
  });
});
