import { isIdShaped } from '../db/ids.js';
import { InvalidInputError } from '../errors/index.js';

/** Opaque Relay cursors: base64url of the last id on the page (or of its sort key: {@link decodeKeyCursor}). */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/**
 * A cursor's text, when it is one this API could have returned: base64url that encodes back to itself. Node's decoder
 * skips what it cannot read and stops at `=`, so `<cursor>====<anything>` decoded as the cursor (QA: the rest was kept
 * in the audit of the read).
 */
function cursorText(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeCursor(text) !== cursor) throw new InvalidInputError('`after` is not a cursor this API returned', { argument: 'after' });
  return text;
}

export function decodeCursor(cursor: string, prefix: string): string {
  const id = cursorText(cursor);
  // Only an id's shape: a cursor with any other character (a NUL, a byte that is no UTF-8) is not one the API returned (QA: a 500).
  if (!id.startsWith(`${prefix}_`) || !isIdShaped(id)) throw new InvalidInputError('`after` is not a cursor this API returned', { argument: 'after' });
  return id;
}

/**
 * A cursor's sort key, for lists whose rows can leave or move between pages: the key's parts (ids, timestamps:
 * never personal data) joined by spaces, `keyOf` of {@link relayPage}. The next page starts after the key
 * itself, whether its row is still there or not.
 */
export function cursorKey(...parts: string[]): string {
  return parts.join(' ');
}

/** The parts of a {@link cursorKey} cursor, each checked against its pattern; anything else is refused. */
export function decodeKeyCursor(cursor: string, patterns: readonly RegExp[]): string[] {
  const parts = cursorText(cursor).split(' ');
  if (parts.length !== patterns.length || parts.some((p, i) => !patterns[i]!.test(p))) {
    throw new InvalidInputError('`after` is not a cursor this API returned', { argument: 'after' });
  }
  return parts;
}

/**
 * An instant a cursor holds, to the microsecond in UTC (`2026-12-01T08:00:00.000000Z`), as PostgreSQL's `to_char` wrote
 * it: a {@link decodeKeyCursor} pattern. Years 1000 to 9999 (QA: year 0, which no calendar has, was an internal error).
 */
export const CURSOR_INSTANT = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Refuses a {@link CURSOR_INSTANT} that is well formed but no instant (a 30 February), before PostgreSQL does as an internal error. */
export function checkCursorInstant(at: string): string {
  const ms = Date.parse(at);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== at.slice(0, 19)) {
    throw new InvalidInputError('`after` is not a cursor this API returned', { argument: 'after' });
  }
  return at;
}

/** Refuses a page size outside 1 to `max` (the server's GRAPHQL_MAX_PAGE_SIZE), naming `first`. */
export function checkPageSize(first: number, max: number): void {
  if (!Number.isInteger(first) || first < 1 || first > max) throw new InvalidInputError(`\`first\` must be between 1 and ${max}`, { argument: 'first' });
}

/**
 * A Relay page of `nodes`, read forward: `hasNextPage` is told by the caller (which read one row more), each
 * cursor the encoded id `keyOf` gives its node.
 */
export function relayPage<T>(nodes: T[], hasNextPage: boolean, keyOf: (node: T) => string) {
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    nodes,
    pageInfo: { hasNextPage, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
