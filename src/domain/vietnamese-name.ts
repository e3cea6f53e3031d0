/**
 * Vietnamese personal names: canonical display form, an ASCII fold for matching, and the legal
 * "họ, chữ đệm và tên" split.
 */

/** A name split the way civil-status documents do: family (họ), middle (chữ đệm), given (tên). */
export interface NameParts {
  familyName: string | null;
  middleName: string | null;
  givenName: string | null;
}

/**
 * Where the tone mark goes in the open syllables `oa`, `oe`, `uy` (the only place the two styles differ).
 * - `traditional`: on the first vowel — Hòa, Khỏe, Thủy, Úy. This is what the official administrative-unit
 *   list and the reference name tables use, so it is the hub's canonical style.
 * - `modern`: on the second vowel — Hoà, Khoẻ, Thuỷ, Uý (the newer rule, common in software and records).
 */
export type ToneStyle = 'traditional' | 'modern';

const TONE_MARKS = new Set(['\u0300', '\u0301', '\u0303', '\u0309', '\u0323']);
const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);
const COMBINING = /[\u0300-\u036f]/g;
const NON_ASCII = /[^\u0000-\u007f]/;
const LETTER_RUN = /[\p{L}\p{M}]+/gu;
const MARK = /\p{M}/u;

interface Letter {
  base: string;
  /** Combining marks other than the tone mark (circumflex, breve, horn), in NFD order. */
  marks: string;
}

function isVowel(l: Letter): boolean {
  return VOWELS.has(l.base.toLowerCase());
}

/**
 * Moves the single tone mark of one syllable (a run of letters, any case, NFC or NFD) to its canonical
 * vowel. Syllables that do not look Vietnamese (no vowel, several vowel runs, several tone marks) are
 * returned unchanged apart from NFC, so foreign names pass through untouched.
 */
function placeToneInSyllable(syllable: string, style: ToneStyle): string {
  if (!NON_ASCII.test(syllable)) return syllable;
  const letters: Letter[] = [];
  let tone = '';
  let toneCount = 0;
  for (const ch of syllable.normalize('NFD')) {
    if (TONE_MARKS.has(ch)) {
      tone = ch;
      toneCount++;
    } else if (MARK.test(ch)) {
      const last = letters[letters.length - 1];
      if (last) last.marks += ch;
    } else {
      letters.push({ base: ch, marks: '' });
    }
  }
  if (toneCount !== 1) return syllable.normalize('NFC');

  let start = letters.findIndex(isVowel);
  if (start < 0) return syllable.normalize('NFC');
  let end = start;
  while (end < letters.length && isVowel(letters[end]!)) end++;
  if (letters.slice(end).some(isVowel)) return syllable.normalize('NFC');

  const before = start > 0 ? letters[start - 1]!.base.toLowerCase() : '';
  const first = letters[start]!;
  // In "qu" and in "gi" before another vowel, the u / i belong to the initial consonant.
  if (end - start > 1 && first.marks === '') {
    const firstBase = first.base.toLowerCase();
    if ((before === 'q' && firstBase === 'u') || (before === 'g' && firstBase === 'i')) start++;
  }

  const length = end - start;
  const closed = end < letters.length;
  let target = -1;
  for (let i = end - 1; i >= start; i--) {
    if (letters[i]!.marks !== '') {
      target = i;
      break;
    }
  }
  if (target < 0) {
    if (closed) target = end - 1;
    else if (length === 1) target = start;
    else if (length === 3) target = start + 1;
    else if (length === 2) {
      const pair = (letters[start]!.base + letters[start + 1]!.base).toLowerCase();
      const styleSensitive = pair === 'oa' || pair === 'oe' || pair === 'uy';
      target = styleSensitive && style === 'modern' ? start + 1 : start;
    } else return syllable.normalize('NFC');
  }

  let out = '';
  for (let i = 0; i < letters.length; i++) {
    const l = letters[i]!;
    out += l.base + l.marks + (i === target ? tone : '');
  }
  return out.normalize('NFC');
}

/**
 * Puts every tone mark in `text` where the chosen style wants it (also repairs placements that are wrong
 * in both styles, e.g. `Hùynh` → `Huỳnh`, `Hòang` → `Hoàng`). Returns NFC text; everything else unchanged.
 */
export function placeToneMarks(text: string, style: ToneStyle = 'traditional'): string {
  return text.normalize('NFC').replace(LETTER_RUN, (syllable) => placeToneInSyllable(syllable, style));
}

function titleCaseWord(word: string): string {
  // Upper-case the first letter of each letter run so that "h'hen" → "H'Hen" and "y-moan" → "Y-Moan".
  return word.toLowerCase().replace(LETTER_RUN, (run) => run.charAt(0).toUpperCase() + run.slice(1));
}

/**
 * Canonical display form of a personal name: NFC, whitespace collapsed and trimmed, `Ð`/`ð` (U+00D0/U+00F0,
 * a common mis-encoding) read as `Đ`/`đ`, tone marks in the traditional style (`Hòa`, `Thủy`, `Úy`, as in
 * the reference data), each syllable title-cased (`NGUYỄN THỊ THU HÀ` → `Nguyễn Thị Thu Hà`).
 * Letters are never added or removed: a name without diacritics stays without them.
 *
 * The canonical form of a name is the join of its syllables' canonical forms, and names come from a few
 * thousand syllables: syllables are looked up in a memo, so a million names cost a million splits, not a
 * million Unicode normalisations.
 */
export function normalizeName(s: string): string {
  let out = '';
  let start = 0;
  const n = s.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 32;
    if (c === 32) {
      if (i > start) {
        const word = canonicalWord(s.slice(start, i));
        out = out === '' ? word : `${out} ${word}`;
      }
      start = i + 1;
    } else if (c === 0xd0 || c === 0xf0 || isOddSpace(c)) {
      // Tabs, no-break, zero-width and other spaces, or the mis-encoded Ð (rare): tidy the whole name first.
      const tidy = s.normalize('NFC').replace(/\u00D0/g, '\u0110').replace(/\u00F0/g, '\u0111').replace(SPACES, ' ').trim();
      return tidy === '' ? '' : tidy.split(' ').map(canonicalWord).join(' ');
    }
  }
  return out;
}

/**
 * A name as a carer, guardian or declarant is written, who may be a person or an institution: an institution's
 * name ("Trung tâm Bảo trợ xã hội…", "Mái ấm…", "Chùa…", "UBND phường…") kept as written (NFC, single spaces),
 * a person's in {@link normalizeName}'s canonical form (QA: the health stations' and schools' "Trung tâm Bảo trợ
 * xã hội" became "Trung Tâm Bảo Trợ Xã Hội", so one facility had two spellings on one child).
 */
export function normalizePersonOrInstitution(s: string): string {
  return isInstitutionName(s) ? s.normalize('NFC').replace(SPACES, ' ').trim() : normalizeName(s);
}

/** Whether a name starts as an institution's does (no Vietnamese personal name starts with these words). */
export function isInstitutionName(s: string): boolean {
  return INSTITUTION.test(s) || (NOT_NFC_HINT.test(s) && INSTITUTION.test(s.normalize('NFC')));
}

/**
 * The first words of institutions' names (care facilities, religious houses, public bodies), any case, NFC, also
 * written without diacritics as registers do (`TRUNG TAM NUOI DUONG`, `CHUA PHUC TAM`: QA re-check). `Mai Am` is
 * left out: Mai is a family name.
 */
const INSTITUTION = new RegExp(
  '^\\s*(?:trung t[âa]m|mái ấm|ch[ùu]a|nh[àa] (?:th[ờo]|t[ìi]nh th[ươu][ơo]ng|nu[ôo]i d[ưu][ỡo]ng|m[ởo]|x[ãa] h[ộo]i)|l[àa]ng (?:tr[ẻe]|sos)|' +
    'c[ơo] s[ởo]|tu vi[ệe]n|thi[ềe]n vi[ệe]n|t[ịi]nh (?:x[áa]|th[ấa]t)|ni[ệe]m ph[ậa]t [đd][ưu][ờo]ng|gi[áa]o x[ứu]|c[ôo] nhi vi[ệe]n|' +
    'b[ệe]nh vi[ệe]n|ubnd|(?:ủy|uỷ|uy) ban|h[ộo]i)\\s',
  'iu',
);
/** Combining marks: text that may be NFD. */
const NOT_NFC_HINT = /[\u0300-\u036f]/;

/**
 * Runs of what separates a name's words: whitespace as `\s` has it, and the invisible characters (zero-width
 * U+200B–U+200D, U+2060, the soft hyphen U+00AD, U+180E) that text copied from web pages and chat carries. `\s` leaves those out, so `TRẦN\u200BVĂN AN` was one
 * family name `Trần​Văn`, folded `tran​van an`, and no search by name found the child (QA): they are read as spaces.
 */
const SPACES = /[\s\u00ad\u180e\u200b-\u200d\u2060]+/g;

/** A space other than a plain one: whitespace (as `\s` has it) or a zero-width character (see {@link SPACES}). */
function isOddSpace(c: number): boolean {
  if (c < 0x1680) return c <= 13 || c === 0xa0 || c === 0xad;
  return c === 0x1680 || c === 0x180e || (c >= 0x2000 && c <= 0x200d) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x2060 || c === 0x3000 || c === 0xfeff;
}

// Bounded so that odd input cannot grow the memos without limit.
const WORD_CACHE_LIMIT = 100_000;
const wordCache = new Map<string, string>();
const foldCache = new Map<string, string>();

/** One syllable (no whitespace, any case, NFC or NFD) in canonical form. */
function canonicalWord(word: string): string {
  let out = wordCache.get(word);
  if (out === undefined) {
    out = titleCaseWord(placeToneMarks(word, 'traditional'));
    if (wordCache.size >= WORD_CACHE_LIMIT) wordCache.clear();
    wordCache.set(word, out);
  }
  return out;
}

/**
 * Lower-case ASCII fold for matching and search: diacritics and tone marks removed (NFC or NFD input),
 * `đ`/`Đ` → `d`, whitespace collapsed. `NGUYEN THI THU HA` and `Nguyễn Thị Thu Hà` fold the same. Syllables
 * are memoised, as in {@link normalizeName}.
 */
export function foldName(s: string): string {
  if (!TIDY_SPACES.test(s)) return foldWord(s.replace(SPACES, ' ').trim());
  let out = '';
  let start = 0;
  const n = s.length;
  for (let i = 0; i <= n; i++) {
    if (i === n || s.charCodeAt(i) === 32) {
      const raw = s.slice(start, i);
      let word = foldCache.get(raw);
      if (word === undefined) {
        word = foldWord(raw);
        if (foldCache.size >= WORD_CACHE_LIMIT) foldCache.clear();
        foldCache.set(raw, word);
      }
      out = start === 0 ? word : `${out} ${word}`;
      start = i + 1;
    }
  }
  return out;
}

function foldWord(s: string): string {
  return s.normalize('NFD').replace(COMBINING, '').replace(/[đĐðÐ]/g, 'd').toLowerCase();
}

/**
 * Splits a full name the legal way: first syllable = family name, last = given name, anything between =
 * middle name (kept as one string, e.g. `Thị Thu`). One syllable → given name only; empty → all null.
 * Only whitespace is tidied; call {@link normalizeName} first for the canonical form.
 */
export function splitFullName(full: string): NameParts {
  const tidy = TIDY_SPACES.test(full) ? full : full.replace(SPACES, ' ').trim();
  if (tidy === '') return { familyName: null, middleName: null, givenName: null };
  const first = tidy.indexOf(' ');
  if (first < 0) return { familyName: null, middleName: null, givenName: tidy };
  const last = tidy.lastIndexOf(' ');
  return {
    familyName: tidy.slice(0, first),
    middleName: last > first ? tidy.slice(first + 1, last) : null,
    givenName: tidy.slice(last + 1),
  };
}

/** Words separated by single plain spaces (no {@link SPACES} but those). */
const TIDY_SPACES = /^[^\s\u00ad\u180e\u200b-\u200d\u2060]+(?: [^\s\u00ad\u180e\u200b-\u200d\u2060]+)*$/;

/** Joins name parts into a full name in Vietnamese order, skipping empty parts. */
export function joinName(parts: Partial<NameParts>): string {
  return [parts.familyName, parts.middleName, parts.givenName]
    .map((p) => (p ?? '').replace(SPACES, ' ').trim())
    .filter((p) => p !== '')
    .join(' ');
}
