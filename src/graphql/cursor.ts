import { InvalidInputError } from '../errors/index.js';

/** Opaque Relay cursors: base64url of the last id on the page. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, prefix: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!id.startsWith(`${prefix}_`) || id.length > 40) throw new InvalidInputError('`after` is not a cursor this API returned', { argument: 'after' });
  return id;
}
