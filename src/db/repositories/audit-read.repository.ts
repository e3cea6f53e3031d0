import type { QueryCounter, Sql } from '../sql.js';

/** An audit event as read for `Query.auditEvents`. */
export interface AuditEventRow {
  id: string;
  occurred_at: Date;
  action: string;
  operation: string;
  request_id: string | null;
  subject: string;
  officer_id: string | null;
  agency: string | null;
  unit: string | null;
  roles: string[];
  purpose: string | null;
  child_ids: string[];
  field_classes: string[];
  details: Record<string, unknown>;
}

/** Which events to read; every filter given must hold. */
export interface AuditEventsFilter {
  childId?: string | null;
  subject?: string | null;
  officerId?: string | null;
  actions?: readonly string[] | null;
  operation?: string | null;
  since?: Date | null;
  until?: Date | null;
}

/**
 * Reads the append-only audit, newest first (by event id, which grows as events are written). The statement holds
 * only the conditions given, so each filter can use its index: `child_ids` (GIN), `subject` and `officer_id`
 * (btree with the id, so a page of one account's events is an index range), `occurred_at` (BRIN), and the primary
 * key for the order and `after`.
 */
export class AuditReadRepository {
  constructor(private readonly sql: Sql) {}

  async events(filter: AuditEventsFilter, limit: number, beforeId: string | null, counter?: QueryCounter): Promise<AuditEventRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => `$${params.push(v)}`;
    if (filter.childId) where.push(`child_ids @> ARRAY[${param(filter.childId)}::text]`);
    if (filter.subject) where.push(`subject = ${param(filter.subject)}`);
    if (filter.officerId) where.push(`officer_id = ${param(filter.officerId)}`);
    if (filter.actions?.length) where.push(`action = ANY(${param(filter.actions)}::text[])`);
    if (filter.operation) where.push(`operation = ${param(filter.operation)}`);
    if (filter.since) where.push(`occurred_at >= ${param(filter.since)}`);
    if (filter.until) where.push(`occurred_at < ${param(filter.until)}`);
    if (beforeId !== null) where.push(`id < ${param(beforeId)}::bigint`);
    return this.sql.query<AuditEventRow & Record<string, unknown>>(
      `SELECT id::text AS id, occurred_at, action, operation, request_id, subject, officer_id, agency, unit, roles, purpose, child_ids, field_classes, details
         FROM audit_event ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT ${param(limit)}`,
      params,
      counter,
    );
  }
}
