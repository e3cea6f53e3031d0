/**
 * Editing a birth-register CSV the justice-register simulator wrote (`writeJusticeRegisterDrop`), cell by cell. Only
 * rows without quotes are taken, so their cells split on commas: cell 0 is the record's id (`Số đăng ký`), 6 the
 * child's name, 7 the birth date (dd/MM/yyyy).
 */
export const CELL = { externalId: 0, name: 6, birthDate: 7 } as const;

/** A row a test edits: its line (0-based, the header line 0) and its record's id. */
export interface RegisterRow {
  line: number;
  externalId: string;
}

/** The first `count` plain rows after line `after`. */
export function plainRows(text: string, count: number, after: number): RegisterRow[] {
  const lines = text.split('\n');
  const out: RegisterRow[] = [];
  for (let i = after + 1; i < lines.length && out.length < count; i++) {
    if (!lines[i]!.includes('"') && /^[^,]+(,[^,]*){7}/.test(lines[i]!)) out.push({ line: i, externalId: lines[i]!.split(',')[CELL.externalId]! });
  }
  if (out.length < count) throw new Error(`only ${out.length} plain rows after line ${after}, ${count} asked for`);
  return out;
}

/** `text` with cell `cell` of each of `rows` set to the value at its place in `values` (null: left as it is). */
export function withCells(text: string, rows: readonly RegisterRow[], cell: number, values: ReadonlyArray<string | null>): string {
  const lines = text.split('\n');
  rows.forEach((row, i) => {
    const value = values[i];
    if (value === null || value === undefined) return;
    const cells = lines[row.line]!.split(',');
    cells[cell] = value;
    lines[row.line] = cells.join(',');
  });
  return lines.join('\n');
}
