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
 * For a child's `provenance`, whatever its sources: PROTECTION_GROUP for every child, since a field a facility
 * inspection supplied says the child is in care, and refusing only those children's provenance would single
 * them out (QA).
 */
export function provenanceClasses(): SensitivityClass[] {
  return [SensitivityClass.PROTECTION_GROUP];
}

/**
 * The class a caller needs to see a source system's records at all: a facility inspection's records are the
 * children present in a care facility (PROTECTION_GROUP), a justice register's are the births' or the adoptions'
 * register, which their ids and file names tell apart (ADOPTION). A caller without it is not told such a record
 * exists: `Child.sourceRecords` leaves it out and `sourceRecord(id)` does not find it. Refusing its fields one
 * record at a time would itself single out the children in care (QA: the FORBIDDEN errors, and a record listed
 * first by its source's name, did).
 */
export function recordVisibility(sourceSystem: unknown): SensitivityClass | null {
  if (sourceSystem === FACILITY_INSPECTION) return SensitivityClass.PROTECTION_GROUP;
  if (sourceSystem === JUSTICE_REGISTER) return SensitivityClass.ADOPTION;
  return null;
}

/** Whether a caller granted `classes` may know of a record of `sourceSystem` ({@link recordVisibility}). */
export function mayKnowRecord(classes: ReadonlySet<SensitivityClass>, sourceSystem: unknown): boolean {
  const needed = recordVisibility(sourceSystem);
  return needed === null || classes.has(needed);
}
