import { Migration } from '@mikro-orm/migrations';

/**
 * The paths of groups and projections some record of the pages behind a connector's checkpoint had
 * (`connector.state_paths_had`, saved with `state` and `state_read_with`). A read going on from that checkpoint with the
 * same mapping starts from them: a path a page before a stop had is no misspelling, and a whole read finished after a
 * resume records it as read (before, such a path stayed "new" until the next whole read). Null: none known.
 */
export class Migration20261224010000_connector_state_paths_had extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE connector ADD COLUMN IF NOT EXISTS state_paths_had jsonb;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector DROP COLUMN IF EXISTS state_paths_had;');
  }
}
