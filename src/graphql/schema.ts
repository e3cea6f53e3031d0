import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { enforceFieldAuthorization } from './authorization/field-authorization.js';
import { AuditResolver } from './resolvers/audit.resolver.js';
import { ChildConnectionResolver } from './resolvers/child-connection.resolver.js';
import { ChildResolver } from './resolvers/child.resolver.js';
import { ChildProjectionsResolver, PlacementResolver } from './resolvers/child-projections.resolver.js';
import { ConnectorResolver, RejectedRecordPayloadResolver } from './resolvers/connector.resolver.js';
import {
  ChildIdentityResolver, ChildIdentityIssuanceResolver, IdentityConflictConnectionResolver, IdentityConflictResolver, IdentityOperationsResolver, IssuanceRequestConnectionResolver,
  IssuanceRequestResolver,
} from './resolvers/identity.resolver.js';
import { FacilityConnectionResolver } from './resolvers/facility-connection.resolver.js';
import { FacilityResolver } from './resolvers/facility.resolver.js';
import { OpenRejectReasonsResolver, RejectedRecordReasonsResolver } from './resolvers/reject-reasons.resolver.js';
import { SourceRecordResolver } from './resolvers/source-record.resolver.js';
import { ViewerResolver } from './resolvers/viewer.resolver.js';

export const RESOLVERS = [AuditResolver, ChildResolver, ChildConnectionResolver, ChildIdentityResolver, ChildIdentityIssuanceResolver, IdentityOperationsResolver, IdentityConflictResolver, IdentityConflictConnectionResolver, IssuanceRequestResolver, IssuanceRequestConnectionResolver, SourceRecordResolver, ViewerResolver, ConnectorResolver, RejectedRecordPayloadResolver, ChildProjectionsResolver, PlacementResolver, FacilityResolver, FacilityConnectionResolver, RejectedRecordReasonsResolver, OpenRejectReasonsResolver] as const;

let built: Promise<GraphQLSchema> | undefined;

/** The gateway's executable schema: type-graphql types and resolvers, with field authorisation applied. */
export function buildHubSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers: [...RESOLVERS], validate: false }).then(enforceFieldAuthorization);
  return built;
}

/** The published contract as SDL (sorted, so diffs show real changes only). */
export function printHubSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
