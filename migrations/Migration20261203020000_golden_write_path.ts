import { Migration } from '@mikro-orm/migrations';

/**
 * The golden-record stage writes an identity-number history row and group memberships for the children it
 * builds, each naming the source record it came from. Like projections, they are derived from a record the
 * same code read in the same transaction, and source records are never deleted: the foreign-key check (a
 * trigger and a locking lookup per row, ~6 µs) goes. The references to `child` stay: the stage writes the
 * child first, and they guard the history of a child's numbers.
 */
export class Migration20261203020000_golden_write_path extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE identity_number DROP CONSTRAINT IF EXISTS identity_number_source_record_id_fkey;');
    this.addSql('ALTER TABLE special_circumstance DROP CONSTRAINT IF EXISTS special_circumstance_source_record_id_fkey;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE identity_number ADD CONSTRAINT identity_number_source_record_id_fkey FOREIGN KEY (source_record_id) REFERENCES source_record(id);');
    this.addSql('ALTER TABLE special_circumstance ADD CONSTRAINT special_circumstance_source_record_id_fkey FOREIGN KEY (source_record_id) REFERENCES source_record(id);');
  }
}
