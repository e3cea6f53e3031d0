/**
 * Text PostgreSQL cannot store, and how a record carrying it is kept anyway.
 *
 * PostgreSQL text (and json's escapes) cannot hold U+0000, and UTF-8 cannot hold a lone surrogate (half of a
 * UTF-16 pair: `"\ud800"` in a JSON record, or a broken export decoded as UTF-16). Sent as a parameter, the
 * first fails the statement (`22021`), the second is silently written as U+FFFD; inside JSON text, either
 * fails it (`22P05`, `22P02`). A record carrying one in a field the hub stores is refused before anything is
 * written, so its batch lands without it (QA: an id with a NUL failed every sync of its source).
 */

/** A field's message for text holding U+0000. */
export const NUL_MESSAGE = 'contains a NUL character (U+0000)';
/** A field's message for text holding a lone surrogate. */
export const LONE_SURROGATE_MESSAGE = 'contains a lone surrogate (half of a UTF-16 pair), which is not Unicode text';

/** Whether `s` has no lone surrogate (Node 20+ `String.prototype.isWellFormed`, native; the lib types it from ES2024). */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Whether `s` can be stored as PostgreSQL text exactly as it is. */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && isWellFormed(s);
}

/**
 * In JSON text: an escaped backslash (stepped over), an escaped surrogate pair (Unicode: stepped over; a
 * server may write one so, `JSON.stringify` never does), or a lone surrogate's escape.
 */
const JSON_ESCAPE_OF_SURROGATE = /\\(?:\\|u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[dD][89a-fA-F][0-9a-fA-F]{2})/g;

/** Whether JSON text holds a lone surrogate's escape. */
export function jsonHasLoneSurrogate(json: string): boolean {
  if (!json.includes('\\u')) return false;
  for (const m of json.matchAll(JSON_ESCAPE_OF_SURROGATE)) if (m[0].length === 6) return true;
  return false;
}

/** In JSON text: an escaped backslash or surrogate pair (stepped over), a lone surrogate's or U+0000's escape. */
const JSON_ESCAPE_UNSTORABLE = /\\(?:\\|u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[dD][89a-fA-F][0-9a-fA-F]{2}|u0000)/g;

/**
 * `JSON.stringify`'s text of a value, made into json PostgreSQL takes and can read as text: a lone
 * surrogate's escape (which json refuses) and U+0000's (which json keeps, but `->>` and jsonb refuse) are
 * written out as text (`\ud800` → the six characters `\ud800`), so what a reject kept still says what was there.
 */
export function storableJsonText(json: string): string {
  return json.includes('\\u') ? json.replace(JSON_ESCAPE_UNSTORABLE, (m) => (m.length === 6 ? `\\${m}` : m)) : json;
}
