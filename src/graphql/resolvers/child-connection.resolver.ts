import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { ChildFilterSql } from '../../db/repositories/child-read.repository.js';
import type { GraphQLContext } from '../context.js';
import { ChildConnection } from '../types/connection.type.js';

@Resolver(() => ChildConnection)
export class ChildConnectionResolver {
  @FieldResolver(() => Int, { description: 'Number of children matching the filter in your scope (counted only when asked).' })
  async totalCount(@Root() conn: ChildConnection, @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.repo.countChildren(conn.filterKey as ChildFilterSql, ctx.queries);
  }
}
