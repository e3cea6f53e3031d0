import { Migration } from '@mikro-orm/migrations';

/**
 * A queued connector run is told alive or lost by its outbox message: not relayed yet, or relayed into a job the
 * queue still holds (the job id is derived from the message's row id). Requests for a sync look that message up
 * for each run of the connector still QUEUED, and a starting worker for every one; the outbox is never pruned and
 * holds mostly `golden-record` and `identity` rows, so without an index each look-up would read all of it. Partial:
 * only `connector.sync` rows, one per queued run, so the index stays tiny.
 */
export class Migration20261209050000_outbox_connector_sync_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX IF NOT EXISTS outbox_connector_sync_idx ON outbox (aggregate_id) WHERE topic = 'connector.sync';`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS outbox_connector_sync_idx;');
  }
}
