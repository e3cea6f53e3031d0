import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { SourceSystemEnum } from '../enums.js';

@ObjectType({ description: 'Where a fact came from: the source system, the record\'s id there, and the hub\'s copy of the record.' })
export class ProjectionSource {
  @Field(() => SourceSystemEnum)
  sourceSystem!: SourceSystemEnum;

  @Field(() => String, { description: 'The record\'s id in its source system (for facility facts: the facility record\'s key).' })
  externalId!: string;

  @Field(() => ID, { nullable: true, description: 'The source record (`src_…`) holding the fact; null for facility facts, which are not child records.' })
  recordId!: string | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Set when a full read of the source no longer returned the record holding the fact, or a later file no longer listed it '
      + '(`wholeLists`: a placement left out of a corrected inspection report) (SourceRecord.absentFromSourceSince): '
      + 'the fact is kept as evidence, but the source no longer vouches for it.',
  })
  absentFromSourceSince!: Date | null;

  @Field(() => GraphQLISODateTime, {
    description: 'When the hub stored the fact as it reads now: the sync that read its record (for facility facts, the facility or '
      + 'inspection row) with this content. A later read that finds it unchanged does not move it; `absentFromSourceSince` tells a '
      + 'record the source no longer returns.',
  })
  fetchedAt!: Date;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'The source\'s own time for the record holding the fact, as the connector\'s definition maps it (SourceRecord.sourceUpdatedAt): '
      + 'FHIR `meta.lastUpdated`, a school record\'s update time, a register row\'s registration date, an inspection\'s date; null when '
      + 'the source gives none. Not when the hub stored it: see fetchedAt.',
  })
  sourceUpdatedAt!: Date | null;
}
