import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from './connection.type.js';

/** What an audit event records (`audit_event.action`; registry calls are in their own log: `registryCalls`). */
export enum AuditActionEnum {
  READ = 'READ',
  WRITE = 'WRITE',
  DENIED = 'DENIED',
}
registerEnumType(AuditActionEnum, {
  name: 'AuditAction',
  description: 'What an audit event records. Calls to the population database are in their own log (`registryCalls`).',
  valuesConfig: {
    READ: { description: 'Personal data released: of the children in `childIds` (and records in `details`), of the classes in `fieldClasses`, the fields in `fields`. Also a read of the audit or the registry call log itself (`fields` ["Query.auditEvents"] or ["Query.registryCalls"]).' },
    WRITE: { description: 'A change asked for: of the children in `childIds`, or of other records (`details.recordIds`), by the operations in `fields`.' },
    DENIED: { description: 'A refusal: the fields or operations in `fields`, asked of the children in `childIds` (an id unknown or outside the caller\'s communes included).' },
  },
});

/** What came of a call to the population database (`registry_call.outcome`). */
export enum RegistryCallOutcomeEnum {
  MATCH = 'MATCH',
  MISMATCH = 'MISMATCH',
  NOT_FOUND = 'NOT_FOUND',
  FOUND = 'FOUND',
  ACCEPTED = 'ACCEPTED',
  RATE_LIMITED = 'RATE_LIMITED',
  UPSTREAM_ERROR = 'UPSTREAM_ERROR',
  TIMEOUT = 'TIMEOUT',
  MALFORMED = 'MALFORMED',
  REJECTED = 'REJECTED',
  UNKNOWN = 'UNKNOWN',
}
registerEnumType(RegistryCallOutcomeEnum, {
  name: 'RegistryCallOutcome',
  description: 'What came of a call to the population database: its answer (MATCH, MISMATCH, NOT_FOUND for a check; FOUND for a look-up or a bulk '
    + 'result; ACCEPTED for a bulk submission or its status), a failure (RATE_LIMITED, UPSTREAM_ERROR, TIMEOUT, MALFORMED; REJECTED: refused as '
    + 'asked, such as wrong credentials), or UNKNOWN: made, and what came of it never written (the process died).',
});

@ObjectType({
  description: 'One entry of the append-only audit: who (token subject, officer number, agency, unit, roles, purpose) did what to which children\'s '
    + 'data, of which classes and fields, when, in which request. It names children by id only and holds no personal value.',
})
export class AuditEvent {
  @Field(() => ID, { description: 'The event\'s number: events are numbered as written, so a larger number was written later.' })
  id!: string;

  @Field(() => GraphQLISODateTime, { description: 'When it was written (events written together, in one request or one batch, share it).' })
  occurredAt!: Date;

  @Field(() => AuditActionEnum)
  action!: AuditActionEnum;

  @Field(() => String, { description: 'The GraphQL operation\'s name as the client sent it (`anonymous` when none), or the command (`connectors dry-run --show-values`).' })
  operation!: string;

  @Field(() => String, { nullable: true, description: 'The HTTP request\'s id (the `x-request-id` the gateway answered with: the caller\'s own when it is a UUID or holds nothing personal-looking): the events of one request share it.' })
  requestId!: string | null;

  @Field(() => String, { description: 'The token subject: the user or service account that acted (`cli:<user>` for a command at the terminal).' })
  subject!: string;

  @Field(() => String, { nullable: true, description: 'The officer\'s number the token carried.' })
  officerId!: string | null;

  @Field(() => String, { nullable: true })
  agency!: string | null;

  @Field(() => String, { nullable: true })
  unit!: string | null;

  @Field(() => [String], { description: 'The roles the token carried.' })
  roles!: string[];

  @Field(() => String, { nullable: true, description: 'The purpose of processing the token was issued for, as the token says it.' })
  purpose!: string | null;

  @Field(() => [ID], { description: 'The children the event is about, by id, sorted.' })
  childIds!: string[];

  @Field(() => [String], { description: 'The sensitivity classes released (READ), as `SensitivityClass` names; empty for other actions.' })
  fieldClasses!: string[];

  @Field(() => [String], {
    description: 'The fields read (READ: `Child.identityNumber`, `HealthScreening.result`, the query or filter that told something of the children, '
      + '`Query.children(filter.group)`) or refused (DENIED), as `Type.field`; the operations asked for (WRITE: `dismissRejectedRecords`).',
  })
  fields!: string[];

  @Field(() => String, {
    description: 'Everything else the event holds, as JSON: ids of records that name no child (`sourceRecordIds`, `rejectedRecordIds`, '
      + '`recordIds`), and, for a read of the audit or the registry call log, the filter it was asked with (`filter`: a name-like or number-like '
      + 'text in it as `[withheld]`) and how many rows it returned (`rows`).',
  })
  details!: string;
}

@ObjectType({ description: 'An audit event with its cursor.' })
export class AuditEventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => AuditEvent)
  node!: AuditEvent;
}

@ObjectType({ description: 'A page of audit events (Relay connection), newest first.' })
export class AuditEventConnection {
  @Field(() => [AuditEventEdge])
  edges!: AuditEventEdge[];

  @Field(() => [AuditEvent], { description: 'The nodes of `edges`, for clients that do not need cursors per item.' })
  nodes!: AuditEvent[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType({ description: 'Filters for `auditEvents`; all given filters must hold.' })
export class AuditEventFilter {
  @Field(() => ID, { nullable: true, description: 'Events about this child (`chd_…`): who read, changed or was refused its data.' })
  childId?: string | null;

  @Field(() => String, { nullable: true, description: 'Events of this token subject (exactly as written).' })
  subject?: string | null;

  @Field(() => String, { nullable: true, description: 'Events of this officer\'s number (exactly as written).' })
  officerId?: string | null;

  @Field(() => [AuditActionEnum], { nullable: true, description: 'Events of these actions only.' })
  actions?: AuditActionEnum[] | null;

  @Field(() => String, { nullable: true, description: 'Events of this operation name (exactly as written).' })
  operation?: string | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Events at or after this instant.' })
  since?: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Events before this instant.' })
  until?: Date | null;
}

@ObjectType({
  description: 'One call to the national population database, from its append-only log: who asked (officer number, unit, purpose code and the '
    + 'case it was for), about which child, what it was (operation), when, how long it took and what came of it. Ids and codes only: never what '
    + 'was sent (a name, a number) nor the answer.',
})
export class RegistryCall {
  @Field(() => ID, { description: 'The entry\'s number in the log.' })
  id!: string;

  @Field(() => GraphQLISODateTime, { description: 'When the call was made.' })
  startedAt!: Date;

  @Field(() => GraphQLISODateTime, { description: 'When what came of it was written.' })
  recordedAt!: Date;

  @Field(() => String, { description: 'The request id sent with the call (MaYeuCau): the population database\'s own record of it.' })
  requestId!: string;

  @Field(() => String, { description: 'The protocol operation (a check, a look-up, a bulk submission or its status).' })
  operation!: string;

  @Field(() => String, { description: 'How the call was made (`soap`).' })
  transport!: string;

  @Field(() => ID, { nullable: true, description: 'The child the call was about; null for a call about several (a bulk submission).' })
  childId!: string | null;

  @Field(() => String, { description: 'The officer whose number the call carried: the one who asked for a check, or the hub\'s own (`POPULATION_DB_OFFICER_ID`) for its own checks.' })
  officerId!: string;

  @Field(() => String)
  unit!: string;

  @Field(() => String, { description: 'The purpose code the call was made under.' })
  purposeCode!: string;

  @Field(() => String, { description: 'The case the call was made for: an officer\'s request (`idr_…`), or the child\'s id for the hub\'s own checks.' })
  caseRef!: string;

  @Field(() => RegistryCallOutcomeEnum)
  outcome!: RegistryCallOutcomeEnum;

  @Field(() => Int, { nullable: true, description: 'The HTTP status of the answer; null when none came.' })
  httpStatus!: number | null;

  @Field(() => Int, { nullable: true, description: 'How long the call took, in ms; null when what came of it is UNKNOWN.' })
  latencyMs!: number | null;
}

@ObjectType({ description: 'A registry call with its cursor.' })
export class RegistryCallEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => RegistryCall)
  node!: RegistryCall;
}

@ObjectType({ description: 'A page of registry calls (Relay connection), newest first.' })
export class RegistryCallConnection {
  @Field(() => [RegistryCallEdge])
  edges!: RegistryCallEdge[];

  @Field(() => [RegistryCall], { description: 'The nodes of `edges`, for clients that do not need cursors per item.' })
  nodes!: RegistryCall[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType({ description: 'Filters for `registryCalls`; all given filters must hold.' })
export class RegistryCallFilter {
  @Field(() => ID, { nullable: true, description: 'Calls about this child (`chd_…`).' })
  childId?: string | null;

  @Field(() => String, { nullable: true, description: 'Calls carrying this officer\'s number (exactly as written).' })
  officerId?: string | null;

  @Field(() => [RegistryCallOutcomeEnum], { nullable: true, description: 'Calls that came to one of these outcomes.' })
  outcomes?: RegistryCallOutcomeEnum[] | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Calls made at or after this instant.' })
  since?: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Calls made before this instant.' })
  until?: Date | null;
}
