import { fileLabel, isNameSyllable, isTopFamilyName, WITHHELD } from '../../connectors/file/file-label.js';

/**
 * Short English words of operation names that are also syllables of Vietnamese names (`Tô`, `Đỗ`, `Mỹ`, `Bé`…):
 * not counted as a name's.
 */
const ENGLISH_WORDS: ReadonlySet<string> = new Set(['a', 'an', 'the', 'my', 'to', 'on', 'do', 'no', 'be', 'by', 'in', 'of', 'me', 'can', 'man', 'ban', 'tan', 'con', 'long', 'son', 'hang']);

/** An operation name's words: split at underscores, digits and case changes (`ChildById` → Child, By, Id; `NGUYEN_An` → NGUYEN, An). */
const WORDS = /\p{Lu}+(?![\p{Ll}\p{M}])|\p{Lu}?[\p{Ll}\p{M}]+/gu;

/**
 * An operation's name as logged and audited: the client chooses it, and may put a child's name or number in it
 * (QA: `query Nguyen_Cong_Huy_001217183443` was logged as written). Withheld whole (`[withheld]`) when the rules
 * file names get find anything personal in it (`Nguyen_Cong_Huy_001217183443`; not `[withheld]_HIV`, which kept a
 * health word beside the name: security QA), or when two of its words are syllables of Vietnamese names, which no
 * English operation name has, or one is a family name most people hold (`Thuy_Huong`, a given name without its family
 * name; `Vu_Bay_Case`, a syllable the reference data lacks after a family name: security QA).
 * `ChildById`, `ListChildrenInCommune` and `Dismiss` are logged as written.
 */
export function operationLabel(name: string): string {
  if (fileLabel(name) !== name) return WITHHELD;
  let syllables = 0;
  for (const m of name.normalize('NFC').matchAll(WORDS)) {
    const word = m[0].toLowerCase();
    if (ENGLISH_WORDS.has(word) || !isNameSyllable(word)) continue;
    // A family name most people hold (Nguyễn, Trần, Vũ…) counts as two: it starts a name whatever follows (`Vu_Bay_Case`).
    syllables += isTopFamilyName(word) ? 2 : 1;
    if (syllables >= 2) return WITHHELD;
  }
  return name;
}
