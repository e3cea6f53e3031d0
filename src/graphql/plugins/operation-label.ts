import { fileLabel, isNameSyllable, phraseLengthAt, WITHHELD } from '../../connectors/file/file-label.js';
import { foldName } from '../../domain/vietnamese-name.js';

/**
 * Short English words of operation names that are also syllables of Vietnamese names (`Tô`, `Đỗ`, `Mỹ`, `Bé`…):
 * not read as a name's.
 */
const ENGLISH_WORDS: ReadonlySet<string> = new Set(['a', 'an', 'the', 'my', 'to', 'on', 'do', 'no', 'by', 'in', 'of', 'me', 'can', 'man', 'ban', 'tan', 'con', 'long', 'son', 'hang']);

/** Words of a health fact or of a protection group: beside any syllable of a name, they tell that child's (security QA: `Huong_HIV`). */
const SENSITIVE_WORDS: ReadonlySet<string> = new Set([
  'hiv', 'aids', 'disability', 'disabled', 'abuse', 'abused', 'trafficking', 'trafficked', 'autism', 'autistic', 'tuberculosis', 'khuyet', 'benh', 'nhiem',
]);

/** An operation name's words: split at underscores, digits and case changes (`ChildById` → Child, By, Id; `NGUYEN_An` → NGUYEN, An). */
const WORDS = /\p{Lu}+(?![\p{Ll}\p{M}])|\p{Lu}?[\p{Ll}\p{M}]+/gu;

/**
 * An operation's name as logged and audited: the client chooses it, and may put a child's name or number in it
 * (QA: `query Nguyen_Cong_Huy_001217183443` was logged as written). Withheld whole (`[withheld]`) when:
 * - the rules file names get find anything personal in it (`Nguyen_Cong_Huy_001217183443`; whole, not
 *   `[withheld]_HIV`, which kept a health word beside the name: security QA);
 * - two syllables of Vietnamese names stand side by side, outside a place name of Hà Nội or a common phrase
 *   (`Thuy_Huong`: a given name without its family name, security QA; `CasesInHaDong`, `HoSo` stay);
 * - a syllable of a name stands with a word of a health fact or protection group (`Huong_HIV`).
 *
 * English names stay as written (`ChildById`, `ListChildrenInCommune`, `MyQuery`, `LeChild`, `MaiTest`). Not caught,
 * as for file names: a name run together in one case (`thuyhuong`), a family name before a syllable the reference
 * data lacks (`Vu_Bay_Case`), a given name alone (`HuongCase`).
 */
export function operationLabel(name: string): string {
  // The file-name rules, with the English words that are also names' syllables read as neither (`WhatToDo` is no Tô Đỗ).
  const plain = name.replace(WORDS, (w) => (ENGLISH_WORDS.has(foldName(w)) ? 'Zz' : w));
  if (fileLabel(plain) !== plain) return WITHHELD;
  const folded = [...name.normalize('NFC').matchAll(WORDS)].map((m) => foldName(m[0]));
  let syllables = 0;
  let previousWasName = false;
  for (let i = 0; i < folded.length;) {
    const phrase = phraseLengthAt(folded, i);
    if (phrase > 0) {
      i += phrase;
      previousWasName = false;
      continue;
    }
    const word = folded[i]!;
    const isName = !ENGLISH_WORDS.has(word) && isNameSyllable(word);
    if (isName && previousWasName) return WITHHELD;
    if (isName) syllables++;
    previousWasName = isName;
    i++;
  }
  return syllables > 0 && folded.some((w) => SENSITIVE_WORDS.has(w)) ? WITHHELD : name;
}
