import tty from 'node:tty';
import pino, { type Logger, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import { AppError } from '../errors/app-error.js';
import { fileLabel, locationLabel } from '../connectors/file/file-label.js';

/**
 * Keys whose values are personal data or secrets. Matched case-insensitively at any depth of a log
 * object, so a new call site cannot leak a child's name by nesting it. Keep this list generous: a
 * redacted harmless value costs nothing, a leaked name cannot be taken back.
 */
const SENSITIVE_KEYS = new Set(
  [
    'name', 'fullName', 'familyName', 'middleName', 'givenName', 'nameFolded', 'fatherName', 'motherName',
    'carerName', 'guardianName', 'finderName', 'identityNumber', 'number', 'numbers', 'personalNumber',
    'cccd', 'cmnd', 'bhyt', 'healthInsuranceNumber', 'studentCode', 'address', 'addresses', 'phone', 'email',
    'birthDate', 'dateOfBirth', 'dob', 'raw', 'rawJson', 'rawText', 'raw_text', 'text', 'row', 'payload', 'value', 'values', 'diagnosis', 'disability',
    'condition', 'religion', 'ethnicity', 'token', 'accessToken', 'authorization', 'password', 'secret',
    'apiKey', 'cookie', 'variables', 'query', 'parameters', 'params', 'detail', 'where',
  ].map((k) => k.toLowerCase()),
);

/**
 * Keys whose values are a drop file's name, or a record's location naming one (`<file> row 3`). Agencies name
 * files after a child (`khai-sinh-NGUYEN-VAN-AN-001322711590.csv`), so a file name is not safe as such: the
 * reader logs names by their label already ({@link fileLabel}: the child's name and number `[withheld]`), and
 * these keys are labelled here again, so a call site logging a real name leaks nothing either.
 */
const FILE_NAME_KEYS = new Set(['file', 'filename', 'file_name', 'files', 'filenames']);
const LOCATION_KEYS = new Set(['location', 'locations']);

const REDACTED = '[redacted]';

/** A value under a file-name or location key: its strings labelled (a list of them too). */
function labelled(value: unknown, label: (s: string) => string): unknown {
  if (typeof value === 'string') return label(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map((v: string) => label(v));
  return undefined;
}

const MAX_DEPTH = 8;

function scrub(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (value instanceof Error) return serializeError(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = k.toLowerCase();
    if (SENSITIVE_KEYS.has(key)) out[k] = REDACTED;
    else out[k] = (FILE_NAME_KEYS.has(key) ? labelled(v, fileLabel) : LOCATION_KEYS.has(key) ? labelled(v, locationLabel) : undefined) ?? scrub(v, depth + 1);
  }
  return out;
}

/**
 * Errors are logged by type, code, message and stack only. Database and validation messages can quote
 * the offending value (`invalid input syntax for type date: "…"`), so quoted fragments are removed, except
 * from the hub's errors whose class vouches for its messages ({@link AppError.messageIsSafe}): a refusal's
 * `(invalid_client)` or a retry's `(last: HTTP 500)` is what the engineer reading it needs. Such a class
 * vouches for the file names in its messages only because the file reader writes them as their labels
 * ({@link fileLabel}); a message is not scanned for file names here.
 */
export function serializeError(err: Error): Record<string, unknown> {
  const e = err as Error & { code?: unknown; cause?: unknown; storableMessage?: unknown };
  // `storableMessage`: a message already made safe where the error was built (an AppError's own, or a job's
  // failure rebuilt from one: see connector-sync.processor.ts).
  const message = typeof e.storableMessage === 'string'
    ? e.storableMessage
    : err instanceof AppError && err.messageIsSafe ? String(e.message ?? '') : redactMessage(String(e.message ?? ''));
  return {
    type: e.name,
    code: typeof e.code === 'string' || typeof e.code === 'number' ? e.code : undefined,
    message,
    // The stack repeats the message on its first line; the frames after it are code locations.
    stack: e.stack ? e.stack.replace(String(e.message ?? ''), message) : undefined,
    cause: e.cause instanceof Error ? serializeError(e.cause) : undefined,
  };
}

/**
 * An error as a log keeps an expected outcome of the hub's (a file refused, a run failed on one): code, type and
 * message, without the stack, which locates the hub's code and tells an engineer nothing. Any other error keeps it.
 */
export function loggedOutcome(err: unknown): Record<string, unknown> {
  const e = serializeError(err instanceof Error ? err : new Error(String(err)));
  if (!(err instanceof AppError)) return e;
  const { stack: _stack, ...told } = e;
  return told;
}

function errorSerializer(v: unknown): unknown {
  return v instanceof Error ? serializeError(v) : v;
}

/** Removes quoted and parenthesised fragments, where messages carry the values they complain about. */
export function redactMessage(s: string): string {
  return s.replace(/"[^"\n]*"|'[^'\n]*'|«[^»\n]*»|\([^()\n]*\)/g, '[redacted]');
}

export interface LoggerSettings {
  level?: string;
  format?: 'json' | 'pretty';
  /** Where to write; defaults to stdout. Tests pass a stream to capture output. */
  destination?: pino.DestinationStream;
  /** The file descriptor to write to when no destination is given: 1 (stdout, the default) or 2 (stderr). */
  fd?: 1 | 2;
}

/** Builds the hub's pino logger with personal-data redaction applied to every record. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: 'childhub' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: errorSerializer, error: errorSerializer },
    formatters: {
      log: (obj) => scrub(obj, 0) as Record<string, unknown>,
    },
    // Belt and braces for the common HTTP shapes pino-http style objects take.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], censor: REDACTED },
  };
  if (settings.destination) return pino(options, settings.destination);
  const fd = settings.fd ?? 1;
  if (settings.format === 'pretty') {
    // In this thread and written synchronously, not through a transport's worker thread: a line logged just
    // before process.exit (the shutdown's "stopping the local redis-server") is written, also to a file (QA:
    // missing from demo.log). Colour only on a terminal (QA: escape codes in demo.log), and never with NO_COLOR.
    const colorize = tty.isatty(fd) && !process.env.NO_COLOR;
    return pino(options, pinoPretty({ colorize, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,service', destination: fd, sync: true }));
  }
  return fd === 1 ? pino(options) : pino(options, pino.destination({ fd, sync: true }));
}

let root: Logger | undefined;
/** The process-wide logger; `setRootLogger` replaces it (the CLI configures it from settings). */
export function logger(): Logger {
  root ??= createLogger({ level: process.env.LOG_LEVEL ?? 'info' });
  return root;
}
export function setRootLogger(l: Logger): void {
  root = l;
}
