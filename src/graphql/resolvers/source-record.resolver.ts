import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { ALL_COMMUNES, inScope } from '../../auth/principal.js';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { SourceRecord } from '../types/source-record.type.js';
import { mayKnowRecord } from '../authorization/source-classes.js';
import { notFound, requireIdOf } from './lookup.js';

@Resolver(() => SourceRecord)
export class SourceRecordResolver {
  @Query(() => SourceRecord, {
    nullable: true,
    description: 'One source record by hub id (`src_…`). NOT_FOUND when unknown, when its child is outside your commune scope, or when it is '
      + 'a facility inspection\'s and your roles do not grant PROTECTION_GROUP, or a justice register\'s and they do not grant ADOPTION. Needs BASIC access.',
  })
  async sourceRecord(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<SourceRecord> {
    const principal = requirePrincipal(ctx, SensitivityClass.BASIC, { field: 'Query.sourceRecord' });
    requireIdOf('sourceRecord', id, 'id');
    const record = await ctx.loaders.sourceRecord.load(id);
    // A record of a source the caller may not know of is not found, as one outside their communes is (recordVisibility).
    if (record && mayKnowRecord(principal.classes, record.sourceSystem)) {
      const childId = record.childId as string | null;
      const child = childId ? await ctx.loaders.child.load(childId) : null;
      // A record not yet linked to a child has no jurisdiction: only city-wide roles see it.
      if (child ? inScope(principal, child.communeCode) : principal.communeScope === ALL_COMMUNES) {
        return record as unknown as SourceRecord;
      }
    }
    ctx.access.deny((record?.childId as string | null | undefined) ?? undefined, 'Query.sourceRecord'); // audited as refused
    throw notFound('sourceRecord', id, principal);
  }
}
