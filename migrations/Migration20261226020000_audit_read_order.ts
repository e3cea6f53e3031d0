import { Migration } from '@mikro-orm/migrations';

/**
 * The audit and the registry call log are read newest first by (time, id) (`Query.auditEvents`,
 * `Query.registryCalls`), each page's cursor continuing from its last row. These btree indexes give every filter a
 * range read in that order, where the tables (every read of every child, every registry call, never deleted) would
 * otherwise be read whole and sorted (QA: 2.3 million events, 0.6-1.9 s a page; an outcome of the call log, a
 * sequential scan): the time order itself (the BRIN indexes find blocks, not an order), and within one subject,
 * officer, action or operation of the audit, or one officer or outcome of the call log. A child's events are found by
 * `audit_event_children_idx` (GIN) and its calls by `registry_call_child_idx`. The previous migration's indexes, in
 * id order, are replaced.
 *
 * No code ever wrote `REGISTRY_CALL` into the audit (registry calls have their own log), and the API does not list it:
 * new rows are refused it (NOT VALID: rows written before are not checked, and there are none).
 */
export class Migration20261226020000_audit_read_order extends Migration {
  override async up(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS audit_event_subject_idx;');
    this.addSql('DROP INDEX IF EXISTS audit_event_officer_idx;');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_time_id_idx ON audit_event (occurred_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_subject_time_idx ON audit_event (subject, occurred_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_officer_time_idx ON audit_event (officer_id, occurred_at, id) WHERE officer_id IS NOT NULL;');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_action_time_idx ON audit_event (action, occurred_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_operation_time_idx ON audit_event (operation, occurred_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS registry_call_time_id_idx ON registry_call (started_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS registry_call_officer_time_idx ON registry_call (officer_id, started_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS registry_call_outcome_time_idx ON registry_call (outcome, started_at, id);');
    this.addSql(`ALTER TABLE audit_event ADD CONSTRAINT audit_event_action_written CHECK (action IN ('READ', 'WRITE', 'DENIED')) NOT VALID;`);
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE audit_event DROP CONSTRAINT IF EXISTS audit_event_action_written;');
    for (const index of ['registry_call_outcome_time_idx', 'registry_call_officer_time_idx', 'registry_call_time_id_idx', 'audit_event_operation_time_idx',
      'audit_event_action_time_idx', 'audit_event_officer_time_idx', 'audit_event_subject_time_idx', 'audit_event_time_id_idx']) {
      this.addSql(`DROP INDEX IF EXISTS ${index};`);
    }
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_subject_idx ON audit_event (subject, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_officer_idx ON audit_event (officer_id, id) WHERE officer_id IS NOT NULL;');
  }
}
