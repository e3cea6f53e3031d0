import type { Sex } from '../domain/source-record-input.js';

/**
 * Who is asking and why: every registry call is tied to a named officer, a unit, a purpose code and a
 * case reference (domain guide §7–8), and is written to the integration log.
 */
export interface CallContext {
  officerId: string;
  officerName: string;
  unit: string;
  purposeCode: string;
  caseRef: string;
  /** The child the call is about (for the integration log; never sent to the registry). */
  childId?: string | null;
}

export interface PersonQuery {
  /** 12 digits; empty for a lookup by name and birth. */
  number: string | null;
  /** Full name as the hub holds it; the transport sends it upper-case without diacritics. */
  fullName: string;
  /** ISO date, or `yyyy` when only the year is known. */
  birth: { date: string; precision: 'DAY' | 'MONTH' | 'YEAR' };
}

/** A citizen as the registry returns them, reduced to what reconciliation needs. */
export interface Citizen {
  number: string;
  familyName: string;
  middleName: string | null;
  givenName: string;
  sex: Sex | null;
  /** ISO date, or `yyyy-01-01` with precision YEAR. */
  birthDate: string | null;
  birthDatePrecision: 'DAY' | 'YEAR' | null;
}

export type VerifyOutcome =
  | { kind: 'MATCH'; citizen: Citizen | null }
  | { kind: 'MISMATCH'; fields: string[]; citizen: Citizen | null }
  | { kind: 'NOT_FOUND' };

export type LookupOutcome = { kind: 'FOUND'; citizens: Citizen[] } | { kind: 'NOT_FOUND' };

export interface CallResult<T> {
  /** `MaYeuCau` sent with the call. */
  requestId: string;
  outcome: T;
  latencyMs: number;
}

/**
 * The national population database, behind one interface: a SOAP transport today, a provincial
 * integration platform (bearer token, JSON) tomorrow, without touching callers.
 * Errors: `RateLimitedError` (429 / quota; `details.retryAfterMs`), `UpstreamUnavailableError`
 * (5xx, timeouts, malformed responses: retry later), `RegistryRejectedError` (permanent: do not retry).
 */
export interface PopulationDbClient {
  verifyCitizen(query: PersonQuery & { number: string }, ctx: CallContext): Promise<CallResult<VerifyOutcome>>;
  lookupCitizen(query: PersonQuery, ctx: CallContext): Promise<CallResult<LookupOutcome>>;
  submitBulkRequest(queries: PersonQuery[], ctx: CallContext): Promise<CallResult<{ bulkId: string }>>;
  getBulkRequestStatus(bulkId: string, ctx: CallContext): Promise<CallResult<{ state: 'PENDING' | 'DONE' | 'FAILED' }>>;
  getBulkRequestResult(bulkId: string, ctx: CallContext): Promise<CallResult<{ results: Array<{ index: number; outcome: LookupOutcome }> }>>;
}
