import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_COMMUNES, inScope, type Principal } from '../../auth/principal.js';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { ForbiddenError, InvalidInputError, UpstreamUnavailableError } from '../../errors/index.js';
import { Sensitive } from '../authorization/sensitive.decorator.js';
import { presentedIdentityStatus, presentedNumbers } from '../authorization/identity-status.js';
import { requireRole } from '../authorization/require-role.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { Child } from '../types/child.type.js';
import { checkCursorInstant, checkPageSize, CURSOR_INSTANT, cursorKey, decodeCursor, decodeKeyCursor, relayPage } from '../cursor.js';
import type { IssuancePageKey } from '../../db/repositories/child-read.repository.js';
import { toldPageItems } from '../selection.js';
import {
  ChildIdentity, IdentityConflict, IdentityConflictConnection, IdentityWork, IssuanceRequest, IssuanceRequestConnection, QueueCount,
} from '../types/identity.type.js';
import type { IdentityNumber, StructuralFinding } from '../types/identity-number.type.js';
import { notFound, requireIdOf } from './lookup.js';
import { Cost, COUNT_COST, MUTATION_COST } from '../validation/cost-limit.rule.js';
import { REGISTRY_WINDOW_SECONDS } from '../../observability/identity-metrics.js';

/** `001*******23`: enough to tell numbers apart on a screen, not enough to use one. */
export function maskNumber(n: string): string {
  return n.length <= 5 ? '*'.repeat(n.length) : `${n.slice(0, 3)}${'*'.repeat(n.length - 5)}${n.slice(-2)}`;
}

const OPERATOR_ROLES = new Set(['operator', 'integration_engineer', 'data_steward']);
const scopeOf = (p: Principal) => (p.communeScope === ALL_COMMUNES ? null : p.communeScope);


type ChildWithIdentity = Child & { identityVerifiedAt: Date | null; identityCheckedAt: Date | null; identityMismatchedFields: string[] };

@Resolver(() => Child)
export class ChildIdentityResolver {
  @Sensitive(SensitivityClass.BASIC)
  @FieldResolver(() => ChildIdentity, { description: 'The child\'s identity-number status against the population database, with evidence and history.' })
  async identity(@Root() child: ChildWithIdentity, @Ctx() ctx: GraphQLContext): Promise<ChildIdentity> {
    const principal = requirePrincipal(ctx);
    const full = principal.classes.has(SensitivityClass.IDENTITY);
    const history = full ? presentedNumbers((await ctx.loaders.identityNumbersByChild.load(child.id)) as unknown as IdentityNumber[], principal.classes) : null;
    const current = history?.find((n) => n.number === child.identityNumber);
    return {
      childId: child.id,
      number: child.identityNumber === null ? null : full ? child.identityNumber : maskNumber(child.identityNumber),
      masked: child.identityNumber !== null && !full,
      status: presentedIdentityStatus(child.identityStatus ?? null, principal.classes)!,
      verifiedAt: child.identityVerifiedAt ?? null,
      checkedAt: child.identityCheckedAt ?? null,
      mismatchedFields: child.identityMismatchedFields ?? [],
      structuralFindings: (current?.structuralFindings as StructuralFinding[] | undefined) ?? [],
      history,
    };
  }
}

@Resolver(() => ChildIdentity)
export class ChildIdentityIssuanceResolver {
  @Sensitive(SensitivityClass.IDENTITY)
  @FieldResolver(() => IssuanceRequest, {
    nullable: true,
    description: 'The request for a number the hub keeps polling the population database with, while the child waits for one (PENDING_ISSUANCE): '
      + 'when it was asked, how often and when last and next, and its due date (IDENTITY). Null when no request is open.',
  })
  async issuance(@Root() identity: ChildIdentity, @Ctx() ctx: GraphQLContext): Promise<IssuanceRequest | null> {
    return ((await ctx.loaders.issuanceByChild.load(identity.childId)) as unknown as IssuanceRequest | null) ?? null;
  }
}

@Resolver()
export class IdentityOperationsResolver {
  @Query(() => IdentityConflictConnection, {
    description: 'Verified numbers a child in your scope is in conflict over, carried by more than one active child: probable duplicates or a '
      + 'wrong number, one per number, with every child in your scope carrying it whatever its own status (one alone when the others live '
      + 'outside your communes), paged (Relay): pass `pageInfo.endCursor` as `after` for the next page; `totalCount` counts them all. Needs IDENTITY access.',
  })
  async identityConflicts(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1 to the server maximum (100 by default).' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'The `endCursor` of the previous page.' }) after?: string | null,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<IdentityConflictConnection> {
    const p = requirePrincipal(ctx, SensitivityClass.IDENTITY, { field: 'Query.identityConflicts' });
    checkPageSize(first, ctx.maxPageSize);
    const afterId = after ? decodeCursor(after, 'chd') : null;
    const scope = scopeOf(p);
    const groups = await ctx.repo.identityConflicts(scope, first + 1, afterId, ctx.queries);
    const fetched = groups.map((g) => ({ number: g.number, childIds: g.childIds }) as IdentityConflict);
    const nodes = fetched.slice(0, first);
    // A conflict released (its number, its children, or its cursor) is each of its children's IDENTITY data:
    // their number and that it is in conflict. `IdentityConflict` is no personal-data type, so record it here.
    for (const g of info ? toldPageItems(info, nodes, fetched) : nodes) {
      for (const id of g.childIds) {
        ctx.access.read(id, SensitivityClass.IDENTITY);
        ctx.access.readField(id, 'Query.identityConflicts');
      }
    }
    return { ...relayPage(nodes, groups.length > first, (g) => g.childIds[0]!), scope };
  }

  @Query(() => IssuanceRequestConnection, {
    description: 'Children still without a number after the issuance deadline (ISSUANCE_OVERDUE_DAYS), oldest first: escalate to the responsible '
      + 'commune. Paged (Relay): pass `pageInfo.endCursor` as `after` for the next page, which starts after that request\'s place in the order '
      + 'even if the request has since been closed or reopened; `totalCount` counts them all. Needs IDENTITY access.',
  })
  async overdueIdentityIssuance(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1 to the server maximum (100 by default).' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'The `endCursor` of the previous page.' }) after?: string | null,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<IssuanceRequestConnection> {
    const p = requirePrincipal(ctx, SensitivityClass.IDENTITY, { field: 'Query.overdueIdentityIssuance' });
    checkPageSize(first, ctx.maxPageSize);
    const scope = scopeOf(p);
    const rows = await ctx.repo.overdueIssuance(scope, first + 1, after ? issuancePageKey(after) : null, ctx.queries);
    const nodes = rows.slice(0, first) as IssuanceRequest[];
    // A request released is its child's IDENTITY data (still no number, overdue), as `identityStatus` is.
    for (const r of info ? toldPageItems(info, nodes, rows as IssuanceRequest[]) : nodes) {
      ctx.access.read(r.childId, SensitivityClass.IDENTITY);
      ctx.access.readField(r.childId, 'Query.overdueIdentityIssuance');
    }
    return { ...relayPage(nodes, rows.length > first, (r) => cursorKey(r.dueKey, r.childId)), scope };
  }

  @Cost(MUTATION_COST)
  @Mutation(() => Boolean, {
    description: 'Checks the child\'s number against the population database now (or starts issuance when it has none), in your name: the call carries your officer number, name, unit and purpose, with the request as its case. Queued within the registry quota; a request while one for the child is open joins it (one call answers both). Audited. Needs IDENTITY access. A MERGED child is BAD_USER_INPUT naming the child it was merged into (`mergedIntoId`): ask about that one.',
  })
  async requestIdentityReconciliation(@Arg('childId', () => ID) childId: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const p = requirePrincipal(ctx, SensitivityClass.IDENTITY, { field: 'Mutation.requestIdentityReconciliation', childId });
    requireIdOf('child', childId, 'childId');
    const child = await ctx.loaders.child.load(childId);
    if (!child || !inScope(p, child.communeCode)) {
      ctx.access.deny(childId, 'Mutation.requestIdentityReconciliation'); // audited as refused, naming the id asked for
      throw notFound('child', childId, p);
    }
    if (child.status === 'MERGED') {
      // QA: answered true, and nothing was checked (a merged child is no one's record any more). The refusal is
      // audited, and so is what it tells of the child (which child it was merged into, BASIC) (QA re-check).
      ctx.access.deny(childId, 'Mutation.requestIdentityReconciliation');
      ctx.access.read(childId, SensitivityClass.BASIC);
      ctx.access.readField(childId, 'Child.mergedIntoId');
      throw new InvalidInputError(`Child ${childId} was merged into ${child.mergedIntoId}: ask for a check of that child`, { argument: 'childId', mergedIntoId: child.mergedIntoId });
    }
    if (!ctx.commands) throw new UpstreamUnavailableError('This gateway cannot enqueue work');
    await ctx.commands.requestIdentityReconciliation(childId, p, ctx.requestId);
    ctx.access.wrote(childId, 'requestIdentityReconciliation');
    return true;
  }

  @Query(() => IdentityWork, {
    description: 'Where identity reconciliation and issuance stand (recent registry calls by outcome, when it last answered, issuance requests '
      + 'pending, overdue and late, officers\' checks open), in counts only, for operators, integration engineers and data stewards.',
  })
  async identityWork(@Ctx() ctx: GraphQLContext): Promise<IdentityWork> {
    requireRole(ctx, OPERATOR_ROLES, 'Query.identityWork', 'Reading identity work');
    if (!ctx.commands) throw new UpstreamUnavailableError('This gateway cannot read identity work');
    const h = await ctx.commands.identityWork();
    return {
      windowSeconds: REGISTRY_WINDOW_SECONDS,
      recentCalls: h.recent,
      lastAnswerAt: h.lastAnsweredAt === null ? null : new Date(h.lastAnsweredAt * 1000),
      issuancePending: h.issuancePending,
      issuanceOverdue: h.issuanceOverdue,
      issuancePollLate: h.issuancePollLate,
      requestsOpen: h.requestsOpen,
      callsUnfinished: h.callsUnfinished,
    };
  }

  @Query(() => [QueueCount], { description: 'Jobs per queue (waiting, active, delayed, failed, completed), for operators.' })
  async queueCounts(@Ctx() ctx: GraphQLContext): Promise<QueueCount[]> {
    requireRole(ctx, OPERATOR_ROLES, 'Query.queueCounts', 'Reading queue counts');
    if (!ctx.commands) throw new UpstreamUnavailableError('This gateway cannot read queue counts');
    return ctx.commands.queueCounts();
  }
}

@Resolver(() => IdentityConflict)
export class IdentityConflictResolver {
  @FieldResolver(() => [Child], { description: 'The children in your commune scope carrying the number, by id (random: a stable order, meaning nothing else).' })
  async children(@Root() conflict: IdentityConflict, @Ctx() ctx: GraphQLContext): Promise<Child[]> {
    const children = await ctx.loaders.child.loadMany(conflict.childIds);
    return children.filter((c) => !!c && !(c instanceof Error)) as unknown as Child[];
  }
}

@Resolver(() => IdentityConflictConnection)
export class IdentityConflictConnectionResolver {
  @Cost(COUNT_COST)
  @FieldResolver(() => Int, { description: 'Number of conflicting numbers in your scope, on every page, whatever `after` (counted only when asked).' })
  async totalCount(@Root() conn: IdentityConflictConnection, @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.repo.countIdentityConflicts(conn.scope, ctx.queries);
  }
}

@Resolver(() => IssuanceRequest)
export class IssuanceRequestResolver {
  @FieldResolver(() => Child, { description: 'The child waiting for a number.' })
  async child(@Root() request: IssuanceRequest, @Ctx() ctx: GraphQLContext): Promise<Child> {
    const child = await ctx.loaders.child.load(request.childId);
    if (!child) throw new Error(`issuance request of a child that does not exist: ${request.childId}`);
    return child as unknown as Child;
  }
}

@Resolver(() => IssuanceRequestConnection)
export class IssuanceRequestConnectionResolver {
  @Cost(COUNT_COST)
  @FieldResolver(() => Int, { description: 'Number of overdue requests in your scope, on every page, whatever `after` (counted only when asked).' })
  async totalCount(@Root() conn: IssuanceRequestConnection, @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.repo.countOverdueIssuance(conn.scope, ctx.queries);
  }
}

/**
 * The sort key an `overdueIdentityIssuance` cursor carries: the last request's due date (to the microsecond) and
 * child id. Cursors of the earlier form (a child id alone) are refused as not this API's.
 */
function issuancePageKey(after: string): IssuancePageKey {
  const [dueAt, childId] = decodeKeyCursor(after, [CURSOR_INSTANT, /^chd_[0-9A-HJKMNP-TV-Z]{26}$/]);
  return { dueAt: checkCursorInstant(dueAt!), childId: childId! };
}
