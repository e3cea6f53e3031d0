import { columnLetters } from './headers.js';

/**
 * Text transforms of a workbook's XML parts before exceljs parses them, for workbooks Excel reads that exceljs
 * 4.4 does not: those written by Microsoft's Open XML SDK, behind many .NET "export to Excel" features. Each
 * passes text it has nothing to do for through untouched.
 */

/** Namespaces whose elements exceljs knows by their local names only. */
const PLAIN_NAMESPACES = [
  'http://schemas.openxmlformats.org/spreadsheetml/2006/main',
  'http://schemas.openxmlformats.org/package/2006/relationships',
];

/** Longest start of a part read for its root element before giving up on finding one. */
const ROOT_SEARCH_CHARS = 1 << 16;

/**
 * A part whose root binds the SpreadsheetML (or relationships) namespace to a prefix (`<x:worksheet
 * xmlns:x="…">`, as the Open XML SDK writes by default) with its elements' prefix removed: exceljs matches
 * element names as written, so such a workbook read as one without sheets (QA). Markup only: `<` in text
 * is always escaped.
 */
export async function* withoutNamespacePrefix(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let head = '';
  /** The prefixed tags' start (`<x:`, `</x:`); null: none to remove; undefined: the root is not read yet. */
  let prefixed: RegExp | null | undefined;
  let carry = '';
  let longest = 0;
  for await (let chunk of chunks) {
    if (prefixed === undefined) {
      head += chunk;
      const root = /<(?![?!])[^>]*>/.exec(head);
      if (root === null && head.length < ROOT_SEARCH_CHARS) continue;
      const prefixes = root === null ? [] : boundPrefixes(root[0]);
      prefixed = prefixes.length === 0 ? null : new RegExp(`<(/?)(?:${prefixes.join('|')}):`, 'g');
      longest = Math.max(0, ...prefixes.map((p) => p.length));
      chunk = head;
      head = '';
    }
    if (prefixed === null) {
      yield chunk;
      continue;
    }
    const text = carry + chunk;
    // Held back: a tag's start the next chunk may complete into a prefixed name.
    const lt = text.lastIndexOf('<');
    const cut = lt >= 0 && text.length - lt <= longest + 2 ? lt : text.length;
    carry = text.slice(cut);
    const out = text.slice(0, cut).replace(prefixed, '<$1');
    if (out !== '') yield out;
  }
  if (head !== '') yield head;
  if (carry !== '') yield prefixed ? carry.replace(prefixed, '<$1') : carry;
}

/** The prefixes a root element's start tag binds to {@link PLAIN_NAMESPACES}. */
function boundPrefixes(tag: string): string[] {
  const out: string[] = [];
  for (const m of tag.matchAll(/\sxmlns:([A-Za-z_][\w.-]*)\s*=\s*["']([^"']*)["']/g)) {
    if (PLAIN_NAMESPACES.includes(m[2]!)) out.push(m[1]!.replace(/[.-]/g, '\\$&'));
  }
  return out;
}

/** A row's or a cell's start tag (not `<col>`, `<cols>`, `<cfRule>`…). */
const ROW_OR_CELL = /<(row|c)(?=[\s/>])[^>]*>/g;
const REFERENCE = /\sr\s*=\s*["']([^"']*)["']/;

/** A row's or cell's start tag without its reference. */
const MISSING_REFERENCE = /<(?:row|c)(?=[\s/>])(?![^>]*\sr\s*=)[^>]*>/;

/**
 * A worksheet whose rows or cells leave out their optional reference (`r`), as the Open XML SDK's users often
 * write them (on every row, or on rows appended below a template's), with the references filled in: the next
 * row after the one before, the next column after the cell before. exceljs placed such a cell nowhere and
 * failed (`Cannot read properties of undefined`: QA). Text is passed through untouched until a row or cell
 * without its reference comes; where the last row and cell passed were is kept to go on from there.
 */
export async function* withCellReferences(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let filling = false;
  let held = '';
  let row = 0;
  let col = 0;
  const fill = (tag: string, name: string): string => {
    const ref = REFERENCE.exec(tag);
    if (name === 'row') {
      col = 0;
      if (ref) {
        row = Number.parseInt(ref[1]!, 10);
        return tag;
      }
      row++;
      return `<row r="${row}"${tag.slice(4)}`;
    }
    if (ref) {
      col = columnNumber(ref[1]!);
      return tag;
    }
    col++;
    return `<c r="${columnLetters(col)}${row}"${tag.slice(2)}`;
  };
  for await (const chunk of chunks) {
    const text = held + chunk;
    // Held back: a tag the next chunk completes. A `>` in text is allowed unescaped; a `<` is not.
    const lt = text.lastIndexOf('<');
    const cut = lt > text.lastIndexOf('>') ? lt : text.length;
    held = text.slice(cut);
    const body = text.slice(0, cut);
    if (!filling && MISSING_REFERENCE.test(body)) filling = true;
    if (filling) {
      const out = body.replace(ROW_OR_CELL, fill);
      if (out !== '') yield out;
      continue;
    }
    // Every row and cell here has its reference: only where the last ones are matters.
    const lastRow = lastTag(body, 'row', body.length);
    if (lastRow >= 0) {
      row = Number.parseInt(REFERENCE.exec(body.slice(lastRow, body.indexOf('>', lastRow) + 1))![1]!, 10);
      col = 0;
    }
    const lastCell = lastTag(body, 'c', body.length);
    if (lastCell > lastRow) col = columnNumber(REFERENCE.exec(body.slice(lastCell, body.indexOf('>', lastCell) + 1))![1]!);
    if (body !== '') yield body;
  }
  if (held !== '') yield filling ? held.replace(ROW_OR_CELL, fill) : held;
}

/** Where the last start tag `<name` (not a longer name) begins in `text` before `end`; -1 for none. */
function lastTag(text: string, name: string, end: number): number {
  for (let at = text.lastIndexOf(`<${name}`, end - 1); at >= 0; at = at === 0 ? -1 : text.lastIndexOf(`<${name}`, at - 1)) {
    const next = text.charCodeAt(at + name.length + 1);
    if (next === 32 || next === 9 || next === 10 || next === 13 || next === 47 /* / */ || next === 62 /* > */) return at;
  }
  return -1;
}

/** `C` → 3, `AA` → 27 (the letters of a reference like `AA12`). */
function columnNumber(ref: string): number {
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return n;
}
