import { AppError } from '../../errors/app-error.js';

/** One thing wrong with a projection handed to the writer; names the place, never the value. */
export interface ProjectionProblem {
  /** Index of the item (source record or facility record) in the call. */
  item: number;
  /** `vaccination[2].status`, or `(item)` for the item itself. */
  path: string;
  /**
   * REQUIRED, NOT_TEXT, NOT_DATE, NOT_INTEGER, NOT_BOOLEAN, NOT_ALLOWED_VALUE, OUT_OF_RANGE, UNKNOWN_FIELD,
   * NOT_A_LIST, NOT_AN_OBJECT, WRONG_RECORD_TYPE, NO_SOURCE_RECORD.
   */
  code: string;
  message: string;
}

/**
 * Projection problems as a record's problems (the projection's path as the field), to quarantine the record
 * they came from: a sync refuses a record whose projections the store would refuse, as it refuses one the
 * mapping cannot read.
 */
export function asRecordProblems(problems: readonly ProjectionProblem[]): Array<{ field: string; code: string; message: string }> {
  return problems.map((p) => ({ field: p.path, code: p.code, message: p.message }));
}

/**
 * A caller handed the projection writer a projection that cannot be stored. The mapper rejects bad records
 * before they get here, so this is a programming or mapping error: the batch fails whole rather than
 * storing part of a record's facts.
 */
export class InvalidProjectionError extends AppError {
  override readonly name = 'InvalidProjectionError';
  readonly code = 'PROJECTION_INVALID';
  /**
   * Item numbers, projection paths (`schoolEnrolment[0].status`: the hub's field names) and the validator's
   * messages, which describe the kind of value and the allowed ones, never the value: kept whole by logs and
   * run history. (Unmarked, redaction took the parentheses of "value(s)" for a value.)
   */
  override readonly messageIsSafe = true;

  constructor(readonly problems: ProjectionProblem[]) {
    const first = problems[0];
    super(
      `${problems.length} invalid projection ${problems.length === 1 ? 'value' : 'values'}; first: item ${first?.item}, ${first?.path}: ${first?.message}`,
      { problems },
    );
  }
}
