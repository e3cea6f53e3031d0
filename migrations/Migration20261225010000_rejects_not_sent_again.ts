import { Migration } from '@mikro-orm/migrations';

/**
 * A quarantined record a complete read of its whole source no longer met is closed by that read
 * (`resolution = 'NOT_SENT_AGAIN'`, `resolved_by_run_id` the read): an HTTP connector with `removals` whose full
 * read returned neither it nor (without an external id) its payload. Before, a reject without an id stayed open
 * after its source fixed the record, since nothing can tell which stored record it became, until someone
 * dismissed it by hand. Its payload is erased after `REJECT_PAYLOAD_RETENTION_DAYS`, as a `STORED` or `SUPERSEDED` one's.
 */
export class Migration20261225010000_rejects_not_sent_again extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE rejected_record DROP CONSTRAINT IF EXISTS rejected_record_resolution_check,
      ADD CONSTRAINT rejected_record_resolution_check
        CHECK ((resolved_at IS NULL) = (resolution IS NULL) AND resolution IN ('STORED', 'SUPERSEDED', 'DISMISSED', 'NOT_SENT_AGAIN'));`);
    // Its payload, a copy of personal data the hub no longer needs, is erased after REJECT_PAYLOAD_RETENTION_DAYS as a
    // STORED or SUPERSEDED one's is (reject-retention.ts), found by the same partial index.
    this.addSql(`ALTER TABLE rejected_record DROP CONSTRAINT IF EXISTS rejected_record_payload_erased_check,
      ADD CONSTRAINT rejected_record_payload_erased_check
        CHECK ((payload IS NULL) = (payload_erased_at IS NOT NULL) AND (payload_erased_at IS NULL OR resolution IN ('STORED', 'SUPERSEDED', 'NOT_SENT_AGAIN')));`);
    this.addSql('DROP INDEX IF EXISTS rejected_record_erasable_idx;');
    this.addSql(`CREATE INDEX rejected_record_erasable_idx ON rejected_record (resolved_at)
      WHERE payload_erased_at IS NULL AND resolution IN ('STORED', 'SUPERSEDED', 'NOT_SENT_AGAIN');`);
  }

  override async down(): Promise<void> {
    // The earlier schema cannot say "not sent again": the newest such row of a record with no open row, its payload
    // kept, opens again (as it was before the read closed it); any other was followed by another reading of its
    // record, or lost what it held, and is closed as SUPERSEDED.
    this.addSql(`WITH d AS (
        SELECT x.id,
               x.payload_erased_at IS NULL
               AND row_number() OVER (PARTITION BY x.source_system, x.external_id IS NULL, coalesce(x.external_id, x.payload_hash)
                                      ORDER BY x.resolved_at DESC, x.id DESC) = 1
               AND NOT EXISTS (SELECT 1 FROM rejected_record o
                                WHERE o.resolved_at IS NULL AND o.source_system = x.source_system
                                  AND (o.external_id = x.external_id OR (x.external_id IS NULL AND o.external_id IS NULL AND o.payload_hash = x.payload_hash)))
               AS reopen
          FROM rejected_record x WHERE x.resolution = 'NOT_SENT_AGAIN'
      )
      UPDATE rejected_record x SET resolution = CASE WHEN d.reopen THEN NULL ELSE 'SUPERSEDED' END,
             resolved_at = CASE WHEN d.reopen THEN NULL ELSE x.resolved_at END,
             resolved_by_run_id = CASE WHEN d.reopen THEN NULL ELSE x.resolved_by_run_id END
        FROM d WHERE x.id = d.id;`);
    this.addSql(`ALTER TABLE rejected_record DROP CONSTRAINT IF EXISTS rejected_record_resolution_check,
      ADD CONSTRAINT rejected_record_resolution_check
        CHECK ((resolved_at IS NULL) = (resolution IS NULL) AND resolution IN ('STORED', 'SUPERSEDED', 'DISMISSED'));`);
    this.addSql(`ALTER TABLE rejected_record DROP CONSTRAINT IF EXISTS rejected_record_payload_erased_check,
      ADD CONSTRAINT rejected_record_payload_erased_check
        CHECK ((payload IS NULL) = (payload_erased_at IS NOT NULL) AND (payload_erased_at IS NULL OR resolution IN ('STORED', 'SUPERSEDED')));`);
    this.addSql('DROP INDEX IF EXISTS rejected_record_erasable_idx;');
    this.addSql(`CREATE INDEX rejected_record_erasable_idx ON rejected_record (resolved_at)
      WHERE payload_erased_at IS NULL AND resolution IN ('STORED', 'SUPERSEDED');`);
  }
}
