import { Migration } from '@mikro-orm/migrations';

/**
 * A quarantined record can be closed by hand (`dismissRejectedRecords`): `resolution = 'DISMISSED'`, with who
 * (`resolved_by`, the caller's token subject) and why (`resolution_note`, free text a person wrote). Only a
 * dismissed row has them.
 *
 * A record read again with the payload it was dismissed with stays dismissed: the sync finds the dismissed
 * row by source system and payload hash (and the external id when there is one), hence the index, partial
 * so that it holds the few dismissed rows only and costs the quarantine of other records nothing.
 */
export class Migration20261206000000_dismissed_rejects extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE rejected_record ADD COLUMN IF NOT EXISTS resolved_by text, ADD COLUMN IF NOT EXISTS resolution_note text;`);
    this.addSql(`ALTER TABLE rejected_record DROP CONSTRAINT IF EXISTS rejected_record_resolution_check,
      ADD CONSTRAINT rejected_record_resolution_check
        CHECK ((resolved_at IS NULL) = (resolution IS NULL) AND resolution IN ('STORED', 'SUPERSEDED', 'DISMISSED')),
      ADD CONSTRAINT rejected_record_dismissal_check
        CHECK (CASE WHEN resolution = 'DISMISSED' THEN resolved_by IS NOT NULL AND resolution_note IS NOT NULL
                    ELSE resolved_by IS NULL AND resolution_note IS NULL END);`);
    this.addSql(`CREATE INDEX IF NOT EXISTS rejected_record_dismissed_idx ON rejected_record (source_system, payload_hash)
      WHERE resolution = 'DISMISSED';`);
  }

  override async down(): Promise<void> {
    // The earlier schema cannot say "dismissed". The newest dismissed row of a record with no open row opens
    // again (as it was before it was dismissed; its payload is kept); any other dismissed row was followed by
    // a reading of its record with another payload, which is what SUPERSEDED says. Who and why are dropped.
    this.addSql('DROP INDEX IF EXISTS rejected_record_dismissed_idx;');
    this.addSql(`ALTER TABLE rejected_record DROP CONSTRAINT IF EXISTS rejected_record_dismissal_check,
      DROP CONSTRAINT IF EXISTS rejected_record_resolution_check;`);
    this.addSql(`WITH d AS (
        SELECT x.id,
               row_number() OVER (PARTITION BY x.source_system, x.external_id IS NULL, coalesce(x.external_id, x.payload_hash)
                                  ORDER BY x.resolved_at DESC, x.id DESC) = 1
               AND NOT EXISTS (SELECT 1 FROM rejected_record o
                                WHERE o.resolved_at IS NULL AND o.source_system = x.source_system
                                  AND (o.external_id = x.external_id OR (x.external_id IS NULL AND o.external_id IS NULL AND o.payload_hash = x.payload_hash)))
               AS reopen
          FROM rejected_record x WHERE x.resolution = 'DISMISSED'
      )
      UPDATE rejected_record x SET resolution = CASE WHEN d.reopen THEN NULL ELSE 'SUPERSEDED' END,
             resolved_at = CASE WHEN d.reopen THEN NULL ELSE x.resolved_at END
        FROM d WHERE x.id = d.id;`);
    this.addSql('ALTER TABLE rejected_record DROP COLUMN IF EXISTS resolution_note, DROP COLUMN IF EXISTS resolved_by;');
    this.addSql(`ALTER TABLE rejected_record ADD CONSTRAINT rejected_record_resolution_check
      CHECK ((resolved_at IS NULL) = (resolution IS NULL) AND resolution IN ('STORED', 'SUPERSEDED'));`);
  }
}
