import { RATE_LIMIT_ERROR, UnrecoverableError } from 'bullmq';
import { AppError } from '../../src/errors/app-error.js';
import type { RetryDelayCarrier } from '../sync-retry-backoff.js';
import type { JobProcessor } from './index.js';

/** What a job's failure says in place of a message that may quote data. */
export const WITHHELD_MESSAGE = "message withheld: it may quote data (the worker's log has the error, redacted)";

/** The errors {@link storableJobError} made: thrown on as they are. */
const made = new WeakSet<Error>();

/** BullMQ's errors that steer a job (delayed, waiting, rate-limited) rather than fail it: never stored as a failure. */
function steersJob(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'DelayedError' || err.name === 'WaitingError' || err.name === 'WaitingChildrenError' || err.message === RATE_LIMIT_ERROR;
}

/** A code as the hub, PostgreSQL (SQLSTATE) or Node sets one: a short token, never free text. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && Number.isFinite(code)) return String(code);
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
}

/**
 * The message of `err` as a job's failure may keep it: BullMQ stores a failed job's `failedReason` and stack in Redis
 * for 30 days, where the hub's redaction of logs does not reach. The error's code and, when its message is known to
 * hold no data — the hub's own words ({@link AppError.messageIsSafe}), or one made safe where it was built
 * (`storableMessage`) — that message; any other (a PostgreSQL error quoting a value, a registry's message) gives
 * only its code (PostgreSQL's SQLSTATE) and {@link WITHHELD_MESSAGE}.
 */
export function storableJobMessage(err: unknown): string {
  const code = codeOf(err);
  const e = err as { storableMessage?: unknown; severity?: unknown; name?: unknown } | null;
  const safe = typeof e?.storableMessage === 'string'
    ? e.storableMessage
    : err instanceof AppError && err.messageIsSafe ? err.message : null;
  if (safe !== null) return code === undefined || safe.startsWith(`${code}: `) ? safe : `${code}: ${safe}`;
  // node-postgres' DatabaseError: its code is the SQLSTATE (`22007`, `23505`), its name a bare `error`.
  const pg = typeof e?.severity === 'string' && code !== undefined && /^[0-9A-Z]{5}$/.test(code);
  const name = typeof e?.name === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(e.name) ? e.name : 'Error';
  return `${pg ? `PostgreSQL ${code}` : code ?? name}: ${WITHHELD_MESSAGE}`;
}

/** The code locations of `err`'s stack (`    at fn (file:line:col)`), without the message it begins with. */
function framesOf(err: unknown): string {
  const { stack, message } = (err ?? {}) as { stack?: unknown; message?: unknown };
  if (typeof stack !== 'string') return '';
  const at = typeof message === 'string' && message !== '' ? stack.indexOf(message) : -1;
  const rest = at >= 0 ? stack.slice(at + (message as string).length) : stack;
  return rest.split('\n').filter((l) => /^\s+at \S/.test(l)).map((l) => `\n${l}`).join('');
}

/**
 * `err` as a processor throws it to BullMQ: an error whose message is {@link storableJobMessage}, whose stack is that
 * message and `err`'s code locations, carrying `err`'s `code` and a retry delay (`retryDelayMs`, the connector-sync
 * backoff's); an `UnrecoverableError` (no retry) when `err` is one or `unrecoverable` says so. `err` itself is its
 * `cause`, which BullMQ does not store, for the worker's log (redacted there). BullMQ's errors that steer a job
 * (`DelayedError`, `WaitingChildrenError`, rate limiting), and errors made here, are returned as they are.
 */
export function storableJobError(err: unknown, opts: { unrecoverable?: boolean; retryDelayMs?: number } = {}): Error {
  if (steersJob(err)) return err as Error;
  if (err instanceof Error && made.has(err) && opts.unrecoverable === undefined && opts.retryDelayMs === undefined) return err;
  const message = storableJobMessage(err);
  const unrecoverable = opts.unrecoverable ?? (err instanceof UnrecoverableError || (err as { name?: unknown } | null)?.name === 'UnrecoverableError');
  const safe = unrecoverable ? new UnrecoverableError(message) : new Error(message);
  safe.stack = `${safe.name}: ${message}${framesOf(err)}`;
  Object.defineProperty(safe, 'cause', { value: err, enumerable: false, writable: true, configurable: true });
  const code = codeOf(err);
  const carried = (err as RetryDelayCarrier | null)?.retryDelayMs;
  const retryDelayMs = opts.retryDelayMs ?? (typeof carried === 'number' ? carried : undefined);
  // `storableMessage`: the worker's log keeps it as it is, not redacted a second time.
  Object.assign(safe, { storableMessage: message, ...(code !== undefined ? { code } : {}), ...(retryDelayMs !== undefined ? { retryDelayMs } : {}) });
  made.add(safe);
  return safe;
}

/** The error a processor failed with, behind the one {@link storableJobError} made of it: what the worker logs. */
export function originalJobError(err: Error): unknown {
  return made.has(err) ? err.cause : err;
}

/** `processor`, failing with {@link storableJobError}s only: what every queue's worker runs. */
export function withStorableErrors(processor: JobProcessor): JobProcessor {
  return async (job, token, signal) => {
    try {
      return await processor(job, token, signal);
    } catch (err) {
      throw storableJobError(err);
    }
  };
}
