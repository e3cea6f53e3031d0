import type { Logger } from 'pino';
import type { Sql } from '../db/sql.js';

export type AuditAction = 'READ' | 'WRITE' | 'DENIED' | 'REGISTRY_CALL';

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

interface Pending {
  event: AuditEventInput;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const MAX_BATCH = 1000;

/**
 * Writes audit events with group commit: concurrent requests' events are inserted together in one
 * statement, and each request's promise resolves only once its event is durable. The gateway awaits it
 * before sending data, so no personal data leaves without its audit row.
 */
export class AuditWriter {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  written = 0;

  constructor(
    private readonly sql: Sql,
    private readonly logger: Logger,
  ) {}

  write(event: AuditEventInput): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.running ??= this.drain().finally(() => {
        this.running = null;
      });
    });
  }

  private async drain(): Promise<void> {
    // Yield once so events from requests finishing in the same tick join the first batch.
    await new Promise<void>((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.insert(batch.map((p) => p.event));
        this.written += batch.length;
        for (const p of batch) p.resolve();
      } catch (err) {
        // One event the database refuses must not fail the others written with it (QA: a caller's id with a
        // NUL refused other officers' reads): each is tried alone, and only those that fail alone fail.
        if (batch.length > 1 && isDataError(err)) await this.oneByOne(batch);
        else this.fail(batch, err);
      }
    }
  }

  private async oneByOne(batch: Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        await this.insert([p.event]);
        this.written++;
        p.resolve();
      } catch (err) {
        this.fail([p], err);
      }
    }
  }

  private fail(batch: Pending[], err: unknown): void {
    this.logger.error({ err, events: batch.length }, 'audit write failed');
    for (const p of batch) p.reject(err);
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
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }
}

/** `text` with every NUL, which no PostgreSQL text holds, as U+FFFD. */
function storable(text: string | null): string | null {
  return text !== null && text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

/**
 * A statement refused for the data it was given, not for the database's state: class 22 (a NUL, a malformed array
 * or JSON) or 54 (a value past a limit: an index row too large for one very long id).
 */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}
