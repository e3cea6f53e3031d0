import { Migration } from '@mikro-orm/migrations';

/**
 * The record id expressions a connector's stored records were stored under: per record type that stores source
 * records (`child`), a hash of its mappings' `externalId` (`src/connectors/sync/record-ids.ts`), set by every sync
 * that goes ahead and by `connectors rekey`. A sync finding another expression while the connector has records
 * stored refuses to run (`CONNECTOR_RECORD_IDS_CHANGED`): it would store every record again under a new id, so
 * each child without an identity number a second time, and leave the old records as live evidence (QA). Null for
 * connectors that ran before this column: their next sync takes the current expressions, not knowing better.
 */
export class Migration20261215010000_connector_record_ids extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE connector ADD COLUMN IF NOT EXISTS record_id_hashes jsonb;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector DROP COLUMN IF EXISTS record_id_hashes;');
  }
}
