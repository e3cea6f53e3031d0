import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { CallContext, CallResult } from './population-db.client.js';
import type { OperationName } from './protocol.js';
import { CallFailure, type Interpreted } from './registry-answer.js';
import type { RegistryCallLog, RegistryCallOutcome } from './registry-call.log.js';
import { errorReason } from '../util/error-reason.js';

/** What a transport gives {@link loggedCall}. */
export interface LoggedCallDeps {
  /** `registry_call.transport`. */
  transport: string;
  log: Pick<RegistryCallLog, 'begin' | 'record'>;
  /** Where a failed integration-log write is reported. */
  logger: Logger;
  now: () => Date;
}

/** The HTTP status of the answer, once one arrived: the exchange sets it so a failure after it still has it. */
export interface ExchangeState {
  httpStatus: number | null;
}

/**
 * One registry call with its integration-log row, whatever the transport: a fresh request id (`MaYeuCau`),
 * the start time, the call's start written to the log before anything is sent (when that cannot be written,
 * nothing is sent: {@link RegistryCallNotLoggedError}), the exchange itself (request, error mapping, parsing), and
 * one `registry_call` row for every outcome, failures included. If writing that row fails, that is reported but
 * never replaces the call's own result or error: the start stays on record and the identity sweep closes it as
 * `UNKNOWN`. A failure other than a {@link CallFailure} (a bug on our side, after the request went out) is logged
 * as UPSTREAM_ERROR and rethrown as it is.
 */
export async function loggedCall<T>(
  deps: LoggedCallDeps,
  operation: OperationName,
  ctx: CallContext,
  exchange: (requestId: string, startedAt: Date, state: ExchangeState) => Promise<Interpreted<T>>,
): Promise<CallResult<T>> {
  const requestId = randomUUID();
  const start = {
    requestId,
    operation,
    transport: deps.transport,
    childId: ctx.childId ?? null,
    officerId: ctx.officerId,
    unit: ctx.unit,
    purposeCode: ctx.purposeCode,
    caseRef: ctx.caseRef,
    startedAt: deps.now(),
  };
  try {
    await deps.log.begin(start);
  } catch (err) {
    throw new RegistryCallNotLoggedError(err);
  }
  const { startedAt } = start;
  const t0 = performance.now();
  const state: ExchangeState = { httpStatus: null };
  let outcome: RegistryCallOutcome;
  let result: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    const interpreted = await exchange(requestId, startedAt, state);
    outcome = interpreted.outcome;
    result = { ok: true, value: interpreted.value };
  } catch (err) {
    if (err instanceof CallFailure) {
      outcome = err.outcome;
      state.httpStatus = err.httpStatus ?? state.httpStatus;
      result = { ok: false, error: err.error };
    } else {
      outcome = 'UPSTREAM_ERROR';
      result = { ok: false, error: err };
    }
  }
  const latencyMs = Math.round(performance.now() - t0);
  try {
    await deps.log.record({ ...start, outcome, httpStatus: state.httpStatus, latencyMs });
  } catch (logErr) {
    deps.logger.error({ err: logErr, requestId, operation, outcome }, 'population-db call could not be written to the integration log');
  }
  if (!result.ok) throw result.error;
  return { requestId, outcome: result.value, latencyMs };
}

/**
 * A registry call not made because its start could not be written to the integration log first (the database is
 * away): the law asks for a record of every call, so none is made without one. Weather: the job is retried.
 */
export class RegistryCallNotLoggedError extends Error {
  readonly code = 'REGISTRY_CALL_NOT_LOGGED';

  constructor(cause: unknown) {
    // The reason after a colon, not in parentheses, which logs redact as values (QA re-check).
    super(`The population database was not called: the call could not be written to the integration log first: ${errorReason(cause)}`, { cause });
    this.name = 'RegistryCallNotLoggedError';
  }
}
