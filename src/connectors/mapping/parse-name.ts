import { normalizeName } from '../../domain/vietnamese-name.js';
import { memoize } from './memo.js';
import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

/** Whitespace (as `\s` has it) other than a plain space: names holding it take the general path. */
function isOddSpace(c: number): boolean {
  if (c < 0x1680) return c <= 13 || c === 0xa0;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

// normalizeName works syllable by syllable (NFC, tone placement, case), so a name is the join of its
// syllables' canonical forms. Names come from a few thousand syllables: memoising raw syllables avoids the
// Unicode normalisation of every whole name, the costliest step of mapping a row.
const syllable = memoize(normalizeName, 100_000);

/**
 * `parse: name`: a person's name in any case, NFC or NFD, to the canonical display form of
 * {@link normalizeName} (NFC, single spaces, traditional tone placement, each syllable capitalised).
 * Names are not split here: the ingest normaliser splits the full name.
 */
export function parseName(v: unknown): string | ParseFailure | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return new ParseFailure('INVALID_NAME', `expected a name; got ${describeValue(v)}`);
  let out = '';
  let start = 0;
  const n = v.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? v.charCodeAt(i) : 32;
    if (c === 32) {
      if (i > start) {
        const canonical = syllable(v.slice(start, i));
        out = out === '' ? canonical : `${out} ${canonical}`;
      }
      start = i + 1;
    } else if (isOddSpace(c)) {
      // Tabs, no-break and other spaces (rare): the general path.
      const name = normalizeName(v);
      return name === '' ? undefined : name;
    }
  }
  return out === '' ? undefined : out;
}
