import { Migration } from '@mikro-orm/migrations';

/**
 * A membership whose evidence its source stopped giving, when the mapping says the circumstance then ended
 * (`whenGone: end`: a pupil back at school ends the drop-out spell), is kept as history, ended, with
 * `evidence.withdrawnOn`; the same record giving the evidence again (the pupil drops out again) is a new spell, a row
 * of its own. So the one-row-per-(child, clause, sub-type, record) rule holds for memberships still mirroring their
 * evidence only. A past spell goes with its record when the record joins another child: found by its record
 * (`special_circumstance_withdrawn_idx`, of past spells only).
 */
export class Migration20261228010000_withdrawn_memberships extends Migration {
  override async up(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS special_circumstance_uniq;');
    this.addSql(`CREATE UNIQUE INDEX special_circumstance_uniq ON special_circumstance
  (child_id, clause, coalesce(sub_type, ''), coalesce(source_record_id, '')) WHERE NOT (evidence ? 'withdrawnOn');`);
    this.addSql(`CREATE INDEX IF NOT EXISTS special_circumstance_withdrawn_idx ON special_circumstance (source_record_id) WHERE evidence ? 'withdrawnOn';`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS special_circumstance_withdrawn_idx;');
    this.addSql(`DELETE FROM special_circumstance WHERE evidence ? 'withdrawnOn';`);
    this.addSql('DROP INDEX IF EXISTS special_circumstance_uniq;');
    this.addSql(`CREATE UNIQUE INDEX special_circumstance_uniq ON special_circumstance
  (child_id, clause, coalesce(sub_type, ''), coalesce(source_record_id, ''));`);
  }
}
