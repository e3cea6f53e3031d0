import { ALL_COMMUNES, type Principal } from '../../auth/principal.js';
import { ID_PREFIXES, type IdKind } from '../../db/ids.js';
import { InvalidInputError, NotFoundError } from '../../errors/index.js';

const WHAT: Partial<Record<IdKind, string>> = { child: 'child', sourceRecord: 'source record', connectorRun: 'connector run', rejectedRecord: 'rejected record' };

/**
 * Refuses, as the caller's mistake, an id that cannot be one of `kind` (empty, or another kind's: `src_…` asked
 * as a child), before it is looked up (QA: `child(id: "")` said "No child  in your jurisdiction").
 */
export function requireIdOf(kind: IdKind, id: string, argument: string): void {
  const prefix = `${ID_PREFIXES[kind]}_`;
  if (id.length <= prefix.length || !id.startsWith(prefix)) {
    throw new InvalidInputError(`\`${argument}\` must be a ${WHAT[kind] ?? kind} id (\`${prefix}…\`)`, { argument });
  }
}

/** NOT_FOUND for an id unknown, or outside the caller's communes: said only to a caller who has communes. */
export function notFound(kind: IdKind, id: string, p: Principal): NotFoundError {
  return new NotFoundError(`No ${WHAT[kind] ?? kind} ${id}${p.communeScope === ALL_COMMUNES ? '' : ' in your communes'}`, { id });
}
