import { Migration } from '@mikro-orm/migrations';

/**
 * Which process holds a running sync: the backend pid of its lock's connection and its processes' application
 * name (`childhub <pid>-<random>`, one per process: src/db/sql.ts). A worker frozen mid-sync (SIGSTOP, a host
 * paused) keeps its connections and so its lock: the connector waited for ever, the run showed RUNNING with
 * nothing to say it was stuck (QA). With these, a watchdog finds a RUNNING run whose heartbeat stopped, closes
 * that process's connections (its lock and any transaction it left open) and the run resumes elsewhere; and
 * the frozen process, woken, cannot mark as failed a run another process has taken over.
 */
export class Migration20261212010000_connector_run_lock_holder extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE connector_run ADD COLUMN IF NOT EXISTS lock_pid integer, ADD COLUMN IF NOT EXISTS lock_app text;`);
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE connector_run DROP COLUMN IF EXISTS lock_pid, DROP COLUMN IF EXISTS lock_app;');
  }
}
