import { Field, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../../auth/sensitivity.js';
import { factSourceClasses } from '../../authorization/source-classes.js';
import { PersonalData, Sensitive, SensitiveBy } from '../../authorization/sensitive.decorator.js';
import { ProjectionSource } from './projection-source.type.js';
import { DatePrecisionEnum } from '../enums.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({
  description:
    'A child taken into or seen in a care facility, as a source record states it (e.g. an inspection\'s list of children present). PROTECTION_GROUP data: it reveals that the child is in care. `facility` and `child` are resolved by the gateway; `child` goes through the authorised Child type.',
})
export class Placement {
  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => String, { nullable: true, description: 'Code of the facility (mã cơ sở); see `facility`.' })
  facilityCode!: string;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => String, { nullable: true, description: 'ISO date the child was taken in, when known.' })
  startedOn!: string | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => DatePrecisionEnum, { nullable: true, description: 'How much of `startedOn` is known: DAY, or MONTH or YEAR when the source gave only those (the date then reads 01 for the rest). Null with the date.' })
  startedOnPrecision!: DatePrecisionEnum | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => String, { nullable: true, description: 'The circumstance that brought the child in, as written.' })
  reason!: string | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => String, { nullable: true, description: 'ISO date the child was seen there (the inspection date).' })
  seenOn!: string | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => DatePrecisionEnum, { nullable: true, description: 'How much of `seenOn` is known: DAY, or MONTH or YEAR when the source gave only those (the date then reads 01 for the rest). Null with the date.' })
  seenOnPrecision!: DatePrecisionEnum | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => String, { nullable: true, description: 'The inspection report that saw the child there, when the source says.' })
  inspectionReportNumber!: string | null;

  @SensitiveBy(SensitivityClass.PROVENANCE, factSourceClasses)
  @Field(() => ProjectionSource, { nullable: true, description: 'The source record this fact came from.' })
  source!: ProjectionSource;

  /** The child the placement is read for (audit key; exposed as `child`). */
  childId!: string;
}
