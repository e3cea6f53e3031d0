import { InvalidInputError } from '../../errors/index.js';
import { communeByCode } from '../../reference/admin-units.js';

/**
 * Refuses commune codes a filter can match nothing by (QA: `communeCodes: ["99999"]` answered an empty list that
 * looked right, where a token naming the code is refused): codes of no 2025 commune, except a former (pre-2025) code
 * some record the caller may list is kept under (a source gave it and it could not be translated: such a record is
 * kept with its code, flagged). `formerCodes`: whether the caller may list records outside the 2025 communes (a
 * child, only a caller of the whole city; a facility, anyone), and `heldBy` looks those codes up among the records
 * the filter lists. Codes must be 5 digits already.
 */
export async function requireMatchableCommuneCodes(
  codes: readonly string[] | null | undefined, argument: string, formerCodes: boolean, heldBy: (codes: string[]) => Promise<string[]>,
): Promise<void> {
  if (!codes) return;
  const unknown = [...new Set(codes.filter((c) => !communeByCode(c)))];
  if (unknown.length === 0) return;
  const held = formerCodes ? new Set(await heldBy(unknown)) : new Set<string>();
  const missing = unknown.filter((c) => !held.has(c));
  if (missing.length === 0) return;
  const named = `${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}`;
  throw new InvalidInputError(
    `\`${argument}\`: not communes of the 2025 list (units in force from 1 July 2025)${formerCodes ? ', nor a former code any record is kept under' : ''}: ${named}`,
    { argument },
  );
}
