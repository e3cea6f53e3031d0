import { checkpointView, type CheckpointDefinition } from '../connectors/checkpoint-view.js';
import type { RunCounts } from '../connectors/sync/connector-sync.service.js';
import type { RunRemovals } from '../connectors/sync/removals.js';
import { durationWords } from '../util/duration-words.js';

/** Counts a run shows while it runs. */
export type ProgressCounts = Pick<RunCounts, 'batches' | 'fetched' | 'inserted' | 'updated' | 'unchanged' | 'rejected' | 'repeatedIds'>;

/**
 * The live line of `connectors sync` (redrawn in place on a terminal): `school: 3 batches, 3000 fetched, 12 new, 4 changed,
 * 2984 unchanged, 0 rejected (page 3)`. Repeated ids (rare) only when there are some, as the run's summary shows them.
 */
export function progressLine(name: string, p: ProgressCounts & { location?: string }): string {
  const repeated = p.repeatedIds > 0 ? `, ${p.repeatedIds} repeated id(s)` : '';
  return `${name}: ${p.batches} batches, ${p.fetched} fetched, ${p.inserted} new, ${p.updated} changed, ${p.unchanged} unchanged, `
    + `${p.rejected} rejected${repeated}${p.location ? ` (${p.location})` : ''}`;
}

/**
 * The checkpoint line of `connectors list` (`checkpoint {"next":{"params":{"limit":"1000","cursor":"[withheld]"}},…}`), as
 * GraphQL shows it ({@link checkpointView}: a source's cursor or next link withheld); null when there is none.
 * `definition`: the connector's, when its file validates.
 */
export function checkpointLine(state: unknown, definition: CheckpointDefinition | undefined): string | null {
  const view = checkpointView(state, definition);
  return view === null ? null : `checkpoint ${view}`;
}

/**
 * What `connectors sync` says of the records a full read found gone from the source (connectors with `removals`):
 * a line each for what it marked or unmarked, for what it held back and why, and for the quarantined records it
 * closed as no longer sent; none when there is nothing to say. Counts only: the records are listed by `SourceRecord.absentFromSourceSince` over the API.
 */
export function removalsLines(r: RunRemovals | null | undefined, maxShare?: number, wholeLists = false): string[] {
  if (!r) return [];
  const lines: string[] = [];
  if (wholeLists) return wholeListsLines(r);
  if (r.marked || r.returned) {
    const parts = [];
    if (r.marked) parts.push(`${r.marked} record(s) no longer returned by the source marked absent`);
    if (r.returned) parts.push(`${r.returned} marked absent before returned again (unmarked)`);
    const now = r.absent ? `${r.absent} of the ${r.stored} stored now marked absent (kept, not deleted: SourceRecord.absentFromSourceSince)` : 'none of the source\'s records is marked absent now';
    lines.push(`${parts.join(', ')}; ${now}`);
  }
  if (r.heldReason === 'OVER_MAX_SHARE') {
    // What the source had when the read began: stored, less what was marked absent then (what is marked now, and what came back).
    const present = r.stored - r.absent - r.returned;
    const share = present > 0 ? ` (${((100 * r.held) / present).toFixed(2)}% of the ${present} the source had)` : '';
    lines.push(`records gone from the source NOT marked: this read did not return ${r.held}${share}, more than removals.maxShare`
      + `${maxShare !== undefined ? ` (${+(maxShare * 100).toFixed(2)}%)` : ''} allows: a source answering with part of its data? Check the source; if they are `
      + 'really gone, raise removals.maxShare for the next full read (--force)');
  }
  if (r.heldReason === 'UNIDENTIFIED_REJECTS') {
    lines.push(`records gone from the source NOT marked: this read did not return ${r.held}, but it quarantined records whose id could not be `
      + 'read (any of them may be one of these): fix those records at the source, then read it again (--force)');
  }
  if (r.rejectsClosed) {
    lines.push(`${r.rejectsClosed} quarantined record(s) the source no longer sends closed (NOT_SENT_AGAIN: connectors rejects <name> --resolution NOT_SENT_AGAIN)`);
  }
  return lines;
}

/** {@link removalsLines} of a file connector with `wholeLists`: what its files' lists marked, unmarked or held back. */
function wholeListsLines(r: RunRemovals): string[] {
  const lines: string[] = [];
  if (r.marked || r.returned) {
    const parts = [];
    if (r.marked) parts.push(`${r.marked} record(s) a later file no longer lists marked absent`);
    if (r.returned) parts.push(`${r.returned} marked absent before listed again (unmarked)`);
    lines.push(`${parts.join(', ')}; ${r.absent ? `${r.absent} of this connector's records now marked absent (kept, not deleted: SourceRecord.absentFromSourceSince)` : 'none of this connector\'s records is marked absent now'}`);
  }
  if (r.held) {
    lines.push(`records a file no longer lists NOT marked: ${r.held}, because the file held records whose id could not be read (any of them may be one of these): `
      + 'fix those rows and drop the file again');
  }
  return lines;
}

/** A connector's last run as `connectors list` reads it. */
export interface LastRunRow {
  status: string;
  /** When it was asked for (queued): a QUEUED run says since when it waits. */
  requestedAt?: Date | null;
  startedAt?: Date | null;
  finishedAt: Date | null;
  fetched: number;
  rejected: number;
  repeatedIds: number;
  errorCode?: string | null;
  /** While RETRYING: its failed attempts (the last is told), how many its job makes, when the next is due. */
  failedAttempts?: readonly FailedAttemptRow[];
  maxAttempts?: number | null;
  nextAttemptAt?: Date | null;
  /** While RUNNING: how long since its last sign of life (heartbeat), and after how long a run is taken as stopped. */
  silentMs?: number | null;
  stallMs?: number;
}

/**
 * A connector's last run as `connectors list` shows it: its error's code after its status when it has one (a
 * FAILED run), repeated ids only when there are some. A run not ended has no end time: a RUNNING or RETRYING one
 * says since when it runs, and a RETRYING one which attempt failed, with what code, and when the next is due (QA:
 * `last run RETRYING  fetched 0 rejected 0` said less of a source down than a FAILED run does); a QUEUED one since
 * when it was queued and how long that is (QA: it said nothing of it: a run waiting hours for a worker looked as
 * one queued a moment ago).
 */
export function lastRunLine(last: LastRunRow | undefined, now = Date.now()): string {
  if (!last) return 'never run';
  const repeated = last.repeatedIds > 0 ? ` repeated ids ${last.repeatedIds}` : '';
  const error = last.errorCode ? ` ${last.errorCode}` : '';
  const when = last.finishedAt ? ` ${last.finishedAt.toISOString()}`
    : last.startedAt ? ` since ${last.startedAt.toISOString()}`
      : last.status === 'QUEUED' && last.requestedAt ? ` since ${last.requestedAt.toISOString()} (queued ${durationWords(now - last.requestedAt.getTime())} ago)` : '';
  // A run whose process stopped shows RUNNING until something takes it up (QA: a killed CLI sync looked alive for a day).
  const silent = last.status === 'RUNNING' && last.silentMs != null && last.stallMs !== undefined && last.silentMs > last.stallMs
    ? ` (no sign of life for ${durationWords(last.silentMs)}: its process stopped or froze; the next sync goes on from its checkpoint)`
    : '';
  return `last run ${last.status}${error}${when}${silent}${last.status === 'RETRYING' ? ` ${retryingState(last)}` : ''} fetched ${last.fetched} rejected ${last.rejected}${repeated}`;
}

/** `(attempt 3 of 5 failed: CODE; next attempt at …)`: the code only, as a FAILED run shows it (the message: connectorRun(id).failedAttempts). */
function retryingState(last: LastRunRow): string {
  const failed = last.failedAttempts?.at(-1);
  const which = failed ? `${attemptName(failed.attempt, last.maxAttempts ?? null)} failed: ${failed.code}; ` : '';
  const next = last.nextAttemptAt ? `next attempt at ${last.nextAttemptAt.toISOString()}` : 'its job tries again';
  return `(${which}${next})`;
}

/** `attempt 3 of 5`, `attempt 3` (how many its job makes unknown), or `an attempt` (which one unknown). */
function attemptName(attempt: number | null, maxAttempts: number | null): string {
  return attempt !== null ? `attempt ${attempt}${maxAttempts !== null ? ` of ${maxAttempts}` : ''}` : 'an attempt';
}

/**
 * What `connectors list` says under a connector that has run: its open rejects (all of them, not the last run's
 * `rejected`) and when a run last succeeded, which a failed last run does not tell.
 */
export function rejectsAndSuccessLine(openRejects: number, lastSucceeded: { runId: string; finishedAt: Date | null } | undefined): string {
  const open = `${openRejects || 'no'} open reject${openRejects === 1 ? '' : 's'}`;
  const success = lastSucceeded ? `last succeeded ${lastSucceeded.finishedAt?.toISOString() ?? ''} (run ${lastSucceeded.runId})` : 'never succeeded';
  return `${open}; ${success}`;
}

/**
 * What `connectors sync` (queued) says of the run its request got: a new one, or one of the connector already
 * queued with the same options (one queued sync per connector), followed unless `--no-wait`, which returns it.
 */
export function requestedRunLine(name: string, r: { runId: string; alreadyQueued: boolean }, wait: boolean): string {
  if (!r.alreadyQueued) return `queued run ${r.runId}`;
  return `run ${r.runId} of ${name} was already queued and not yet started: ${wait ? 'following it' : 'returning it'} instead of queuing another`;
}

/** A failed attempt as a run keeps it (`connector_run.failed_attempts`). */
export interface FailedAttemptRow {
  attempt: number | null;
  code: string;
  message: string;
}

/**
 * What `connectors sync` says when an attempt of the run it follows failed and its job tries again (RETRYING): not
 * an end, so it goes on following. `school: attempt 1 of 5 failed — CODE: message; the next attempt is due at
 * 2026-12-14T10:32:15.000Z (in 14 s), from the checkpoint of the last stored batch`.
 */
export function retryingLine(name: string, failed: FailedAttemptRow, maxAttempts: number | null, nextAttemptAt: Date | null, now = Date.now()): string {
  const which = attemptName(failed.attempt, maxAttempts);
  const due = nextAttemptAt
    ? `the next attempt is due at ${nextAttemptAt.toISOString()} (in ${Math.max(0, Math.round((nextAttemptAt.getTime() - now) / 1000))} s)`
    : 'its job tries again';
  return `${name}: ${which} failed — ${failed.code}: ${failed.message}; ${due}, from the checkpoint of the last stored batch (RETRYING; Ctrl-C stops following, not the sync)`;
}

/** After a run's summary line: how many of its attempts failed before it ended (none: nothing to say). */
export function attemptsLine(status: string, failedAttempts: number): string | null {
  if (failedAttempts === 0) return null;
  if (status === 'SUCCEEDED') return `succeeded after ${failedAttempts} failed attempt(s) (their errors: connectorRun(id).failedAttempts)`;
  return failedAttempts > 1 ? `failed ${failedAttempts} attempt(s) (each error: connectorRun(id).failedAttempts)` : null;
}
