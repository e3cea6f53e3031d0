import { SensitivityClass } from '../../auth/sensitivity.js';

const FACILITY_INSPECTION = 'facility-inspection';
const JUSTICE_REGISTER = 'justice-register';

/**
 * What naming a record's source tells beyond the record: a facility inspection lists the children present in a
 * care facility, so a record from one (its source system, its id there, a fact it gave, a golden field it
 * supplied) says the child is or was placed in care, which tells a protection group: PROTECTION_GROUP, as the
 * placement itself is (QA: a health officer read `sourceSystem: FACILITY_INSPECTION` and an external id naming
 * the facility where `placements` was refused). Used with {@link SensitiveBy}.
 */
export function sourceSystemClasses(sourceSystem: unknown): SensitivityClass[] {
  return sourceSystem === FACILITY_INSPECTION ? [SensitivityClass.PROTECTION_GROUP] : [];
}

/** For a field of a source record (its `sourceSystem`). */
export function recordSourceClasses(record: Record<string, unknown>): SensitivityClass[] {
  return sourceSystemClasses(record['sourceSystem']);
}

/**
 * For a source record's id in its system (`externalId`): as its source system, and a justice register's id is
 * ADOPTION data too, as it tells which register holds the child, the births' or the adoptions' (QA: a health
 * officer read `NCN…`, an adoption register's file number).
 */
export function recordIdClasses(record: Record<string, unknown>): SensitivityClass[] {
  const classes = sourceSystemClasses(record['sourceSystem']);
  return record['sourceSystem'] === JUSTICE_REGISTER ? [...classes, SensitivityClass.ADOPTION] : classes;
}

/**
 * For a fact's `source` (a projection row's `source`): its record's system and id, classed as the record's id is
 * ({@link recordIdClasses}: every birth registration's source is a justice register's record, whose id tells
 * the registers apart; QA read `KS…` there).
 */
export function factSourceClasses(row: Record<string, unknown>): SensitivityClass[] {
  return recordIdClasses((row['source'] ?? {}) as Record<string, unknown>);
}

/**
 * The evidence layer — a child's source records, which record supplied each golden field, which record gave a
 * number — tells which agencies hold the child, and two of them are protection data in themselves: a facility
 * inspection lists the children in care, and the justice register keeps the adoptions' register beside the
 * births'. Refusing such records one at a time, or leaving them out, still singled their children out (QA: the
 * refusals, a child with no record left to show, a number's record that was not there, a name supplied by the
 * register with no birth registration). So the evidence layer is for roles granted every class a source can
 * tell: PROVENANCE with PROTECTION_GROUP and ADOPTION (data stewards, justice officers), the same for every child.
 * Used with {@link SensitiveBy} on a PROVENANCE (or IDENTITY) field.
 */
export function evidenceClasses(): SensitivityClass[] {
  return [SensitivityClass.PROVENANCE, SensitivityClass.PROTECTION_GROUP, SensitivityClass.ADOPTION];
}
