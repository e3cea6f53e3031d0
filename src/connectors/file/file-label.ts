/**
 * A drop file's name as the hub shows it anywhere but the server's own terminal and the protected tables
 * (`ingested_file`): run history, reject locations, logs, job failures in Redis, GraphQL. Agencies name files
 * after a child (`khai-sinh-NGUYEN-VAN-AN-001322711590.csv`: QA), and those places are read by roles that may
 * read no personal data, or kept for weeks; so the parts of a name that look personal are `[withheld]`, and the
 * rest (its kind, its dates, its extension) stays for the engineer to find the file by:
 * `khai-sinh-[withheld].csv`. A day's date in a name with a personal part goes too: beside a child's name or number
 * it may be their birth date (`kt-[withheld].csv` for `kt-Phạm Thị Lụa 14.02.2017.csv`). A name that looks
 * impersonal (`khai-sinh-2026-11.csv`, `BC-kiem-tra-Q3.xlsx`) is shown unchanged.
 *
 * Personal-looking:
 * - 9 or more digits, whole or in groups joined by one space, dot or dash (`0912.345.678`): a CMND (9), a CCCD
 *   or personal number (12), a phone number (10); a date `20261103` has 8, and groups with a year are a date;
 * - words (split at anything that is not a letter or digit, and at a change from lower to upper case; accents
 *   folded, NFC, NFD or full-width) starting with a Vietnamese family name of the reference data
 *   (`vn-names/family_names.csv`) or of the north's minorities ({@link MINORITY_FAMILY_NAMES}), followed by a
 *   syllable of the reference middle or given names, or by a name's marker ({@link NAME_MARKERS}):
 *   `NGUYEN-VAN-AN`, `Trần_Thị_Hà`, `LeVanTam`, `giang-a-pao`. The name runs over up to three more words joined
 *   by a name's separators ({@link nameLength}), so `Nguyễn Văn An (bản sao)` keeps `(bản sao)`. Place names of
 *   Hà Nội (its 2025 communes, its former districts) and common words of file names (`bao-cao`, `Trạm Y Tế`,
 *   `dang-ky`) are not names, compared with their marks where the file writes marks. A school named after a
 *   person (`truong-nguyen-du.xlsx`) is withheld too: a readable name costs less than a child's name shown.
 *
 * Not caught: a name run together in one case (`nguyenvanan`), a rare family name in lower case followed only
 * by syllables the reference data lacks (`khong-minh-tuan`), a name after a place (`hoang-mai-anh`). Deterministic and cheap (a few set lookups per word), and idempotent: a label is its
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
  'báo cáo', 'tổng hợp', 'tổng kết', 'tổng số', 'dữ liệu', 'quản lý', 'an sinh', 'an toàn', 'tư pháp', 'hộ tịch', 'hộ gia đình',
  'thống kê', 'thông tin', 'thông báo', 'chứng nhận', 'chứng từ', 'chứng thực', 'cập nhật', 'bản sao', 'bổ sung', 'định kỳ',
  'mã số', 'mái ấm', 'phân loại', 'phân tích', 'phân bổ', 'phụ lục', 'vụ việc', 'trường học', 'thành phố', 'hà nội',
  'kiểm tra', 'lễ hội', 'hóa đơn', 'giảng viên', 'đồng ý', 'ban đầu', 'bàn giao', 'là hoa',
  // QA re-check: the names of agencies' and places' exports.
  'trạm y tế', 'y tế', 'cơ sở', 'cơ sở bảo trợ', 'bảo trợ xã hội', 'xã hội', 'đoàn thanh niên', 'lý lịch', 'lý do', 'bách khoa',
  'kim đồng', 'lê lợi', 'hoa sen', 'phố huế', 'đăng ký', 'hồ sơ', 'hộ nghèo', 'hộ khẩu', 'phần mềm', 'đô thị', 'giáo dục',
  'học sinh', 'mầm non', 'tiểu học', 'trung học', 'trung tâm', 'bệnh viện', 'trẻ em', 'dân tộc', 'tôn giáo', 'danh sách',
  'định danh', 'phụ huynh', 'nuôi dưỡng', 'con nuôi', 'khai sinh', 'tiêm chủng', 'khám sàng lọc', 'khuyết tật',
];

/**
 * Family names of Hà Nội's and the north's ethnic minorities (H'Mông, Thái, Dao, Tày, Mường) that the reference
 * sample (mostly Kinh) lacks or holds too rarely (QA re-check: `Sùng Thị Mỷ`, `Vàng Seo Sử`).
 */
const MINORITY_FAMILY_NAMES = ['Sùng', 'Vàng', 'Giàng', 'Thào', 'Lầu', 'Mùa', 'Hạng', 'Lò', 'Cầm', 'Quàng', 'Lù', 'Tòng', 'Bàn', 'Triệu', 'Ma', 'Nông', 'Sin', 'Chảo', 'Lý', 'Hà'];

/**
 * Middle names that, after a family name, make a name even in lower case and before a syllable the reference
 * data lacks: `van`, `thi` (Kinh, Tày, Thái: `ong-van-dung`, `lo-van-pom`), `seo`, `a` (H'Mông: `giang-a-pao`).
 */
const NAME_MARKERS = new Set(['van', 'thi', 'seo', 'a']);

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

/**
 * A family name this common (percent: Nguyễn, Trần, Lê, Phạm, Hoàng …) and one syllable, alone in lower case, make
 * a name (`nguyen-an.csv`, `tran-ha.csv`: QA re-check); a rarer one with one syllable is a word as often (`vi-tri`,
 * `ghi-chu-dai`).
 */
const TOP_FAMILY_PERCENT = 1;

/**
 * A phrase that is no person's name: its words folded, and as written with their marks (lower case). Written
 * with marks, a file's words must carry the same ones (`đô thị` is a phrase, `Đỗ Thị` a name); without any, the
 * folded words decide.
 */
interface Phrase {
  folded: readonly string[];
  written: readonly string[];
}

interface Words {
  family: ReadonlySet<string>;
  /** Family names at least {@link COMMON_FAMILY_PERCENT} of the sample holds. */
  commonFamily: ReadonlySet<string>;
  /** Family names at least {@link TOP_FAMILY_PERCENT} of the sample holds. */
  topFamily: ReadonlySet<string>;
  syllables: ReadonlySet<string>;
  /** Phrases that are no person's name, by their first word folded. */
  phrases: ReadonlyMap<string, readonly Phrase[]>;
}

let words: Words | undefined;

function load(): Words {
  if (words) return words;
  const family = new Set([...familyNameFrequencies().map((n) => foldName(n.name)), ...MINORITY_FAMILY_NAMES.map((n) => foldName(n))]);
  const commonFamily = new Set(familyNameFrequencies().filter((n) => n.weight >= COMMON_FAMILY_PERCENT).map((n) => foldName(n.name)));
  const topFamily = new Set(familyNameFrequencies().filter((n) => n.weight >= TOP_FAMILY_PERCENT).map((n) => foldName(n.name)));
  const syllables = new Set<string>();
  for (const list of [middleNameFrequencies('FEMALE'), middleNameFrequencies('MALE'), givenNameFrequencies('FEMALE'), givenNameFrequencies('MALE')]) {
    for (const n of list) for (const w of foldName(n.name).split(' ')) syllables.add(w);
  }
  const phrases = new Map<string, Phrase[]>();
  const addPhrase = (text: string) => {
    const folded = foldName(text).split(' ').filter(Boolean);
    const written = text.normalize('NFC').toLowerCase().split(/\s+/).filter(Boolean);
    if (folded.length < 2 || written.length !== folded.length) return;
    const list = phrases.get(folded[0]!) ?? [];
    list.push({ folded, written });
    phrases.set(folded[0]!, list);
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
  for (const list of phrases.values()) list.sort((a, b) => b.folded.length - a.folded.length);
  words = { family, commonFamily, topFamily, syllables, phrases };
  return words;
}

/** Whether `word` (any case, marks or none) is a family name or a syllable of a middle or given name of the reference data. */
export function isNameSyllable(word: string): boolean {
  const w = load();
  const folded = foldName(word);
  return w.family.has(folded) || w.syllables.has(folded);
}

/**
 * How many words, from `i`, of `folded` (lower-case words without marks) make a place name of Hà Nội or a common
 * phrase of exports (`ha dong`, `hai ba trung`, `ho so`); 0 when none starts there. Longest first.
 */
export function phraseLengthAt(folded: readonly string[], i: number): number {
  const found = load().phrases.get(folded[i] ?? '')?.find((ph) => ph.folded.every((w, k) => folded[i + k] === w));
  return found?.folded.length ?? 0;
}

type Part = { kind: 'word' | 'digits' | 'sep'; text: string };

const PARTS = /(\p{L}[\p{L}\p{M}]*)|(\p{Nd}+)|([^\p{L}\p{Nd}]+)/gu;
/** The extension, with a known one before it (`.tar.gz`, `.csv.zip`) kept too. */
const EXTENSION = /(?:\.(?:tar|csv|xlsx|xls|txt|json))?\.[A-Za-z][A-Za-z0-9]{0,4}$/i;

/** What may stand between the words of one name: spaces, dots, dashes, underscores (or nothing: `LeVanTam`). */
const NAME_SEPARATOR = /^[\s._-]*$/u;

/**
 * Digits joined by such characters, up to three, into one number (`0912.345.678`, `001 322 711 590`, `84-912-345-678`,
 * `001_322_711_590`, `001  322  711  590`, `001__322__711__590`: QA re-checks).
 */
const DIGIT_JOIN = /^[\s._-]{1,3}$/u;
/** A group that is a year (a date's `2026-11-03`, `01.11.2026`): digits with one are a date, not a number. */
const YEAR = /^(?:19|20)\d\d$/;

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

/**
 * The indexes of the words that follow `i` with only a name's separators between ({@link NAME_SEPARATOR}), up to
 * digits, another separator (`(`, `,`, `+`) or the end: the words a name starting at `i` may take.
 */
function wordRun(parts: readonly Part[], i: number): number[] {
  const run: number[] = [];
  for (let j = i + 1; j < parts.length; j++) {
    const p = parts[j]!;
    if (p.kind === 'digits' || (p.kind === 'sep' && !NAME_SEPARATOR.test(p.text))) break;
    if (p.kind === 'word') run.push(j);
  }
  return run;
}

/**
 * How many words of `run` a name starting before it takes: its middle and given names, as many as the reference
 * syllables know, and one more the reference lacks (a rare given name) right after the first; at most three
 * (a name has two to four words). So `Nguyễn Văn An (bản sao)` and `nguyen-van-an-khai-sinh` stop at the name.
 */
function nameLength(run: readonly number[], folded: readonly string[], syllables: ReadonlySet<string>, phraseAt: (j: number) => boolean): number {
  // The first word is the name's (startsName said so); then known syllables, or one unknown right after it.
  let n = 1;
  while (n < run.length && n < 3 && !phraseAt(run[n]!)) {
    const known = syllables.has(folded[run[n]!]!);
    if (!known && n > 1) break;
    n++;
    if (!known) break;
  }
  return n;
}

/**
 * The indexes of the digit parts of the number starting at `i` ({@link DIGIT_JOIN}), its digit count, its longest
 * group, and whether a group is a year. It stops before a day's date ({@link dateAt}): `001322711590-14.02.2017` is a
 * number and a date, not one date-like run (QA re-check: the number was shown).
 */
function numberAt(parts: readonly Part[], i: number): { parts: number[]; digits: number; longest: number; year: boolean } {
  const first = digitsOf(parts[i]!);
  const out = { parts: [i], digits: first.length, longest: first.length, year: YEAR.test(first) };
  for (let j = i + 1; j + 1 < parts.length && parts[j]!.kind === 'sep' && DIGIT_JOIN.test(parts[j]!.text) && parts[j + 1]!.kind === 'digits'; j += 2) {
    if (dateAt(parts, j + 1) !== null) break;
    const group = digitsOf(parts[j + 1]!);
    out.parts.push(j + 1);
    out.digits += group.length;
    out.longest = Math.max(out.longest, group.length);
    out.year ||= YEAR.test(group);
  }
  return out;
}

/** A digits part's digits, full-width ones as ASCII (`２０１７` is 2017); other scripts' digits stay as they are. */
function digitsOf(part: Part): string {
  return /^[0-9]*$/.test(part.text) ? part.text : part.text.normalize('NFKC');
}

/** Marks with only a name's separators between them. */
const REPEATED_MARKS = /\[withheld\](?:[\s._-]*\[withheld\])+/g;

/** What may join a date's day, month and year in a file name (`14.02.2017`, `2017-02-14`, `14_02_2017`, `14. 02. 2017`). */
const DATE_JOIN = /^[\s._-]{1,3}$/u;
const DAY_OR_MONTH = /^\d{1,2}$/;
/** A day and a month, either way round (`14` and `02`, `02` and `14`). */
const dayAndMonth = (x: string, y: string): boolean => {
  const [a, b] = [Number(x), Number(y)];
  return DAY_OR_MONTH.test(x) && DAY_OR_MONTH.test(y) && a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12);
};

/**
 * The last part of a day's date starting at digits `i` (`14.02.2017`, `2017-02-14`, `14-02-17`, `20170214`,
 * `14022017`, full-width digits too), or null: three groups, a year (four digits) first or last and a day and month
 * for the others, or a day, a month and a two-digit year; or eight digits with a year at either end. A month
 * (`2026-11`) or a year alone is no day's date.
 */
function dateAt(parts: readonly Part[], i: number): number | null {
  const first = digitsOf(parts[i]!);
  if (first.length === 8) return YEAR.test(first.slice(0, 4)) || YEAR.test(first.slice(4)) ? i : null;
  const groups = [i, i + 2, i + 4];
  const shaped = groups.every((g) => parts[g]?.kind === 'digits') && [i + 1, i + 3].every((j) => DATE_JOIN.test(parts[j]?.text ?? ''));
  if (!shaped) return null;
  const [a, b, c] = groups.map((g) => digitsOf(parts[g]!)) as [string, string, string];
  const dated = (YEAR.test(a) && dayAndMonth(b, c)) || (YEAR.test(c) && dayAndMonth(a, b)) || (/^\d\d$/.test(c) && dayAndMonth(a, b));
  return dated ? i + 4 : null;
}

function capitalised(word: string): boolean {
  return isUpper([...word][0] ?? '');
}

/**
 * The phrase that starts at word `i` (its words `i` and `run`), if any: its words folded alike and, where the file
 * writes them with marks, with the same marks. A phrase that reads as a family name and a middle name before a
 * third word (`DO-THI-HOA`: Đỗ Thị Hoa more than đô thị) is not taken: a name is withheld rather than shown.
 */
function phraseAt(parts: readonly Part[], folded: readonly string[], i: number, run: readonly number[], phrases: ReadonlyMap<string, readonly Phrase[]>): Phrase | undefined {
  const at = (k: number) => (k === 0 ? i : run[k - 1]!);
  return phrases.get(folded[i]!)?.find((ph) => {
    if (ph.folded.length - 1 > run.length) return false;
    let marked = false;
    const same = ph.folded.every((w, k) => {
      if (w !== folded[at(k)]) return false;
      const written = parts[at(k)]!.text.normalize('NFC').toLowerCase();
      marked ||= written !== w;
      return written === w || written === ph.written[k];
    });
    return same && (marked || !(ph.folded.length === 2 && NAME_MARKERS.has(ph.folded[1]!) && run.length >= 2));
  });
}

/** Whether the family name at `i`, followed by the words `run`, starts a person's name (see {@link COMMON_FAMILY_PERCENT}). */
function startsName(parts: readonly Part[], folded: readonly string[], i: number, run: readonly number[], { commonFamily, topFamily, syllables }: Words): boolean {
  const [a, b] = run;
  if (a === undefined) return false;
  // `van`, `thi`, `seo`, `a` after a family name, and a word after them: a name in any case.
  if (NAME_MARKERS.has(folded[a]!) && b !== undefined) return true;
  if (!syllables.has(folded[a]!)) return false;
  if (capitalised(parts[i]!.text) && capitalised(parts[a]!.text)) return true;
  // In lower case, a common family name and a name's syllable: with another after them, or alone (`nguyen-an.csv`,
  // `ks-le-na-2015.csv`: QA re-check), not followed by other words.
  return b === undefined ? topFamily.has(folded[i]!) : commonFamily.has(folded[i]!) && syllables.has(folded[b]!);
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
  const w = load();
  const { family, syllables, phrases } = w;
  // Folded as read (full-width letters as their plain ones: `Ｎguyen`).
  const folded = parts.map((p) => (p.kind === 'word' ? foldName(p.text.normalize('NFKC')) : ''));
  /** Where the name holds a day's date: its first and last parts. */
  const dates: Array<[number, number]> = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.kind === 'digits') {
      const date = dateAt(parts, i);
      if (date !== null) {
        dates.push([i, date]);
        i = date;
        continue;
      }
      // One number, written whole or in groups (`0912.345.678`), unless a group is a year (a date); a group of 9 digits
      // or more is a number whatever is joined to it (`001322711590-2026-11`).
      const n = numberAt(parts, i);
      if (n.longest >= MIN_NUMBER_DIGITS || (n.digits >= MIN_NUMBER_DIGITS && !n.year)) {
        for (let k = i; k <= n.parts[n.parts.length - 1]!; k++) withheld[k] = true;
        any = true;
      }
      i = n.parts[n.parts.length - 1]!;
      continue;
    }
    if (p.kind !== 'word') continue;
    const run = wordRun(parts, i);
    // A place or a common phrase, whatever its first word (`Hai Bà Trưng`): its words are read past, not as a name's.
    const phrase = phraseAt(parts, folded, i, run, phrases);
    if (phrase) {
      i = run[phrase.folded.length - 2]!;
      continue;
    }
    if (!family.has(folded[i]!) || !startsName(parts, folded, i, run, w)) continue;
    const last = run[nameLength(run, folded, syllables, (j) => phraseAt(parts, folded, j, wordRun(parts, j), phrases) !== undefined) - 1]!;
    for (let k = i; k <= last; k++) withheld[k] = true;
    any = true;
    i = last;
  }
  // A label stored before dates beside a name were withheld (`kt-[withheld] 14.02.2017.csv`): labelled as it would be now.
  if (!any && dates.length && nfc.includes(WITHHELD)) any = true;
  if (!any) return name;
  // Beside a child's name or number, a day's date may be their birth date (QA: `kt-[withheld] 14.02.2017.csv`): it
  // goes too. A month or a year (`-2026-11`, `-2015`) stays: a report's period, as the engineer finds the file by.
  for (const [from, to] of dates) for (let k = from; k <= to; k++) withheld[k] = true;
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
  // One mark, too, for a mark already there and one made now with only separators between (a label of an older release).
  return out.replace(REPEATED_MARKS, WITHHELD) + ext;
}

/**
 * Whether free text holds a personal-looking number as {@link fileLabel} withholds one (9 digits or more, whole or
 * in groups, not a date): for text a person writes, where its name rules, made for file names, would take ordinary
 * words before a name or a place (`do`, `to`, `Ban`, `Trường`) for a family name.
 */
export function holdsPersonalNumber(text: string): boolean {
  const parts = partsOf(text.normalize('NFC'));
  for (let i = 0; i < parts.length; i++) {
    if (parts[i]!.kind !== 'digits') continue;
    const date = dateAt(parts, i);
    if (date !== null) {
      i = date;
      continue;
    }
    const n = numberAt(parts, i);
    if (n.longest >= MIN_NUMBER_DIGITS || (n.digits >= MIN_NUMBER_DIGITS && !n.year)) return true;
    i = n.parts[n.parts.length - 1]!;
  }
  return false;
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
  // A sheet's name as the file's (a workbook may name a sheet after a child).
  const sheet = m[1] ? ` sheet "${fileLabel(m[1].slice(8, -1))}"` : '';
  return fileLabel(location.slice(0, m.index)) + sheet + location.slice(m.index + (m[1]?.length ?? 0));
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
