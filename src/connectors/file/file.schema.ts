import { z } from 'zod';
import { envRefSchema } from '../definition/env-ref.js';
import { globProblem } from './glob.js';

/** A glob over file names (see glob.ts), refused when its braces do not pair up. */
const globSchema = z
  .string()
  .min(1)
  .superRefine((p, ctx) => {
    const problem = globProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** One sheet of a workbook and the record type its rows become. */
export const fileSheetSchema = z
  .object({
    sheet: z
      .union([z.string().min(1), z.number().int().min(1)])
      .default(1)
      .describe(
        'The sheet: its name as shown on the tab ("Trẻ em"; compared ignoring case and Unicode normalisation), ' +
          'or its position from 1 in the workbook (hidden sheets count). Ignored for CSV files.',
      ),
    recordType: z
      .string()
      .min(1)
      .describe('The record type (a `records[].recordType` of the definition) the rows of this sheet become.'),
    files: globSchema
      .optional()
      .describe(
        'A glob over file names ("khai-sinh-*"): the entry applies only to matching files, so one connector can take ' +
          'several exports. A CSV file takes the first entry that applies to it. Absent: every file.',
      ),
  })
  .strict()
  .describe('A sheet to read and the record type its rows become.');
export type FileSheet = z.infer<typeof fileSheetSchema>;

const singleChar = (what: string) =>
  z
    .string()
    .length(1, `${what} must be a single character`)
    .refine((c) => c !== '\r' && c !== '\n', `${what} cannot be a line break`)
    .meta({ not: { enum: ['\r', '\n'] } });

/** How CSV files are written. */
export const fileCsvSchema = z
  .object({
    delimiter: singleChar('delimiter')
      .default(',')
      .describe(
        'The character between fields: "," (default), ";" (Excel with Vietnamese regional settings) or "\\t". ' +
          'A file whose first line is Excel\'s `sep=X` is split at X, and its rows counted from the next line.',
      ),
    quote: singleChar('quote')
      .default('"')
      .describe('The character that quotes a field holding delimiters, quotes or line breaks (doubled inside it). Default ".'),
    encoding: z
      .enum(['auto', 'utf-8', 'utf-16le', 'utf-16be'])
      .default('auto')
      .describe(
        'The text encoding. auto: UTF-8 with or without BOM, or UTF-16 LE/BE with a BOM (or without one when ' +
          'the bytes leave no doubt). Anything else (Windows-1258, TCVN3/ABC, VNI, Latin-1) is refused naming ' +
          'what was found: save the file as "CSV UTF-8" and drop it again. Default auto.',
      ),
  })
  .strict()
  .refine((c) => c.delimiter !== c.quote, { message: 'delimiter and quote must differ', path: ['quote'] })
  .describe('How CSV files are written.');
export type FileCsvOptions = z.infer<typeof fileCsvSchema>;

/**
 * How long a file must have gone unmodified before it is read, by default. A minute outlasts the pauses of a
 * copy over a slow link or a network share and the 2-second modification times of FAT/SMB shares, as Spring
 * Integration's `LastModifiedFileListFilter` (60 s) does; a file held back waits only for the next sync.
 */
export const DEFAULT_SETTLE_SECONDS = 60;

/**
 * Why a drop directory's path is refused: an empty one resolves to the project root, whose own files `check` would
 * list and a sync try to read (QA). Said where the path is written and where it comes from the environment.
 */
export const EMPTY_DIRECTORY = 'is empty, which would be the project root itself: give the drop directory\'s path (absolute, or relative to the project root)';
const directoryPath = z.string().regex(/\S/, EMPTY_DIRECTORY);

/**
 * Settle seconds written as text (a variable's value, or its default): a whole number from 0 to 86400, as the
 * reader takes it (spaces around it aside). A pattern rather than a check, so the JSON Schema says it too.
 */
export const SETTLE_SECONDS_TEXT = /^\s*(?:\d{1,4}|[0-7]\d{4}|8[0-5]\d{3}|86[0-3]\d{2}|86400)\s*$/;
const settleSecondsText = z.string().regex(SETTLE_SECONDS_TEXT, 'must be a whole number of seconds from 0 to 86400, written as text ("60")');

/** The `file` section of a `kind: file` connector definition (docs/connectors.md#kind-file). */
export const fileConfigSchema = z
  .object({
    directory: z.union([directoryPath, envRefSchema.extend({ default: directoryPath.optional() })]).describe(
      'The drop directory the files are read from: a path, or { env: NAME, default: "…" }. A relative path is ' +
        'taken from the project root.',
    ),
    pattern: globSchema
      .refine((p) => !p.includes('/') && !p.includes('\\'), 'pattern matches file names, not paths')
      .default('*.{csv,xlsx}')
      .describe(
        'Glob over file names in the directory: * (any run of characters), ? (one character), {a,b} (either). ' +
          'Compared ignoring case (DANH-SACH.CSV matches *.csv); names starting with "." or "~$" (editor lock ' +
          'files) never match. Default *.{csv,xlsx}.',
      ),
    format: z
      .enum(['auto', 'csv', 'xlsx'])
      .default('auto')
      .describe('auto: by extension (.csv, .tsv, .txt are CSV; .xlsx is XLSX; others are refused). Default auto.'),
    csv: fileCsvSchema.prefault({}).describe('How CSV files are written.'),
    headerRow: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('The row (from 1) holding the column headers; rows above it (titles) are ignored. Default 1.'),
    chunkRows: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(5000)
      .describe('Rows per batch: each batch is stored with its checkpoint in one transaction. Default 5000.'),
    settleSeconds: z
      // A default is read as the variable's value is, so one that never could be is refused here, not at every sync (QA).
      .union([z.number().int().min(0).max(86_400), envRefSchema.extend({ default: settleSecondsText.optional() })], {
        error: (issue) => (issue.code === 'invalid_union' ? 'must be a whole number of seconds from 0 to 86400, or { env: NAME, default: "60" }' : undefined),
      })
      .default(DEFAULT_SETTLE_SECONDS)
      .describe(
        'Seconds a file of the drop directory must have gone unmodified before it is read: a file modified more ' +
          'recently is still being copied in or exported, and is left for a later sync (counted as waiting, not ' +
          'refused) rather than read half-written. A file given by name (`sync --file`) is never held back. A ' +
          'number, or { env: NAME, default: "60" } (a whole number of seconds). 0 when files are written elsewhere ' +
          'and moved into the directory whole (a rename). Default 60.',
      ),
    optionalColumns: z
      .array(z.string().trim().min(1))
      .default([])
      .describe(
        'Columns the mapping reads that an agency\'s files may lack (an older layout of the export, a column some ' +
          'communes leave out). A file without one of them is read, the fields it feeds left empty, with a warning. ' +
          'Any other column the mapping reads must be in the header row (in any letter case or spacing), or the file ' +
          'is refused (MISSING_COLUMN): read anyway, every record would be stored with those fields empty, over what ' +
          'earlier files said. Neither a record id\'s column nor one a `required` value reads, nor one listed twice (in any ' +
          'letter case or spacing). Default none.',
      )
      .meta({ uniqueItems: true }),
    sheets: z
      .array(fileSheetSchema)
      .min(1)
      .optional()
      .describe(
        'XLSX: the sheets to read, in this order, and the record type of each. CSV: at most one entry (the file ' +
          'is its only sheet). Absent: the first sheet (or the CSV file) becomes records of type child.',
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.format === 'csv' && c.sheets && c.sheets.length > 1 && c.sheets.every((x) => x.files === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['sheets'], message: 'a CSV file has a single sheet: give at most one entry' });
    }
  })
  .describe('Where the files are dropped and how they are read (kind: file).');

/** The parsed `file` section (defaults applied). */
export type FileConfig = z.output<typeof fileConfigSchema>;
/** The `file` section as written in a definition. */
export type FileConfigInput = z.input<typeof fileConfigSchema>;

/** The record type of rows that are not assigned one by `sheets`. */
export const DEFAULT_RECORD_TYPE = 'child';
