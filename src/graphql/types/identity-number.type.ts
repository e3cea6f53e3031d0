import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { PersonalData, Sensitive, SensitiveBy } from '../authorization/sensitive.decorator.js';
import { evidenceClasses } from '../authorization/source-classes.js';

export enum IdentityNumberStatusEnum {
  GIVEN = 'GIVEN',
  VERIFIED = 'VERIFIED',
  SUPERSEDED = 'SUPERSEDED',
  REJECTED = 'REJECTED',
}
registerEnumType(IdentityNumberStatusEnum, {
  name: 'IdentityNumberStatus',
  description:
    'Where a number stands in the child\'s history. GIVEN: a linked source record gives it. VERIFIED: the population database verified it, ' +
    'found it by the child\'s name and birth data, or issued it to the child (while no source gives a number, the one verified or issued most recently stays the child\'s); a VERIFIED number keeps ' +
    'its status. SUPERSEDED: a number a source gave that no linked source record gives any more (corrected or re-established in the source, ' +
    'dropped, or its record linked to another child), since supersededAt; GIVEN again if a record gives it again. REJECTED: not the child\'s.',
});

@ObjectType({ description: 'A structural observation about a number (evidence, never a correction).' })
export class StructuralFinding {
  @Field(() => String, { description: 'e.g. NOT_12_DIGITS, UNKNOWN_PROVINCE_PREFIX, SEX_DIGIT_MISMATCH, BIRTH_YEAR_MISMATCH.' })
  code!: string;

  @Field(() => String)
  message!: string;
}

@PersonalData({ childIdField: 'childId' })
@ObjectType({ description: 'A personal identification number (số định danh cá nhân) a child has carried. Numbers can be re-established, so a child keeps a history.' })
export class IdentityNumber {
  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => ID, { nullable: true })
  id!: string;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => ID, { nullable: true })
  childId!: string;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => String, { nullable: true, description: '12 digits as given by the source (separators removed, never "fixed").' })
  number!: string;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => IdentityNumberStatusEnum, { nullable: true })
  status!: IdentityNumberStatusEnum;

  // The evidence layer (evidenceClasses): which record gave a number tells which source holds the child (QA).
  @SensitiveBy(SensitivityClass.IDENTITY, evidenceClasses)
  @Field(() => ID, { nullable: true, description: 'The source record that first gave this number. IDENTITY, and PROVENANCE, PROTECTION_GROUP and ADOPTION as `Child.sourceRecords`.' })
  sourceRecordId!: string | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => [StructuralFinding], { nullable: true, description: 'Structural checks (prefix, century/sex digit, birth year). The comparisons of digits 4–6 with the child\'s sex and birth year (SEX_DIGIT_MISMATCH, BIRTH_YEAR_MISMATCH) only with PROTECTION_GROUP too: they are not made for a child found abandoned, so their absence would tell.' })
  structuralFindings!: StructuralFinding[];

  // When a source first gave the number, and stopped giving it, follow that source's runs: the evidence layer's,
  // as `sourceRecordId` and a child's `createdAt` (QA: the numbers one run brought clustered in `firstSeenAt`).
  @SensitiveBy(SensitivityClass.IDENTITY, evidenceClasses)
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the hub first saw the number. IDENTITY, and PROVENANCE, PROTECTION_GROUP and ADOPTION as `Child.sourceRecords`: it follows the runs of the source that gave it.' })
  firstSeenAt!: Date;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => GraphQLISODateTime, { nullable: true })
  verifiedAt!: Date | null;

  @SensitiveBy(SensitivityClass.IDENTITY, evidenceClasses)
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Since when no linked source record gives the number. As `firstSeenAt`.' })
  supersededAt!: Date | null;
}
