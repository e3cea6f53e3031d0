/**
 * Text transforms of a workbook's XML parts before exceljs parses them, for workbooks Excel reads that exceljs
 * 4.4 does not: those written by Microsoft's Open XML SDK, behind many .NET "export to Excel" features. Each
 * passes a part it has nothing to do for through untouched, deciding from the part's start.
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

/**
 * A worksheet whose rows or cells leave out their optional reference (`r`), as the Open XML SDK's users often
 * write them, with the references filled in: the next row after the one before, the next column after the
 * cell before. exceljs placed such a cell nowhere and failed (`Cannot read properties of undefined`: QA).
 * A sheet whose first row and cell have their references is passed through untouched.
 */
export async function* withCellReferences(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let mode: 'unknown' | 'pass' | 'fill' = 'unknown';
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
    if (mode === 'pass') {
      yield chunk;
      continue;
    }
    const text = held + chunk;
    if (mode === 'unknown') {
      mode = firstReferences(text);
      if (mode === 'unknown' && text.length < ROOT_SEARCH_CHARS * 16) {
        held = text;
        continue;
      }
      if (mode === 'unknown') mode = 'pass';
      if (mode === 'pass') {
        held = '';
        yield text;
        continue;
      }
    }
    // Held back: a tag the next chunk completes. A `>` in text is allowed unescaped; a `<` is not.
    const lt = text.lastIndexOf('<');
    const cut = lt > text.lastIndexOf('>') ? lt : text.length;
    held = text.slice(cut);
    const out = text.slice(0, cut).replace(ROW_OR_CELL, fill);
    if (out !== '') yield out;
  }
  if (held !== '') yield mode === 'fill' ? held.replace(ROW_OR_CELL, fill) : held;
}

/** Whether the sheet's first row and first cell carry their references ('pass') or not ('fill'); 'unknown' until seen. */
function firstReferences(text: string): 'unknown' | 'pass' | 'fill' {
  const rowTag = /<row(?=[\s/>])[^>]*>/.exec(text);
  if (rowTag && !REFERENCE.test(rowTag[0])) return 'fill';
  const cellTag = /<c(?=[\s/>])[^>]*>/.exec(text);
  if (cellTag) return REFERENCE.test(cellTag[0]) ? 'pass' : 'fill';
  return /<\/sheetData>|<sheetData\s*\/>/.test(text) ? 'pass' : 'unknown';
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

/** 3 → `C`, 27 → `AA`. */
function columnLetters(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}
