import { EntitySchema } from '@mikro-orm/core';

/** An append-only audit entry (the table refuses UPDATE, DELETE and TRUNCATE). */
export interface AuditEvent {
  id: string;
  occurredAt: Date;
  action: 'READ' | 'WRITE' | 'DENIED';
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
  details: Record<string, unknown>;
}

export const AuditEventEntity = new EntitySchema<AuditEvent>({
  name: 'AuditEvent',
  tableName: 'audit_event',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true, columnType: 'bigint' },
    occurredAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    action: { type: 'string' },
    operation: { type: 'string' },
    requestId: { type: 'string', nullable: true },
    subject: { type: 'string' },
    officerId: { type: 'string', nullable: true },
    agency: { type: 'string', nullable: true },
    unit: { type: 'string', nullable: true },
    roles: { type: 'string[]', columnType: 'text[]' },
    purpose: { type: 'string', nullable: true },
    childIds: { type: 'string[]', columnType: 'text[]' },
    fieldClasses: { type: 'string[]', columnType: 'text[]' },
    details: { type: 'json', columnType: 'jsonb' },
  },
});
