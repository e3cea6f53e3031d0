import type { ReaderPosition } from '../types.js';
import { describeUrl } from './url-description.js';

/** What a view shows in place of a value the source made (a cursor, a next link's query values). */
export const WITHHELD = '[withheld]';

/**
 * An http reader's position as people are shown it (GraphQL `checkpoint`, `connectors list`): the page count,
 * the run's bounds and the high-water mark as they are (the hub's numbers, timestamps), and the next request
 * with the values of `shownParams` only (page, offset, size, incremental bound); a cursor, or any other value
 * of a server-made next link, is shown as held but withheld, as {@link describeUrl} does in logs (QA: a school
 * API's cursor `<name>|<number>` was shown to every integration engineer and operator). The stored position is
 * not touched: the reader resumes from it as it is.
 */
export function describeHttpPosition(position: ReaderPosition, shownParams: ReadonlySet<string>): ReaderPosition {
  if (position['next'] === null || position['next'] === undefined) return position;
  return { ...position, next: describeNext(position['next'], shownParams) };
}

function describeNext(next: unknown, shownParams: ReadonlySet<string>): unknown {
  if (typeof next !== 'object' || next === null || Array.isArray(next)) return WITHHELD;
  const { url, params, ...other } = next as Record<string, unknown>;
  // Anything else than the two shapes the reader writes (`HttpNext`) is not taken apart: it is withheld whole.
  if (Object.keys(other).length > 0) return WITHHELD;
  if (typeof url === 'string' && params === undefined) return { url: describeNextUrl(url, shownParams) };
  if (typeof params === 'object' && params !== null && !Array.isArray(params) && url === undefined) {
    return {
      params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, shownParams.has(k) && typeof v === 'string' ? v : WITHHELD])),
    };
  }
  return WITHHELD;
}

function describeNextUrl(url: string, shownParams: ReadonlySet<string>): string {
  try {
    // A stored link is always the source's: its path too can carry anything (QA: `/after/<name>-<number>`).
    return describeUrl(new URL(url), shownParams, WITHHELD, true);
  } catch {
    return WITHHELD;
  }
}
