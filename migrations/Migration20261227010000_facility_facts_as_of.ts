import { Migration } from '@mikro-orm/migrations';

/**
 * A facility's facts (name, type, commune, licence, capacity) are as of the latest inspection the record that gave
 * them reported for the facility: `facts_as_of`. A record as of an earlier date no longer replaces them (QA: a 2023
 * inspection report read after the 2026 one gave the facility its 2023 registration and capacity), and the date is
 * what `Facility.source.sourceUpdatedAt` says. Facilities stored before are given the latest inspection of the record
 * that last described them, what `sourceUpdatedAt` read until now.
 */
export class Migration20261227010000_facility_facts_as_of extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE facility ADD COLUMN IF NOT EXISTS facts_as_of date;');
    this.addSql(`UPDATE facility f SET facts_as_of = (
      SELECT max(i.inspected_on) FROM inspection i
       WHERE i.facility_code = f.code AND i.source_system = f.source_system AND i.external_id = f.external_id)
     WHERE f.facts_as_of IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE facility DROP COLUMN IF EXISTS facts_as_of;');
  }
}
