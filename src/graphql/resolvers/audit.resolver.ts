import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { ALL_COMMUNES, type Principal } from '../../auth/principal.js';
import { isIdShaped } from '../../db/ids.js';
import { type AuditEventRow, type RegistryCallRow, type TimeKey } from '../../db/repositories/audit-read.repository.js';
import { ForbiddenError, InvalidInputError, UpstreamUnavailableError } from '../../errors/index.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { checkCursorInstant, checkPageSize, CURSOR_INSTANT, cursorKey, decodeKeyCursor, relayPage } from '../cursor.js';
import { operationLabel } from '../plugins/operation-label.js';
import {
  AuditActionEnum, AuditEvent, AuditEventConnection, AuditEventFilter, RegistryCall, RegistryCallConnection, RegistryCallFilter, RegistryCallOutcomeEnum,
} from '../types/audit.type.js';
import { Cost, MUTATION_COST } from '../validation/cost-limit.rule.js';
import { requireIdOf } from './lookup.js';

/** Who reads the audit and the registry call log: auditors (a data-protection officer, an inspector). */
const AUDITOR = 'auditor';
/** The longest text filter taken, in characters: subjects, officer numbers and operation names are short. */
const MAX_TEXT_FILTER = 200;
/** A page's cursor: which log, the last row's time to the microsecond ({@link CURSOR_INSTANT}), and its id. */
const ID = /^[1-9]\d{0,17}$/;

const DESCRIBED_COST = 'Each read costs as a mutation does (twenty fill a request): it may read far into a large table.';

@Resolver()
export class AuditResolver {
  @Cost(MUTATION_COST)
  @Query(() => AuditEventConnection, {
    description: 'The audit, newest first: who read, changed or was refused which children\'s data, of which classes and fields, when, '
      + 'under which purpose. Filter by child (who looked into this child?), by token subject or officer number (what did they read?), by '
      + 'action, operation or time. Paged (Relay): pass `pageInfo.endCursor` as `after` for the next page, which starts after that event '
      + 'whatever is written meanwhile. For auditors whose token covers the whole city (its events name children of every commune). '
      + 'Each read of the audit is itself audited (a READ of no class, naming the child asked about, with the filter). ' + DESCRIBED_COST,
  })
  async auditEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter: AuditEventFilter | null | undefined,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1 to the server maximum (100 by default).' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'The `endCursor` of the previous page.' }) after?: string | null,
  ): Promise<AuditEventConnection> {
    const f = filter ?? {};
    return logPage(ctx, { field: 'Query.auditEvents', what: 'Reading the audit', kind: 'aud', first, after, childId: f.childId }, () => {
      for (const k of ['subject', 'officerId', 'operation'] as const) checkText(f[k], `filter.${k}`);
      checkList(f.actions, 'filter.actions', 'action');
      checkWindow(f.since, f.until);
      return {
        childId: f.childId ?? null, subject: f.subject ?? null, officerId: f.officerId ?? null,
        actions: f.actions ? [...new Set(f.actions)] : null, operation: f.operation ?? null, since: f.since ?? null, until: f.until ?? null,
      };
    }, (asked, limit, key) => repoOf(ctx).events(asked, limit, key, ctx.queries), toEvent);
  }

  @Cost(MUTATION_COST)
  @Query(() => RegistryCallConnection, {
    description: 'The log of calls to the national population database, newest first: who asked (officer number, unit, purpose code, case), '
      + 'about which child, what, when and what came of it. Filter by child, officer number, outcome or time. Paged (Relay) as `auditEvents`. '
      + 'A call is listed once its outcome is written, under the time it started: a window can still gain calls until 15 minutes after its end '
      + '(a call never answered is written as UNKNOWN by the sweep, every 10 minutes, once five minutes old). '
      + 'For auditors whose token covers the whole city; each read is audited as a read of the audit is. ' + DESCRIBED_COST,
  })
  async registryCalls(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => RegistryCallFilter, { nullable: true }) filter: RegistryCallFilter | null | undefined,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1 to the server maximum (100 by default).' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'The `endCursor` of the previous page.' }) after?: string | null,
  ): Promise<RegistryCallConnection> {
    const f = filter ?? {};
    return logPage(ctx, { field: 'Query.registryCalls', what: 'Reading the registry call log', kind: 'reg', first, after, childId: f.childId }, () => {
      checkText(f.officerId, 'filter.officerId');
      checkList(f.outcomes, 'filter.outcomes', 'outcome');
      checkWindow(f.since, f.until);
      return {
        childId: f.childId ?? null, officerId: f.officerId ?? null, outcomes: f.outcomes ? [...new Set(f.outcomes)] : null,
        since: f.since ?? null, until: f.until ?? null,
      };
    }, (asked, limit, key) => repoOf(ctx).registryCalls(asked, limit, key, ctx.queries), toCall);
  }
}

/**
 * A page of a log, newest first, as both queries read one: the caller checked ({@link requireAuditor}), then the page
 * size, cursor, child id and the query's own filters (`check`, which gives the filter to read with), the rows read, and
 * the read recorded for the audit, with the filter and the key the cursor held.
 */
async function logPage<F extends { childId: string | null }, R, N extends { id: string; atKey: string }>(
  ctx: GraphQLContext,
  page: { field: string; what: string; kind: 'aud' | 'reg'; first: number; after: string | null | undefined; childId: string | null | undefined },
  check: () => F,
  read: (asked: F, limit: number, key: TimeKey | null) => Promise<R[]>,
  toNode: (row: R) => N,
) {
  const { field, kind, first, after, childId } = page;
  requireAuditor(ctx, field, page.what, childId);
  checkPageSize(first, ctx.maxPageSize);
  const key = after != null ? pageKey(after, kind) : null;
  if (childId != null) requireIdOf('child', childId, 'filter.childId');
  const asked = check();
  const rows = await read(asked, first + 1, key);
  const nodes = rows.slice(0, first).map(toNode);
  ctx.access.readAudit({ field, childIds: asked.childId ? [asked.childId] : [], filter: { ...recorded(asked), ...(key ? { after: key } : {}), first }, rows: nodes.length });
  return relayPage(nodes, rows.length > first, (n) => cursorKey(kind, n.atKey, n.id));
}

/**
 * Refuses a caller who is not an auditor, or whose token does not cover the whole city (the logs name children of every
 * commune), auditing the refusal with the child asked about (QA: a refused read named nothing it asked for).
 */
function requireAuditor(ctx: GraphQLContext, field: string, what: string, childId: string | null | undefined): Principal {
  const p = requirePrincipal(ctx);
  const refuse = (message: string): never => {
    ctx.access.deny(typeof childId === 'string' && childId.startsWith('chd_') && isIdShaped(childId) ? childId : undefined, field);
    throw new ForbiddenError(message);
  };
  if (!p.roles.includes(AUDITOR)) refuse(`${what} is for ${AUDITOR} only`);
  if (p.communeScope !== ALL_COMMUNES) refuse(`${what} needs a token for the whole city (communes "*"): it names children of every commune`);
  return p;
}

function repoOf(ctx: GraphQLContext) {
  const repo = ctx.commands?.audit;
  if (!repo) throw new UpstreamUnavailableError('This gateway cannot read the audit');
  return repo;
}


/** A text filter matched as written: 1 to {@link MAX_TEXT_FILTER} characters, and text PostgreSQL can hold. */
function checkText(v: string | null | undefined, argument: string): void {
  if (v == null) return;
  const length = [...v].length;
  if (length === 0 || length > MAX_TEXT_FILTER) throw new InvalidInputError(`\`${argument}\` must be 1 to ${MAX_TEXT_FILTER} characters, as written in the log`, { argument });
  // Half of a UTF-16 surrogate pair is no character: no log holds one (QA: the audit of the read failed, 503).
  if (/\p{Cs}/u.test(v)) throw new InvalidInputError(`\`${argument}\` holds half of a UTF-16 surrogate pair, which is no character`, { argument });
}

/** An empty list would match nothing: leave it out instead. */
function checkList(v: readonly unknown[] | null | undefined, argument: string, what: string): void {
  if (v != null && v.length === 0) throw new InvalidInputError(`\`${argument}\` is empty, which matches nothing: leave it out for every ${what}`, { argument });
}

function checkWindow(since: Date | null | undefined, until: Date | null | undefined): void {
  if (since && until && since.getTime() >= until.getTime()) throw new InvalidInputError('`filter.since` must be before `filter.until`', { argument: 'filter.since' });
}

/** The time and id a cursor of log `kind` holds; any other cursor (another log's, another query's) is refused. */
function pageKey(after: string, kind: 'aud' | 'reg'): TimeKey {
  const [, at, id] = decodeKeyCursor(after, [new RegExp(`^${kind}$`), CURSOR_INSTANT, ID]);
  return { at: checkCursorInstant(at!), id: id! };
}

/**
 * The filters given, as the audit of the read records them. Text an auditor typed is screened as an operation name is
 * (QA: a child's name and number typed as a subject were kept): a name- or number-like one is `[withheld]`.
 */
function recorded(f: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === null || v === undefined) continue;
    out[k] = v instanceof Date ? v.toISOString() : typeof v === 'string' && k !== 'childId' ? operationLabel(v) : v;
  }
  return out;
}

function toEvent(r: AuditEventRow): AuditEvent & { atKey: string } {
  const d = r.details ?? {};
  const listed = (key: string) => (Array.isArray(d[key]) ? (d[key] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
  return {
    id: r.id,
    atKey: r.at_key,
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

function toCall(r: RegistryCallRow): RegistryCall & { atKey: string } {
  return {
    id: r.id,
    atKey: r.at_key,
    startedAt: r.started_at,
    recordedAt: r.recorded_at,
    requestId: r.request_id,
    operation: r.operation,
    transport: r.transport,
    childId: r.child_id,
    officerId: r.officer_id,
    unit: r.unit,
    purposeCode: r.purpose_code,
    caseRef: r.case_ref,
    outcome: r.outcome as RegistryCallOutcomeEnum,
    httpStatus: r.http_status,
    latencyMs: r.latency_ms,
  };
}
