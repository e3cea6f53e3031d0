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

/** For a fact's `source` (a projection row's `source.sourceSystem`). */
export function factSourceClasses(row: Record<string, unknown>): SensitivityClass[] {
  return sourceSystemClasses((row['source'] as { sourceSystem?: unknown } | null | undefined)?.sourceSystem);
}

/** For a child's `provenance`: whether any golden field was supplied by such a record. */
export function provenanceClasses(child: Record<string, unknown>): SensitivityClass[] {
  const map = (child['provenanceMap'] ?? {}) as Record<string, { sourceSystem?: unknown } | undefined>;
  return Object.values(map).some((p) => sourceSystemClasses(p?.sourceSystem).length) ? [SensitivityClass.PROTECTION_GROUP] : [];
}
