/**
 * A spreadsheet cell holding an error value (`#N/A` from a lookup pasted as values, `#DIV/0!`, `#REF!`…), or a
 * formula's error result (whose code the streaming reader drops: see xlsxRows). Kept in the record under its column, so a mapping that reads the column is told and
 * quarantines the record naming the field (QA: such cells were read as empty, and birth dates and sex codes
 * disappeared from records with nothing said); a column no mapping reads is no one's concern. Stored in the raw
 * record as `{ "cellError": "#N/A" }`.
 */
export class CellError {
  /** @param error the error code as the workbook holds it */
  constructor(readonly error: string) {}

  /** For problem messages: the error codes are Excel's own, never the file's text. */
  describe(): string {
    return KNOWN_ERRORS.has(this.error) ? `an Excel error cell (${this.error})` : 'an Excel error cell';
  }

  toJSON(): { cellError: string } {
    return { cellError: KNOWN_ERRORS.has(this.error) ? this.error : 'error' };
  }
}

/** Excel's error values (what a cell of type `e` may hold); anything else in such a cell is not repeated. */
const KNOWN_ERRORS = new Set(['#NULL!', '#DIV/0!', '#VALUE!', '#REF!', '#NAME?', '#NUM!', '#N/A', '#GETTING_DATA', '#SPILL!', '#CALC!', '#FIELD!', '#BLOCKED!', '#CONNECT!', '#BUSY!', '#UNKNOWN!', '#PYTHON!']);
