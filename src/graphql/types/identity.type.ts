import { Field, GraphQLISODateTime, ID, Int, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { PersonalData, Sensitive } from '../authorization/sensitive.decorator.js';
import { Child } from './child.type.js';
import { IdentityStatusEnum } from './enums.js';
import { IdentityNumber, StructuralFinding } from './identity-number.type.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({ description: "Where a child stands with the personal identification number: the current number (masked unless your roles grant IDENTITY), its status against the population database, the evidence and the history." })
export class ChildIdentity {
  @Sensitive(SensitivityClass.BASIC)
  @Field(() => ID)
  childId!: string;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => String, { nullable: true, description: 'The current number; masked (`001*******23`) unless your roles grant IDENTITY.' })
  number!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => Boolean, { description: 'True when `number` is masked for you.' })
  masked!: boolean;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => IdentityStatusEnum)
  status!: IdentityStatusEnum;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the population database last confirmed the number.' })
  verifiedAt!: Date | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the number was last checked (whatever the result).' })
  checkedAt!: Date | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => [String], { nullable: true, description: 'With MISMATCH: the registry fields that disagree (HoVaTen, NgayThangNamSinh, GioiTinh).' })
  mismatchedFields!: string[] | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => [StructuralFinding], { nullable: true, description: 'Structural checks of the current number (evidence, never corrections; relaxed for abandoned children).' })
  structuralFindings!: StructuralFinding[] | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => [IdentityNumber], { nullable: true, description: 'Every number the child has carried (given, verified, superseded).' })
  history!: IdentityNumber[] | null;
}

@ObjectType({ description: 'Children sharing one verified personal identification number: a data steward must decide (merge, or correct a number).' })
export class IdentityConflict {
  @Field(() => String, { description: 'The shared number.' })
  number!: string;

  @Field(() => [Child])
  children!: Child[];
}

@ObjectType({ description: 'A child waiting for the population database to issue a number (e.g. an abandoned child after birth registration).' })
export class IssuanceRequest {
  @Field(() => Child)
  child!: Child;

  @Field(() => GraphQLISODateTime)
  requestedAt!: Date;

  @Field(() => GraphQLISODateTime, { description: 'After this the request is overdue and escalated.' })
  dueAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  overdueAt!: Date | null;

  @Field(() => Int, { description: 'Times the registry has been asked.' })
  polls!: number;

  @Field(() => GraphQLISODateTime, { nullable: true })
  lastPolledAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  nextPollAt!: Date | null;
}

@ObjectType({ description: 'Jobs of one queue, for operators.' })
export class QueueCount {
  @Field(() => String)
  queue!: string;

  @Field(() => Int)
  waiting!: number;

  @Field(() => Int)
  active!: number;

  @Field(() => Int)
  delayed!: number;

  @Field(() => Int)
  failed!: number;

  @Field(() => Int)
  completed!: number;
}
