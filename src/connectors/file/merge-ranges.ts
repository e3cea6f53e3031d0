import { PartRefused } from './part-bounds.js';

/**
 * The merged ranges of a sheet (`<mergeCell ref="E13:E14"/>`), found in the sheet part's bytes as they are
 * checked against the zip's CRC-32, before any row is read: the sheet XML lists them after its rows
 * (`<mergeCells>` follows `<sheetData>`), and rows are given out, and stored, as they are read.
 */

/** Most merged ranges a sheet may have; a register merges a few hundred cells, Excel allows no overlap. */
export const MAX_MERGE_RANGES = 100_000;

/**
 * Most cells a sheet's merged ranges may cover in all: filling them costs a step per covered cell of a row
 * read, so this bounds that work whatever the ranges (a whole column merged is 1,048,576 cells).
 */
export const MAX_MERGED_CELLS = 16_777_216;

/** A merged range, 1-based and inclusive; its master cell (the one holding the value) is (top, left). */
export interface MergeRange {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** Excel's last row and column: a reference past them is no cell. */
const MAX_ROW = 1_048_576;
const MAX_COLUMN = 16_384;

/** The first bytes searched for: the end of the rows, then each range. ASCII, so found in UTF-8 bytes as they are. */
const SHEET_DATA = Buffer.from('sheetData');
/** `</sheetData` with any namespace prefix (`</x:sheetData`), ending where `SHEET_DATA` was found. */
const END_TAG_BEFORE = /<\/(?:[A-Za-z_][\w.-]*:)?$/;
const MERGE_CELL = /<(?:[A-Za-z_][\w.-]*:)?mergeCell(?=[\s/>])[^>]*>/g;
/** The rows' end tag found again past the first: see {@link MergeRangeScanner.scan}. */
const END_TAG = /<\/(?:[A-Za-z_][\w.-]*:)?sheetData(?=[\s>])/g;
const REF = /\sref\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?["']/;
/** Bytes of a chunk's end kept to find `</x:sheetData` split between two chunks. */
const CARRY = 64;

/**
 * Collects a sheet part's merged ranges from its inflated bytes, fed in order ({@link push}); throws
 * {@link PartRefused} past {@link MAX_MERGE_RANGES} or {@link MAX_MERGED_CELLS}. Only what follows the rows'
 * last end tag is read as markup: a cell's text (CDATA, a comment) holding an end tag and ranges is passed over. A tag is at most
 * `MAX_XML_RUN_BYTES` long (the part's bounds are checked on the same bytes first), so what is held back
 * between two chunks is bounded too.
 */
export class MergeRangeScanner {
  private readonly found: MergeRange[] = [];
  private cells = 0;
  /** Past the rows' end tag: markup is read. */
  private afterRows = false;
  /** Before it: the end of the last chunk; after it: a tag the next chunk completes. */
  private held = '';

  constructor(private readonly part: string) {}

  push(chunk: Buffer): void {
    if (!this.afterRows) {
      // Searched in bytes: decoding the rows to text would cost more than inflating them.
      const text = this.held === '' ? chunk : Buffer.concat([Buffer.from(this.held, 'latin1'), chunk]);
      let rest = -1;
      for (let at = text.indexOf(SHEET_DATA); at >= 0; at = text.indexOf(SHEET_DATA, at + 1)) {
        if (END_TAG_BEFORE.test(text.subarray(Math.max(0, at - CARRY), at).toString('latin1'))) {
          rest = at + SHEET_DATA.length;
          break;
        }
      }
      if (rest < 0) {
        this.held = text.subarray(Math.max(0, text.length - CARRY)).toString('latin1');
        return;
      }
      this.afterRows = true;
      this.held = '';
      this.scan(text.subarray(rest).toString('latin1'));
      return;
    }
    this.scan(chunk.toString('latin1'));
  }

  /** The ranges found, sorted by their top row. */
  ranges(): MergeRange[] {
    if (this.held !== '' && this.afterRows) this.scan('', true);
    return this.found.sort((a, b) => a.top - b.top || a.left - b.left);
  }

  private scan(chunk: string, last = false): void {
    const text = this.held + chunk;
    const lt = text.lastIndexOf('<');
    const cut = !last && lt > text.lastIndexOf('>') ? lt : text.length;
    this.held = text.slice(cut);
    let body = text.slice(0, cut);
    // Another end of the rows: what came before it was a cell's text (CDATA, a comment) posing as the end and
    // as ranges (QA re-check); only what follows the last one is the sheet's.
    let end = -1;
    for (const m of body.matchAll(END_TAG)) end = m.index + m[0].length;
    if (end >= 0) {
      this.found.length = 0;
      this.cells = 0;
      body = body.slice(end);
    }
    for (const m of body.matchAll(MERGE_CELL)) this.add(m[0]);
  }

  private add(tag: string): void {
    if (this.found.length >= MAX_MERGE_RANGES) {
      throw new PartRefused(this.part, `has more than ${MAX_MERGE_RANGES.toLocaleString('en')} merged cell ranges, more than the hub reads in a sheet; unmerge the cells (or export the sheet as CSV)`);
    }
    const ref = REF.exec(tag);
    if (ref === null) return;
    const [c1, r1, c2 = c1!, r2 = r1!] = [ref[1], Number(ref[2]), ref[3], ref[4] === undefined ? undefined : Number(ref[4])];
    const cols = [columnNumber(c1!), columnNumber(c2)];
    const range: MergeRange = { top: Math.min(r1, r2), bottom: Math.max(r1, r2), left: Math.min(...cols), right: Math.max(...cols) };
    if (range.top < 1 || range.bottom > MAX_ROW || range.right > MAX_COLUMN) return;
    // A range of one cell merges nothing.
    if (range.top === range.bottom && range.left === range.right) return;
    this.cells += (range.bottom - range.top + 1) * (range.right - range.left + 1);
    if (this.cells > MAX_MERGED_CELLS) {
      throw new PartRefused(this.part, `has merged cell ranges covering more than ${MAX_MERGED_CELLS.toLocaleString('en')} cells, more than the hub reads in a sheet; unmerge the cells (or export the sheet as CSV)`);
    }
    this.found.push(range);
  }
}

/** `C` → 3, `AA` → 27, any letter case. */
function columnNumber(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}
