/**
 * A spreadsheet cell with no value the workbook can give: an error (`#N/A` from a lookup that found nothing,
 * `#DIV/0!`, `#REF!`…), or a formula saved without its result (a workbook written by a program that does not
 * calculate). Kept in the record under its column, so a mapping that reads the column is told and quarantines
 * the record naming the field (QA: such cells were read as empty, and birth dates and sex codes disappeared
 * from records with nothing said); a column no mapping reads is no one's concern. Stored in the raw record as
 * `{ "cellError": "#N/A" }`.
 */
export class CellError {
  /** @param error the error code; null for a formula without a stored result */
  constructor(readonly error: string | null) {}

  /** For problem messages: the error codes are Excel's own, never the file's text. */
  describe(): string {
    if (this.error === null) return 'a formula cell saved without its result (open and save the file in a spreadsheet program to calculate it)';
    return KNOWN_ERRORS.has(this.error) ? `an Excel error cell (${this.error})` : 'an Excel error cell';
  }

  toJSON(): { cellError: string } {
    return { cellError: this.error === null ? 'formula without a stored result' : KNOWN_ERRORS.has(this.error) ? this.error : 'error' };
  }
}

/** Excel's error values (what a cell of type `e` may hold); anything else in such a cell is not repeated. */
const KNOWN_ERRORS = new Set(['#NULL!', '#DIV/0!', '#VALUE!', '#REF!', '#NAME?', '#NUM!', '#N/A', '#GETTING_DATA', '#SPILL!', '#CALC!', '#FIELD!', '#BLOCKED!', '#CONNECT!', '#BUSY!', '#UNKNOWN!', '#PYTHON!']);
