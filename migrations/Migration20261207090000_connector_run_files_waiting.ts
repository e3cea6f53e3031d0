import { Migration } from '@mikro-orm/migrations';

/**
 * Files of a file sync's drop directory that the run left for a later sync because they were modified less
 * than the definition's `file.settleSeconds` ago (still being copied in): counted, neither read nor refused.
 */
export class Migration20261207090000_connector_run_files_waiting extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE connector_run ADD COLUMN IF NOT EXISTS files_waiting integer NOT NULL DEFAULT 0;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector_run DROP COLUMN IF EXISTS files_waiting;');
  }
}
