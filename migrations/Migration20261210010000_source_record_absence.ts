import { Migration } from '@mikro-orm/migrations';

/**
 * Records an HTTP source no longer returns (connectors with `removals`): a full read marks the stored records it
 * did not read as absent from their source, with when and by which run, and unmarks a record read again. Nothing
 * is deleted: the record, its projections and its child stay, as evidence. The run keeps what it found
 * (`connector_run.removals`, JSON: stored, marked, returned, held and why, absent). The partial index holds only
 * absent records, so finding them stays cheap however large the source.
 */
export class Migration20261210010000_source_record_absence extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE source_record
      ADD COLUMN IF NOT EXISTS absent_since timestamptz,
      ADD COLUMN IF NOT EXISTS absent_run_id text REFERENCES connector_run(id);`);
    this.addSql('CREATE INDEX IF NOT EXISTS source_record_absent_idx ON source_record (source_system, absent_since) WHERE absent_since IS NOT NULL;');
    this.addSql('ALTER TABLE connector_run ADD COLUMN IF NOT EXISTS removals jsonb;');
    // Statistics for the new column (all null), so the planner takes the partial index for the absent records
    // rather than reading the whole table (it assumes a column it knows nothing of is rarely null). A sample: fast.
    this.addSql('ANALYZE source_record (absent_since);');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector_run DROP COLUMN IF EXISTS removals;');
    this.addSql('DROP INDEX IF EXISTS source_record_absent_idx;');
    this.addSql('ALTER TABLE source_record DROP COLUMN IF EXISTS absent_run_id, DROP COLUMN IF EXISTS absent_since;');
  }
}
