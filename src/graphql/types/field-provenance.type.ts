import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { FieldOriginEnum, GoldenFieldEnum, SourceSystemEnum } from './enums.js';

@ObjectType({ description: 'Where a field of the unified record came from: the source record that supplied it, or the population database.' })
export class FieldProvenance {
  @Field(() => GoldenFieldEnum)
  field!: GoldenFieldEnum;

  @Field(() => FieldOriginEnum, { description: 'A source record, or (for `identityNumber` only) the population database.' })
  origin!: FieldOriginEnum;

  @Field(() => ID, { nullable: true, description: 'The source record (`src_…`) the value was taken from; null from the population database.' })
  sourceRecordId!: string | null;

  @Field(() => SourceSystemEnum, { nullable: true, description: 'The source record\'s system; null from the population database.' })
  sourceSystem!: SourceSystemEnum | null;

  @Field(() => GraphQLISODateTime, { description: 'When survivorship last chose this source for the field; from the population database, when it last confirmed the number.' })
  chosenAt!: Date;
}
