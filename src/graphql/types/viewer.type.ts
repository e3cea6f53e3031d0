import { Field, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';

@ObjectType({ description: 'The caller, as the hub sees their token.' })
export class Viewer {
  @Field(() => String)
  subject!: string;

  @Field(() => String, { nullable: true })
  officerId!: string | null;

  @Field(() => String)
  agency!: string;

  @Field(() => [String])
  roles!: string[];

  @Field(() => [String], { description: 'Commune codes the caller may see, or ["*"] for the whole city.' })
  communeScope!: string[];

  @Field(() => [SensitivityClass], { description: 'Sensitivity classes the caller\'s roles grant.' })
  sensitivityClasses!: SensitivityClass[];

  @Field(() => String)
  purpose!: string;
}
