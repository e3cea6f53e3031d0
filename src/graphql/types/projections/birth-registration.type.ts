import { Field, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../../auth/sensitivity.js';
import { factSourceClasses } from '../../authorization/source-classes.js';
import { PersonalData, Sensitive, SensitiveBy } from '../../authorization/sensitive.decorator.js';
import { ProjectionSource } from './projection-source.type.js';
import { DatePrecisionEnum } from '../enums.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({
  description:
    'A birth registration (đăng ký khai sinh) from the civil-status register. The registration facts are BASIC. The parents and the declarant are other people\'s personal data, and for an adopted child the birth parents are what adoption confidentiality protects, so they are ADOPTION data. The note is PROTECTION_GROUP: for an abandoned child it says so ("trẻ bị bỏ rơi").',
})
export class BirthRegistration {
  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { description: 'Registration number (số đăng ký).' })
  registrationNumber!: string;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'Register book (quyển số).' })
  book!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'ISO date of registration.' })
  registeredOn!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => DatePrecisionEnum, { nullable: true, description: 'How much of `registeredOn` is known: DAY, or MONTH or YEAR when the source gave only those (the date then reads 01 for the rest). Null with the date.' })
  registeredOnPrecision!: DatePrecisionEnum | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'The registering office (nơi đăng ký), as written.' })
  registeredAt!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'Commune code of the registering office, as given.' })
  communeCode!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'Father\'s name on the registration (blank for an abandoned child). ADOPTION: another person\'s data; the birth father of an adopted child.' })
  fatherName!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'Mother\'s name on the registration (blank for an abandoned child). ADOPTION: another person\'s data; the birth mother of an adopted child.' })
  motherName!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'Who declared the birth (người đi khai sinh): a parent, or for an abandoned child the carer or institution. ADOPTION.' })
  declarantName!: string | null;

  @Sensitive(SensitivityClass.ADOPTION)
  @Field(() => String, { nullable: true, description: 'The declarant\'s relation to the child, as written. ADOPTION.' })
  declarantRelation!: string | null;

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @Field(() => String, { nullable: true, description: 'Note on the registration (ghi chú), e.g. "trẻ bị bỏ rơi". PROTECTION_GROUP: it can reveal group membership.' })
  note!: string | null;

  @SensitiveBy(SensitivityClass.PROVENANCE, factSourceClasses)
  @Field(() => ProjectionSource, { nullable: true, description: 'The source record this fact came from.' })
  source!: ProjectionSource;
}
