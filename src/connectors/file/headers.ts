import { FileHeaderError } from './errors/file-header.error.js';

/**
 * The keys of a file's records: each header cell's text trimmed and in NFC (a header typed on a Mac arrives
 * decomposed, and `Họ và tên` must be one key whichever way it was typed). An empty header, one holding a
 * control character or the same header twice makes the columns ambiguous, so the file is refused naming the column(s).
 *
 * `where` names the file (and sheet) for the message; headers are column titles, not personal data. A message
 * about empty headers is the hub's own words unless `where` quotes a sheet's name (the file's text), and is
 * then kept whole by logs and run history; so is one about a header repeated that a mapping reads (`mapped`).
 * `whereOwnWords`: `where` holds no text of the file (a sheet told by the definition's name for it), whatever its quotes.
 */
export function normalizeHeaders(
  cells: ReadonlyArray<string | null | undefined>,
  where: string,
  { mapped, whereOwnWords = !where.includes('"') }: { mapped?: (header: string) => boolean; whereOwnWords?: boolean } = {},
): string[] {
  const headers = cells.map((c) => (c ?? '').trim().normalize('NFC'));
  const empty = headers.flatMap((h, i) => (h === '' ? [i + 1] : []));
  if (headers.length === 0 || empty.length === headers.length) {
    throw new FileHeaderError(`${where}: the header row is empty`, { where, problem: 'EMPTY_HEADER_ROW' }, { ownWords: whereOwnWords });
  }
  if (empty.length > 0) {
    throw new FileHeaderError(
      `${where}: column${empty.length > 1 ? 's' : ''} ${empty.map(columnName).join(', ')} ha${empty.length > 1 ? 've' : 's'} no header; ` +
        'give every column a header, or delete the empty columns',
      { where, problem: 'EMPTY_HEADER', columns: empty },
      { ownWords: whereOwnWords },
    );
  }
  // A NUL or another control character in a title is a file written wrong (a UTF-16 export read as
  // something else, a binary tool), not a column's name anyone meant: a record keyed by it matches no mapping,
  // and the text it hides is not sure. Tabs and line breaks are kept: a title cell wrapped in Excel has them.
  const control = headers.flatMap((h, i) => (CONTROL_CHARACTER.test(h) ? [i + 1] : []));
  if (control.length > 0) {
    throw new FileHeaderError(
      `${where}: the header of column${control.length > 1 ? 's' : ''} ${control.map(columnName).join(', ')} holds a control character, ` +
        'such as a NUL byte, which no title holds; export the file again, or retype the header',
      { where, problem: 'CONTROL_CHARACTER_HEADER', columns: control },
      { ownWords: whereOwnWords },
    );
  }
  const seen = new Map<string, number>();
  for (const [i, h] of headers.entries()) {
    const first = seen.get(h);
    if (first !== undefined) {
      // A column the mapping reads is named in the definition's words, kept whole by logs and run history (QA: they
      // showed `the header [redacted] appears twice`); any other header is the file's text.
      const own = mapped?.(h) === true;
      throw new FileHeaderError(
        `${where}: the header ${own ? `«${h}»` : `"${h}"`} appears twice, in columns ${columnName(first)} and ${columnName(i + 1)}; headers must be unique`,
        { where, problem: 'DUPLICATE_HEADER', header: h, columns: [first, i + 1] },
        { ownWords: own && whereOwnWords },
      );
    }
    seen.set(h, i + 1);
  }
  return headers;
}

/** C0 controls but tab and line breaks, and DEL. */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Spreadsheet column name of a 1-based column number, with the number: `C (3)`. */
export function columnName(n: number): string {
  return `${columnLetters(n)} (${n})`;
}

/** A 1-based column number's letters: 3 → `C`, 27 → `AA`. */
export function columnLetters(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

/**
 * A header or a column a mapping reads, as the two are matched: without letter case and spacing (both are NFC).
 * Runs of white space, no-break and zero-width spaces and line breaks (a header cell wrapped in Excel) are one
 * space, and none is kept around punctuation (`Xã / Phường` is `Xã/Phường`, `Số ĐDCN (CCCD)` is `Số ĐDCN(CCCD)`).
 */
export function headerKey(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFC')
    .replace(/[\s\u200b-\u200d\u2060\u180e]+/g, ' ')
    .replace(/ ?([/\\\-–—(),.:;]) ?/g, '$1')
    .trim();
}
