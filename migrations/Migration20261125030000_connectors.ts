import { Migration } from '@mikro-orm/migrations';

/**
 * What running connectors needs beyond the spine's tables: the connector's resumable state (the reader's
 * position after the last stored page, committed with that page), run options and progress, and the
 * mapping flags kept on a source record (a value kept as given because it could not be resolved).
 */
export class Migration20261125030000_connectors extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
ALTER TABLE connector
  ADD COLUMN title text,
  ADD COLUMN state jsonb,
  ADD COLUMN state_updated_at timestamptz;

ALTER TABLE connector_run
  ADD COLUMN definition_hash text,
  ADD COLUMN options jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN requested_by text,
  ADD COLUMN batches integer NOT NULL DEFAULT 0,
  ADD COLUMN files_ingested integer NOT NULL DEFAULT 0,
  ADD COLUMN files_skipped integer NOT NULL DEFAULT 0,
  ADD COLUMN resumed integer NOT NULL DEFAULT 0;

ALTER TABLE source_record ADD COLUMN flags jsonb NOT NULL DEFAULT '[]';

CREATE INDEX rejected_record_connector_idx ON rejected_record (connector_id, created_at DESC);
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
DROP INDEX IF EXISTS rejected_record_connector_idx;
ALTER TABLE source_record DROP COLUMN flags;
ALTER TABLE connector_run DROP COLUMN definition_hash, DROP COLUMN options, DROP COLUMN requested_by, DROP COLUMN batches,
  DROP COLUMN files_ingested, DROP COLUMN files_skipped, DROP COLUMN resumed;
ALTER TABLE connector DROP COLUMN title, DROP COLUMN state, DROP COLUMN state_updated_at;
`);
  }
}
