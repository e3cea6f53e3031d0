import { Migration } from '@mikro-orm/migrations';

/**
 * Each inspection keeps the facility facts the record that gave it stated (`facility_facts`: name, type, commune,
 * licence, capacity), so a facility's facts are those of its latest inspection whatever order its reports are read
 * in, and a report corrected and read again (another date) is what it now says (QA re-check: a date corrected to an
 * earlier day froze the facts at the typo's). Inspections stored before have none until their reports are read
 * again (the mapping rules changed with this release, so each connector's next sync reads its source whole); while
 * a facility's latest inspection is one of them, the facility keeps the facts it has, undated.
 *
 * `facts_as_of` is cleared where an earlier build of this release set it to the facility's latest inspection date,
 * which may not be the date of the facts it holds.
 */
export class Migration20261227030000_inspection_facility_facts extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE inspection ADD COLUMN IF NOT EXISTS facility_facts jsonb;');
    this.addSql('UPDATE facility SET facts_as_of = NULL WHERE facts_as_of IS NOT NULL;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE inspection DROP COLUMN IF EXISTS facility_facts;');
  }
}
