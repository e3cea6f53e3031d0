import { Migration } from '@mikro-orm/migrations';

/**
 * The audit becomes readable over GraphQL (`Query.auditEvents`, for auditors): "what did this account or officer
 * read?" pages newest first by event id within one subject's or officer's events. These two indexes answer it with
 * an index scan, where the table (every read of every child, never deleted) would otherwise be read whole. "Who read
 * this child?" already has `audit_event_children_idx`, and a time window the BRIN index on `occurred_at`.
 *
 * Kept as it ran; `Migration20261226020000_audit_read_order` replaces these indexes (pages are read in (time, id) order).
 */
export class Migration20261226010000_audit_event_read_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_subject_idx ON audit_event (subject, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_officer_idx ON audit_event (officer_id, id) WHERE officer_id IS NOT NULL;');
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS audit_event_officer_idx;');
    this.addSql('DROP INDEX IF EXISTS audit_event_subject_idx;');
  }
}
