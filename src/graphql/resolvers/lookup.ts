import { ALL_COMMUNES, type Principal } from '../../auth/principal.js';
import { ID_PREFIXES, type IdKind } from '../../db/ids.js';
import { InvalidInputError, NotFoundError } from '../../errors/index.js';

const WHAT: Partial<Record<IdKind, string>> = { child: 'child', sourceRecord: 'source record', connectorRun: 'connector run', rejectedRecord: 'rejected record' };

/** An id's shape: a kind's prefix, `_`, and up to 40 letters and digits (a ULID's 26, or a test's own). */
const ID_SHAPE = /^[a-z]{3}_[0-9A-Za-z]{1,40}$/;

/** Whether `id` has an id's shape (whatever its kind): what may be named in the audit as asked for. */
export function isIdShaped(id: unknown): id is string {
  return typeof id === 'string' && ID_SHAPE.test(id);
}

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
