import { Field, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../../auth/sensitivity.js';
import { factSourceClasses } from '../../authorization/source-classes.js';
import { PersonalData, Sensitive, SensitiveBy } from '../../authorization/sensitive.decorator.js';
import { ScreeningInterpretationEnum, ScreeningKindEnum } from './projection-enums.js';
import { ProjectionSource } from './projection-source.type.js';
import { DatePrecisionEnum } from '../enums.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({ description: 'A health screening (khám sàng lọc) as a commune health station recorded it. Health data (HEALTH).' })
export class HealthScreening {
  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true, description: 'ISO date of the screening.' })
  screenedOn!: string | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => DatePrecisionEnum, { nullable: true, description: 'How much of `screenedOn` is known: DAY, or MONTH or YEAR when the source gave only those (the date then reads 01 for the rest). Null with the date.' })
  screenedOnPrecision!: DatePrecisionEnum | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => ScreeningKindEnum, { nullable: true })
  kind!: ScreeningKindEnum;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true, description: 'Code of the observation (LOINC or the ministry\'s code), as given.' })
  code!: string | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true, description: 'The result as recorded (value and unit, or the coded text).' })
  result!: string | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => ScreeningInterpretationEnum, { nullable: true })
  interpretation!: ScreeningInterpretationEnum | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true, description: 'Who performed it (station name or code).' })
  performer!: string | null;

  @SensitiveBy(SensitivityClass.PROVENANCE, factSourceClasses)
  @Field(() => ProjectionSource, { nullable: true, description: 'The source record this fact came from.' })
  source!: ProjectionSource;
}
