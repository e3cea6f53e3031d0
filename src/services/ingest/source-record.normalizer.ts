import { createHash } from 'node:crypto';
import type { SourceRecordInput } from '../../domain/source-record-input.js';
import { foldName, joinName, normalizeName, splitFullName } from '../../domain/vietnamese-name.js';
import { normalizeIdentityNumber } from '../../domain/identity-number.js';
import type { RecordText } from '../../domain/record-layout.js';

/** A validated record with the derived fields the database stores. */
export interface NormalizedSourceRecord extends SourceRecordInput {
  fullName: string | null;
  familyName: string | null;
  middleName: string | null;
  givenName: string | null;
  nameFolded: string | null;
  identityNumber: string | null;
  contentHash: string;
  /** Values a connector mapping kept as given (stored with the record, not part of its content hash). */
  flags?: Array<{ field: string; code: string; message: string }>;
  /**
   * `raw` as JSON when the caller has it already (not part of the content hash): text it serialised, or
   * the UTF-8 bytes of the record as the source sent it.
   */
  rawJson?: string | Buffer;
  /** The record as its source wrote it, when that is text with a layout (a CSV row): stored instead of `raw` as JSON. */
  rawText?: RecordText;
}

const clean = (s: string | null | undefined) => (s && s.trim() ? normalizeName(s) : null);

/** Stable JSON (sorted keys) so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * Completes a record's name parts (split the full name, or join the parts), folds the name for search and
 * matching, normalises the identity number's separators only, and hashes the content so an unchanged record
 * can be skipped cheaply on re-ingest. A caller that already has the record's content hash (a connector
 * hashes the raw record with its mapping) passes it, and the normalised content is not hashed again.
 */
export function normalizeSourceRecord(input: SourceRecordInput, contentHash?: string): NormalizedSourceRecord {
  let fullName = clean(input.fullName);
  let familyName = clean(input.familyName);
  let middleName = clean(input.middleName);
  let givenName = clean(input.givenName);
  if (fullName && !familyName && !givenName) {
    ({ familyName, middleName, givenName } = splitFullName(fullName));
  } else if (!fullName && (familyName || givenName)) {
    fullName = joinName({ familyName, middleName, givenName }) || null;
  }
  const identityNumber = input.identityNumber ? normalizeIdentityNumber(input.identityNumber) || null : null;
  // Every field written out (not spread from the input): one object shape for all records, which keeps the
  // code reading them fast. Fields the input lacks are undefined, which hashing and storing treat as absent.
  const normalized: NormalizedSourceRecord = {
    sourceSystem: input.sourceSystem,
    externalId: input.externalId,
    raw: input.raw,
    fullName,
    familyName: familyName || null,
    middleName: middleName || null,
    givenName: givenName || null,
    nameFolded: fullName ? foldName(fullName) : null,
    sex: input.sex,
    birthDate: input.birthDate,
    birthDatePrecision: input.birthDatePrecision,
    birthDateEstimated: input.birthDateEstimated,
    communeCode: input.communeCode,
    communeCodeSet: input.communeCodeSet,
    fatherName: input.fatherName,
    motherName: input.motherName,
    carerName: input.carerName,
    identityNumber,
    sourceUpdatedAt: input.sourceUpdatedAt,
    groups: input.groups ?? [],
    contentHash: '',
    flags: undefined,
    rawJson: undefined,
    rawText: undefined,
  };
  // The hash covers the normalised content, without the hash field itself.
  normalized.contentHash = contentHash ?? createHash('sha256').update(canonicalJson({ ...normalized, contentHash: undefined })).digest('base64url');
  return normalized;
}
