import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';
import type { ChildFilterSql } from '../../db/repositories/child-read.repository.js';
import type { GraphQLContext } from '../context.js';
import { ChildConnection } from '../types/connection.type.js';
import { Cost, COUNT_COST } from '../validation/cost-limit.rule.js';

/** How many children a count by name audits as named, at most. */
const AUDITED_NAMED_COUNT = 1000;

/**
 * A count this small, by a filter revealing more than BASIC data (a group, an identity status), audits the
 * children it counts: it singles them out as a list would (QA: commune, birth year, sex and `group: ABANDONED`
 * counted one child, with no trace). A larger count is a statistic, not audited per child.
 */
const AUDITED_SMALL_COUNT = 10;

@Resolver(() => ChildConnection)
export class ChildConnectionResolver {
  @Cost(COUNT_COST)
  @FieldResolver(() => Int, { description: 'Number of children matching the filter in your scope (counted only when asked).' })
  async totalCount(@Root() conn: ChildConnection, @Ctx() ctx: GraphQLContext): Promise<number> {
    const filter = conn.filterKey as ChildFilterSql;
    const count = await ctx.repo.countChildren(filter, ctx.queries);
    // A count by name singles children out: "is the child of this name abandoned?" is answered by a count. Its
    // children are audited as named by the query, with what the filter reveals of them (QA: no trace was left);
    // the first AUDITED_NAMED_COUNT of them, a name matching more being no longer one child.
    const byName = Boolean(filter.nameWords?.length);
    const small = count <= AUDITED_SMALL_COUNT && conn.revealed.some((cls) => cls !== SensitivityClass.BASIC);
    if (count > 0 && (byName || small)) {
      const named = await ctx.repo.childrenPage(filter, byName ? AUDITED_NAMED_COUNT : AUDITED_SMALL_COUNT, null, ctx.queries);
      for (const child of named) {
        ctx.access.read(child.id, SensitivityClass.BASIC);
        for (const cls of conn.revealed) ctx.access.read(child.id, cls);
        ctx.access.readField(child.id, 'ChildConnection.totalCount');
        for (const path of conn.telling) ctx.access.readField(child.id, path);
      }
    }
    return count;
  }
}
