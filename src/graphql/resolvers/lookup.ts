import { ALL_COMMUNES, type Principal } from '../../auth/principal.js';
import { ID_PREFIXES, isIdShaped, type IdKind } from '../../db/ids.js';
import { InvalidInputError, NotFoundError } from '../../errors/index.js';

const WHAT: Partial<Record<IdKind, string>> = { child: 'child', sourceRecord: 'source record', connectorRun: 'connector run', rejectedRecord: 'rejected record' };

/**
 * Refuses, as the caller's mistake, an id that cannot be one of `kind` (empty, another kind's: `src_…` asked
 * as a child, or not an id's shape at all), before it is looked up or named in the audit (QA: `child(id: "")`
 * said "No child  in your jurisdiction"; an id of 6,000 characters failed the audit writes it was batched with).
 */
export function requireIdOf(kind: IdKind, id: string, argument: string): void {
  const prefix = `${ID_PREFIXES[kind]}_`;
  if (!id.startsWith(prefix) || !isIdShaped(id)) {
    throw new InvalidInputError(`\`${argument}\` must be a ${WHAT[kind] ?? kind} id (\`${prefix}…\`)`, { argument });
  }
}

/** NOT_FOUND for an id unknown, or outside the caller's communes: said only to a caller who has communes. */
export function notFound(kind: IdKind, id: string, p: Principal): NotFoundError {
  return new NotFoundError(`No ${WHAT[kind] ?? kind} ${id}${p.communeScope === ALL_COMMUNES ? '' : ' in your communes'}`, { id });
}
