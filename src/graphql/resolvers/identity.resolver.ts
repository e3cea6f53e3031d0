import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_COMMUNES, inScope, type Principal } from '../../auth/principal.js';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { ForbiddenError, InvalidInputError, NotFoundError, UpstreamUnavailableError } from '../../errors/index.js';
import { Sensitive } from '../authorization/sensitive.decorator.js';
import { requireRole } from '../authorization/require-role.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { Child } from '../types/child.type.js';
import { ChildIdentity, IdentityConflict, IssuanceRequest, QueueCount } from '../types/identity.type.js';
import type { IdentityNumber, StructuralFinding } from '../types/identity-number.type.js';

/** `001*******23`: enough to tell numbers apart on a screen, not enough to use one. */
export function maskNumber(n: string): string {
  return n.length <= 5 ? '*'.repeat(n.length) : `${n.slice(0, 3)}${'*'.repeat(n.length - 5)}${n.slice(-2)}`;
}

const OPERATOR_ROLES = new Set(['operator', 'integration_engineer', 'data_steward']);
const scopeOf = (p: Principal) => (p.communeScope === ALL_COMMUNES ? null : p.communeScope);

function checkLimit(first: number, max: number): void {
  if (!Number.isInteger(first) || first < 1 || first > max) throw new InvalidInputError(`\`first\` must be between 1 and ${max}`, { argument: 'first' });
}

type ChildWithIdentity = Child & { identityVerifiedAt: Date | null; identityCheckedAt: Date | null; identityMismatchedFields: string[] };

@Resolver(() => Child)
export class ChildIdentityResolver {
  @Sensitive(SensitivityClass.BASIC)
  @FieldResolver(() => ChildIdentity, { description: 'The child\'s identity-number status against the population database, with evidence and history.' })
  async identity(@Root() child: ChildWithIdentity, @Ctx() ctx: GraphQLContext): Promise<ChildIdentity> {
    const principal = requirePrincipal(ctx);
    const full = principal.classes.has(SensitivityClass.IDENTITY);
    const history = full ? ((await ctx.loaders.identityNumbersByChild.load(child.id)) as unknown as IdentityNumber[]) : null;
    const current = history?.find((n) => n.number === child.identityNumber);
    return {
      childId: child.id,
      number: child.identityNumber === null ? null : full ? child.identityNumber : maskNumber(child.identityNumber),
      masked: child.identityNumber !== null && !full,
      status: child.identityStatus!,
      verifiedAt: child.identityVerifiedAt ?? null,
      checkedAt: child.identityCheckedAt ?? null,
      mismatchedFields: child.identityMismatchedFields ?? [],
      structuralFindings: (current?.structuralFindings as StructuralFinding[] | undefined) ?? [],
      history,
    };
  }
}

@Resolver()
export class IdentityOperationsResolver {
  @Query(() => [IdentityConflict], {
    description: 'Verified numbers carried by more than one child in your scope: probable duplicates or a wrong number. Needs IDENTITY access.',
  })
  async identityConflicts(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
  ): Promise<IdentityConflict[]> {
    const p = requirePrincipal(ctx, SensitivityClass.IDENTITY, { field: 'Query.identityConflicts' });
    checkLimit(first, ctx.maxPageSize);
    const groups = await ctx.repo.identityConflicts(scopeOf(p), first, ctx.queries);
    const children = await ctx.loaders.child.loadMany(groups.flatMap((g) => g.childIds));
    const byId = new Map(children.filter((c): c is NonNullable<typeof c> & { id: string } => !!c && !(c instanceof Error)).map((c) => [c.id, c]));
    return groups.map((g) => ({ number: g.number, children: g.childIds.map((id) => byId.get(id)).filter(Boolean) as unknown as Child[] }));
  }

  @Query(() => [IssuanceRequest], {
    description: 'Children still without a number after the issuance deadline (ISSUANCE_OVERDUE_DAYS), oldest first: escalate to the responsible commune. Needs IDENTITY access.',
  })
  async overdueIdentityIssuance(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
  ): Promise<IssuanceRequest[]> {
    const p = requirePrincipal(ctx, SensitivityClass.IDENTITY, { field: 'Query.overdueIdentityIssuance' });
    checkLimit(first, ctx.maxPageSize);
    const rows = await ctx.repo.overdueIssuance(scopeOf(p), first, ctx.queries);
    const children = await ctx.loaders.child.loadMany(rows.map((r) => r.childId));
    return rows.map((r, i) => ({ ...r, child: children[i] as unknown as Child }));
  }

  @Mutation(() => Boolean, {
    description: 'Checks the child\'s number against the population database now (or starts issuance when it has none). Queued within the registry quota; audited. Needs IDENTITY access.',
  })
  async requestIdentityReconciliation(@Arg('childId', () => ID) childId: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    const p = requirePrincipal(ctx, SensitivityClass.IDENTITY, { field: 'Mutation.requestIdentityReconciliation', childId });
    const child = await ctx.loaders.child.load(childId);
    if (!child || !inScope(p, child.communeCode)) throw new NotFoundError(`No child ${childId} in your jurisdiction`, { id: childId });
    if (!ctx.commands) throw new UpstreamUnavailableError('This gateway cannot enqueue work');
    await ctx.commands.requestIdentityReconciliation(childId);
    ctx.access.wrote(childId, 'requestIdentityReconciliation');
    return true;
  }

  @Query(() => [QueueCount], { description: 'Jobs per queue (waiting, active, delayed, failed, completed), for operators.' })
  async queueCounts(@Ctx() ctx: GraphQLContext): Promise<QueueCount[]> {
    requireRole(ctx, OPERATOR_ROLES, 'Query.queueCounts', 'Reading queue counts');
    if (!ctx.commands) throw new UpstreamUnavailableError('This gateway cannot read queue counts');
    return ctx.commands.queueCounts();
  }
}
