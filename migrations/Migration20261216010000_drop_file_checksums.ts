import { Migration } from '@mikro-orm/migrations';

/**
 * The checksums a file connector took of the files now in its drop directory, by what the file system says of
 * each (device, inode, size, modification and change times): a later sync that finds a file unchanged by all of
 * these, and its checksum among the files ingested, skips it without reading it again. Before, every sync read
 * and hashed every file of the drop (a year of daily exports: gigabytes a run). Rows of files no longer in the
 * directory are deleted by the next sync that lists it. A cache: losing it costs one read of each file.
 */
export class Migration20261216010000_drop_file_checksums extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE IF NOT EXISTS drop_file_checksum (
      connector_id text NOT NULL REFERENCES connector(id),
      file_stat text NOT NULL,
      checksum text NOT NULL,
      taken_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (connector_id, file_stat)
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS drop_file_checksum;');
  }
}
