import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { PersonalData, Sensitive, SensitiveBy } from '../authorization/sensitive.decorator.js';
import { PageInfo } from './connection.type.js';
import { IdentityStatusEnum } from './enums.js';
import { IdentityNumber, StructuralFinding } from './identity-number.type.js';

@PersonalData({ childIdField: 'childId' })
@ObjectType({ description: "Where a child stands with the personal identification number: the current number (masked unless your roles grant IDENTITY), its status against the population database, the evidence and the history (all IDENTITY data but the masked number)." })
export class ChildIdentity {
  @Sensitive(SensitivityClass.BASIC)
  @Field(() => ID)
  childId!: string;

  // Unmasked, the number is IDENTITY data, and read as such (QA: audited as BASIC).
  @SensitiveBy(SensitivityClass.BASIC, (row) => (row['masked'] === false && row['number'] !== null ? [SensitivityClass.IDENTITY] : []))
  @Field(() => String, { nullable: true, description: 'The current number; masked (`001*******23`) unless your roles grant IDENTITY.' })
  number!: string | null;

  @Sensitive(SensitivityClass.BASIC)
  @Field(() => Boolean, { description: 'True when `number` is masked for you.' })
  masked!: boolean;

  // IDENTITY, as `Child.identityStatus` and its filter are (QA: read here by roles refused it there). A status says
  // more than the masked number: PENDING_ISSUANCE is the request made for an abandoned child.
  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => IdentityStatusEnum, { nullable: true, description: 'Where the number stands against the population database (IDENTITY, as `Child.identityStatus`).' })
  status!: IdentityStatusEnum;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the population database last confirmed the number (IDENTITY).' })
  verifiedAt!: Date | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the number was last checked, whatever the result (IDENTITY).' })
  checkedAt!: Date | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => [String], { nullable: true, description: 'With MISMATCH: the registry fields that disagree (HoVaTen, NgayThangNamSinh, GioiTinh).' })
  mismatchedFields!: string[] | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => [StructuralFinding], { nullable: true, description: 'Structural checks of the current number (evidence, never corrections), as `IdentityNumber.structuralFindings`.' })
  structuralFindings!: StructuralFinding[] | null;

  @Sensitive(SensitivityClass.IDENTITY)
  @Field(() => [IdentityNumber], { nullable: true, description: 'Every number the child has carried (given, verified, superseded).' })
  history!: IdentityNumber[] | null;
}

@ObjectType({ description: 'Children sharing one verified personal identification number: a data steward must decide (merge, or correct a number).' })
export class IdentityConflict {
  @Field(() => String, { description: 'The shared number.' })
  number!: string;

  /** The children's ids in the caller's scope, oldest first: the `children` resolver loads them, the first makes the cursor. */
  childIds!: string[];
}

@ObjectType({ description: 'One identity conflict in a page, with its cursor.' })
export class IdentityConflictEdge {
  @Field(() => String, { description: 'Pass as `after` to read the conflicts after this one.' })
  cursor!: string;

  @Field(() => IdentityConflict)
  node!: IdentityConflict;
}

@ObjectType({
  description: 'A page of identity conflicts (Relay connection), one per shared number, ordered by the smallest id of the number\'s '
    + 'children (child ids are random: a stable order, meaning nothing else).',
})
export class IdentityConflictConnection {
  @Field(() => [IdentityConflictEdge])
  edges!: IdentityConflictEdge[];

  @Field(() => [IdentityConflict], { description: 'The nodes of `edges`, for clients that do not need cursors per item.' })
  nodes!: IdentityConflict[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Kept for the `totalCount` resolver (counted only when asked): the caller's communes, null for all. */
  scope!: string[] | null;
}

@ObjectType({ description: 'A child waiting for the population database to issue a number (e.g. an abandoned child after birth registration).' })
export class IssuanceRequest {
  /** The child's id: the `child` resolver loads the child; with `dueKey`, it makes the cursor. */
  childId!: string;

  /** `dueAt` to the microsecond (ISO 8601, UTC): with `childId`, the cursor's sort key. Not a field. */
  dueKey!: string;

  @Field(() => GraphQLISODateTime, { description: 'When the hub first asked the registry to issue a number.' })
  requestedAt!: Date;

  @Field(() => GraphQLISODateTime, { description: 'After this the request is overdue and escalated.' })
  dueAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the request was flagged overdue.' })
  overdueAt!: Date | null;

  @Field(() => Int, { description: 'Polls made: each asks the registry, unless the child has no name or birth date to look up by.' })
  polls!: number;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the registry was last asked.' })
  lastPolledAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the registry will be asked next.' })
  nextPollAt!: Date | null;
}

@ObjectType({ description: 'One overdue issuance request in a page, with its cursor.' })
export class IssuanceRequestEdge {
  @Field(() => String, { description: 'Pass as `after` to read the requests after this one.' })
  cursor!: string;

  @Field(() => IssuanceRequest)
  node!: IssuanceRequest;
}

@ObjectType({ description: 'A page of overdue issuance requests (Relay connection), the longest overdue first (by due date, then child id).' })
export class IssuanceRequestConnection {
  @Field(() => [IssuanceRequestEdge])
  edges!: IssuanceRequestEdge[];

  @Field(() => [IssuanceRequest], { description: 'The nodes of `edges`, for clients that do not need cursors per item.' })
  nodes!: IssuanceRequest[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Kept for the `totalCount` resolver (counted only when asked): the caller's communes, null for all. */
  scope!: string[] | null;
}

@ObjectType({ description: 'Population database calls of one outcome in the recent window.' })
export class RegistryCallCount {
  @Field(() => String, { description: 'MATCH, MISMATCH, NOT_FOUND, FOUND, ACCEPTED (answers); RATE_LIMITED, UPSTREAM_ERROR, TIMEOUT, MALFORMED, REJECTED (failures: REJECTED a refusal, such as wrong credentials). A call whose outcome was never written is in `callsUnfinished`.' })
  outcome!: string;

  @Field(() => Int)
  calls!: number;

  @Field(() => Float, { nullable: true, description: 'The 95th percentile of their latency, in seconds.' })
  p95Seconds!: number | null;
}

@ObjectType({ description: 'Where identity reconciliation and issuance stand, in counts only (no child named), for operators: as `/metrics` shows it.' })
export class IdentityWork {
  @Field(() => Int, { description: 'The window `recentCalls` counts, in seconds (calls started within it).' })
  windowSeconds!: number;

  @Field(() => [RegistryCallCount], { description: 'Calls started in the window, by outcome (outcomes without calls left out).' })
  recentCalls!: RegistryCallCount[];

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the population database last answered a call (not a failure); null when never.' })
  lastAnswerAt!: Date | null;

  @Field(() => Int, { description: 'Issuance requests children without a number wait on.' })
  issuancePending!: number;

  @Field(() => Int, { description: 'Of them, flagged past ISSUANCE_OVERDUE_DAYS (see overdueIdentityIssuance, for IDENTITY roles).' })
  issuanceOverdue!: number;

  @Field(() => Int, { description: 'Of them, whose next poll is over 15 minutes late (a poll chain stopped: the identity sweep restarts it after an hour, an officer\'s check at once).' })
  issuancePollLate!: number;

  @Field(() => Int, { description: 'Checks officers asked for (requestIdentityReconciliation) not answered yet.' })
  requestsOpen!: number;

  @Field(() => Int, { description: 'Calls started over a minute ago whose outcome is not written yet: in flight too long, or lost with a worker killed mid-call (recorded UNKNOWN by the identity sweep after five minutes).' })
  callsUnfinished!: number;
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
