import { Field, Int, ObjectType } from 'type-graphql';
import { ProjectionSource } from './projection-source.type.js';
import { DatePrecisionEnum } from '../enums.js';

@ObjectType({ description: 'An inspection of a care facility (biên bản kiểm tra), as the inspecting agency reported it. One per facility and report number.' })
export class Inspection {
  @Field(() => String, { description: 'Report number (số biên bản).' })
  reportNumber!: string;

  @Field(() => String, { description: 'ISO date of the inspection.' })
  inspectedOn!: string;

  @Field(() => DatePrecisionEnum, { description: 'How much of `inspectedOn` is known: DAY, or MONTH or YEAR when the source gave only those (the date then reads 01 for the rest).' })
  inspectedOnPrecision!: DatePrecisionEnum;

  @Field(() => String, { nullable: true, description: 'The inspecting unit, as written.' })
  inspectingUnit!: string | null;

  @Field(() => String, { nullable: true, description: 'Findings as written by the inspecting unit.' })
  findings!: string | null;

  @Field(() => Int, { nullable: true, description: 'Number of children the inspection found there (a count, no identities).' })
  childrenPresent!: number | null;

  @Field(() => ProjectionSource, { description: 'The facility record this inspection came from.' })
  source!: ProjectionSource;
}
