import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes for what an operator reads of each connector's freshness (`Connector.lastNewDataAt`,
 * `lastFileIngestedAt`, `connectors list`, the per-connector gauges of `/metrics`, read on every scrape): its
 * latest ended run that stored a new or changed record (partial: the many runs that found nothing new are not
 * walked over), its latest file first ingested, and its runs waiting to start or to be tried again (a handful).
 */
export class Migration20261215020000_connector_freshness_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX IF NOT EXISTS connector_run_new_data_idx ON connector_run (connector_id, finished_at DESC)
      WHERE inserted + updated > 0 AND finished_at IS NOT NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS connector_run_waiting_idx ON connector_run (connector_id, created_at)
      WHERE status IN ('QUEUED', 'RETRYING');`);
    this.addSql('CREATE INDEX IF NOT EXISTS ingested_file_connector_at_idx ON ingested_file (connector_id, ingested_at DESC);');
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS ingested_file_connector_at_idx;');
    this.addSql('DROP INDEX IF EXISTS connector_run_waiting_idx;');
    this.addSql('DROP INDEX IF EXISTS connector_run_new_data_idx;');
  }
}
