import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { ALL_COMMUNES, inScope } from '../../auth/principal.js';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { Sensitive } from '../authorization/sensitive.decorator.js';
import { SourceRecord, SourceRecordOpenReject } from '../types/source-record.type.js';
import { evidenceClasses } from '../authorization/source-classes.js';
import { notFound, requireIdOf } from './lookup.js';

@Resolver(() => SourceRecord)
export class SourceRecordResolver {
  @Query(() => SourceRecord, {
    nullable: true,
    description: 'One source record by hub id (`src_…`). NOT_FOUND when unknown or its child is outside your commune scope. Needs BASIC access, '
      + 'and PROVENANCE, PROTECTION_GROUP and ADOPTION (the evidence layer: see Child.sourceRecords).',
  })
  async sourceRecord(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<SourceRecord> {
    const principal = requirePrincipal(ctx, SensitivityClass.BASIC, { field: 'Query.sourceRecord', recordId: id });
    // The evidence layer, for roles that may know every source (evidenceClasses), whichever record is asked for.
    requirePrincipal(ctx, evidenceClasses(), { field: 'Query.sourceRecord', recordId: id });
    requireIdOf('sourceRecord', id, 'id');
    const record = await ctx.loaders.sourceRecord.load(id);
    if (record) {
      const childId = record.childId as string | null;
      const child = childId ? await ctx.loaders.child.load(childId) : null;
      // A record not yet linked to a child has no jurisdiction: only city-wide roles see it.
      if (child ? inScope(principal, child.communeCode) : principal.communeScope === ALL_COMMUNES) {
        // That this source holds the child is the evidence layer, whatever field is read of the record (as
        // `Child.sourceRecords` audits it): audited so, not only as the classes of the fields read (QA).
        for (const cls of evidenceClasses()) ctx.access.read(childId, cls, record.id);
        ctx.access.readField(childId, 'Query.sourceRecord', record.id);
        return record as unknown as SourceRecord;
      }
    }
    ctx.access.deny((record?.childId as string | null | undefined) ?? undefined, 'Query.sourceRecord', id); // audited as refused
    throw notFound('sourceRecord', id, principal);
  }

  @Sensitive(SensitivityClass.PROVENANCE)
  @FieldResolver(() => SourceRecordOpenReject, {
    nullable: true,
    description: 'The open quarantined record of the same source system and external id, when there is one: the source sent a newer '
      + 'version of this record that the hub refused, so what is stored here (and on the child) is older than what the source holds. '
      + 'Null when the source\'s last version was stored, or its reject was resolved or dismissed. PROVENANCE, as the record\'s other times.',
  })
  async openReject(@Root() record: SourceRecord, @Ctx() ctx: GraphQLContext): Promise<SourceRecordOpenReject | null> {
    return ((await ctx.loaders.openRejectBySourceRecord.load(record.id)) as unknown as SourceRecordOpenReject | null) ?? null;
  }
}
