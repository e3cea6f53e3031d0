import { Migration } from '@mikro-orm/migrations';

const PROJECTION_TABLES = ['health_screening', 'vaccination', 'disability_record', 'school_enrolment', 'birth_registration', 'adoption_registration', 'placement'];

/**
 * What a stored record costs PostgreSQL, measured per row on the 2-core bench machine (COPY, backend CPU):
 *
 * - A foreign-key check is a trigger per row running a lookup that also locks the referenced row: ~5 µs for
 *   `source_record.connector_run_id` (the same run row, a thousand times a batch) and ~6.6 µs for every
 *   projection row's `source_record_id` — a health record with ten vaccinations paid 66 µs for them. Both
 *   reference rows written in the same transaction by the same code (a run the sync holds, the record the
 *   projection came from), and neither runs nor source records are ever deleted; projections are read only
 *   through their record, so a row without one could never be shown. The checks go; the columns stay
 *   indexed.
 * - `raw` as `jsonb` parsed every payload into its binary form (~2 µs a record) for a column nothing queries
 *   inside: it is read whole, to replay a mapping. As `json` it is validated and kept as the source sent it
 *   (key order and all), which is what "raw" promises. The same goes for a rejected record's payload, which
 *   as `jsonb` could not even hold a U+0000 escape: quarantining such a record failed its whole batch.
 */
export class Migration20261203010000_ingest_write_path extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE source_record DROP CONSTRAINT IF EXISTS source_record_connector_run_id_fkey;');
    for (const t of PROJECTION_TABLES) this.addSql(`ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${t}_source_record_id_fkey;`);
    this.addSql('ALTER TABLE source_record ALTER COLUMN raw TYPE json USING raw::json;');
    this.addSql('ALTER TABLE rejected_record ALTER COLUMN payload TYPE json USING payload::json;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE rejected_record ALTER COLUMN payload TYPE jsonb USING payload::jsonb;');
    this.addSql('ALTER TABLE source_record ALTER COLUMN raw TYPE jsonb USING raw::jsonb;');
    for (const t of PROJECTION_TABLES) {
      this.addSql(`ALTER TABLE ${t} ADD CONSTRAINT ${t}_source_record_id_fkey FOREIGN KEY (source_record_id) REFERENCES source_record(id);`);
    }
    this.addSql('ALTER TABLE source_record ADD CONSTRAINT source_record_connector_run_id_fkey FOREIGN KEY (connector_run_id) REFERENCES connector_run(id);');
  }
}
