import { Migration } from '@mikro-orm/migrations';

/** Every projection date column, by table. */
const DATES: ReadonlyArray<[table: string, column: string]> = [
  ['health_screening', 'screened_on'], ['vaccination', 'occurred_on'], ['disability_record', 'assessed_on'],
  ['birth_registration', 'registered_on'], ['adoption_registration', 'registered_on'], ['placement', 'started_on'],
  ['placement', 'seen_on'], ['inspection', 'inspected_on'],
];

/**
 * A projection's date known only to its month or year (a child "taken in 2023", a FHIR `occurrenceDateTime` of
 * `2016-03`) was stored and served as the first day of it, indistinguishable from a date known to the day (QA).
 * Each date column gets the column of its precision beside it, `<column>_precision`: `MONTH` or `YEAR`, null for a
 * day (most dates, and every date stored before: what was partial then cannot be told now, until its record is
 * mapped again). The hub's mapping rules version changes with this, so each connector's next sync reads its source
 * whole again and stores the precision its dates have. Group evidence (the special-circumstance memberships) gets
 * the same for its start and end dates.
 */
export class Migration20261227020000_projection_date_precision extends Migration {
  override async up(): Promise<void> {
    for (const [table, column] of DATES) {
      this.addSql(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column}_precision text
        CONSTRAINT ${table}_${column}_precision_check CHECK (${column}_precision IN ('DAY', 'MONTH', 'YEAR'));`);
    }
    for (const column of ['started_on', 'ended_on']) {
      this.addSql(`ALTER TABLE special_circumstance ADD COLUMN IF NOT EXISTS ${column}_precision text
        CONSTRAINT special_circumstance_${column}_precision_check CHECK (${column}_precision IN ('DAY', 'MONTH', 'YEAR'));`);
    }
  }

  override async down(): Promise<void> {
    for (const column of ['started_on', 'ended_on']) this.addSql(`ALTER TABLE special_circumstance DROP COLUMN IF EXISTS ${column}_precision;`);
    for (const [table, column] of DATES) this.addSql(`ALTER TABLE ${table} DROP COLUMN IF EXISTS ${column}_precision;`);
  }
}
