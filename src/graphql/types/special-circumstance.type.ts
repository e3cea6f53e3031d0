import { Field, ID, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { PersonalData, Sensitive, SensitiveBy } from '../authorization/sensitive.decorator.js';
import { evidenceClasses } from '../authorization/source-classes.js';
import { DatePrecisionEnum, SourceSystemEnum, SpecialCircumstanceGroupEnum } from './enums.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({ description: 'Membership of one of the 14 groups of children in special circumstances, with the source that supports it.' })
export class SpecialCircumstance {
  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => ID, { nullable: true })
  id!: string;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => ID, { nullable: true })
  childId!: string;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => SpecialCircumstanceGroupEnum, { nullable: true })
  group!: SpecialCircumstanceGroupEnum;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => String, { nullable: true, description: 'Clause letter of Art. 10 (a, b, c, d, đ, e, g, h, i, k, l, m, n, o).' })
  clause!: string;

  @SensitiveBy(SensitivityClass.PROTECTION_GROUP, (r) => (r['group'] === SpecialCircumstanceGroupEnum.DISABILITY ? [SensitivityClass.HEALTH] : []))
  @Field(() => String, { nullable: true, description: 'Sub-type per Decree 56/2017, as the source states it. For a disability it is the kind of disability: HEALTH data too.' })
  subType!: string | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => String, { nullable: true, description: 'ISO date the membership started, when known.' })
  startedOn!: string | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => DatePrecisionEnum, { nullable: true, description: 'How much of `startedOn` is known: DAY, or MONTH or YEAR when the source gave only those (the date then reads 01 for the rest). Null with the date.' })
  startedOnPrecision!: DatePrecisionEnum | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => String, { nullable: true, description: 'ISO date the membership ended, when known: a record ended the circumstance (an adoption registered), its source stopped reporting a circumstance whose end that means (a connector\'s `whenGone: end`: a pupil back at school, on the day the school changed the record; the spell is kept as history, a new one is another membership), or the child turned 16 (with a birth date known only to the month or year, the last day that could be the 16th birthday).' })
  endedOn!: string | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => DatePrecisionEnum, { nullable: true, description: 'How much of `endedOn` is known: DAY (also for the 16th birthday worked out from a partial birth date), or MONTH or YEAR when the record that ended the circumstance gave only those. Null with the date.' })
  endedOnPrecision!: DatePrecisionEnum | null;

  // The evidence layer (evidenceClasses): which record and system give it tells, beside the group, an adoption (QA).
  @SensitiveBy(SensitivityClass.PROTECTION_GROUP, evidenceClasses)
  @Field(() => ID, { nullable: true, description: 'The source record giving the evidence. PROTECTION_GROUP, and the evidence layer\'s classes (PROVENANCE and ADOPTION), as `Child.sourceRecords`.' })
  sourceRecordId!: string | null;

  @SensitiveBy(SensitivityClass.PROTECTION_GROUP, evidenceClasses)
  @Field(() => SourceSystemEnum, { nullable: true, description: 'The system the evidence came from. Classed as `sourceRecordId`.' })
  evidenceSource!: SourceSystemEnum | null;
}
