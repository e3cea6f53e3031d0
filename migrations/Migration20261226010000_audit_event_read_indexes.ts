import { Migration } from '@mikro-orm/migrations';

/**
 * The audit and the registry call log become readable over GraphQL (`Query.auditEvents`, `Query.registryCalls`, for
 * auditors), newest first: by (time, id), which each page's cursor continues from. These btree indexes give every
 * filter a range read in that order, where the tables (every read of every child, every registry call, never deleted)
 * would otherwise be read whole and sorted (QA: 2.3 million events, 1-2 s a query): the time order itself (the BRIN
 * index finds blocks, not an order), and within one subject, officer, action or operation. A child's events are found
 * by `audit_event_children_idx` (GIN) and its registry calls by `registry_call_child_idx`.
 */
export class Migration20261226010000_audit_event_read_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_time_id_idx ON audit_event (occurred_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_subject_idx ON audit_event (subject, occurred_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_officer_idx ON audit_event (officer_id, occurred_at, id) WHERE officer_id IS NOT NULL;');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_action_idx ON audit_event (action, occurred_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS audit_event_operation_idx ON audit_event (operation, occurred_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS registry_call_time_id_idx ON registry_call (started_at, id);');
    this.addSql('CREATE INDEX IF NOT EXISTS registry_call_officer_idx ON registry_call (officer_id, started_at, id);');
  }

  override async down(): Promise<void> {
    for (const index of ['registry_call_officer_idx', 'registry_call_time_id_idx', 'audit_event_operation_idx', 'audit_event_action_idx',
      'audit_event_officer_idx', 'audit_event_subject_idx', 'audit_event_time_id_idx']) {
      this.addSql(`DROP INDEX IF EXISTS ${index};`);
    }
  }
}
