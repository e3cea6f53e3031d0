import { Migration } from '@mikro-orm/migrations';

/**
 * The paths the mapping a connector's stored records were read with reads (every `from`, `join`, `firstOf` and `each`
 * path of its records section), set with `records_mapping_hash`. A sync of an edited definition tells by them which of
 * its paths are new: a new path of a group or projection that none of a page's records has, where records of the page
 * were stored with a value it feeds, holds the page (CONNECTOR_MAPPING_UNREAD; QA: `when: { from: khuyet_tatt }` took
 * group d's evidence from the children who had it, with no word). Null where not known (set before this column).
 */
export class Migration20261222010000_connector_records_paths extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE connector ADD COLUMN IF NOT EXISTS records_mapping_paths jsonb;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector DROP COLUMN IF EXISTS records_mapping_paths;');
  }
}
