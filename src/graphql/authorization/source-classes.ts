import { SensitivityClass } from '../../auth/sensitivity.js';
import { foldName } from '../../domain/vietnamese-name.js';

const FACILITY_INSPECTION = 'facility-inspection';
const JUSTICE_REGISTER = 'justice-register';

/**
 * The classes naming a record's source system adds beyond the record's own: a facility inspection lists the
 * children in a care facility (PROTECTION_GROUP, as the placement itself is); the justice register keeps the
 * adoptions' register beside the births', told apart by a record's id (ADOPTION).
 */
function sourceSystemClasses(sourceSystem: unknown): SensitivityClass[] {
  if (sourceSystem === FACILITY_INSPECTION) return [SensitivityClass.PROTECTION_GROUP];
  if (sourceSystem === JUSTICE_REGISTER) return [SensitivityClass.ADOPTION];
  return [];
}

/** For a source record's carer: a facility inspection's is the care facility, the child's placement. */
export function carerClasses(record: Record<string, unknown>): SensitivityClass[] {
  return record['sourceSystem'] === FACILITY_INSPECTION ? [SensitivityClass.PROTECTION_GROUP] : [];
}

/**
 * For a fact's `source` (a projection row's `source`: its record's system and id there): every birth
 * registration's is a justice register's record, whose id tells the registers apart (QA read `KS…` there).
 */
export function factSourceClasses(row: Record<string, unknown>): SensitivityClass[] {
  return sourceSystemClasses((row['source'] as { sourceSystem?: unknown } | null | undefined)?.sourceSystem);
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

/** Levels (cấp học, folded) past universal education: pre-school and upper secondary. */
const BEYOND_COMPULSORY_LEVELS: ReadonlySet<string> = new Set([
  'mam non', 'nha tre', 'mau giao', 'thpt', 'trung hoc pho thong', 'cap 3', 'cap iii',
]);

/**
 * For a school enrolment's `status`: a drop-out before universal education is complete (primary or lower
 * secondary) is group h's evidence (LEFT_SCHOOL_TO_WORK: the school connector's rule), so the status of such an
 * enrolment is PROTECTION_GROUP, as the group is (QA: police read the drop-outs of the 6th grade as BASIC while
 * `groups` was refused them). Whatever the status, so that a refusal does not tell a drop-out: by the enrolment's
 * level and grade, which are BASIC. A level not known to be pre-school or upper secondary (none, or spelt
 * otherwise) counts as compulsory; so does a grade 1 to 9.
 */
export function enrolmentStatusClasses(row: Record<string, unknown>): SensitivityClass[] {
  const level = typeof row['level'] === 'string' ? foldName(row['level']) : null;
  const grade = typeof row['grade'] === 'number' ? row['grade'] : null;
  const beyond = level !== null && BEYOND_COMPULSORY_LEVELS.has(level) && (grade === null || grade < 1 || grade > 9);
  return beyond ? [] : [SensitivityClass.PROTECTION_GROUP];
}
