/**
 * A drop directory's entry names as the hub takes them. A name that is not valid UTF-8 (written by a system set
 * to another encoding) has no string the hub could open it by, and one holding a control character (a line
 * break) would break the lines of logs and messages it is written into: such a file is refused by its name
 * escaped (`khai-sinh-\xFF.csv`, `khai-sinh-new\nline.csv`), not passed over in silence (QA: it was skipped on
 * every sync, or never matched the pattern, and the run reported SUCCEEDED).
 */

const strict = new TextDecoder('utf-8', { fatal: true });

/** Control characters: C0, DEL, C1, the Unicode line and paragraph separators, and bidirectional overrides (which make a name read as another). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export type EntryName = { ok: true; name: string } | { ok: false; escaped: string; problem: string };

/** An entry's name from its bytes: the name, or its escaped form and what is wrong with it. */
export function entryName(raw: Buffer): EntryName {
  let name: string | undefined;
  try {
    name = strict.decode(raw);
  } catch {
    return { ok: false, escaped: escapedName(raw), problem: 'is not valid UTF-8' };
  }
  if (CONTROL.test(name)) return { ok: false, escaped: escapedName(raw), problem: 'holds a control character, such as a line break' };
  return { ok: true, name };
}

/** The name with each byte that is not part of a UTF-8 character as `\xHH` and each control character escaped. */
export function escapedName(raw: Buffer): string {
  let out = '';
  for (let i = 0; i < raw.length; ) {
    let char: string | undefined;
    let len = 1;
    for (; len <= 4 && i + len <= raw.length; len++) {
      try {
        char = strict.decode(raw.subarray(i, i + len));
        break;
      } catch {
        // Not a whole character yet, or never one.
      }
    }
    if (char === undefined) {
      out += `\\x${raw[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
      continue;
    }
    out += CONTROL.test(char) ? (SHORT_ESCAPES[char] ?? `\\u{${char.codePointAt(0)!.toString(16).toUpperCase()}}`) : char;
    i += len;
  }
  return out;
}
