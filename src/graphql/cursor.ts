import { isIdShaped } from '../db/ids.js';
import { InvalidInputError } from '../errors/index.js';

/** Opaque Relay cursors: base64url of the last id on the page (or of its sort key: {@link decodeKeyCursor}). */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, prefix: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
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
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(' ');
  if (parts.length !== patterns.length || parts.some((p, i) => !patterns[i]!.test(p))) {
    throw new InvalidInputError('`after` is not a cursor this API returned', { argument: 'after' });
  }
  return parts;
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
