import { Field, GraphQLISODateTime, ID, ObjectType } from 'type-graphql';
import { GoldenFieldEnum, SourceSystemEnum } from './enums.js';

@ObjectType({ description: 'Which source record supplied a field of the unified record.' })
export class FieldProvenance {
  @Field(() => GoldenFieldEnum)
  field!: GoldenFieldEnum;

  @Field(() => ID, { description: 'The source record (`src_…`) the value was taken from.' })
  sourceRecordId!: string;

  @Field(() => SourceSystemEnum)
  sourceSystem!: SourceSystemEnum;

  @Field(() => GraphQLISODateTime, { description: 'When survivorship last chose this source for the field.' })
  chosenAt!: Date;
}
