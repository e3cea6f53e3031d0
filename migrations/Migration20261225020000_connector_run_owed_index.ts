import { Migration } from '@mikro-orm/migrations';

/**
 * The runs that owe a full read (`connector_run.options->>'owed'`): a scheduled full read that failed, and, from this
 * release, any run that finished a full read a stopped process began (forced by hand too). A scheduled sync of an
 * incremental connector with `removals` asks whether one is owed: a probe of this partial index, which holds those
 * few runs, instead of a pass over the connector's run history.
 */
export class Migration20261225020000_connector_run_owed_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX IF NOT EXISTS connector_run_owed_idx ON connector_run (connector_id, created_at) WHERE options->>'owed' = 'true';`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS connector_run_owed_idx;');
  }
}
