import { Field, InputType, Int } from 'type-graphql';
import { GoldenFieldEnum, IdentityStatusEnum, SexEnum, SpecialCircumstanceGroupEnum } from './enums.js';

@InputType({
  description: 'Filters for `children`; all given filters must hold. A filter reveals, of every child returned, the attribute it filters on: '
    + 'it needs the class of that attribute, and the audit records the class as read for those children.',
})
export class ChildrenFilter {
  @Field(() => String, {
    nullable: true,
    description: 'A change token (`ChildConnection.changeToken` of an earlier query): only children whose unified record changed since that '
      + 'query began, MERGED ones included (`status`, `mergedIntoId`: the child they were merged into is listed too). A change is anything '
      + 'the record tells of the child: golden fields, identity status or numbers, groups, any fact (a source record stored new or changed, '
      + 'marked absent from its source or returned, or renamed by a rekey), a merge. Re-confirmation times alone (`identity.checkedAt`, '
      + '`identity.verifiedAt`) are not, nor the quarantine (`SourceRecord.openReject`: see `rejectedRecords`). '
      + 'A child may be listed again though nothing you read changed (at least once, never missed). A child that left your scope, or no '
      + 'longer matches your other filters, is not listed: pull without other filters to follow every change, and list all your children\'s '
      + 'ids now and then (paging, without `changedSince`) to drop those that left your communes. A token not made by `changeToken`, or '
      + 'past every transaction the database has run (another hub\'s, or one from before a restore of its database), is refused (BAD_USER_INPUT). '
      + 'The evidence layer, as `Child.updatedAt` (PROVENANCE, PROTECTION_GROUP and ADOPTION): '
      + 'which children changed together tells which source holds them (a facility inspection\'s sync changes the children in care).',
  })
  changedSince?: string | null;

  @Field(() => [String], { nullable: true, description: '2025 commune codes (5 digits), at least one (leave it out for every commune in your scope). Intersected with the caller\'s commune scope. '
      + 'A code of no 2025 commune is refused (BAD_USER_INPUT), except, for a caller of the whole city, a former code a child is kept under (its source gave it; flagged).' })
  communeCodes?: string[] | null;

  @Field(() => SexEnum, { nullable: true })
  sex?: SexEnum | null;

  @Field(() => Int, { nullable: true, description: 'Born in or after this year.' })
  birthYearFrom?: number | null;

  @Field(() => Int, { nullable: true, description: 'Born in or before this year.' })
  birthYearTo?: number | null;

  @Field(() => SpecialCircumstanceGroupEnum, { nullable: true, description: 'In this group of children in special circumstances now, as `Child.groups` lists them (needs PROTECTION_GROUP access).' })
  group?: SpecialCircumstanceGroupEnum | null;

  @Field(() => IdentityStatusEnum, { nullable: true, description: 'With this identity status (needs IDENTITY access).' })
  identityStatus?: IdentityStatusEnum | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'false: children with no health screening (`Child.healthScreenings`) from any of their sources, or from any child merged into '
      + 'them: those still to be screened, as far as the hub knows; true: children with at least one. Needs HEALTH access. Whether a screening '
      + 'came from a record its source no longer returns does not matter: the screening took place.',
  })
  healthScreened?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: children whose latest school enrolment (the one `Child.schoolEnrolments` lists last: by school year, one without a '
      + 'year last; a child merged into them included; one whose record its source no longer returns too, as the list shows it) is STUDYING; false: children with no enrolment from any source, or whose latest one is DROPPED_OUT: those out of school as '
      + 'far as the hub knows (combine with `birthYearFrom`/`birthYearTo` for school age). Needs BASIC and PROTECTION_GROUP: it tells a '
      + 'drop-out, which below upper secondary is group h\'s evidence (as `SchoolEnrolment.status`).',
  })
  inSchool?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: 'Name search ignoring diacritics, case and word order: "nguyen thi ha" finds "Nguyễn Thị Thu Hà". Each word must be a whole word of the name ("ha" finds Hà, not Thanh); at least 2 letters.',
  })
  name?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: children whose linked source records disagree on some golden field (`Child.disagreements`); false: on none. '
      + 'For data stewards: the evidence layer, as `Child.disagreements` (PROVENANCE, PROTECTION_GROUP and ADOPTION).',
  })
  sourcesDisagree?: boolean | null;

  @Field(() => [GoldenFieldEnum], {
    nullable: true,
    description: 'Children whose linked source records disagree on at least one of these fields, e.g. `[communeCode]`: the child is shown in the '
      + 'commune of the most recent record, and a steward should confirm the move. The evidence layer, as `sourcesDisagree`.',
  })
  sourcesDisagreeOn?: GoldenFieldEnum[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Children with a linked source record flagged with at least one of these codes (`RecordFlag.code`), e.g. '
      + '`["IDENTITY_NUMBER_HELD_BY_ANOTHER_CHILD"]`: the records kept apart from the child carrying their number, for a steward to decide. '
      + 'The evidence layer, as `sourcesDisagree`.',
  })
  recordFlags?: string[] | null;
}
