import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes for an operator's overview of the quarantine: each connector's open rejects (`Connector.openRejects`,
 * `connectors list`: a partial index of the open rows, few next to the resolved ones), its last successful run
 * (`Connector.lastSucceededRun`: partial, so failed runs are not walked over), and `rejectedRecords` by a
 * reason's code or field (containment, `reasons @> '[{"code": …}]'`) and by when a run last read the record.
 */
export class Migration20261214020000_rejects_overview_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql('CREATE INDEX IF NOT EXISTS rejected_record_open_connector_idx ON rejected_record (connector_id) WHERE resolved_at IS NULL;');
    this.addSql('CREATE INDEX IF NOT EXISTS rejected_record_reasons_idx ON rejected_record USING gin (reasons jsonb_path_ops);');
    this.addSql('CREATE INDEX IF NOT EXISTS rejected_record_last_seen_idx ON rejected_record (last_seen_at);');
    this.addSql(`CREATE INDEX IF NOT EXISTS connector_run_succeeded_idx ON connector_run (connector_id, created_at DESC)
      WHERE status = 'SUCCEEDED';`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS connector_run_succeeded_idx;');
    this.addSql('DROP INDEX IF EXISTS rejected_record_last_seen_idx;');
    this.addSql('DROP INDEX IF EXISTS rejected_record_reasons_idx;');
    this.addSql('DROP INDEX IF EXISTS rejected_record_open_connector_idx;');
  }
}
