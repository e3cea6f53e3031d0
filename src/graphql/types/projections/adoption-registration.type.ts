import { Field, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../../auth/sensitivity.js';
import { factSourceClasses } from '../../authorization/source-classes.js';
import { PersonalData, Sensitive, SensitiveBy } from '../../authorization/sensitive.decorator.js';
import { ProjectionSource } from './projection-source.type.js';
import { DatePrecisionEnum } from '../enums.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({ description: 'An adoption registration (đăng ký nuôi con nuôi) from the adoption register. Every field is ADOPTION data.' })
export class AdoptionRegistration {
  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'Registration number (số đăng ký).' })
  registrationNumber!: string;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'Register book (quyển số).' })
  book!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'ISO date of registration.' })
  registeredOn!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => DatePrecisionEnum, { nullable: true, description: 'How much of `registeredOn` is known: DAY, or MONTH or YEAR when the source gave only those (the date then reads 01 for the rest). Null with the date.' })
  registeredOnPrecision!: DatePrecisionEnum | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'The registering office, as written.' })
  registeredAt!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'Adoption certificate number (số giấy chứng nhận nuôi con nuôi).' })
  certificateNumber!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true })
  adoptiveFatherName!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true })
  adoptiveMotherName!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'The person or institution giving the child for adoption (bên giao con nuôi).' })
  givenBy!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'The child\'s circumstance before adoption, as written.' })
  priorCircumstance!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => Boolean, { nullable: true, description: 'Whether the child consented (required from age 9).' })
  childConsent!: boolean | null;

  @SensitiveBy(SensitivityClass.PROVENANCE, factSourceClasses)
  @Field(() => ProjectionSource, { nullable: true, description: 'The source record this fact came from.' })
  source!: ProjectionSource;
}
