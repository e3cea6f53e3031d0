import { Migration } from '@mikro-orm/migrations';

/**
 * A facility's facts (name, type, commune, licence, capacity) are as of its latest inspection: `facts_as_of`, the
 * date `Facility.source.sourceUpdatedAt` says (QA: a 2023 inspection report read after the 2026 one gave the
 * facility its 2023 registration and capacity). Facilities stored before are left without a date: which report
 * their facts came from was not kept (the last file read, not the latest inspection), and the latest inspection's
 * date would vouch for facts it may not have given (QA re-check). The next read of their reports dates them.
 */
export class Migration20261227010000_facility_facts_as_of extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE facility ADD COLUMN IF NOT EXISTS facts_as_of date;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE facility DROP COLUMN IF EXISTS facts_as_of;');
  }
}
