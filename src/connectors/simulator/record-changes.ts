/**
 * How the HTTP simulators' records change between syncs, on demand: `touch` changes existing records, `add`
 * adds new ones (the population's next children, see population-growth.ts), `remove` (where a simulator has
 * it) deletes some, as a source drops a record entered in error or a pupil who left. Either gives the records a
 * last-modified time past every existing one, so the next incremental read finds exactly them. Here: the
 * results, their control endpoints, and adding at a steady rate for demos.
 */
import type { Logger } from 'pino';
import type { Random } from '../../sample/random.js';
import type { KeysetIndex } from './keyset-index.js';
import type { AddedRecords } from './population-growth.js';
import type { SimulatorRoute } from './simulator-server.js';

/** What a touch changed. */
export interface TouchResult {
  /** Ids of the records changed. */
  ids: string[];
  /** Their new last-modified time. */
  updatedAt: string;
}

/** What an add added. */
export interface AddResult extends AddedRecords {
  /** Their last-modified time. */
  updatedAt: string;
}

/** What a remove took out. */
export interface RemoveResult {
  /** Ids of the records removed. */
  ids: string[];
}

/**
 * Takes `n` records chosen with `rnd` out of `index` (all of them when it holds fewer), as a source deletes them: what
 * a simulator's `remove` does. The same seed and call remove the same records.
 */
export function removeAtRandom<T>(index: KeysetIndex<T>, rnd: Random, n: number): RemoveResult {
  if (!Number.isInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
  const ids: string[] = [];
  while (ids.length < n && index.size > 0) {
    const id = index.at(rnd.int(0, index.size - 1))!.id;
    index.remove(id);
    ids.push(id);
  }
  return { ids };
}

export interface RecordChanges {
  touch(n: number): TouchResult;
  add(n: number): AddResult;
  remove?(n: number): RemoveResult;
}

/**
 * `POST /_sim/touch?n=10` → `{ touched, ids, updatedAt }`, `POST /_sim/add?n=10` → `{ added, ids, truthIds,
 * updatedAt }` and, where the simulator removes records, `POST /_sim/remove?n=10` → `{ removed, ids }` (`n`
 * defaults to 1; 400 unless a non-negative integer).
 */
export function recordChangeRoutes(changes: RecordChanges): SimulatorRoute[] {
  const route = (path: string, change: (n: number) => Record<string, unknown>): SimulatorRoute => ({
    method: 'POST',
    path,
    handle: (ctx) => {
      const n = Number(ctx.url.searchParams.get('n') ?? '1');
      if (!Number.isInteger(n) || n < 0) return ctx.sendJson(400, { error: 'n must be a non-negative integer' });
      ctx.sendJson(200, change(n));
    },
  });
  return [
    route('/_sim/touch', (n) => {
      const { ids, updatedAt } = changes.touch(n);
      return { touched: ids.length, ids, updatedAt };
    }),
    route('/_sim/add', (n) => {
      const { ids, truthIds, updatedAt } = changes.add(n);
      return { added: ids.length, ids, truthIds, updatedAt };
    }),
    ...(changes.remove ? [route('/_sim/remove', (n) => {
      const { ids } = changes.remove!(n);
      return { removed: ids.length, ids };
    })] : []),
  ];
}

/** Records added at a steady rate while a simulator runs (demos: new children keep arriving). */
export interface SteadyAdditions {
  /** Seconds between two additions (more than 0). */
  everySeconds: number;
  /** Records added each time. @defaultValue 10 */
  count?: number;
}

/** Calls `add` every `everySeconds` until stopped; logs counts only (ids are the source's record keys). */
export function addSteadily(add: (n: number) => AddResult, options: SteadyAdditions, log: Logger): { stop(): void } {
  const { everySeconds, count = 10 } = options;
  if (!(Number.isFinite(everySeconds) && everySeconds > 0)) throw new RangeError('everySeconds must be a number greater than 0');
  if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
  const timer = setInterval(() => {
    const { ids, updatedAt } = add(count);
    log.info({ added: ids.length, updatedAt }, 'records added');
  }, everySeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
