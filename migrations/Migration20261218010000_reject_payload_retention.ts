import { Migration } from '@mikro-orm/migrations';

/**
 * Storage limitation for the quarantine: the payload of a reject closed because its record was stored (`STORED`) or
 * read again otherwise (`SUPERSEDED`) is a copy of personal data the hub no longer needs once
 * `REJECT_PAYLOAD_RETENTION_DAYS` have passed; the workers erase it (src/services/ingest/reject-retention.ts) and
 * keep the row (ids, location, reasons, resolution, the payload's hash). An open or dismissed reject keeps its
 * payload: it is still to be mended, or a later id change rekeys it by its payload.
 */
export class Migration20261218010000_reject_payload_retention extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE rejected_record ALTER COLUMN payload DROP NOT NULL;');
    this.addSql('ALTER TABLE rejected_record ADD COLUMN IF NOT EXISTS payload_erased_at timestamptz;');
    this.addSql(`ALTER TABLE rejected_record ADD CONSTRAINT rejected_record_payload_erased_check
  CHECK ((payload IS NULL) = (payload_erased_at IS NOT NULL) AND (payload_erased_at IS NULL OR resolution IN ('STORED', 'SUPERSEDED')));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS rejected_record_erasable_idx ON rejected_record (resolved_at)
  WHERE payload_erased_at IS NULL AND resolution IN ('STORED', 'SUPERSEDED');`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS rejected_record_erasable_idx;');
    this.addSql('ALTER TABLE rejected_record DROP CONSTRAINT IF EXISTS rejected_record_payload_erased_check;');
    // An erased payload cannot come back: it is written as JSON null, so the column can be NOT NULL again.
    this.addSql(`UPDATE rejected_record SET payload = 'null' WHERE payload IS NULL;`);
    this.addSql('ALTER TABLE rejected_record DROP COLUMN IF EXISTS payload_erased_at;');
    this.addSql('ALTER TABLE rejected_record ALTER COLUMN payload SET NOT NULL;');
  }
}
