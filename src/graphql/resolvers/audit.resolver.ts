import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { ALL_COMMUNES } from '../../auth/principal.js';
import type { AuditEventRow, AuditEventsFilter } from '../../db/repositories/audit-read.repository.js';
import { ForbiddenError, InvalidInputError, UpstreamUnavailableError } from '../../errors/index.js';
import { requireRole } from '../authorization/require-role.js';
import type { GraphQLContext } from '../context.js';
import { cursorKey, decodeKeyCursor, relayPage } from '../cursor.js';
import { AuditActionEnum, AuditEvent, AuditEventConnection, AuditEventFilter } from '../types/audit.type.js';
import { requireIdOf } from './lookup.js';

/** Who reads the audit: auditors (a data-protection officer, an inspector). */
const AUDIT_ROLES = new Set(['auditor']);
const FIELD = 'Query.auditEvents';
/** The longest text filter taken: subjects, officer numbers and operation names are short. */
const MAX_TEXT_FILTER = 200;

@Resolver()
export class AuditResolver {
  @Query(() => AuditEventConnection, {
    description: 'The audit, newest first: who read, changed or was refused which children\'s data, of which classes and fields, when, '
      + 'under which purpose. Filter by child (who looked into this child?), by token subject or officer number (what did they read?), by '
      + 'action, operation or time. Paged (Relay): pass `pageInfo.endCursor` as `after` for the next page, which starts after that event '
      + 'whatever is written meanwhile. For auditors whose token covers the whole city (its events name children of every commune). '
      + 'Each read of the audit is itself audited (a READ of no class, naming the child asked about, with the filter).',
  })
  async auditEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter: AuditEventFilter | null | undefined,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1 to the server maximum (100 by default).' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'The `endCursor` of the previous page.' }) after?: string | null,
  ): Promise<AuditEventConnection> {
    const p = requireRole(ctx, AUDIT_ROLES, FIELD, 'Reading the audit');
    if (p.communeScope !== ALL_COMMUNES) {
      ctx.access.deny(undefined, FIELD);
      throw new ForbiddenError('Reading the audit needs a token for the whole city (communes "*"): its events name children of every commune');
    }
    if (!Number.isInteger(first) || first < 1 || first > ctx.maxPageSize) {
      throw new InvalidInputError(`\`first\` must be between 1 and ${ctx.maxPageSize}`, { argument: 'first' });
    }
    const beforeId = after ? decodeKeyCursor(after, [/^aud$/, /^[1-9]\d{0,17}$/])[1]! : null;
    const f = checkFilter(filter ?? {});
    const repo = ctx.commands?.audit;
    if (!repo) throw new UpstreamUnavailableError('This gateway cannot read the audit');
    const rows = await repo.events(f, first + 1, beforeId, ctx.queries);
    const nodes = rows.slice(0, first).map(toEvent);
    ctx.access.readAudit({ field: FIELD, childIds: f.childId ? [f.childId] : [], filter: { ...shown(f), ...(after ? { after } : {}), first }, events: nodes.length });
    return relayPage(nodes, rows.length > first, (e) => cursorKey('aud', e.id));
  }
}

/** The filter checked: each given one must be able to match (an empty text, an empty list or an empty window would match nothing). */
function checkFilter(filter: AuditEventFilter): AuditEventsFilter {
  if (filter.childId != null) requireIdOf('child', filter.childId, 'filter.childId');
  for (const key of ['subject', 'officerId', 'operation'] as const) {
    const v = filter[key];
    if (v == null) continue;
    const argument = `filter.${key}`;
    if (v.length === 0 || v.length > MAX_TEXT_FILTER) throw new InvalidInputError(`\`${argument}\` must be 1 to ${MAX_TEXT_FILTER} characters, as written in the audit`, { argument });
    // A NUL no PostgreSQL text holds: the audit writes it as U+FFFD, so that is what would match.
    if (v.includes('\u0000')) throw new InvalidInputError(`\`${argument}\` holds a NUL character, which the audit stores as U+FFFD: ask for that`, { argument });
  }
  if (filter.actions != null && filter.actions.length === 0) {
    throw new InvalidInputError('`filter.actions` is empty, which matches no event: leave it out for every action', { argument: 'filter.actions' });
  }
  if (filter.since && filter.until && filter.since.getTime() >= filter.until.getTime()) {
    throw new InvalidInputError('`filter.since` must be before `filter.until`', { argument: 'filter.since' });
  }
  return {
    childId: filter.childId ?? null,
    subject: filter.subject ?? null,
    officerId: filter.officerId ?? null,
    actions: filter.actions ? [...new Set(filter.actions)] : null,
    operation: filter.operation ?? null,
    since: filter.since ?? null,
    until: filter.until ?? null,
  };
}

/** The filters given, as the audit of this read records them. */
function shown(f: AuditEventsFilter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (v !== null && v !== undefined) out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}

function toEvent(r: AuditEventRow): AuditEvent {
  const d = r.details ?? {};
  const listed = (key: string) => (Array.isArray(d[key]) ? (d[key] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
  return {
    id: r.id,
    occurredAt: r.occurred_at,
    action: r.action as AuditActionEnum,
    operation: r.operation,
    requestId: r.request_id,
    subject: r.subject,
    officerId: r.officer_id,
    agency: r.agency,
    unit: r.unit,
    roles: r.roles,
    purpose: r.purpose,
    childIds: r.child_ids,
    fieldClasses: r.field_classes,
    fields: [...listed('fields'), ...listed('operations')],
    details: JSON.stringify(d),
  };
}
