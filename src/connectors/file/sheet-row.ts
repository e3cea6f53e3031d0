import type { RecordLayout } from '../../domain/record-layout.js';
import type { RecordProblem } from '../../services/ingest/source-record.validator.js';

/**
 * One data row (a row after the header row) of a sheet, as the CSV and XLSX sources give it to the reader.
 * Every data row is one of these, including empty ones, so "rows done" counts the same rows on every pass
 * over the file and a resumed read skips exactly the rows already stored.
 */
export type SheetRow =
  | {
      kind: 'record';
      rowNumber: number;
      data: Record<string, unknown>;
      /** The row as written (CSV), with what gives it its meaning: see `RawRecord.text`. */
      text?: string;
      textLayout?: RecordLayout;
      /** See `RawRecord.contentHash`. */
      contentHash?: string;
      /** The characters of its cells' text, where no `text` gives its size (XLSX): what bounds a chunk's size. */
      chars?: number;
    }
  /**
   * A row recognised by its text as stored unchanged (`RawRecord.known`), not split into fields: `parse`
   * gives the data it would have had.
   */
  | { kind: 'known'; rowNumber: number; text: string; textLayout: RecordLayout; token: number; parse: () => Record<string, unknown> }
  /**
   * A broken row; `readable`: see `ReaderReject.readable`. `chars`: the characters of its cells' text, where its
   * payload is not its text (XLSX).
   */
  | { kind: 'reject'; rowNumber: number; payload: { row: unknown }; problems: RecordProblem[]; readable?: Record<string, unknown>; chars?: number }
  /** A row with no value in any column: consumed, nothing to store. */
  | { kind: 'empty'; rowNumber: number };

/** The rows of one sheet, in groups (one per chunk read), after skipping the first `skipRows` data rows. */
export type SheetRowSource = AsyncIterable<SheetRow[]>;
