import type { RunCounts } from '../connectors/sync/connector-sync.service.js';

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

/** A connector's last run as `connectors list` shows it; repeated ids only when there are some. */
export function lastRunLine(last: { status: string; finishedAt: Date | null; fetched: number; rejected: number; repeatedIds: number } | undefined): string {
  if (!last) return 'never run';
  const repeated = last.repeatedIds > 0 ? ` repeated ids ${last.repeatedIds}` : '';
  return `last run ${last.status} ${last.finishedAt?.toISOString() ?? ''} fetched ${last.fetched} rejected ${last.rejected}${repeated}`;
}

/**
 * What `connectors sync` (queued) says of the run its request got: a new one, or one of the connector already
 * queued with the same options (one queued sync per connector), followed unless `--no-wait`, which returns it.
 */
export function requestedRunLine(name: string, r: { runId: string; alreadyQueued: boolean }, wait: boolean): string {
  if (!r.alreadyQueued) return `queued run ${r.runId}`;
  return `run ${r.runId} of ${name} was already queued and not yet started: ${wait ? 'following it' : 'returning it'} instead of queuing another`;
}
