import { Migration } from '@mikro-orm/migrations';

/**
 * The mapping a connector's stored records were read with (`LoadedConnector.mappingHash`: its records section
 * and the hub's mapping rules), set by a read of the whole source that finished. A sync that finds the mapping
 * changed since (a definition edited, or an upgrade whose mapping rules differ) reads the whole source again, so
 * the stored records take the new mapping (QA: after an upgrade, children kept groups the older mappings gave
 * until someone forced a read, and incremental syncs and ingested files never touched them). Null for
 * connectors that ran before this column: not known, so their next sync reads everything again once.
 */
export class Migration20261213010000_connector_records_mapping extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE connector ADD COLUMN IF NOT EXISTS records_mapping_hash text;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector DROP COLUMN IF EXISTS records_mapping_hash;');
  }
}
