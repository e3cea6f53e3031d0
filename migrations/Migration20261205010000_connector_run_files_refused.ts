import { Migration } from '@mikro-orm/migrations';

/**
 * The files of a file sync's drop directory that the run refused whole (wrong encoding, format, headers or
 * sheets), each `{ fileName, checksum, code, message }`. The run reads the directory's other files and ends
 * FAILED with `CONNECTOR_FILES_REFUSED`; this says which files and why, one entry per file.
 */
export class Migration20261205010000_connector_run_files_refused extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE connector_run ADD COLUMN IF NOT EXISTS files_refused jsonb NOT NULL DEFAULT '[]';`);
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector_run DROP COLUMN IF EXISTS files_refused;');
  }
}
