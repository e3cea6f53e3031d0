import { Field, GraphQLISODateTime, ID, Int, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';
import type { Disagreements, FieldProvenance as FieldProvenanceRow, GoldenField } from '../../db/entities/child.entity.js';
import { PersonalData, Sensitive, SensitiveBy } from '../authorization/sensitive.decorator.js';
import { evidenceClasses } from '../authorization/source-classes.js';
import { ChildStatusEnum, DatePrecisionEnum, IdentityStatusEnum, SexEnum, SpecialCircumstanceGroupEnum } from './enums.js';

@PersonalData({ childIdField: 'id' })
@ObjectType({
  description:
    'The unified record of one child, built from every agency source that knows the child. Each golden field is the current best value; `provenance` says which source record supplied it and `sourceRecords` lists the evidence. Fields are released by sensitivity class according to the caller\'s roles; a denied field resolves to null with a FORBIDDEN error at its path.',
})
export class Child {
  @Sensitive(SensitivityClass.BASIC)
  @Field(() => ID, { description: 'Stable hub id (`chd_…`). Never the identity number, which can change.' })
  id!: string;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => ChildStatusEnum)
  status!: ChildStatusEnum;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => ID, { nullable: true, description: 'When MERGED, the child this record was merged into.' })
  mergedIntoId!: string | null;

  // QA: which children's version moved after a facility inspection's sync named the children in care, as updatedAt did.
  @SensitiveBy(SensitivityClass.PROVENANCE, evidenceClasses)
  @Field(() => Int, { nullable: true, description: 'Increases each time the unified record changes. The evidence layer, as `createdAt`: which children one sync changed tells which source holds them.' })
  version!: number;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'Full name, family + middle + given ("Nguyễn Thị Thu Hà").' })
  fullName!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'Family name (họ).' })
  familyName!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'Middle name (chữ đệm).' })
  middleName!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'Given name (tên).' })
  givenName!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => SexEnum, { nullable: true })
  sex!: SexEnum | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'ISO date of birth; read with `birthDatePrecision`. For an abandoned child it is the date found.' })
  birthDate!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => DatePrecisionEnum, { nullable: true })
  birthDatePrecision!: DatePrecisionEnum | null;

  // QA: as BASIC it listed abandoned children to any role (the register marks an abandoned child's birth date, the date found).
  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => Boolean, {
    nullable: true,
    description: 'True when the birth date is an estimate (e.g. assessed at intake). PROTECTION_GROUP: sources mark it for a child found abandoned or taken into care.',
  })
  birthDateEstimated!: boolean;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => Int, { nullable: true })
  birthYear!: number | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: '2025 commune code of residence (jurisdiction). See `commune` for the name.' })
  communeCode!: string | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => String, { nullable: true, description: 'Current personal identification number (12 digits), the one most sources agree on.' })
  identityNumber!: string | null;

  /** Stored status; the `identityStatus` field is resolved by ChildResolver ({@link presentedIdentityStatus}). */
  identityStatus!: IdentityStatusEnum;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => [SpecialCircumstanceGroupEnum], { nullable: true, description: 'Groups the child is in now (summary; see `specialCircumstances` for the evidence, and for memberships that have ended). None from the 16th birthday: the 14 groups are groups of children, persons under 16 (with a birth date known only to the month or year, from the last day it could be).' })
  groups!: SpecialCircumstanceGroupEnum[];

  // QA: as BASIC they told which children one sync created or changed together (a facility inspection's
  // run: children in care). When the hub built or changed a child says which sources' runs touched it.
  @SensitiveBy(SensitivityClass.PROVENANCE, evidenceClasses)
  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When the hub first built this unified record. The evidence layer (PROVENANCE, PROTECTION_GROUP and ADOPTION, as `sourceRecords`): when a child was built tells which source\'s run brought it.',
  })
  createdAt!: Date;

  @SensitiveBy(SensitivityClass.PROVENANCE, evidenceClasses)
  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When the unified record last changed; the evidence layer, as `createdAt`.',
  })
  updatedAt!: Date;

  /** Raw provenance map (resolved into a list by the resolver). */
  provenanceMap!: Partial<Record<GoldenField, FieldProvenanceRow>>;

  /** Stored disagreements, null when the sources agree (resolved into a list by the resolver). */
  disagreementMap!: Disagreements | null;
}
