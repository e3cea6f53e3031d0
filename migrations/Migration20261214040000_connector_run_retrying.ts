import { Migration } from '@mikro-orm/migrations';

/**
 * A run whose job will be tried again waits as RETRYING, not FAILED (QA: a run shown FAILED, and `connectors sync`
 * exiting 1, while its job still retried; the same run later became SUCCEEDED and its error was wiped). Kept on the
 * run: the job that holds it (`job_id`: a scheduled job's retry takes its run up again, and a run whose job the queue
 * lost is told by it), the attempts the job is allowed, when the next is due, and every failed attempt's error
 * (`failed_attempts`, oldest first), which a run that succeeds later keeps. One RETRYING run per connector, as
 * one RUNNING: it holds its connector until its job has given up or succeeded.
 */
export class Migration20261214040000_connector_run_retrying extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE connector_run
      ADD COLUMN IF NOT EXISTS job_id text,
      ADD COLUMN IF NOT EXISTS max_attempts integer,
      ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz,
      ADD COLUMN IF NOT EXISTS failed_attempts jsonb NOT NULL DEFAULT '[]';`);
    this.addSql('ALTER TABLE connector_run DROP CONSTRAINT IF EXISTS connector_run_status_check;');
    this.addSql(`ALTER TABLE connector_run ADD CONSTRAINT connector_run_status_check
      CHECK (status IN ('QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'));`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS connector_run_one_retrying ON connector_run (connector_id) WHERE status = 'RETRYING';`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS connector_run_one_retrying;');
    this.addSql(`UPDATE connector_run SET status = 'FAILED', finished_at = now(), error = (failed_attempts->-1) - 'attempt' - 'failedAt' WHERE status = 'RETRYING';`);
    this.addSql('ALTER TABLE connector_run DROP CONSTRAINT IF EXISTS connector_run_status_check;');
    this.addSql(`ALTER TABLE connector_run ADD CONSTRAINT connector_run_status_check
      CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'));`);
    this.addSql(`ALTER TABLE connector_run DROP COLUMN IF EXISTS job_id, DROP COLUMN IF EXISTS max_attempts,
      DROP COLUMN IF EXISTS next_attempt_at, DROP COLUMN IF EXISTS failed_attempts;`);
  }
}
