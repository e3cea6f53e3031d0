/**
 * How a record kept as its source wrote it (a CSV row's text) is read into its fields: for a CSV file, the
 * header row with its delimiter and quote. A source record stored as text names its layout
 * (`source_record.raw_layout` → `record_layout`), so the text and its layout together are the record as the
 * file gave it — and exactly what its content hash was taken over.
 */
export interface RecordLayout {
  /** A short, stable name: a digest of the format, delimiter, quote and header row. Equal ids, equal layouts. */
  id: string;
  format: 'csv';
  delimiter: string;
  quote: string;
  /** The header row as written. */
  header: string;
  /** The column names the header row gives (trimmed, NFC), in order: a row's field i is `columns[i]`. */
  columns: readonly string[];
}

/** A record as its source wrote it: its text (a CSV row, without its line break) and how to read it. */
export interface RecordText {
  text: string;
  layout: RecordLayout;
}
