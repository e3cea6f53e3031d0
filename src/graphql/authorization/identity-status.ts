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
