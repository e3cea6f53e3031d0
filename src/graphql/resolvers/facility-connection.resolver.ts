import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { FacilityConnection } from '../types/projections/facility-connection.type.js';
import { projectionLoaders } from '../types/projections/projection-loaders.js';
import { Cost, COUNT_COST } from '../validation/cost-limit.rule.js';

@Resolver(() => FacilityConnection)
export class FacilityConnectionResolver {
  @Cost(COUNT_COST)
  @FieldResolver(() => Int, {
    description: 'Number of facilities matching the filters (`communeCodes`, `licenceStatus`, `type`) on every page, whatever `after` '
      + '(counted only when asked). Facilities are not limited to your communes, so it counts what `facilities` lists to you.',
  })
  async totalCount(@Root() conn: FacilityConnection, @Ctx() ctx: GraphQLContext): Promise<number> {
    return projectionLoaders(ctx).repo.countFacilities(conn.filter, ctx.queries);
  }
}
