import { describe, expect, it } from 'vitest';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { enrolmentStatusClasses } from './source-classes.js';

describe('enrolmentStatusClasses', () => {
  const G = [SensitivityClass.PROTECTION_GROUP];
  it('makes the status of universal education (primary, lower secondary) PROTECTION_GROUP, whatever it is: a drop-out there is group h (QA)', () => {
    expect(enrolmentStatusClasses({ level: 'Tiểu học', grade: 5, status: 'STUDYING' })).toEqual(G);
    expect(enrolmentStatusClasses({ level: 'THCS', grade: 7, status: 'DROPPED_OUT' })).toEqual(G);
    expect(enrolmentStatusClasses({ level: 'Trung học cơ sở', grade: null })).toEqual(G);
  });

  it('counts a level not known to be past universal education, or a grade 1 to 9, as universal education', () => {
    expect(enrolmentStatusClasses({ level: null, grade: null })).toEqual(G);
    expect(enrolmentStatusClasses({ level: 'Cấp 2', grade: 8 })).toEqual(G);
    expect(enrolmentStatusClasses({ level: 'THPT', grade: 8 })).toEqual(G);
  });

  it('leaves pre-school and upper secondary BASIC, however the level is written', () => {
    expect(enrolmentStatusClasses({ level: 'THPT', grade: 11 })).toEqual([]);
    expect(enrolmentStatusClasses({ level: 'TRUNG HỌC PHỔ THÔNG', grade: null })).toEqual([]);
    expect(enrolmentStatusClasses({ level: 'Mầm non', grade: null })).toEqual([]);
  });
});
