import { Field, ID, ObjectType } from 'type-graphql';
import { GoldenFieldEnum, SourceSystemEnum } from './enums.js';

@ObjectType({ description: 'A source record on one side of a disagreement. Its value is the record\'s own (`Child.sourceRecords`).' })
export class DisagreeingRecord {
  @Field(() => ID, { description: 'The source record (`src_…`).' })
  sourceRecordId!: string;

  @Field(() => SourceSystemEnum)
  sourceSystem!: SourceSystemEnum;
}

@ObjectType({ description: 'The records giving one value of a field. A birth date known only to the year or month is on every side it fits.' })
export class DisagreementSide {
  @Field(() => Boolean, { description: 'Whether the unified record shows this side\'s value: the record `provenance` names for the field is on it.' })
  chosen!: boolean;

  @Field(() => [DisagreeingRecord])
  sourceRecords!: DisagreeingRecord[];
}

@ObjectType({
  description:
    'A golden field the child\'s linked source records give genuinely different values for, as the hub compares them: names folded (case, '
    + 'diacritics, spacing and word order aside: *Thu Hà Nguyễn Thị* agrees with *Nguyễn Thị Thu Hà*), birth dates at the coarser precision (2015 agrees with 2015-10-15, not with 2016-10-15), communes as 2025 '
    + 'codes (a legacy code is not compared), sex and identity numbers as they are. Survivorship picked one side (`chosen`) without a steward. '
    + '`communeCode`: the child is shown, and scoped to officers, in the commune of the most recently observed record; the child may have moved, '
    + 'or one source may be wrong, and a steward should confirm the move with the commune.',
})
export class FieldDisagreement {
  @Field(() => GoldenFieldEnum)
  field!: GoldenFieldEnum;

  @Field(() => [DisagreementSide], { description: 'Two or more sides, each the records giving one value; no values here.' })
  sides!: DisagreementSide[];
}
