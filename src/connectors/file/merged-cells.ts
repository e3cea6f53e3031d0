import type { MergeRange } from './merge-ranges.js';
import { PartRefused } from './part-bounds.js';

/**
 * Most characters of text held at once for merged ranges that go on below the row being read: a range's
 * value is kept from its first row to its last. Each value is a cell's (at most Excel's 32,767 characters);
 * this bounds the memory held for many of them.
 */
export const MAX_HELD_MERGE_CHARS = 16_777_216;

/** The most characters Excel writes in a cell. */
const EXCEL_MAX_CELL_CHARS = 32_767;

/** The most of `ranges` that cover one row at once. */
function mostAtOnce(ranges: readonly MergeRange[]): number {
  const steps: Array<[number, number]> = [];
  for (const r of ranges) steps.push([r.top, 1], [r.bottom + 1, -1]);
  steps.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of steps) most = Math.max(most, (now += step));
  return most;
}

interface Active {
  range: MergeRange;
  value: unknown;
}

/**
 * The values of a sheet's merged cells as Excel shows them, filled into its data rows as they are read: a
 * cell of a merged range other than its master (its top-left cell) takes the master's value, or none when
 * the master is empty. Registers merge "Nơi đăng ký" over the rows of one commune; only the master holds the
 * value in the file, and every row but the first was stored without it (QA).
 *
 * Only data rows are filled, and only in columns with a header: a range that starts in the header row or
 * above it fills nothing (a header's text is not a value), and a value copied into a column without a header
 * is not one written outside the table (the master's own row holds it). The rows are given in order, each
 * data row of the sheet once ({@link fill}), skipped ones too, so a resumed read holds the same values.
 */
export class MergedCells {
  /** The ranges not yet reached, by their top row. */
  private readonly pending: MergeRange[];
  private next = 0;
  private active: Active[] = [];
  private heldChars = 0;
  private row = 0;

  constructor(
    ranges: readonly MergeRange[],
    headerRow: number,
    /** Columns with a header: 1 to this. */
    private readonly columns: number,
    /** The sheet part, named if too much is held. */
    private readonly part: string,
  ) {
    this.pending = ranges.filter((r) => r.top > headerRow && r.left <= columns);
    // Refused before any row is given out when Excel-sized values (32,767 characters a cell) of the ranges going on
    // over the same rows could pass the bound: found while reading, the rows before would be stored already (QA
    // re-check: 600 merged columns of 30,000 characters stored 3,057 rows, then failed the file).
    const overlap = mostAtOnce(this.pending.filter((r) => r.bottom > r.top));
    if (overlap * EXCEL_MAX_CELL_CHARS > MAX_HELD_MERGE_CHARS) {
      throw new PartRefused(
        part,
        `has ${overlap.toLocaleString('en')} merged cell ranges going on over the same rows at once, whose values could hold more than ${MAX_HELD_MERGE_CHARS.toLocaleString('en')} characters, more than the hub holds in memory; unmerge the cells (or export the sheet as CSV)`,
      );
    }
  }

  /** Whether the sheet has merged ranges among its data rows. */
  get any(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Fills data row `rowNumber`'s `values` (indexed by column, its cells' own values) in place. Rows the sheet
   * leaves out (nothing written in them) are not given: a range whose master row is one holds no value.
   */
  fill(rowNumber: number, values: unknown[]): void {
    this.row = rowNumber;
    if (this.active.length > 0) this.active = this.active.filter((a) => a.range.bottom >= rowNumber || this.release(a));
    while (this.next < this.pending.length && this.pending[this.next]!.top <= rowNumber) {
      const range = this.pending[this.next++]!;
      if (range.bottom < rowNumber) continue;
      const value = range.top === rowNumber ? values[range.left] : undefined;
      this.active.push({ range, value });
      if (typeof value === 'string' && range.bottom > rowNumber) this.hold(value.length);
    }
    for (const { range, value } of this.active) {
      const right = Math.min(range.right, this.columns);
      for (let col = range.left; col <= right; col++) {
        if (rowNumber === range.top && col === range.left) continue;
        if (value === undefined) delete values[col];
        else values[col] = value;
      }
    }
  }

  /** Forgets a range passed: always false (a filter's test). */
  private release(a: Active): false {
    if (typeof a.value === 'string' && a.range.bottom > a.range.top) this.heldChars -= a.value.length;
    return false;
  }

  private hold(chars: number): void {
    this.heldChars += chars;
    if (this.heldChars > MAX_HELD_MERGE_CHARS) {
      throw new PartRefused(
        this.part,
        `has merged cells going on over several rows that hold more than ${MAX_HELD_MERGE_CHARS.toLocaleString('en')} characters of text at once (cells longer than Excel writes), more than the hub holds in memory; its rows before row ${this.row} are stored; unmerge the cells (or export the sheet as CSV)`,
      );
    }
  }
}
