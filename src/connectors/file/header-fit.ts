import { columnNamesRead, columnsAbsenceGivesValue, columnsRead, fieldColumnsMissing, hasColumn, idColumnsMissing, mappingsFor } from '../mapping/mapping-columns.js';
import type { RecordMapping } from '../mapping/mapping.schema.js';
import { FileHeaderError } from './errors/file-header.error.js';
import { columnName, headerKey } from './headers.js';

/** A CSV header row read with another delimiter: the delimiter and the columns it gives (trimmed, NFC). */
export interface OtherReading {
  delimiter: string;
  columns: readonly string[];
}

/** The delimiters a CSV export commonly has, tried when a header row lacks the columns a mapping needs. */
export const COMMON_DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * A sheet's header row against the mappings that may take its rows (docs/connectors.md#kind-file), checked
 * before any row is given out:
 * - a header that matches a column the mappings read only up to letter case and spacing (`MÃ HỒ SƠ` for
 *   `Mã hồ sơ`, `Ngày  sinh` or a cell wrapped to `Ngày⏎sinh` for `Ngày sinh`, `Xã / Phường` for `Xã/Phường`;
 *   headers are in NFC already) is read as that column: an engineer writing the mapping from the agency's
 *   documentation should not lose a file to the export's capitals or spaces. Two headers equal up to case and
 *   spacing where a mapping reads one of them are ambiguous, and the file is refused;
 * - a sheet from whose header row no mapping can read a record id (the id's columns, or the `when` columns
 *   picking the mapping, are missing) is refused: its every row would be quarantined without an id (or
 *   NO_MAPPING), and such rejects are never resolved by a later run, so fixing and dropping the file again
 *   would leave them open, holding personal data. The message names the missing columns and, when it can
 *   tell, why (the header row splits into those columns at another common delimiter).
 * - a sheet lacking a column the mappings read for its records is refused, unless the definition lists it in
 *   `file.optionalColumns` ({@link refuseMissingColumns});
 * Messages name the mapping's columns, column numbers and delimiters, never the file's header text (a file
 * without its header row has a record there), so they are kept whole when `where` quotes no sheet name.
 */
export class HeaderFitter {
  private readonly candidates: RecordMapping[];
  /** The columns the mappings read, by their case-folded name. */
  private readonly byFold = new Map<string, Set<string>>();
  /** `file.optionalColumns`, folded: columns a file may lack, its fields then empty. */
  private readonly optional: ReadonlySet<string>;
  /**
   * The columns a record id is read from when every mapping that may take the sheet's rows reads it alike
   * (a broken row cannot say which mapping would take it); null when they differ.
   */
  readonly idColumns: ReadonlySet<string> | null;

  constructor(mappings: readonly RecordMapping[], recordType: string | undefined, optionalColumns: readonly string[] = []) {
    this.candidates = mappingsFor(mappings, recordType);
    this.optional = new Set(optionalColumns.map(headerKey));
    for (const m of this.candidates) {
      for (const name of columnNamesRead(m)) {
        const names = this.byFold.get(headerKey(name)) ?? new Set<string>();
        names.add(name);
        this.byFold.set(headerKey(name), names);
      }
    }
    const ids = new Set(this.candidates.map((m) => JSON.stringify(m.externalId)));
    this.idColumns = this.candidates.length > 0 && ids.size === 1 ? columnsRead(this.candidates[0]!.externalId) : null;
  }

  /** Whether a mapping reads a column of exactly this name: the definition's word, not the file's text. */
  reads(name: string): boolean {
    return this.byFold.get(headerKey(name))?.has(name) ?? false;
  }

  /**
   * The columns to key the sheet's records by: `headers` (trimmed, NFC, unique) with those matching a mapped
   * column up to case renamed to it. Throws {@link FileHeaderError} for an ambiguous header or when no mapping
   * can read a record id; `otherReadings` gives the header row read with other delimiters (CSV), for the hint.
   * `ownWords`: `where` holds no text of the file but its label (file-label.ts) (a sheet named as the definition names it, or by number),
   * so a message naming only it and the mapping's columns is kept whole in logs and run history.
   */
  fit(headers: readonly string[], where: string, otherReadings?: () => OtherReading[], ownWords = !where.includes('"')): string[] {
    if (this.candidates.length === 0) return [...headers];
    const byFold = new Map<string, number[]>();
    for (const [i, h] of headers.entries()) {
      const list = byFold.get(headerKey(h)) ?? [];
      list.push(i + 1);
      byFold.set(headerKey(h), list);
    }
    for (const [key, columns] of byFold) {
      const read = this.byFold.get(key);
      if (columns.length > 1 && read) {
        throw new FileHeaderError(
          `${where}: columns ${columns.map(columnName).join(' and ')} have the same header up to letter case and spacing, that of the column «${[...read][0]}» the mapping reads; ` +
            'headers must differ by more than case and spaces (rename or delete one)',
          { where, problem: 'AMBIGUOUS_HEADER', columns, mapped: [...read] },
          { ownWords },
        );
      }
    }
    const fitted = headers.map((h) => {
      const read = this.byFold.get(headerKey(h));
      return read === undefined || read.has(h) || read.size !== 1 ? h : [...read][0]!;
    });
    const have = new Set(fitted);
    const missing = this.candidates.map((m) => idColumnsMissing(m, have));
    if (missing.some((m) => m.length === 0)) {
      this.refuseAbsenceAsValue(have, missing, headers.length, where, ownWords);
      this.refuseMissingColumns(have, missing, headers.length, where, ownWords);
      return fitted;
    }
    const needed = [...new Set(missing.map((m) => m.map(quote).join(' and ')))];
    const all = [...new Set(missing.flat())];
    throw new FileHeaderError(
      `${where}: no mapping can give its rows a record id: ${needed.length > 1 ? 'they need' : 'it needs'} column${all.length > 1 ? 's' : ''} ${needed.join(', or ')}, ` +
        `which the header row (${headers.length} column${headers.length > 1 ? 's' : ''}) does not have in any letter case or spacing` +
        `${this.hint(all, headers, otherReadings)}; the file was not read (its every row would be rejected without an id)`,
      { where, problem: 'MISSING_ID_COLUMN', missing: all },
      { ownWords },
    );
  }

  /**
   * Refuses the sheet when it lacks, in any letter case, a column whose absence a mapping that can take its rows
   * turns into a value ({@link columnsAbsenceGivesValue}): read anyway, every record would be stored as if the
   * column were empty, over what the source said before (QA: a header renamed in a later report set every
   * facility's licence to NONE and type to OTHER). Other missing columns leave their fields empty, with a warning.
   */
  private refuseAbsenceAsValue(have: ReadonlySet<string>, idMissing: readonly string[][], count: number, where: string, ownWords: boolean): void {
    const absent = new Set<string>();
    for (const [i, m] of this.candidates.entries()) {
      if (idMissing[i]!.length > 0) continue;
      for (const c of columnsAbsenceGivesValue(m)) if (!hasColumn(have, c)) absent.add(c);
    }
    if (absent.size === 0) return;
    const names = [...absent];
    const one = names.length === 1;
    throw new FileHeaderError(
      `${where}: the header row (${count} column${count > 1 ? 's' : ''}) does not have column${one ? '' : 's'} ${names.map(quote).join(', ')} in any letter case or spacing, ` +
        `and the mapping gives a value when ${one ? 'it is' : 'they are'} empty (a \`present: false\` test, or a \`map\`'s \`default\`): ` +
        `every record would be stored as if ${one ? 'it were' : 'they were'} empty; the file was not read (name the column${one ? '' : 's'} as the mapping does, or change the mapping)`,
      { where, problem: 'MISSING_COLUMN', missing: names },
      { ownWords },
    );
  }

  /**
   * Refuses the sheet when it lacks, in any letter case or spacing, a column that a mapping able to take its rows
   * reads for them ({@link fieldColumnsMissing}) and that `file.optionalColumns` does not list: read anyway, every
   * record would be stored with the fields it feeds empty, over what earlier files said, and the rejects they had
   * would be closed as stored (QA: a later export's `Ngày  sinh`, with two spaces, and `Xã / Phường` wiped every
   * child's birth date and commune, and the run succeeded with a warning in the log only).
   */
  private refuseMissingColumns(have: ReadonlySet<string>, idMissing: readonly string[][], count: number, where: string, ownWords: boolean): void {
    const absent = new Set<string>();
    for (const [i, m] of this.candidates.entries()) {
      if (idMissing[i]!.length > 0) continue;
      for (const c of fieldColumnsMissing(m, have)) if (!this.optional.has(headerKey(c))) absent.add(c);
    }
    if (absent.size === 0) return;
    const names = [...absent];
    const one = names.length === 1;
    throw new FileHeaderError(
      `${where}: the header row (${count} column${count > 1 ? 's' : ''}) does not have column${one ? '' : 's'} ${names.map(quote).join(', ')} in any letter case or spacing, ` +
        `which the mapping reads: every record would be stored with the fields ${one ? 'it feeds' : 'they feed'} empty, over what earlier files said; the file was not read ` +
        `(name the column${one ? '' : 's'} as the mapping does; if the agency's files may lack ${one ? 'it' : 'them'}, list ${one ? 'it' : 'them'} in file.optionalColumns)`,
      { where, problem: 'MISSING_COLUMN', missing: names },
      { ownWords },
    );
  }

  /**
   * Why the columns may be missing: another delimiter splits the header row into them (or into more columns); the
   * headers are the mapping's without their diacritics; the headers were decoded twice; else a title above them. Never
   * a header's text (the row may be a record's).
   */
  private hint(missing: string[], headers: readonly string[], otherReadings?: () => OtherReading[]): string {
    const count = headers.length;
    const readings = (otherReadings?.() ?? []).filter((r) => r.columns.length > count);
    if (readings.length === 0) {
      // QA: headers without accents, or decoded twice, were told to set file.headerRow.
      const bare = new Set(headers.map(withoutDiacritics));
      if (missing.some((c) => withoutDiacritics(c) !== headerKey(c) && bare.has(withoutDiacritics(c)))) {
        return '; the header row has them without their diacritics (Ma ho so for Mã hồ sơ): columns are found with their diacritics, '
          + 'so export the file with its headers as the agency writes them, or name the columns so in the mapping';
      }
      if (headers.some((h) => DECODED_TWICE.test(h))) {
        return '; the headers look decoded twice (MÃ£ for Mã: UTF-8 read as Windows-1252 and saved again as UTF-8): export the file again from its source';
      }
      // Else the usual cause is a title above the headers (`SỔ ĐĂNG KÝ KHAI SINH`, a blank row).
      return `; if the headers are on a later row (a title above them), set file.headerRow to its number`;
    }
    const found = (r: OtherReading) => {
      const folded = new Set(r.columns.map(headerKey));
      return missing.filter((c) => hasColumn(folded, headerKey(c)));
    };
    const best = readings.reduce((a, b) => {
      const d = found(b).length - found(a).length;
      return d > 0 || (d === 0 && b.columns.length > a.columns.length) ? b : a;
    });
    const names = found(best);
    const split = `the header row splits into ${best.columns.length} columns at ${delimiterName(best.delimiter)}`;
    return names.length > 0
      ? `; ${split}, ${names.map(quote).join(' and ')} among them: the file looks ${delimiterName(best.delimiter)}-delimited ` +
          "(set file.csv.delimiter, or export it with the connector's delimiter)"
      : `; ${split}: is the file ${delimiterName(best.delimiter)}-delimited?`;
  }
}

function quote(column: string): string {
  return `«${column}»`;
}

function delimiterName(d: string): string {
  return d === '\t' ? 'tab' : `"${d}"`;
}

/** A header as {@link headerKey} folds it, its diacritics dropped too (`đ` read as `d`). */
function withoutDiacritics(name: string): string {
  return headerKey(name).normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').normalize('NFC');
}

/**
 * What Vietnamese text looks like once its UTF-8 was read as Windows-1252 and written out again: a lead byte of a
 * Vietnamese letter's encoding shown as Ã, Â, Ä, Æ or á followed by a Latin-1 sign or letter.
 */
const DECODED_TWICE = /[ÃÂÄÆá][\u0080-\u00BF\u00C0-\u00FF\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u0192\u02C6\u02DC\u2013-\u203A\u20AC\u2122]/u;
