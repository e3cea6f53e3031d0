import { Migration } from '@mikro-orm/migrations';

/**
 * The flagged records of each child (`children(filter: { recordFlags })`: a steward's list of records kept apart from
 * the child carrying their number, say). Partial: most records carry no flag, and cost the index nothing as they are
 * written.
 */
export class Migration20261228020000_source_record_flagged_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX IF NOT EXISTS source_record_flagged_idx ON source_record (child_id) WHERE flags <> '[]'::jsonb;`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS source_record_flagged_idx;');
  }
}
