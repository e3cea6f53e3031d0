import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { PersonalData, Sensitive, SensitiveBy } from '../authorization/sensitive.decorator.js';
import { carerClasses } from '../authorization/source-classes.js';
import { RecordProblem } from './connector.type.js';
import { DatePrecisionEnum, SexEnum, SourceSystemEnum, SpecialCircumstanceGroupEnum } from './enums.js';

export enum LinkRuleEnum {
  NEW_CHILD = 'NEW_CHILD',
  IDENTITY_NUMBER = 'IDENTITY_NUMBER',
  MATCHER = 'MATCHER',
  STEWARD = 'STEWARD',
}
registerEnumType(LinkRuleEnum, {
  name: 'LinkRule',
  description: 'How a source record was linked to its child: it created the child, it shares an identity number, the matcher linked it, or a data steward did.',
});

@ObjectType({
  description: 'Something the hub noticed about a record it stored as it came: a value kept as given because it could not be resolved '
    + '(COMMUNE_UNRESOLVED: a pre-2025 commune code, or a commune name not found; COMMUNE_CODE_UNKNOWN: a commune code in no list '
    + 'the hub has, kept without a code set), a commune resolved by its name from an address written before the 2025 reorganisation '
    + '(COMMUNE_FROM_OLD_ADDRESS: it names a district; the 2025 commune of that name may not be where the old one was), an identity '
    + 'number read as a number of fewer than 12 digits (IDENTITY_NUMBER_FROM_NUMBER: it may have lost a leading zero), or given as text '
    + 'of 10 or 11 digits that begins with a province code once its zeros are back (IDENTITY_NUMBER_ZEROS_LOST: a CSV re-saved by a '
    + 'spreadsheet), dates of the '
    + 'record that contradict each other (DATES_INCONSISTENT: a birth after its registration, two columns of one date that disagree; '
    + 'both kept), a text field read from a spreadsheet\'s date cell (TEXT_FROM_DATE_CELL: kept as its ISO date; Excel makes dates of '
    + 'text such as a register book 01/2022), or an id the source listed again with other content (REPEATED_ID, naming where the kept copy was).',
})
export class RecordFlag {
  @Field(() => String, { description: 'The record field it is about (`communeCode`, `externalId`, …).' })
  field!: string;

  @Field(() => String, { description: 'Stable code: COMMUNE_UNRESOLVED, COMMUNE_CODE_UNKNOWN, COMMUNE_FROM_OLD_ADDRESS, IDENTITY_NUMBER_FROM_NUMBER, IDENTITY_NUMBER_ZEROS_LOST, DATES_INCONSISTENT, TEXT_FROM_DATE_CELL, REPEATED_ID, IDENTITY_NUMBER_HELD_BY_ANOTHER_CHILD (kept apart from the child carrying its number, which its message names, as another child: a steward decides; dropped once no other child carries the number).' })
  code!: string;

  @Field(() => String, { description: 'What was noticed; it may repeat a value as the source gave it (a commune name), so it is BASIC data.' })
  message!: string;
}

@ObjectType({
  description: 'A newer version of a stored record that the source sent and the hub refused (an open quarantined record of the same '
    + 'source system and external id): the stored record is older than what the source holds until the source fixes it. Ids, reasons '
    + 'and times only; the refused values are the reject\'s payload (see rejectedRecords).',
})
export class SourceRecordOpenReject {
  @Field(() => ID, { description: 'The quarantined record (`rej_…`), as rejectedRecords lists it.' })
  id!: string;

  @Field(() => [RecordProblem], {
    description: 'Why it was refused: each field, a stable code and what was wrong with the value (never the value); those about fields of sensitive '
      + 'classes your roles do not grant left out, as on rejectedRecords.',
  })
  reasons!: RecordProblem[];

  @Field(() => GraphQLISODateTime, { description: 'When a run first refused this version.' })
  rejectedAt!: Date;

  @Field(() => GraphQLISODateTime, { description: 'When a run last read it, still refused.' })
  lastSeenAt!: Date;

  @Field(() => ID, { nullable: true, description: 'The run that last read it.' })
  lastRunId!: string | null;

  @Field(() => Int, { description: 'How many runs read it, still refused.' })
  timesSeen!: number;
}

@PersonalData({ childIdField: 'childId' })
@ObjectType({ description: 'One record as a source system holds it, with the normalised fields the hub derived from it. Part of the evidence layer: read only with PROVENANCE, PROTECTION_GROUP and ADOPTION (see Child.sourceRecords).' })
export class SourceRecord {
  @Sensitive(SensitivityClass.BASIC)
  @Field(() => ID, { description: 'Hub id (`src_…`).' })
  id!: string;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => ID, { nullable: true, description: 'The unified child (`chd_…`) this record is linked to.' })
  childId!: string | null;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => SourceSystemEnum, { nullable: true })
  sourceSystem!: SourceSystemEnum;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => String, { nullable: true, description: 'The record\'s id in its source system.' })
  externalId!: string;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'Full name as the source gives it (whitespace and Unicode normalised).' })
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
  @Field(() => String, { nullable: true, description: 'ISO date; read with `birthDatePrecision`.' })
  birthDate!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => DatePrecisionEnum, { nullable: true })
  birthDatePrecision!: DatePrecisionEnum | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => Boolean, {
    nullable: true,
    description: 'True when the source marks the birth date as estimated. PROTECTION_GROUP: sources mark it for a child found abandoned or taken into care.',
  })
  birthDateEstimated!: boolean;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'Commune code as given; see `communeCodeSet`.' })
  communeCode!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => [RecordFlag], { nullable: true, description: 'What the hub noticed about the record as it stored it (empty for most): see `RecordFlag`.' })
  flags!: RecordFlag[] | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: '`VN-2025` or `VN-PRE2025`: 2025 codes reuse predecessor codes, so the set is kept with the code.' })
  communeCodeSet!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'Father\'s name as given. ADOPTION, as on a birth registration: another person\'s data; the birth father of an adopted child.' })
  fatherName!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'Mother\'s name as given. ADOPTION, as on a birth registration: another person\'s data; the birth mother of an adopted child.' })
  motherName!: string | null;

  @SensitiveBy(SensitivityClass.ADOPTION, carerClasses)
  @Field(() => String, {
    nullable: true,
    description: 'Carer or legal representative as given (for abandoned children: the temporary carer or institution). ADOPTION (the adoptive parent, '
      + 'in the adoption register); a facility inspection\'s carer is the care facility, which tells the child\'s placement: ADOPTION and PROTECTION_GROUP.',
  })
  carerName!: string | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => String, { nullable: true, description: 'Personal identification number as given by this source.' })
  identityNumber!: string | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => [SpecialCircumstanceGroupEnum], { nullable: true, description: 'Groups this record gives evidence for.' })
  groups!: SpecialCircumstanceGroupEnum[];

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => String, { nullable: true, description: 'Hash of the normalised content; unchanged records are skipped on re-sync.' })
  contentHash!: string;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the source says it last changed the record.' })
  sourceUpdatedAt!: Date | null;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When the hub first stored this record (the sync that first read it), not when the source created it.',
  })
  firstSeenAt!: Date;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When the hub last stored this record changed: its first storing, then each sync that read it with other content (or '
      + 'under a changed mapping). Despite the name, not when a sync last read it: a record read again unchanged is not written, so this '
      + 'does not tell a record still in its source from one the source no longer holds; `absentFromSourceSince` does, for the '
      + 'connectors that look. For the source\'s own time, see `sourceUpdatedAt`.',
  })
  lastSeenAt!: Date;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Set when a full read of the source did not return this record (HTTP connectors with `removals`: their first read, every '
      + 'read of a source without `http.incremental`, a forced read): since when it has been missing. The hub keeps the record, its '
      + 'facts and its link as they were, as evidence. Null again once a full read of such a connector returns it, or any read returns '
      + 'it changed. For file sources, only for lists a file holds whole (`wholeLists`: an inspection report\'s children): set when a later '
      + 'file holding the list no longer lists the record, null again once a file lists it. Never set by other connectors.',
  })
  absentFromSourceSince!: Date | null;

  /** Resolved by the source record resolver (`openReject`). */
  openReject?: SourceRecordOpenReject | null;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => LinkRuleEnum, { nullable: true })
  linkRule!: LinkRuleEnum | null;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => Float, { nullable: true, description: 'Matcher score when the matcher linked it.' })
  linkScore!: number | null;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => String, { nullable: true, description: 'Who or what linked it (`ingest`, matcher version, steward subject).' })
  linkedBy!: string | null;

  @Sensitive(SensitivityClass.PROVENANCE)
  @Field(() => GraphQLISODateTime, { nullable: true })
  linkedAt!: Date | null;
}
