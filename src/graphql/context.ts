import type { Principal } from '../auth/principal.js';
import type { IdentityHealth } from '../observability/identity-metrics.js';
import type { CheckpointDefinition } from '../connectors/checkpoint-view.js';
import type { DeclaredConnector, DefinitionProblem } from '../connectors/definition/definition-invalid.error.js';
import type { SensitivityClass } from '../auth/sensitivity.js';
import type { ChildReadRepository } from '../db/repositories/child-read.repository.js';
import type { AuditReadRepository } from '../db/repositories/audit-read.repository.js';
import type { ConnectorReadRepository } from '../db/repositories/connector-read.repository.js';
import { isIdShaped } from '../db/ids.js';
import type { QueryCounter } from '../db/sql.js';
import { ForbiddenError, UnauthenticatedError } from '../errors/index.js';
import { AccessRecorder } from './access-recorder.js';
import { createLoaders, type Loaders } from './loaders.js';

/** Actions the gateway can take beyond reading (provided by the process that serves the API). */
export interface GatewayCommands {
  /** Asks, in the requester's name, for a check of the child's identity number (queued through the outbox; see `requestIdentityCheck`). */
  requestIdentityReconciliation(childId: string, by: Principal, httpRequestId: string): Promise<{ requestId: string; joined: boolean }>;
  /** Where identity work stands, in counts (see `identityHealth`), for operators. */
  identityWork(): Promise<IdentityHealth>;
  /** Job counts per queue, for operators. */
  queueCounts(): Promise<Array<{ queue: string; waiting: number; active: number; delayed: number; failed: number; completed: number }>>;
  /** The append-only audit, read by auditors (`Query.auditEvents`). */
  audit?: AuditReadRepository;
  /** Connectors: their definitions, runs and quarantine, and starting a sync. */
  connectors?: {
    repo: ConnectorReadRepository;
    /** The valid definitions as their files say now (reads the folder again). */
    definitions(): Array<{ name: string; kind: string; sourceSystem: string; title: string; schedule?: string; removals?: { fullReadSchedule?: string }; enabled: boolean } & CheckpointDefinition>;
    /** The definitions that do not validate, as {@link definitions} last read them: neither scheduled nor synced until fixed. */
    invalidDefinitions(): Array<{ name: string; problems: DefinitionProblem[]; declared: DeclaredConnector }>;
    requestSync(name: string, requestedBy: string, force?: boolean): Promise<{ runId: string }>;
    /** Closes open rejects by hand (all or nothing; see `RejectDismissal`). */
    dismissRejects(ids: string[], by: string, subject: string, note: string): Promise<void>;
  };
}

export interface GraphQLContext {
  requestId: string;
  /** Null when the request carried no valid token; `authError` says why. */
  principal: Principal | null;
  authError: UnauthenticatedError | null;
  repo: ChildReadRepository;
  loaders: Loaders;
  access: AccessRecorder;
  queries: QueryCounter;
  maxPageSize: number;
  commands: GatewayCommands | null;
}

export function createGraphQLContext(input: {
  requestId: string;
  principal: Principal | null;
  authError: UnauthenticatedError | null;
  repo: ChildReadRepository;
  maxPageSize: number;
  commands?: GatewayCommands | null;
}): GraphQLContext {
  const queries: QueryCounter = { count: 0 };
  return { ...input, commands: input.commands ?? null, loaders: createLoaders(input.repo, queries), access: new AccessRecorder(), queries };
}

/**
 * No token, no data: every root field that returns personal data starts here. A caller whose roles do not
 * grant `cls` is refused, and the refusal is audited (a DENIED event naming `denied.field`, and the child
 * when one was asked for by id), as a refused field is.
 */
export function requirePrincipal(
  ctx: GraphQLContext, cls?: SensitivityClass | readonly SensitivityClass[], denied?: { field: string; childId?: string; recordId?: string },
): Principal {
  if (!ctx.principal) throw ctx.authError ?? new UnauthenticatedError('Missing bearer token (Authorization: Bearer <token>)');
  const missing = cls == null ? [] : ([] as SensitivityClass[]).concat(cls).filter((c) => !ctx.principal!.classes.has(c));
  if (missing.length) {
    // The id asked for is named only if it has an id's shape (anything else is refused as input where it is read).
    if (denied) ctx.access.deny(isIdShaped(denied.childId) ? denied.childId : undefined, denied.field, isIdShaped(denied.recordId) ? denied.recordId : undefined);
    // Naming what asked for the classes, and every class missing (QA: a filter's refusal did not say which argument was
    // refused, and named one class of several, so that a role granted it was refused again for the next).
    const what = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}`;
    throw new ForbiddenError(denied
      ? `${denied.field} needs ${what} data, which your roles (${ctx.principal.roles.join(', ')}) do not grant`
      : `Your roles (${ctx.principal.roles.join(', ')}) do not grant ${what} data`);
  }
  return ctx.principal;
}
