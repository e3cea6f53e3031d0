import type { CommuneCodeSet, DatePrecision } from '../../domain/source-record-input.js';

/** A parsed date with how much of it the source gave; `iso` has 01 for the unknown month/day. */
export class IsoDate {
  constructor(readonly iso: string, readonly precision: DatePrecision) {}
  toString(): string {
    return this.iso;
  }
}

/**
 * A parsed commune. `code` is null when a name could not be resolved; `unresolved` then (or when a code was
 * kept as given) says why, and becomes a flag on the record: `flag`, `COMMUNE_UNRESOLVED` unless the code is
 * in no list at all (`COMMUNE_CODE_UNKNOWN`, with no code set). A code resolved from a pre-2025 address says
 * so too (`COMMUNE_FROM_OLD_ADDRESS`): it is kept and flagged.
 */
export class CommuneValue {
  constructor(
    readonly code: string | null,
    readonly codeSet: CommuneCodeSet | null,
    readonly unresolved: string | null = null,
    readonly flag: 'COMMUNE_UNRESOLVED' | 'COMMUNE_CODE_UNKNOWN' | 'COMMUNE_FROM_OLD_ADDRESS' = 'COMMUNE_UNRESOLVED',
  ) {}
  toString(): string {
    return this.code ?? '';
  }
}

/**
 * A parsed value kept as read, with something the record's flags should say about it (`flag`, `message`: the
 * message never repeats a personal value). The mapping stores `value` and flags the field.
 */
export class FlaggedValue<T = unknown> {
  constructor(readonly value: T, readonly flag: string, readonly message: string) {}
  toString(): string {
    return String(this.value);
  }
}
