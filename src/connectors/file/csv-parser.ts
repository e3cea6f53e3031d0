/**
 * A streaming CSV parser (RFC 4180): fields separated by a delimiter, optionally quoted, a quote inside a
 * quoted field doubled, line breaks (CRLF, LF or CR) ending rows except inside quotes. Text is pushed in
 * chunks of any size; complete rows come out.
 *
 * Why not csv-parse (a dependency already): on this machine (2-core Xeon VM, Node 20.20, shared with other
 * work, so CPU time is quoted alongside wall time), over a 1,000,000-row, 15-column, 179 MB UTF-8 file
 * (`testing/write-large-csv.ts`), `for await` over `createReadStream(file).pipe(parse(opts))` gives:
 *   csv-parse 7.0.3, rows as arrays (`{}`):                        163–203k rows/s, 200k rows/CPU-s
 *   csv-parse, records keyed by header (`columns: true`):          115–127k rows/s, 128–137k rows/CPU-s
 *   csv-parse, what a reader needs (`relax_column_count`, `info`): 119–151k rows/s, 148k rows/CPU-s
 *   this parser, with fatal UTF-8 decoding and records keyed by header: 425–633k rows/s, 620–667k rows/CPU-s
 * csv-parse is well under the 400k rows/s the connector was asked to reach, hence this parser. It also
 * recovers from broken quotes the way the connector contract needs (below), which csv-parse's
 * `skip_records_with_error` does not: it drops everything up to wherever its quote happens to close.
 *
 * Lenient where spreadsheets are: a quote in the middle of an unquoted field (`12" TV`) is kept as text.
 * Strict where data would be lost: a row with a broken quote comes out as broken, with its raw text, and the
 * rows around it still parse —
 * - text after a closing quote (`"Nguyễn "An" Văn",…`) breaks that row only; when it follows a quoted field that
 *   had swallowed line breaks (a stray quote opened a field that closed lines later), only the row's first line is
 *   reported and parsing restarts on the next line, so a stray quote does not take the following rows with it; a
 *   row broken on its first line whose later quoted field runs over lines and closes cleanly (a note of two lines)
 *   is one broken row, all its lines, unless a line it took has a row's number of delimiters (then it restarts too:
 *   those lines are probably rows), as does a row over lines that reads to the wrong number of fields with such lines;
 * - a quote never closed (by the end of the file, or within `maxRowChars`) is reported as its first line and
 *   parsing restarts on the next line.
 * After a broken quote the lines that follow may be the rest of that row's quoted field, not rows (a note quoted
 * without doubling its quotes, running over lines): until a row parses cleanly, a quote inside an unquoted field
 * (where that field's closing quote would be: `…,end"`) breaks its row too, with no fields to take an id from; after
 * a restart, no broken row there gives any (QA: the tail of a note running over lines was stored as a record, and
 * others were quarantined under ids taken from a note's text).
 */
const LF = 10;
const CR = 13;

/** Where the parser puts the rows it completes, as they complete (no array or object per row). */
export interface CsvRowSink {
  /**
   * A row. `fields` is reused for the next row: read it now, keep copies of nothing but the strings.
   * `line` is the physical line (from 1) where the row starts; `text` is the row as written, without its
   * final line break (equal texts parse to equal fields).
   */
  row(fields: readonly string[], line: number, text: string): void;
  /**
   * A row that cannot be parsed (broken quote) or has the wrong number of fields: why, and its text without
   * the line break (cut at {@link MAX_RAW_CHARS}). `fields` (reused like {@link row}'s), with how they were
   * split (`how`), only for:
   * - a row that parsed cleanly into the wrong number of fields (`miscounted`);
   * - a line too long without a quote: its kept text split at the delimiters, the last field maybe cut and more
   *   maybe following it (`overLong`);
   * - a row with text after a closing quote (`"Nguyễn "An" Văn"`) on its first line: its fields read leniently, that
   *   text kept in the field it follows (`quote`, with the field, from 1, where the quote first broke).
   * A row whose quote is never closed, or broke after a quoted field ran over lines (its first line reported alone),
   * has none; nor has any broken row on the lines after such a one, until a row reads cleanly.
   */
  broken(problem: string, raw: string, line: number, fields?: readonly string[], how?: BrokenSplit): void;
  /**
   * Whether the sink may recognise the next row by its text alone ({@link known}); read before each row.
   * Absent or false: every row is split into fields.
   */
  readonly recognising?: boolean;
  /**
   * A row offered by its text before it is split into fields (only a row of one line with no quote in it,
   * which is never broken); `true`: the sink took it as it is, and the parser goes on after it without
   * splitting it. `false`: the same row comes to {@link row} (or {@link broken}) next, as usual.
   */
  known?(text: string): boolean;
}

/** How a broken row's fields were split: see {@link CsvRowSink.broken}. */
export type BrokenSplit = { kind: 'miscounted' } | { kind: 'overLong' } | { kind: 'quote'; field: number };

const MISCOUNTED: BrokenSplit = { kind: 'miscounted' };
const OVER_LONG: BrokenSplit = { kind: 'overLong' };

export interface CsvParserOptions {
  delimiter?: string;
  quote?: string;
  /** Longest row (in characters) held while waiting for its end; beyond it the row is broken. */
  maxRowChars?: number;
  /**
   * The row (from 1, counting rows as they come out) holding the headers: the rows after it must have as
   * many fields, else they come out with a problem. 0: no check (or set {@link CsvParser.expectedFields}).
   */
  headerRow?: number;
  /** The physical line (from 1) the text starts at: 2 after a line the caller read itself. */
  firstLine?: number;
}

/** Longest raw text kept for a broken row. */
export const MAX_RAW_CHARS = 65_536;

/** Marks "the rest of the row has not arrived yet". */
const INCOMPLETE = -1;

export class CsvParser {
  /** Rows with a different number of fields come out with a problem once this is set. 0: any number. */
  expectedFields = 0;
  /** Another number of fields a row may have (see `csvRows`: a header row ending in empty fields). 0: none. */
  alsoFields = 0;

  private readonly delimiter: number;
  private readonly quote: number;
  private readonly quoteChar: string;
  private readonly maxRowChars: number;
  private readonly headerRow: number;
  /** Rows given out so far. */
  private rows = 0;
  /** Text of an incomplete row, waiting for more. */
  private rest = '';
  /** Physical line at which the next row starts. */
  private line = 1;
  /** Skipping the remainder of an overlong line. */
  private skippingLine = false;

  // The row being parsed. The fields array is reused row after row, so the hot loop allocates only the values.
  private readonly fields: string[] = [];
  private problem: string | undefined;
  private brokenQuote = false;
  /** The field (from 1) whose closing quote text first followed, when {@link brokenQuote}; 0 otherwise. */
  private brokenField = 0;
  /**
   * A quote broke after the row had swallowed line breaks (text after a quoted field that ran over lines), or was
   * never closed: the lines it took may be rows of their own.
   */
  private brokenOverLines = false;
  /**
   * Parsing restarted on the line after a broken row's first line (its quoted field ran over lines, or was never
   * closed), and no row has parsed cleanly since: what follows may be the rest of that field.
   */
  private afterRestart = false;
  /** A row broken by its quotes came out, and no row has parsed cleanly since: what follows may be the rest of its field. */
  private afterBrokenQuote = false;
  /** With {@link afterRestart} or {@link afterBrokenQuote}: the first unquoted field (from 1) of the row holding a quote; 0 for none. */
  private strayField = 0;
  private innerLines = 0;

  constructor(options: CsvParserOptions = {}) {
    const delimiter = options.delimiter ?? ',';
    this.quoteChar = options.quote ?? '"';
    if (delimiter.length !== 1 || this.quoteChar.length !== 1) throw new Error('delimiter and quote must be one character');
    this.delimiter = delimiter.charCodeAt(0);
    this.quote = this.quoteChar.charCodeAt(0);
    this.maxRowChars = options.maxRowChars ?? 1 << 20;
    this.headerRow = options.headerRow ?? 0;
    this.line = options.firstLine ?? 1;
  }

  /** Parses `text` (following what was pushed before); complete rows go to `out`. */
  push(text: string, out: CsvRowSink): void {
    if (this.skippingLine) {
      const nl = firstLineBreak(text, 0);
      if (nl < 0) return;
      this.skippingLine = false;
      this.line++;
      text = text.slice(afterLineBreak(text, nl));
    }
    this.run(this.rest.length > 0 ? this.rest + text : text, false, out);
  }

  /** The end of the input: the last row (without a final line break) comes out too. */
  end(out: CsvRowSink): void {
    const rest = this.rest;
    this.rest = '';
    if (!this.skippingLine) this.run(rest, true, out);
    this.skippingLine = false;
  }

  private run(buf: string, final: boolean, out: CsvRowSink): void {
    let pos = 0;
    const len = buf.length;
    // The next quote and CR at or after `pos` (len: none), looked for only when a row is offered by its
    // text, and again only once `pos` passes them: one pass over the text in all.
    let quoteAt = -1;
    let crAt = -1;
    while (pos < len) {
      if (out.recognising === true) {
        const nl = buf.indexOf('\n', pos);
        if (nl >= 0) {
          if (quoteAt < pos) quoteAt = indexOrEnd(buf, this.quoteChar, pos);
          if (crAt < pos) crAt = indexOrEnd(buf, '\r', pos);
          const end = crAt === nl - 1 ? nl - 1 : nl;
          // One line (a CR only as the last character of CRLF), no quote: the row's text is all there is to it.
          if (quoteAt > nl && crAt >= end && out.known!(buf.slice(pos, end))) {
            this.rows++;
            this.line++;
            this.afterRestart = false;
            this.afterBrokenQuote = false;
            pos = nl + 1;
            continue;
          }
        }
      }
      const next = this.parseRow(buf, pos, final);
      if (next === INCOMPLETE) break;
      const fields = this.fields;
      if (this.brokenQuote && this.innerLines > 0 && (this.brokenOverLines || this.tookRows(buf, pos, next))) {
        // Report the first line only and parse again from the next one.
        pos = this.rejectFirstLine(buf, pos, out, this.problem ?? 'broken quote');
        continue;
      }
      if (this.innerLines > 0 && this.problem === undefined && this.expectedFields > 0 && fields.length !== this.expectedFields
        && fields.length !== this.alsoFields && this.tookRows(buf, pos, next)) {
        // A row over lines of the wrong width, whose quoted field took lines with a row's delimiters: a stray quote took
        // rows (QA: after a restart, `""` ending a line kept a field open over two rows, up to a `32"`). Its first line
        // alone, as above.
        pos = this.rejectFirstLine(buf, pos, out, `expected ${this.expectedFields} fields, found ${fields.length}`);
        continue;
      }
      const index = ++this.rows;
      let miscounted = false;
      const stray = this.problem === undefined && this.strayField > 0;
      if (stray) this.problem = `a quote inside field ${this.strayField}, on a line after a row broken by its quotes: probably the end of that row's quoted field`;
      if (this.problem === undefined && this.expectedFields > 0 && fields.length !== this.expectedFields && fields.length !== this.alsoFields) {
        // A blank line is an empty row, not a broken one.
        if (!(fields.length === 1 && fields[0] === '')) {
          this.problem = `expected ${this.expectedFields} fields, found ${fields.length}`;
          miscounted = true;
        }
      }
      if (this.problem !== undefined) {
        // A broken quote here broke on the row's first line (one after lines went above): its fields were read on,
        // leniently. None after a restart, for a quote taken for a field's end, or for a row of the wrong width after a
        // quote-broken one: the row may be a line of the broken row's field (QA re-check: a note's line of 18 words
        // between commas was filed under the id of another child, whom it named first).
        const how = this.afterRestart || stray || (miscounted && this.afterBrokenQuote) ? undefined
          : miscounted ? MISCOUNTED : this.brokenField > 0 ? { kind: 'quote' as const, field: this.brokenField } : undefined;
        out.broken(this.problem, rawText(buf, pos, next), this.line, how ? fields : undefined, how);
        if (this.brokenQuote) this.afterBrokenQuote = true;
      } else {
        // A blank line (or one of empty fields) reads cleanly but says nothing of where a note ends (QA re-check: a blank
        // line in a broken note let its last line be read as a row).
        if ((this.afterRestart || this.afterBrokenQuote) && fields.some((f) => f !== '')) {
          this.afterRestart = false;
          this.afterBrokenQuote = false;
        }
        if (index === this.headerRow) this.expectedFields = fields.length;
        out.row(fields, this.line, rowText(buf, pos, next));
      }
      this.line += 1 + this.innerLines;
      pos = next;
    }
    this.rest = pos < len ? buf.slice(pos) : '';
    if (!final && this.rest.length > this.maxRowChars) this.overflow(out);
  }

  /**
   * A row longer than maxRowChars: a quoted field never closed (the row then runs over lines), or one line
   * longer than a row may be. Said as which it is (QA: a 100 MB line without a quote was asked about a quote).
   * Such a line without a quote is passed on split at its delimiters, as a row with the wrong number of fields
   * is, so the sink can keep its id when that is surely in place (csv-rows.ts: only with fields to spare).
   */
  private overflow(out: CsvRowSink): void {
    const buf = this.rest;
    this.rest = '';
    const nl = firstLineBreak(buf, 0);
    const head = buf.slice(0, Math.min(nl < 0 ? buf.length : nl, MAX_RAW_CHARS));
    const unquoted = nl < 0 && !head.includes(this.quoteChar);
    const problem = unquoted
      ? `row longer than ${this.maxRowChars} characters, the most a row may hold`
      : `row longer than ${this.maxRowChars} characters: a quoted field in it is probably never closed`;
    if (nl < 0) {
      // Not just after a restart, where the line may be the rest of a quoted field (QA: an id taken from a note's text).
      if (unquoted && !this.afterRestart) out.broken(problem, head, this.line, head.split(String.fromCharCode(this.delimiter)), OVER_LONG);
      else out.broken(problem, head, this.line);
      this.rows++;
      this.skippingLine = true;
      return;
    }
    const pos = this.rejectFirstLine(buf, 0, out, problem);
    this.run(buf.slice(pos), false, out);
  }

  /**
   * Whether a line after the first of the row at `start..end` (broken, or of the wrong width, a quoted field of it having
   * run over lines) has the delimiters of a row: then those lines are probably rows a stray quote took, not a note's
   * (QA: a note opened and never closed took two rows, up to a `12"` ending the third, into one reject).
   */
  private tookRows(buf: string, start: number, end: number): boolean {
    if (this.expectedFields < 2) return false;
    let from = firstLineBreak(buf, start);
    while (from >= 0 && from < end) {
      from = afterLineBreak(buf, from);
      const nl = firstLineBreak(buf, from);
      const lineEnd = nl < 0 || nl > end ? end : nl;
      let delimiters = 0;
      for (let i = from; i < lineEnd; i++) if (buf.charCodeAt(i) === this.delimiter) delimiters++;
      if (delimiters >= this.expectedFields - 1) return true;
      from = nl < 0 || nl >= end ? -1 : nl;
    }
    return false;
  }

  private rejectFirstLine(buf: string, start: number, out: CsvRowSink, problem: string): number {
    const nl = firstLineBreak(buf, start);
    const end = nl < 0 ? buf.length : nl;
    out.broken(problem, rawText(buf, start, end), this.line);
    this.rows++;
    this.line++;
    this.afterRestart = true;
    return nl < 0 ? buf.length : afterLineBreak(buf, nl);
  }

  /**
   * Parses the row starting at `start` into this.fields; returns the index after its line break, or
   * INCOMPLETE when the buffer ends before the row does (and more may come).
   */
  private parseRow(buf: string, start: number, final: boolean): number {
    const len = buf.length;
    const D = this.delimiter;
    const Q = this.quote;
    const fields = this.fields;
    fields.length = 0;
    this.problem = undefined;
    this.brokenQuote = false;
    this.brokenField = 0;
    this.brokenOverLines = false;
    this.strayField = 0;
    this.innerLines = 0;
    let i = start;
    for (;;) {
      let value: string;
      let c: number;
      if (i < len && buf.charCodeAt(i) === Q) {
        // Quoted field.
        let from = i + 1;
        value = '';
        for (;;) {
          const k = buf.indexOf(this.quoteChar, from);
          if (k < 0) {
            if (!final) return INCOMPLETE;
            // Never closed: report the row's first line, parse the rest again.
            this.problem = `a quoted field (field ${fields.length + 1}) is not closed`;
            this.brokenQuote = true;
            this.brokenOverLines = true;
            this.innerLines = 1;
            return len;
          }
          if (k + 1 >= len && !final) return INCOMPLETE; // `"` or `""`? Wait for the next character.
          if (buf.charCodeAt(k + 1) === Q) {
            value += buf.slice(from, k + 1);
            from = k + 2;
            continue;
          }
          value += buf.slice(from, k);
          i = k + 1;
          break;
        }
        this.innerLines += countLines(value);
        c = i < len ? buf.charCodeAt(i) : -1;
        if (c !== D && c !== LF && c !== CR && c !== -1) {
          // Text after the closing quote: keep it, but the row is broken.
          let k = i;
          for (; k < len; k++) {
            const d = buf.charCodeAt(k);
            if (d === D || d === LF || d === CR) break;
          }
          if (k >= len && !final) return INCOMPLETE;
          if (this.problem === undefined) {
            this.problem = `text after the closing quote of field ${fields.length + 1}`;
            this.brokenField = fields.length + 1;
          }
          if (this.innerLines > 0) this.brokenOverLines = true;
          this.brokenQuote = true;
          value += buf.slice(i, k);
          i = k;
          c = i < len ? buf.charCodeAt(i) : -1;
        }
      } else {
        let k = i;
        c = -1;
        for (; k < len; k++) {
          c = buf.charCodeAt(k);
          if (c === D || c === LF || c === CR) break;
        }
        if (k >= len) {
          if (!final) return INCOMPLETE;
          c = -1;
        }
        value = buf.slice(i, k);
        i = k;
        if ((this.afterRestart || this.afterBrokenQuote) && this.strayField === 0 && value.includes(this.quoteChar)) this.strayField = fields.length + 1;
      }
      fields.push(value);
      if (c === D) {
        i++;
        continue;
      }
      if (c === -1) return len;
      if (c === LF) return i + 1;
      // CR: CRLF or a lone CR.
      if (i + 1 >= len) return final ? len : INCOMPLETE;
      return buf.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
    }
  }
}

function indexOrEnd(s: string, c: string, from: number): number {
  const i = s.indexOf(c, from);
  return i < 0 ? s.length : i;
}

function firstLineBreak(s: string, from: number): number {
  const lf = s.indexOf('\n', from);
  const cr = s.indexOf('\r', from);
  if (lf < 0) return cr;
  if (cr < 0) return lf;
  return Math.min(lf, cr);
}

function afterLineBreak(s: string, at: number): number {
  return s.charCodeAt(at) === CR && s.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
}

/** A broken row's text, as {@link rowText}, cut at {@link MAX_RAW_CHARS}. */
function rawText(buf: string, start: number, end: number): string {
  const text = rowText(buf, start, end);
  return text.length > MAX_RAW_CHARS ? text.slice(0, MAX_RAW_CHARS) : text;
}

/** The row from `start` to `end` without the line break (LF, CRLF or CR) that ends it. */
function rowText(buf: string, start: number, end: number): string {
  let e = end;
  if (e > start && buf.charCodeAt(e - 1) === LF) e--;
  if (e > start && buf.charCodeAt(e - 1) === CR) e--;
  return buf.slice(start, e);
}

function countLines(value: string): number {
  let n = 0;
  for (let i = value.indexOf('\n'); i >= 0; i = value.indexOf('\n', i + 1)) n++;
  // A CR alone is a line break too, beside LFs (QA: `"a\rb\nc"` put the rows after it a line too low).
  for (let i = value.indexOf('\r'); i >= 0; i = value.indexOf('\r', i + 1)) if (value.charCodeAt(i + 1) !== LF) n++;
  return n;
}
