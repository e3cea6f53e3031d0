import { ConnectorNotFoundError } from '../../connectors/definition/connector-not-found.error.js';
import { Arg, Args, Ctx, FieldResolver, GraphQLISODateTime, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_COMMUNES, type Principal } from '../../auth/principal.js';
import { ALL_SENSITIVITY_CLASSES } from '../../auth/sensitivity.js';
import type { ConnectorFreshnessRow, ConnectorRunRow, RejectedRecordRow, RejectsFilter } from '../../db/repositories/connector-read.repository.js';
import { fileLabel, locationLabel } from '../../connectors/file/file-label.js';
import { ForbiddenError, InvalidInputError, NotFoundError, UpstreamUnavailableError } from '../../errors/index.js';
import { dismissalNote, MAX_DISMISSAL_NOTE_LENGTH } from '../../services/ingest/reject-dismissal.service.js';
import { checkRejectsFilter } from '../../services/ingest/rejects-filter.js';
import { checkpointView, type CheckpointDefinition } from '../../connectors/checkpoint-view.js';
import { requireRole } from '../authorization/require-role.js';
import { requirePrincipal, type GatewayCommands, type GraphQLContext } from '../context.js';
import { checkPageSize } from '../cursor.js';
import { AbsentRecord, Connector, ConnectorDefinitionStatusEnum, ConnectorRun, ConnectorRunStatusEnum, RejectedRecord, RejectResolutionEnum, RejectsFilterArgs } from '../types/connector.type.js';
import { Cost, COUNT_COST, MUTATION_COST } from '../validation/cost-limit.rule.js';
import { requireIdOf } from './lookup.js';
import { reasonFilterOf } from './reject-reasons.resolver.js';

/** Who may see connectors, runs and quarantine metadata, and dismiss quarantined records. */
const READ_ROLES = new Set(['integration_engineer', 'operator', 'data_steward']);
/** Who may start a sync. */
const SYNC_ROLES = new Set(['integration_engineer', 'operator']);

/**
 * A quarantined record was refused because it is invalid, so the commune it names, if it names one at all,
 * cannot be trusted: a missing, mistyped or stale commune code would put a child's record in front of
 * another commune's officers. Its payload may hold any personal data (names, identity numbers, parents,
 * ethnicity, health facts…), so only a caller whose token covers the whole city (`communes: "*"`) and whose
 * roles grant every class reads it. Dismissing decides about a record that may be any commune's child, so it
 * needs the whole city too. Listing rejects without their payload stays open to the roles, whatever their
 * communes: ids, locations, reasons and resolutions hold no personal values (a reason says what was wrong
 * with a value, never the value).
 */
function requireWholeCity(ctx: GraphQLContext, p: Principal, field: string, what: string, rejectedRecordId?: string): void {
  if (p.communeScope === ALL_COMMUNES) return;
  if (rejectedRecordId !== undefined) ctx.access.denyRejected(rejectedRecordId, field);
  else ctx.access.deny(undefined, field);
  throw new ForbiddenError(`${what} needs a token for the whole city (communes "*"): a quarantined record's commune cannot be trusted`);
}

function connectorsOf(ctx: GraphQLContext): NonNullable<GatewayCommands['connectors']> {
  const c = ctx.commands?.connectors;
  if (!c) throw new UpstreamUnavailableError('This gateway cannot reach connectors');
  return c;
}

/** Every connector folder's name, its definition valid or not (as the files are now). */
function folderNames(c: NonNullable<GatewayCommands['connectors']>): string[] {
  return [...c.definitions().map((d) => d.name), ...c.invalidDefinitions().map((d) => d.name)].sort();
}


/** `before` is the id of the last item of the previous page: anything else would page silently to nothing. */
function checkBefore(before: string | null, prefix: 'run' | 'rej' | 'src', what: string): void {
  if (before !== null && !new RegExp(`^${prefix}_[0-9A-Za-z]{26}$`).test(before)) {
    throw new InvalidInputError(`\`before\` must be the id of the last ${what} of the previous page (\`${prefix}_…\`)`, { argument: 'before' });
  }
}

/** The valid definitions by name, as their files say now, read once per request: they describe checkpoints. */
type Definition = ReturnType<NonNullable<GatewayCommands['connectors']>['definitions']>[number];
const definitionsOfRequest = new WeakMap<GraphQLContext, Promise<Map<string, Definition>>>();
function definitionsByName(ctx: GraphQLContext): Promise<Map<string, Definition>> {
  return perRequest(definitionsOfRequest, ctx, async () => new Map(connectorsOf(ctx).definitions().map((d) => [d.name, d])));
}

/**
 * A run as GraphQL shows it; `definitions` (the valid ones by name) describe its checkpoint ({@link checkpointView}):
 * without its connector's, every query value of an http checkpoint's next request is withheld.
 */
export function toRun(r: ConnectorRunRow, definitions: ReadonlyMap<string, CheckpointDefinition> = new Map()): ConnectorRun {
  return {
    id: r.id, connector: r.connector_name, trigger: r.trigger, status: r.status, requestedBy: r.requested_by, queuedAt: r.created_at,
    startedAt: r.started_at, finishedAt: r.finished_at, heartbeatAt: r.heartbeat_at, batches: r.batches, fetched: r.fetched,
    inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, rejected: r.rejected, filesIngested: r.files_ingested,
    filesSkipped: r.files_skipped, filesWaiting: r.files_waiting, repeatedIds: r.repeated_ids, resumed: r.resumed,
    // File names as shown (labels), also in rows written before the reader labelled them: these fields are open to
    // engineers and operators of any commune, who may read no personal data.
    filesRefused: (r.files_refused ?? []).map((f) => ({ fileName: fileLabel(f.fileName), checksum: f.checksum ?? null, code: f.code, message: f.message,
      ingestedBefore: f.ingestedBefore === true })),
    checkpoint: checkpointView(r.checkpoint, definitions.get(r.connector_name)), error: r.error,
    removals: r.removals ? { ...r.removals, rejectsClosed: r.removals.rejectsClosed ?? 0 } : null,
    forced: r.forced, mappingChanged: r.mapping_changed, maxAttempts: r.max_attempts, nextAttemptAt: r.next_attempt_at,
    failedAttempts: (r.failed_attempts ?? []).map((a) => ({ attempt: a.attempt ?? null, code: a.code, message: a.message, failedAt: new Date(a.failedAt) })),
  };
}

/**
 * The filter `rejectedRecords` and `rejectedRecordCount` share, its ids, connector and run checked, and its
 * `code`/`field` held to the reasons the caller may see (`deniedAs` names the query in a DENIED event).
 */
async function rejectsFilterOf(ctx: GraphQLContext, p: Principal, c: ReturnType<typeof connectorsOf>, args: RejectsFilterArgs, deniedAs: string): Promise<RejectsFilter> {
  if (args.runId != null) requireIdOf('connectorRun', args.runId, 'runId');
  if (args.since != null && args.until != null && args.since.getTime() >= args.until.getTime()) {
    throw new InvalidInputError('`since` must be before `until`', { argument: 'since' });
  }
  // An empty code or field matches no reason: a script's unset variable would read as "no rejects" (QA re-check).
  for (const argument of ['code', 'field'] as const) {
    if (args[argument] != null && args[argument]!.trim() === '') {
      throw new InvalidInputError(`\`${argument}\` must not be empty: leave it out to list rejects of any ${argument}`, { argument });
    }
  }
  const filter: RejectsFilter = {
    connector: args.connector ?? null, runId: args.runId ?? null, unresolvedOnly: args.unresolvedOnly, resolution: args.resolution ?? null,
    // Reason codes are upper case (`INVALID_DATE`): `invalid_date` means the same.
    code: args.code?.trim().toUpperCase() ?? null, field: args.field?.trim() ?? null, since: args.since ?? null, until: args.until ?? null,
  };
  Object.assign(filter, reasonFilterOf(ctx, p, filter.field ?? null, deniedAs));
  await checkRejectsFilter(c.repo, folderNames(c), filter);
  return filter;
}

/**
 * What a resolver of `Connector` reads once for every connector of the request (one statement, not one per
 * connector), kept with the request's context.
 */
function perRequest<T>(cache: WeakMap<GraphQLContext, Promise<T>>, ctx: GraphQLContext, load: () => Promise<T>): Promise<T> {
  let p = cache.get(ctx);
  if (!p) cache.set(ctx, (p = load()));
  return p;
}
const openRejectCounts = new WeakMap<GraphQLContext, Promise<Map<string, number>>>();
const lastSucceeded = new WeakMap<GraphQLContext, Promise<Map<string, ConnectorRunRow>>>();
const freshness = new WeakMap<GraphQLContext, Promise<Map<string, ConnectorFreshnessRow>>>();

/** Each connector's last new data and last file ingested, read once for the request. */
function freshnessOf(ctx: GraphQLContext): Promise<Map<string, ConnectorFreshnessRow>> {
  return perRequest(freshness, ctx, async () => new Map((await connectorsOf(ctx).repo.freshness()).map((r) => [r.name, r])));
}

function toReject(r: RejectedRecordRow): RejectedRecord {
  return {
    id: r.id, connector: r.connector_name, runId: r.connector_run_id, sourceSystem: r.source_system, externalId: r.external_id,
    location: r.location === null ? null : locationLabel(r.location), reasons: r.reasons, rejectedAt: r.created_at, lastSeenAt: r.last_seen_at, lastRunId: r.last_run_id,
    timesSeen: r.times_seen, resolvedAt: r.resolved_at, resolution: r.resolution as RejectResolutionEnum | null, resolvedByRunId: r.resolved_by_run_id,
    resolvedBy: r.resolved_by, resolvedBySubject: r.resolved_by_subject, resolutionNote: r.resolution_note, payloadErasedAt: r.payload_erased_at,
  };
}

@Resolver(() => Connector)
export class ConnectorResolver {
  @Query(() => [Connector], {
    description: 'Every connector: each folder\'s definition as its file says now, valid or not (definitionStatus, definitionProblems), and '
      + 'connectors removed since they last ran. For integration engineers, operators and data stewards.',
  })
  async connectors(@Ctx() ctx: GraphQLContext): Promise<Connector[]> {
    requireRole(ctx, READ_ROLES, 'Query.connectors', 'Listing connectors');
    const c = connectorsOf(ctx);
    const rows = new Map((await c.repo.connectors()).map((r) => [r.name, r]));
    // What the definition says now (the row is updated only when the connector syncs: QA saw a disabled connector
    // listed enabled, and an edited schedule as it was). An invalid or removed definition is not scheduled: what
    // it is comes from the row (as it last ran), or, for an invalid one that never ran, from what its file says.
    const defined = await definitionsByName(ctx);
    const out: Connector[] = [...defined.values()].map((d) => ({
      name: d.name, definitionStatus: ConnectorDefinitionStatusEnum.VALID, definitionProblems: [], kind: d.kind, sourceSystem: d.sourceSystem,
      title: d.title, schedule: d.schedule ?? null, fullReadSchedule: d.removals?.fullReadSchedule ?? null, enabled: d.enabled,
      checkpoint: null, checkpointAt: null,
    }));
    for (const d of c.invalidDefinitions()) {
      const r = rows.get(d.name);
      out.push({
        name: d.name, definitionStatus: ConnectorDefinitionStatusEnum.INVALID,
        definitionProblems: d.problems.map((p) => ({ path: p.path, line: p.line, column: p.column, message: p.message })),
        kind: r?.kind ?? d.declared.kind ?? 'unknown', sourceSystem: r?.source_system ?? d.declared.sourceSystem ?? 'unknown',
        title: r?.title ?? d.declared.title ?? d.name, schedule: null, fullReadSchedule: null, enabled: false, checkpoint: null, checkpointAt: null,
      });
    }
    const listed = new Set(out.map((x) => x.name));
    for (const r of rows.values()) {
      if (listed.has(r.name)) continue;
      out.push({
        name: r.name, definitionStatus: ConnectorDefinitionStatusEnum.REMOVED, definitionProblems: [], kind: r.kind, sourceSystem: r.source_system,
        title: r.title ?? r.name, schedule: null, fullReadSchedule: null, enabled: false, checkpoint: null, checkpointAt: null,
      });
    }
    for (const x of out) {
      const r = rows.get(x.name);
      if (r) Object.assign(x, { checkpoint: checkpointView(r.state, defined.get(x.name)), checkpointAt: r.state_updated_at });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  @FieldResolver(() => ConnectorRun, { nullable: true, description: 'The most recent run (a sync QUEUED behind a running one is the most recent: see currentRun).' })
  async lastRun(@Root() connector: Connector, @Ctx() ctx: GraphQLContext): Promise<ConnectorRun | null> {
    const [row] = await connectorsOf(ctx).repo.runs(connector.name, 1, null);
    return row ? toRun(row, await definitionsByName(ctx)) : null;
  }

  @FieldResolver(() => ConnectorRun, {
    nullable: true,
    description: 'The run in progress: RUNNING, or RETRYING between its attempts; null when none is. While a sync asked for meanwhile waits '
      + 'QUEUED behind it, lastRun is that one: this is the run to watch for progress (fetched, heartbeatAt).',
  })
  async currentRun(@Root() connector: Connector, @Ctx() ctx: GraphQLContext): Promise<ConnectorRun | null> {
    const [row] = await connectorsOf(ctx).repo.runs(connector.name, 1, null, ['RUNNING', 'RETRYING']);
    return row ? toRun(row, await definitionsByName(ctx)) : null;
  }

  @FieldResolver(() => ConnectorRun, {
    nullable: true,
    description: 'The most recent run that SUCCEEDED (the last run may have failed since): when the source was last read through. Null when none has.',
  })
  async lastSucceededRun(@Root() connector: Connector, @Ctx() ctx: GraphQLContext): Promise<ConnectorRun | null> {
    const row = (await perRequest(lastSucceeded, ctx, async () =>
      new Map((await connectorsOf(ctx).repo.lastSucceededRuns()).map((r) => [r.connector_name, r])))).get(connector.name);
    return row ? toRun(row, await definitionsByName(ctx)) : null;
  }

  @FieldResolver(() => Int, {
    description: 'How many of its quarantined records are open (not resolved yet): what `rejectedRecords(connector: …)` lists by default. '
      + 'A record counts for the connector that last read it.',
  })
  async openRejects(@Root() connector: Connector, @Ctx() ctx: GraphQLContext): Promise<number> {
    const counts = await perRequest(openRejectCounts, ctx, async () =>
      new Map((await connectorsOf(ctx).repo.openRejectCounts()).map((r) => [r.name, r.open_rejects])));
    return counts.get(connector.name) ?? 0;
  }

  @FieldResolver(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When a run last stored a new or changed record: the end of its latest run, SUCCEEDED or FAILED (a failed run keeps the '
      + 'batches it stored), with inserted + updated above 0; a run is counted once it has ended. Records read unchanged, quarantined, or '
      + 'marked absent do not count. Null when no run has. A source that sends nothing new shows here, not in lastSucceededRun.',
  })
  async lastNewDataAt(@Root() connector: Connector, @Ctx() ctx: GraphQLContext): Promise<Date | null> {
    return (await freshnessOf(ctx)).get(connector.name)?.last_new_data_at ?? null;
  }

  @FieldResolver(() => GraphQLISODateTime, {
    nullable: true,
    description: 'File connectors: when a file not ingested before (by checksum) was last read whole, whether or not it held new records; '
      + 'a forced re-read of a file does not move it. Null for an HTTP connector, and when no file has been ingested.',
  })
  async lastFileIngestedAt(@Root() connector: Connector, @Ctx() ctx: GraphQLContext): Promise<Date | null> {
    return (await freshnessOf(ctx)).get(connector.name)?.last_file_ingested_at ?? null;
  }

  @Query(() => [ConnectorRun], {
    description: 'Run history, newest first (page with `before`: the id of the last run you have; with `status`, the same filter on every '
      + 'page). `status`: only runs whose status is one of these now (not empty). A connector neither defined nor ever synced is '
      + 'CONNECTOR_NOT_FOUND; a `before` that is not a run id, or an empty `status`, BAD_USER_INPUT.',
  })
  async connectorRuns(
    @Ctx() ctx: GraphQLContext,
    @Arg('connector', () => String, { nullable: true }) connector: string | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('before', () => ID, { nullable: true }) before: string | null,
    @Arg('status', () => [ConnectorRunStatusEnum], { nullable: true }) status: ConnectorRunStatusEnum[] | null,
  ): Promise<ConnectorRun[]> {
    requireRole(ctx, READ_ROLES, 'Query.connectorRuns', 'Reading connector runs');
    checkPageSize(first, ctx.maxPageSize);
    checkBefore(before ?? null, 'run', 'run');
    // An empty list matches no run: a script's unset variable would read as "no runs".
    if (status != null && status.length === 0) {
      throw new InvalidInputError('`status` must not be empty: leave it out to list runs of any status', { argument: 'status' });
    }
    const c = connectorsOf(ctx);
    await checkRejectsFilter(c.repo, folderNames(c), { connector: connector ?? null, runId: null });
    const definitions = await definitionsByName(ctx);
    return (await c.repo.runs(connector ?? null, first, before ?? null, status ?? null)).map((r) => toRun(r, definitions));
  }

  @Query(() => [AbsentRecord], {
    description: 'The records the connector\'s full reads no longer found in its source and marked absent (connectors with `removals`; see '
      + 'ConnectorRun.removals), still marked, newest record first (page with `before`: the recordId of the last one you have). Ids and '
      + 'dates only. A connector neither defined nor ever synced is CONNECTOR_NOT_FOUND; a `before` that is not a record id, BAD_USER_INPUT. '
      + 'For integration engineers, operators and data stewards.',
  })
  async absentSourceRecords(
    @Ctx() ctx: GraphQLContext,
    @Arg('connector', () => String) connector: string,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('before', () => ID, { nullable: true }) before: string | null,
  ): Promise<AbsentRecord[]> {
    requireRole(ctx, READ_ROLES, 'Query.absentSourceRecords', 'Reading the records gone from a source');
    checkPageSize(first, ctx.maxPageSize);
    checkBefore(before ?? null, 'src', 'record');
    const c = connectorsOf(ctx);
    await checkRejectsFilter(c.repo, folderNames(c), { connector, runId: null });
    return (await c.repo.absentRecords(connector, first, before ?? null)).map((r) => ({
      recordId: r.id, externalId: r.external_id, childId: r.child_id, absentFromSourceSince: r.absent_since, markedByRunId: r.absent_run_id,
    }));
  }

  @Query(() => ConnectorRun, { nullable: true, description: 'One run by id, with its progress while it runs.' })
  async connectorRun(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ConnectorRun | null> {
    requireRole(ctx, READ_ROLES, 'Query.connectorRun', 'Reading connector runs');
    requireIdOf('connectorRun', id, 'id');
    const row = await connectorsOf(ctx).repo.run(id);
    if (!row) throw new NotFoundError(`No connector run ${id}`, { id });
    return toRun(row, await definitionsByName(ctx));
  }

  @Query(() => [RejectedRecord], {
    description: 'Quarantined records with their reasons, newest first (page with `before`). `runId`: the records the run quarantined or read again '
      + 'still invalid, whatever runs read them since; `unresolvedOnly` (default true): only those not resolved yet; `resolution`: only those resolved that way (then '
      + '`unresolvedOnly` does not apply). A connector neither defined nor ever synced is CONNECTOR_NOT_FOUND; a run that does not exist, '
      + 'or is another connector\'s, NOT_FOUND. For integration engineers, operators and data stewards, whatever their communes: nothing '
      + 'listed holds personal values but `payload`, which has rules of its own; a reason about a field of a sensitive class your roles do '
      + 'not grant is left out (see RejectedRecord.reasons), and `code`/`field` match reasons as shown.',
  })
  async rejectedRecords(
    @Ctx() ctx: GraphQLContext,
    @Args(() => RejectsFilterArgs) args: RejectsFilterArgs,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('before', () => ID, { nullable: true }) before: string | null,
  ): Promise<RejectedRecord[]> {
    const p = requireRole(ctx, READ_ROLES, 'Query.rejectedRecords', 'Reading rejected records');
    checkPageSize(first, ctx.maxPageSize);
    checkBefore(before ?? null, 'rej', 'rejected record');
    const c = connectorsOf(ctx);
    const filter = await rejectsFilterOf(ctx, p, c, args, 'Query.rejectedRecords(field)');
    return (await c.repo.rejects(filter, first, before ?? null)).map(toReject);
  }

  @Cost(COUNT_COST)
  @Query(() => Int, {
    description: 'How many quarantined records `rejectedRecords` lists with the same arguments, on every page (counted only when asked: '
      + 'rejectedRecords is a list, kept so for the clients that read it). Errors as rejectedRecords. For the same roles.',
  })
  async rejectedRecordCount(@Ctx() ctx: GraphQLContext, @Args(() => RejectsFilterArgs) args: RejectsFilterArgs): Promise<number> {
    const p = requireRole(ctx, READ_ROLES, 'Query.rejectedRecordCount', 'Counting rejected records');
    const c = connectorsOf(ctx);
    return c.repo.countRejects(await rejectsFilterOf(ctx, p, c, args, 'Query.rejectedRecordCount(field)'));
  }

  @Cost(MUTATION_COST)
  @Mutation(() => [RejectedRecord], {
    description: 'Closes open quarantined records by hand (resolution DISMISSED, with you as resolvedBy and `reason` as resolutionNote): a record '
      + 'the source will never fix (a known test row, a duplicate the agency abandoned), or one without an external id, which no run can '
      + `resolve. \`reason\` is required, at most ${MAX_DISMISSAL_NOTE_LENGTH} characters, and kept as resolutionNote, which you and callers who may `
      + 'read a payload read (audited): write why, not the child\'s data (a personal-looking number is refused). All or nothing: an unknown id (NOT_FOUND) or one closed already (CONFLICT; `extensions.ids` names '
      + 'them) dismisses none. Read again unchanged, a dismissed record stays dismissed; changed and still invalid, it is quarantined anew. '
      + 'Audited. For integration engineers, operators and data stewards whose token covers the whole city (a quarantined record\'s '
      + 'commune cannot be trusted, so it may be any commune\'s child).',
  })
  async dismissRejectedRecords(
    @Ctx() ctx: GraphQLContext,
    @Arg('ids', () => [ID], { description: 'The quarantined records to close (at most the maximum page size).' }) ids: string[],
    @Arg('reason', () => String, { description: 'Why: kept with each of them as resolutionNote (tabs and line breaks, no other control characters).' }) reason: string,
  ): Promise<RejectedRecord[]> {
    const p = requireRole(ctx, READ_ROLES, 'Mutation.dismissRejectedRecords', 'Dismissing rejected records');
    requireWholeCity(ctx, p, 'Mutation.dismissRejectedRecords', 'Dismissing rejected records');
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) throw new InvalidInputError('Give the id of at least one rejected record', { argument: 'ids' });
    if (wanted.length > ctx.maxPageSize) throw new InvalidInputError(`At most ${ctx.maxPageSize} rejected records at a time`, { argument: 'ids' });
    for (const id of wanted) requireIdOf('rejectedRecord', id, 'ids');
    const note = dismissalNote(reason);
    const c = connectorsOf(ctx);
    // Who, as a sync's requestedBy names them: the officer's number, else the token's subject (QA: they differed).
    await c.dismissRejects(wanted, p.officerId ?? p.subject, p.subject, note);
    ctx.access.wroteRecords('dismissRejectedRecords', wanted);
    const rows = new Map((await c.repo.rejectsByIds(wanted)).map((r) => [r.id, r]));
    return wanted.map((id) => toReject(rows.get(id)!));
  }

  @Cost(MUTATION_COST)
  @Mutation(() => ConnectorRun, {
    description: 'Queues a sync of the connector now (one runs at a time per connector). A run of the connector still QUEUED (not yet started, '
      + 'its job still in the queue: one whose job was lost is marked FAILED, CONNECTOR_RUN_LOST) is returned instead of queuing another, as it is (its requestedBy is whoever queued it): it has not read the source yet, so it picks up '
      + 'every change made before this request. While a run is RUNNING, or RETRYING (waiting for its job\'s next attempt, which resumes it), one '
      + 'follow-up is queued behind it (it may have read its pages before a change), which starts once that run has ended, and later requests return that follow-up (a forced request and an ordinary one are each their own kind). For integration '
      + 'engineers and operators.',
  })
  async syncConnector(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', () => String) name: string,
    @Arg('force', () => Boolean, {
      defaultValue: false,
      description: 'Read everything again, as `connectors sync --force`: files even when their checksum was ingested before; an HTTP '
        + 'source from its beginning (which, for a connector with `removals`, looks for the records the source no longer returns). '
        + 'Unchanged records are still skipped.',
    }) force: boolean,
  ): Promise<ConnectorRun> {
    const p = requireRole(ctx, SYNC_ROLES, 'Mutation.syncConnector', 'Starting a sync');
    const c = connectorsOf(ctx);
    const { runId } = await c.requestSync(name, p.officerId ?? p.subject, force).catch(async (err: unknown) => {
      if (err instanceof ConnectorNotFoundError && (await c.repo.connectors()).some((r) => r.name === name)) throw err.inGateway();
      throw err;
    });
    return toRun((await c.repo.run(runId))!, await definitionsByName(ctx));
  }
}

@Resolver(() => RejectedRecord)
export class RejectedRecordPayloadResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description: 'Why it was dismissed, as written by who dismissed it; null unless DISMISSED. Free text, which may hold anything its '
      + 'author typed (a name, a health fact): read as `payload` is, by a caller whose token covers the whole city and whose roles grant every '
      + 'class (audited as a read of every class), and by its author (the token subject that dismissed it); others get null with FORBIDDEN (audited as DENIED).',
  })
  resolutionNote(@Root() reject: RejectedRecord, @Ctx() ctx: GraphQLContext): Promise<string | null> | string | null {
    if (reject.resolutionNote === null) return null;
    const p = requirePrincipal(ctx);
    // Its author wrote it: nothing is disclosed to them (security QA: a note naming a child and a diagnosis was read by
    // every engineer and operator, of any commune, and nothing was audited).
    // By the token's subject, not the officer number resolvedBy shows (QA: a token of another agency with the same
    // officer number read it; an officer number is not known to be unique across agencies).
    if (reject.resolvedBySubject !== null && reject.resolvedBySubject === p.subject) return reject.resolutionNote;
    if (!ALL_SENSITIVITY_CLASSES.every((c) => p.classes.has(c))) {
      ctx.access.denyRejected(reject.id, 'RejectedRecord.resolutionNote');
      throw new ForbiddenError('A dismissal\'s note is free text that may hold any personal data: it needs every data class (data stewards), or to have been written with your token\'s subject (not your officer number, which resolvedBy shows)');
    }
    requireWholeCity(ctx, p, 'RejectedRecord.resolutionNote', 'A dismissal\'s note', reject.id);
    return this.released(reject, ctx, 'RejectedRecord.resolutionNote', reject.resolutionNote);
  }

  /** `value` of the reject, released whole: audited as a read of every class, of the reject and of the child its record is stored for. */
  private async released(reject: RejectedRecord, ctx: GraphQLContext, field: string, value: string, childId?: string | null): Promise<string> {
    const child = childId !== undefined ? childId : await connectorsOf(ctx).repo.rejectChild(reject.id);
    for (const cls of ALL_SENSITIVITY_CLASSES) ctx.access.readRejected(reject.id, cls);
    ctx.access.readField(undefined, field, reject.id);
    if (child !== null) {
      for (const cls of ALL_SENSITIVITY_CLASSES) ctx.access.read(child, cls);
      ctx.access.readField(child, field);
    }
    return value;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'The record as it arrived, as JSON. It may hold any personal data and its commune cannot be trusted (the record is invalid), '
      + 'so only a caller whose token covers the whole city and whose roles grant every class reads it (audited as a read of every class); '
      + 'others get null with FORBIDDEN (audited as DENIED). Null once erased past its retention (see payloadErasedAt).',
  })
  async payload(@Root() reject: RejectedRecord, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    const p = requirePrincipal(ctx);
    if (!ALL_SENSITIVITY_CLASSES.every((c) => p.classes.has(c))) {
      ctx.access.denyRejected(reject.id, 'RejectedRecord.payload');
      throw new ForbiddenError('The payload of a rejected record may hold any personal data: it needs every data class (data stewards)');
    }
    requireWholeCity(ctx, p, 'RejectedRecord.payload', 'The payload of a rejected record', reject.id);
    // Erased past its retention (payloadErasedAt): nothing is released, so nothing is audited as read.
    const found = reject.payloadErasedAt ? undefined : await connectorsOf(ctx).repo.rejectPayload(reject.id);
    if (found === undefined) return null;
    // Whatever the payload holds, it is released whole: the audit says every class was, of the reject and of the child
    // its record is stored for, so that a search of the audit by child finds it (QA: the event named no child).
    return this.released(reject, ctx, 'RejectedRecord.payload', JSON.stringify(found.payload), found.childId);
  }
}
