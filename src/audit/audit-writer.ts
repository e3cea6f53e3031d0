import type { Logger } from 'pino';
import { GroupCommit } from '../db/group-commit.js';
import type { Sql } from '../db/sql.js';

export type AuditAction = 'READ' | 'WRITE' | 'DENIED';

/** One audit entry. Ids and classes only: the audit says who saw which children's which kinds of data. */
export interface AuditEventInput {
  action: AuditAction;
  operation: string;
  requestId: string | null;
  subject: string;
  officerId: string | null;
  agency: string | null;
  unit: string | null;
  roles: string[];
  purpose: string | null;
  childIds: string[];
  fieldClasses: string[];
  details?: Record<string, unknown>;
}

const MAX_BATCH = 1000;

/**
 * Writes audit events with group commit: concurrent requests' events are inserted together in one
 * statement, and each request's promise resolves only once its event is durable. The gateway awaits it
 * before sending data, so no personal data leaves without its audit row.
 */
export class AuditWriter {
  private readonly commit: GroupCommit<AuditEventInput>;
  written = 0;

  constructor(
    private readonly sql: Sql,
    private readonly logger: Logger,
  ) {
    this.commit = new GroupCommit({
      write: (events) => this.insert(events),
      maxBatch: MAX_BATCH,
      // One event the database refuses must not fail the others written with it (QA: a caller's id with a NUL
      // refused other officers' reads): each is tried alone, and only those that fail alone fail.
      retryAlone: isDataError,
      onWritten: () => void this.written++,
      onFailed: (err, events) => this.logger.error({ err, events }, 'audit write failed'),
    });
  }

  write(event: AuditEventInput): Promise<void> {
    return this.commit.add(event);
  }

  private async insert(events: AuditEventInput[]): Promise<void> {
    // Text PostgreSQL cannot hold (a NUL) is written as U+FFFD: an event is kept, whatever a caller sent.
    const arr = (toText: (e: AuditEventInput) => string | null) => events.map((e) => storable(toText(e)));
    const pgArray = (xs: string[]) => `{${xs.map((x) => `"${x.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
    await this.sql.query(
      `INSERT INTO audit_event (action, operation, request_id, subject, officer_id, agency, unit, roles, purpose, child_ids, field_classes, details)
       SELECT a, o, r, s, oi, ag, u, ro::text[], p, c::text[], f::text[], d
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                     $10::text[], $11::text[], $12::jsonb[]) AS t(a, o, r, s, oi, ag, u, ro, p, c, f, d)`,
      [
        arr((e) => e.action),
        arr((e) => e.operation),
        arr((e) => e.requestId),
        arr((e) => e.subject),
        arr((e) => e.officerId),
        arr((e) => e.agency),
        arr((e) => e.unit),
        arr((e) => pgArray(e.roles)),
        arr((e) => e.purpose),
        arr((e) => pgArray(e.childIds)),
        arr((e) => pgArray(e.fieldClasses)),
        arr((e) => JSON.stringify(e.details ?? {}, (_k, v: unknown) => (typeof v === 'string' ? storable(v) : v))),
      ],
    );
  }

  /** Waits for everything queued so far to be written. */
  flush(): Promise<void> {
    return this.commit.flush();
  }
}

/**
 * `text` with every NUL, which no PostgreSQL text holds, and every half of a UTF-16 surrogate pair, which no JSON
 * PostgreSQL reads holds (QA: an auditor's filter with one made the audit of the read fail), as U+FFFD.
 */
function storable(text: string | null): string | null {
  if (text === null) return text;
  const clean = text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
  return LONE_SURROGATE.test(clean) ? clean.replace(LONE_SURROGATE_ALL, '\uFFFD') : clean;
}
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATE_ALL = /\p{Cs}/gu;

/**
 * A statement refused for the data it was given, not for the database's state: class 22 (a NUL, a malformed array
 * or JSON) or 54 (a value past a limit: an index row too large for one very long id).
 */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}
