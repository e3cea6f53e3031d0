/**
 * Sensitivity classes of a child's personal data (Law 91/2025/QH15, Decree 356/2025). Every field of a
 * personal-data GraphQL type declares one; a field whose class the caller's roles do not grant is denied.
 */
export enum SensitivityClass {
  /** Name, sex, birth date, commune: what any child-protection role needs to find a child. */
  BASIC = 'BASIC',
  /** Personal identification number and its history. */
  IDENTITY = 'IDENTITY',
  /** Health facts: screenings, vaccinations, disability, condition at birth. */
  HEALTH = 'HEALTH',
  /** Adoption and the people giving or receiving a child. */
  ADOPTION = 'ADOPTION',
  /** Religion and ethnic origin. */
  RELIGION_ETHNICITY = 'RELIGION_ETHNICITY',
  /** Membership of the 14 groups (reveals abuse, HIV, trafficking, conflict with the law…). */
  PROTECTION_GROUP = 'PROTECTION_GROUP',
  /** Where a record came from and how it was linked (source system, ids, link rule, hashes). */
  PROVENANCE = 'PROVENANCE',
}

/** Every class: what a record that may hold any personal data (a quarantined payload) releases when read. */
export const ALL_SENSITIVITY_CLASSES: readonly SensitivityClass[] = Object.values(SensitivityClass);

export const ROLES = [
  'commune_officer',
  'health_officer',
  'education_officer',
  'justice_officer',
  'ethnic_religious_officer',
  'police_officer',
  'social_worker',
  'data_steward',
  'integration_engineer',
  'operator',
  'auditor',
] as const;
export type Role = (typeof ROLES)[number];

const C = SensitivityClass;
/**
 * Which classes each role may read. This is the mechanism's starting matrix; the policy issue completes
 * it with sector rules. Deny by default: a role not listed, or a class not listed for it, is refused.
 */
export const ROLE_CLASSES: Record<Role, readonly SensitivityClass[]> = {
  commune_officer: [C.BASIC, C.IDENTITY, C.PROTECTION_GROUP, C.PROVENANCE],
  social_worker: [C.BASIC, C.IDENTITY, C.HEALTH, C.PROTECTION_GROUP, C.PROVENANCE],
  health_officer: [C.BASIC, C.IDENTITY, C.HEALTH, C.PROVENANCE],
  education_officer: [C.BASIC, C.IDENTITY, C.PROVENANCE],
  justice_officer: [C.BASIC, C.IDENTITY, C.ADOPTION, C.PROTECTION_GROUP, C.PROVENANCE],
  ethnic_religious_officer: [C.BASIC, C.RELIGION_ETHNICITY, C.PROVENANCE],
  police_officer: [C.BASIC, C.IDENTITY, C.PROVENANCE],
  data_steward: [C.BASIC, C.IDENTITY, C.HEALTH, C.ADOPTION, C.RELIGION_ETHNICITY, C.PROTECTION_GROUP, C.PROVENANCE],
  integration_engineer: [],
  operator: [],
  auditor: [],
};

/** The union of classes the given roles grant. */
export function classesForRoles(roles: readonly Role[]): Set<SensitivityClass> {
  const out = new Set<SensitivityClass>();
  for (const r of roles) for (const c of ROLE_CLASSES[r] ?? []) out.add(c);
  return out;
}
