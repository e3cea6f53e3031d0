import { Migration } from '@mikro-orm/migrations';

/**
 * A sync that reads a whole source first loads every stored key with its content hash (KnownRecords). Read
 * from the table, that is a scan of every source record (about 1 KB each: 1.1 s per million here); carried
 * in the unique index on (source_system, external_id), it is an index-only scan (0.2–0.4 s per million, and
 * the load is then bound by the sync parsing it: 1.2 → 0.65 s). The index grows by the 43-character hash
 * (≈ 50 → 116 MB per million records). The constraint keeps its name, so upserts' conflict target is unchanged.
 * The index is rebuilt inside the migrations' transaction, locking `source_record` meanwhile: about 2.2 s per
 * million records here.
 */
export class Migration20261203030000_known_records_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'ALTER TABLE source_record DROP CONSTRAINT source_record_source_system_external_id_key, ' +
        'ADD CONSTRAINT source_record_source_system_external_id_key UNIQUE (source_system, external_id) INCLUDE (content_hash);',
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      'ALTER TABLE source_record DROP CONSTRAINT source_record_source_system_external_id_key, ' +
        'ADD CONSTRAINT source_record_source_system_external_id_key UNIQUE (source_system, external_id);',
    );
  }
}
