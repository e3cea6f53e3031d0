import type { AppError } from '../errors/app-error.js';
import { RegistryRefusedError, RegistryUnavailableError } from './registry-errors.js';
import type { Citizen, LookupOutcome, VerifyOutcome } from './population-db.client.js';
import { BULK_STATES, RESULT_CODES, type OperationName } from './protocol.js';
import type { RegistryCallOutcome } from './registry-call.log.js';

/**
 * What the registry's answers mean, whatever the transport: each transport validates its wire format
 * (SOAP XML, a platform's JSON) into the shapes below, and these functions turn them into the client's
 * outcomes or into failures of the shared error taxonomy.
 */

/** `details.reason` of an UpstreamUnavailableError; PENDING: bulk results asked for before they are ready. */
export type UpstreamReason = 'TIMEOUT' | 'HTTP_5XX' | 'NETWORK' | 'MALFORMED' | 'PENDING';

/** Which call a failure belongs to; becomes the error's `details` (ids and codes only). */
export type CallRef = {
  operation: OperationName;
  requestId: string;
  /** Null until an answer arrived. */
  httpStatus: number | null;
};

/** A failed call: the error the caller gets and the outcome the integration log gets. */
export class CallFailure extends Error {
  constructor(
    readonly error: AppError,
    readonly outcome: RegistryCallOutcome,
    readonly httpStatus: number | null,
  ) {
    super(error.message);
  }
}

export interface Interpreted<T> {
  value: T;
  outcome: RegistryCallOutcome;
}

export type ResultCode = (typeof RESULT_CODES)[keyof typeof RESULT_CODES];
export type BulkState = (typeof BULK_STATES)[number];

/** A citizen of an answer, with the fields the registry says did not match (verification). */
export interface CitizenEntry {
  citizen: Citizen;
  mismatched: string[] | undefined;
}

export function upstream(message: string, reason: UpstreamReason, outcome: RegistryCallOutcome, call: CallRef, extra: Record<string, unknown> = {}): CallFailure {
  return new CallFailure(new RegistryUnavailableError(message, { ...call, ...extra, reason }), outcome, call.httpStatus);
}

/** Messages name the operation and what was wrong, never the content (it is personal data). */
export function malformed(what: string, call: CallRef): CallFailure {
  return upstream(`Population database sent an unusable answer: ${what}`, 'MALFORMED', 'MALFORMED', call);
}

/** A permanent refusal: the caller must not retry. */
export function rejected(message: string, call: CallRef, details: Record<string, unknown> = {}): CallFailure {
  return new CallFailure(new RegistryRefusedError(message, { ...call, ...details }), 'REJECTED', call.httpStatus);
}

/** `KetQua` 99 is a permanent refusal. */
function rejectIf99(code: ResultCode, call: CallRef): void {
  if (code === RESULT_CODES.rejected) throw rejected(`Population database rejected ${call.operation} (KetQua 99)`, call, { resultCode: code });
}

export function verifyAnswer(
  a: { code: ResultCode; citizens: CitizenEntry[]; mismatched: string[] | undefined },
  call: CallRef,
): Interpreted<VerifyOutcome> {
  rejectIf99(a.code, call);
  const first = a.citizens[0];
  switch (a.code) {
    case RESULT_CODES.match:
      return { outcome: 'MATCH', value: { kind: 'MATCH', citizen: first?.citizen ?? null } };
    case RESULT_CODES.mismatch:
      // The field list belongs to the citizen in the protocol; accept it beside the collection too.
      return { outcome: 'MISMATCH', value: { kind: 'MISMATCH', fields: first?.mismatched ?? a.mismatched ?? [], citizen: first?.citizen ?? null } };
    default:
      return { outcome: 'NOT_FOUND', value: { kind: 'NOT_FOUND' } };
  }
}

function toLookup(code: ResultCode, citizens: CitizenEntry[], call: CallRef): LookupOutcome {
  if (code === RESULT_CODES.notFound) return { kind: 'NOT_FOUND' };
  // 01 (mismatch) has no meaning for a lookup; guessing what the registry meant would be worse than retrying.
  if (code !== RESULT_CODES.match) throw malformed(`unexpected KetQua ${code} in ${call.operation}`, call);
  if (citizens.length === 0) throw malformed(`KetQua 00 without any citizen in ${call.operation}`, call);
  return { kind: 'FOUND', citizens: citizens.map((c) => c.citizen) };
}

export function lookupAnswer(a: { code: ResultCode; citizens: CitizenEntry[] }, call: CallRef): Interpreted<LookupOutcome> {
  rejectIf99(a.code, call);
  const value = toLookup(a.code, a.citizens, call);
  return { outcome: value.kind, value };
}

/** Bulk calls succeed with 00; 02 on status/result means the bulk id is unknown, which retrying will not fix. */
function requireBulkOk(code: ResultCode, call: CallRef): void {
  rejectIf99(code, call);
  if (code === RESULT_CODES.notFound) {
    throw new CallFailure(
      new RegistryRefusedError(`Population database does not know the bulk request (${call.operation}, KetQua 02)`, { ...call, resultCode: code }),
      'NOT_FOUND',
      call.httpStatus,
    );
  }
  if (code !== RESULT_CODES.match) throw malformed(`unexpected KetQua ${code} in ${call.operation}`, call);
}

export function submitAnswer(a: { code: ResultCode; bulkId: string | undefined }, call: CallRef): Interpreted<{ bulkId: string }> {
  requireBulkOk(a.code, call);
  if (!a.bulkId) throw malformed(`no bulk request id in ${call.operation}`, call);
  return { outcome: 'ACCEPTED', value: { bulkId: a.bulkId } };
}

const STATE_OF = { DANG_XU_LY: 'PENDING', HOAN_THANH: 'DONE', LOI: 'FAILED' } as const satisfies Record<BulkState, 'PENDING' | 'DONE' | 'FAILED'>;

export function statusAnswer(a: { code: ResultCode; state: BulkState | undefined }, call: CallRef): Interpreted<{ state: 'PENDING' | 'DONE' | 'FAILED' }> {
  requireBulkOk(a.code, call);
  if (!a.state) throw malformed(`no bulk request state in ${call.operation}`, call);
  // A failed bulk job is still a successful status call: the log says ACCEPTED, the value says FAILED.
  return { outcome: 'ACCEPTED', value: { state: STATE_OF[a.state] } };
}

export function resultAnswer(
  a: {
    code: ResultCode;
    state: BulkState | undefined;
    items: Array<{ index: number; code: typeof RESULT_CODES.match | typeof RESULT_CODES.notFound | typeof RESULT_CODES.rejected; citizens: CitizenEntry[] }>;
  },
  call: CallRef,
): Interpreted<{ results: Array<{ index: number; outcome: LookupOutcome }> }> {
  requireBulkOk(a.code, call);
  // Results asked for too early come back without a list: an empty list must not read as "nobody found".
  if (a.state === 'DANG_XU_LY') {
    throw upstream(`Bulk request not finished yet (${call.operation}); ask again later`, 'PENDING', 'ACCEPTED', call);
  }
  if (a.state === 'LOI') throw rejected(`Population database failed the bulk request (${call.operation}, TrangThai LOI)`, call);
  const results = a.items
    // An item the registry refused (99: malformed person) has no LookupOutcome: it is left out, and the
    // caller sees its index missing and can ask about that person on their own.
    .filter((item) => item.code !== RESULT_CODES.rejected)
    .map((item) => ({ index: item.index, outcome: toLookup(item.code, item.citizens, call) }))
    .sort((x, y) => x.index - y.index);
  return { outcome: 'FOUND', value: { results } };
}
