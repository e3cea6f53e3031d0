import { Migration } from '@mikro-orm/migrations';

/**
 * A connector's runs newest first, as `connectorRuns(connector:)` and `Connector.lastRun` page them (by run id, which
 * sorts by creation): read backwards along this index instead of along every connector's runs.
 */
export class Migration20261216030000_connector_run_by_connector_id extends Migration {
  override async up(): Promise<void> {
    this.addSql('CREATE INDEX IF NOT EXISTS connector_run_connector_id_idx ON connector_run (connector_id, id DESC);');
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS connector_run_connector_id_idx;');
  }
}
