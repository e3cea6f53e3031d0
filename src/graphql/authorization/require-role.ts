import type { Principal } from '../../auth/principal.js';
import { ForbiddenError } from '../../errors/index.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';

/**
 * Refuses a caller none of whose roles is one of `roles`, and records the refusal so that it is audited as a
 * DENIED event naming `field` (`Query.queueCounts`), as refused fields are.
 */
export function requireRole(ctx: GraphQLContext, roles: ReadonlySet<string>, field: string, what: string): Principal {
  const p = requirePrincipal(ctx);
  if (!p.roles.some((r) => roles.has(r))) {
    ctx.access.deny(undefined, field);
    const names = [...roles];
    const listed = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    throw new ForbiddenError(`${what} is for ${listed} only`);
  }
  return p;
}
