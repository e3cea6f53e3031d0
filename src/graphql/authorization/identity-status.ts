import { SensitivityClass } from '../../auth/sensitivity.js';
import { IdentityStatusEnum } from '../types/enums.js';

/**
 * The identity status as a caller may be told it. ISSUED is a number the population database issued for a
 * child found abandoned, so it says the child was abandoned: PROTECTION_GROUP (QA: police and health officers
 * listed the abandoned children by `identityStatus: ISSUED`). To a caller without that class it is VERIFIED,
 * which it also is: the population database holds the number for the child.
 */
export function presentedIdentityStatus(status: IdentityStatusEnum | null, classes: ReadonlySet<SensitivityClass>): IdentityStatusEnum | null {
  return status === IdentityStatusEnum.ISSUED && !classes.has(SensitivityClass.PROTECTION_GROUP) ? IdentityStatusEnum.VERIFIED : status;
}

/** Findings that compare a number with what the record says of the person: relaxed for a child found abandoned. */
const RELAXED_WHEN_ABANDONED: ReadonlySet<string> = new Set(['SEX_DIGIT_MISMATCH', 'BIRTH_YEAR_MISMATCH']);

/**
 * A number's structural findings as a caller may be told them. The comparisons of digits 4–6 with the child's
 * sex and birth year are not made for a child found abandoned (the registered birth date is the date found), so
 * their absence where the digits plainly disagree told a caller who sees the number, the sex and the birth year
 * that the child was abandoned (QA). They are told only with PROTECTION_GROUP too; the checks of the number
 * alone (12 digits, province prefix, a birth year not in the future) to every caller with IDENTITY.
 */
export function presentedFindings<F extends { code: string }>(findings: readonly F[] | null | undefined, classes: ReadonlySet<SensitivityClass>): F[] {
  if (!findings) return [];
  return classes.has(SensitivityClass.PROTECTION_GROUP) ? [...findings] : findings.filter((f) => !RELAXED_WHEN_ABANDONED.has(f.code));
}

/** A child's numbers with their findings as the caller may be told them ({@link presentedFindings}). */
export function presentedNumbers<N extends { structuralFindings: Array<{ code: string }> }>(numbers: readonly N[], classes: ReadonlySet<SensitivityClass>): N[] {
  if (classes.has(SensitivityClass.PROTECTION_GROUP)) return [...numbers];
  return numbers.map((n) => ({ ...n, structuralFindings: presentedFindings(n.structuralFindings, classes) }));
}
