/**
 * The name of every migration, in order: what `mikro_orm_migrations.name` holds once it has run. Kept apart
 * from `index.ts` (which imports the migration classes, and with them MikroORM) so that a process checking
 * that its database is up to date — the gateway, a worker, a connector sync against a real server — does so
 * with one query and without loading MikroORM. `test/migrations.test.ts` fails if the two lists differ.
 */
export const MIGRATION_NAMES: readonly string[] = [
  'Migration20261125000000_spine',
  'Migration20261125010000_identity',
  'Migration20261125020000_identity_indexes',
  'Migration20261125030000_connectors',
  'Migration20261125040000_projections',
  'Migration20261125050000_source_record_write_path',
  'Migration20261203000000_children_from_golden_stage',
  'Migration20261203010000_ingest_write_path',
  'Migration20261203020000_golden_write_path',
  'Migration20261203030000_known_records_index',
  'Migration20261203040000_identity_checked_inputs',
  'Migration20261204010000_source_record_text',
  'Migration20261205000000_quarantine_open_rejects',
  'Migration20261205010000_connector_run_files_refused',
  'Migration20261206000000_dismissed_rejects',
  'Migration20261207090000_connector_run_files_waiting',
  'Migration20261208030000_connector_run_repeated_ids',
  'Migration20261209010000_issuance_request_ids',
  'Migration20261209030000_child_kept_number_idx',
  'Migration20261209040000_child_in_groups_birth_index',
  'Migration20261209050000_outbox_connector_sync_index',
  'Migration20261210010000_source_record_absence',
  'Migration20261211010000_identity_check_rejected',
  'Migration20261212010000_connector_run_lock_holder',
  'Migration20261213010000_connector_records_mapping',
  'Migration20261213020000_connector_state_read_with',
  'Migration20261214010000_rejected_record_runs',
  'Migration20261214020000_rejects_overview_indexes',
  'Migration20261214030000_child_disagreements',
  'Migration20261214040000_connector_run_retrying',
  'Migration20261215010000_connector_record_ids',
  'Migration20261215020000_connector_freshness_indexes',
  'Migration20261216010000_drop_file_checksums',
  'Migration20261216020000_rejects_stored_by_run_index',
  'Migration20261216030000_connector_run_by_connector_id',
  'Migration20261217010000_file_listed_records',
];
