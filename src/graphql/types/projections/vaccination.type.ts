import { Field, Int, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../../auth/sensitivity.js';
import { factSourceClasses } from '../../authorization/source-classes.js';
import { PersonalData, Sensitive, SensitiveBy } from '../../authorization/sensitive.decorator.js';
import { VaccinationStatusEnum } from './projection-enums.js';
import { ProjectionSource } from './projection-source.type.js';
import { DatePrecisionEnum } from '../enums.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({ description: 'A vaccination (tiêm chủng) as a commune health station recorded it. Health data (HEALTH).' })
export class Vaccination {
  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true, description: 'Vaccine code as the source codes it (e.g. CVX or the national EPI code).' })
  vaccineCode!: string;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true })
  vaccineName!: string | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true, description: 'ISO date the dose was given.' })
  occurredOn!: string | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => DatePrecisionEnum, { nullable: true, description: 'How much of `occurredOn` is known: DAY, or MONTH or YEAR when the source gave only those (the date then reads 01 for the rest). Null with the date.' })
  occurredOnPrecision!: DatePrecisionEnum | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => Int, { nullable: true, description: 'Dose number in the series (mũi thứ).' })
  doseNumber!: number | null;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => VaccinationStatusEnum, { nullable: true })
  status!: VaccinationStatusEnum;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => String, { nullable: true, description: 'Where or by whom it was given (station name or code).' })
  performer!: string | null;

  @SensitiveBy(SensitivityClass.PROVENANCE, factSourceClasses)
  @Field(() => ProjectionSource, { nullable: true, description: 'The source record this fact came from.' })
  source!: ProjectionSource;
}
