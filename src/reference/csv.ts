import { readFileSync } from 'node:fs';

/** The copied reference files live beside this module, so this works from `src/` (tsx) and from a build. */
const DATA_DIR = new URL('./data/', import.meta.url);

/**
 * Reads one reference CSV (UTF-8, LF, header row) into records keyed by column name.
 * The files are known to hold no quoted fields, so a plain split is exact; a quote anywhere means the
 * file changed shape and must not be misread silently.
 */
export function readReferenceCsv(relativePath: string): Array<Record<string, string>> {
  const text = readFileSync(new URL(relativePath, DATA_DIR), 'utf8').replace(/^\uFEFF/, '');
  if (text.includes('"')) throw new Error(`Reference file ${relativePath} contains quotes; the simple CSV reader cannot read it`);
  const lines = text.split('\n').map((line) => line.replace(/\r$/, '')).filter((line) => line !== '');
  const header = (lines[0] ?? '').split(',');
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== header.length) {
      throw new Error(`Reference file ${relativePath}, row ${i + 2}: expected ${header.length} columns, got ${cells.length}`);
    }
    const row: Record<string, string> = {};
    header.forEach((column, c) => {
      row[column] = cells[c]!;
    });
    return row;
  });
}

/** The value of a column that must exist; a missing one means the file changed shape. */
export function column(row: Record<string, string>, name: string): string {
  const value = row[name];
  if (value === undefined) throw new Error(`Reference row has no column "${name}"`);
  return value;
}
