import { Migration } from '@mikro-orm/migrations';

/**
 * A source record read from a CSV file keeps its row as the file wrote it (`raw_text`) with the layout that
 * reads it (`raw_layout`: the file's delimiter, quote and header row, stored once in `record_layout`),
 * instead of JSON of its data under every column name. That is the record as it came, and exactly what its
 * content hash was taken over; it is also a third of the bytes (191 against 560 for a birth-register row),
 * which PostgreSQL no longer parses as JSON, logs and stores. Other records keep `raw` (JSON); a record has
 * one or the other.
 *
 * No foreign key from `raw_layout`, like the rest of the ingest path's references (a trigger and a locking
 * look-up per row): ingest writes a layout in the same transaction as the first records naming it.
 */
export class Migration20261204010000_source_record_text extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE IF NOT EXISTS record_layout (
      id text PRIMARY KEY,
      format text NOT NULL CHECK (format IN ('csv')),
      delimiter text NOT NULL,
      quote text NOT NULL,
      header text NOT NULL,
      columns jsonb NOT NULL,
      first_seen_at timestamptz NOT NULL DEFAULT now()
    );`);
    this.addSql(`ALTER TABLE source_record
      ALTER COLUMN raw DROP NOT NULL,
      ADD COLUMN IF NOT EXISTS raw_text text,
      ADD COLUMN IF NOT EXISTS raw_layout text;`);
    this.addSql(`ALTER TABLE source_record ADD CONSTRAINT source_record_raw_or_text_check
      CHECK ((raw IS NULL) = (raw_text IS NOT NULL) AND (raw_text IS NULL) = (raw_layout IS NULL));`);
  }

  override async down(): Promise<void> {
    // Rebuilding JSON from rows needs their CSV parser: refuse rather than lose what they hold.
    this.addSql(`DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM source_record WHERE raw IS NULL) THEN
        RAISE EXCEPTION 'source records are stored as CSV rows (raw_text): re-ingest their files after downgrading, or keep this migration';
      END IF;
    END $$;`);
    this.addSql('ALTER TABLE source_record DROP CONSTRAINT IF EXISTS source_record_raw_or_text_check;');
    this.addSql('ALTER TABLE source_record DROP COLUMN IF EXISTS raw_layout, DROP COLUMN IF EXISTS raw_text, ALTER COLUMN raw SET NOT NULL;');
    this.addSql('DROP TABLE IF EXISTS record_layout;');
  }
}
