import { isUnknownName } from '../../domain/unknown-name.js';
import { normalizePersonOrInstitution } from '../../domain/vietnamese-name.js';
import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

/**
 * `parse: name`: a person's name in any case, NFC or NFD, to the canonical display form of
 * {@link normalizeName} (NFC, single spaces, traditional tone placement, each syllable capitalised); an
 * institution's name (a carer may be a care facility) kept as written ({@link normalizePersonOrInstitution}).
 * Names are not split here: the ingest normaliser splits the full name. What a register writes when the name is not
 * known (`Không rõ`, `KXĐ`, `-`: {@link isUnknownName}) is no name, as a blank cell is: a `present` test reading the
 * column with `parse: name` finds none, and no child is named "Không Rõ" (nor matched with another so "named").
 */
export function parseName(v: unknown): string | ParseFailure | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return new ParseFailure('INVALID_NAME', `expected a name; got ${describeValue(v)}`);
  const name = normalizePersonOrInstitution(v);
  return name === '' || isUnknownName(name) ? undefined : name;
}
