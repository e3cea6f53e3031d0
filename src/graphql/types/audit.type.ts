import { Field, GraphQLISODateTime, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from './connection.type.js';

/** What an audit event records (`audit_event.action`). */
export enum AuditActionEnum {
  READ = 'READ',
  WRITE = 'WRITE',
  DENIED = 'DENIED',
  REGISTRY_CALL = 'REGISTRY_CALL',
}
registerEnumType(AuditActionEnum, {
  name: 'AuditAction',
  description: 'What an audit event records.',
  valuesConfig: {
    READ: { description: 'Personal data released: of the children in `childIds` (and records in `details`), of the classes in `fieldClasses`, the fields in `fields`. Also a read of the audit itself (`fields` ["Query.auditEvents"]).' },
    WRITE: { description: 'A change asked for: of the children in `childIds`, or of other records (`details.recordIds`), by the operations in `details.operations`.' },
    DENIED: { description: 'A refusal: the fields or operations in `fields`, asked of the children in `childIds` (an id unknown or outside the caller\'s communes included).' },
    REGISTRY_CALL: { description: 'A call to the population database (the call log holds their detail).' },
  },
});

@ObjectType({
  description: 'One entry of the append-only audit: who (token subject, officer number, agency, unit, roles, purpose) did what to which children\'s '
    + 'data, of which classes and fields, when, in which request. It names children by id only and holds no personal value.',
})
export class AuditEvent {
  @Field(() => ID, { description: 'The event\'s number: events are numbered as written, so a larger number was written later.' })
  id!: string;

  @Field(() => GraphQLISODateTime)
  occurredAt!: Date;

  @Field(() => AuditActionEnum)
  action!: AuditActionEnum;

  @Field(() => String, { description: 'The GraphQL operation\'s name as the client sent it (`anonymous` when none), or the command (`connectors dry-run --show-values`).' })
  operation!: string;

  @Field(() => String, { nullable: true, description: 'The HTTP request\'s id (the `x-request-id` the gateway answered with): the events of one request share it.' })
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

  @Field(() => String, { nullable: true, description: 'The purpose of processing the token was issued for.' })
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
      + '`recordIds`), and, for a read of the audit, the filter it was asked with (`auditFilter`) and how many events it returned.',
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
