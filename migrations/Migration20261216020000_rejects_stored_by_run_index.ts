import { Migration } from '@mikro-orm/migrations';

/**
 * The rejects a run closed as `STORED`, by run and record: a record the same run then reads again refused (an
 * earlier file of a drop holds a valid copy, a later one the refused copy) has its row opened again, found here
 * (IngestService.openRejects), rather than a new row beside it. Partial: only rows closed by a store.
 */
export class Migration20261216020000_rejects_stored_by_run_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX IF NOT EXISTS rejected_record_stored_by_run_idx ON rejected_record (resolved_by_run_id, source_system, external_id)
      WHERE resolution = 'STORED';`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS rejected_record_stored_by_run_idx;');
  }
}
