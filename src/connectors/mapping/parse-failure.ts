/**
 * What a parser returns when a value is present but unusable. Parsers return the parsed value, `undefined`
 * for an absent value, or a {@link ParseFailure}; only the failure allocates, so the common path stays cheap.
 */

/** Stable problem codes of the mapping (kept in `rejected_record.problems[].code`). */
export const MAPPING_PROBLEM_CODES = [
  'INVALID_TEXT',
  'INVALID_NAME',
  'INVALID_SEX',
  'INVALID_DATE',
  'INVALID_DATETIME',
  'INVALID_COMMUNE',
  'INVALID_IDENTITY_NUMBER',
  'INVALID_INTEGER',
  'INVALID_BOOLEAN',
  'INVALID_CLAUSE',
  'UNKNOWN_VALUE',
  'NOT_ALLOWED_VALUE',
  'REQUIRED',
  'NO_MAPPING',
] as const;
export type MappingProblemCode = (typeof MAPPING_PROBLEM_CODES)[number];

export class ParseFailure {
  /**
   * @param code stable code
   * @param message what was expected and the *kind* of value found ("got 8 digits"); never the value
   */
  constructor(readonly code: MappingProblemCode, readonly message: string) {}
}

export function isParseFailure(v: unknown): v is ParseFailure {
  return v instanceof ParseFailure;
}
