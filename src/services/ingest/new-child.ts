import { copyBool, copyJson, copyNumber, copyText } from '../../db/copy-text.js';
import { computeGolden, type GoldenValues, type SurvivorshipInput } from '../golden-record/survivorship.js';
import type { NormalizedSourceRecord } from './source-record.normalizer.js';

/**
 * The row of a child created at ingest: the golden values its first records give (the recompute job then
 * builds its identity-number history and group memberships), as a COPY row of {@link NEW_CHILD_COLUMNS}.
 */

export const NEW_CHILD_COLUMNS = ['id', 'full_name', 'family_name', 'middle_name', 'given_name', 'name_folded', 'sex', 'birth_date',
  'birth_date_precision', 'birth_date_estimated', 'birth_year', 'commune_code', 'commune_code_set', 'identity_number', 'identity_status',
  'group_clauses', 'provenance'] as const;

/** A stored (or about to be stored) source record with its id. */
export interface LinkedRecord {
  id: string;
  record: NormalizedSourceRecord;
}

/** A new child's COPY row from the records it starts with. */
export function newChildLine(childId: string, records: LinkedRecord[], now: Date): string {
  const only = records.length === 1 ? records[0]! : null;
  return only ? soloLine(childId, only, now.toISOString()) : goldenLine(childId, computeGolden(records.map((r) => survivorshipInput(r, now)), now));
}

export function survivorshipInput({ id, record: r }: LinkedRecord, now: Date): SurvivorshipInput {
  return {
    id, sourceSystem: r.sourceSystem, fullName: r.fullName, familyName: r.familyName, middleName: r.middleName, givenName: r.givenName,
    nameFolded: r.nameFolded, sex: r.sex ?? null, birthDate: r.birthDate ?? null, birthDatePrecision: r.birthDatePrecision ?? null,
    birthDateEstimated: r.birthDateEstimated ?? false, communeCode: r.communeCode ?? null, communeCodeSet: r.communeCodeSet ?? null,
    identityNumber: r.identityNumber, groups: r.groups ?? [], observedAt: r.sourceUpdatedAt ? new Date(r.sourceUpdatedAt) : now,
  };
}

export function goldenLine(childId: string, g: GoldenValues): string {
  return [
    copyText(childId), copyText(g.fullName), copyText(g.familyName), copyText(g.middleName), copyText(g.givenName), copyText(g.nameFolded),
    copyText(g.sex), copyText(g.birthDate), copyText(g.birthDatePrecision), copyBool(g.birthDateEstimated), copyNumber(g.birthYear),
    copyText(g.communeCode), copyText(g.communeCodeSet), copyText(g.identityNumber), copyText(g.identityStatus),
    copyText(`{${g.groupClauses.join(',')}}`), copyJson(g.provenance),
  ].join('\t');
}

/**
 * {@link computeGolden} of one record, written out: with a single record every field it has wins, so the
 * ranking is skipped (most new children start from one record). `new-child.test.ts` checks it against
 * `computeGolden`.
 */
function soloLine(childId: string, { id, record: r }: LinkedRecord, chosenAt: string): string {
  const mark = `{"sourceRecordId":${JSON.stringify(id)},"sourceSystem":${JSON.stringify(r.sourceSystem)},"chosenAt":"${chosenAt}"}`;
  const provenance: string[] = [];
  if (r.fullName) provenance.push(`"fullName":${mark}`);
  if (r.sex) provenance.push(`"sex":${mark}`);
  if (r.birthDate) provenance.push(`"birthDate":${mark}`);
  if (r.communeCode) provenance.push(`"communeCode":${mark}`);
  if (r.identityNumber) provenance.push(`"identityNumber":${mark}`);
  const named = !!r.fullName;
  const born = !!r.birthDate;
  const placed = !!r.communeCode;
  const clauses = [...new Set((r.groups ?? []).map((g) => g.clause))].sort();
  return [
    copyText(childId),
    copyText(named ? r.fullName : null), copyText(named ? r.familyName : null), copyText(named ? r.middleName : null),
    copyText(named ? r.givenName : null), copyText(named ? r.nameFolded : null),
    copyText(r.sex || null),
    copyText(born ? r.birthDate : null), copyText(born ? (r.birthDatePrecision ?? null) : null), copyBool(born ? (r.birthDateEstimated ?? false) : false),
    copyNumber(born ? Number(r.birthDate!.slice(0, 4)) : null),
    copyText(placed ? r.communeCode : null), copyText(placed ? (r.communeCodeSet ?? null) : null),
    copyText(r.identityNumber || null), r.identityNumber ? 'UNVERIFIED' : 'NO_NUMBER',
    copyText(`{${clauses.join(',')}}`), copyText(`{${provenance.join(',')}}`),
  ].join('\t');
}
