import { Migration } from '@mikro-orm/migrations';

/**
 * Reconciliation looks children up by their current number (conflict detection: the same verified number
 * on two children). Without this index every verification scanned the child table, and at 100,000
 * children PostgreSQL, not the registry quota, set the pace.
 */
export class Migration20261125020000_identity_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX child_identity_number_idx ON child (identity_number) WHERE identity_number IS NOT NULL AND status = 'ACTIVE';`);
    // A worker relays only its queues' topics: it must find their pending rows without reading the others'.
    this.addSql(`CREATE INDEX outbox_pending_topic_idx ON outbox (topic, id) WHERE relayed_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS child_identity_number_idx, outbox_pending_topic_idx;');
  }
}
