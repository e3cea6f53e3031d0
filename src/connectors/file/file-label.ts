/**
 * A drop file's name as the hub shows it anywhere but the server's own terminal and the protected tables
 * (`ingested_file`): run history, reject locations, logs, job failures in Redis, GraphQL. Agencies name files
 * after a child (`khai-sinh-NGUYEN-VAN-AN-001322711590.csv`: QA), and those places are read by roles that may
 * read no personal data, or kept for weeks; so the parts of a name that look personal are `[withheld]`, and the
 * rest (its kind, its dates, its extension) stays for the engineer to find the file by:
 * `khai-sinh-[withheld].csv`. A name that looks impersonal (`khai-sinh-2026-11.csv`, `BC-kiem-tra-Q3.xlsx`) is
 * shown unchanged.
 *
 * Personal-looking:
 * - a run of 9 or more digits: a CMND (9), a CCCD or personal number (12), a phone number (10); a date
 *   `20261103` has 8;
 * - words (split at anything that is not a letter or digit, and at a change from lower to upper case; accents
 *   folded, NFC or NFD) starting with a Vietnamese family name of the reference data (`vn-names/family_names.csv`)
 *   followed by a syllable of the reference middle or given names: `NGUYEN-VAN-AN`, `Trần_Thị_Hà`,
 *   `LeVanTam`. From there to the next digits or the end of the run of words is withheld (a rare given name is
 *   not in the reference data). Place names of Hà Nội (its 2025 communes, its former districts) and common
 *   words of file names that happen to start with a family name (`bao-cao`, `tong-hop`, `du-lieu`) are not
 *   names. A school named after a person (`truong-nguyen-du.xlsx`) is withheld too: a readable name costs
 *   less than a child's name shown.
 *
 * Not caught: a name run together in one case (`nguyenvanan`), a family name followed only by syllables the
 * reference data lacks. Deterministic and cheap (a few set lookups per word), and idempotent: a label is its
 * own label, so labelling again what was stored labelled (or stored before this) is harmless.
 */
import { foldName } from '../../domain/vietnamese-name.js';
import { communesOfProvince, HANOI_PROVINCE_CODE } from '../../reference/admin-units.js';
import { familyNameFrequencies, givenNameFrequencies, middleNameFrequencies } from '../../reference/vn-names.js';

/** What a personal-looking part of a file name is shown as. */
export const WITHHELD = '[withheld]';

/** Digits from this many on are an identity number (CMND 9, CCCD 12), a phone number: never a date (8). */
const MIN_NUMBER_DIGITS = 9;

/**
 * Common words of file names (folded) that start with a family name's syllable and go on with a name's:
 * read as words, not as a person. A person so named (Bào Cao) is rare; these words in a report's name are not.
 */
const COMMON_PHRASES = [
  'bao cao', 'tong hop', 'tong ket', 'tong so', 'du lieu', 'quan ly', 'an sinh', 'an toan', 'tu phap', 'ho tich', 'ho gia dinh',
  'thong ke', 'thong tin', 'thong bao', 'chung nhan', 'chung tu', 'chung thuc', 'cap nhat', 'ban sao', 'bo sung', 'dinh ky',
  'ma so', 'mai am', 'phan loai', 'phan tich', 'phan bo', 'phu luc', 'vu viec', 'truong hoc', 'thanh pho', 'ha noi',
  'kiem tra', 'le hoi', 'hoa don', 'giang vien', 'dong y', 'ban dau', 'ban giao', 'la hoa',
];

/** Hà Nội's districts and towns before July 2025: still how agencies name their exports. */
const FORMER_DISTRICTS = [
  'Ba Đình', 'Hoàn Kiếm', 'Tây Hồ', 'Long Biên', 'Cầu Giấy', 'Đống Đa', 'Hai Bà Trưng', 'Hoàng Mai', 'Thanh Xuân', 'Sóc Sơn',
  'Đông Anh', 'Gia Lâm', 'Nam Từ Liêm', 'Bắc Từ Liêm', 'Thanh Trì', 'Mê Linh', 'Hà Đông', 'Sơn Tây', 'Ba Vì', 'Phúc Thọ',
  'Đan Phượng', 'Hoài Đức', 'Quốc Oai', 'Thạch Thất', 'Chương Mỹ', 'Thanh Oai', 'Thường Tín', 'Phú Xuyên', 'Ứng Hòa', 'Mỹ Đức',
];

/**
 * Written in lower case, a family name's syllable is as often a word (`khong` không, `vi` vị, `chu` chú): only a
 * family name held by at least this share of the sample (percent: Nguyễn … down to Phí, Mạc, Thạch) starts a
 * name there, and only with two more syllables (`nguyen-van-an`). Capitalised (`Le-Na`, `LE-NA`), any family
 * name with one more syllable does.
 */
const COMMON_FAMILY_PERCENT = 0.1;

interface Words {
  family: ReadonlySet<string>;
  /** Family names at least {@link COMMON_FAMILY_PERCENT} of the sample holds. */
  commonFamily: ReadonlySet<string>;
  syllables: ReadonlySet<string>;
  /** Folded phrases (words joined by a space) that are no person's name, by their first word. */
  phrases: ReadonlyMap<string, ReadonlyArray<readonly string[]>>;
}

let words: Words | undefined;

function load(): Words {
  if (words) return words;
  const family = new Set(familyNameFrequencies().map((n) => foldName(n.name)));
  const commonFamily = new Set(familyNameFrequencies().filter((n) => n.weight >= COMMON_FAMILY_PERCENT).map((n) => foldName(n.name)));
  const syllables = new Set<string>();
  for (const list of [middleNameFrequencies('FEMALE'), middleNameFrequencies('MALE'), givenNameFrequencies('FEMALE'), givenNameFrequencies('MALE')]) {
    for (const n of list) for (const w of foldName(n.name).split(' ')) syllables.add(w);
  }
  const phrases = new Map<string, Array<readonly string[]>>();
  const addPhrase = (text: string) => {
    const p = foldName(text).split(' ').filter(Boolean);
    if (p.length < 2) return;
    const list = phrases.get(p[0]!) ?? [];
    list.push(p);
    phrases.set(p[0]!, list);
  };
  for (const p of COMMON_PHRASES) addPhrase(p);
  for (const d of FORMER_DISTRICTS) {
    addPhrase(d);
    for (const prefix of ['quan', 'huyen', 'thi xa']) addPhrase(`${prefix} ${d}`);
  }
  for (const u of communesOfProvince(HANOI_PROVINCE_CODE)) {
    addPhrase(u.communeName); // with its type word: `Phường Ba Đình`
    addPhrase(u.communeName.split(' ').slice(u.communeType === 'đặc khu' ? 2 : 1).join(' '));
  }
  // Longest first, so `phuong ba dinh` is taken whole before `phuong ba`.
  for (const list of phrases.values()) list.sort((a, b) => b.length - a.length);
  words = { family, commonFamily, syllables, phrases };
  return words;
}

type Part = { kind: 'word' | 'digits' | 'sep'; text: string };

const PARTS = /(\p{L}[\p{L}\p{M}]*)|(\p{Nd}+)|([^\p{L}\p{Nd}]+)/gu;
const EXTENSION = /\.[A-Za-z][A-Za-z0-9]{0,4}$/;

function isUpper(c: string): boolean {
  return c !== c.toLowerCase() && c === c.toUpperCase();
}
function isLower(c: string): boolean {
  return c !== c.toUpperCase() && c === c.toLowerCase();
}

/** A run of letters split where its case changes: `NguyenVanAn` → Nguyen, Van, An; `XMLFile` → XML, File. */
function splitCase(word: string, out: Part[]): void {
  const chars = [...word];
  let start = 0;
  for (let i = 1; i < chars.length; i++) {
    const prev = chars[i - 1]!;
    const c = chars[i]!;
    if ((isLower(prev) && isUpper(c)) || (isUpper(prev) && isUpper(c) && i + 1 < chars.length && isLower(chars[i + 1]!))) {
      out.push({ kind: 'word', text: chars.slice(start, i).join('') });
      start = i;
    }
  }
  out.push({ kind: 'word', text: chars.slice(start).join('') });
}

function partsOf(stem: string): Part[] {
  const out: Part[] = [];
  for (const m of stem.matchAll(PARTS)) {
    if (m[1] !== undefined) splitCase(m[1], out);
    else if (m[2] !== undefined) out.push({ kind: 'digits', text: m[2] });
    else out.push({ kind: 'sep', text: m[3]! });
  }
  return out;
}

/** The indexes of the words that follow `i` with only separators between, up to digits or the end. */
function wordRun(parts: readonly Part[], i: number): number[] {
  const run: number[] = [];
  for (let j = i + 1; j < parts.length; j++) {
    const p = parts[j]!;
    if (p.kind === 'digits') break;
    if (p.kind === 'word') run.push(j);
  }
  return run;
}

function capitalised(word: string): boolean {
  return isUpper([...word][0] ?? '');
}

/** Whether the family name at `i`, followed by the words `run`, starts a person's name (see {@link COMMON_FAMILY_PERCENT}). */
function startsName(parts: readonly Part[], folded: readonly string[], i: number, run: readonly number[], commonFamily: ReadonlySet<string>, syllables: ReadonlySet<string>): boolean {
  const [a, b] = run;
  if (a === undefined || !syllables.has(folded[a]!)) return false;
  if (capitalised(parts[i]!.text) && capitalised(parts[a]!.text)) return true;
  return commonFamily.has(folded[i]!) && b !== undefined && syllables.has(folded[b]!);
}

/**
 * The name as shown outside the server's terminal and the protected tables: unchanged when it looks
 * impersonal, else with its personal-looking parts replaced by {@link WITHHELD} (see the module's comment).
 */
export function fileLabel(name: string): string {
  const nfc = name.normalize('NFC');
  const ext = EXTENSION.exec(nfc)?.[0] ?? '';
  const parts = partsOf(nfc.slice(0, nfc.length - ext.length));
  const withheld = new Array<boolean>(parts.length).fill(false);
  let any = false;
  const { family, commonFamily, syllables, phrases } = load();
  const folded = parts.map((p) => (p.kind === 'word' ? foldName(p.text) : ''));
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.kind === 'digits') {
      if (p.text.length >= MIN_NUMBER_DIGITS) withheld[i] = any = true;
      continue;
    }
    if (p.kind !== 'word' || !family.has(folded[i]!)) continue;
    const run = wordRun(parts, i);
    // A place or a common phrase: its words are read past, not as a name's.
    const phrase = phrases.get(folded[i]!)?.find((ph) => ph.length - 1 <= run.length && ph.every((w, k) => w === folded[k === 0 ? i : run[k - 1]!]));
    if (phrase) {
      i = run[phrase.length - 2]!;
      continue;
    }
    if (!startsName(parts, folded, i, run, commonFamily, syllables)) continue;
    const last = run[run.length - 1]!;
    for (let k = i; k <= last; k++) withheld[k] = true;
    any = true;
    i = last;
  }
  if (!any) return name;
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    if (!withheld[i]) {
      out += parts[i]!.text;
      continue;
    }
    // One mark for withheld parts with only separators between them.
    let j = i;
    for (let k = i + 1; k < parts.length; k++) {
      if (withheld[k]) j = k;
      else if (parts[k]!.kind !== 'sep') break;
    }
    out += WITHHELD;
    i = j;
  }
  return out + ext;
}

/**
 * A file's path as shown: its file name labelled (`/home/me/khai-sinh-[withheld].csv`). The directories are
 * the engineer's or the configuration's (the drop directory), left as they are.
 */
export function pathLabel(p: string): string {
  const at = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1;
  return p.slice(0, at) + fileLabel(p.slice(at));
}

/** What follows a file's name in a record's location (`… row 3`, `… sheet "Trẻ em" rows 2-9`, `… (no more rows)`). */
const LOCATION_TAIL = /( sheet "[^"]*")?( rows? \d+(?:-\d+)?| \(no more rows\))$/;

/**
 * A file record's location (`<file> row 3`) with its file's name labelled; any other location (an API's
 * `page 3 entry 17`) unchanged. For locations stored before file names were labelled.
 */
export function locationLabel(location: string): string {
  const m = LOCATION_TAIL.exec(location);
  if (!m || m.index === 0) return location;
  return fileLabel(location.slice(0, m.index)) + location.slice(m.index);
}

/**
 * A checkpoint as shown (GraphQL `checkpoint`, `connectors list`): a file connector's file named by its label.
 * The reader writes labels in checkpoints (it resumes by checksum); one written before it did is shown so too.
 */
export function checkpointLabel<T>(state: T): T {
  const file = (state as { file?: unknown } | null)?.file;
  if (file === null || typeof file !== 'object' || typeof (file as { name?: unknown }).name !== 'string') return state;
  return { ...state, file: { ...file, name: fileLabel((file as { name: string }).name) } };
}
