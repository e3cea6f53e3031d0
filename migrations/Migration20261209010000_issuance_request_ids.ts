import { Migration } from '@mikro-orm/migrations';

/**
 * Each issuance request gets its own id (`iss_…`), carried by its poll jobs and part of their job ids
 * (`issuance-<issuance id>-<poll>`), which are also the polls' `identity_check.job_key`. A child's polls used to
 * be named after the child alone (`issuance-<child id>-<poll>`): once a request was closed, a later request for
 * the same child reused those names, so BullMQ dropped its first poll as a duplicate of the kept job, or the
 * poll found its key already recorded, and the new request was never polled. NULL for requests opened before
 * this migration: their queued polls keep the old names and data, and stay theirs.
 */
export class Migration20261209010000_issuance_request_ids extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE identity_issuance ADD COLUMN IF NOT EXISTS issuance_id text UNIQUE;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE identity_issuance DROP COLUMN IF EXISTS issuance_id;');
  }
}
