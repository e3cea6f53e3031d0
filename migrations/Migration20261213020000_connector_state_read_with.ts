import { Migration } from '@mikro-orm/migrations';

/**
 * The mapping every page behind a connector's checkpoint was read with (`connector.state_read_with`, null: not
 * known, or mixed), kept with the checkpoint at each stored page. A read going on from a checkpoint that another
 * mapping began records no mapping as its records' (`records_mapping_hash` cleared), and the next sync reads the
 * whole source (QA: a forced read begun by a worker with the older definition, or a failed first read, went on
 * under the edited one and recorded it, while the records of its first pages kept the older mapping for good).
 */
export class Migration20261213020000_connector_state_read_with extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE connector ADD COLUMN IF NOT EXISTS state_read_with text;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector DROP COLUMN IF EXISTS state_read_with;');
  }
}
