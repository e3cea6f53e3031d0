import { Migration } from '@mikro-orm/migrations';

/**
 * What a file being read held, for mappings with `wholeLists` (src/connectors/sync/whole-lists.ts): the external ids
 * of its records, whether each was read valid and whether its record was marked absent then, written with each
 * chunk's checkpoint, read and deleted when the file is done. An empty id stands for a record whose id could not be
 * read. No name or other personal value: ids only, as the source gave them.
 */
export class Migration20261217010000_file_listed_records extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE IF NOT EXISTS file_listed_record (
  connector_id text NOT NULL REFERENCES connector(id),
  checksum text NOT NULL,
  external_id text NOT NULL,
  valid boolean NOT NULL,
  was_absent boolean NOT NULL,
  PRIMARY KEY (connector_id, checksum, external_id)
);`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS file_listed_record;');
  }
}
