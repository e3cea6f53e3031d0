import { Field, GraphQLISODateTime, ID, Int, ObjectType } from 'type-graphql';
import { FacilityLicenceStatusEnum, FacilityTypeEnum } from './projection-enums.js';

@ObjectType({
  description:
    'A care facility — public or private social-assistance facility, or religious establishment — keyed by its code. Facility facts are not child personal data; `placements` is (PROTECTION_GROUP), and its children are released only through the authorised Child type, within your commune scope, and audited.',
})
export class Facility {
  @Field(() => ID, { description: 'Hub id (`fac_…`).' })
  id!: string;

  @Field(() => String, { description: 'Facility code (mã cơ sở), the key sources use.' })
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => FacilityTypeEnum)
  type!: FacilityTypeEnum;

  @Field(() => String, { nullable: true, description: '2025 commune code where the facility is; see `commune` for the name.' })
  communeCode!: string | null;

  @Field(() => FacilityLicenceStatusEnum)
  licenceStatus!: FacilityLicenceStatusEnum;

  @Field(() => String, { nullable: true, description: 'Licence or registration number.' })
  licenceNumber!: string | null;

  @Field(() => Int, { nullable: true, description: 'Licensed or declared capacity (children).' })
  capacity!: number | null;

  @Field(() => GraphQLISODateTime, { description: 'When a source last changed the facility\'s facts.' })
  updatedAt!: Date;

  /** The record that last described the facility (exposed as `source`). */
  sourceSystem!: string | null;
  externalId!: string | null;
  /** The date of the latest inspection that record gave, as the start of that day in Hà Nội (its `source.sourceUpdatedAt`). */
  sourceUpdatedAt?: Date | null;
}
