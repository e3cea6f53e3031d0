import { Field, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../../auth/sensitivity.js';
import { factSourceClasses } from '../../authorization/source-classes.js';
import { PersonalData, Sensitive, SensitiveBy } from '../../authorization/sensitive.decorator.js';
import { DisabilitySeverityEnum } from './projection-enums.js';
import { ProjectionSource } from './projection-source.type.js';
import { DatePrecisionEnum } from '../enums.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({ description: 'A disability (khuyết tật) as a source recorded it: type, severity, assessment date. Health data (HEALTH).' })
export class Disability {
  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true, description: 'Dạng khuyết tật as the source codes it: VAN_DONG, NGHE_NOI, NHIN, THAN_KINH_TAM_THAN, TRI_TUE, KHAC.' })
  type!: string | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => DisabilitySeverityEnum, { nullable: true })
  severity!: DisabilitySeverityEnum | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true, description: 'ISO date of the assessment or certificate.' })
  assessedOn!: string | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => DatePrecisionEnum, { nullable: true, description: 'How much of `assessedOn` is known: DAY, or MONTH or YEAR when the source gave only those (the date then reads 01 for the rest). Null with the date.' })
  assessedOnPrecision!: DatePrecisionEnum | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => Boolean, { nullable: true, description: 'Whether the child receives inclusive-education support (giáo dục hòa nhập).' })
  inclusiveEducation!: boolean | null;

  @SensitiveBy(SensitivityClass.PROVENANCE, factSourceClasses)
  @Field(() => ProjectionSource, { nullable: true, description: 'The source record this fact came from.' })
  source!: ProjectionSource;
}
