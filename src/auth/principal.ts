import type { Role, SensitivityClass } from './sensitivity.js';

/** All communes of the city; only for city-level roles. */
export const ALL_COMMUNES = '*';

/** Who is calling, established from a verified bearer token. */
export interface Principal {
  /** Token subject: the user or service account. */
  subject: string;
  /** The officer's number, recorded with every audited access. */
  officerId: string | null;
  /** The officer's name (the token's `name`), given to the population database with a check the officer asks for. */
  officerName: string | null;
  /** The agency (e.g. `so-y-te`, `ubnd-xa-00004`). */
  agency: string;
  /** The unit within the agency, if the token says. */
  unit: string | null;
  roles: Role[];
  /** Commune codes (2025) whose children the caller may see, or `*` for the whole city. */
  communeScope: typeof ALL_COMMUNES | string[];
  /** The purpose of processing the token was issued for (recorded in the audit). */
  purpose: string;
  /** Sensitivity classes granted by the roles. */
  classes: ReadonlySet<SensitivityClass>;
}

/** True when the principal may see children of this commune. */
export function inScope(p: Principal, communeCode: string | null): boolean {
  if (p.communeScope === ALL_COMMUNES) return true;
  return communeCode !== null && p.communeScope.includes(communeCode);
}
