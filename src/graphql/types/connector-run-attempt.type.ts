import { Field, GraphQLISODateTime, Int, ObjectType } from 'type-graphql';

@ObjectType({
  description: 'An attempt of a run that failed: which one of its job, when, and why (a stable code and a message without personal data). '
    + 'Kept when a later attempt succeeds.',
})
export class FailedRunAttempt {
  @Field(() => Int, { nullable: true, description: 'The job\'s attempt, from 1 (of the run\'s maxAttempts); null for a sync run outside the queue (`--in-process`).' })
  attempt!: number | null;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  message!: string;

  @Field(() => GraphQLISODateTime)
  failedAt!: Date;
}
