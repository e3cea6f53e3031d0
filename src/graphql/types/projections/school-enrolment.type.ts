import { Field, Int, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../../auth/sensitivity.js';
import { enrolmentStatusClasses, factSourceClasses } from '../../authorization/source-classes.js';
import { PersonalData, Sensitive, SensitiveBy } from '../../authorization/sensitive.decorator.js';
import { EnrolmentStatusEnum } from './projection-enums.js';
import { ProjectionSource } from './projection-source.type.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({
  description: 'A school enrolment as the education-sector database reports it. Enrolment facts are BASIC; `inclusiveEducation` reveals a disability and is HEALTH; '
    + '`status` below upper secondary is PROTECTION_GROUP too (a drop-out there is group h).',
})
export class SchoolEnrolment {
  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { description: 'Education student code (mã định danh học sinh): unique, never changes.' })
  studentCode!: string;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'School year, e.g. "2026-2027".' })
  schoolYear!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true })
  schoolCode!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true })
  schoolName!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'Cấp học as given: Mầm non, Tiểu học, THCS, THPT.' })
  level!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => Int, { nullable: true })
  grade!: number | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true })
  className!: string | null;

  @SensitiveBy(SensitivityClass.BASIC, enrolmentStatusClasses)
  @Field(() => EnrolmentStatusEnum, {
    nullable: true,
    description: 'Studying or dropped out. At a level of universal education (primary, lower secondary; or a level not known to be '
      + 'pre-school or upper secondary) PROTECTION_GROUP too, whatever the status: a drop-out there is group h\'s evidence (LEFT_SCHOOL_TO_WORK).',
  })
  status!: EnrolmentStatusEnum;

  @Sensitive(SensitivityClass.HEALTH)
  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether the child receives inclusive-education support (giáo dục hòa nhập). HEALTH: it reveals a disability.',
  })
  inclusiveEducation!: boolean | null;

  @SensitiveBy(SensitivityClass.PROVENANCE, factSourceClasses)
  @Field(() => ProjectionSource, { nullable: true, description: 'The source record this fact came from.' })
  source!: ProjectionSource;
}
