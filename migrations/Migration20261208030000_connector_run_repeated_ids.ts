import { Migration } from '@mikro-orm/migrations';

/**
 * Records of a run whose id came again in the same run with other content (a file that lists an id twice, two
 * files of one drop that overlap): the later copy replaced the earlier one and is flagged REPEATED_ID. Counted
 * per run, with the other counts, so that the run history and the CLI say so, not only the worker's log.
 */
export class Migration20261208030000_connector_run_repeated_ids extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE connector_run ADD COLUMN IF NOT EXISTS repeated_ids integer NOT NULL DEFAULT 0;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector_run DROP COLUMN IF EXISTS repeated_ids;');
  }
}
