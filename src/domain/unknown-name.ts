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
  if (name.length === 1 || (name.length <= 3 && name.trim().length === 1)) return true; // one character ("x", a ticked blank, "-"): no name is one letter
  // Fast path, on the CSV ingest's path for every name: a name whose first two letters no placeholder starts with
  // (`Nguyễn`, `Trần`, `Lê`…): placeholders start `kh`, `ko`, `kx`, `k `, `ch`, `nu`, `no`, `n/`, `un`, or with a mark.
  const c0 = name.charCodeAt(0);
  const l0 = c0 | 0x20;
  if (c0 < 0x80 && l0 >= 0x61 && l0 <= 0x7a) {
    const l1 = name.charCodeAt(1) | 0x20;
    if (l0 === 0x6b ? l1 !== 0x68 && l1 !== 0x6f && l1 !== 0x78 && l1 !== 0x20
      : l0 === 0x63 ? l1 !== 0x68
        : l0 === 0x6e ? l1 !== 0x75 && l1 !== 0x6f && l1 !== 0x2f
          : l0 === 0x75 ? l1 !== 0x6e : true) return false;
  } else if (c0 >= 0x80 && LETTER.test(name.charAt(0))) return false;
  const text = name.normalize('NFC').replace(/\s+/gu, ' ').toLowerCase().replace(EDGES, '');
  if (text === '') return true; // only marks: "-", "?", "…"
  if (ASCII.test(text)) return PLAIN.test(text);
  return ACCENTED.test(text);
}

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
