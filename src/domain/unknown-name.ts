/**
 * What registers and spreadsheets write in a name's place when nobody knows it: `Không rõ`, `Chưa rõ họ tên`,
 * `Không rõ họ tên cha`, `Ko rõ`, `Không có thông tin`, `Không xác định`, `KXĐ`, `Không có`, `N/A`, one letter (`x`), or only
 * a mark (`-`, `—`, `?`, `…`). Decree 123/2015 leaves an abandoned
 * child's parents blank, but exports fill the blank so (QA: a foundling whose parents' columns said `Không rõ` was
 * read as having named parents, so not as abandoned, and "Không Rõ" was shown as the father's name).
 *
 * Compared as the mapping's tests compare text: with accents when the name has any (`Khổng Rõ`, a family name, is a
 * name; `Không rõ` is not), without them when it is written without (`KHONG RO`). Only the whole name counts: a name
 * that merely contains these words is a name.
 */
export function isUnknownName(name: string): boolean {
  if (name.length > 40) return false;
  if (name.trim().length === 1) return true; // one character ("x", a ticked blank, "-"): no name is one letter
  // Fast path: a name starting with a letter other than those the placeholders start with (most names).
  const first = name.charAt(0).toLowerCase();
  if (!FIRST.has(first) && LETTER.test(first)) return false;
  const text = name.normalize('NFC').replace(/\s+/gu, ' ').toLowerCase().replace(EDGES, '');
  if (text === '') return true; // only marks: "-", "?", "…"
  if (ASCII.test(text)) return PLAIN.test(text);
  return ACCENTED.test(text);
}

const FIRST = new Set(['k', 'c', 'n', 'u']);
const LETTER = /\p{L}/u;
const ASCII = /^[\x00-\x7f]*$/;
/** Spaces, punctuation and symbols around the words (`(Không rõ)`, `Không rõ.`, `- - -`). */
const EDGES = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;
// "Không rõ", "Ko rõ", "Chưa rõ họ tên cha", "Không có thông tin", "Không xác định danh tính mẹ"… (QA re-check: the forms
// naming what is unknown, and the short "ko", were read as names).
const ACCENTED = new RegExp(`^(?:${words('(?:không|ko|k|kh|chưa) (?:rõ|xác định|biết|có)', '(?:họ tên|họ và tên|tên|danh tính|thông tin|tên tuổi)', '(?:cha|mẹ|bố)')}|kxđ|n/a|null|none|unknown)$`, 'u');
const PLAIN = new RegExp(`^(?:${words('(?:khong|ko|k|kh|chua) (?:ro|xac dinh|biet|co)', '(?:ho ten|ho va ten|ten|danh tinh|thong tin|ten tuoi)', '(?:cha|me|bo)')}|kxd|n/a|null|none|unknown)$`);

/** A negation ("không rõ"), optionally what is unknown ("họ tên") and whose ("cha"); or the negation's first word alone ("không"). */
function words(negation: string, what: string, whose: string): string {
  return `${negation}(?: ${what})?(?: ${whose})?|${negation.slice(0, negation.indexOf(')') + 1)}`;
}
