import { Migration } from '@mikro-orm/migrations';

/**
 * A source record's link is decided when it is ingested, and the child it names is built by the
 * golden-record stage (the `golden-record` queue) from the records linked to it: the `child` row is derived
 * data, like everything on it, and may not exist yet while its first records wait for that stage. So the
 * link no longer references `child` (a foreign key would force the child row into the ingest transaction,
 * which is what made ingest write every new child twice and spend ~25 µs of PostgreSQL per record on it).
 * Readers join through the link and see a child once it is built.
 */
export class Migration20261203000000_children_from_golden_stage extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE source_record DROP CONSTRAINT IF EXISTS source_record_child_id_fkey;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE source_record ADD CONSTRAINT source_record_child_id_fkey FOREIGN KEY (child_id) REFERENCES child(id);');
  }
}
