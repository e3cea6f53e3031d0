import { Migration } from '@mikro-orm/migrations';

/**
 * Every run that read a quarantined record still invalid: a row of `rejected_record_run` each, written in the
 * transaction that quarantines the record (or marks its open or dismissed row seen again). A reject had only
 * its first run (`connector_run_id`) and its last (`last_run_id`), so `rejectedRecords(runId)` lost what the
 * runs in between rejected (QA: three runs read the same 5 broken records; the middle one said `rejected: 5`
 * and listed none).
 *
 * Keyed by run first: the listing of one run's rejects reads its rows in reject-id order from the key. The
 * links go with either side (ON DELETE CASCADE): a link to a run or a reject that is gone says nothing.
 * Backfilled from the two runs each reject knows; what the runs in between read is not known any more.
 */
export class Migration20261214010000_rejected_record_runs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE IF NOT EXISTS rejected_record_run (
      run_id text NOT NULL REFERENCES connector_run(id) ON DELETE CASCADE,
      reject_id text NOT NULL REFERENCES rejected_record(id) ON DELETE CASCADE,
      PRIMARY KEY (run_id, reject_id)
    );`);
    // For the cascade from a deleted reject (tests, hand repairs), which would otherwise read the whole table.
    this.addSql('CREATE INDEX IF NOT EXISTS rejected_record_run_reject_idx ON rejected_record_run (reject_id);');
    this.addSql(`INSERT INTO rejected_record_run (run_id, reject_id)
      SELECT connector_run_id, id FROM rejected_record WHERE connector_run_id IS NOT NULL
      UNION
      SELECT last_run_id, id FROM rejected_record WHERE last_run_id IS NOT NULL
      ON CONFLICT DO NOTHING;`);
  }

  override async down(): Promise<void> {
    // The first and last runs are still on each reject: listing by run goes back to those two.
    this.addSql('DROP TABLE IF EXISTS rejected_record_run;');
  }
}
